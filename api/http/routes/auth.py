"""Sign-in, the caller's identity, and the administrator's views of users and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.audit import verify
from api.auth import AuthError, issue_token
from api.http.deps import ADMINS, ANYONE, Audit, BackendDep, CurrentPrincipal, allow, client_of
from api.http.models import AuditCheck, Me, Token, UserOut, Users
from api.http.problems import responses

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=Token, responses=responses(401, 422, 429))
def token(request: Request, backend: BackendDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """OAuth2 password flow: a short-lived bearer token (JWT, HS256)."""
    try:
        principal = backend.users.authenticate(form.username, form.password)
    except AuthError as error:
        backend.audit.append(actor=form.username[:64], role="", action="auth.failed",
                             resource="token", client=client_of(request))
        raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    settings = backend.settings
    access, lifetime = issue_token(principal, backend.token_key, settings.token_minutes)
    backend.audit.append(actor=principal.name, role=principal.role.value, action="auth.token",
                         resource="token", client=client_of(request))
    return Token(access_token=access, expires_in=lifetime)


@router.get("/me", response_model=Me, responses=responses(401, 403), **allow(*ANYONE))
def me(principal: CurrentPrincipal) -> Me:
    """Who the token or key belongs to: name, role, regions."""
    return Me(username=principal.name, role=principal.role, regions=list(principal.regions))


@router.get("/admin/users", response_model=Users, responses=responses(401, 403),
            **allow(*ADMINS))
def users(backend: BackendDep) -> Users:
    """Users and their roles (managed with `riskgraph users ...`)."""
    return Users(items=[UserOut.model_validate(user) for user in backend.users.list()])


@router.get("/admin/audit/verify", response_model=AuditCheck, responses=responses(401, 403),
            **allow(*ADMINS))
def audit_verify(backend: BackendDep, audit: Audit) -> AuditCheck:
    """Check the audit log's hash chain (as `riskgraph audit verify`)."""
    result = verify(backend.settings.audit_path)
    audit("audit.verify", "audit", ok=result.ok)
    return AuditCheck(ok=result.ok, entries=result.entries,
                      first_broken_line=result.first_broken_line, reason=result.reason)
