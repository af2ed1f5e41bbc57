"""What a ``callback_url`` may look like, before anyone asks where it points.

An absolute http or https URL of at most 2,000 ASCII characters, with a host, without
credentials (``user:password@`` would be sent to the receiver and shown on the job) and without
a fragment (never sent). International domain names are given in their ``xn--`` form.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from mlpforge.callback_config import normalize_host

MAX_URL_CHARS = 2000
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class CallbackTarget:
    url: str
    scheme: str
    host: str  # lower case; an IPv6 address without brackets
    port: int  # the one connected to: given, or the scheme's default
    explicit_port: bool

    @property
    def netloc(self) -> str:
        """The Host header's value: the host, with the port unless it is the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" if self.explicit_port else host

    @property
    def shown(self) -> str:
        """For logs and messages: scheme and host only. The path or query of a callback URL
        may carry a token (many webhook receivers put one there)."""
        return f"{self.scheme}://{self.netloc}"


def parse_callback_url(url: str) -> CallbackTarget:
    """The URL's parts, or ValueError saying what is wrong with it."""
    if len(url) > MAX_URL_CHARS:
        raise ValueError(f"must be at most {MAX_URL_CHARS} characters")
    if not url.isascii() or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise ValueError(
            "must be ASCII without spaces or control characters (percent-encode the path; "
            "give an international domain name in its xn-- form)"
        )
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("must be an http:// or https:// URL")
    if "@" in parts.netloc:
        raise ValueError("must not carry credentials (user:password@); callbacks are signed")
    if parts.fragment or url.endswith("#"):
        raise ValueError("must not have a #fragment")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a port that is not a number from 0 to 65535") from None
    host = normalize_host(parts.hostname or "")
    if host is None:
        raise ValueError("must name a host (a DNS name or an IP address)")
    if port == 0:
        raise ValueError("has port 0")
    return CallbackTarget(
        url=url,
        scheme=parts.scheme,
        host=host,
        port=port or DEFAULT_PORTS[parts.scheme],
        explicit_port=port is not None,
    )
