"""Indicators on the hand-built delivery, as of a date, on both stores."""

from __future__ import annotations

import datetime as dt

import pytest

from features.score import IndicatorSystem
from features.tables import read_tables
from graph.store import GraphStore
from risk.classify import Classifier, load_classification_config
from tests.builders import AS_OF, uscc
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


def test_veto_and_reasons(store: GraphStore) -> None:
    load_small(store)
    system = IndicatorSystem()
    scores = system.score(read_tables(store, AS_OF))
    classifier = Classifier(load_classification_config(indicators=system.config), system.config)
    frame = classifier.predict(scores).frame.set_index("uscc")
    assert frame.loc[uscc(2), "risk_class"] == "D"
    assert frame.loc[uscc(2), "rule"] == "serious_dishonesty_veto"
    assert frame.loc[uscc(2), "score"] < 25  # the score alone would not have made it D
    reasons = frame.loc[uscc(4), "reasons"]
    assert 1 <= len(reasons) <= 3
    assert reasons[0]["code"] == "on_abnormal_list"
    assert reasons[0]["label_zh"] == "当前列入经营异常名录"
    points = [reason["points"] for reason in reasons]
    assert points == sorted(points, reverse=True)
    assert all(frame[c].min() >= 0 and frame[c].max() <= 100
               for c in frame.columns if c.startswith("score"))


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
