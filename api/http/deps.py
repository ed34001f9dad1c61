"""Dependencies the routes name: the backend, the caller, role checks and the audit trail.

A route declares who may call it with ``**allow(Role.x, ...)``: that adds the role check
as a dependency and lists the roles in the OpenAPI operation (``x-roles``), where the
tests read them, so that a new route cannot escape the role matrix.

The dependencies are ``async``: they never block (a token check is microseconds), and a
synchronous dependency would cost a hop to the thread pool each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from api.auth import AuthError, Principal, Role, read_token
from api.backend import Backend

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key = APIKeyHeader(name="X-API-Key", auto_error=False)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def get_backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


BackendDep = Annotated[Backend, Depends(get_backend)]


async def current_principal(
    request: Request, backend: BackendDep,
    token: Annotated[str | None, Depends(oauth2)],
    key: Annotated[str | None, Depends(api_key)],
) -> Principal:
    """The caller, from a bearer token or an API key; 401 without a valid one."""
    try:
        if token:
            principal = read_token(token, backend.token_key)
        elif key:
            principal = backend.keys.authenticate(key)
        else:
            raise AuthError("a bearer token or an API key is needed")
    except AuthError as error:
        raise HTTPException(401, str(error), headers=_CHALLENGE) from None
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def allow(*roles: Role) -> dict[str, Any]:
    """Route arguments: only ``roles`` may call it (others get 403)."""
    allowed = frozenset(roles)

    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(403, f"role {principal.role.value} may not do this "
                                     f"(allowed: {', '.join(sorted(allowed))})")
        return principal

    return {"dependencies": [Depends(check)],
            "openapi_extra": {"x-roles": sorted(role.value for role in allowed)}}


READERS = (Role.investigator, Role.admin)  # enterprises, risk results, graph queries
HANDLERS = (Role.investigator, Role.admin)  # warnings
ANALYSTS = (Role.analyst, Role.admin)  # statistics, backtest, plans
SCORERS = (Role.partner, Role.admin)  # batch scoring
ADMINS = (Role.admin,)
ANYONE = tuple(Role)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@dataclass(frozen=True)
class AuditTrail:
    """Appends to the audit log on behalf of the caller of one request."""

    backend: Backend
    principal: Principal
    client: str

    def __call__(self, action: str, resource: str, /, **details: Any) -> None:
        self.backend.audit.append(actor=self.principal.name, role=self.principal.role.value,
                                  action=action, resource=resource, client=self.client,
                                  details=details)


async def audit_trail(request: Request, backend: BackendDep,
                principal: CurrentPrincipal) -> AuditTrail:
    return AuditTrail(backend, principal, client_of(request))


Audit = Annotated[AuditTrail, Depends(audit_trail)]


def check_region(backend: Backend, principal: Principal, uscc: str) -> None:
    """403 when the enterprise lies outside the caller's regions (unknown ones pass: the
    route answers 404 for them)."""
    if not principal.regions:
        return
    region = backend.region_of([uscc])
    if len(region) and not principal.may_see_region(str(region.iloc[0])):
        raise HTTPException(403, f"enterprise {uscc} is outside your regions")
