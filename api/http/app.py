"""The HTTP API (FastAPI), versioned under /api/v1: ``create_app(settings)``.

Routers per resource (auth, health, enterprises, scores, graph, supervision), joined
here with the problem handlers, the request limits and, when ``web/static/`` exists, the
investigator page at ``/``. Serve it with ``riskgraph serve``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.backend import Backend
from api.http import problems
from api.http.limits import LimitsMiddleware
from api.http.routes import auth, enterprises, graph, health, scores, supervision
from api.settings import Settings

PREFIX = "/api/v1"
STATIC = Path(__file__).resolve().parents[2] / "web" / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    backend = Backend(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        backend.close()

    app = FastAPI(
        title="riskgraph API", version="1",
        description="Enterprise credit-risk classes, investigator queries and supervision "
                    "(企业信用风险分类：内部使用，不对外公开). Every endpoint but health needs a "
                    "bearer token (POST /api/v1/auth/token) or an X-API-Key.",
        openapi_url=f"{PREFIX}/openapi.json", docs_url=f"{PREFIX}/docs", redoc_url=None,
        lifespan=lifespan)
    app.state.backend = backend
    problems.install(app)
    app.add_middleware(LimitsMiddleware, rate=settings.rate_limit_per_second,
                       burst=settings.rate_limit_burst, max_body=settings.max_request_bytes)
    for router in (health.router, auth.router, enterprises.router, scores.router,
                   graph.router, supervision.router):
        app.include_router(router, prefix=PREFIX)
    if STATIC.is_dir():
        app.mount("/", StaticFiles(directory=STATIC, html=True), name="web")
    return app
