"""Liveness (no token) and readiness (the graph store answers)."""

from __future__ import annotations

from fastapi import APIRouter

from api.http.deps import ANYONE, BackendDep, allow
from api.http.models import Health, Ready
from api.http.problems import responses

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """The process is up (the only route without a token)."""
    return Health()


@router.get("/ready", response_model=Ready, responses=responses(401, 503), **allow(*ANYONE))
def ready(backend: BackendDep) -> Ready:
    """The graph store answers: 503 when it does not."""
    return Ready.model_validate(backend.readiness())
