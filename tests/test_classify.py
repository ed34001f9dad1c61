"""Classification of a synthetic province: class mix, hidden risk, counterfactuals,
snapshots (byte for byte, on both stores), diff, and the CLI commands around them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from api.pipeline import ClassificationRun, classify, write_run_snapshot
from features.config import Bins
from features.outcome import outcome_12m
from features.tables import read_tables
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from graph.store import GraphStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import Province, generate_province
from ingestion.validate import validate_frames
from risk.classify import Classifier
from risk.snapshot import diff_snapshots, read_snapshot
from tests.builders import AS_OF, uscc
from tests.conftest import PERSON_KEY
from tests.test_stores import load_small

runner = CliRunner()
BACKTEST = dt.date(2025, 10, 31)


@pytest.fixture(scope="module")
def province() -> tuple[Province, MemoryStore]:
    province = generate_province(4_000, seed=11, as_of=AS_OF)
    store = MemoryStore()
    write_batch(store, delivery_to_batch(validate_frames(province.frames()),
                                         PersonPseudonyms(PERSON_KEY)))
    return province, store


@pytest.fixture(scope="module")
def run(province: tuple[Province, MemoryStore]) -> ClassificationRun:
    return classify(province[1], AS_OF)


def test_every_class_and_d_dominated_by_high_hidden_risk(
    province: tuple[Province, MemoryStore], run: ClassificationRun
) -> None:
    frame = run.classification.frame.set_index("uscc")
    counts = run.classification.class_counts()
    assert (counts > 0).all(), counts
    assert counts["A"] > counts["B"] > counts["C"] > counts["D"]
    hidden = province[0].hidden_risk.set_index("uscc")["hidden_risk"]  # evaluation only
    high = hidden.reindex(frame.index) > hidden.quantile(0.75)
    assert high[frame["risk_class"] == "D"].mean() > 0.5
    by_class = hidden.reindex(frame.index).groupby(frame["risk_class"]).mean()
    assert list(by_class.sort_values().index) == ["A", "B", "C", "D"]


def test_explanations_add_up_and_carry_records(run: ClassificationRun) -> None:
    frame = run.classification.frame
    contributions = frame[[c for c in frame.columns if c.startswith("contribution_")]]
    np.testing.assert_allclose(contributions.sum(axis=1), frame["score"], atol=1e-6)
    scores = frame[[c for c in frame.columns if c.startswith("score_")
                    and c[6:] in run.scores.dimension_scores.columns]]
    weights = np.asarray(run.indicators.top_weights)
    np.testing.assert_allclose(scores.to_numpy() @ weights, frame["score"], atol=1e-6)
    penalised = frame.loc[frame["reason1_code"] == "penalty_severity_3y", "reason1_record_zh"]
    assert len(penalised) and penalised.str.match(r"行政处罚 \d{4}-\d\d-\d\d [\d.]+万?元 ").all()
    d_class = frame.loc[frame["risk_class"] == "D"]
    assert (d_class["reason1_code"] != "").all()
    assert (d_class["counterfactual_zh"] != "").all()
    assert (frame.loc[frame["risk_class"] == "A", "counterfactual_code"] == "").all()


def test_counterfactual_moves_one_class_lower(run: ClassificationRun) -> None:
    frame = run.classification.frame.set_index("uscc")
    chosen = frame.loc[(frame["counterfactual_code"] != "")
                       & ~frame["counterfactual_code"].str.startswith("rule:")]
    assert len(chosen) > 50
    raw = run.scores.raw.loc[chosen.index].copy()
    for name, rows in chosen.groupby("counterfactual_code"):
        threshold = rows["counterfactual_threshold"].to_numpy()
        transform = run.indicators.indicators[str(name)].transform
        increasing = (transform.scores[-1] >= transform.scores[0]
                      if isinstance(transform, Bins) else transform.y[-1] >= transform.y[0])
        raw.loc[rows.index, name] = threshold - 1e-9 if increasing else threshold
    members = run.tables.sector_members
    from features.score import IndicatorSystem

    rescored = IndicatorSystem.of(run.indicators).score_raw(raw, members)
    classifier = Classifier(run.config, run.indicators)
    after, _ = classifier.apply_rules(classifier.classes_from_score(rescored.base_score),
                                      rescored.raw)
    before = chosen["risk_class"]
    lowered = after.to_numpy() < before.to_numpy()
    assert lowered.mean() == 1.0, chosen.loc[~lowered, ["risk_class", "counterfactual_en"]]


def test_outcome_comes_from_records(province: tuple[Province, MemoryStore]) -> None:
    store = province[1]
    later = read_tables(store, AS_OF)
    usccs = read_tables(store, BACKTEST).usccs
    outcome = outcome_12m(later, BACKTEST, usccs)
    penalties = later.event("penalty")
    recent = penalties.loc[(penalties["date"] > pd.Timestamp(BACKTEST))
                           & (penalties["date"] <= pd.Timestamp(AS_OF)), "uscc"]
    assert outcome[outcome.index.isin(recent)].eq(1).all()
    assert 0.02 < outcome.mean() < 0.5
    with pytest.raises(ValueError, match="needs records up to 2026-10-31"):
        outcome_12m(read_tables(store, dt.date(2026, 6, 30)), BACKTEST, usccs)


def test_same_month_same_snapshot_byte_for_byte(store: GraphStore, tmp_path: Path) -> None:
    load_small(store)
    folders = [write_run_snapshot(classify(store, AS_OF), tmp_path / name)
               for name in ("first", "second")]
    for file in ("classification.parquet", "meta.json"):
        assert (folders[0] / file).read_bytes() == (folders[1] / file).read_bytes()
    meta = json.loads((folders[0] / "meta.json").read_text("utf-8"))
    assert meta["month"] == "2026-10" and meta["weights"]["source"] == "ahp"
    assert meta["indicator_config"]["version"] and len(meta["indicator_config"]["sha256"]) == 64
    snapshot = read_snapshot(tmp_path / "first", "2026-10")
    assert list(snapshot.frame["uscc"]) == sorted(snapshot.frame["uscc"])
    reasons = snapshot.frame.set_index("uscc").loc[uscc(4), "reasons"]
    assert reasons[0]["record_zh"] == "列入经营异常名录 2026-05-01 原因:r"


def test_diff_lists_changes_with_their_records(store: GraphStore, tmp_path: Path) -> None:
    load_small(store)
    for day in (dt.date(2025, 12, 31), AS_OF):
        write_run_snapshot(classify(store, day), tmp_path)
    before, after = read_snapshot(tmp_path, "2025-12"), read_snapshot(tmp_path, "2026-10")
    assert after.meta["previous_month"] == "2025-12"
    assert after.meta["class_mix_psi"] is not None
    changes = diff_snapshots(before, after).set_index("uscc")
    # E3 left the abnormal list in January 2026: C (floor) in December, lower in October.
    assert changes.loc[uscc(3), "class_before"] == "C"
    assert changes.loc[uscc(3), "class_after"] < "C"
    causes = changes.loc[uscc(3), "causes"]
    assert causes[0]["code"] == "rule:abnormal_list_floor"
    assert causes[0]["record_zh"].startswith("列入经营异常名录 2025-03-01")
    # E4 joined the list in May 2026.
    assert changes.loc[uscc(4), "class_after"] == "C"
    assert uscc(1) not in changes.index or changes.loc[uscc(1), "class_before"] != ""


def test_cli_classify_diff_evaluate_quality_fit(
    province: tuple[Province, MemoryStore], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    province[1].save(home / "memory-store.pickle")
    env = {"RISKGRAPH_HOME": str(home), "RISKGRAPH_PERSON_ID_KEY": "k", "COLUMNS": "200"}
    out = tmp_path / "out"
    for day in ("2026-09-30", "2026-10-31"):
        result = runner.invoke(app, ["classify", "--as-of", day, "--out", str(out)], env=env)
        assert result.exit_code == 0, result.output
        assert "AHP" in result.output and "class mix" in result.output
    assert "class-mix PSI vs 2026-09" in result.output
    again = runner.invoke(app, ["diff", "2026-09", "2026-10", "--out", str(out)], env=env)
    assert again.exit_code == 0, again.output
    assert "Class changes" in again.output and "class-mix PSI" in again.output
    missing = runner.invoke(app, ["diff", "2026-08", "2026-10", "--out", str(out)], env=env)
    assert missing.exit_code == 2 and "no snapshot for 2026-08" in missing.output

    result = runner.invoke(app, ["evaluate", "--as-of", "2025-10-31", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert report["auc"] > 0.55
    rates = [report["by_class"][c]["discovery_rate"] for c in "ABCD"]
    assert rates[0] < rates[-1]

    result = runner.invoke(app, ["indicators", "quality", "--as-of", "2025-10-31", "--out",
                                 str(tmp_path / "quality.csv")], env=env)
    assert result.exit_code == 0, result.output
    quality = pd.read_csv(tmp_path / "quality.csv")
    assert {"iv", "missing_rate", "psi", "flag"} <= set(quality.columns)
    assert (quality.loc[quality["iv"] < 0.02, "flag"] == "low_iv").all()
    assert quality.loc[quality["indicator"] == "penalty_severity_3y", "iv"].item() > 0.02

    weights = tmp_path / "fitted.json"
    result = runner.invoke(app, ["indicators", "fit", "--as-of", "2025-10-31", "--out",
                                 str(weights)], env=env)
    assert result.exit_code == 0, result.output
    fitted = json.loads(weights.read_text("utf-8"))
    assert sum(fitted["indicator_weights"].values()) == pytest.approx(1.0, abs=1e-6)
    assert min(fitted["indicator_weights"].values()) >= 0
    assert "distance to AHP" in result.output
    result = runner.invoke(app, ["classify", "--as-of", "2026-10-31", "--out",
                                 str(tmp_path / "fitted-out"), "--weights", "fitted",
                                 "--fitted", str(weights)], env=env)
    assert result.exit_code == 0, result.output
    assert "fitted" in result.output and "not the AHP" in result.output
    meta = json.loads((tmp_path / "fitted-out/snapshots/2026-10/meta.json").read_text("utf-8"))
    assert meta["weights"]["source"] == "fitted"


def test_indicators_show_prints_the_tree_with_weights_and_crs() -> None:
    result = runner.invoke(app, ["indicators", "show"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("基础属性 Basic attributes", "监管信息 Regulatory records", "行政处罚",
                 "CR=", "global=", "食品生产 Food production"):
        assert text in result.output
