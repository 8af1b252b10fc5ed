"""Bearer API keys: each key belongs to a tenant; every key is compared in constant time."""

from __future__ import annotations

import hmac

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.http_errors import Unauthorized

bearer_scheme = HTTPBearer(auto_error=False, description="an API key: Bearer <key>")


def tenant_for_key(keys: dict[str, str], presented: str) -> str | None:
    """The key's tenant, comparing against every key so timing tells nothing."""
    given = presented.encode()
    found: str | None = None
    for key, tenant in keys.items():
        if hmac.compare_digest(key.encode(), given):
            found = tenant
    return found


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    tenant = tenant_for_key(request.app.state.bulkflow.keys, credentials.credentials)
    if tenant is None:
        raise Unauthorized("the API key is not valid")
    return tenant
