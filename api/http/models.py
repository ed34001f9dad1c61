"""The API's request and response models, declared once (JSON fields: English snake_case).

Responses are declared as ``response_model`` so that nothing internal leaks and the
OpenAPI document (``/api/v1/openapi.json``) describes every field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.auth import Role

USCC_PATTERN = r"^[0-9A-Z]{18}$"
MONTH_PATTERN = r"^\d{4}-\d{2}$"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(_Out):
    """RFC 9457 problem details: every error the API gives has this shape."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


# --- auth ---


class Token(_Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int  # seconds


class Me(_Out):
    username: str
    role: Role
    regions: list[str]


class UserOut(_Out):
    username: str
    role: Role
    regions: list[str]
    created: str


class Users(_Out):
    items: list[UserOut]


class AuditCheck(_Out):
    ok: bool
    entries: int
    first_broken_line: int | None
    reason: str


# --- health ---


class Health(_Out):
    status: Literal["ok"] = "ok"


class Ready(_Out):
    status: Literal["ready"]
    graph: str
    snapshot: str | None


# --- enterprises ---


class EnterpriseItem(_Out):
    uscc: str
    name: str | None
    entity_type: str | None
    region_code: str | None
    industry_code: str | None
    status: str | None


class Enterprises(_Out):
    items: list[EnterpriseItem]


class PartyOut(_Out):
    """A node as shown: persons by name and masked identity number only."""

    id: str  # enterprise:<uscc>, person:<hashed id>, address:<text> ...
    kind: str  # enterprise, person, address, phone, email
    label: str  # display name
    uscc: str | None = None
    id_masked: str | None = None
    entity_type: str | None = None
    status: str | None = None
    risk_class: str | None = None


class Holding(_Out):
    holder: PartyOut
    share: float | None
    since: dt.date | None = None


class PersonRole(_Out):
    person: PartyOut
    role: str | None = None
    since: dt.date | None = None


class Profile(_Out):
    uscc: str
    as_of: dt.date
    registration: dict[str, Any]  # the Enterprise record's fields as delivered
    legal_representatives: list[PersonRole]
    shareholders: list[Holding]
    officers: list[PersonRole]
    branches: list[PartyOut]  # branches of it, and the enterprise it is a branch of
    contacts: list[PartyOut]  # registered address, phone, e-mail


class Dimension(_Out):
    code: str
    name_zh: str
    name_en: str
    score: float
    contribution: float


class Reason(_Out):
    code: str
    label_zh: str
    label_en: str
    value: str | None
    points: float
    record_zh: str
    record_en: str
    text_zh: str
    text_en: str


class GraphReason(_Out):
    text_zh: str
    text_en: str
    contribution: float | None  # points of the uplift
    path: list[str]  # node ids from the enterprise to the neighbour, when the snapshot has them


class Counterfactual(_Out):
    code: str | None
    threshold: float | None
    text_zh: str
    text_en: str


class SectorClass(_Out):
    name_zh: str
    name_en: str
    risk_class: str
    score: float


class RiskResult(_Out):
    """The month's snapshot row of one enterprise (内部使用，不对外公开)."""

    uscc: str
    month: str
    as_of: str
    risk_class: Literal["A", "B", "C", "D"]
    final_score: float
    base_score: float
    graph_uplift: float
    dimensions: list[Dimension]
    rule: str | None
    rule_record_zh: str | None
    rule_record_en: str | None
    reasons: list[Reason]
    graph_reasons: list[GraphReason]
    counterfactual: Counterfactual
    sector_classes: dict[str, SectorClass]


class HistoryItem(_Out):
    month: str
    risk_class: str
    final_score: float


class History(_Out):
    uscc: str
    items: list[HistoryItem]


class RecordItem(_Out):
    kind: str
    date: dt.date | None
    event_id: str
    label_zh: str
    label_en: str
    details: dict[str, Any]


class Records(_Out):
    uscc: str
    items: list[RecordItem]


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    usccs: list[str] = Field(min_length=1, max_length=10_000)
    month: str | None = Field(default=None, pattern=MONTH_PATTERN)


class BatchOut(_Out):
    month: str
    items: list[RiskResult]
    unknown: list[str]


# --- graph ---


class EdgeOut(_Out):
    source: str
    target: str
    kind: str  # shareholding, legal_rep, officer, branch, address, phone, email
    share: float | None = None
    role: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


class NetworkNode(PartyOut):
    depth: int


class Network(_Out):
    uscc: str
    as_of: dt.date
    hops: int
    nodes: list[NetworkNode]
    edges: list[EdgeOut]
    truncated: bool


class StakeNode(PartyOut):
    cumulative_share: float
    direct_share: float
    depth: int
    paths: int
    parent: str | None  # the next node towards the root on a shortest chain


class Penetration(_Out):
    root: str
    direction: Literal["up", "down"]
    as_of: dt.date
    nodes: list[StakeNode]
    edges: list[EdgeOut]
    controller: PartyOut | None
    truncated: bool


class Owner(_Out):
    party: PartyOut
    share: float
    majority_chain: bool
    kind: Literal["person", "state"]


class Controllers(_Out):
    uscc: str
    as_of: dt.date
    threshold: float
    owners: list[Owner]
    actual_controller: PartyOut | None
    reason: str | None
    reason_zh: str | None
    truncated: bool


class SharedLinkOut(_Out):
    kind: str
    kind_zh: str
    via: PartyOut


class Suspected(_Out):
    enterprise: PartyOut
    count: int
    links: list[SharedLinkOut]


class SuspectedOut(_Out):
    uscc: str
    as_of: dt.date
    total: int
    items: list[Suspected]


class PathOut(_Out):
    nodes: list[PartyOut]
    edges: list[EdgeOut]


class Paths(_Out):
    source: str
    target: str
    as_of: dt.date
    length: int | None
    total: int
    truncated: bool
    paths: list[PathOut]


class ClusterOut(_Out):
    uscc: str
    as_of: dt.date
    enterprises: list[str]
    people: int
    cycles: list[list[str]]
    class_counts: dict[str, int] | None
    truncated: bool


# --- supervision ---


class PlanSummary(_Out):
    task_id: str
    title_zh: str
    title_en: str
    as_of: str
    status: Literal["created", "drawn"]
    drawn: int
    outcomes: int


class Plans(_Out):
    items: list[PlanSummary]


class PlanDetail(_Out):
    """A plan with its draw (internal: carries classes and check modes)."""

    summary: PlanSummary
    plan: dict[str, Any]
    population_sha256: str | None
    pool: list[dict[str, Any]]
    loads: dict[str, int]
    enterprises: list[dict[str, Any]]


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    uscc: str = Field(pattern=USCC_PATTERN)
    outcome: Literal["clean", "problem", "not_found", "refused"]
    date: dt.date
    note: str = Field(default="", max_length=2000)


class OutcomesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    results: list[OutcomeIn] = Field(min_length=1, max_length=10_000)


class Recorded(_Out):
    task_id: str
    recorded: int


class WarningOut(_Out):
    warning_id: str
    rule: str
    label_zh: str
    label_en: str
    as_of: str
    subject: str
    enterprises: list[str]
    evidence_zh: str
    evidence_en: str
    status: str
    assignee: str
    actions: str
    outcome: str


class Warnings(_Out):
    items: list[WarningOut]


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(min_length=1, max_length=200)


class ActIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["reminder", "warning_letter", "interview", "inspection"]
    note: str = Field(default="", max_length=2000)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(min_length=1, max_length=2000)


class WarningHistory(_Out):
    warning_id: str
    items: list[dict[str, Any]]


class ClassMixRow(_Out):
    group: str
    total: int
    A: int
    B: int
    C: int
    D: int
    A_share: float
    B_share: float
    C_share: float
    D_share: float


class Statistics(_Out):
    month: str
    enterprises: int
    overall: ClassMixRow | None
    by_region: list[ClassMixRow]
    by_industry: list[ClassMixRow]


class Backtest(_Out):
    ordered_D_gt_C_gt_B_gt_A: bool
    intervals_separated: bool
    overall: list[dict[str, Any]]
    by_region: list[dict[str, Any]]
    by_industry: list[dict[str, Any]]
