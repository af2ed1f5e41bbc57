"""Who is calling: an API key maps to a tenant; open mode has one tenant."""

from __future__ import annotations

import hmac

from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from service.errors import ApiError

OPEN_TENANT = "default"

# Declared as security schemes so Swagger UI shows "Authorize"; checked in `tenant_for`.
bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <key>")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: <key>")


def presented_key(bearer: HTTPAuthorizationCredentials | None, api_key: str | None) -> str | None:
    if bearer is not None and bearer.credentials.strip():
        return bearer.credentials.strip()
    return api_key.strip() if api_key and api_key.strip() else None


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
