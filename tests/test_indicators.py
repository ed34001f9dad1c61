"""Indicators on the hand-built delivery, as of a date, on both stores."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from features.score import IndicatorSystem
from features.tables import read_tables
from graph.load import delivery_to_batch, write_batch
from graph.store import GraphStore
from ingestion.identifiers import PersonPseudonyms
from risk.classify import Classifier, load_classification_config
from tests.builders import AS_OF, sector_delivery, uscc
from tests.conftest import PERSON_KEY
from tests.test_stores import load_small


@pytest.fixture
def raw(store: GraphStore) -> dict[str, dict[str, object]]:
    load_small(store)
    values = IndicatorSystem().raw_values(read_tables(store, AS_OF))
    return {column: values[column].to_dict() for column in values.columns}


def test_records_after_as_of_are_ignored(raw: dict[str, dict[str, object]]) -> None:
    # E1's only penalty is dated after AS_OF.
    assert raw["penalty_severity_3y"][uscc(1)] == 0
    assert raw["penalty_severity_3y"][uscc(4)] == 2  # one general penalty


def test_current_list_membership(raw: dict[str, dict[str, object]]) -> None:
    assert raw["on_abnormal_list"][uscc(4)] == 1
    assert raw["on_abnormal_list"][uscc(3)] == 0  # removed in January
    assert raw["abnormal_listings_3y"][uscc(3)] == 1
    assert raw["on_serious_dishonesty"][uscc(2)] == 1


def test_relationship_indicators(raw: dict[str, dict[str, object]]) -> None:
    # E1 is related to E2 (same legal rep), E3 (E1 holds it) and E6 (branch); only E2 is bad.
    assert raw["related_bad_share"][uscc(1)] == pytest.approx(1 / 3)
    # Person 2's holding in E2 ended in 2024, so nothing relates E2 to person 2's other firms.
    assert raw["legal_rep_bad_enterprises"][uscc(1)] == 1
    assert raw["legal_rep_bad_enterprises"][uscc(2)] == 0
    assert raw["shared_address_count"][uscc(4)] == 1
    assert raw["shared_address_count"][uscc(1)] == 0


def test_social_indicators(raw: dict[str, dict[str, object]]) -> None:
    assert raw["complaints_12m"][uscc(1)] == 2
    assert raw["complaint_growth_3m"][uscc(1)] == pytest.approx((2 / 3) / (1 / 9))
    assert raw["complaint_categories_12m"][uscc(1)] == 2


def test_features_depend_on_as_of(store: GraphStore) -> None:
    load_small(store)
    early = IndicatorSystem().raw_values(read_tables(store, dt.date(2025, 12, 31)))
    # On 2025-12-31 E3 was still on the abnormal list.
    assert early.loc[uscc(3), "on_abnormal_list"] == 1


def test_new_indicators(raw: dict[str, dict[str, object]]) -> None:
    # E3's only listing was removed in January: fully repaired; E4's is current; E1 none.
    assert raw["credit_repair_share_3y"][uscc(3)] == 1.0
    assert raw["credit_repair_share_3y"][uscc(4)] == 0.0
    assert raw["credit_repair_share_3y"][uscc(1)] != raw["credit_repair_share_3y"][uscc(1)]
    assert raw["registered_capital"][uscc(1)] == 1_000_000
    assert raw["penalties_12m"][uscc(4)] == 0  # February 2025 is more than 12 months back
    assert raw["shared_email_count"][uscc(1)] == 0
    assert raw["safety_licence_revoked_3y"][uscc(1)] == 0


def test_veto_floor_and_reasons_with_records(store: GraphStore) -> None:
    load_small(store)
    tables = read_tables(store, AS_OF)
    system = IndicatorSystem()
    scores = system.score(tables)
    classifier = Classifier(load_classification_config(indicators=system.config), system.config)
    classification = classifier.predict(scores, tables)
    frame = classification.frame.set_index("uscc")
    assert frame.loc[uscc(2), "risk_class"] == "D"
    assert frame.loc[uscc(2), "rule"] == "serious_dishonesty_veto"
    assert frame.loc[uscc(2), "score"] < 27  # the score alone would not have made it D
    assert frame.loc[uscc(2), "rule_record_zh"].startswith("列入严重违法失信名单 2025-06-01")
    assert frame.loc[uscc(2), "counterfactual_code"] == "rule:serious_dishonesty_veto"
    # E4 is on the abnormal list now: at least C, and the listing is its first reason.
    assert frame.loc[uscc(4), "risk_class"] == "C"
    assert frame.loc[uscc(4), "rule"] == "abnormal_list_floor"
    reasons = classification.reasons_of(uscc(4))
    assert 1 <= len(reasons) <= 3
    assert reasons[0]["code"] == "on_abnormal_list"
    assert reasons[0]["label_zh"] == "当前列入经营异常名录"
    assert reasons[0]["record_zh"] == "列入经营异常名录 2026-05-01 原因:r"
    assert reasons[0]["record_en"] == "abnormal-operations list 2026-05-01, reason: r"
    penalty = next(r for r in reasons if r["code"].startswith("penalty"))
    assert penalty["record_zh"] == "行政处罚 2025-02-02 2万元 ads"
    assert penalty["record_en"] == "penalty 2025-02-02, 20,000 yuan, ads"
    points = [reason["points"] for reason in reasons]
    assert points == sorted(points, reverse=True) or reasons[0]["code"] == "on_abnormal_list"
    assert all(frame[c].min() >= 0 and frame[c].max() <= 100
               for c in frame.columns if c.startswith("score_") and frame[c].notna().any())


def test_contributions_add_up_to_the_score(store: GraphStore) -> None:
    load_small(store)
    scores = IndicatorSystem().score(read_tables(store, AS_OF))
    total = scores.base_score.to_numpy()
    np.testing.assert_allclose(scores.dimension_contributions.sum(axis=1), total, atol=1e-6)
    np.testing.assert_allclose(scores.contributions.sum(axis=1), total, atol=1e-6)


def test_sector_overlay_and_safety_licence_floor(store: GraphStore) -> None:
    write_batch(store, delivery_to_batch(sector_delivery(), PersonPseudonyms(PERSON_KEY)))
    tables = read_tables(store, AS_OF)
    system = IndicatorSystem()
    scores = system.score(tables)
    assert scores.raw.loc[uscc(12), "safety_licence_revoked_3y"] == 1
    assert scores.raw.loc[uscc(12), "food_production_licence_lapsed"] == 1
    assert scores.raw.loc[uscc(11), "food_production_licence_lapsed"] == 0
    assert scores.raw.loc[uscc(12), "food_production_penalties_3y"] == 1
    parts = scores.sector_contributions["food_production"]
    np.testing.assert_allclose(parts.sum(axis=1), scores.sector_scores["food_production"],
                               atol=1e-6)
    assert scores.sector_scores["drug_retail"].isna().all()
    classifier = Classifier(load_classification_config(indicators=system.config), system.config)
    classification = classifier.predict(scores, tables)
    frame = classification.frame.set_index("uscc")
    assert frame.loc[uscc(12), "risk_class"] == "C"
    assert frame.loc[uscc(12), "rule"] == "safety_licence_revoked"
    assert frame.loc[uscc(12), "rule_record_zh"] == "许可证(food_production)于 2026-03-01 被吊销"
    assert frame.loc[uscc(12), "class_food_production"] in ("C", "D")
    assert frame.loc[uscc(11), "class_food_production"] in ("A", "B")
    assert (frame["class_drug_retail"] == "").all()
    records = [r["record_zh"] for r in classification.reasons_of(uscc(12))]
    assert "行政处罚 2025-03-02 5万元 食品安全" in records


def test_annual_report_gaps(store: GraphStore) -> None:
    load_small(store)
    tables = read_tables(store, AS_OF)
    # Drop E1's 2024 report: one gap for E1, none for the others.
    reports = tables.events["annual_report"]
    tables.events["annual_report"] = reports.loc[
        ~((reports["uscc"] == uscc(1)) & (reports["year"] == 2024))]
    raw = IndicatorSystem().raw_values(tables)
    assert raw.loc[uscc(1), "annual_report_gaps_3y"] == 1
    assert raw.loc[uscc(2), "annual_report_gaps_3y"] == 0
