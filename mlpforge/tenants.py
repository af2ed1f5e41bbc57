"""What a tenant's name may be: it becomes part of Redis keys and log lines, so keep it plain."""

from __future__ import annotations

import re

TENANT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
