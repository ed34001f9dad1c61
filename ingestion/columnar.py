"""Vectorised validation of record frames, with the verdicts of the pydantic models.

:func:`validate_frame` checks a whole frame of one record kind column by column (numpy and
Arrow compute; on clean data no Python runs per row, except one dict look-up per row of a
list field such as ``sectors``) and returns the rows that pass plus one
:class:`~ingestion.validate.QuarantineEntry` per (row, failing field): the same (row, field)
verdicts, and for valid rows the same values, as ``validate_rows`` gives by running
``model.model_validate`` on each row of ``frame_rows(frame)``.

Nothing here restates the schema: each field's rule is derived from the model annotations
(``typing.get_type_hints(..., include_extras=True)`` and ``model_fields``):

* required vs default; ``X | None`` (None allowed) vs not (None is an error, even with a
  default: the cell was given). A column the frame lacks takes the default, or is an error
  ("Field required") on every row when the field is required;
* ``str``, stripped of Unicode whitespace first (``str_strip_whitespace``), with
  ``min_length``/``max_length``; the ``AfterValidator`` aliases of ``models.py``: ``USCC``
  (length, GB 32100 alphabet, authority/category/region structure, check character: what
  ``validate_uscc(strict=False)`` checks), ``IdNumber`` (GB 11643 shape, real birth date in
  1800-01-01..today, check character), ``LegacyRegNo`` (15 digits, ISO 7064 MOD 11,10), all
  three on ``normalise_code`` of the value (blanks removed, upper case: the stored value),
  and the digit codes ``RegionCode``/``IndustryCode``. Any other validator is refused;
* ``float`` with ``ge``/``gt``/``le``/``lt`` and ``allow_inf_nan=False`` (``Ratio``,
  ``Yuan``), ``int``, ``bool``, ``datetime.date``, ``Literal`` codes (exact: not stripped)
  and ``tuple[Literal, ...]`` (a bad item is reported as ``field.<index>``, as pydantic
  does). Inputs are taken as pydantic's lax mode takes them: numeric strings for numbers,
  whole floats for ints, 0/1 and true/yes/on/... for booleans, ``YYYY-MM-DD`` strings,
  ``datetime`` and ``Timestamp`` (their date) for dates; anything else is a type error;
* ``extra="forbid"``: a column that is no field is an error on every row;
* model validators, through their registered counterparts (:data:`MODEL_CHECKS`); as in
  pydantic they run only on rows whose fields all passed, and report ``"(record)"``.

A model with a validator, annotation, constraint or config option this module does not know
is refused (:class:`UnsupportedModel`) when the module is imported, so a rule added to a
model later cannot be skipped silently.

Rare inputs are decided by pydantic itself, one cell at a time, with a ``TypeAdapter`` of
the field's base type (its input coercion only; the constraints and code checks that follow
stay vectorised): cells of types no reader produces (``bytes``, ``Decimal``, ``pd.NA``,
sets, enum members, unusual numpy scalars), date strings other than ``YYYY-MM-DD``
(pydantic also takes datetimes at midnight and Unix times), numbers in date fields, and
number spellings other than plain decimals (``1_000``, ``inf``, ``1.0`` for an int). Their
count is :attr:`ColumnarResult.fallback_cells`; clean data has none.

The valid frame holds every model field, in model order, as ``object`` columns with exactly
what ``model_dump()`` holds: ``str``, ``float``, ``int``, ``bool``, ``datetime.date``,
``tuple`` of codes, ``None`` for missing; its index is the input frame's. So
``valid.to_dict("records")`` are the records' dumps, and ``Model.model_construct(**row)``
rebuilds a record without validating again.

Quarantine reasons never show a cell value (a USCC column may hold an identity number by
mistake); record keys are shown as ``validate_rows`` shows them (identity numbers masked).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import math
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin, get_type_hints

import annotated_types
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import AfterValidator, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic.types import AllowInfNan

from ingestion import models
from ingestion.identifiers import (
    ID_CHECK_MAP,
    ID_WEIGHTS,
    USCC_CATEGORIES,
    USCC_CHARSET,
    USCC_WEIGHTS,
    normalise_code,
)
from ingestion.models import RECORD_KINDS, Record

# What validate_rows does to a cell before pydantic sees it, and how it shows a record key
# (identity numbers masked): shared, so that both paths see and show the same.
from ingestion.validate import QuarantineEntry, _plain, _shown

__all__ = [
    "CODE_CHECKS",
    "DEFAULT_KEY_FIELDS",
    "MODEL_CHECKS",
    "ColumnarResult",
    "FieldPlan",
    "ModelPlan",
    "UnsupportedModel",
    "checked_id_numbers",
    "masked_id_numbers",
    "plan_of",
    "validate_frame",
]

Objects = npt.NDArray[np.object_]
Mask = npt.NDArray[np.bool_]
Positions = npt.NDArray[np.intp]


class UnsupportedModel(TypeError):
    """A model uses a rule (validator, annotation, constraint, config) with no vectorised
    counterpart here; validating it column-wise would skip that rule."""


@dataclass
class ColumnarResult:
    """The rows of a frame that passed, and one quarantine entry per (row, failing field)."""

    valid: pd.DataFrame
    quarantine: list[QuarantineEntry]
    fallback_cells: int = 0  # cells decided by pydantic one at a time (see the module doc)


# The record key of each kind, as validate_frames passes it to validate_rows.
DEFAULT_KEY_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "enterprises": ("uscc",),
    "people": ("name",),
    "shareholdings": ("holder_id", "enterprise_uscc"),
    "legal_reps": ("enterprise_uscc",),
    "officers": ("enterprise_uscc",),
    "branches": ("branch_uscc",),
    "contacts": ("uscc", "kind"),
    **{kind: ("event_id",) for kind in models.EVENT_MODELS},
}


class _Reasons:
    """Per row, the first problem found (None: none so far). A validator raises at its
    first problem, so later checks never overwrite an earlier reason."""

    __slots__ = ("failed", "text")

    def __init__(self, size: int) -> None:
        self.text: Objects = np.full(size, None, dtype=object)
        self.failed: Mask = np.zeros(size, dtype=bool)

    def add(self, mask: Mask, reason: str | Callable[[Positions], list[str]]) -> None:
        """``reason`` where ``mask`` holds and nothing failed before; a callable makes the
        texts for the rows that need them (given their positions)."""
        rows = np.flatnonzero(mask & ~self.failed)
        if len(rows):
            self.text[rows] = reason if isinstance(reason, str) else reason(rows)
            self.failed[rows] = True

    def add_at(self, positions: Positions, other: _Reasons) -> None:
        """The reasons of ``other``, whose row i is this one's row ``positions[i]``."""
        bad = positions[other.failed]
        fresh = ~self.failed[bad]
        self.text[bad[fresh]] = other.text[other.failed][fresh]
        self.failed[bad[fresh]] = True

    def at(self, rows: Mask | Positions | int | np.integer[Any], reason: str) -> None:
        """``reason`` on ``rows`` (cells no earlier check looked at: a type error)."""
        self.text[rows] = reason
        self.failed[rows] = True


# --- cells: what a column holds, as validate_rows would see it ----------------------------

# Cell categories: each cell falls in one by its exact type (seen through ``_plain``); OTHER
# cells are decided by pydantic one at a time.
NONE, STR, FLOAT, INT, BOOL, DATE, DATETIME, SEQ, OTHER = range(9)

_CATEGORY_OF_TYPE: Final[Mapping[type, int]] = {
    type(None): NONE, type(pd.NaT): NONE,
    str: STR, np.str_: STR,
    float: FLOAT, np.float64: FLOAT,  # NaN among them is None (``_plain``)
    int: INT, np.int64: INT, np.int32: INT, np.int16: INT, np.int8: INT,
    np.uint64: INT, np.uint32: INT, np.uint16: INT, np.uint8: INT,
    bool: BOOL, np.bool_: BOOL,
    dt.date: DATE,
    dt.datetime: DATETIME, pd.Timestamp: DATETIME,
    tuple: SEQ, list: SEQ, np.ndarray: SEQ,
}
_CATEGORY_NAMES: Final[Mapping[int, str]] = {
    STR: "text", FLOAT: "a number", INT: "an integer", BOOL: "a boolean", DATE: "a date",
    DATETIME: "a date-time", SEQ: "a list",
}


class _Cells:
    """One column: each cell's category, and typed access to the cells of a category.

    Numeric, boolean, datetime and Arrow-string columns are read without touching single
    cells; other columns once as Python objects: what iterating the column yields, which is
    what ``frame_rows`` gives pydantic.
    """

    def __init__(self, series: pd.Series) -> None:
        self.n = len(series)
        self._arrow: Any = None  # pa.Array of strings, for Arrow-backed string columns
        self._numbers: npt.NDArray[Any] | None = None  # numeric and datetime64[D] columns
        self._objects: Objects | None = None
        dtype = series.dtype
        if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" and _nan_na(dtype):
            arrow = pa.array(series.array)
            self._arrow = arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow
            valid = np.asarray(self._arrow.is_valid(), dtype=bool)
            self.cat = np.where(valid, STR, NONE).astype(np.int8)
        elif isinstance(dtype, np.dtype) and dtype.kind in "fiub":
            self._numbers = series.to_numpy()
            kind = {"f": FLOAT, "i": INT, "u": INT, "b": BOOL}[dtype.kind]
            self.cat = np.full(self.n, kind, dtype=np.int8)
            if dtype.kind == "f":  # iterating yields Python floats: NaN becomes None
                self.cat[np.isnan(self._numbers)] = NONE
        elif (isinstance(dtype, np.dtype) and dtype.kind == "M") or isinstance(
                dtype, pd.DatetimeTZDtype):
            stamps = (series.dt.tz_localize(None) if isinstance(dtype, pd.DatetimeTZDtype)
                      else series)  # wall-clock time, whose date Timestamp.date() gives
            self._numbers = stamps.to_numpy().astype("datetime64[D]")  # floors, as date()
            self.cat = np.where(np.isnat(self._numbers), NONE, DATETIME).astype(np.int8)
        else:
            values = (series.to_numpy() if dtype == np.dtype(object)
                      else np.fromiter(iter(series), dtype=object, count=self.n))
            self._objects = values
            self.cat = _categories(values)
        self.present = frozenset(np.unique(self.cat).tolist())

    def mask(self, *categories: int) -> Mask:
        table = np.zeros(OTHER + 1, dtype=bool)
        table[list(categories)] = True
        return np.asarray(table[self.cat], dtype=bool)

    def has(self, *categories: int) -> bool:
        return not self.present.isdisjoint(categories)

    @property
    def numeric(self) -> bool:
        """A numeric or boolean numpy column (cells are numbers, never objects)."""
        return self._numbers is not None and self._numbers.dtype.kind in "fiub"

    def objects(self, mask: Mask) -> Objects:
        """The cells under ``mask`` as Python objects (as iterating the column gives them)."""
        if self._objects is not None:
            return self._objects[mask]
        if self._arrow is not None:
            return np.asarray(
                self._arrow.filter(pa.array(mask)).to_numpy(zero_copy_only=False), dtype=object)
        assert self._numbers is not None
        return np.asarray(self._numbers[mask].astype(object), dtype=object)

    def python(self, mask: Mask) -> Objects:
        """INT, FLOAT or BOOL cells under ``mask`` as plain Python numbers (``_plain``)."""
        if self.numeric:
            return self.objects(mask)  # numpy's astype(object) gives Python scalars
        out = self.objects(mask)
        generic = np.fromiter((isinstance(value, np.generic) for value in out), dtype=bool,
                              count=len(out))
        if generic.any():
            out = out.copy()
            out[generic] = [value.item() for value in out[generic]]
        return out

    def strings(self, mask: Mask) -> Any:
        """The STR cells under ``mask`` (all of them must be STR) as an Arrow string array."""
        if self._arrow is not None:
            return self._arrow if mask.all() else self._arrow.filter(pa.array(mask))
        return _arrow_strings(self.objects(mask))

    def floats(self, mask: Mask) -> npt.NDArray[np.float64]:
        """FLOAT, INT or BOOL cells under ``mask`` as float64 (ints converted like float())."""
        if self.numeric:
            assert self._numbers is not None
            return np.asarray(self._numbers[mask], dtype=np.float64)
        return np.array([float(value) for value in self.objects(mask)], dtype=np.float64)

    def dates(self, mask: Mask) -> Objects:
        """DATE or DATETIME cells under ``mask`` as ``datetime.date`` (``_plain``: a
        datetime's date)."""
        if self._numbers is not None and self._numbers.dtype.kind == "M":
            return self.objects(mask)  # datetime64[D] -> datetime.date
        chosen = self.objects(mask)
        stamps = self.cat[mask] == DATETIME
        if stamps.any():
            chosen = chosen.copy()
            chosen[stamps] = [value.date() for value in chosen[stamps]]
        return chosen


def _nan_na(dtype: pd.StringDtype) -> bool:
    """pandas' default ``str`` dtype: missing is NaN, which ``_plain`` makes None (with
    ``pd.NA`` as missing value, pydantic would see pd.NA: those columns go cell by cell)."""
    na = dtype.na_value
    return isinstance(na, float) and math.isnan(na)


def _categories(values: Objects) -> npt.NDArray[np.int8]:
    kinds = np.fromiter(map(type, values), dtype=object, count=len(values))
    # factorize hashes the types; comparing an object array with a type would not do
    # (numpy takes np.ndarray, the type, for an array-like)
    codes, types_seen = pd.factorize(kinds)
    table = np.array([_CATEGORY_OF_TYPE.get(kind, OTHER) for kind in types_seen] or [OTHER],
                     dtype=np.int8)
    cat = table[codes]
    floats = np.flatnonzero(cat == FLOAT)
    if len(floats):
        cat[floats[np.isnan(values[floats].astype(np.float64))]] = NONE
    return np.asarray(cat, dtype=np.int8)


def _arrow_strings(values: Iterable[Any]) -> Any:
    return pa.array(list(values), type=pa.large_string())


def _numpy(array: Any) -> npt.NDArray[Any]:
    return np.asarray(array.to_numpy(zero_copy_only=False))


# --- identifier codes, vectorised -----------------------------------------------------------

_USCC_VALUE: Final = np.full(256, -1, dtype=np.int32)
_USCC_VALUE[np.frombuffer(USCC_CHARSET.encode(), dtype=np.uint8)] = np.arange(len(USCC_CHARSET))
_AUTHORITY: Final = np.zeros(256, dtype=bool)
_CATEGORY_OK: Final = np.zeros((256, 256), dtype=bool)
for _authority, _categories_of in USCC_CATEGORIES.items():
    _AUTHORITY[ord(_authority)] = True
    for _category in _categories_of:
        _CATEGORY_OK[ord(_authority), ord(_category)] = True
_USCC_W: Final = np.array(USCC_WEIGHTS, dtype=np.int32)
_ID_W: Final = np.array(ID_WEIGHTS, dtype=np.int32)
_ID_CHECK: Final = np.frombuffer(ID_CHECK_MAP.encode(), dtype=np.uint8)
_ZERO, _NINE, _X = ord("0"), ord("9"), ord("X")
_EARLIEST_BIRTH: Final = 18000101  # identifiers._EARLIEST_BIRTH as YYYYMMDD
_DAYS_IN_MONTH: Final = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])

# Whitespace as pydantic strips it (Rust's char::is_whitespace, the Unicode White_Space
# property) for str_strip_whitespace and number strings. Python's str.strip also strips
# U+001C..U+001F; pydantic does not.
_PYDANTIC_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _byte_lengths(texts: Any) -> npt.NDArray[np.int64]:
    return np.asarray(_numpy(pc.binary_length(texts)), dtype=np.int64)


def _char_lengths(texts: Any) -> npt.NDArray[np.int64]:
    return np.asarray(_numpy(pc.utf8_length(texts)), dtype=np.int64)


def _matrix(texts: Any, width: int) -> npt.NDArray[np.uint8]:
    """The UTF-8 bytes of strings that all have ``width`` bytes, as an (n, width) matrix."""
    if len(texts) == 0:
        return np.zeros((0, width), dtype=np.uint8)
    offset_type = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(texts.buffers()[1], dtype=offset_type)[
        texts.offset: texts.offset + len(texts) + 1]
    # Every string has ``width`` bytes, so they lie back to back in the data buffer.
    data = np.frombuffer(texts.buffers()[2], dtype=np.uint8)[offsets[0]: offsets[-1]]
    return data.reshape(len(texts), width)


def _sized(texts: Any, width: int) -> tuple[Mask, npt.NDArray[np.uint8]]:
    """Which strings have ``width`` bytes, and those strings' byte matrix."""
    sized = _byte_lengths(texts) == width
    chosen = texts if sized.all() else texts.filter(pa.array(sized))
    return sized, _matrix(chosen, width)


def _any_column(matrix: npt.NDArray[np.bool_]) -> Mask:
    return np.asarray(matrix.any(axis=1), dtype=bool)


def _none(values: Objects) -> Mask:
    """Where an object array holds None (elementwise)."""
    return np.asarray(values == None, dtype=bool)  # noqa: E711


def _length_problem(what: str, width: int,
                    lengths: npt.NDArray[np.int64]) -> Callable[[Positions], list[str]]:
    return lambda rows: [f"{what} must have {width} characters, has {k}" for k in lengths[rows]]


def _uscc_problems(codes: Any, today: dt.date) -> _Reasons:
    """Why each normalised code is no USCC, in the order ``validate_uscc`` checks."""
    reasons = _Reasons(len(codes))
    lengths = _char_lengths(codes)
    reasons.add(lengths != 18, _length_problem("USCC", 18, lengths))
    sized, chars = _sized(codes, 18)
    outside = "USCC has characters outside the USCC set (0-9, A-Z without I, O, S, V, Z)"
    reasons.add(~sized, outside)  # 18 characters but not 18 bytes: not ASCII
    if not len(chars):
        return reasons
    problems = _Reasons(len(chars))
    values = _USCC_VALUE[chars]
    problems.add(_any_column(values < 0), outside)
    authority, category = chars[:, 0], chars[:, 1]
    problems.add(~_AUTHORITY[authority], lambda rows: [
        f"USCC: unknown registration authority code {chr(a)!r}" for a in authority[rows]])
    problems.add(~_CATEGORY_OK[authority, category], lambda rows: [
        f"USCC: entity category {chr(c)!r} does not exist for authority {chr(a)!r}"
        for a, c in zip(authority[rows], category[rows], strict=True)])
    problems.add(_any_column((chars[:, 2:8] < _ZERO) | (chars[:, 2:8] > _NINE)),
                 "USCC: region code (positions 3-8) must be 6 digits")
    expected = (31 - (values[:, :17] @ _USCC_W) % 31) % 31
    problems.add(values[:, 17] != expected, lambda rows: [
        f"USCC: check character is {chr(got)!r}, expected {USCC_CHARSET[want]!r}"
        for got, want in zip(chars[rows, 17], expected[rows], strict=True)])
    reasons.add_at(np.flatnonzero(sized), problems)
    return reasons


def _id_number_problems(codes: Any, today: dt.date) -> _Reasons:
    """Why each normalised code is no resident ID number, in the order
    ``validate_id_number`` checks (never showing the birth date: it is part of the ID)."""
    reasons = _Reasons(len(codes))
    lengths = _char_lengths(codes)
    reasons.add(lengths != 18, _length_problem("identity number", 18, lengths))
    shape = "identity number must be 17 digits then a digit or 'X'"
    sized, chars = _sized(codes, 18)
    reasons.add(~sized, shape)
    if not len(chars):
        return reasons
    problems = _Reasons(len(chars))
    digit = (chars >= _ZERO) & (chars <= _NINE)
    problems.add(~digit[:, :17].all(axis=1) | ~(digit[:, 17] | (chars[:, 17] == _X)), shape)
    numbers = chars.astype(np.int32) - _ZERO  # meaningless where the shape failed: unused
    year = numbers[:, 6:10] @ np.array([1000, 100, 10, 1], dtype=np.int32)
    month = numbers[:, 10:12] @ np.array([10, 1], dtype=np.int32)
    day = numbers[:, 12:14] @ np.array([10, 1], dtype=np.int32)
    problems.add(~_calendar_date(year, month, day),
                 "identity number: birth date is not a calendar date")
    born = year * 10000 + month * 100 + day
    latest = today.year * 10000 + today.month * 100 + today.day
    problems.add((born < _EARLIEST_BIRTH) | (born > latest),
                 f"identity number: birth date is outside 1800-01-01..{today.isoformat()}")
    check = _ID_CHECK[(numbers[:, :17] @ _ID_W) % 11]
    problems.add(chars[:, 17] != check, "identity number: check character does not match")
    reasons.add_at(np.flatnonzero(sized), problems)
    return reasons


def _calendar_date(year: npt.NDArray[Any], month: npt.NDArray[Any],
                   day: npt.NDArray[Any]) -> Mask:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    return np.asarray((year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= days),
                      dtype=bool)


def _legacy_regno_problems(codes: Any, today: dt.date) -> _Reasons:
    """Why each normalised code is no 15-digit 注册号 (ISO 7064 MOD 11,10 check digit)."""
    reasons = _Reasons(len(codes))
    shape = "registration number must be 15 digits"
    sized, chars = _sized(codes, 15)
    reasons.add(~sized, shape)
    if not len(chars):
        return reasons
    problems = _Reasons(len(chars))
    problems.add(_any_column((chars < _ZERO) | (chars > _NINE)), shape)
    digits = chars.astype(np.int32) - _ZERO
    product = np.full(len(chars), 10, dtype=np.int32)
    for position in range(14):
        remainder = (product + digits[:, position]) % 10
        product = np.where(remainder == 0, 10, remainder) * 2 % 11
    expected = (11 - product) % 10
    problems.add(digits[:, 14] != expected, lambda rows: [
        f"registration number: check digit is {chr(got)!r}, expected '{want}'"
        for got, want in zip(chars[rows, 14], expected[rows], strict=True)])
    reasons.add_at(np.flatnonzero(sized), problems)
    return reasons


def _normalised(texts: Any, width: int, alphabet: npt.NDArray[np.bool_]) -> Any:
    """``normalise_code`` of every string. Strings of ``width`` bytes all in ``alphabet``
    are normal already; the others (blanks, lower case, other lengths) go through
    ``normalise_code`` itself, whose Unicode rules (str.split, str.upper) matter."""
    sized, chars = _sized(texts, width)
    clean = sized.copy()
    clean[sized] = alphabet[chars].all(axis=1)
    if clean.all():
        return texts
    values = np.asarray(_numpy(texts), dtype=object)
    values[~clean] = [normalise_code(value) for value in values[~clean]]
    return _arrow_strings(values)


def _alphabet(chars: str) -> npt.NDArray[np.bool_]:
    table = np.zeros(256, dtype=bool)
    table[np.frombuffer(chars.encode(), dtype=np.uint8)] = True
    return table


def _digit_problems(length: int) -> Callable[[Any, dt.date], _Reasons]:
    def problems(texts: Any, today: dt.date) -> _Reasons:
        # ``len(value) == length and value.isdigit()`` on the stripped value. ASCII strings
        # are checked by their bytes; str.isdigit also takes other digits (１, ²), so
        # non-ASCII strings are asked directly.
        sized, chars = _sized(texts, length)
        ok = sized.copy()
        ok[sized] = _DIGITS[chars].all(axis=1)
        other = ~ok & ~np.asarray(_numpy(pc.string_is_ascii(texts)), dtype=bool)
        if other.any():
            values = _numpy(texts.filter(pa.array(other)))
            ok[other] = [len(value) == length and value.isdigit() for value in values]
        reasons = _Reasons(len(texts))
        reasons.add(~ok, f"expected {length} digits")
        return reasons

    return problems


_DIGITS: Final = _alphabet("0123456789")


@dataclass(frozen=True)
class CodeCheck:
    """The vectorised counterpart of one ``AfterValidator`` alias of ``models.py``: the
    stored form of a stripped string (``normalise_code`` of it, or itself) and its problems."""

    name: str
    problems: Callable[[Any, dt.date], _Reasons]  # of the stored forms
    width: int = 0  # normalised codes: their length (the fast path of _normalised) ...
    alphabet: npt.NDArray[np.bool_] | None = None  # ... and characters; None: kept as given

    def stored(self, texts: Any) -> Any:
        if self.alphabet is None:
            return texts
        return _normalised(texts, self.width, self.alphabet)


USCC_CHECK: Final = CodeCheck("USCC", _uscc_problems, 18, _alphabet(USCC_CHARSET))
ID_NUMBER_CHECK: Final = CodeCheck("IdNumber", _id_number_problems, 18,
                                   _alphabet("0123456789X"))
LEGACY_REGNO_CHECK: Final = CodeCheck("LegacyRegNo", _legacy_regno_problems, 15, _DIGITS)


def checked_id_numbers(numbers: Sequence[str], today: dt.date | None = None) -> list[str]:
    """``validate_id_number(normalise_code(number))`` of each number, vectorised: their
    normal forms, or ``ValueError`` naming the first invalid one by position and problem
    (never the number: it is personal data)."""
    stored = ID_NUMBER_CHECK.stored(_arrow_strings(numbers))
    reasons = ID_NUMBER_CHECK.problems(stored, today or dt.date.today())
    if reasons.failed.any():
        row = int(np.flatnonzero(reasons.failed)[0])
        raise ValueError(f"identity number {row + 1} of {len(numbers)}: {reasons.text[row]}")
    return list(_numpy(stored).tolist())  # to_pylist() is ten times slower


def masked_id_numbers(numbers: Sequence[str]) -> list[str]:
    """``mask_id_number`` of each number, vectorised; the numbers must be valid (see
    :func:`checked_id_numbers`), as every number of a validated frame is."""
    checked = _arrow_strings(checked_id_numbers(numbers))
    return list(_numpy(pc.utf8_replace_slice(checked, 6, 14, "*" * 8)).tolist())


def _digits_check(name: str, alias: Any) -> CodeCheck:
    """A ``_check_digits(n)`` alias: n is read from the validator's closure, not restated."""
    (validator,) = (item for item in get_args(alias)[1:] if isinstance(item, AfterValidator))
    length = inspect.getclosurevars(validator.func).nonlocals.get("length")
    if not isinstance(length, int):
        raise UnsupportedModel(f"{name}: cannot read the digit count of its validator")
    return CodeCheck(name, _digit_problems(length))


# The AfterValidator aliases of models.py and their vectorised counterparts. An alias is
# recognised by equality with the annotation (Annotated compares its metadata).
CODE_CHECKS: Final[Mapping[Any, CodeCheck]] = {
    models.USCC: USCC_CHECK,
    models.IdNumber: ID_NUMBER_CHECK,
    models.LegacyRegNo: LEGACY_REGNO_CHECK,
    models.RegionCode: _digits_check("RegionCode", models.RegionCode),
    models.IndustryCode: _digits_check("IndustryCode", models.IndustryCode),
}


# --- field plans, from the model annotations ------------------------------------------------

ValueKind = Literal["text", "choice", "choices", "date", "bool", "int", "float"]
_BASE_KINDS: Final[Mapping[Any, ValueKind]] = {
    str: "text", dt.date: "date", bool: "bool", int: "int", float: "float"}


@dataclass(frozen=True)
class FieldPlan:
    """What one model field accepts, derived from its annotation."""

    name: str
    kind: ValueKind
    base: Any  # the annotation without None and metadata: pydantic's coercion of rare cells
    required: bool
    default: Any
    nullable: bool
    choices: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    bounds: tuple[tuple[str, float], ...] = ()  # ("ge" | "gt" | "le" | "lt", bound)
    finite: bool = False
    code: CodeCheck | None = None


# A model check sees the canonical values of every field (object arrays), the rows whose
# fields all passed, and today; it returns the reason each of those rows fails (None: ok).
ModelCheck = Callable[[Mapping[str, Objects], Mask, dt.date], Objects]


@dataclass(frozen=True)
class ModelPlan:
    """Every field of a model, and its model validators' counterparts in pydantic's order."""

    model: type[Record]
    fields: tuple[FieldPlan, ...]
    checks: tuple[ModelCheck, ...]
    strip: bool
    forbid_extra: bool


def _without_none(hint: Any) -> tuple[Any, bool]:
    if get_origin(hint) in (Union, types.UnionType):
        args = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(args) == 1 and len(get_args(hint)) == 2:
            return args[0], True
        raise UnsupportedModel(f"union {hint!r}: only X | None is supported")
    return hint, False


def _constraints(where: str, metadata: Iterable[Any]) -> dict[str, Any]:
    """Field constraints of Annotated metadata; anything else (a validator, a pattern,
    strict mode, ...) is refused."""
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found.update(_constraints(where, item.metadata))
        elif isinstance(item, annotated_types.MinLen):
            found["min_length"] = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            found["max_length"] = item.max_length
        elif isinstance(item, annotated_types.Ge | annotated_types.Gt | annotated_types.Le
                        | annotated_types.Lt):
            op = type(item).__name__.lower()
            found.setdefault("bounds", []).append((op, float(getattr(item, op))))
        elif isinstance(item, AllowInfNan):
            found["finite"] = not item.allow_inf_nan
        else:
            raise UnsupportedModel(f"{where}: no vectorised counterpart for {item!r}")
    return found


def _field_plan(model: type[Record], name: str, hint: Any, info: FieldInfo) -> FieldPlan:
    """One field's plan from its type hint and FieldInfo. A top-level ``Annotated`` hint's
    metadata is in ``info.metadata`` (pydantic merges it there with a ``Field()`` default's);
    inside ``X | None`` it stays in the hint."""
    where = f"{model.__name__}.{name}"
    if info.alias is not None or info.validation_alias is not None:
        raise UnsupportedModel(f"{where}: aliases are not supported (columns are field names)")
    metadata: list[Any] = list(info.metadata)
    nullable = False
    if get_origin(hint) is not Annotated:
        hint, nullable = _without_none(hint)
        if get_origin(hint) is Annotated:
            metadata.extend(get_args(hint)[1:])
    code = next((check for alias, check in CODE_CHECKS.items() if hint == alias), None)
    if code is not None:  # its AfterValidator is what the code check stands for
        metadata = [item for item in metadata if not isinstance(item, AfterValidator)]
    if get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    constraints = _constraints(where, metadata)
    choices: tuple[str, ...] = ()
    kind: ValueKind
    if hint in _BASE_KINDS:
        kind = _BASE_KINDS[hint]
    elif get_origin(hint) is Literal:
        kind, choices = "choice", _literal_codes(where, hint)
    elif get_origin(hint) is tuple and len(get_args(hint)) == 2 and get_args(hint)[1] is ...:
        kind, choices = "choices", _literal_codes(where, get_args(hint)[0])
    else:
        raise UnsupportedModel(f"{where}: no vectorised counterpart for annotation {hint!r}")
    allowed = {"text": {"min_length", "max_length"}, "float": {"bounds", "finite"},
               "int": {"bounds"}}.get(kind, set())
    if (code is not None and kind != "text") or not set(constraints) <= allowed:
        raise UnsupportedModel(f"{where}: constraints {sorted(constraints)} or code check on "
                               f"a {kind} field have no vectorised counterpart")
    required = info.is_required()
    return FieldPlan(
        name=name, kind=kind, base=hint, required=required,
        default=None if required else info.get_default(call_default_factory=True),
        nullable=nullable, choices=choices, min_length=constraints.get("min_length"),
        max_length=constraints.get("max_length"), bounds=tuple(constraints.get("bounds", ())),
        finite=constraints.get("finite", False), code=code)


def _literal_codes(where: str, hint: Any) -> tuple[str, ...]:
    if get_origin(hint) is not Literal or not all(isinstance(a, str) for a in get_args(hint)):
        raise UnsupportedModel(f"{where}: only Literal string codes are supported, not {hint!r}")
    return tuple(get_args(hint))


_KNOWN_CONFIG: Final = frozenset({"frozen", "extra", "str_strip_whitespace"})
_UNSUPPORTED_DECORATORS: Final = ("field_validators", "validators", "root_validators",
                                  "field_serializers", "model_serializers", "computed_fields")


def plan_of(model: type[Record]) -> ModelPlan:
    """The vectorised plan of ``model``; raises :class:`UnsupportedModel` for any rule of the
    model without a counterpart here (model validators: see :data:`MODEL_CHECKS`)."""
    return _plan_of(model)


@cache
def _plan_of(model: type[Record]) -> ModelPlan:
    config = dict(model.model_config)
    unknown = set(config) - _KNOWN_CONFIG
    if unknown or config.get("extra", "ignore") not in ("forbid", "ignore"):
        raise UnsupportedModel(f"{model.__name__}: config {config} has options without a "
                               f"vectorised counterpart")
    decorators = model.__pydantic_decorators__
    for kind in _UNSUPPORTED_DECORATORS:
        if getattr(decorators, kind):
            raise UnsupportedModel(f"{model.__name__}: {kind} {sorted(getattr(decorators, kind))}"
                                   f" have no vectorised counterpart")
    if model.__pydantic_post_init__ is not None:
        raise UnsupportedModel(f"{model.__name__}: model_post_init is not supported")
    checks: list[ModelCheck] = []
    for name, decorator in decorators.model_validators.items():  # pydantic's order
        check = MODEL_CHECKS.get(decorator.func)
        if check is None or decorator.info.mode != "after":
            raise UnsupportedModel(
                f"{model.__name__}: model validator {name!r} (mode {decorator.info.mode!r}) "
                f"has no vectorised counterpart; register one in "
                f"ingestion.columnar.MODEL_CHECKS")
        checks.append(check)
    hints = get_type_hints(model, include_extras=True)
    fields = tuple(_field_plan(model, name, hints[name], info)
                   for name, info in model.model_fields.items())
    return ModelPlan(model, fields, tuple(checks), bool(config.get("str_strip_whitespace")),
                     config.get("extra") == "forbid")


# --- fields, vectorised ---------------------------------------------------------------------


@dataclass
class _Verdict:
    """One field over all rows: canonical values (meaningless where failed), the reason per
    failed row, and errors on items of a list field (``field.<index>``)."""

    values: Objects
    reasons: _Reasons
    item_errors: list[tuple[int, str, str]] = field(default_factory=list)
    fallback: int = 0

    @classmethod
    def empty(cls, size: int) -> _Verdict:
        return cls(np.full(size, None, dtype=object), _Reasons(size))


@cache
def _adapter(base: Any, strip: bool) -> TypeAdapter[Any]:
    return TypeAdapter(base, config=ConfigDict(str_strip_whitespace=strip))


def _pydantic_cells(plan: FieldPlan, strip: bool, cells: _Cells, mask: Mask,
                    verdict: _Verdict) -> tuple[Mask, list[Any]]:
    """Cells pydantic decides (see the module doc): the base type's lax coercion, one cell at
    a time. Returns which of them converted and their values; failures go to ``verdict``."""
    converted = np.zeros(cells.n, dtype=bool)
    values: list[Any] = []
    adapter = _adapter(plan.base, strip)
    for position, raw in zip(np.flatnonzero(mask), cells.objects(mask), strict=True):
        verdict.fallback += 1
        try:
            value = _plain(raw)
        except TypeError:  # e.g. a 0-d array (validate_rows fails on it as well)
            verdict.reasons.at(position, "unreadable value")
            continue
        if value is None:
            if not plan.nullable:
                verdict.reasons.at(position, "value missing")
            continue
        try:
            values.append(adapter.validate_python(value))
        except ValidationError as error:
            for problem in error.errors():  # pydantic's messages never show the input
                if problem["loc"]:
                    label = ".".join([plan.name, *map(str, problem["loc"])])
                    verdict.item_errors.append((int(position), label, problem["msg"]))
                else:
                    verdict.reasons.at(position, problem["msg"])
            continue
        converted[position] = True
    return converted, values


_EXPECTED: Final[Mapping[ValueKind, str]] = {
    "text": "text", "choice": "one of the codes", "choices": "a list of codes",
    "date": "a date", "bool": "a boolean", "int": "an integer", "float": "a number"}


def _type_errors(plan: FieldPlan, cells: _Cells, verdict: _Verdict,
                 accepted: tuple[int, ...]) -> None:
    """None where the field takes no None, and cells of categories it never takes."""
    if not plan.nullable and cells.has(NONE):
        verdict.reasons.at(cells.cat == NONE, "value missing")
    for category, shown in _CATEGORY_NAMES.items():
        if category not in accepted and cells.has(category):
            verdict.reasons.at(cells.cat == category,
                               f"expected {_EXPECTED[plan.kind]}, got {shown}")


def _text(plan: FieldPlan, cells: _Cells, strip: bool, today: dt.date) -> _Verdict:
    verdict = _Verdict.empty(cells.n)
    _type_errors(plan, cells, verdict, (NONE, STR))
    is_text = cells.cat == STR
    texts = cells.strings(is_text)
    if cells.has(OTHER):
        converted, values = _pydantic_cells(plan, strip, cells, cells.cat == OTHER, verdict)
        if converted.any():  # rare: merged into the strings checked below
            merged = np.full(cells.n, None, dtype=object)
            merged[is_text] = _numpy(texts)
            merged[converted] = values
            is_text = is_text | converted
            texts = _arrow_strings(merged[is_text])
    if strip:
        texts = pc.utf8_trim(texts, characters=_PYDANTIC_WHITESPACE)
    problems = _Reasons(len(texts))
    if plan.min_length is not None or plan.max_length is not None:
        lengths = _char_lengths(texts)
        if plan.min_length is not None:
            problems.add(lengths < plan.min_length,
                         "must not be empty" if plan.min_length == 1
                         else f"must have at least {plan.min_length} characters")
        if plan.max_length is not None:
            problems.add(lengths > plan.max_length,
                         f"must have at most {plan.max_length} characters")
    if plan.code is not None:
        texts = plan.code.stored(texts)
        found = plan.code.problems(texts, today)
        problems.add_at(np.arange(len(texts)), found)
    rows = np.flatnonzero(is_text)
    verdict.values[rows] = _numpy(texts)
    verdict.reasons.add_at(rows, problems)
    return verdict


def _choice(plan: FieldPlan, cells: _Cells, strip: bool) -> _Verdict:
    verdict = _Verdict.empty(cells.n)
    _type_errors(plan, cells, verdict, (NONE, STR))
    is_text = cells.cat == STR
    texts = cells.strings(is_text)  # codes match exactly: pydantic does not strip them
    known = np.asarray(_numpy(pc.is_in(texts, value_set=pa.array(plan.choices,
                                                                 type=texts.type))), dtype=bool)
    rows = np.flatnonzero(is_text)
    verdict.values[rows] = _numpy(texts)
    verdict.reasons.at(rows[~known], f"not one of {', '.join(map(repr, plan.choices))}")
    if cells.has(OTHER):
        converted, values = _pydantic_cells(plan, strip, cells, cells.cat == OTHER, verdict)
        verdict.values[converted] = values
    return verdict


def _choices(plan: FieldPlan, cells: _Cells, strip: bool) -> _Verdict:
    verdict = _Verdict.empty(cells.n)
    _type_errors(plan, cells, verdict, (NONE, SEQ))
    codes = {code: code for code in plan.choices}
    reason = f"not one of {', '.join(map(repr, plan.choices))}"
    seen: dict[tuple[Any, ...], tuple[tuple[str, ...], list[int]]] = {}
    is_seq = cells.cat == SEQ
    for position, value in zip(np.flatnonzero(is_seq), cells.objects(is_seq), strict=True):
        items = value if type(value) is tuple else _plain(value)  # a tuple, as pydantic sees
        known = None
        with contextlib.suppress(TypeError):  # unhashable items: not cached
            known = seen.get(items)
        if known is None:
            bad = [index for index, item in enumerate(items)
                   if not isinstance(item, str) or item not in codes]
            known = (tuple(codes[item] for item in items) if not bad else (), bad)
            with contextlib.suppress(TypeError):
                seen[items] = known
        canonical, bad = known
        if bad:
            verdict.item_errors.extend(
                (int(position), f"{plan.name}.{index}", reason) for index in bad)
        else:
            verdict.values[position] = canonical
    if cells.has(OTHER):
        converted, values = _pydantic_cells(plan, strip, cells, cells.cat == OTHER, verdict)
        verdict.values[np.flatnonzero(converted)] = [tuple(value) for value in values]
    return verdict


_ISO_DATE: Final = r"^\d{4}-\d{2}-\d{2}$"


def _date(plan: FieldPlan, cells: _Cells, strip: bool) -> _Verdict:
    verdict = _Verdict.empty(cells.n)
    _type_errors(plan, cells, verdict, (NONE, STR, INT, FLOAT, BOOL, DATE, DATETIME))
    dated = cells.mask(DATE, DATETIME)
    if dated.any():
        verdict.values[dated] = cells.dates(dated)
    rare = cells.mask(INT, FLOAT, BOOL, OTHER)  # Unix times and the like: pydantic's rules
    if cells.has(STR):
        texts = cells.strings(cells.cat == STR)
        rows = np.flatnonzero(cells.cat == STR)
        iso = np.asarray(_numpy(pc.match_substring_regex(texts, _ISO_DATE)), dtype=bool)
        chars = _matrix(texts.filter(pa.array(iso)), 10).astype(np.int64) - _ZERO
        year = chars[:, 0:4] @ np.array([1000, 100, 10, 1])
        month = chars[:, 5:7] @ np.array([10, 1])
        day = chars[:, 8:10] @ np.array([10, 1])
        real = _calendar_date(year, month, day)
        verdict.reasons.at(rows[iso][~real], "not a calendar date (YYYY-MM-DD)")
        months = (year[real] - 1970) * 12 + month[real] - 1
        days = (months.astype("datetime64[M]").astype("datetime64[D]")
                + (day[real] - 1).astype("timedelta64[D]"))
        verdict.values[rows[iso][real]] = days.astype(object)  # -> datetime.date
        rare[rows[~iso]] = True
    if rare.any():
        converted, values = _pydantic_cells(plan, strip, cells, rare, verdict)
        verdict.values[np.flatnonzero(converted)] = values
    return verdict


_NUMBER: Final = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_INTEGER: Final = r"^[+-]?\d+$"
_TRUE: Final = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE: Final = frozenset({"0", "off", "f", "false", "n", "no"})


def _number_texts(cells: _Cells, pattern: str) -> tuple[Mask, Objects]:
    """STR cells that are plain decimal numbers (``pattern``) once stripped as pydantic
    strips number strings: which they are, and their texts. Other spellings go to pydantic."""
    texts = pc.utf8_trim(cells.strings(cells.cat == STR), characters=_PYDANTIC_WHITESPACE)
    plain = np.asarray(_numpy(pc.match_substring_regex(texts, pattern)), dtype=bool)
    chosen = np.zeros(cells.n, dtype=bool)
    chosen[np.flatnonzero(cells.cat == STR)[plain]] = True
    return chosen, np.asarray(_numpy(texts.filter(pa.array(plain))), dtype=object)


def _number_constraints(plan: FieldPlan, numbers: npt.NDArray[Any], have: Mask,
                        verdict: _Verdict) -> None:
    """allow_inf_nan=False, then the bounds, on the numbers not failed already."""
    rows = np.flatnonzero(have & ~verdict.reasons.failed)
    chosen = numbers[rows]
    reasons = _Reasons(len(rows))
    if plan.finite:
        reasons.add(~np.isfinite(chosen.astype(np.float64)), "must be a finite number")
    for op, bound in plan.bounds:
        with np.errstate(invalid="ignore"):
            outside = {"ge": chosen < bound, "gt": chosen <= bound, "le": chosen > bound,
                       "lt": chosen >= bound}[op]
        shown = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}[op]
        reasons.add(np.asarray(outside, dtype=bool), f"must be {shown} {bound:g}")
    verdict.reasons.add_at(rows, reasons)


def _float(plan: FieldPlan, cells: _Cells, strip: bool) -> _Verdict:
    verdict = _Verdict.empty(cells.n)
    _type_errors(plan, cells, verdict, (NONE, STR, FLOAT, INT, BOOL))
    numbers = np.full(cells.n, np.nan)
    have = cells.mask(FLOAT, BOOL) | (cells.mask(INT) if cells.numeric else False)
    numbers[have] = cells.floats(have)  # int64 -> float64 rounds as float(int) does
    rare = cells.cat == OTHER
    if cells.has(INT) and not cells.numeric:  # Python ints beyond int64: pydantic decides
        ints = np.flatnonzero(cells.cat == INT)
        values = cells.python(cells.cat == INT)
        small = np.array([abs(value) < 2**63 for value in values], dtype=bool)
        numbers[ints[small]] = [float(value) for value in values[small]]
        have[ints[small]] = True
        rare[ints[~small]] = True
    if cells.has(STR):
        parsed, texts = _number_texts(cells, _NUMBER)
        numbers[parsed] = [float(text) for text in texts]
        have |= parsed
        rare |= (cells.cat == STR) & ~parsed  # 1_000, inf, nan, junk: pydantic's rules
    if rare.any():
        converted, converted_values = _pydantic_cells(plan, strip, cells, rare, verdict)
        numbers[converted] = converted_values
        have |= converted
    _number_constraints(plan, numbers, have, verdict)
    verdict.values[have] = numbers[have].astype(object)
    return verdict


def _int(plan: FieldPlan, cells: _Cells, strip: bool) -> _Verdict:
    verdict = _Verdict.empty(cells.n)
    _type_errors(plan, cells, verdict, (NONE, STR, FLOAT, INT, BOOL))
    numbers = np.full(cells.n, None, dtype=object)
    ints, truth = cells.cat == INT, cells.cat == BOOL
    numbers[ints] = cells.python(ints)
    numbers[np.flatnonzero(truth)] = [int(value) for value in cells.python(truth)]
    have = ints | truth
    rare = cells.cat == OTHER
    if cells.has(FLOAT):
        where = np.flatnonzero(cells.cat == FLOAT)
        values = cells.floats(cells.cat == FLOAT)
        exact = np.isfinite(values) & (np.abs(values) < 2**53)  # beyond: pydantic decides
        whole = exact & (values == np.round(values))
        numbers[where[whole]] = values[whole].astype(np.int64).astype(object)
        have[where[whole]] = True
        verdict.reasons.at(where[exact & ~whole], "expected an integer, got a fraction")
        rare[where[~exact]] = True
    if cells.has(STR):
        parsed, texts = _number_texts(cells, _INTEGER)
        short = np.array([len(text) < 4000 for text in texts], dtype=bool)  # int()'s limit
        where = np.flatnonzero(parsed)
        numbers[where[short]] = [int(text) for text in texts[short]]
        have[where[short]] = True
        rare |= (cells.cat == STR) & ~have  # 1.0, 1_000, junk: pydantic's rules
    if rare.any():
        converted, converted_values = _pydantic_cells(plan, strip, cells, rare, verdict)
        numbers[np.flatnonzero(converted)] = converted_values
        have |= converted
    _number_constraints(plan, numbers, have, verdict)
    verdict.values[have] = numbers[have]
    return verdict


def _bool(plan: FieldPlan, cells: _Cells, strip: bool) -> _Verdict:
    verdict = _Verdict.empty(cells.n)
    _type_errors(plan, cells, verdict, (NONE, STR, FLOAT, INT, BOOL))
    values = verdict.values
    truth = cells.cat == BOOL
    values[truth] = cells.python(truth)
    if cells.has(INT, FLOAT):
        numeric = cells.mask(INT, FLOAT)
        numbers = cells.floats(numeric)
        where = np.flatnonzero(numeric)
        zero_one = (numbers == 0) | (numbers == 1)
        values[where[zero_one]] = numbers[zero_one] == 1
        verdict.reasons.at(where[~zero_one], "expected a boolean (0 or 1), got another number")
    rare = cells.cat == OTHER
    if cells.has(STR):
        texts = cells.strings(cells.cat == STR)  # not stripped: " true " is no boolean
        ascii_text = np.asarray(_numpy(pc.string_is_ascii(texts)), dtype=bool)
        lower = np.asarray(_numpy(pc.ascii_lower(texts)), dtype=object)
        where = np.flatnonzero(cells.cat == STR)
        words = np.array([text in _TRUE or text in _FALSE for text in lower], dtype=bool)
        values[where[ascii_text & words]] = [text in _TRUE for text in lower[ascii_text & words]]
        verdict.reasons.at(where[ascii_text & ~words],
                           "expected a boolean (true/false, yes/no, on/off, 1/0)")
        rare[where[~ascii_text]] = True  # case-insensitive beyond ASCII: pydantic decides
    if rare.any():
        converted, converted_values = _pydantic_cells(plan, strip, cells, rare, verdict)
        values[np.flatnonzero(converted)] = converted_values
    return verdict


def _field(plan: FieldPlan, cells: _Cells, strip: bool, today: dt.date) -> _Verdict:
    if plan.kind == "text":
        return _text(plan, cells, strip, today)
    validate = {"choice": _choice, "choices": _choices, "date": _date, "float": _float,
                "int": _int, "bool": _bool}[plan.kind]
    return validate(plan, cells, strip)


# --- model validators, vectorised -----------------------------------------------------------


def _days(values: Objects) -> npt.NDArray[np.datetime64]:
    """``datetime.date`` objects as datetime64[D] (Arrow converts them ~15x faster than
    numpy's ``astype``)."""
    return np.asarray(_numpy(pa.array(values, type=pa.date32())), dtype="datetime64[D]")


def _before(values: Mapping[str, Objects], rows: Mask, later: str, earlier: str) -> Objects:
    """``later`` set and before ``earlier``: ``if self.a and self.b and self.b < self.a``,
    where a date is never false."""
    both = np.flatnonzero(rows & ~_none(values[earlier]) & ~_none(values[later]))
    bad = np.zeros(len(rows), dtype=bool)
    bad[both] = _days(values[later][both]) < _days(values[earlier][both])
    reasons = np.full(len(rows), None, dtype=object)
    reasons[bad] = [f"{later} {b} is before {earlier} {a}"
                    for a, b in zip(values[earlier][bad], values[later][bad], strict=True)]
    return reasons


def _interval_ordered(values: Mapping[str, Objects], rows: Mask, today: dt.date) -> Objects:
    """``Interval._ordered``: until must not be before since."""
    return _before(values, rows, "until", "since")


def _listing_ordered(values: Mapping[str, Objects], rows: Mask, today: dt.date) -> Objects:
    """``_Listing._ordered``: removed must not be before listed."""
    return _before(values, rows, "removed", "listed")


def _holder_valid(values: Mapping[str, Objects], rows: Mask, today: dt.date) -> Objects:
    """``Shareholding._holder_valid``: holder_id is a USCC for holder_kind 'enterprise',
    else (a person) a resident ID number; both after ``normalise_code``."""
    reasons = np.full(len(rows), None, dtype=object)
    enterprise = rows & (values["holder_kind"] == "enterprise")
    for chosen, check, what in ((enterprise, USCC_CHECK, "USCC"),
                                (rows & ~enterprise, ID_NUMBER_CHECK, "identity number")):
        if chosen.any():
            codes = check.stored(_arrow_strings(values["holder_id"][chosen]))
            found = check.problems(codes, today)
            where = np.flatnonzero(chosen)[found.failed]
            reasons[where] = [f"holder_id is no valid {what} ({reason})"
                              for reason in found.text[found.failed]]
    return reasons


# Model validator (the decorated function) -> its vectorised counterpart. The one place that
# maps them: a model with a validator that is not here is refused (UnsupportedModel).
MODEL_CHECKS: Final[Mapping[Any, ModelCheck]] = {
    models.Interval._ordered: _interval_ordered,
    models._Listing._ordered: _listing_ordered,
    models.Shareholding._holder_valid: _holder_valid,
}

for _model in RECORD_KINDS.values():  # refuse at import what the module cannot check
    plan_of(_model)


# --- frames ---------------------------------------------------------------------------------


def validate_frame(
    kind: str,
    frame: pd.DataFrame,
    *,
    origins: Sequence[str] | None = None,
    key_fields: tuple[str, ...] | None = None,
    today: dt.date | None = None,
) -> ColumnarResult:
    """Validate a frame of ``kind`` (a key of ``RECORD_KINDS``) column by column.

    The same (row, field) verdicts as ``validate_rows(RECORD_KINDS[kind], frame_rows(frame),
    ...)``, and for the rows that pass the same values (the module doc says what is checked
    and how values are held). ``origins[i]`` is row i's ``file:line``; without them the
    source is ``kind`` and the line the row's position + 1. ``key_fields`` (default: those
    ``validate_frames`` uses for the kind) name the record in quarantine entries, identity
    numbers masked. ``today`` bounds ID birth dates (default: the system date, as
    ``validate_id_number``). Reference checks and share totals are not made here.
    """
    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown record kind {kind!r}; known: {sorted(RECORD_KINDS)}")
    if origins is not None and len(origins) != len(frame):
        raise ValueError(f"{len(origins)} origins for {len(frame)} rows")
    plan = plan_of(RECORD_KINDS[kind])
    keys = DEFAULT_KEY_FIELDS[kind] if key_fields is None else key_fields
    today = today or dt.date.today()
    n = len(frame)
    # Columns by name; with a repeated name the last one counts, as in frame_rows' dicts.
    position_of = {column: position for position, column in enumerate(frame.columns)}
    names = {plan_field.name for plan_field in plan.fields}
    extras = [column for column in position_of if column not in names]

    values: dict[str, Objects] = {}
    problems: list[tuple[int, int, str, str]] = []  # (row, order, field, reason)
    failed = np.zeros(n, dtype=bool)
    fallback = 0
    for order, plan_field in enumerate(plan.fields):
        if plan_field.name not in position_of:
            if plan_field.required:
                failed[:] = True
                problems.extend((row, order, plan_field.name,
                                 "required field missing (no such column)") for row in range(n))
            values[plan_field.name] = _filled(plan_field.default, n)
            continue
        cells = _Cells(frame.iloc[:, position_of[plan_field.name]])
        verdict = _field(plan_field, cells, plan.strip, today)
        fallback += verdict.fallback
        bad = verdict.reasons.failed
        failed |= bad
        problems.extend(
            (row, order, plan_field.name, reason) for row, reason in
            zip(np.flatnonzero(bad).tolist(), verdict.reasons.text[bad].tolist(), strict=True))
        for row, label, reason in verdict.item_errors:
            failed[row] = True
            problems.append((row, order, label, reason))
        values[plan_field.name] = verdict.values
    if extras and plan.forbid_extra:
        failed[:] = True
        reason = f"unknown field: {plan.model.__name__} has no field of this name"
        for offset, column in enumerate(extras):
            problems.extend((row, len(plan.fields) + offset, str(column), reason)
                            for row in range(n))
    candidates = ~failed
    for check in plan.checks:  # in pydantic's order; the first failing one is reported
        if not candidates.any():
            break
        reasons = check(values, candidates, today)
        bad = ~_none(reasons)
        problems.extend((row, len(plan.fields) + len(extras), "(record)", str(reasons[row]))
                        for row in np.flatnonzero(bad).tolist())
        candidates &= ~bad
    everything = bool(candidates.all())
    valid = pd.DataFrame(
        {name: pd.Series(column if everything else column[candidates], dtype=object,
                         copy=False) for name, column in values.items()})
    valid.index = frame.index if everything else frame.index[candidates]
    return ColumnarResult(
        valid, _quarantine(kind, frame, position_of, problems, origins, keys), fallback)


def _filled(value: Any, size: int) -> Objects:
    out = np.empty(size, dtype=object)
    out.fill(value)  # fill, not assignment: a tuple default is one value, not a sequence
    return out


def _quarantine(kind: str, frame: pd.DataFrame, position_of: Mapping[Any, int],
                problems: list[tuple[int, int, str, str]], origins: Sequence[str] | None,
                keys: tuple[str, ...]) -> list[QuarantineEntry]:
    """Entries in row order, fields in model order, as validate_rows lists them; the key is
    shown from the raw cells, as validate_rows shows it."""
    problems.sort(key=lambda problem: (problem[0], problem[1]))
    shown = [name for name in dict.fromkeys((*keys, "holder_kind")) if name in position_of]
    columns = {name: frame.iloc[:, position_of[name]] for name in shown}
    entries: list[QuarantineEntry] = []
    current, source, line, key = -1, kind, 0, ""
    for row, _, name, reason in problems:
        if row != current:
            current = row
            source, line = (kind, row + 1) if origins is None else _split(origins[row])
            plain = {column: _plain(series.iat[row]) for column, series in columns.items()}
            if not isinstance(plain.get("holder_kind"), str):  # _shown compares it with ==
                plain["holder_kind"] = None  # (pd.NA == "person" cannot be a bool)
            key = "/".join(_shown(plain, field_name) for field_name in keys)
        entries.append(QuarantineEntry(source, line, key, name, reason))
    return entries


def _split(origin: str) -> tuple[str, int]:
    where, _, line = origin.rpartition(":")
    return where, int(line)
