"""The two settings of job callbacks, parsed: where they may go, and how each tenant's are signed.

``MLPFORGE_CALLBACK_HOSTS`` is an allowlist, not a blocklist: a callback is a request this
service sends on a user's behalf, so only hosts the operator named can receive one (server-side
request forgery). Empty, the default, turns callbacks off.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from mlpforge.tenants import tenant_pairs

# A DNS name: dot-separated labels of letters, digits and '-' (and '_', which some internal
# names carry), at most 253 characters.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?$")
# Short secrets can be guessed offline from one signed callback.
MIN_SECRET_CHARS = 16


@dataclass(frozen=True)
class AllowedHost:
    """One entry of the allowlist. ``port`` None: the scheme's default port (80 or 443) only."""

    host: str  # lower case; an IPv6 address without brackets
    port: int | None

    @property
    def is_address(self) -> bool:
        """An IP address named outright: the operator chose that address, whatever it is."""
        return is_ip_literal(self.host)


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def normalize_host(host: str) -> str | None:
    """``host`` in the form the allowlist compares (lower case, an IPv6 address compressed
    and unbracketed, no trailing dot), or None if it is neither a DNS name nor an address."""
    host = host.strip().lower().removeprefix("[").removesuffix("]")
    if is_ip_literal(host):
        return str(ipaddress.ip_address(host))
    if HOST_NAME.match(host):
        return host.rstrip(".")
    return None


def parse_callback_hosts(raw: str) -> frozenset[AllowedHost]:
    """``hooks.example.com, 10.0.0.7:8080, [fd00::1]:9000`` → the allowlist."""
    allowed: set[AllowedHost] = set()
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        if any(mark in item for mark in ("/", "@", "*", "?", "#")):
            raise ValueError(
                f"{item[:80]!r}: give a host name or address, optionally ':port' "
                "(no scheme, path, credentials or wildcard)"
            )
        host, port = _split_port(item)
        normalized = normalize_host(host)
        if normalized is None:
            raise ValueError(f"{item[:80]!r} is not a host name or an IP address")
        allowed.add(AllowedHost(normalized, port))
    return frozenset(allowed)


def _split_port(item: str) -> tuple[str, int | None]:
    if item.startswith("["):  # [IPv6] or [IPv6]:port
        host, _, rest = item[1:].partition("]")
        port = rest.removeprefix(":") if rest.startswith(":") else None
        if rest and port is None:
            raise ValueError(f"{item[:80]!r}: expected '[address]:port'")
    elif item.count(":") == 1:
        host, port = item.split(":")
    else:  # a name, an IPv4 address, or a bare IPv6 address (without a port)
        host, port = item, None
    if port is None:
        return host, None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{item[:80]!r}: the port must be a number from 1 to 65535")
    return host, int(port)


def parse_callback_secrets(raw: str) -> dict[str, str]:
    """``tenant:secret,tenant2:secret2`` → {tenant: secret}. The messages never show a secret."""
    secrets: dict[str, str] = {}
    for tenant, secret in tenant_pairs(raw, "secret"):
        if tenant in secrets:
            raise ValueError(f"tenant {tenant!r} is given two secrets")
        if len(secret) < MIN_SECRET_CHARS:
            raise ValueError(
                f"the secret of tenant {tenant!r} is shorter than {MIN_SECRET_CHARS} "
                "characters; make it long and random (openssl rand -hex 32)"
            )
        secrets[tenant] = secret
    return secrets
