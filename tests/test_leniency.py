"""Leniency (包容审慎) on both stores: unpunished first minor violations (首违不罚) from a
Chinese-headed CSV to the indicators, records past their publicity period, removal from a
list (credit repair) at the next classification, the observation period; each visible in
the explanation, each rule switched by the config."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from api.pipeline import ClassificationRun, classify
from features.config import ConfigError, Leniency, load_indicator_config
from features.indicators import INDICATORS
from features.score import IndicatorSystem
from graph.ingest import ingest_folder
from graph.store import GraphStore
from ingestion.formats import write_delivery
from ingestion.models import AbnormalListing, Complaint, Inspection, Penalty, SeriousDishonesty
from ingestion.validate import Delivery
from tests.builders import AS_OF, enterprise, uscc
from tests.conftest import PERSON_KEY

YOUNG = dt.date(2026, 6, 1)
PENALTY_HEADER = ("行政处罚决定书文号,统一社会信用代码,处罚决定日期,来源,公示截止日期,罚没款金额,"
                  "违法行为类型,违法情节,处罚机关,是否首违不罚")


def penalty_rows() -> list[str]:
    return [
        # E1: first minor violation, not punished (首违不罚)
        f"P1,{uscc(1)},2026-06-01,市场监管,2026-12-01,0,registration,轻微,西湖区局,是",
        # E2: the same violation, punished
        f"P2,{uscc(2)},2026-06-01,市场监管,2026-12-01,0,registration,轻微,西湖区局,否",
        # E3: a general penalty whose publicity period ended on 2025-07-01
        f"P3,{uscc(3)},2025-01-01,市场监管,2025-07-01,20000,price,一般,西湖区局,",
        # E5: young and heavily penalised
        *(f"P5{k},{uscc(5)},2026-0{7 + k}-01,市场监管,2029-01-01,300000,food_safety,严重,"
          "杭州市局,否" for k in range(3)),
    ]


def load(store: GraphStore, tmp_path: Path) -> None:
    """Enterprises E1-E6 (E5 and E6 founded 2026-06-01) from a delivery folder in Chinese
    headers: penalties as above, E5 also with inspection problems and complaints; E4 on the
    abnormal list from 2026-01-01 until its removal on 2026-09-15 (信用修复); E6 young and
    on the serious-dishonesty list."""
    folder = tmp_path / "delivery"
    listings = Delivery.of_records({
        "enterprises": [enterprise(n, established=YOUNG if n >= 5 else dt.date(2015, 1, 1))
                        for n in range(1, 7)],
        "abnormal_listing": [AbnormalListing(
            event_id="A4", uscc=uscc(4), date=dt.date(2026, 1, 1), source="t",
            reason="annual_report_not_filed", listed=dt.date(2026, 1, 1),
            removed=dt.date(2026, 9, 15))],
        "inspection": [Inspection(event_id=f"I5{k}", uscc=uscc(5), date=dt.date(2026, 7, 10 + k),
                                  source="t", task_id="t", outcome=outcome)
                       for k, outcome in enumerate(("problem", "refused", "not_found"))],
        "complaint": [Complaint(event_id=f"C5{k}", uscc=uscc(5), date=dt.date(2026, 9, 1 + k),
                                source="t", category=("price", "quality", "refund")[k % 3])
                      for k in range(8)],
        "serious_dishonesty": [SeriousDishonesty(
            event_id="S6", uscc=uscc(6), date=dt.date(2026, 8, 1), source="t",
            reason="false_registration", listed=dt.date(2026, 8, 1))],
    })
    write_delivery(listings.frames, folder, "csv", headers="zh")
    (folder / "penalty.csv").write_text(
        "\n".join([PENALTY_HEADER, *penalty_rows()]) + "\n", encoding="utf-8")
    report = ingest_folder(store, folder, PERSON_KEY)
    assert not report.quarantine, report.quarantine


def system_with(**leniency: object) -> IndicatorSystem:
    config = IndicatorSystem().config
    return IndicatorSystem.of(dataclasses.replace(config, leniency=Leniency.model_validate(
        {**config.leniency.model_dump(), **leniency})))


def row(run: ClassificationRun, n: int) -> pd.Series:
    frame: pd.DataFrame = run.classification.frame.set_index("uscc")
    return frame.loc[uscc(n)]


def test_unpunished_reaches_both_stores_and_weighs_as_configured(
        store: GraphStore, tmp_path: Path) -> None:
    load(store, tmp_path)
    penalties = store.node_table("Penalty").set_index("event_id")
    assert bool(penalties.loc["P1", "unpunished"]) is True
    assert not penalties.loc["P2", "unpunished"] and not penalties.loc["P3", "unpunished"]
    run = classify(store, AS_OF)
    raw = run.scores.raw
    assert raw.loc[uscc(1), "penalty_severity_3y"] == 0.0  # 首违不罚 counts 0 by default
    assert raw.loc[uscc(2), "penalty_severity_3y"] == 1.0
    assert row(run, 1)["score"] < row(run, 2)["score"]
    assert "首违不罚，按0计：行政处罚 2026-06-01" in row(run, 1)["leniency_zh"]
    assert "first minor violation, not punished, counted 0" in row(run, 1)["leniency_en"]
    assert row(run, 2)["leniency_zh"] == ""
    half = classify(store, AS_OF, system_with(unpunished_weight=0.5))
    assert half.scores.raw.loc[uscc(1), "penalty_severity_3y"] == 0.5
    assert "首违不罚，按0.5计" in row(half, 1)["leniency_zh"]


def test_records_past_their_publicity_period_stop_counting(
        store: GraphStore, tmp_path: Path) -> None:
    load(store, tmp_path)
    before = classify(store, dt.date(2025, 6, 30))  # P3 still publicised
    assert before.scores.raw.loc[uscc(3), "penalty_severity_3y"] == 2.0
    assert row(before, 3)["leniency_zh"] == ""
    run = classify(store, AS_OF)
    assert run.scores.raw.loc[uscc(3), "penalty_severity_3y"] == 0.0
    assert run.scores.raw.loc[uscc(3), "penalty_amount_3y"] == 0.0
    assert ("公示期满，不再计入：行政处罚 2025-01-01（公示期至2025-07-01）"
            in row(run, 3)["leniency_zh"])
    assert "publicised until 2025-07-01" in row(run, 3)["leniency_en"]
    assert row(run, 3)["score"] < row(before, 3)["score"]
    kept = classify(store, AS_OF, system_with(publicity_ends_counting=False))
    assert kept.scores.raw.loc[uscc(3), "penalty_severity_3y"] == 2.0
    assert "公示期满" not in row(kept, 3)["leniency_zh"]


def test_list_removal_takes_effect_at_the_next_classification(
        store: GraphStore, tmp_path: Path) -> None:
    load(store, tmp_path)
    august = classify(store, dt.date(2026, 8, 31))
    assert row(august, 4)["rule"] == "abnormal_list_floor"
    assert row(august, 4)["risk_class"] >= "C"
    october = classify(store, AS_OF)  # removed 2026-09-15: the next classification
    assert october.scores.raw.loc[uscc(4), "on_abnormal_list"] == 0.0
    assert row(october, 4)["rule"] == ""
    assert row(october, 4)["risk_class"] < "C"
    assert (row(october, 4)["leniency_zh"]
            == "信用修复：2026-09-15 移出经营异常名录（2026-01-01 列入），不再按在列计")
    assert row(october, 4)["leniency_en"].startswith(
        "credit repair: removed from the abnormal-operations list on 2026-09-15")


def test_observation_period_caps_new_enterprises_unless_a_floor_fires(
        store: GraphStore, tmp_path: Path) -> None:
    load(store, tmp_path)
    run = classify(store, AS_OF)
    young = row(run, 5)
    cut = run.config.cutoffs
    assert young["score"] >= cut.C  # its score alone would make it C or D
    assert young["risk_class"] == "B" and young["rule"] == "observation_period"
    assert young["rule_record_zh"].startswith("成立年限(年) 0.")
    assert row(run, 6)["risk_class"] == "D"  # the dishonesty veto wins over the observation
    assert row(run, 6)["rule"] == "serious_dishonesty_veto"


def test_leniency_config_is_checked(tmp_path: Path) -> None:
    text = load_indicator_config().path.read_text("utf-8")
    bad = tmp_path / "indicators.toml"
    bad.write_text(text.replace("unpunished_weight = 0.0", "unpunished_weight = 2.0"), "utf-8")
    with pytest.raises(ConfigError, match=r"\[leniency\] unpunished_weight"):
        load_indicator_config(bad, INDICATORS)
    assert load_indicator_config().leniency == Leniency(publicity_ends_counting=True,
                                                        unpunished_weight=0.0)
    assert Penalty.model_fields["unpunished"].default is False
