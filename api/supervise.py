"""Supervision jobs behind `riskgraph plan ...` and `riskgraph warnings ...`.

Plain functions over a store, the settings' home (snapshots, plans, warnings) and the
supervision config; the CLI (and later the HTTP API) call them.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console

from api.pipeline import progress_bar
from api.settings import Settings
from features.tables import read_tables
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from graph.store import GraphStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from risk.analysis import Analysis, analyse, write_report
from risk.early_warning import WarningLog, run_rules
from risk.feedback import PlanStore, backtest, inspected, record_outcomes
from risk.simulation import Simulation, simulate, write_simulation_report
from risk.snapshot import month_of, previous_month, read_snapshot
from risk.spotcheck import (
    Draw,
    Plan,
    SupervisionConfig,
    draw,
    load_supervision_config,
    population,
)


def supervision_root(settings: Settings) -> Path:
    return settings.home / "supervision"


def plan_store(settings: Settings) -> PlanStore:
    return PlanStore(supervision_root(settings))


def warning_log(settings: Settings) -> WarningLog:
    return WarningLog(supervision_root(settings) / "warnings.jsonl")


def read_plan_file(path: Path, config: SupervisionConfig, seed: int | None = None) -> Plan:
    """A plan from TOML (task_id, title_zh, title_en, as_of, check_items, [scope],
    [ratios], [[inspectors]] ...); the config's spot-check policy fills what it omits."""
    fields: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    if seed is not None:
        fields["seed"] = seed
    return Plan.from_policy(config.spotcheck, **fields)


def classes_of(settings: Settings, as_of: dt.date) -> pd.Series:
    """Class per USCC from the monthly snapshot of ``as_of``'s month."""
    snapshot = read_snapshot(settings.snapshot_root, month_of(as_of))
    classes: pd.Series = snapshot.frame.set_index("uscc")["risk_class"]
    return classes


def draw_plan(settings: Settings, store: GraphStore, plan: Plan, *, save: bool = True) -> Draw:
    """Draw ``plan`` over the store as of its date and the class snapshot of that month."""
    as_of = dt.date.fromisoformat(plan.as_of)
    classes = classes_of(settings, as_of)
    result = draw(plan, population(read_tables(store, as_of), classes))
    if save:
        plan_store(settings).save(result)
    return result


def record_file(settings: Settings, store: GraphStore, task_id: str, path: Path) -> int:
    """Record the outcomes in a CSV (uscc, outcome, date[, note]) against a plan."""
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig").fillna("")
    quarantined = record_outcomes(store, plan_store(settings), task_id, frame,
                                  settings.person_key())
    return len(frame) - len(quarantined)


def run_warnings(settings: Settings, store: GraphStore, as_of: dt.date,
                 config: SupervisionConfig | None = None) -> tuple[pd.DataFrame, int]:
    """All warning rules as of ``as_of``; new warnings enter the handling log.

    The class rules compare the snapshot of ``as_of``'s month with the one before it
    (skipped when either is missing). Returns the warnings and how many were new.
    """
    config = config or load_supervision_config()
    month = month_of(as_of)
    current = previous = None
    try:
        current = classes_of(settings, as_of)
        before = previous_month(settings.snapshot_root, month)
        if before is not None:
            previous = read_snapshot(settings.snapshot_root, before).frame.set_index(
                "uscc")["risk_class"]
    except FileNotFoundError:
        pass
    warnings = run_rules(config.warnings, read_tables(store, as_of), current, previous)
    return warnings, warning_log(settings).raise_warnings(warnings)


def analysis_report(settings: Settings, store: GraphStore, as_of: dt.date, out: Path,
                    min_enterprises: int = 30) -> tuple[Analysis, Path]:
    """The analysis of ``as_of``'s monthly snapshot against the month before, with the
    discovery rates of the recorded spot checks, written under ``out/<as_of>/``."""
    month = month_of(as_of)
    snapshot = read_snapshot(settings.snapshot_root, month)
    before = previous_month(settings.snapshot_root, month)
    previous = (read_snapshot(settings.snapshot_root, before).frame.set_index("uscc")[
        "risk_class"] if before is not None else None)
    enterprises = store.node_table("Enterprise")[["uscc", "region_code", "industry_code"]]
    checked = inspected(plan_store(settings))
    result = analyse(as_of, month, snapshot.frame.set_index("uscc")["risk_class"], enterprises,
                     previous, before, min_enterprises=min_enterprises,
                     backtest=backtest(checked) if len(checked) else None)
    return result, write_report(result, out)


def run_simulation(enterprises: int, months: int, seed: int, start: dt.date, out: Path,
                   console: Console) -> tuple[Simulation, Path]:
    """Generate a province as of ``start``, load it into an embedded store, run the
    monthly supervision cycles (plans kept in a temporary folder) and write the report."""
    province = generate_province(enterprises, seed=seed, as_of=start)
    store = MemoryStore()
    with console.status(f"loading {enterprises:,} enterprises 载入合成数据"):
        write_batch(store, delivery_to_batch(validate_frames(province.frames()),
                                             PersonPseudonyms(b"simulation")))
    with tempfile.TemporaryDirectory(prefix="riskgraph-simulation-") as folder, progress_bar(
            console) as bar:
        task = bar.add_task("monthly cycles 月度循环", total=months)
        result = simulate(province, store, PlanStore(Path(folder)), months=months, seed=seed,
                          progress=lambda month, drawn: bar.advance(task))
    return result, write_simulation_report(result, out)
