"""Every error as one JSON problem object (RFC 9457), never a stack trace.

Handlers map what the plain modules raise to HTTP: an unknown enterprise or plan -> 404,
a query or state that does not fit -> 400/409, the store down -> 503, anything else ->
500 with a generic detail (the traceback goes to the server log only).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.backend import STORE_ERRORS, StoreUnavailable
from api.risk_results import NoSnapshot
from graph.queries import QueryError
from risk.early_warning import WarningStateError
from risk.feedback import PlanError

MEDIA_TYPE = "application/problem+json"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
          422: "Unprocessable Content", 429: "Too Many Requests",
          500: "Internal Server Error", 503: "Service Unavailable"}
log = logging.getLogger("riskgraph.api")


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
            "detail": detail}
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def _validation_detail(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item.get("loc", ()))
        parts.append(f"{where}: {item.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return problem(error.status_code, str(error.detail), getattr(error, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        return problem(422, _validation_detail(error))

    @app.exception_handler(QueryError)
    async def query_error(_: Request, error: QueryError) -> JSONResponse:
        text = str(error)
        return problem(404 if text.startswith("no enterprise") else 400, text)

    @app.exception_handler(NoSnapshot)
    async def no_snapshot(_: Request, error: NoSnapshot) -> JSONResponse:
        return problem(404, str(error))

    @app.exception_handler(PlanError)
    async def plan_error(_: Request, error: PlanError) -> JSONResponse:
        text = str(error)
        return problem(404 if text.startswith("no plan") else 409, text)

    @app.exception_handler(WarningStateError)
    async def warning_error(_: Request, error: WarningStateError) -> JSONResponse:
        text = str(error)
        return problem(404 if text.startswith("no warning") else 409, text)

    async def unavailable(_: Request, error: Exception) -> JSONResponse:
        log.warning("graph store unavailable: %s", error)
        return problem(503, "the graph store is unavailable; try again later",
                       {"Retry-After": "5"})

    kinds: tuple[type[Exception], ...] = (StoreUnavailable, *STORE_ERRORS)
    for kind in kinds:
        app.add_exception_handler(kind, unavailable)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal error; the server log has the details")


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of the problem responses a route can give."""
    from api.http.models import Problem

    return {status: {"model": Problem, "description": TITLES.get(status, "Error")}
            for status in statuses}
