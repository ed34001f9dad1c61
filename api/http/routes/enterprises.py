"""Enterprises: search, profile, risk result (audited), history (audited), records."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response

from api.http import shapes
from api.http.deps import READERS, Audit, BackendDep, CurrentPrincipal, allow, check_region
from api.http.models import (
    MONTH_PATTERN,
    USCC_PATTERN,
    Enterprises,
    History,
    HistoryItem,
    Profile,
    RecordItem,
    Records,
    RiskResult,
)
from api.http.problems import responses

router = APIRouter(prefix="/enterprises", tags=["enterprises"])
Uscc = Annotated[str, Path(pattern=USCC_PATTERN, description="统一社会信用代码 (18 characters)")]
RECORD_LABELS = {
    "change": ("变更登记", "change"), "filing": ("备案", "filing"),
    "equity_pledge": ("股权出质", "equity pledge"), "ip_pledge": ("知识产权出质", "IP pledge"),
    "licence": ("行政许可", "licence"), "penalty": ("行政处罚", "administrative penalty"),
    "abnormal_listing": ("经营异常名录", "abnormal-operations list"),
    "serious_dishonesty": ("严重违法失信名单", "serious-dishonesty list"),
    "inspection": ("抽查检查", "inspection"), "complaint": ("投诉举报", "complaint"),
    "annual_report": ("年度报告", "annual report"),
    "court_enforcement": ("法院强制执行", "court enforcement"),
    "tax_violation": ("税收违法", "tax violation"),
}
ERRORS = responses(401, 403, 404, 422, 429, 503)


@router.get("", response_model=Enterprises, responses=ERRORS, **allow(*READERS))
def search(backend: BackendDep, principal: CurrentPrincipal,
           q: Annotated[str, Query(min_length=1, max_length=100,
                                   description="USCC, name (partial) or a person's name")],
           limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Enterprises:
    """Search by USCC (exact), enterprise name (normalised, partial) or person name."""
    items = [item for item in backend.search(q, limit)
             if principal.may_see_region(item.get("region_code"))]
    return Enterprises.model_validate({"items": items})


@router.get("/{uscc}", response_model=Profile, responses=ERRORS, **allow(*READERS))
def profile(uscc: Uscc, backend: BackendDep, principal: CurrentPrincipal,
            as_of: dt.date | None = None) -> Profile:
    """Registration attributes, legal representatives, shareholders, officers, branches
    and contacts in force on ``as_of`` (default today)."""
    check_region(backend, principal, uscc)
    result = backend.engine().network(uscc, hops=1, as_of=as_of,
                                      max_nodes=backend.settings.max_nodes)
    return shapes.profile(result)


@router.get("/{uscc}/risk", response_model=RiskResult, responses=ERRORS, **allow(*READERS))
def risk(uscc: Uscc, backend: BackendDep, principal: CurrentPrincipal, audit: Audit,
         month: Annotated[str | None, Query(pattern=MONTH_PATTERN)] = None) -> Response:
    """The month's risk result (default: the latest snapshot): class, final, base and
    uplift scores, dimensions, reasons with their records, graph reasons, sector classes.
    Every read is audited."""
    check_region(backend, principal, uscc)
    result = backend.results.result(uscc, month)
    audit("risk.read", f"enterprise:{uscc}", month=month or "latest", found=result is not None)
    if result is None:
        raise HTTPException(404, f"enterprise {uscc} has no risk result in "
                                 f"{month or 'the latest snapshot'}")
    # Serialised when the month was loaded, in RiskResult's shape (the tests check it).
    return Response(result, media_type="application/json")


@router.get("/{uscc}/risk/history", response_model=History, responses=ERRORS,
            **allow(*READERS))
def risk_history(uscc: Uscc, backend: BackendDep, principal: CurrentPrincipal,
                 audit: Audit) -> History:
    """Class and final score by month over every snapshot. Audited."""
    check_region(backend, principal, uscc)
    items = backend.results.history(uscc)
    audit("risk.history", f"enterprise:{uscc}", months=len(items))
    if not items:
        raise HTTPException(404, f"enterprise {uscc} is in no snapshot")
    return History(uscc=uscc, items=[HistoryItem.model_validate(i) for i in items])


@router.get("/{uscc}/records", response_model=Records, responses=ERRORS, **allow(*READERS))
def records(uscc: Uscc, backend: BackendDep, principal: CurrentPrincipal) -> Records:
    """Every record of the enterprise (penalties, listings, inspections...) on a timeline."""
    check_region(backend, principal, uscc)
    items = []
    for record in backend.engine().records(uscc):
        zh, en = RECORD_LABELS.get(record.kind, (record.kind, record.kind))
        items.append(RecordItem(kind=record.kind, date=record.date, event_id=record.event_id,
                                label_zh=zh, label_en=en, details=dict(record.properties)))
    return Records(uscc=uscc, items=items)
