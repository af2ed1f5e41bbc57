"""One attempt at delivering a callback: resolve, check the addresses, POST, classify the answer.

Bounded: at most `CONNECT_SECS` to connect and `TOTAL_SECS` for the whole attempt (name
resolution included), whatever the receiver does; its body is never read. Redirects are not
followed (a 3xx is a failed delivery): a redirect would take the callback to a host nobody
allowed. The connection goes to the address that `policy.address_refusal` checked, with the
name in the Host header and in TLS (SNI and certificate check), so the name cannot resolve to
one address for the check and another for the connection. Proxies from the environment are
ignored for the same reason.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import httpx

from mlpforge.callback_config import AllowedHost, is_ip_literal
from service.callbacks.policy import address_refusal
from service.callbacks.target import CallbackTarget

CONNECT_SECS = 5.0
TOTAL_SECS = 10.0
MAX_ERROR_CHARS = 200

Outcome = Literal["delivered", "retry", "failed"]


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    status_code: int | None = None
    error: str | None = None


def new_client() -> httpx.AsyncClient:
    """One per delivering process. No keep-alive: a pooled connection is keyed by address, and
    two allowed names behind one address must never share a TLS session made for the other."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(TOTAL_SECS, connect=CONNECT_SECS),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


def classify(status: int) -> Attempt:
    if 200 <= status < 300:
        return Attempt("delivered", status)
    if status in (408, 429) or status >= 500:
        return Attempt("retry", status, f"the receiver answered {status}")
    if 300 <= status < 400:
        return Attempt(
            "failed", status, f"the receiver answered {status}; redirects are not followed"
        )
    return Attempt("failed", status, f"the receiver answered {status}")


async def resolve(host: str, port: int) -> list[str]:
    if is_ip_literal(host):
        return [host]
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def attempt(
    client: httpx.AsyncClient,
    target: CallbackTarget,
    entry: AllowedHost,
    body: bytes,
    headers: dict[str, str],
) -> Attempt:
    try:
        async with asyncio.timeout(TOTAL_SECS):
            addresses = await resolve(target.host, target.port)
            refused = address_refusal(entry, addresses)
            if refused is not None:
                return Attempt("failed", error=refused)
            address = addresses[0].split("%", 1)[0]
            extensions = {} if is_ip_literal(target.host) else {"sni_hostname": target.host}
            async with client.stream(
                "POST",
                # Scheme, address and port as checked, whatever httpx makes of the URL.
                httpx.URL(target.url).copy_with(
                    scheme=target.scheme, host=address, port=target.port
                ),
                content=body,
                headers={**headers, "Host": target.netloc},
                extensions=extensions,
            ) as response:
                return classify(response.status_code)
    except TimeoutError:
        return Attempt("retry", error=f"no answer within {TOTAL_SECS:g} s")
    except socket.gaierror as error:
        return Attempt("retry", error=f"{target.host} does not resolve: {error.strerror}")
    except httpx.TransportError as error:
        return Attempt("retry", error=_shown_error(error, target))


def _shown_error(error: Exception, target: CallbackTarget) -> str:
    """The error, without the URL's path and query should it quote them (they may hold a
    token), and short."""
    text = f"{type(error).__name__}: {error}"
    parts = urlsplit(target.url)
    for tail in (parts.query, parts.path):
        if len(tail) > 1:
            text = text.replace(tail, "…")
    return text[:MAX_ERROR_CHARS]
