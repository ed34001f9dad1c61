"""Plans on disk, inspection outcomes fed back into the graph, and the plans' backtest.

A drawn plan is kept under ``<home>/supervision/plans/<task_id>/``: ``plan.json`` (the
plan with its seed), ``draw.parquet`` (internal: the drawn enterprises with their class,
check mode and team), ``pool.json`` (counts per class) and ``outcomes.jsonl``
(append-only: one line per recorded result; a later line for the same enterprise
corrects an earlier one). Recorded outcomes become ``Inspection`` events of the
enterprise through the normal ingestion path (validation, then the graph write), so the
next classification reads them like any delivered inspection.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from features.outcome import PROBLEM_INSPECTIONS
from graph.load import delivery_to_batch, write_batch
from graph.store import GraphStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.validate import QuarantineEntry, validate_frames
from risk.classify import CLASSES
from risk.report import industry_label, region_label
from risk.spotcheck import OUTCOME_LABELS, Draw, Plan

OUTCOMES = tuple(OUTCOME_LABELS)


class PlanError(ValueError):
    """A plan or an outcome that cannot be used as given."""


@dataclass(frozen=True)
class PlanStore:
    root: Path  # <home>/supervision

    def folder(self, task_id: str) -> Path:
        return self.root / "plans" / task_id

    def task_ids(self) -> list[str]:
        return sorted(p.parent.name for p in (self.root / "plans").glob("*/plan.json"))

    def save(self, result: Draw) -> Path:
        folder = self.folder(result.plan.task_id)
        if (folder / "plan.json").exists():
            raise PlanError(f"plan {result.plan.task_id!r} exists already in {folder}; a "
                            f"plan is drawn once (choose another task id)")
        folder.mkdir(parents=True, exist_ok=True)
        frame = result.frame.assign(team=result.frame["team"].map(list))
        frame.to_parquet(folder / "draw.parquet", index=False)
        (folder / "pool.json").write_text(json.dumps({
            "population_sha256": result.population_sha256,
            "pool": json.loads(result.pool.to_json(orient="index")),
            "loads": {str(k): int(v) for k, v in result.loads.items()},
        }, indent=2) + "\n", encoding="utf-8")
        (folder / "plan.json").write_text(
            result.plan.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return folder

    def load(self, task_id: str) -> Draw:
        folder = self.folder(task_id)
        if not (folder / "plan.json").exists():
            raise PlanError(f"no plan {task_id!r} under {self.root / 'plans'} (have: "
                            f"{', '.join(self.task_ids()) or 'none'})")
        plan = Plan.model_validate_json((folder / "plan.json").read_text("utf-8"))
        frame = pd.read_parquet(folder / "draw.parquet")
        frame["team"] = frame["team"].map(tuple)
        extra = json.loads((folder / "pool.json").read_text("utf-8"))
        pool = pd.DataFrame.from_dict(extra["pool"], orient="index")
        return Draw(plan, frame, pool, pd.Series(extra["loads"], name="enterprises"),
                    extra["population_sha256"])

    def outcomes(self, task_id: str) -> pd.DataFrame:
        """Recorded results, the latest per enterprise: uscc, outcome, date, note."""
        path = self.folder(task_id) / "outcomes.jsonl"
        columns = ["uscc", "outcome", "date", "note", "recorded_at"]
        if not path.exists():
            return pd.DataFrame(columns=columns)
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        frame = pd.DataFrame(rows, columns=columns)
        return frame.drop_duplicates("uscc", keep="last").sort_values(
            "uscc", ignore_index=True)

    def append_outcomes(self, task_id: str, frame: pd.DataFrame) -> None:
        path = self.folder(task_id) / "outcomes.jsonl"
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        lines = [json.dumps({"uscc": r.uscc, "outcome": r.outcome, "date": str(r.date),
                             "note": r.note, "recorded_at": now}, ensure_ascii=False)
                 for r in frame.itertuples()]
        with path.open("a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))


def inspection_events(plan: Plan, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Outcome rows as ``inspection`` records (event id ``spotcheck-<task>-<uscc>``)."""
    return pd.DataFrame({
        "event_id": "spotcheck-" + plan.task_id + "-" + outcomes["uscc"].astype(str),
        "uscc": outcomes["uscc"].to_numpy(),
        "date": outcomes["date"].to_numpy(),
        "source": f"spot_check:{plan.task_id}",
        "task_id": plan.task_id,
        "outcome": outcomes["outcome"].to_numpy(),
    }, dtype=object)


def record_outcomes(store: GraphStore, plans: PlanStore, task_id: str,
                    outcomes: pd.DataFrame, person_key: bytes) -> list[QuarantineEntry]:
    """Record results of plan ``task_id`` (columns uscc, outcome, date[, note]).

    Every enterprise must be one the plan drew and every outcome one of clean, problem,
    not_found, refused, dated on or after the plan's as-of date. The rows are appended to
    the plan's history and written to the graph as ``Inspection`` events (validated like a
    delivery; re-recording the same enterprise replaces its event). Returns what the
    validation quarantined (nothing, for rows that passed the checks here).
    """
    result = plans.load(task_id)
    frame = outcomes.copy()
    if "note" not in frame:
        frame["note"] = ""
    frame["note"] = frame["note"].fillna("").astype(str)
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    unknown = sorted(set(frame["uscc"]) - set(result.frame["uscc"]))
    if unknown:
        raise PlanError(f"plan {task_id!r} did not draw {', '.join(unknown[:5])}"
                        + (" ..." if len(unknown) > 5 else ""))
    bad = sorted(set(frame["outcome"]) - set(OUTCOMES))
    if bad:
        raise PlanError(f"unknown outcome(s) {bad}; use one of {', '.join(OUTCOMES)}")
    early = frame["date"] < dt.date.fromisoformat(result.plan.as_of)
    if early.any():
        raise PlanError(f"outcome dated before the plan's as-of date {result.plan.as_of}: "
                        f"{frame.loc[early, 'uscc'].iloc[0]}")
    delivery = validate_frames({"inspection": inspection_events(result.plan, frame)},
                               known_enterprises=pd.Index(list(store.keys("Enterprise"))))
    write_batch(store, delivery_to_batch(delivery, PersonPseudonyms(person_key)))
    plans.append_outcomes(task_id, frame)
    return delivery.quarantine


# --- backtest --------------------------------------------------------------------------


def wilson(successes: np.ndarray[Any, Any], trials: np.ndarray[Any, Any],
           confidence: float = 0.95) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    r"""Wilson score interval of a binomial proportion (Wilson 1927).

    .. math:: \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    ``trials == 0`` gives ``(0, 1)``.
    """
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    n = np.asarray(trials, dtype=float)
    safe = np.where(n > 0, n, 1.0)
    p = np.asarray(successes, dtype=float) / safe
    centre = (p + z * z / (2 * safe)) / (1 + z * z / safe)
    half = z * np.sqrt(p * (1 - p) / safe + z * z / (4 * safe * safe)) / (1 + z * z / safe)
    low = np.where(n > 0, np.clip(centre - half, 0, 1), 0.0)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), 1.0)
    return low, high


def inspected(plans: PlanStore, task_ids: list[str] | None = None) -> pd.DataFrame:
    """Every drawn enterprise with a recorded outcome, over the plans: task_id, uscc,
    risk_class, region_code, industry_code, outcome, problem (0/1)."""
    frames = []
    for task_id in task_ids or plans.task_ids():
        result = plans.load(task_id)
        outcomes = plans.outcomes(task_id)
        if not len(outcomes):
            continue
        joined = result.frame.merge(outcomes[["uscc", "outcome"]], on="uscc")
        frames.append(joined.assign(task_id=task_id))
    columns = ["task_id", "uscc", "risk_class", "region_code", "industry_code", "outcome"]
    if not frames:
        return pd.DataFrame(columns=[*columns, "problem"])
    frame = pd.concat(frames, ignore_index=True)[columns]
    frame["problem"] = frame["outcome"].isin(PROBLEM_INSPECTIONS).astype(int)
    return frame


def discovery_rates(frame: pd.DataFrame, by: str | None = None,
                    confidence: float = 0.95) -> pd.DataFrame:
    """Problem-discovery rate (问题发现率) per class (and group): inspected, problems,
    rate, ci_low, ci_high (Wilson)."""
    keys = ["risk_class"] if by is None else [by, "risk_class"]
    table = frame.groupby(keys)["problem"].agg(["size", "sum"]).rename(
        columns={"size": "inspected", "sum": "problems"})
    if by is None:
        table = table.reindex(list(CLASSES), fill_value=0)
    rate = table["problems"] / table["inspected"].where(table["inspected"] > 0)
    low, high = wilson(table["problems"].to_numpy(), table["inspected"].to_numpy(), confidence)
    return table.assign(rate=rate.fillna(0.0), ci_low=low, ci_high=high)


@dataclass(frozen=True)
class Backtest:
    """Discovery rate per class over past plans, overall and by region and industry."""

    overall: pd.DataFrame
    by_region: pd.DataFrame
    by_industry: pd.DataFrame
    ordered: bool  # D > C > B > A on the point estimates
    separated: bool  # and each adjacent pair's intervals do not overlap

    def to_dict(self) -> dict[str, Any]:
        def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
            result: list[dict[str, Any]] = json.loads(
                frame.reset_index().to_json(orient="records", force_ascii=False))
            return result

        return {"ordered_D_gt_C_gt_B_gt_A": self.ordered, "intervals_separated": self.separated,
                "overall": rows(self.overall), "by_region": rows(self.by_region),
                "by_industry": rows(self.by_industry)}


def _ordering(table: pd.DataFrame) -> pd.Series:
    """Per group: does D > C > B > A hold on the classes inspected there."""
    rates = table["rate"].where(table["inspected"] > 0).unstack("risk_class").reindex(
        columns=list(CLASSES))
    values = rates.to_numpy()
    holds = []
    for row in values:  # one row per region or industry section (tens), not per enterprise
        seen = row[~np.isnan(row)]
        holds.append(bool(len(seen) >= 2 and np.all(np.diff(seen) > 0)))
    return pd.Series(holds, index=rates.index, name="ordered")


def backtest(frame: pd.DataFrame, confidence: float = 0.95) -> Backtest:
    """The plans' discovery rates per class: does the classification direct inspections
    to where problems are (D > C > B > A), overall, by prefecture and industry section."""
    overall = discovery_rates(frame, confidence=confidence)
    labelled = frame.assign(
        region=frame["region_code"].astype(str).map(region_label),
        industry=frame["industry_code"].map(industry_label))
    by_region = discovery_rates(labelled, "region", confidence)
    by_industry = discovery_rates(labelled, "industry", confidence)
    # No plan with outcomes yet: empty tables (a join on nothing has no key type).
    by_region = (by_region.join(_ordering(by_region), on="region") if len(by_region)
                 else by_region.assign(ordered=False))
    by_industry = (by_industry.join(_ordering(by_industry), on="industry") if len(by_industry)
                   else by_industry.assign(ordered=False))
    present = overall.loc[overall["inspected"] > 0]
    rate = present["rate"].to_numpy()
    ordered = bool(len(rate) == len(CLASSES) and np.all(np.diff(rate) > 0))
    separated = ordered and bool(np.all(
        present["ci_low"].to_numpy()[1:] > present["ci_high"].to_numpy()[:-1]))
    return Backtest(overall, by_region, by_industry, ordered, separated)
