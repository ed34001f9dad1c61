"""Delivery files: round trips, Chinese headers and units, encodings, errors, line numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ingestion import docs
from ingestion.formats import (
    DeliveryError,
    HeaderMap,
    RawDelivery,
    read_delivery,
    split_unit,
    write_delivery,
)
from ingestion.models import RECORD_KINDS, Enterprise, Record, Shareholding
from ingestion.synthetic import generate_province
from ingestion.validate import QuarantineEntry, frame_rows, validate_rows

ROOT = Path(__file__).resolve().parents[1]
ID = "11010519491231002X"  # the example number of GB 11643, not a person
USCC = "91330281336808900P"


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    province = generate_province(300, seed=1)
    return {
        "enterprises": province.enterprises, "people": province.people,
        "shareholdings": province.shareholdings, "legal_reps": province.legal_reps,
        "officers": province.officers, "branches": province.branches, **province.events,
    }


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as validation sees them (missing values None, lists as tuples)."""
    return list(frame_rows(frame))


def _quarantine(raw: RawDelivery, kind: str, keys: tuple[str, ...]) -> list[QuarantineEntry]:
    quarantine: list[QuarantineEntry] = []
    model: type[Record] = RECORD_KINDS[kind]
    validate_rows(model, frame_rows(raw.frames[kind]), kind, keys, quarantine)
    return quarantine


def _where(raw: RawDelivery, kind: str, entry: QuarantineEntry) -> str:
    """The file:line of a quarantined row (validation counts rows from 1)."""
    return str(raw.source_of_row[kind][entry.line - 1])


@pytest.mark.parametrize("headers", ["en", "zh"])
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("format", ["parquet", "csv", "jsonl"])
def test_round_trip(frames: dict[str, pd.DataFrame], tmp_path: Path, format: str,
                    encoding: str, headers: str) -> None:
    paths = write_delivery(frames, tmp_path, format, encoding=encoding,  # type: ignore[arg-type]
                           headers=headers)  # type: ignore[arg-type]
    assert [path.name for path in paths] == [f"{kind}.{format}" for kind in frames]
    raw = read_delivery(tmp_path)
    assert list(raw.frames) == list(frames)  # load order
    for kind, frame in frames.items():
        assert list(raw.frames[kind].columns) == list(frame.columns), kind
        assert _rows(raw.frames[kind]) == _rows(frame), kind
        assert raw.sources[kind] == [f"{kind}.{format}"]
        assert list(raw.source_of_row[kind]) == [
            f"{kind}.{format}:{line}" for line in range(1, len(frame) + 1)]
    if format == "csv" and encoding == "gb18030":
        assert "enterprises.csv: encoding GB18030 (not UTF-8), decoded (编码 GB18030)" in raw.notes
    assert f"shareholdings.{format}: ratio given as a fraction (0-1), kept" in " ".join(
        raw.notes)


def test_round_trip_frames_are_typed(frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    write_delivery(frames, tmp_path, "csv")
    raw = read_delivery(tmp_path)
    enterprises = raw.frames["enterprises"]
    assert enterprises["registered_capital"].dtype == "float64"
    assert isinstance(enterprises["established"].iloc[0], dt.date)
    assert isinstance(enterprises["sectors"].iloc[0], list)
    assert raw.frames["annual_report"]["on_time"].dtype == bool
    assert raw.frames["annual_report"]["year"].dtype == "int64"


# A registry extract as it arrives: GB18030, Chinese headers, 万元 and percent columns,
# Chinese labels for coded values, a column nobody asked for.
ENTERPRISES_GB = "\n".join([
    "统一社会信用代码,企业名称,企业类型,登记状态,成立日期,行政区划代码,行业代码,"
    "注册资本（万元）,实缴资本,重点监管领域,住所,联系电话,备注",
    f"{USCC},杭州 （滨江）科技有限公司,有限责任公司(自然人投资或控股),"
    "存续（在营、开业、在册）,2025年3月2日,330108,F5251,85.5,\"1,200元\",食品生产；药品零售,"
    "杭州市滨江区,0571-88881234,无",
    "92330482MA6J8QNR7W,嘉兴某某店,个体工商户,吊销，未注销,20190618,033010,6210,3,NULL,,,"
    "057388886666,",
]) + "\n"
SHAREHOLDINGS = f"""\
股东类型,股东证照号码,统一社会信用代码,持股比例(%),认缴出资额(万元),出资日期
自然人,{ID},{USCC},35.5,10,2025/3/2
法人股东,92330482MA6J8QNR7W,{USCC},64.5%,二十,2025.03.02
"""


@pytest.fixture
def registry_extract(tmp_path: Path) -> Path:
    (tmp_path / "enterprises.csv").write_bytes(ENTERPRISES_GB.encode("gb18030"))
    (tmp_path / "shareholdings.csv").write_text(SHAREHOLDINGS, encoding="utf-8-sig")
    return tmp_path


def test_gb18030_chinese_headers_units_and_labels(registry_extract: Path) -> None:
    raw = read_delivery(registry_extract)
    first, second = _rows(raw.frames["enterprises"])
    assert first == {
        "uscc": USCC, "name": "杭州 （滨江）科技有限公司", "entity_type": "limited_company",
        "status": "operating", "established": dt.date(2025, 3, 2), "region_code": "330108",
        "industry_code": "5251", "registered_capital": 855000.0, "paid_in_capital": 1200.0,
        "sectors": ("food_production", "drug_retail"), "address": "杭州市滨江区",
        "phone": "0571-88881234",
    }
    assert (second["status"], second["established"], second["registered_capital"]) == (
        "revoked", dt.date(2019, 6, 18), 30000.0)
    assert (second["region_code"], second["phone"]) == ("033010", "057388886666")  # zeros kept
    assert (second["paid_in_capital"], second["sectors"], second["address"]) == (None, (), None)
    holdings = _rows(raw.frames["shareholdings"])
    assert [row["holder_kind"] for row in holdings] == ["person", "enterprise"]
    assert [row["ratio"] for row in holdings] == [pytest.approx(0.355), pytest.approx(0.645)]
    assert holdings[0]["amount"] == 100000.0 and holdings[1]["amount"] == "二十"
    notes = raw.notes
    for expected in [
        "enterprises.csv: encoding GB18030 (not UTF-8), decoded (编码 GB18030)",
        "enterprises.csv: column(s) 备注 not in the enterprises record, dropped "
        "(未识别的列，已忽略)",
        "enterprises.csv: registered_capital given in 万元 (header), converted to yuan (元) "
        "x10,000",
        "shareholdings.csv: encoding UTF-8 with BOM",
        "shareholdings.csv: ratio given in percent (0-100), converted to 0-1 (header unit %)",
        "shareholdings.csv: amount: 1 cell(s) could not be read as amount, left as given for "
        "validation (无法转换，保留原值)",
    ]:
        assert expected in notes
    assert any(note.startswith("enterprises.csv: status: Chinese labels mapped") for note in notes)


def test_percent_detected_from_values(tmp_path: Path) -> None:
    (tmp_path / "shareholdings.csv").write_text(
        f"holder_kind,holder_id,enterprise_uscc,ratio\nperson,{ID},{USCC},60\n"
        f"person,{ID},{USCC},0.4\n", encoding="utf-8")
    raw = read_delivery(tmp_path)
    assert raw.frames["shareholdings"]["ratio"].tolist() == [0.6, 0.004]
    assert ("shareholdings.csv: ratio given in percent (0-100), converted to 0-1 (values above 1)"
            in raw.notes)


def test_bad_cells_go_to_validation_naming_field_and_line(registry_extract: Path) -> None:
    text = ENTERPRISES_GB.replace("20190618", "2019-02-30").replace(",6210,", ",G6210,")
    (registry_extract / "enterprises.csv").write_bytes(text.encode("gb18030"))
    raw = read_delivery(registry_extract)
    quarantine = _quarantine(raw, "enterprises", ("uscc",))
    assert {(entry.field, _where(raw, "enterprises", entry)) for entry in quarantine} == {
        ("established", "enterprises.csv:2"), ("industry_code", "enterprises.csv:2")}
    holdings = _quarantine(raw, "shareholdings", ("enterprise_uscc",))
    assert [(entry.field, _where(raw, "shareholdings", entry)) for entry in holdings] == [
        ("amount", "shareholdings.csv:2")]


@pytest.mark.parametrize("format", ["parquet", "csv", "jsonl"])
def test_frames_with_bad_cells_are_written_as_given(
    frames: dict[str, pd.DataFrame], tmp_path: Path, format: str
) -> None:
    enterprises = frames["enterprises"].head(3).copy()
    enterprises.loc[1, "established"] = "not a date"
    write_delivery({"enterprises": enterprises}, tmp_path, format)  # type: ignore[arg-type]
    raw = read_delivery(tmp_path)
    quarantine = _quarantine(raw, "enterprises", ("uscc",))
    assert [(entry.field, _where(raw, "enterprises", entry)) for entry in quarantine] == [
        ("established", f"enterprises.{format}:2")]


def test_unknown_file_name_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "enterprises.csv").write_text("uscc\n", encoding="utf-8")
    (tmp_path / "penalties.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(DeliveryError, match=r"penalties\.csv") as error:
        read_delivery(tmp_path)
    assert "accepted: <kind>.<ext> or <kind>-<part>.<ext>" in str(error.value)
    assert "penalty" in str(error.value) and "*.bods.json" in str(error.value)


def test_missing_required_column_names_file_and_column(tmp_path: Path) -> None:
    (tmp_path / "people-2.csv").write_text(f"姓名,证件\n张三,{ID}\n", encoding="utf-8")
    with pytest.raises(DeliveryError, match=r"people-2\.csv: missing required column.*'id_number'"):
        read_delivery(tmp_path)


def test_two_columns_for_one_field_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(f"身份证号,证件号码,姓名\n{ID},{ID},张三\n",
                                         encoding="utf-8")
    with pytest.raises(DeliveryError, match="both map to field 'id_number'"):
        read_delivery(tmp_path)


def test_identity_numbers_never_appear_in_errors_or_notes(tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text(f"{ID},张三\n{ID},李四\n", encoding="utf-8")  # no header line
    with pytest.raises(DeliveryError, match="header") as headerless:
        read_delivery(tmp_path)
    people.write_text(f"id_number,name\n{ID},张三\n{ID},李四,多余\n", encoding="utf-8")
    with pytest.raises(DeliveryError, match="line 2: 2 fields expected, 3 found") as malformed:
        read_delivery(tmp_path)
    people.write_text(f"id_number,name,{ID}\n{ID},张三,x\n", encoding="utf-8")
    raw = read_delivery(tmp_path)
    for text in (str(headerless.value), str(malformed.value), *raw.notes):
        assert ID not in text
    assert "people.csv: column(s) (column 3) not in the people record, dropped" in raw.notes[0]


def test_line_numbers_csv_parts_and_jsonl_blank_lines(tmp_path: Path) -> None:
    header = "id_number,name\n"
    (tmp_path / "people.csv").write_text(header + f"{ID},甲\n{ID},乙\n", encoding="utf-8")
    (tmp_path / "people-10.csv").write_text(header + f"{ID},丁\n", encoding="utf-8")
    (tmp_path / "people-2.csv").write_text(header + f"{ID},丙\n", encoding="utf-8")
    officer = f'{{{{"id_number": "{ID}", "enterprise_uscc": "{USCC}", "role": "{{}}"}}}}'
    lines = ["", officer.format("董事"), "", officer.format("监事"), officer.format("boss")]
    (tmp_path / "officers.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_delivery(tmp_path)
    assert raw.sources["people"] == ["people.csv", "people-2.csv", "people-10.csv"]
    assert raw.frames["people"]["name"].tolist() == ["甲", "乙", "丙", "丁"]
    assert list(raw.source_of_row["people"]) == [
        "people.csv:1", "people.csv:2", "people-2.csv:1", "people-10.csv:1"]
    assert list(raw.source_of_row["officers"]) == [
        "officers.jsonl:2", "officers.jsonl:4", "officers.jsonl:5"]
    assert raw.frames["officers"]["role"].tolist() == ["director", "supervisor", "boss"]
    quarantine = _quarantine(raw, "officers", ("enterprise_uscc",))
    assert [(entry.field, _where(raw, "officers", entry)) for entry in quarantine] == [
        ("role", "officers.jsonl:5")]


def test_jsonl_typed_values_and_chinese_keys(tmp_path: Path) -> None:
    (tmp_path / "enterprises.jsonl").write_text(
        f'{{"统一社会信用代码": "{USCC}", "企业名称": "某公司", "企业类型": "有限责任公司", '
        f'"登记状态": "存续", "成立日期": 20190618, "行政区划代码": 330108, '
        f'"注册资本(万元)": 100, "重点监管领域": ["食品生产"], "legacy_regno": null}}\n',
        encoding="gb18030")
    row = _rows(read_delivery(tmp_path).frames["enterprises"])[0]
    assert (row["established"], row["region_code"], row["registered_capital"]) == (
        dt.date(2019, 6, 18), "330108", 1000000.0)
    assert row["sectors"] == ("food_production",) and row["legacy_regno"] is None
    assert Enterprise.model_validate(row).uscc == USCC


def test_parts_missing_an_optional_column_get_its_default(tmp_path: Path) -> None:
    common = "event_id,uscc,date,source,category,severity"
    (tmp_path / "penalty-1.csv").write_text(
        f"{common}\nP1,{USCC},2025-01-02,penalty_system,price,minor\n", encoding="utf-8")
    (tmp_path / "penalty-2.csv").write_text(
        f"{common},amount\nP2,{USCC},2025-01-03,penalty_system,price,情节严重,\n"
        f"P3,{USCC},2025-01-04,penalty_system,price,一般,5万\n", encoding="utf-8")
    raw = read_delivery(tmp_path)
    frame = raw.frames["penalty"]
    assert frame["amount"].tolist() == [0.0, 0.0, 50000.0]
    assert frame["severity"].tolist() == ["minor", "serious", "general"]
    assert "penalty-2.csv: amount: 1 empty cell(s) take the default 0.0" in raw.notes


def test_listing_date_falls_back_to_the_listing_day(tmp_path: Path) -> None:
    (tmp_path / "abnormal_listing.csv").write_text(
        f"列入决定书文号,统一社会信用代码,来源,列入经营异常名录原因,列入日期,移出日期\n"
        f"A1,{USCC},registry,未按时公示年度报告,2024-07-01,\n", encoding="utf-8")
    raw = read_delivery(tmp_path)
    row = _rows(raw.frames["abnormal_listing"])[0]
    assert row["date"] == row["listed"] == dt.date(2024, 7, 1) and row["removed"] is None
    assert any("no date column, date taken from listed" in note for note in raw.notes)


def test_multiline_cells_are_read_and_noted(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text(f'id_number,name\n{ID},"张\n三"\n{ID},李四\n',
                                         encoding="utf-8")
    raw = read_delivery(tmp_path)
    assert raw.frames["people"]["name"].tolist() == ["张\n三", "李四"]
    assert any("line numbers count data records" in note for note in raw.notes)


def test_user_header_map_replaces_the_default(tmp_path: Path) -> None:
    mapping = tmp_path / "my-headers.toml"
    mapping.write_text('[headers.people]\nid_number = ["证号"]\nname = ["人名"]\n',
                       encoding="utf-8")
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "people.csv").write_text(f"证号,人名\n{ID},张三\n", encoding="utf-8")
    assert _rows(read_delivery(folder, mapping).frames["people"]) == [
        {"id_number": ID, "name": "张三"}]
    mapping.write_text('[headers.people]\nid_number = ["证号"]\nname = ["证号"]\n',
                       encoding="utf-8")
    with pytest.raises(DeliveryError, match="means both"):
        read_delivery(folder, mapping)


def test_default_header_map_covers_every_field_and_reference_label() -> None:
    from ingestion.normalise import label_key
    from ingestion.reference import ENTITY_TYPES, SECTORS, STATUSES

    mapping = HeaderMap.load()
    for kind, model in RECORD_KINDS.items():
        for name in model.model_fields:
            assert mapping.headers_of(kind, name), f"no Chinese header for {kind}.{name}"
    for name, table in (("entity_type", ENTITY_TYPES), ("status", STATUSES),
                        ("sectors", SECTORS)):
        lookup = mapping.label_lookup(name)
        for code, label in table.items():
            assert lookup.get(label_key(label)) == code, (name, label)
    assert split_unit("注册资本（单位：万元）") == ("注册资本", "万元")
    assert split_unit("持股比例%") == ("持股比例", "%")
    assert split_unit("住所(经营场所)") == ("住所(经营场所)", None)


def test_bods_files_go_through_the_bods_reader(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import ingestion.bods

    def fake_read_bods(path: Path) -> dict[str, pd.DataFrame]:
        assert path.name == "owners.bods.json"
        return {"shareholdings": pd.DataFrame({
            "holder_kind": ["person"], "holder_id": [ID], "enterprise_uscc": [USCC],
            "ratio": [0.25], "amount": [None], "since": [None], "until": [None]})}

    monkeypatch.setattr(ingestion.bods, "read_bods", fake_read_bods)
    (tmp_path / "owners.bods.json").write_text("[]", encoding="utf-8")
    (tmp_path / "shareholdings.csv").write_text(
        f"holder_kind,holder_id,enterprise_uscc,ratio\nperson,{ID},{USCC},0.5\n",
        encoding="utf-8")
    raw = read_delivery(tmp_path)
    assert raw.frames["shareholdings"]["ratio"].tolist() == [0.5, 0.25]  # BODS rows last
    assert raw.sources["shareholdings"] == ["shareholdings.csv", "owners.bods.json"]
    assert list(raw.source_of_row["shareholdings"]) == [
        "shareholdings.csv:1", "owners.bods.json:1"]
    records = [Shareholding.model_validate(row) for row in _rows(raw.frames["shareholdings"])]
    assert [record.ratio for record in records] == [0.5, 0.25]


def test_data_format_doc_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    assert committed == docs.data_format_markdown(), (
        "docs/data-format.md is stale: run `python -m ingestion.docs > docs/data-format.md`")


def test_doc_examples_are_valid_records(tmp_path: Path) -> None:
    """One row per kind from the documented examples, read and validated like a delivery."""
    for kind, model in RECORD_KINDS.items():
        names = list(model.model_fields)
        values = [docs.example(kind, name) for name in names]
        assert all(docs.meaning(kind, name) for name in names), kind
        body = ",".join(f'"{value}"' for value in values)
        (tmp_path / f"{kind}.csv").write_text(",".join(names) + "\n" + body + "\n",
                                              encoding="utf-8")
    raw = read_delivery(tmp_path)
    for kind, model in RECORD_KINDS.items():
        quarantine: list[QuarantineEntry] = []
        validate_rows(model, frame_rows(raw.frames[kind]), kind, (), quarantine)
        assert quarantine == [], kind
