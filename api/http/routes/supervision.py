"""Spot-check plans (双随机、一公开), warnings (风险预警) and their handling, statistics and
the plans' backtest (结果回溯). Every change is audited."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query

from api import supervise
from api.http.deps import ANALYSTS, HANDLERS, Audit, BackendDep, CurrentPrincipal, allow
from api.http.models import (
    MONTH_PATTERN,
    ActIn,
    AssignIn,
    Backtest,
    CloseIn,
    OutcomesIn,
    PlanDetail,
    Plans,
    PlanSummary,
    Recorded,
    Statistics,
    WarningHistory,
    WarningOut,
    Warnings,
)
from api.http.problems import responses
from risk.early_warning import WarningStateError
from risk.feedback import backtest as plans_backtest
from risk.feedback import inspected
from risk.spotcheck import Plan, load_supervision_config, public_record

router = APIRouter(tags=["supervision"])
ERRORS = responses(401, 403, 404, 409, 422, 429, 503)
TaskId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$")]
WarningId = Annotated[str, Path(max_length=200)]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", force_ascii=False,
                                                         date_format="iso"))
    return rows


@router.get("/plans", response_model=Plans, responses=ERRORS, **allow(*ANALYSTS))
def plans(backend: BackendDep) -> Plans:
    """Every plan: created (waiting for the draw) or drawn, with outcomes recorded."""
    return Plans.model_validate({"items": supervise.plan_summaries(backend.settings)})


@router.post("/plans", response_model=PlanSummary, status_code=201, responses=ERRORS,
             **allow(*ANALYSTS))
def create_plan(plan: Plan, backend: BackendDep, audit: Audit) -> PlanSummary:
    """Create a plan (scope, check items, ratios, inspectors); the seed is fixed now."""
    plan = Plan.from_policy(load_supervision_config().spotcheck,
                            **plan.model_dump(exclude_unset=True))
    supervise.create_plan(backend.settings, plan)
    audit("plan.create", f"plan:{plan.task_id}", seed=plan.seed)
    return PlanSummary.model_validate(supervise.plan_summary(backend.settings, plan.task_id))


@router.get("/plans/{task_id}", response_model=PlanDetail, responses=ERRORS,
            **allow(*ANALYSTS))
def plan(task_id: TaskId, backend: BackendDep) -> PlanDetail:
    """A plan and its draw (internal: classes and check modes of the drawn enterprises)."""
    summary = supervise.plan_summary(backend.settings, task_id)
    if summary["status"] == "created":
        created = supervise.created_plan(backend.settings, task_id)
        return PlanDetail.model_validate({
            "summary": summary, "plan": json.loads(created.model_dump_json()),
            "population_sha256": None, "pool": [], "loads": {}, "enterprises": []})
    result = backend.plans.load(task_id)
    frame = result.frame.assign(team=result.frame["team"].map(list))
    return PlanDetail.model_validate({
        "summary": summary, "plan": json.loads(result.plan.model_dump_json()),
        "population_sha256": result.population_sha256,
        "pool": _records(result.pool.reset_index(names="risk_class")),
        "loads": {str(k): int(v) for k, v in result.loads.items()},
        "enterprises": _records(frame)})


@router.post("/plans/{task_id}/draw", response_model=PlanSummary, responses=ERRORS,
             **allow(*ANALYSTS))
def draw(task_id: TaskId, backend: BackendDep, audit: Audit) -> PlanSummary:
    """Draw a created plan's enterprises and inspectors (once; reproducible by its seed)."""
    created = supervise.created_plan(backend.settings, task_id)
    result = supervise.draw_plan(backend.settings, backend.store(), created)
    supervise.drop_created(backend.settings, task_id)
    audit("plan.draw", f"plan:{task_id}", drawn=len(result.frame),
          population_sha256=result.population_sha256)
    return PlanSummary.model_validate(supervise.plan_summary(backend.settings, task_id))


@router.post("/plans/{task_id}/results", response_model=Recorded, responses=ERRORS,
             **allow(*ANALYSTS))
def record(task_id: TaskId, body: OutcomesIn, backend: BackendDep, audit: Audit) -> Recorded:
    """Record inspection outcomes: they become Inspection events of the enterprises and
    count from the next classification."""
    frame = pd.DataFrame([item.model_dump() for item in body.results])
    with backend.changing() as store:
        recorded = supervise.record_frame(backend.settings, store, task_id, frame)
    audit("plan.results", f"plan:{task_id}", recorded=recorded,
          outcomes={r.uscc: r.outcome for r in body.results})
    return Recorded(task_id=task_id, recorded=recorded)


@router.get("/plans/{task_id}/public", response_model=dict[str, Any], responses=ERRORS,
            **allow(*ANALYSTS))
def public(task_id: TaskId, backend: BackendDep) -> dict[str, Any]:
    """The public part (一公开): no class, no check mode; outcomes once recorded."""
    result = public_record(backend.plans.load(task_id), backend.plans.outcomes(task_id))
    return result


def _warning(row: dict[Any, Any]) -> WarningOut:
    enterprises = row.get("enterprises") or []
    return WarningOut.model_validate({**{k: ("" if v is None else v) for k, v in row.items()},
                                      "enterprises": [str(u) for u in enterprises]})


@router.get("/warnings", response_model=Warnings, responses=ERRORS, **allow(*HANDLERS))
def warnings(backend: BackendDep, principal: CurrentPrincipal,
             status: Literal["open", "assigned", "in_progress", "closed"] | None = None,
             limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> Warnings:
    """Warnings and where their handling stands (预警处置状态)."""
    state = backend.warnings.state()
    if status:
        state = state.loc[state["status"] == status]
    items = [_warning(row) for row in state.to_dict("records")]
    if principal.regions:  # subjects are enterprises: keep those in the caller's regions
        regions = backend.region_of([u for w in items for u in w.enterprises])
        items = [w for w in items if any(principal.may_see_region(str(regions.get(u, "")))
                                         for u in w.enterprises)]
    return Warnings(items=items[:limit])


@router.post("/warnings/{warning_id}/assign", response_model=WarningOut, responses=ERRORS,
             **allow(*HANDLERS))
def assign(warning_id: WarningId, body: AssignIn, backend: BackendDep,
           principal: CurrentPrincipal, audit: Audit) -> WarningOut:
    """Assign a warning to an officer or unit (分派)."""
    backend.warnings.assign(warning_id, body.to, principal.name)
    audit("warning.assign", f"warning:{warning_id}", to=body.to)
    return _current(backend, warning_id)


@router.post("/warnings/{warning_id}/act", response_model=WarningOut, responses=ERRORS,
             **allow(*HANDLERS))
def act(warning_id: WarningId, body: ActIn, backend: BackendDep, principal: CurrentPrincipal,
        audit: Audit) -> WarningOut:
    """Record an action: reminder 提醒, warning letter 警示函, interview 约谈, inspection 检查."""
    backend.warnings.act(warning_id, body.action, principal.name, body.note)
    audit("warning.act", f"warning:{warning_id}", action=body.action)
    return _current(backend, warning_id)


@router.post("/warnings/{warning_id}/close", response_model=WarningOut, responses=ERRORS,
             **allow(*HANDLERS))
def close(warning_id: WarningId, body: CloseIn, backend: BackendDep,
          principal: CurrentPrincipal, audit: Audit) -> WarningOut:
    """Close a warning with its outcome (办结)."""
    backend.warnings.close(warning_id, body.outcome, principal.name)
    audit("warning.close", f"warning:{warning_id}", outcome=body.outcome)
    return _current(backend, warning_id)


@router.get("/warnings/{warning_id}/history", response_model=WarningHistory,
            responses=ERRORS, **allow(*HANDLERS))
def history(warning_id: WarningId, backend: BackendDep) -> WarningHistory:
    """Every recorded step of a warning (处置记录)."""
    items = backend.warnings.history(warning_id)
    if not items:
        raise WarningStateError(f"no warning {warning_id!r}")
    return WarningHistory(warning_id=warning_id, items=items)


def _current(backend: BackendDep, warning_id: str) -> WarningOut:
    state = backend.warnings.state()
    return _warning(state.loc[state["warning_id"] == warning_id].iloc[0].to_dict())


@router.get("/statistics", response_model=Statistics, responses=ERRORS, **allow(*ANALYSTS))
def statistics(backend: BackendDep, month: Annotated[str | None, Query(
        pattern=MONTH_PATTERN)] = None) -> Statistics:
    """Class distribution overall, by prefecture and by industry section (internal)."""
    return Statistics.model_validate(backend.statistics(month))


@router.get("/backtest", response_model=Backtest, responses=ERRORS, **allow(*ANALYSTS))
def backtest(backend: BackendDep) -> Backtest:
    """Problem-discovery rate per class over the plans with outcomes (Wilson intervals),
    overall, by prefecture and by industry; does D > C > B > A hold."""
    return Backtest.model_validate(plans_backtest(inspected(backend.plans)).to_dict())
