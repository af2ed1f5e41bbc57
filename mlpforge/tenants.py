"""Tenants in settings: their names, and the ``tenant:value,...`` lists that give each one a
key (MLPFORGE_API_KEYS) or a secret (MLPFORGE_CALLBACK_SECRETS)."""

from __future__ import annotations

import re
from collections.abc import Iterator

# A tenant's name becomes part of Redis keys and log lines: keep it plain.
TENANT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def tenant_pairs(raw: str, value_name: str) -> Iterator[tuple[str, str]]:
    """``tenant:value,tenant2:value2`` → (tenant, value) pairs; a value may hold colons (only
    the first one splits). The messages never show a value: they are keys and secrets."""
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        tenant, sep, value = (part.strip() for part in item.partition(":"))
        if not sep or not tenant or not value:
            raise ValueError(f"expected 'tenant:{value_name}', got {tenant[:64]!r}:…")
        if not TENANT_NAME.match(tenant):
            raise ValueError(
                f"tenant {tenant[:64]!r} must be 1 to 64 letters, digits, '_', '.' or '-'"
            )
        yield tenant, value
