"""Where callbacks may go: the rule against server-side request forgery.

A callback is a request this service sends to a URL a tenant chose, from inside the operator's
network, so:

1. Callbacks are off unless ``MLPFORGE_CALLBACK_HOSTS`` lists hosts, and a callback URL must
   name one of them: ``host`` allows that host on its scheme's default port (80, 443) only,
   ``host:port`` that port only. Checked when the job is submitted (a 422 naming
   ``callback_url``) and again before each delivery (the setting may have changed).
2. A tenant needs a signing secret (``MLPFORGE_CALLBACK_SECRETS``): callbacks are never sent
   unsigned, since a receiver could not tell them from forgeries.
3. At delivery, a host listed by *name* must resolve to public addresses only: a name that
   resolves to a loopback, private, link-local (cloud metadata, 169.254.169.254), shared,
   reserved or multicast address is refused, so a DNS record changed after the fact cannot
   point callbacks into the internal network. To call an internal receiver, list its *address*
   (``10.0.0.7:8080``): an address listed outright is the operator's explicit choice. The
   connection then goes to the very address that was checked (service.callbacks.delivery).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from mlpforge.callback_config import AllowedHost
from mlpforge.settings import Settings
from service.callbacks.target import DEFAULT_PORTS, CallbackTarget, parse_callback_url
from service.errors import invalid

FIELD = ["body", "callback_url"]


def allowed_entry(target: CallbackTarget, hosts: frozenset[AllowedHost]) -> AllowedHost | None:
    """The allowlist entry that lets ``target`` through, if any."""
    if AllowedHost(target.host, target.port) in hosts:
        return AllowedHost(target.host, target.port)
    if target.port == DEFAULT_PORTS[target.scheme] and AllowedHost(target.host, None) in hosts:
        return AllowedHost(target.host, None)
    return None


def refusal(target: CallbackTarget, tenant: str, settings: Settings) -> str | None:
    """Why callbacks of ``tenant`` may not go to ``target`` under ``settings``; None: they may."""
    hosts = settings.callback_host_table()
    if not hosts:
        return "callbacks are disabled on this server (MLPFORGE_CALLBACK_HOSTS is empty)"
    if allowed_entry(target, hosts) is None:
        return (
            f"{target.netloc} is not an allowed callback host on port {target.port} "
            "(MLPFORGE_CALLBACK_HOSTS)"
        )
    if tenant not in settings.callback_secret_table():
        return (
            "no callback signing secret is set for this tenant (MLPFORGE_CALLBACK_SECRETS); "
            "callbacks are only sent signed"
        )
    return None


def check_submission(url: str, tenant: str, settings: Settings) -> None:
    """422 naming ``callback_url`` unless this tenant may be called back at ``url``."""
    try:
        target = parse_callback_url(url)
    except ValueError as error:  # the schema checked it already; kept for direct callers
        raise invalid(FIELD, str(error)) from None
    reason = refusal(target, tenant, settings)
    if reason is not None:
        raise invalid(FIELD, reason)


def address_refusal(entry: AllowedHost, addresses: Iterable[str]) -> str | None:
    """Why the addresses a listed name resolved to may not be called; None: they may."""
    if entry.is_address:
        return None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
        if not ip.is_global:
            return (
                f"{entry.host} resolves to {ip}, which is not a public address; list that "
                "address in MLPFORGE_CALLBACK_HOSTS to allow it"
            )
    return None
