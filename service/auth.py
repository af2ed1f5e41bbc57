"""Who is calling: an API key maps to a tenant; open mode has one tenant."""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers

from service.errors import ApiError

OPEN_TENANT = "default"

def presented_key(headers: Headers) -> str | None:
    """``Authorization: Bearer <key>`` (the scheme in any case, as HTTPBearer reads it), else
    ``X-API-Key: <key>``."""
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    api_key = headers.get("x-api-key", "").strip()
    return api_key or None


def tenant_for(presented: str | None, key_table: dict[str, str]) -> str:
    """The caller's tenant; 401 without a valid key when keys are configured."""
    if not key_table:
        return OPEN_TENANT
    if presented is None:
        raise ApiError(
            401,
            "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    tenant: str | None = None
    # Compare with every key, each in constant time, so timing reveals neither key nor match.
    for key, owner in key_table.items():
        if hmac.compare_digest(presented.encode(), key.encode()):
            tenant = owner
    if tenant is None:
        raise ApiError(401, "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})
    return tenant
