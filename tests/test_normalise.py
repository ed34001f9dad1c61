"""Value normalisation: names, dates, amounts, percentages, codes, booleans, lists, labels."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from ingestion.normalise import (
    ValueKind,
    label_key,
    normalise_column,
    normalise_emails,
    normalise_name,
    normalise_phones,
    normalise_text,
    normalise_texts,
    parse_amount,
    parse_bool,
    parse_date,
    parse_industry_code,
    parse_int,
    parse_ratio_cell,
    split_list,
)


def test_names_match_across_widths_brackets_and_blanks() -> None:
    assert normalise_name("杭州 （滨江）科技有限公司") == normalise_name("杭州(滨江)科技有限公司")
    assert normalise_name("杭州【滨江】科技有限公司") == normalise_name("杭州(滨江)科技有限公司")
    assert normalise_name("ＡＢＣ 贸易（宁波）有限公司") == normalise_name("abc贸易(宁波)有限公司")
    assert normalise_name("阿卜杜・热合曼") == normalise_name("阿卜杜·热合曼")
    assert normalise_name("杭州科技有限公司") != normalise_name("杭州科技股份有限公司")


# Full-width forms, CJK brackets and spaces, every kind of Python whitespace (U+001C..U+001F
# and U+0085 among them, which RE2's \\s does not take), runs, ends, nothing left.
TEXTS = ["杭州 （滨江）  科技有限公司", "  ＡＢＣ\u3000路\t1号 ", "a\x1cb\x85c\u2028d\u00a0e", "",
         " \u3000 ", "西湖区\n\n文三路", "Ｆｏｏ＠Ｅｘａｍｐｌｅ．ＣＯＭ", "İstanbul ŞUBE"]


def test_arrow_text_normalisation_is_normalise_text() -> None:
    result = normalise_texts(pa.array([*TEXTS, None], type=pa.string())).to_pylist()
    assert result == [*map(normalise_text, TEXTS), None]


def test_phones_keep_digits_of_any_width_and_script() -> None:
    phones = ["0571-8888 1234", "(0571)88881234", "０５７１－８８８８", "tel: ٠٥٧١", "无", None]
    assert normalise_phones(pa.array(phones, type=pa.string())).to_pylist() == [
        "057188881234", "057188881234", "05718888", "٠٥٧١", "", None]


def test_emails_are_normalised_text_lower_cased_by_python_rules() -> None:
    emails = [" Foo@Example.COM ", "Ｆｏｏ＠Ｅｘａｍｐｌｅ．ＣＯＭ", "İNFO@ŞUBE.CN", None]
    assert normalise_emails(pa.array(emails, type=pa.string())).to_pylist() == [
        "foo@example.com", "foo@example.com", "İNFO@ŞUBE.CN".lower(), None]


@pytest.mark.parametrize(
    "text",
    ["2025-03-02", "2025/3/2", "2025.03.02", "20250302", "2025年3月2日", "2025 年 3 月 2 日",
     " 2025-3-2 ", "2025-03-02 00:00:00", "2025-03-02T10:30:00+08:00", "２０２５－０３－０２",
     "45718"],
)
def test_dates_in_the_common_chinese_forms(text: str) -> None:
    assert parse_date(text) == dt.date(2025, 3, 2)


@pytest.mark.parametrize("text", ["2025-02-30", "2025-13-01", "2025", "3/2/2025", "明天", ""])
def test_impossible_or_foreign_dates_are_not_read(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("1234.5", 1.0, 1234.5),
        ("1,234,567.89", 1.0, 1234567.89),
        ("85", 1e4, 850000.0),
        ("85万元", 1.0, 850000.0),
        ("85万", 1.0, 850000.0),
        ("0.07万", 1.0, 700.0),  # rounded to the fen, not 700.0000000000001
        ("1.2亿", 1.0, 120000000.0),
        ("300元", 1e4, 300.0),  # the cell's unit wins over the column's
        ("￥1,000", 1.0, 1000.0),
        ("人民币 50 万元", 1.0, 500000.0),
        ("１２３", 1.0, 123.0),
    ],
)
def test_amounts_to_yuan(text: str, scale: float, expected: float) -> None:
    assert parse_amount(text, scale) == expected


@pytest.mark.parametrize("text", ["100万美元", "abc", "1,2345", "inf", "nan", "12 34", ""])
def test_non_amounts_are_not_read(text: str) -> None:
    assert parse_amount(text) is None


def test_ratio_cells_and_their_percent_signs() -> None:
    assert parse_ratio_cell("35%") == (35.0, True)
    assert parse_ratio_cell("３５．５％") == (35.5, True)
    assert parse_ratio_cell("0.355") == (0.355, False)
    assert parse_ratio_cell("三成") is None


def _column(
    values: list[str | None], kind: ValueKind, **options: Any
) -> tuple[list[object], int, tuple[str, ...]]:
    """Cells of a text column after conversion (missing as None), failures, notes."""
    result = normalise_column(pd.Series(values, dtype="str"), kind, **options)
    cells = [None if not isinstance(v, list) and pd.isna(v) else v for v in result.values]
    return cells, result.failed, result.notes


def test_ratio_column_with_values_above_one_is_percent() -> None:
    cells, failed, notes = _column(["35.5", "64.5", ""], "ratio", name="ratio")
    assert cells == [pytest.approx(0.355), pytest.approx(0.645), None] and failed == 0
    assert notes == ("ratio given in percent (0-100), converted to 0-1 (values above 1)",)


def test_ratio_column_of_fractions_is_kept_and_said_so() -> None:
    cells, _, notes = _column(["0.25", "1", "0.75"], "ratio", name="ratio")
    assert cells == [0.25, 1.0, 0.75]
    assert "fraction (0-1), kept" in notes[0]


def test_ratio_percent_by_sign_or_by_header() -> None:
    cells, _, notes = _column(["0.5%", "0.5"], "ratio", name="ratio")
    assert cells == [0.005, 0.005] and "% sign" in notes[0]
    cells, _, notes = _column(["0.5", "1"], "ratio", name="ratio", unit="%")
    assert cells == [0.005, 0.01] and "header unit %" in notes[0]


def test_bad_cells_are_left_as_given() -> None:
    result = normalise_column(pd.Series(["85", "八十五", "100万美元", None], dtype="str"),
                              "amount", name="registered_capital", unit="万元")
    assert result.failed == 2
    assert result.values.tolist()[:3] == [850000.0, "八十五", "100万美元"]
    assert math.isnan(result.values.iloc[3])
    dates = normalise_column(pd.Series(["2025-03-02", "2025-02-30"], dtype="str"), "date")
    assert dates.values.tolist() == [dt.date(2025, 3, 2), "2025-02-30"] and dates.failed == 1


def test_clean_numeric_columns_keep_numeric_dtypes() -> None:
    amounts = normalise_column(pd.Series(["1,000", "2", "NULL"], dtype="str"), "amount")
    assert amounts.values.dtype == np.float64 and amounts.failed == 0
    ints = normalise_column(pd.Series(["2024", "2024年度", "2023.0"], dtype="str"), "int")
    assert ints.values.dtype == np.int64 and ints.values.tolist() == [2024, 2024, 2023]


def test_nulls() -> None:
    cells, failed, _ = _column(["NULL", "null", "-", "  ", "", "—", "x"], "text")
    assert cells == [None] * 6 + ["x"] and failed == 0


def test_codes_keep_leading_zeros_and_lose_full_width() -> None:
    cells, _, _ = _column([" 033010 ", "３３０１０８"], "region")
    assert cells == ["033010", "330108"]
    cells, _, _ = _column(["９１３３０２８１３３６８０８９００Ｐ"], "code")
    assert cells == ["91330281336808900P"]
    # a code that went through a JSON number column with nulls keeps no ".0"
    result = normalise_column(pd.Series([330108.0, np.nan]), "region")
    assert result.values.iloc[0] == "330108"


def test_text_is_stored_as_given() -> None:
    cells, _, _ = _column(["杭州 （滨江）科技有限公司 "], "text")
    assert cells == ["杭州 （滨江）科技有限公司 "]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5251", "5251"), ("F5251", "5251"), ("f 5251", "5251"), ("Ｆ５２５１", "5251"),
     ("G5251", None), ("52", None), ("F52511", None)],
)
def test_industry_codes(text: str, expected: str | None) -> None:
    assert parse_industry_code(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("是", True), ("否", False), ("true", True), ("FALSE", False), ("1", True), ("0", False),
     ("Y", True), ("n", False), ("yes", True), ("也许", None)],
)
def test_booleans(text: str, expected: bool | None) -> None:
    assert parse_bool(text) is expected


def test_bool_column_with_a_bad_cell() -> None:
    result = normalise_column(pd.Series(["是", "否", "也许"], dtype="str"), "bool")
    assert result.values.tolist() == [True, False, "也许"] and result.failed == 1
    clean = normalise_column(pd.Series(["Y", "N"], dtype="str"), "bool")
    assert clean.values.dtype == np.bool_


def test_int_and_list_parsers() -> None:
    assert parse_int("2024年度") == 2024 and parse_int("二〇二四") is None
    assert split_list("a；b、c, d，e;;") == ["a", "b", "c", "d", "e"]


def test_lists_with_chinese_labels() -> None:
    labels = {label_key("食品生产"): "food_production", label_key("药品零售"): "drug_retail"}
    choices = frozenset({"food_production", "drug_retail"})
    result = normalise_column(
        pd.Series(["食品生产；药品零售", "", "food_production、其他"], dtype="str"), "list",
        name="sectors", labels=labels, choices=choices)
    rows = result.values.tolist()
    assert rows == [["food_production", "drug_retail"], [], ["food_production", "其他"]]
    same = normalise_column(pd.Series(["食品生产", "食品生产"], dtype="str"), "list",
                            labels=labels, choices=choices).values
    assert same.iloc[0] == same.iloc[1] and same.iloc[0] is not same.iloc[1]  # never shared
    assert "食品生产 -> food_production" in result.notes[0]


def test_choice_labels_and_codes() -> None:
    labels = {label_key("存续（在营、开业、在册）"): "operating", label_key("吊销"): "revoked"}
    result = normalise_column(
        pd.Series(["存续(在营、开业、在册)", "Operating", "吊销", "破产"], dtype="str"), "choice",
        name="status", labels=labels, choices=frozenset({"operating", "revoked"}))
    assert result.values.tolist() == ["operating", "operating", "revoked", "破产"]
    assert result.failed == 1


def test_typed_inputs_pass_through() -> None:
    dates = normalise_column(pd.to_datetime(pd.Series(["2025-03-02", None])), "date")
    assert dates.values.tolist() == [dt.date(2025, 3, 2), None]
    amounts = normalise_column(pd.Series([1.5, np.nan]), "amount", unit="万元")
    assert amounts.values.iloc[0] == 15000.0
    lists = normalise_column(pd.Series([["食品生产"], None], dtype=object), "list",
                             labels={label_key("食品生产"): "food_production"},
                             choices=frozenset({"food_production"}))
    assert lists.values.tolist() == [["food_production"], []]
