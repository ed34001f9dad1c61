"""The investigator queries (调查查询) with an as-of date, within the configured caps."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.http import shapes
from api.http.deps import READERS, Audit, BackendDep, CurrentPrincipal, allow, check_region
from api.http.models import (
    USCC_PATTERN,
    ClusterOut,
    Controllers,
    Network,
    Paths,
    Penetration,
    SuspectedOut,
)
from api.http.problems import responses
from api.http.routes.enterprises import Uscc

router = APIRouter(prefix="/graph", tags=["graph"])
ERRORS = responses(400, 401, 403, 404, 422, 429, 503)
AsOf = Annotated[dt.date | None, Query(description="facts valid on this date (default today)")]


@router.get("/network/{uscc}", response_model=Network, responses=ERRORS, **allow(*READERS))
def network(uscc: Uscc, backend: BackendDep, principal: CurrentPrincipal, audit: Audit,
            as_of: AsOf = None, hops: Annotated[int, Query(ge=1, le=4)] = 2,
            kinds: Annotated[list[str] | None, Query(
                description="shareholding, legal_rep, officer, branch, contact")] = None,
            min_share: Annotated[float, Query(ge=0, le=1)] = 0.0,
            status: Annotated[list[str] | None, Query(max_length=10)] = None,
            classes: Annotated[list[Literal["A", "B", "C", "D"]] | None, Query()] = None,
            max_nodes: Annotated[int, Query(ge=1)] = 500) -> Network:
    """The related-party network within ``hops`` (关联网络), cut to the node budget."""
    check_region(backend, principal, uscc)
    settings = backend.settings
    risk_classes = backend.results.classes()
    result = backend.engine().network(
        uscc, hops=min(hops, settings.max_hops), kinds=shapes.relationship_types(kinds),
        min_share=min_share, as_of=as_of, statuses=status, classes=classes,
        risk_classes=risk_classes, max_nodes=min(max_nodes, settings.max_nodes))
    audit("graph.network", f"enterprise:{uscc}", hops=hops, nodes=len(result.nodes))
    return shapes.network(result, risk_classes)


@router.get("/penetration/{uscc}", response_model=Penetration, responses=ERRORS,
            **allow(*READERS))
def penetration(uscc: Uscc, backend: BackendDep, principal: CurrentPrincipal, audit: Audit,
                as_of: AsOf = None, direction: Literal["up", "down"] = "up",
                depth: Annotated[int, Query(ge=1, le=10)] = 10) -> Penetration:
    """Who holds it (up) or what it holds (down), with cumulative shares (股权穿透)."""
    check_region(backend, principal, uscc)
    engine = backend.engine()
    result = engine.penetration(uscc, direction=direction, as_of=as_of,
                                max_depth=min(depth, backend.settings.max_depth))
    controller = (engine.controllers(uscc, as_of=as_of).actual_controller
                  if direction == "up" else None)
    audit("graph.penetration", f"enterprise:{uscc}", direction=direction)
    return shapes.penetration(result, controller, backend.results.classes())


@router.get("/controllers/{uscc}", response_model=Controllers, responses=ERRORS,
            **allow(*READERS))
def controllers(uscc: Uscc, backend: BackendDep, principal: CurrentPrincipal, audit: Audit,
                as_of: AsOf = None,
                threshold: Annotated[float, Query(gt=0, le=1)] = 0.25) -> Controllers:
    """Actual controller and ultimate beneficial owners (实际控制人 / 受益所有人)."""
    check_region(backend, principal, uscc)
    result = backend.engine().controllers(uscc, threshold=threshold, as_of=as_of)
    audit("graph.controllers", f"enterprise:{uscc}")
    return shapes.controllers(result)


@router.get("/suspected/{uscc}", response_model=SuspectedOut, responses=ERRORS,
            **allow(*READERS))
def suspected(uscc: Uscc, backend: BackendDep, principal: CurrentPrincipal, audit: Audit,
              as_of: AsOf = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50) -> SuspectedOut:
    """Enterprises sharing contacts or people with it, most links first (疑似关联)."""
    check_region(backend, principal, uscc)
    result = backend.engine().suspected(uscc, as_of=as_of, limit=limit)
    audit("graph.suspected", f"enterprise:{uscc}", total=result.total)
    return shapes.suspected(result, backend.results.classes())


@router.get("/paths", response_model=Paths, responses=ERRORS, **allow(*READERS))
def paths(backend: BackendDep, principal: CurrentPrincipal, audit: Audit,
          source: Annotated[str, Query(pattern=USCC_PATTERN)],
          target: Annotated[str, Query(pattern=USCC_PATTERN)],
          as_of: AsOf = None, max_hops: Annotated[int, Query(ge=1, le=6)] = 6,
          max_paths: Annotated[int, Query(ge=1, le=100)] = 20) -> Paths:
    """All shortest paths between two enterprises (最短关联路径)."""
    check_region(backend, principal, source)
    check_region(backend, principal, target)
    result = backend.engine().paths(source, target, max_hops=max_hops, as_of=as_of,
                                    max_paths=max_paths)
    audit("graph.paths", f"enterprise:{source}", target=target, length=result.length)
    return shapes.paths(result, backend.results.classes())


@router.get("/clusters/{uscc}", response_model=ClusterOut, responses=ERRORS,
            **allow(*READERS))
def clusters(uscc: Uscc, backend: BackendDep, principal: CurrentPrincipal, audit: Audit,
             as_of: AsOf = None) -> ClusterOut:
    """The control group around it: holdings and branches, with cross-holding rings."""
    check_region(backend, principal, uscc)
    group = backend.engine().cluster(uscc, as_of=as_of, risk_classes=backend.results.classes())
    audit("graph.clusters", f"enterprise:{uscc}", size=group.size)
    return ClusterOut(uscc=uscc, as_of=as_of or dt.date.today(),
                      enterprises=list(group.enterprises), people=group.people,
                      cycles=[list(c) for c in group.cycles],
                      class_counts=dict(group.class_counts) if group.class_counts else None,
                      truncated=group.truncated)
