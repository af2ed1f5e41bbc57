"""The rules of job callbacks, in-process: their settings, what a URL may be, where it may
point, and the signature a receiver checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mlpforge.callback_config import AllowedHost
from mlpforge.settings import Settings
from mlpforge.webhooks import sign, verify
from service.callbacks.policy import address_refusal, allowed_entry, refusal
from service.callbacks.target import parse_callback_url

SECRET = "0123456789abcdef0123456789abcdef"


def test_the_allowlist_setting_is_parsed() -> None:
    settings = Settings(callback_hosts=" Hooks.Example.com , 10.0.0.7:8080,[FD00::1]:9000,, ")
    assert settings.callback_host_table() == {
        AllowedHost("hooks.example.com", None),
        AllowedHost("10.0.0.7", 8080),
        AllowedHost("fd00::1", 9000),
    }
    assert Settings().callback_host_table() == frozenset()  # off by default


@pytest.mark.parametrize(
    ("hosts", "says"),
    [
        ("https://hooks.example.com", "no scheme"),
        ("*.example.com", "wildcard"),
        ("hooks.example.com:0", "port must be"),
        ("hooks.example.com:http", "port must be"),
        ("not a host", "not a host name"),
    ],
)
def test_a_bad_allowlist_stops_the_process(hosts: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Settings(callback_hosts=hosts)


@pytest.mark.parametrize(
    ("secrets", "says"),
    [
        ("alice", "expected 'tenant:secret'"),
        ("alice:short", "shorter than 16"),
        (f"alice:{SECRET},alice:{SECRET}", "two secrets"),
        (f"al ice:{SECRET}", "letters, digits"),
    ],
)
def test_bad_secrets_are_refused_without_showing_them(secrets: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says) as raised:
        Settings(callback_secrets=secrets)
    assert SECRET not in str(raised.value) and "short" not in str(raised.value).split("\n")[0]


def test_urls_are_parsed_with_their_default_ports() -> None:
    target = parse_callback_url("HTTPS://Hooks.Example.com/in?token=x")
    assert (target.scheme, target.host, target.port, target.netloc) == (
        "https", "hooks.example.com", 443, "hooks.example.com"
    )  # fmt: skip
    assert target.shown == "https://hooks.example.com"  # no path, no token
    v6 = parse_callback_url("http://[fd00::1]:9000/x")
    assert (v6.host, v6.port, v6.netloc) == ("fd00::1", 9000, "[fd00::1]:9000")


def test_a_host_without_a_port_allows_its_default_port_only() -> None:
    hosts = frozenset({AllowedHost("hooks.example.com", None), AllowedHost("10.0.0.7", 8080)})
    assert allowed_entry(parse_callback_url("https://hooks.example.com/x"), hosts)
    assert allowed_entry(parse_callback_url("http://hooks.example.com/x"), hosts)
    assert not allowed_entry(parse_callback_url("https://hooks.example.com:8443/x"), hosts)
    assert allowed_entry(parse_callback_url("http://10.0.0.7:8080/x"), hosts)
    assert not allowed_entry(parse_callback_url("http://10.0.0.7/x"), hosts)
    assert not allowed_entry(parse_callback_url("https://evil.example.com/x"), hosts)


def test_refusals_say_which_setting_to_change() -> None:
    target = parse_callback_url("https://hooks.example.com/x")
    assert "disabled" in str(refusal(target, "alice", Settings()))
    allowed = Settings(callback_hosts="hooks.example.com")
    assert "MLPFORGE_CALLBACK_SECRETS" in str(refusal(target, "alice", allowed))
    signed = Settings(callback_hosts="hooks.example.com", callback_secrets=f"alice:{SECRET}")
    assert refusal(target, "alice", signed) is None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # shared address space
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:10.0.0.1", False),
        ("fd00::1", False),
    ],
)
def test_a_listed_name_may_resolve_to_public_addresses_only(address: str, public: bool) -> None:
    by_name = AllowedHost("hooks.example.com", None)
    assert (address_refusal(by_name, [address]) is None) is public
    # An address listed as such is the operator's explicit choice, whatever it is.
    assert address_refusal(AllowedHost("10.1.2.3", 8080), ["10.1.2.3"]) is None


def test_the_signature_covers_the_body_and_a_recent_timestamp() -> None:
    body = b'{"id": "job_1", "status": "succeeded"}'
    header = sign(SECRET, body, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify(SECRET, body, header, now=1_700_000_100)
    assert not verify(SECRET, body + b" ", header, now=1_700_000_100)
    assert not verify("another-secret-0123456789", body, header, now=1_700_000_100)
    assert not verify(SECRET, body, header, now=1_700_000_000 + 301)  # a replay, later
    _, _, mac = header.partition(",")
    assert not verify(SECRET, body, f"t=1700000050,{mac}", now=1_700_000_100)
    assert not verify(SECRET, body, "v1=abc", now=1_700_000_100)
