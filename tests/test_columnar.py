"""The vectorised validator gives pydantic's verdicts: same (row, field) set, same values.

Every comparison runs ``validate_rows`` (pydantic, row by row) and ``validate_frame`` on the
same frame: the synthetic province as generated, and frames corrupted by hypothesis (wrong
types, bad check characters, out-of-range numbers, None in required fields, unknown codes,
swapped dates, blanks around strings, unknown and missing columns, other column dtypes).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, Field, model_validator

from ingestion import columnar, models
from ingestion.columnar import (
    DEFAULT_KEY_FIELDS,
    MODEL_CHECKS,
    UnsupportedModel,
    plan_of,
    validate_frame,
)
from ingestion.identifiers import (
    USCC_CHARSET,
    gb11643_check_char,
    is_valid_id_number,
    is_valid_uscc,
    legacy_regno_check_digit,
    mask_id_number,
    normalise_code,
    uscc_check_char,
)
from ingestion.models import RECORD_KINDS
from ingestion.synthetic import generate_province
from ingestion.validate import QuarantineEntry, frame_rows, validate_rows

TODAY = dt.date.today()


@cache
def _frames() -> dict[str, pd.DataFrame]:
    return generate_province(1_000, seed=3).frames()


def frames() -> dict[str, pd.DataFrame]:
    """The province's frames (copies: tests may change them)."""
    return {kind: frame.copy() for kind, frame in _frames().items()}


def _entries(entries: Sequence[QuarantineEntry]) -> set[tuple[str, int, str, str]]:
    return {(e.source, e.line, e.record_key, e.field) for e in entries}


def _typed(rows: Sequence[Mapping[Any, Any]]) -> list[dict[Any, tuple[type, Any]]]:
    """Values with their types: 1 == 1.0 == True, but a dump holds exactly one of them."""
    return [{name: (type(value), value) for name, value in row.items()} for row in rows]


def _without_na_holder_kind(frame: pd.DataFrame) -> pd.DataFrame:
    """validate_rows cannot show the key of a row whose holder_kind is pd.NA (``_shown``
    asks ``pd.NA == "person"``): such cells are left out of comparisons."""
    if "holder_kind" in frame:
        kinds = frame["holder_kind"].astype(object)
        frame = frame.assign(holder_kind=kinds.where(kinds.map(lambda v: v is not pd.NA), None))
    return frame


def assert_same_verdicts(kind: str, frame: pd.DataFrame,
                         origins: Sequence[str] | None = None) -> columnar.ColumnarResult:
    """validate_frame and validate_rows agree on ``frame``: entries, valid rows, values."""
    model = RECORD_KINDS[kind]
    frame = _without_na_holder_kind(frame)
    expected: list[QuarantineEntry] = []
    records = validate_rows(model, frame_rows(frame), kind, DEFAULT_KEY_FIELDS[kind], expected,
                            origins=origins)
    result = validate_frame(kind, frame, origins=origins)
    assert _entries(result.quarantine) == _entries(expected)
    assert len(result.quarantine) == len(_entries(result.quarantine))  # one per (row, field)
    failed = {e.line for e in expected} if origins is None else {
        position for position, origin in enumerate(origins)
        if any(f"{e.source}:{e.line}" == origin for e in expected)}
    passed = [position for position in range(len(frame))
              if (position + 1 if origins is None else position) not in failed]
    assert list(result.valid.index) == list(frame.index[passed])
    assert list(result.valid.columns) == list(model.model_fields)
    assert _typed(result.valid.to_dict("records")) == _typed([r.model_dump() for r in records])
    for entry in result.quarantine:
        assert entry.reason
    return result


# --- the province as generated -----------------------------------------------------------------


@pytest.mark.parametrize("kind", list(RECORD_KINDS))
def test_clean_province_frames_validate_as_with_pydantic(kind: str) -> None:
    frame = frames()[kind]
    result = assert_same_verdicts(kind, frame)
    assert result.quarantine == []
    assert len(result.valid) == len(frame)
    assert result.fallback_cells == 0  # clean data never goes cell by cell


def test_valid_frame_holds_python_values_in_object_columns() -> None:
    frame = frames()["shareholdings"]
    result = validate_frame("shareholdings", frame)
    assert set(result.valid.dtypes) == {np.dtype(object)}
    row = result.valid.iloc[0]
    assert type(row["since"]) is dt.date and row["until"] is None
    assert type(row["ratio"]) is float
    dump = {str(name): value for name, value in result.valid.to_dict("records")[0].items()}
    rebuilt = models.Shareholding.model_construct(**dump)
    assert rebuilt == models.Shareholding.model_validate(next(frame_rows(frame)))


def test_other_column_dtypes_give_the_same_verdicts() -> None:
    base = frames()
    enterprises = base["enterprises"].head(60).astype(object)  # JSON Lines gives objects
    enterprises["established"] = pd.to_datetime(enterprises["established"])  # datetime64
    enterprises["status"] = enterprises["status"].astype("category")
    enterprises["name"] = enterprises["name"].astype(pd.StringDtype("python"))  # pd.NA
    enterprises.loc[enterprises.index[3], "name"] = pd.NA
    enterprises["sectors"] = pd.Series(
        [np.array(items, dtype=object) for items in enterprises["sectors"]],
        index=enterprises.index, dtype=object)  # as Parquet list columns read
    assert_same_verdicts("enterprises", enterprises)
    reports = base["annual_report"].head(60).copy()
    reports["year"] = reports["year"].astype("Int64")
    reports.loc[reports.index[2], "year"] = pd.NA
    reports["on_time"] = reports["on_time"].astype("boolean")
    reports["date"] = pd.to_datetime(reports["date"]).dt.tz_localize("Asia/Shanghai")
    assert_same_verdicts("annual_report", reports)
    holdings = base["shareholdings"].head(60).copy()
    holdings["ratio"] = holdings["ratio"].astype("float32")
    holdings["since"] = holdings["since"].astype(str)  # ISO strings
    assert_same_verdicts("shareholdings", holdings)


# --- corruptions -------------------------------------------------------------------------------

_WRONG: list[Any] = [
    None, math.nan, pd.NaT, pd.NA, 0, 1, 2, -1, 0.5, 2.5, -0.5, 1e20, math.inf, True, False,
    "", "   ", "x", "\u3000", "１２", "true", "YES", "off", " true ", "tRuE", "ok", "Y", "n",
    "1.0", "nan", "inf", "Infinity", "-1", "1_000", "_1", "1__0", "1,000", "0x10", ".5", "5.",
    "+5", "1e", "e5", " 12 ", "1e3", "12.0", "0.5", "1.5", "2020-01-01", "2020-02-30",
    "2019-02-29", "2020-02-29", "1900-02-29", "2000-02-29", "2020-13-01", "2020-00-10",
    "0000-01-01", "2020-01-01T00:00:00", "2020-01-01T08:00:00", "20200101", "2020/01/01",
    1577836800, 1577836800.5, dt.date(2020, 1, 1), dt.date(1799, 12, 31),
    dt.datetime(2020, 1, 1, 12, 30), pd.Timestamp("2021-03-04 05:06"), ("food_production",),
    ["drug_retail", "x"], ("food_production", 1), "food_production", b"bytes", b"2020-01-01",
    Decimal("1.5"), np.int64(7), np.float32(1.5), np.float32(math.nan), np.str_("operating"),
    {"a"}, 2**70, "99999999999999999999", "limited_company", "operating", "person",
    "enterprise", "director", "serious", "clean", "phone", "name",
]


def _mutations(value: Any) -> list[Callable[[Any], Any]]:
    """Ways to damage (or only respell) a cell, given its current value."""
    found: list[Callable[[Any], Any]] = []
    if isinstance(value, str) and value:
        found += [
            lambda v: f" {v} ", lambda v: f"\u3000{v}\t", lambda v: f"\x1c{v}", lambda v: v + "\n",
            str.lower, str.upper, lambda v: v[:-1], lambda v: v + v[-1],
            lambda v: v[: len(v) // 2] + " " + v[len(v) // 2:],
            lambda v: v[:-1] + ("x" if v[-1] == "X" else "0" if v[-1] != "0" else "1"),
            lambda v: v[1:2] + v[0:1] + v[2:], lambda v: v.replace("0", "O", 1),
            lambda v: v.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
            lambda v: "8" + v[1:], lambda v: v[:1] + "5" + v[2:], lambda v: v[:2] + "A" + v[3:],
        ]
        if len(value) == 18:  # codes whose check character is right again after the damage
            found += [
                *(_rechecked(_splice(6, birth))
                  for birth in ("19990230", "20000229", "19000229", "29991231", "17991231",
                                "18000101", TODAY.strftime("%Y%m%d"), "20201301")),
                *(_rechecked(_splice(0, head)) for head in ("81", "85", "B1", "95", "Y2", "N3")),
                _rechecked(lambda v: v[:2] + "A" + v[3:]), _rechecked(lambda v: v[:17] + "0"),
            ]
        found += [_last_char(char) for char in USCC_CHARSET[::5]]
    if isinstance(value, float) and not math.isnan(value):
        found += [lambda v: -v - 1, lambda v: v * 100 + 2, lambda v: str(v), lambda v: f" {v} ",
                  lambda v: int(v), lambda v: str(int(v))]
    if isinstance(value, bool):
        found += [lambda v: int(v), lambda v: str(v), lambda v: "yes" if v else "no"]
    elif isinstance(value, int):
        found += [lambda v: str(v), lambda v: float(v), lambda v: v + 0.5, lambda v: f"{v}.0"]
    if isinstance(value, dt.date):
        found += [lambda v: v.isoformat(), lambda v: v + dt.timedelta(days=40_000),
                  lambda v: dt.datetime.combine(v, dt.time(9)), lambda v: pd.Timestamp(v),
                  lambda v: v.isoformat() + " ", lambda v: v.strftime("%Y%m%d")]
    if isinstance(value, tuple):
        found += [lambda v: (*v, "x"), list, lambda v: np.array(v, dtype=object),
                  lambda v: ";".join(v), lambda v: ("x", *v, "y")]
    return found


def _fits(column: pd.Series, value: Any) -> bool:
    """Whether ``value`` can go into ``column`` without changing its dtype: text into pandas'
    Arrow-backed ``str`` columns, floats into float columns."""
    if isinstance(column.dtype, pd.StringDtype):
        return value is None or type(value) is str
    return column.dtype.kind == "f" and type(value) is float


def _rechecked(damage: Callable[[str], str]) -> Callable[[str], str]:
    """``damage``, then the check character made right: the USCC one for USCC characters,
    the GB 11643 one for digits (so that only the damage itself can fail)."""
    def mutation(value: str) -> str:
        first17 = damage(value)[:17]
        if first17.isdigit() and len(first17) == 17:
            return first17 + gb11643_check_char(first17)
        if len(first17) == 17 and set(first17) <= set(USCC_CHARSET):
            return first17 + uscc_check_char(first17)
        return damage(value)

    return mutation


def _splice(at: int, part: str) -> Callable[[str], str]:
    return lambda value: value[:at] + part + value[at + len(part):]


def _last_char(char: str) -> Callable[[str], str]:
    return lambda value: value[:-1] + char


def _get(frame: pd.DataFrame, row: int, column: str) -> Any:
    return frame[column].to_numpy(dtype=object)[row]


def _put(frame: pd.DataFrame, row: int, column: str, value: Any) -> None:
    """One cell set to any object (``iat``: a tuple is one value, not a sequence)."""
    position = frame.columns.get_loc(column)
    assert isinstance(position, int)
    cells: Any = frame.iat
    cells[row, position] = value


def _legacy_regno(digits14: str) -> str:
    return digits14 + legacy_regno_check_digit(digits14)


@st.composite
def corrupted(draw: st.DrawFn) -> tuple[str, pd.DataFrame]:
    """A slice of one kind's frame with a few cells, rows or columns damaged."""
    kind = draw(st.sampled_from(list(RECORD_KINDS)))
    base = _frames()[kind]
    start = draw(st.integers(0, max(0, len(base) - 8)))
    frame = base.iloc[start: start + 8].copy()
    if kind == "enterprises" and draw(st.booleans()):  # real legacy numbers to damage
        bodies = draw(st.lists(st.text("0123456789", min_size=14, max_size=14),
                               min_size=len(frame), max_size=len(frame)))
        frame["legacy_regno"] = [_legacy_regno(body) for body in bodies]
    columns = [str(column) for column in frame.columns]
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["cell", "cell", "cell", "mutate", "mutate", "mutate",
                                       "swap", "extra", "drop", "objects"]))
        row = draw(st.integers(0, len(frame) - 1)) if len(frame) else 0
        if action == "extra":
            frame[draw(st.sampled_from(["unknown", "kind", "label", "note"]))] = None
        elif action == "drop" and columns:
            frame = frame.drop(columns=draw(st.sampled_from(columns)), errors="ignore")
        elif action == "objects":
            frame = frame.astype(object)
        elif action == "swap" and len(frame):
            pair = next((p for p in (("since", "until"), ("listed", "removed"),
                                     ("date", "publicity_end")) if set(p) <= set(frame)), None)
            if pair is not None:
                frame = frame.astype({pair[0]: object, pair[1]: object})
                first, second = _get(frame, row, pair[0]), _get(frame, row, pair[1])
                later = (first + dt.timedelta(days=draw(st.integers(1, 900)))
                         if isinstance(first, dt.date) else second)
                _put(frame, row, pair[0], later)
                _put(frame, row, pair[1], first)
            elif "holder_kind" in frame:
                flipped = {"person": "enterprise", "enterprise": "person"}
                holder_kind = str(_get(frame, row, "holder_kind"))
                _put(frame, row, "holder_kind", flipped.get(holder_kind, "person"))
        elif len(frame) and columns:
            column = draw(st.sampled_from([c for c in columns if c in frame] or ["unknown"]))
            if column not in frame:
                continue
            current = _get(frame, row, column)
            options = _mutations(current)
            if action == "mutate" and options:
                value = draw(st.sampled_from(options))(current)
            else:
                value = draw(st.sampled_from(_WRONG))
            if not _fits(frame[column], value):  # else the column keeps its dtype
                frame[column] = frame[column].astype(object)
            _put(frame, row, column, value)
    return kind, frame


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_corrupted_frames_give_pydantics_verdicts(case: tuple[str, pd.DataFrame]) -> None:
    kind, frame = case
    assert_same_verdicts(kind, frame)


@pytest.mark.parametrize("kind", list(RECORD_KINDS))
def test_every_wrong_value_in_every_column(kind: str) -> None:
    """Each value of the pool in each column, one damaged cell per row: the field verdicts,
    and the values where the field takes the value (e.g. "2020-01-01" for a date)."""
    base = _frames()[kind].head(5)
    rows = [(column, value) for column in base.columns for value in _WRONG]
    frame = base.iloc[[n % len(base) for n in range(len(rows))]].astype(object)
    frame.index = pd.RangeIndex(len(rows))
    for row, (column, value) in enumerate(rows):
        _put(frame, row, str(column), value)
    assert_same_verdicts(kind, frame)


@pytest.mark.parametrize(("kind", "earlier", "later"), [
    ("shareholdings", "since", "until"), ("legal_reps", "since", "until"),
    ("officers", "since", "until"), ("abnormal_listing", "listed", "removed"),
    ("serious_dishonesty", "listed", "removed")])
def test_dates_out_of_order_give_pydantics_verdicts(kind: str, earlier: str, later: str) -> None:
    frame = _frames()[kind].head(6).astype({earlier: object, later: object})
    start = _get(frame, 0, earlier)
    for row, days in enumerate((-1, 0, 1, -400)):  # before, same day, after, long before
        _put(frame, row, earlier, start)
        _put(frame, row, later, start + dt.timedelta(days=days))
    _put(frame, 4, later, None)
    result = assert_same_verdicts(kind, frame)
    assert [(e.line, e.field) for e in result.quarantine] == [(1, "(record)"), (4, "(record)")]


def test_holder_ids_checked_by_holder_kind() -> None:
    frame = _frames()["shareholdings"].head(12).copy()
    kinds = list(frame["holder_kind"])
    frame["holder_kind"] = [{"person": "enterprise", "enterprise": "person"}[k] for k in kinds]
    frame.loc[frame.index[0], "holder_id"] = " " + str(frame["holder_id"].iat[0]).lower() + " "
    result = assert_same_verdicts("shareholdings", frame)
    assert {e.field for e in result.quarantine} == {"(record)"}
    # An 18-digit identity number can be a well-formed USCC by chance (about 1 in 31).
    still_valid = sum(
        is_valid_uscc(normalise_code(str(holder))) if kind == "enterprise"
        else is_valid_id_number(normalise_code(str(holder)))
        for holder, kind in zip(frame["holder_id"], frame["holder_kind"], strict=True))
    assert len(result.quarantine) == 12 - still_valid >= 9


def test_every_authority_and_category_with_right_check_characters() -> None:
    """Structure alone decides: every first two characters, the check character right."""
    frame = _frames()["branches"].head(1)
    body = str(_get(frame, 0, "branch_uscc"))[2:17]
    codes = [f"{a}{c}{body}" for a in USCC_CHARSET for c in USCC_CHARSET]
    codes += [code[:2] + "33A106" + code[8:] for code in codes[:40]]  # letter in the region
    frame = frame.iloc[[0] * len(codes)].reset_index(drop=True)
    frame["branch_uscc"] = [code + uscc_check_char(code) for code in codes]
    result = assert_same_verdicts("branches", frame)
    assert 0 < len(result.quarantine) < len(codes)


def test_legacy_numbers_and_birth_dates_with_right_check_characters() -> None:
    rng = np.random.default_rng(7)
    bodies = ["".join(map(str, rng.integers(0, 10, 14))) for _ in range(300)]
    enterprises = _frames()["enterprises"].head(1)
    enterprises = enterprises.iloc[[0] * 600].reset_index(drop=True)
    enterprises["legacy_regno"] = [_legacy_regno(body) for body in bodies] + [
        body + str((int(legacy_regno_check_digit(body)) + 1 + n % 9) % 10)
        for n, body in enumerate(bodies)]
    result = assert_same_verdicts("enterprises", enterprises)
    assert len(result.quarantine) == 300
    people = _frames()["people"].head(1)
    births = [f"{year:04d}{month:02d}{day:02d}" for year in (1799, 1800, 1900, 2000, 2023, 2024,
                                                             TODAY.year, TODAY.year + 1)
              for month in (0, 1, 2, 12, 13) for day in (0, 1, 28, 29, 30, 31)]
    births += [(TODAY + dt.timedelta(days=days)).strftime("%Y%m%d") for days in (-1, 0, 1)]
    people = people.iloc[[0] * len(births)].reset_index(drop=True)
    people["id_number"] = [_rechecked(_splice(6, birth))(str(_get(people, 0, "id_number")))
                           for birth in births]
    assert_same_verdicts("people", people)


# --- what the entries say ----------------------------------------------------------------------


def test_lines_and_sources_follow_origins() -> None:
    frame = frames()["enterprises"].head(5)
    frame.loc[frame.index[1], "status"] = "bankrupt"
    frame.loc[frame.index[3], "uscc"] = "913301277407925920"
    origins = [f"enterprises-part{n}.csv:{n * 10}" for n in range(5)]
    result = assert_same_verdicts("enterprises", frame, origins)
    assert [(e.source, e.line, e.field) for e in result.quarantine] == [
        ("enterprises-part1.csv", 10, "status"), ("enterprises-part3.csv", 30, "uscc")]
    plain = validate_frame("enterprises", frame)
    assert [(e.source, e.line) for e in plain.quarantine] == [("enterprises", 2),
                                                               ("enterprises", 4)]


def test_reasons_never_show_an_identity_number() -> None:
    people = frames()["people"].head(4)
    numbers = list(people["id_number"])
    people["id_number"] = [n[:-1] + ("0" if n[-1] != "0" else "1") for n in numbers]
    shares = frames()["shareholdings"]
    shares = shares[shares["holder_kind"] == "person"].head(3).copy()
    shares["holder_id"] = [n[:-1] + ("0" if n[-1] != "0" else "1") for n in shares["holder_id"]]
    enterprises = frames()["enterprises"].head(2)
    enterprises["uscc"] = numbers[:2]  # an identity number in a USCC column (the key
    # shows it, as validate_rows shows a USCC key; the reason does not)
    for kind, frame, secret in (("people", people, list(people["id_number"])),
                                ("shareholdings", shares, list(shares["holder_id"])),
                                ("enterprises", enterprises, numbers[:2])):
        result = assert_same_verdicts(kind, frame)
        assert result.quarantine
        for entry in result.quarantine:
            shown = entry.reason if kind == "enterprises" else entry.reason + entry.record_key
            assert not any(number in shown for number in secret)
    result = validate_frame("shareholdings", shares)
    assert result.quarantine[0].field == "(record)"
    assert result.quarantine[0].record_key.startswith(
        mask_id_number(str(_get(shares, 0, "holder_id"))))


def test_missing_and_unknown_columns_fail_every_row() -> None:
    frame = frames()["officers"].head(3).drop(columns=["role"])
    frame["remark"] = "x"
    result = assert_same_verdicts("officers", frame)
    assert {(e.line, e.field) for e in result.quarantine} == {
        (line, name) for line in (1, 2, 3) for name in ("role", "remark")}
    assert result.valid.empty
    optional = frames()["licence"].head(3).drop(columns=["expires", "revoked"])
    assert list(assert_same_verdicts("licence", optional).valid["expires"]) == [None] * 3


def test_row_slices_as_ingest_chunks_them() -> None:
    """graph/ingest validates ``frame.iloc[start:end]`` chunks: Arrow arrays with offsets."""
    enterprises = _frames()["enterprises"].iloc[37:80]
    enterprises.loc[enterprises.index[5], "uscc"] = "913301277407925920"  # copy on write
    assert len(assert_same_verdicts("enterprises", enterprises).quarantine) == 1
    holdings = _frames()["shareholdings"].sort_values("enterprise_uscc", kind="stable")
    assert_same_verdicts("shareholdings", holdings.iloc[100:300])


def test_empty_frame_and_index_kept() -> None:
    frame = frames()["branches"].head(4)
    frame.index = pd.Index([40, 10, 30, 20])
    frame.loc[10, "parent_uscc"] = None
    assert list(assert_same_verdicts("branches", frame).valid.index) == [40, 30, 20]
    empty = validate_frame("branches", frame.head(0))
    assert empty.valid.empty and empty.quarantine == []


# --- refusing what has no counterpart ----------------------------------------------------------


def test_every_model_validator_has_a_registered_counterpart() -> None:
    for model in RECORD_KINDS.values():
        for decorator in model.__pydantic_decorators__.model_validators.values():
            assert decorator.func in MODEL_CHECKS
        assert len(plan_of(model).fields) == len(model.model_fields)


def test_a_model_validator_without_counterpart_is_refused() -> None:
    class Stricter(models.Interval):
        @model_validator(mode="after")
        def _short(self) -> Stricter:
            return self

    with pytest.raises(UnsupportedModel, match="_short"):
        plan_of(Stricter)


def test_an_unknown_field_validator_or_constraint_is_refused() -> None:
    class Odd(models.Record):
        code: Annotated[str, AfterValidator(str.upper)]

    class Patterned(models.Record):
        code: Annotated[str, Field(pattern="^[0-9]+$")]

    class Configured(models.Record):
        model_config = models.Record.model_config | {"str_to_upper": True}
        code: str

    for model in (Odd, Patterned, Configured):
        with pytest.raises(UnsupportedModel):
            plan_of(model)


def test_digit_codes_take_their_length_from_the_model() -> None:
    plans = {plan.name: plan for plan in plan_of(models.Enterprise).fields}
    for name, length in (("region_code", 6), ("industry_code", 4)):
        frame = frames()["enterprises"].head(1)
        frame[name] = "1" * (length + 1)
        result = validate_frame("enterprises", frame)
        assert [e.field for e in result.quarantine] == [name]
        assert str(length) in result.quarantine[0].reason
        assert plans[name].code is not None


_UNICODE_EDGES: list[tuple[str, str, Any]] = [
    ("enterprises", "uscc", "ＵＳＣＣ"),
    ("enterprises", "uscc", "\ufb00" * 9),  # 'ﬀ'.upper() is 'FF': normalise_code's rules
    ("enterprises", "region_code", "３３０１０６"),  # str.isdigit takes full-width digits
    ("enterprises", "region_code", "33010²"),
    ("enterprises", "region_code", "\x1c330106"),  # pydantic does not strip U+001C
    ("enterprises", "industry_code", "\u30005251\u3000"),
    ("enterprises", "name", "\u3000\u2003"),
    ("enterprises", "name", "\u200b"),  # zero-width space is no whitespace
    ("enterprises", "legacy_regno", " 330106 0000001 2 "),
    ("people", "id_number", "11010519491231002x"),
    ("people", "id_number", "1101051949123１002X"),
    ("people", "id_number", "110105194912310020\u3000"),
    ("annual_report", "on_time", "ＴＲＵＥ"),
    ("annual_report", "on_time", "ON"),
    ("annual_report", "year", "２０２０"),
    ("annual_report", "year", " 2020 "),
    ("shareholdings", "ratio", "\u20030.5\u2003"),
    ("shareholdings", "ratio", "٠.5"),
    ("shareholdings", "since", "２０２０-01-01"),
    ("shareholdings", "since", pd.Timestamp("2020-01-01 23:30", tz="America/New_York")),
    ("contacts", "kind", "ｐｈｏｎｅ"),
]


@pytest.mark.parametrize(("kind", "column", "value"), _UNICODE_EDGES)
def test_unicode_edges_give_pydantics_verdicts(kind: str, column: str, value: Any) -> None:
    frame = frames()[kind].head(3).astype({column: object})
    _put(frame, 1, column, value)
    assert_same_verdicts(kind, frame)
