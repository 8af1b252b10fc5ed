"""FastAPI dependencies, as Annotated aliases routes put in their signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import authenticate, bearer_scheme
from api.progress_view import ProgressView
from api.state import AppState
from schemas.dataset import DatasetRegistry


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.bulkflow
    return state


def get_tenant(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> str:
    return authenticate(request, credentials)


def get_view(state: Annotated[AppState, Depends(get_state)]) -> ProgressView:
    return state.view


def get_registry(state: Annotated[AppState, Depends(get_state)]) -> DatasetRegistry:
    return state.registry


StateDep = Annotated[AppState, Depends(get_state)]
TenantDep = Annotated[str, Depends(get_tenant)]
ViewDep = Annotated[ProgressView, Depends(get_view)]
RegistryDep = Annotated[DatasetRegistry, Depends(get_registry)]
