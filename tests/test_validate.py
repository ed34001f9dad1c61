"""Validation into canonical records: bad rows are quarantined with record and field."""

from __future__ import annotations

import pandas as pd

from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from tests.builders import id_number


def _province_frames() -> dict[str, pd.DataFrame]:
    province = generate_province(300, seed=5)
    return {
        "enterprises": province.enterprises.copy(), "people": province.people,
        "shareholdings": province.shareholdings.copy(), "legal_reps": province.legal_reps,
        "officers": province.officers, "branches": province.branches, **province.events,
    }


def test_synthetic_province_validates_without_quarantine() -> None:
    delivery = validate_frames(_province_frames())
    assert delivery.quarantine == []
    assert len(delivery.frames["enterprises"]) == 300


def test_bad_rows_are_quarantined_naming_record_and_field() -> None:
    frames = _province_frames()
    enterprises = frames["enterprises"]
    good_uscc = enterprises.loc[0, "uscc"]
    bad_uscc = good_uscc[:-1] + ("0" if good_uscc[-1] != "0" else "1")
    enterprises.loc[0, "uscc"] = bad_uscc
    enterprises.loc[1, "status"] = "bankrupt"
    delivery = validate_frames(frames)

    first, second = delivery.quarantine[0], delivery.quarantine[1]
    assert (first.source, first.line, first.record_key, first.field) == (
        "enterprises", 1, bad_uscc, "uscc")
    assert "check character" in first.reason
    assert (second.line, second.field) == (2, "status")
    assert len(delivery.frames["enterprises"]) == 298
    # Everything that pointed at the rejected enterprise is quarantined too, never dropped.
    orphans = [q for q in delivery.quarantine[2:] if q.reason.startswith("unknown reference")]
    assert orphans and all(good_uscc in q.reason or enterprises.loc[1, "uscc"] in q.reason
                           for q in orphans)
    assert "enterprises:1 [" in str(first)


def test_bad_person_reference_and_interval() -> None:
    frames = _province_frames()
    reps = frames["legal_reps"].copy()
    reps.loc[0, "until"] = reps.loc[0, "since"].replace(year=reps.loc[0, "since"].year - 1)
    reps.loc[1, "id_number"] = id_number(999)  # valid number, but no such person delivered
    frames["legal_reps"] = reps
    delivery = validate_frames(frames)
    by_field = {(q.source, q.field): q for q in delivery.quarantine}
    assert by_field[("legal_reps", "(record)")].line == 1
    assert "is before since" in by_field[("legal_reps", "(record)")].reason
    unknown_person = by_field[("legal_reps", "id_number")]
    assert unknown_person.line == 2
    assert unknown_person.reason.startswith("unknown reference")
    # The report never carries a raw identity number, only the masked one.
    assert id_number(999) not in str(delivery.quarantine)
    assert id_number(999)[:6] + "********" in unknown_person.reason


def test_shares_above_100_percent_are_quarantined_with_their_lines() -> None:
    frames = _province_frames()
    holdings = frames["shareholdings"]
    holders = holdings.loc[holdings["until"].isna()].groupby("enterprise_uscc").size()
    target = holders[holders >= 2].index[0]
    rows = holdings.index[(holdings["enterprise_uscc"] == target) & holdings["until"].isna()]
    holdings.loc[rows, "ratio"] = 0.9  # every current holder now claims 90%
    delivery = validate_frames(frames)
    over = [q for q in delivery.quarantine if q.field == "ratio"]
    assert sorted(q.line for q in over) == sorted(int(i) + 1 for i in rows)
    assert all(q.record_key == target and "more than 100%" in q.reason for q in over)
    assert not any(h.enterprise_uscc == target and h.until is None
                   for h in delivery.records("shareholdings"))


def test_references_to_known_records_in_the_store_are_accepted() -> None:
    frames = _province_frames()
    later = {"penalty": frames["penalty"], "legal_reps": frames["legal_reps"]}
    alone = validate_frames(later)
    assert len(alone.quarantine) == len(frames["penalty"]) + len(frames["legal_reps"])
    known_usccs = set(frames["enterprises"]["uscc"])
    known_ids = set(frames["people"]["id_number"])
    update = validate_frames(later, known_enterprises=known_usccs,
                             known_people=lambda ids: [i in known_ids for i in ids])
    assert update.quarantine == []
    assert len(update.frames["penalty"]) == len(frames["penalty"])
