"""Normalisation of delivered values: matching keys for free text, and column converters.

Two families live here:

* Matching keys (``normalise_text``, ``normalise_name``; ``normalise_texts``,
  ``normalise_phones`` and ``normalise_emails`` over Arrow arrays). Enterprise names,
  addresses and free text are stored as given; these keys are only compared, never stored
  in place of the value.
* Column converters (``normalise_column`` and the scalar ``parse_*`` functions) that turn what
  Chinese registries deliver (``2025年3月2日``, ``85万元``, ``35%``, ``是``/``否``, ``F5251``)
  into canonical values. A cell that cannot be converted is left exactly as given, so that
  validation rejects its row naming the field: nothing is guessed, nothing is dropped.

Column converters work on whole ``pd.Series``: vectorised string operations for the common
case, and Python only per *distinct* value (dates, codes, labels repeat a lot) or per cell
that failed the fast path.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.reference import industry_section

_SPACE = re.compile(r"\s+")


def normalise_text(value: str) -> str:
    """Full-width to half-width (NFKC), brackets unified, whitespace collapsed.

    >>> normalise_text("杭州 （滨江）  科技有限公司")
    '杭州 (滨江) 科技有限公司'
    """
    folded = unicodedata.normalize("NFKC", value)
    return _SPACE.sub(" ", folded).strip()


# Python's whitespace (str.isspace: what ``\s``, str.split and str.strip take), for RE2,
# whose ``\s`` is ASCII only. Every such character lies below U+3001.
_WHITESPACE_RUN: Final = "[" + "".join(
    f"\\x{{{ord(char):x}}}" for char in map(chr, range(0x3001)) if char.isspace()) + "]+"


def normalise_texts(values: pa.Array) -> pa.Array:
    """:func:`normalise_text` of every string of an Arrow array (nulls stay null): Python's
    NFKC, then whitespace runs collapsed by Arrow with Python's own whitespace set, exactly
    as ``\\s+`` does."""
    folded = _nfkc(values)
    return pc.utf8_trim(pc.replace_substring_regex(folded, _WHITESPACE_RUN, " "), " ")


def _nfkc(values: pa.Array) -> pa.Array:
    """NFKC of each non-ASCII string, by Python: Arrow's utf8_normalize leaves some
    characters decomposed (İ as I and U+0307, even under NFC)."""
    return _per_ascii(values, lambda texts: texts,
                      lambda text: unicodedata.normalize("NFKC", text))


def _per_ascii(values: pa.Array, ascii_form: Callable[[pa.Array], pa.Array],
               form: Callable[[str], str]) -> pa.Array:
    """``ascii_form`` of the ASCII strings, ``form`` (Python) of the others: where Unicode
    rules (NFKC, str.isdigit, str.lower) go beyond ASCII, Python decides."""
    ascii_values = pc.fill_null(pc.string_is_ascii(values), True)
    result = ascii_form(values)
    if pc.all(ascii_values).as_py():
        return result
    cells = np.asarray(result.to_numpy(zero_copy_only=False), dtype=object)
    other = ~np.asarray(ascii_values.to_numpy(zero_copy_only=False), dtype=bool)
    cells[other] = [form(value) for value in values.filter(pa.array(other)).to_numpy(
        zero_copy_only=False)]
    return pa.array(cells, type=pa.string())


def normalise_phones(values: pa.Array) -> pa.Array:
    """Digits only, so '0571-8888 1234' and '057188881234' match (NFKC first: full-width
    digits count; nulls stay null)."""
    return _per_ascii(
        _nfkc(values),
        lambda texts: pc.replace_substring_regex(texts, "[^0-9]", ""),
        lambda text: "".join(char for char in text if char.isdigit()))


def normalise_emails(values: pa.Array) -> pa.Array:
    """:func:`normalise_texts`, lower-cased (nulls stay null)."""
    return _per_ascii(normalise_texts(values), pc.ascii_lower, str.lower)


# NFKC already folds （）［］｛｝ to ASCII; these CJK brackets have no compatibility mapping.
_NAME_FOLD: Final = str.maketrans(
    {"【": "(", "】": ")", "〔": "(", "〕": ")", "〖": "(", "〗": ")", "[": "(", "]": ")",
     "・": "·", "•": "·", "‧": "·", "∙": "·"}
)


def normalise_name(name: str) -> str:
    """Matching key of an enterprise (or person) name; the name itself is stored as given.

    NFKC (full-width letters, digits and brackets to half-width), every bracket form to
    ``()``, middle-dot variants to ``·``, Latin letters case-folded, and all whitespace
    *removed* rather than collapsed: registered Chinese names contain no meaningful spaces,
    while delivered ones often carry stray spaces around brackets or between words.

    >>> normalise_name("杭州 （滨江）科技有限公司") == normalise_name("杭州(滨江)科技有限公司")
    True
    """
    folded = unicodedata.normalize("NFKC", name).translate(_NAME_FOLD)
    return "".join(folded.split()).casefold()


# --- scalar parsers ----------------------------------------------------------------------

# Cells that mean "no value" (compared after stripping whitespace).
NULL_TOKENS: Final = frozenset({"", "NULL", "null", "Null", "-", "－", "—", "--"})

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_DATE_SEPARATED: Final = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?" + _TIME
)
_DATE_COMPACT: Final = re.compile(r"(\d{4})(\d{2})(\d{2})" + _TIME)
_EXCEL_SERIAL: Final = re.compile(r"(\d{5})(?:\.\d+)?")
# Excel's 1900 date system counts from 1899-12-30 (its phantom 1900-02-29 included).
_EXCEL_EPOCH: Final = dt.date(1899, 12, 30)


def _date_and_origin(text: str) -> tuple[dt.date, bool] | None:
    """The date written in ``text`` and whether it was an Excel serial number."""
    value = unicodedata.normalize("NFKC", text).strip()
    match = _DATE_SEPARATED.fullmatch(value) or _DATE_COMPACT.fullmatch(value)
    if match:
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3])), False
        except ValueError:  # 2025-02-30 and the like
            return None
    serial = _EXCEL_SERIAL.fullmatch(value)
    if serial:
        return _EXCEL_EPOCH + dt.timedelta(days=int(serial[1])), True
    return None


def parse_date(text: str) -> dt.date | None:
    """A date in one of the forms Chinese registries use, else None.

    ``2025-03-02``, ``2025/3/2``, ``2025.03.02``, ``20250302``, ``2025年3月2日``, each
    optionally followed by a time of day (database exports), and 5-digit Excel serial
    numbers (``45718``). Impossible dates (``2025-02-30``) are None.
    """
    parsed = _date_and_origin(text)
    return parsed[0] if parsed else None


# Scale of each amount unit to yuan; "万" alone is how cells abbreviate 万元.
AMOUNT_UNITS: Final[Mapping[str, float]] = {
    "元": 1.0, "万元": 1e4, "万": 1e4, "亿元": 1e8, "亿": 1e8,
}
_AMOUNT: Final = re.compile(
    r"(?:¥|RMB|CNY|人民币)?([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(亿元|亿|万元|万|元)?"
)
_THOUSANDS: Final = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")
# Blanks go, except between two digits: "12 34" is not 1234 (nothing is guessed).
_BLANKS_OUTSIDE_NUMBERS: Final = re.compile(r"(?<!\d)\s+|\s+(?!\d)")


def parse_amount(text: str, scale: float = 1.0) -> float | None:
    """An amount in yuan, else None.

    Thousands separators and a currency prefix (¥, RMB, 人民币) are removed; a unit suffix
    (元, 万元/万, 亿元/亿) in the cell wins over ``scale``, the column's unit from its header.
    Scaled amounts are rounded to the fen (0.01 yuan) so that 0.07万 is 700, not
    700.0000000000001. Other currencies (100万美元) are not amounts in yuan: None.
    """
    value = _BLANKS_OUTSIDE_NUMBERS.sub("", unicodedata.normalize("NFKC", text))
    match = _AMOUNT.fullmatch(_THOUSANDS.sub("", value))
    if not match:
        return None
    factor = AMOUNT_UNITS[match[2]] if match[2] else scale
    amount = float(match[1]) * factor
    if not math.isfinite(amount):
        return None
    return round(amount, 2) if factor != 1.0 else amount


_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def parse_ratio_cell(text: str) -> tuple[float, bool] | None:
    """The number in a ratio cell and whether it carried a % sign (``"35%"`` -> (35.0, True)).

    Whether a bare number is a fraction or a percentage is a decision per column (see
    ``normalise_column``), not per cell.
    """
    value = _BLANKS_OUTSIDE_NUMBERS.sub("", unicodedata.normalize("NFKC", text))
    percent = value.endswith("%")
    number = value[:-1] if percent else value
    if not _NUMBER.fullmatch(number):
        return None
    parsed = float(number)
    return (parsed, percent) if math.isfinite(parsed) else None


_TRUE: Final = frozenset({"是", "true", "t", "y", "yes", "1", "1.0"})
_FALSE: Final = frozenset({"否", "false", "f", "n", "no", "0", "0.0"})


def parse_bool(text: str) -> bool | None:
    """是/否, true/false, Y/N, yes/no, 1/0 (any case) to a bool, else None."""
    value = unicodedata.normalize("NFKC", text).strip().casefold()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


_INDUSTRY: Final = re.compile(r"([A-T])?(\d{4})")


def parse_industry_code(text: str) -> str | None:
    """The 4-digit GB/T 4754 class of ``"5251"`` or ``"F5251"``, else None.

    A section letter that contradicts the division (``"G5251"``) is None: which part is
    wrong cannot be told, so the cell goes to validation as given.
    """
    value = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    match = _INDUSTRY.fullmatch(value)
    if not match:
        return None
    letter, digits = match[1], match[2]
    if letter:
        try:
            if industry_section(digits) != letter:
                return None
        except ValueError:
            return None
    return digits


_INT: Final = re.compile(r"([+-]?\d+)(?:\.0*)?(?:年度|年)?")


def parse_int(text: str) -> int | None:
    """An integer (``"2025"``, ``"2025.0"``, ``"2024年度"`` for a report year), else None."""
    match = _INT.fullmatch("".join(unicodedata.normalize("NFKC", text).split()))
    return int(match[1]) if match else None


_LIST_SEPARATORS: Final = re.compile(r"[;,、]")  # after NFKC, which folds ； and ，


def split_list(text: str) -> list[str]:
    """Items of a list cell separated by ; ； 、 , or ，, blanks stripped, empty items dropped."""
    items = _LIST_SEPARATORS.split(unicodedata.normalize("NFKC", text))
    return [item.strip() for item in items if item.strip()]


def label_key(label: str) -> str:
    """How coded values and their Chinese labels are compared: NFKC, no blanks, case-folded."""
    return "".join(unicodedata.normalize("NFKC", label).split()).casefold()


# --- column converters -------------------------------------------------------------------

ValueKind = Literal[
    "text", "code", "region", "industry", "choice", "list", "date", "amount", "ratio", "int",
    "bool",
]
VALUE_KINDS: Final[tuple[ValueKind, ...]] = (
    "text", "code", "region", "industry", "choice", "list", "date", "amount", "ratio", "int",
    "bool",
)


@dataclass(frozen=True)
class Column:
    """A converted column: values, how many cells were left as given, what was decided."""

    values: pd.Series
    failed: int
    notes: tuple[str, ...] = ()


def as_text(series: pd.Series) -> pd.Series:
    """Any column as text (``str`` dtype, missing as NaN).

    Whole floats lose their ``.0`` so that a code that went through a float column
    (JSON numbers with nulls) reads ``330102``, not ``330102.0``.
    """
    if isinstance(series.dtype, pd.StringDtype):
        return series
    if pd.api.types.is_float_dtype(series.dtype):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        whole = np.isfinite(numbers) & (np.floor(numbers) == numbers) & (np.abs(numbers) < 2**53)
        text = series.astype("str")
        if whole.any():
            text[whole] = series[whole].astype(np.int64).astype("str")
        return text
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps: pd.Series = series.dt.strftime("%Y-%m-%d %H:%M:%S")
        return stamps.astype("str")
    return series.astype("str")


def null_mask(series: pd.Series) -> pd.Series:
    """True where a cell is missing or one of ``NULL_TOKENS`` (after stripping blanks)."""
    missing = series.isna()
    if isinstance(series.dtype, pd.StringDtype) or series.dtype == object:
        text = as_text(series)
        missing = missing | text.str.strip().isin(NULL_TOKENS).fillna(False).astype(bool)
    return missing.astype(bool)


def _object(values: list[Any]) -> np.ndarray[Any, np.dtype[np.object_]]:
    """An object array with one cell per item (a list or tuple item stays one cell)."""
    return pd.Series(values, dtype=object).to_numpy()


def _map_distinct(
    text: pd.Series, present: np.ndarray[Any, np.dtype[np.bool_]], parse: Callable[[str], Any]
) -> tuple[np.ndarray[Any, np.dtype[np.object_]], np.ndarray[Any, np.dtype[np.bool_]]]:
    """``parse`` applied once per distinct present value: (values, converted) per row."""
    values = np.full(len(text), None, dtype=object)
    converted = np.zeros(len(text), dtype=bool)
    codes, distinct = pd.factorize(text[present])
    if len(distinct):
        parsed = _object([parse(str(value)) for value in distinct])
        ok = np.array([value is not None for value in parsed], dtype=bool)
        values[present] = parsed[codes]
        converted[present] = ok[codes]
    return values, converted


def _assemble(
    series: pd.Series,
    values: np.ndarray[Any, np.dtype[Any]],
    present: np.ndarray[Any, np.dtype[np.bool_]],
    converted: np.ndarray[Any, np.dtype[np.bool_]],
    typed: str | None,
) -> tuple[pd.Series, int]:
    """Converted values where conversion worked, the cell as given where it did not.

    The column gets the ``typed`` dtype when nothing failed (and, for int/bool, nothing is
    missing); otherwise it is an object column mixing values and the raw cells.
    """
    failed = present & ~converted
    n_failed = int(failed.sum())
    if n_failed == 0 and typed is not None:
        if typed == "float64":
            return pd.Series(values, index=series.index, dtype="float64"), 0
        if present.all():
            return pd.Series(values, index=series.index, dtype=typed), 0
    out = np.empty(len(series), dtype=object)
    out[:] = values
    if typed == "float64":
        out[~present] = np.nan
    if n_failed:
        out[failed] = series.to_numpy(dtype=object)[failed]
    return pd.Series(out, index=series.index, dtype=object), n_failed


def _to_dates(series: pd.Series) -> Column:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):  # typed: the day of each stamp
        codes, days = pd.factorize(series.dt.floor("D"))
        values = np.full(len(series), None, dtype=object)
        found = codes >= 0
        values[found] = _object([day.date() for day in days])[codes[found]]
        return Column(pd.Series(values, index=series.index, dtype=object), 0)
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "date":
        values = series.to_numpy(dtype=object).copy()
        values[series.isna().to_numpy()] = None
        return Column(pd.Series(values, index=series.index, dtype=object), 0)
    present = ~null_mask(series).to_numpy()
    codes, distinct = pd.factorize(as_text(series)[present])
    parsed = [_date_and_origin(str(value)) for value in distinct]  # per distinct value
    dates = _object([found[0] if found else None for found in parsed])
    serial = np.array([bool(found and found[1]) for found in parsed], dtype=bool)
    values = np.full(len(series), None, dtype=object)
    converted = np.zeros(len(series), dtype=bool)
    values[present] = dates[codes]
    converted[present] = np.array([found is not None for found in parsed], dtype=bool)[codes]
    result, failed = _assemble(series, values, present, converted, None)
    serials = int(serial[codes].sum())
    notes = (f"{serials} cell(s) read as Excel serial day numbers",) if serials else ()
    return Column(result, failed, notes)


def _numbers(text: pd.Series, present: np.ndarray[Any, np.dtype[np.bool_]]) -> np.ndarray[
    Any, np.dtype[np.float64]
]:
    """Fast path: plain decimal numbers (NaN where a cell needs the slow path)."""
    numbers = pd.to_numeric(text.where(present).str.strip(), errors="coerce")
    out = numbers.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    out[~np.isfinite(out)] = np.nan  # "inf" and "nan" are not amounts
    return out


def _numeric_input(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype)


def _to_amounts(series: pd.Series, name: str, unit: str | None) -> Column:
    scale = AMOUNT_UNITS[unit] if unit else 1.0
    notes: tuple[str, ...] = (
        (f"{name} given in {unit} (header), converted to yuan (元) x{scale:,.0f}",)
        if scale != 1.0 else ()
    )
    present = ~null_mask(series).to_numpy()
    if _numeric_input(series):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        converted = present & np.isfinite(numbers)
        values = np.round(numbers * scale, 2) if scale != 1.0 else numbers
    else:
        text = as_text(series)
        numbers = _numbers(text, present)
        converted = present & ~np.isnan(numbers)
        values = np.round(numbers * scale, 2) if scale != 1.0 else numbers.copy()
        slow = present & ~converted
        if slow.any():
            parsed, ok = _map_distinct(text, slow, lambda cell: parse_amount(cell, scale))
            values[ok] = parsed[ok].astype(np.float64)
            converted = converted | ok
            if ok.any():
                notes += (f"{name}: {int(ok.sum())} cell(s) with units or separators converted",)
    result, failed = _assemble(series, values, present, converted, "float64")
    return Column(result, failed, notes)


def _to_ratios(series: pd.Series, name: str, unit: str | None) -> Column:
    present = ~null_mask(series).to_numpy()
    percent_signs = np.zeros(len(series), dtype=bool)
    if _numeric_input(series):
        numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        converted = present & np.isfinite(numbers)
    else:
        text = as_text(series)
        numbers = _numbers(text, present)
        converted = present & ~np.isnan(numbers)
        slow = present & ~converted
        if slow.any():
            parsed, ok = _map_distinct(text, slow, parse_ratio_cell)
            for position in np.flatnonzero(ok):  # cells that failed the fast path only
                numbers[position], percent_signs[position] = parsed[position]
            converted = converted | ok
    if unit == "%":
        percent, why = True, "header unit %"
    elif percent_signs.any():
        percent, why = True, "cells with a % sign"
    elif (numbers[converted] > 1.0).any():
        percent, why = True, "values above 1"
    else:
        percent, why = False, "no value above 1"
    if percent:
        values = np.round(numbers / 100.0, 10)
        note = f"{name} given in percent (0-100), converted to 0-1 ({why})"
    else:
        values = numbers
        note = f"{name} given as a fraction (0-1), kept ({why}; a '(%)' header says percent)"
    result, failed = _assemble(series, values, present, converted, "float64")
    return Column(result, failed, (note,))


def _to_ints(series: pd.Series) -> Column:
    return _to_scalars(series, pd.api.types.is_integer_dtype, parse_int, "int64")


def _to_bools(series: pd.Series) -> Column:
    return _to_scalars(series, pd.api.types.is_bool_dtype, parse_bool, "bool")


def _to_scalars(
    series: pd.Series, typed: Callable[[Any], bool], parse: Callable[[str], Any], dtype: str
) -> Column:
    """A column already of the type is kept; text is parsed once per distinct value."""
    present = ~null_mask(series).to_numpy()
    if typed(series.dtype):
        values = series.to_numpy(dtype=object)
        converted = present.copy()
    else:
        values, converted = _map_distinct(as_text(series), present, parse)
    result, failed = _assemble(series, values, present, converted, dtype)
    return Column(result, failed)


def _label_mapper(
    name: str, labels: Mapping[str, str], choices: frozenset[str]
) -> tuple[Callable[[str], str | None], dict[str, str]]:
    """Map one value to its code (itself when already a code); records the labels used."""
    codes = {label_key(choice): choice for choice in choices}
    used: dict[str, str] = {}

    def to_code(value: str) -> str | None:
        key = label_key(value)
        if key in codes:
            return codes[key]
        code = labels.get(key)
        if code is not None:
            used[value.strip()] = code
        return code

    return to_code, used


def _used_note(name: str, used: Mapping[str, str]) -> tuple[str, ...]:
    if not used:
        return ()
    pairs = ", ".join(f"{label} -> {code}" for label, code in sorted(used.items())[:8])
    more = f" and {len(used) - 8} more" if len(used) > 8 else ""
    return (f"{name}: Chinese labels mapped to codes ({pairs}{more})",)


def _to_choices(
    series: pd.Series, name: str, labels: Mapping[str, str], choices: frozenset[str]
) -> Column:
    present = ~null_mask(series).to_numpy()
    to_code, used = _label_mapper(name, labels, choices)
    text = as_text(series)
    values, converted = _map_distinct(text, present, to_code)
    out = text.astype(object).to_numpy(copy=True)
    out[converted] = values[converted]
    out[~present] = np.nan
    # Unmapped cells stay as given (the Literal check names the field); never printed here,
    # since a shifted column could hold identity numbers.
    result = pd.Series(out, index=series.index, dtype="str")
    return Column(result, int((present & ~converted).sum()), _used_note(name, used))


def _arrow_lists(series: pd.Series) -> pa.Array | None:
    """The column as an Arrow list array when every cell is a list or missing, else None."""
    if series.dtype != object:
        return None
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        return array
    return None


def _to_lists(
    series: pd.Series, name: str, labels: Mapping[str, str], choices: frozenset[str]
) -> Column:
    to_code, used = _label_mapper(name, labels, choices)

    def items_of(items: list[Any]) -> list[Any]:
        """Coded items: labels to codes, anything unknown kept for validation to reject."""
        if not choices:
            return items
        return [code if isinstance(item, str) and (code := to_code(item)) else item
                for item in items]

    arrow = _arrow_lists(series)
    if arrow is not None:  # typed lists (Parquet, JSON arrays): map the distinct items only
        flat = pc.list_flatten(arrow)
        if not pa.types.is_string(flat.type) and not pa.types.is_large_string(flat.type):
            try:  # numbers in a list of codes: as text, for validation to judge
                flat = pc.cast(flat, pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return Column(pd.Series(arrow.to_pylist(), index=series.index, dtype=object), 0)
        distinct = pc.unique(flat).to_pylist()
        mapped = pa.array(items_of(distinct), type=pa.string()) if len(distinct) else flat
        items = pc.take(mapped, pc.index_in(flat, pa.array(distinct, type=flat.type)))
        # from_arrays over the offsets turns missing lists into empty ones
        rows = pa.ListArray.from_arrays(arrow.offsets, items).to_pylist()
        return Column(pd.Series(rows, index=series.index, dtype=object), 0,
                      _used_note(name, used))
    # Text cells "a;b": parse each distinct cell once, then let Arrow build one fresh
    # list per row (rows never share a list object).
    present = ~null_mask(series).to_numpy()
    codes, distinct_cells = pd.factorize(as_text(series)[present])
    parsed = [items_of(split_list(str(cell))) for cell in distinct_cells]
    row_codes = np.full(len(series), len(parsed), dtype=np.int64)  # last entry: empty list
    row_codes[present] = codes
    table = pa.array([*parsed, []], type=pa.list_(pa.string()))
    rows = table.take(pa.array(row_codes)).to_pylist()
    return Column(pd.Series(rows, index=series.index, dtype=object), 0, _used_note(name, used))


def _to_text(series: pd.Series, kind: ValueKind) -> Column:
    missing = null_mask(series)
    text = as_text(series)
    if kind == "text":
        return Column(text.mask(missing), 0)
    # Codes: full-width digits and letters (common in GB18030 files) to ASCII, blanks trimmed.
    if not text.dropna().str.isascii().all():
        text = text.str.normalize("NFKC")
    return Column(text.str.strip().mask(missing), 0)


def _to_industry(series: pd.Series) -> Column:
    present = ~null_mask(series).to_numpy()
    text = as_text(series)
    values, converted = _map_distinct(text, present, parse_industry_code)
    out = text.astype(object).to_numpy(copy=True)
    out[converted] = values[converted]
    out[~present] = np.nan
    return Column(pd.Series(out, index=series.index, dtype="str"),
                  int((present & ~converted).sum()))


def normalise_column(
    series: pd.Series,
    kind: ValueKind,
    *,
    name: str = "column",
    unit: str | None = None,
    labels: Mapping[str, str] | None = None,
    choices: frozenset[str] = frozenset(),
) -> Column:
    """Convert one delivered column to canonical values of ``kind``.

    ``unit`` is the unit from the column header (元, 万元, 万, 亿元, 亿 for amounts; % for
    ratios). ``labels`` maps ``label_key(label)`` to a code for coded values (``choice`` and
    the items of ``list``); ``choices`` are the codes themselves. ``name`` only labels notes.

    Results: text and codes as ``str`` (missing NaN); amounts and ratios float64 (missing NaN);
    int64 and bool when complete; dates ``datetime.date`` objects (missing None); lists as
    Python lists (missing: empty). A column with cells that could not be converted is an
    object column with those cells exactly as given.
    """
    labels = labels or {}
    if kind in ("text", "code", "region"):
        return _to_text(series, kind)
    if kind == "industry":
        return _to_industry(series)
    if kind == "choice":
        return _to_choices(series, name, labels, choices)
    if kind == "list":
        return _to_lists(series, name, labels, choices)
    if kind == "date":
        return _to_dates(series)
    if kind == "amount":
        return _to_amounts(series, name, unit)
    if kind == "ratio":
        return _to_ratios(series, name, unit)
    if kind == "int":
        return _to_ints(series)
    return _to_bools(series)
