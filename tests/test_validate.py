"""Validation into canonical records: bad rows are quarantined with record and field."""

from __future__ import annotations

import pandas as pd

from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from tests.builders import id_number


def _province_frames() -> dict[str, object]:
    province = generate_province(300, seed=5)
    return {
        "enterprises": province.enterprises.copy(), "people": province.people,
        "shareholdings": province.shareholdings, "legal_reps": province.legal_reps,
        "officers": province.officers, "branches": province.branches,
        "events": province.events,
    }


def test_synthetic_province_validates_without_quarantine() -> None:
    delivery = validate_frames(**_province_frames())  # type: ignore[arg-type]
    assert delivery.quarantine == []
    assert len(delivery.enterprises) == 300


def test_bad_rows_are_quarantined_naming_record_and_field() -> None:
    frames = _province_frames()
    enterprises: pd.DataFrame = frames["enterprises"]  # type: ignore[assignment]
    good_uscc = enterprises.loc[0, "uscc"]
    bad_uscc = good_uscc[:-1] + ("0" if good_uscc[-1] != "0" else "1")
    enterprises.loc[0, "uscc"] = bad_uscc
    enterprises.loc[1, "status"] = "bankrupt"
    delivery = validate_frames(**frames)  # type: ignore[arg-type]

    first, second = delivery.quarantine[0], delivery.quarantine[1]
    assert (first.source, first.line, first.record_key, first.field) == (
        "enterprises", 1, bad_uscc, "uscc")
    assert "check character" in first.reason
    assert (second.line, second.field) == (2, "status")
    assert len(delivery.enterprises) == 298
    # Everything that pointed at the rejected enterprise is quarantined too, never dropped.
    orphans = [q for q in delivery.quarantine[2:] if q.reason.startswith("unknown reference")]
    assert orphans and all(good_uscc in q.reason or enterprises.loc[1, "uscc"] in q.reason
                           for q in orphans)
    assert "enterprises:1 [" in str(first)


def test_bad_person_reference_and_interval() -> None:
    frames = _province_frames()
    reps = frames["legal_reps"].copy()  # type: ignore[attr-defined]
    reps.loc[0, "until"] = reps.loc[0, "since"].replace(year=reps.loc[0, "since"].year - 1)
    reps.loc[1, "id_number"] = id_number(999)  # valid number, but no such person delivered
    frames["legal_reps"] = reps
    delivery = validate_frames(**frames)  # type: ignore[arg-type]
    by_field = {(q.source, q.field): q for q in delivery.quarantine}
    assert by_field[("legal_reps", "(record)")].line == 1
    assert "is before since" in by_field[("legal_reps", "(record)")].reason
    unknown_person = by_field[("legal_reps", "id_number")]
    assert unknown_person.line == 2
    assert unknown_person.reason.startswith("unknown reference")
    # The report never carries a raw identity number, only the masked one.
    assert id_number(999) not in str(delivery.quarantine)
    assert id_number(999)[:6] + "********" in unknown_person.reason
