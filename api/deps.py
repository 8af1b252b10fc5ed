"""FastAPI dependencies, as Annotated aliases routes put in their signatures.

Each is ``async def``: none of them blocks, and FastAPI runs a plain ``def`` dependency in
its thread pool, a hop per dependency and request that costs the event loop more than the
lookup (and, in a burst of uploads, waits behind the uploads' own blocking work)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import authenticate, bearer_scheme
from api.progress_view import ProgressView
from api.state import AppState
from schemas.dataset import DatasetRegistry


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.bulkflow
    return state


async def get_tenant(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> str:
    return authenticate(request, credentials)


async def get_view(state: Annotated[AppState, Depends(get_state)]) -> ProgressView:
    return state.view


async def get_registry(state: Annotated[AppState, Depends(get_state)]) -> DatasetRegistry:
    return state.registry


StateDep = Annotated[AppState, Depends(get_state)]
TenantDep = Annotated[str, Depends(get_tenant)]
ViewDep = Annotated[ProgressView, Depends(get_view)]
RegistryDep = Annotated[DatasetRegistry, Depends(get_registry)]
