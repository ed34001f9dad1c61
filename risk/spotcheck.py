""""Double random, one public" (双随机、一公开) spot-check plans: the draw and its publication.

A plan names its scope, check items, minimum ratios per class and a roster of inspectors,
and carries a seed (generated with :mod:`secrets`, recorded and published). The draw is a
pure function of the plan and the population (the class snapshot joined with the
enterprises' registration data and their last inspection):

1. the population is put in USCC order and cut to the scope, the drawable statuses and,
   unless the plan allows it, outside the observation period;
2. ``rng = numpy.random.Generator(numpy.random.PCG64(seed))`` draws one uniform key per
   enterprise in that order (``rng.random(n)``);
3. in each class, ``ceil(ratio * N_class)`` enterprises are taken: first those not
   inspected in the last ``exclude_months`` months, then (only if the pool runs out) the
   recently inspected ones, each by ascending key;
4. the drawn enterprises get teams of ``team_size`` inspectors from the same generator
   (see :func:`assign_inspectors`): never from the enterprise's own region when the plan
   says so, loads as even as the region rule allows.

Anyone with the plan (seed included) and the same population re-runs the draw and gets
the same enterprises and teams; the plan records the population's SHA-256 to check it.
The public document (:func:`public_document`) lists the task, scope, ratios, seed, the
drawn enterprises in USCC order with their check items and teams, and later the
outcomes; it never shows a class or the check mode (an off-site check would reveal A).
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from features.config import ConfigError
from features.tables import GraphTables
from risk.classify import CLASSES, RiskClass

DEFAULT_SUPERVISION = Path(__file__).with_name("supervision.toml")
CheckMode = Literal["off_site", "on_site"]
PUBLIC_COLUMNS = ("uscc", "name", "region_code", "check_items", "team", "team_units",
                  "outcome", "outcome_date")
OUTCOME_LABELS = {
    "clean": ("未发现问题", "no problem found"),
    "problem": ("发现问题", "problem found"),
    "not_found": ("通过登记的住所（经营场所）无法联系", "not found at the registered address"),
    "refused": ("不配合检查（拒绝检查）", "refused the inspection"),
}


def _default_modes() -> dict[RiskClass, CheckMode]:
    return {"A": "off_site", "B": "on_site", "C": "on_site", "D": "on_site"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ratios(_Strict):
    A: float = Field(default=0.01, ge=0, le=1)
    B: float = Field(default=0.03, ge=0, le=1)
    C: float = Field(default=0.10, ge=0, le=1)
    D: float = Field(default=0.20, ge=0, le=1)

    def of(self, risk_class: str) -> float:
        value: float = getattr(self, risk_class)
        return value


class SpotCheckPolicy(_Strict):
    ratios: Ratios = Field(default_factory=Ratios)
    exclude_months: int = Field(default=12, ge=0)
    draw_observation: bool = False
    observation_years: float = Field(default=1.0, ge=0)
    team_size: int = Field(default=2, ge=1)
    avoid_own_region: bool = True
    check_mode: dict[RiskClass, CheckMode] = Field(default_factory=_default_modes)
    statuses: tuple[str, ...] = ("operating",)


class WarningRule(_Strict):
    id: str
    kind: Literal["registrations_at_address", "registrations_by_person", "legal_rep_changes",
                  "complaint_growth", "related_fell_to_d", "class_jump"]
    label_zh: str
    label_en: str
    window_days: int = Field(default=365, gt=0)
    at_least: int = Field(default=1, ge=1)
    threshold: float = Field(default=0.0, ge=0)
    min_recent: int = Field(default=0, ge=0)


class SupervisionConfig(_Strict):
    version: str
    spotcheck: SpotCheckPolicy = Field(default_factory=SpotCheckPolicy)
    warnings: tuple[WarningRule, ...] = ()

    @model_validator(mode="after")
    def _unique_rules(self) -> SupervisionConfig:
        ids = [rule.id for rule in self.warnings]
        if len(ids) != len(set(ids)):
            raise ValueError(f"warning rule ids must be unique, got {ids}")
        return self


def load_supervision_config(path: Path = DEFAULT_SUPERVISION) -> SupervisionConfig:
    """Read and check the supervision file; errors name the file and the entry."""
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        return SupervisionConfig.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(path, "(file)", str(error)) from None
    except ValidationError as error:
        problem = error.errors()[0]
        location = ".".join(str(part) for part in problem["loc"]) or "(file)"
        raise ConfigError(path, f"[{location}]", problem["msg"]) from None


class Inspector(_Strict):
    """执法检查人员: id, name, unit (执法单位), region code (GB/T 2260, any length)."""

    inspector_id: str
    name: str
    unit: str
    region_code: str


class Scope(_Strict):
    """Who may be drawn; every list empty means no restriction. Region and industry codes
    match as prefixes (``3301`` is every district of Hangzhou, ``C`` is not a code: use
    GB/T 4754 class code prefixes such as ``14``)."""

    regions: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    entity_types: tuple[str, ...] = ()


class Plan(_Strict):
    """A spot-check plan (抽查计划). ``seed`` is generated when not given."""

    task_id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title_zh: str
    title_en: str
    as_of: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")  # the classification it draws on
    scope: Scope = Field(default_factory=Scope)
    check_items: tuple[str, ...] = Field(min_length=1)
    ratios: Ratios = Field(default_factory=Ratios)
    exclude_months: int = Field(default=12, ge=0)
    draw_observation: bool = False
    observation_years: float = 1.0
    team_size: int = Field(default=2, ge=1)
    avoid_own_region: bool = True
    check_mode: dict[RiskClass, CheckMode] = Field(default_factory=_default_modes)
    statuses: tuple[str, ...] = ("operating",)
    inspectors: tuple[Inspector, ...] = Field(min_length=1)
    seed: int = Field(default_factory=lambda: secrets.randbits(63), ge=0)

    @classmethod
    def from_policy(cls, policy: SpotCheckPolicy, **fields: Any) -> Plan:
        """A plan with the configured policy as defaults; ``fields`` override them."""
        defaults = policy.model_dump()
        defaults.update(fields)
        return cls.model_validate(defaults)


@dataclass(frozen=True)
class Draw:
    """The drawn enterprises (internal: carries the class) and the inspectors' loads.

    ``frame`` columns: uscc, name, region_code, industry_code, risk_class, check_mode,
    recently_checked, team (tuple of inspector ids), team_units; in USCC order.
    """

    plan: Plan
    frame: pd.DataFrame
    pool: pd.DataFrame  # per class: in_scope, eligible, required, drawn, recent_drawn
    loads: pd.Series  # inspector id -> enterprises assigned
    population_sha256: str


def population(tables: GraphTables, classes: pd.Series) -> pd.DataFrame:
    """The draw's input: one row per classified enterprise, in USCC order.

    Columns: uscc, name, region_code, industry_code, entity_type, sectors, status,
    established, risk_class, last_inspection (NaT when never inspected).
    """
    frame = tables.enterprises.loc[tables.enterprises.index.isin(classes.index), [
        "uscc", "name", "region_code", "industry_code", "entity_type", "sectors", "status",
        "established"]].copy()
    frame["risk_class"] = classes.reindex(frame.index).to_numpy()
    inspections = tables.event("inspection")
    last = inspections.groupby("uscc")["date"].max()
    frame["last_inspection"] = pd.to_datetime(last.reindex(frame.index)).to_numpy()
    return frame.sort_values("uscc").reset_index(drop=True)


def population_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of what the draw reads, so that a re-run can be checked for the same input."""
    columns = ["uscc", "risk_class", "region_code", "industry_code", "entity_type", "status",
               "established", "last_inspection"]
    text = frame[columns].astype(str).to_csv(index=False)
    sectors = frame["sectors"].map(lambda s: ",".join(sorted(s or ()))).str.cat(sep="|")
    return hashlib.sha256((text + sectors).encode()).hexdigest()


def _prefix_match(values: pd.Series, prefixes: tuple[str, ...]) -> npt.NDArray[np.bool_]:
    if not prefixes:
        return np.ones(len(values), dtype=bool)
    result: npt.NDArray[np.bool_] = np.array(
        values.fillna("").astype(str).str.startswith(prefixes).to_numpy(), dtype=bool)
    return result


def in_scope(frame: pd.DataFrame, scope: Scope) -> npt.NDArray[np.bool_]:
    keep = _prefix_match(frame["region_code"], scope.regions)
    keep &= _prefix_match(frame["industry_code"], scope.industries)
    if scope.entity_types:
        keep &= frame["entity_type"].isin(scope.entity_types).to_numpy()
    if scope.sectors:
        members = frame["sectors"].explode()
        hit = members.isin(scope.sectors).groupby(level=0).any()
        keep &= hit.reindex(frame.index, fill_value=False).to_numpy()
    return keep


def drawable(plan: Plan, frame: pd.DataFrame) -> npt.NDArray[np.bool_]:
    """In a drawable status and, unless the plan allows it, past the observation period."""
    age = (pd.Timestamp(plan.as_of) - pd.to_datetime(frame["established"])).dt.days
    observing = (age.to_numpy() / 365.25) < plan.observation_years
    allowed: npt.NDArray[np.bool_] = frame["status"].isin(plan.statuses).to_numpy() & (
        plan.draw_observation | ~observing)
    return allowed


def draw(plan: Plan, pool: pd.DataFrame) -> Draw:
    """Draw the plan's enterprises and inspectors from ``pool`` (see :func:`population`)."""
    frame = pool.sort_values("uscc", kind="stable").reset_index(drop=True)
    digest = population_digest(frame)
    as_of = pd.Timestamp(plan.as_of)
    rng = np.random.Generator(np.random.PCG64(plan.seed))
    key = rng.random(len(frame))  # one key per enterprise, in USCC order

    scoped = in_scope(frame, plan.scope) & frame["status"].isin(plan.statuses).to_numpy()
    eligible = scoped & drawable(plan, frame)
    cutoff = as_of - pd.DateOffset(months=plan.exclude_months)
    last = pd.to_datetime(frame["last_inspection"])
    recent = (last.notna() & (last > cutoff)).to_numpy() & (plan.exclude_months > 0)
    class_code = pd.Categorical(frame["risk_class"], categories=list(CLASSES)).codes

    rows = np.flatnonzero(eligible)
    eligible_per_class = np.bincount(class_code[rows], minlength=len(CLASSES))
    required = np.asarray([math.ceil(plan.ratios.of(c) * n - 1e-9)
                           for c, n in zip(CLASSES, eligible_per_class, strict=True)])
    order = rows[np.lexsort((key[rows], recent[rows], class_code[rows]))]
    ordered_class = class_code[order]
    starts = np.searchsorted(ordered_class, np.arange(len(CLASSES)))
    rank = np.arange(len(order)) - starts[ordered_class]
    chosen = np.sort(order[rank < required[ordered_class]])

    drawn = frame.iloc[chosen].reset_index(drop=True)
    drawn_class = class_code[chosen]
    pool_table = pd.DataFrame({
        "in_scope": np.bincount(class_code[scoped], minlength=len(CLASSES)),
        "eligible": eligible_per_class,
        "ratio": [plan.ratios.of(c) for c in CLASSES],
        "required": required,
        "drawn": np.bincount(drawn_class, minlength=len(CLASSES)),
        "recent_drawn": np.bincount(drawn_class[recent[chosen]], minlength=len(CLASSES)),
    }, index=list(CLASSES))
    teams, loads = assign_inspectors(plan, drawn["region_code"].astype(str).to_numpy(), rng)
    units = {i.inspector_id: i.unit for i in plan.inspectors}
    result = pd.DataFrame({
        "uscc": drawn["uscc"].to_numpy(),
        "name": drawn["name"].to_numpy(),
        "region_code": drawn["region_code"].to_numpy(),
        "industry_code": drawn["industry_code"].to_numpy(),
        "risk_class": drawn["risk_class"].to_numpy(),
        "check_mode": drawn["risk_class"].map(plan.check_mode).to_numpy(),
        "recently_checked": recent[chosen],
        "team": [tuple(t) for t in teams.tolist()],
        "team_units": ["、".join(dict.fromkeys(units[i] for i in t)) for t in teams.tolist()],
    })
    return Draw(plan, result, pool_table, loads, digest)


def assign_inspectors(plan: Plan, regions: npt.NDArray[Any], rng: np.random.Generator
                      ) -> tuple[npt.NDArray[Any], pd.Series]:
    """Teams of ``plan.team_size`` distinct inspectors for enterprises in ``regions``.

    Enterprises are grouped by which inspectors they exclude (those whose region code is
    a prefix of theirs, when ``avoid_own_region``); the most constrained group goes
    first. A group of ``g`` enterprises needs ``k = team_size * g`` seats: they are
    filled up to a common load level (water-filling, ties broken at random) with at most
    ``g`` seats per inspector, laid out by a random inspector order, and the team of the
    ``i``-th enterprise (in a random order) is seats ``i, i + g, i + 2g, ...``: distinct
    inspectors, since none holds more than ``g`` seats. Loops run over groups and
    inspectors, never over enterprises.
    """
    ids = np.asarray([i.inspector_id for i in plan.inspectors], dtype=object)
    homes = [i.region_code for i in plan.inspectors]
    m, size, n = len(ids), plan.team_size, len(regions)
    if m < size:
        raise ValueError(f"plan {plan.task_id!r}: a team needs {size} inspectors, the roster "
                         f"has {m}; add inspectors or lower team_size")
    conflict = np.zeros((n, m), dtype=bool)
    if plan.avoid_own_region:
        region_series = pd.Series(regions, dtype=object).astype(str)
        for j, home in enumerate(homes):
            conflict[:, j] = region_series.str.startswith(home).to_numpy()
    signature = np.packbits(conflict, axis=1) if m else np.zeros((n, 1), np.uint8)
    groups, group_of = np.unique(signature, axis=0, return_inverse=True)
    group_of = group_of.reshape(-1)
    load = np.zeros(m, dtype=np.int64)
    teams = np.empty((n, size), dtype=object)
    allowed_per_group = [~np.unpackbits(g, count=m).astype(bool) for g in groups]
    order = np.argsort([a.sum() for a in allowed_per_group], kind="stable")
    sizes = np.bincount(group_of, minlength=len(groups))
    # Seats each later group is expected to give each inspector (even among its allowed):
    # filling a group against load + expected keeps the inspectors a later group cannot
    # use from ending up light.
    expected = np.asarray([a * (size * sizes[i] / max(int(a.sum()), 1))
                           for i, a in enumerate(allowed_per_group)]).reshape(len(groups), m)
    future = expected.sum(axis=0)
    for group in order:
        future = future - expected[group]
        members = np.flatnonzero(group_of == group)
        g = len(members)
        allowed = np.flatnonzero(allowed_per_group[group])
        if len(allowed) < size:
            raise ValueError(
                f"plan {plan.task_id!r}: enterprises in region {regions[members[0]]} can be "
                f"checked by {len(allowed)} inspector(s) from other regions, a team needs "
                f"{size}; add inspectors from other regions or set avoid_own_region = false")
        projected = load[allowed] + np.rint(future[allowed]).astype(np.int64)
        seats = _water_fill(projected, size * g, cap=g, rng=rng)
        load[allowed] += seats
        perm = rng.permutation(len(allowed))
        layout = np.repeat(allowed[perm], seats[perm])
        members = members[rng.permutation(g)]
        for slot in range(size):
            teams[members, slot] = ids[layout[slot * g:(slot + 1) * g]]
    return teams, pd.Series(load, index=ids, name="enterprises")


def _water_fill(load: npt.NDArray[np.int64], seats: int, cap: int, rng: np.random.Generator
                ) -> npt.NDArray[np.int64]:
    """Seats per inspector that bring the lowest loads up to a common level.

    The level ``T`` is the smallest with ``sum(clip(T - load, 0, cap)) >= seats``; the
    surplus is taken back from inspectors at the level, chosen at random.
    """
    lo, hi = int(load.min()), int(load.max()) + seats + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if np.clip(mid - load, 0, cap).sum() >= seats:
            hi = mid
        else:
            lo = mid + 1
    given = np.clip(lo - load, 0, cap)
    surplus = int(given.sum()) - seats
    if surplus > 0:
        at_level = np.flatnonzero((given > 0) & (load + given == lo))
        give_back = rng.choice(at_level, size=surplus, replace=False)
        given[give_back] -= 1
    result: npt.NDArray[np.int64] = given.astype(np.int64)
    return result


# --- the published part ----------------------------------------------------------------


def public_record(draw_result: Draw, outcomes: pd.DataFrame | None = None) -> dict[str, Any]:
    """The public part of a plan (抽查事项公示): no class, no check mode, USCC order."""
    plan = draw_result.plan
    frame = public_frame(draw_result, outcomes)
    return {
        "task_id": plan.task_id,
        "title_zh": plan.title_zh,
        "title_en": plan.title_en,
        "as_of": plan.as_of,
        "scope": plan.scope.model_dump(),
        "check_items": list(plan.check_items),
        "minimum_ratios": plan.ratios.model_dump(),
        "seed": plan.seed,
        "prng": "numpy.random.PCG64(seed); one rng.random() per enterprise in USCC order",
        "population_sha256": draw_result.population_sha256,
        "enterprises_drawn": len(frame),
        "enterprises": json.loads(frame.to_json(orient="records", force_ascii=False)),
    }


def public_frame(draw_result: Draw, outcomes: pd.DataFrame | None = None) -> pd.DataFrame:
    frame = draw_result.frame
    names = {i.inspector_id: i.name for i in draw_result.plan.inspectors}
    public = pd.DataFrame({
        "uscc": frame["uscc"], "name": frame["name"],
        "region_code": frame["region_code"],
        "check_items": "；".join(draw_result.plan.check_items),
        "team": frame["team"].map(lambda t: "、".join(names[i] for i in t)),
        "team_units": frame["team_units"],
    })
    if outcomes is not None and len(outcomes):
        last = outcomes.drop_duplicates("uscc", keep="last").set_index("uscc")
        public["outcome"] = public["uscc"].map(last["outcome"]).fillna("")
        public["outcome_date"] = public["uscc"].map(last["date"].astype(str)).fillna("")
    else:
        public["outcome"] = ""
        public["outcome_date"] = ""
    return public.sort_values("uscc", ignore_index=True)[list(PUBLIC_COLUMNS)]


def public_markdown(draw_result: Draw, outcomes: pd.DataFrame | None = None) -> str:
    """The public notice (抽查公示) in zh-CN with English beside it."""
    record = public_record(draw_result, outcomes)
    scope = record["scope"]
    ratios = record["minimum_ratios"]
    lines = [
        f"# {record['title_zh']} / {record['title_en']}",
        "",
        f"- 任务编号 Task: `{record['task_id']}`",
        f"- 分类依据日期 Classification as of: {record['as_of']}",
        "- 抽查范围 Scope: 地区 regions " + (", ".join(scope["regions"]) or "全部 all")
        + "；行业 industries " + (", ".join(scope["industries"]) or "全部 all")
        + "；领域 sectors " + (", ".join(scope["sectors"]) or "全部 all")
        + "；主体类型 entity types " + (", ".join(scope["entity_types"]) or "全部 all"),
        "- 抽查事项 Check items: " + "；".join(record["check_items"]),
        "- 分类最低抽查比例 Minimum ratios by class: "
        + ", ".join(f"{k} {v:.0%}" for k, v in ratios.items()),
        f"- 随机种子 Seed: `{record['seed']}` ({record['prng']})",
        f"- 抽查对象名单数据指纹 Population SHA-256: `{record['population_sha256']}`",
        f"- 抽中企业数 Enterprises drawn: {record['enterprises_drawn']}",
        "",
        "| 统一社会信用代码 USCC | 企业名称 Name | 抽查事项 Check items | 检查人员 Inspectors "
        "| 执法单位 Units | 检查结果 Outcome |",
        "|---|---|---|---|---|---|",
    ]
    for row in record["enterprises"]:
        outcome = row["outcome"]
        shown = (f"{OUTCOME_LABELS[outcome][0]} {OUTCOME_LABELS[outcome][1]} "
                 f"({row['outcome_date']})" if outcome else "待检查 pending")
        lines.append(f"| {row['uscc']} | {row['name']} | {row['check_items']} | {row['team']} "
                     f"| {row['team_units']} | {shown} |")
    return "\n".join(lines) + "\n"


def write_public(draw_result: Draw, folder: Path, outcomes: pd.DataFrame | None = None
                 ) -> list[Path]:
    """``<task_id>.public.md``, ``.csv`` (UTF-8 with BOM, opens in Excel) and ``.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{draw_result.plan.task_id}.public"
    paths = [folder / f"{stem}.{suffix}" for suffix in ("md", "csv", "json")]
    paths[0].write_text(public_markdown(draw_result, outcomes), encoding="utf-8")
    public_frame(draw_result, outcomes).to_csv(paths[1], index=False, encoding="utf-8-sig")
    paths[2].write_text(json.dumps(public_record(draw_result, outcomes), ensure_ascii=False,
                                   indent=2) + "\n", encoding="utf-8")
    return paths
