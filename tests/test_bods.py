"""BODS 0.4 (and 0.2) JSON into canonical record frames: mapping, updates, formats, validation.

The fixture ``tests/data/bods/chain.bods.json`` holds, as BODS 0.4 statements:

- 甲 (A, USCC under CN-USCI; updated later with a new address), 乙 (B, joint-stock, USCC under
  CN-SAIC plus a 15-digit 注册号, registered address), 丙 (C, farmer cooperative, dissolved,
  USCC only by scheme name) and 丁 (D, USCC with a wrong check character);
- 张三 (P1, CHN-IDCARD), 李四 (P2, ID by scheme name, name only as family + given), 王五
  (P3, no identifier);
- the chain P1 -(50-75 %)-> B -(60 %, and 60 % of votes)-> A, and P1's indirect 37.5 % of A;
- P2: board member and chair, then senior managing official of A, an ignored interest, votes
  in B without a shareholding, and a holding in A that is updated (30 -> 20 %) then closed;
- P3 holds 10 % of A; an undisclosed party holds 100 % of D.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ingestion.bods import BodsError, read_bods
from ingestion.identifiers import gb11643_check_char, legacy_regno_check_digit, make_uscc
from ingestion.models import (
    RECORD_KINDS,
    Enterprise,
    LegalRepresentative,
    Officer,
    PersonInput,
    Shareholding,
)
from ingestion.validate import QuarantineEntry, validate_rows

FIXTURE = Path(__file__).parent / "data" / "bods" / "chain.bods.json"

A = make_uscc("9", "1", "330106", "12345678")
B = make_uscc("9", "1", "330102", "87654321")
C = make_uscc("9", "3", "330106", "1234567A")
_D_VALID = make_uscc("9", "1", "330108", "11112222")
D = _D_VALID[:17] + ("1" if _D_VALID[17] != "1" else "2")  # wrong check character
REGNO = "33010000012345" + legacy_regno_check_digit("33010000012345")


def _id(n: int) -> str:
    first17 = f"33010619800101{n:03d}"
    return first17 + gb11643_check_char(first17)


P1, P2 = _id(11), _id(12)


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return read_bods(FIXTURE)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, values, strict=True))
            for values in frame.itertuples(index=False, name=None)]


def _holdings(frames: dict[str, pd.DataFrame]) -> dict[tuple[Any, Any], dict[str, Any]]:
    return {(r["holder_id"], r["enterprise_uscc"]): r for r in _records(frames["shareholdings"])}


def test_kinds_and_columns_are_the_model_fields(frames: dict[str, pd.DataFrame]) -> None:
    assert list(frames) == ["enterprises", "people", "shareholdings", "officers"]
    for kind, frame in frames.items():
        assert list(frame.columns) == list(RECORD_KINDS[kind].model_fields)
    enterprise = _records(frames["enterprises"])[0]
    assert type(enterprise["established"]) is dt.date
    assert enterprise["sectors"] == ()
    assert enterprise["industry_code"] is None and enterprise["registered_capital"] is None


def test_two_layer_chain_with_a_person_on_top(frames: dict[str, pd.DataFrame]) -> None:
    holdings = _holdings(frames)
    b_in_a = holdings[(B, A)]
    assert (b_in_a["holder_kind"], b_in_a["ratio"]) == ("enterprise", pytest.approx(0.6))
    assert b_in_a["since"] == dt.date(2018, 5, 1) and b_in_a["until"] is None
    p1_in_b = holdings[(P1, B)]
    assert p1_in_b["holder_kind"] == "person"
    # the declared votingRights of B in A do not add a second row for the same pair
    assert sum(1 for key in holdings if key == (B, A)) == 1
    assert len(frames["shareholdings"]) == 6


def test_percentage_ranges_become_the_midpoint_ratio(frames: dict[str, pd.DataFrame]) -> None:
    holdings = _holdings(frames)
    assert holdings[(P1, B)]["ratio"] == pytest.approx(0.625)  # minimum 50, maximum 75
    # votingRights with exclusive bounds 0-10 %, no shareholding declared for the pair
    assert holdings[(P2, B)]["ratio"] == pytest.approx(0.05)


def test_indirect_interests_are_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ingestion.bods"):
        frames = read_bods(FIXTURE)
    assert (P1, A) not in _holdings(frames)  # the 37.5 % indirect interest
    messages = " ".join(record.getMessage() for record in caplog.records)
    assert "skipped 1 indirect" in messages
    assert "otherInfluenceOrControl" in messages


def test_officers_from_board_and_management_interests(frames: dict[str, pd.DataFrame]) -> None:
    officers = _records(frames["officers"])
    assert officers == [
        {"since": dt.date(2019, 1, 1), "until": None, "id_number": P2,
         "enterprise_uscc": A, "role": "director"},  # boardMember and boardChair: one row
        {"since": dt.date(2020, 2, 1), "until": dt.date(2023, 6, 30), "id_number": P2,
         "enterprise_uscc": A, "role": "manager"},
    ]


def test_person_without_identifier_keeps_row_with_id_none(
    frames: dict[str, pd.DataFrame],
) -> None:
    people = _records(frames["people"])
    assert people == [
        {"id_number": P1, "name": "张三"},
        {"id_number": P2, "name": "李四"},  # familyName + givenName, no fullName
        {"id_number": None, "name": "王五"},
    ]
    held_by_nobody = _holdings(frames)[(None, A)]
    assert held_by_nobody["holder_kind"] == "person"
    assert held_by_nobody["ratio"] == pytest.approx(0.1)


def test_latest_statement_wins_and_closed_relationship_ends(
    frames: dict[str, pd.DataFrame],
) -> None:
    p2_in_a = _holdings(frames)[(P2, A)]
    assert p2_in_a["ratio"] == pytest.approx(0.2)  # 'updated' replaced the 30 %
    assert p2_in_a["since"] == dt.date(2019, 1, 1)
    assert p2_in_a["until"] == dt.date(2021, 12, 31)  # the 'closed' statement's date
    enterprise_a = _records(frames["enterprises"])[0]
    assert enterprise_a["address"] == "杭州市西湖区古墩路99号"  # from the 'updated' statement


def test_enterprise_fields_derived_from_the_uscc(frames: dict[str, pd.DataFrame]) -> None:
    by_uscc = {row["uscc"]: row for row in _records(frames["enterprises"])}
    assert set(by_uscc) == {A, B, C, D}
    assert (by_uscc[A]["entity_type"], by_uscc[A]["region_code"]) == ("limited_company", "330106")
    assert by_uscc[A]["status"] == "operating"
    assert by_uscc[A]["established"] == dt.date(2012, 3, 15)
    # 股份有限公司 in the name; the registered address is preferred; the 注册号 is kept
    assert by_uscc[B]["entity_type"] == "joint_stock_company"
    assert by_uscc[B]["address"] == "杭州市上城区延安路100号"
    assert by_uscc[B]["legacy_regno"] == REGNO
    assert (by_uscc[C]["entity_type"], by_uscc[C]["status"]) == ("farmer_cooperative", "cancelled")
    assert by_uscc[D]["region_code"] == "330108"  # bad check character: left for validation


def test_json_lines_and_array_are_told_apart_by_content(tmp_path: Path) -> None:
    statements = json.loads(FIXTURE.read_text(encoding="utf-8"))
    lines = tmp_path / "delivery.json"  # JSON Lines despite the name
    lines.write_text(
        "\n".join(json.dumps(s, ensure_ascii=False) for s in statements) + "\n", encoding="utf-8")
    array = tmp_path / "delivery.bods.jsonl"  # an array despite the name
    array.write_text(json.dumps(statements, ensure_ascii=False), encoding="utf-8")
    expected = read_bods(FIXTURE)
    for path in (lines, array):
        got = read_bods(path)
        assert list(got) == list(expected)
        for kind, frame in expected.items():
            pd.testing.assert_frame_equal(got[kind], frame)


Validated = tuple[dict[str, list[Any]], list[QuarantineEntry]]


def _validate(frames: dict[str, pd.DataFrame]) -> Validated:
    """The project's row validation, with the references checked as a delivery does."""
    quarantine: list[QuarantineEntry] = []
    enterprises = validate_rows(
        Enterprise, _records(frames["enterprises"]), "enterprises", ("uscc",), quarantine)
    people = validate_rows(
        PersonInput, _records(frames["people"]), "people", ("name",), quarantine)
    usccs = {e.uscc for e in enterprises}
    persons = {p.id_number for p in people}

    def holding_refs(row: Shareholding) -> tuple[str, str] | None:
        holders = usccs if row.holder_kind == "enterprise" else persons
        if row.holder_id not in holders:
            return "holder_id", row.holder_id
        return None if row.enterprise_uscc in usccs else ("enterprise_uscc", row.enterprise_uscc)

    def officer_refs(row: LegalRepresentative | Officer) -> tuple[str, str] | None:
        if row.id_number not in persons:
            return "id_number", row.id_number
        return None if row.enterprise_uscc in usccs else ("enterprise_uscc", row.enterprise_uscc)

    shareholdings = validate_rows(
        Shareholding, _records(frames["shareholdings"]), "shareholdings",
        ("holder_id", "enterprise_uscc"), quarantine, holding_refs)
    officers = validate_rows(
        Officer, _records(frames["officers"]), "officers", ("enterprise_uscc",), quarantine,
        officer_refs)
    records: dict[str, list[Any]] = {
        "enterprises": enterprises, "people": people,
        "shareholdings": shareholdings, "officers": officers,
    }
    return records, quarantine


def test_frames_validate_good_rows_and_quarantine_bad_ones_by_field(
    frames: dict[str, pd.DataFrame],
) -> None:
    records, quarantine = _validate(frames)
    assert {kind: len(rows) for kind, rows in records.items()} == {
        "enterprises": 3, "people": 2, "shareholdings": 4, "officers": 2}
    assert {e.uscc for e in records["enterprises"]} == {A, B, C}
    assert {(q.source, q.line, q.field) for q in quarantine} == {
        ("enterprises", 4, "uscc"),  # 丁: wrong check character
        ("people", 3, "id_number"),  # 王五: no identity number
        ("shareholdings", 4, "holder_id"),  # 王五's 10 % of 甲
        ("shareholdings", 6, "holder_kind"),  # the undisclosed owner of 丁 ...
        ("shareholdings", 6, "holder_id"),
        ("shareholdings", 6, "enterprise_uscc"),  # ... of an enterprise with a bad USCC
    }
    # every row is accounted for: a record or at least one quarantine entry
    for kind, frame in frames.items():
        bad_lines = {q.line for q in quarantine if q.source == kind}
        assert len(records[kind]) + len(bad_lines) == len(frame)


def _write(tmp_path: Path, statements: list[dict[str, Any]]) -> Path:
    path = tmp_path / "input.bods.json"
    path.write_text(json.dumps(statements, ensure_ascii=False), encoding="utf-8")
    return path


def test_declared_but_invalid_identity_number_is_left_as_given(tmp_path: Path) -> None:
    person = {
        "statementId": "1" * 32, "recordId": "p", "recordType": "person",
        "recordDetails": {"personType": "knownPerson", "names": [{"fullName": "赵六"}],
                          "identifiers": [{"id": "330106198001010000", "scheme": "CHN-IDCARD"}]},
    }
    frames = read_bods(_write(tmp_path, [person]))
    assert list(frames) == ["people"]
    assert _records(frames["people"]) == [{"id_number": "330106198001010000", "name": "赵六"}]


def test_bods_0_2_statements_are_converted(tmp_path: Path) -> None:
    pub = {"publicationDate": "2019-01-01", "bodsVersion": "0.2", "publisher": {"name": "x"}}
    statements: list[dict[str, Any]] = [
        {"statementID": "e" * 32, "statementType": "entityStatement",
         "entityType": "registeredEntity", "name": "杭州甲科技有限公司",
         "identifiers": [{"scheme": "CN-USCI", "id": A}], "foundingDate": "2012-03-15",
         "publicationDetails": pub},
        {"statementID": "f" * 32, "statementType": "entityStatement",
         "entityType": "registeredEntity", "name": "杭州甲科技有限公司",
         "identifiers": [{"scheme": "CN-USCI", "id": A}], "foundingDate": "2012-03-16",
         "replacesStatements": ["e" * 32], "publicationDetails": pub},
        {"statementID": "p" * 32, "statementType": "personStatement", "personType": "knownPerson",
         "names": [{"fullName": "张三"}], "identifiers": [{"scheme": "CHN-IDCARD", "id": P1}],
         "publicationDetails": pub},
        {"statementID": "r" * 32, "statementType": "ownershipOrControlStatement",
         "subject": {"describedByEntityStatement": "e" * 32},  # follows the replacement
         "interestedParty": {"describedByPersonStatement": "p" * 32},
         "interests": [
             {"type": "shareholding", "interestLevel": "direct", "share": {"exact": 40},
              "startDate": "2015-01-01"},
             {"type": "senior-managing-official", "interestLevel": "direct"},
             {"type": "voting-rights", "interestLevel": "indirect", "share": {"exact": 40}},
         ],
         "publicationDetails": pub},
    ]
    frames = read_bods(_write(tmp_path, statements))
    assert [r["established"] for r in _records(frames["enterprises"])] == [dt.date(2012, 3, 16)]
    assert _records(frames["shareholdings"]) == [
        {"since": dt.date(2015, 1, 1), "until": None, "holder_kind": "person", "holder_id": P1,
         "enterprise_uscc": A, "ratio": pytest.approx(0.4), "amount": None},
    ]
    assert [r["role"] for r in _records(frames["officers"])] == ["manager"]


def test_unsupported_version_and_non_bods_input_raise(tmp_path: Path) -> None:
    old = {"statementID": "x" * 32, "statementType": "entityStatement",
           "publicationDetails": {"bodsVersion": "0.1"}}
    with pytest.raises(BodsError, match=r"BODS version '0\.1' is not supported"):
        read_bods(_write(tmp_path, [old]))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"recordId": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(BodsError, match=r"broken\.jsonl:2"):
        read_bods(broken)
    truncated = tmp_path / "truncated.json"
    truncated.write_text('[\n  {"recordId": "a"},\n', encoding="utf-8")
    with pytest.raises(BodsError, match=r"truncated\.json:3:1: invalid JSON array"):
        read_bods(truncated)
    scalar = tmp_path / "scalar.json"
    scalar.write_text("42", encoding="utf-8")
    with pytest.raises(BodsError, match="JSON array of BODS statements"):
        read_bods(scalar)
