"""The supervision simulation: monthly draws fed back through the store, a uniform plan
of the same size that is not recorded, rates with intervals, the report files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from risk.feedback import PlanStore
from risk.simulation import RISK_BASED, UNIFORM, simulate, write_simulation_report

START = dt.date(2026, 1, 31)


def test_monthly_cycles_feed_back_and_compare_with_uniform(tmp_path: Path) -> None:
    province = generate_province(1500, seed=4, as_of=START)
    store = MemoryStore()
    write_batch(store, delivery_to_batch(validate_frames(province.frames()),
                                         PersonPseudonyms(b"k")))
    before = len(store.node_table("Inspection"))
    plans = PlanStore(tmp_path / "plans")
    result = simulate(province, store, plans, months=3, seed=5)
    assert result.months == ["2026-01", "2026-02", "2026-03"]
    assert plans.task_ids() == ["sim-2026-01", "sim-2026-02", "sim-2026-03"]
    sizes = result.inspections.groupby(["month", "plan"]).size().unstack("plan")
    assert (sizes[RISK_BASED] == sizes[UNIFORM]).all() and (sizes[RISK_BASED] > 0).all()
    # Only the risk-based plans are recorded: one Inspection event per drawn enterprise,
    # dated in the month after the draw, so the next classification counts it.
    inspections = store.node_table("Inspection")
    recorded = inspections.loc[inspections["source"].str.startswith("spot_check:sim-")]
    assert len(inspections) - before == len(recorded) == int(sizes[RISK_BASED].sum())
    january = recorded.loc[recorded["task_id"] == "sim-2026-01"]
    assert (pd.to_datetime(january["date"]) > pd.Timestamp(START)).all()
    assert (pd.to_datetime(january["date"]) <= pd.Timestamp("2026-02-28")).all()
    # Recently inspected enterprises are drawn last: no one twice while the pool lasts.
    drawn = result.inspections.loc[result.inspections["plan"] == RISK_BASED, "uscc"]
    assert drawn.is_unique
    by_class = result.by_class()
    assert by_class["inspected"].sum() == int(sizes[RISK_BASED].sum())
    assert ((by_class["ci_low"] <= by_class["rate"]) & (by_class["rate"] <= by_class["ci_high"])
            ).all()
    rates = result.per_inspection()["rate"]
    assert result.gain == rates[RISK_BASED] / rates[UNIFORM]
    page = write_simulation_report(result, tmp_path / "reports")
    assert page == tmp_path / "reports" / "2026-03-31" / "simulation.html"
    text = page.read_text("utf-8")
    assert "内部资料" in text and "增益 gain" in text and "隐含风险" in text
    for name in ("simulation_discovery_rate", "simulation_per_inspection"):
        assert (page.parent / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        assert "Noto Sans CJK SC" in (page.parent / f"{name}.svg").read_text("utf-8")
    saved = json.loads((page.parent / "simulation.json").read_text("utf-8"))
    assert saved["gain"] == round(result.gain, 4) and len(saved["by_class"]) == 4


def test_simulate_command_prints_rates_and_gain(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    result = CliRunner().invoke(app, ["simulate", "-n", "800", "--months", "2", "--seed", "2",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "discovery rate by class" in result.output and "ci_high" in result.output
    assert "risk_based" in result.output and "uniform" in result.output
    assert "增益 gain" in result.output
    assert (tmp_path / "2026-02-28" / "simulation.html").exists()
