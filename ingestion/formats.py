"""Delivery folders: real sources (CSV, Parquet, JSON Lines, BODS) in, canonical frames out.

A delivery is a folder with one file (or several parts) per record kind of
``ingestion.models.RECORD_KINDS``: ``<kind>.<ext>`` or ``<kind>-<part>.<ext>``, ext ``csv``,
``parquet`` or ``jsonl``; plus Beneficial Ownership Data Standard files ``*.bods.json`` /
``*.bods.jsonl``. :func:`read_delivery` maps the columns (English field names or the Chinese
headers of ``headers.toml``) and normalises the values column by column from the model's
field annotations (``ingestion.normalise``). It does not validate: a cell it cannot convert
stays as given, so that ``ingestion.validate`` rejects the row naming the field and the
``file:line`` in :attr:`RawDelivery.source_of_row`. :func:`write_delivery` writes canonical
frames so that :func:`read_delivery` reads them back equal. ``docs/data-format.md`` (generated
by ``ingestion.docs``) is the user-facing description.

Identity numbers are delivered by necessity; no note or error here ever shows a cell value.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import re
import tomllib
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin, get_type_hints

import annotated_types
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic.fields import FieldInfo

from ingestion import models
from ingestion.models import EVENT_MODELS, RECORD_KINDS, Event, Record
from ingestion.normalise import (
    AMOUNT_UNITS,
    ValueKind,
    as_text,
    label_key,
    normalise_column,
)
from ingestion.validate import RowOrigins

EXTENSIONS: Final = ("csv", "parquet", "jsonl")
BODS_SUFFIXES: Final = (".bods.json", ".bods.jsonl")
DEFAULT_HEADER_MAP: Final = Path(__file__).with_name("headers.toml")
EVENT_TABLE: Final = "event"  # the headers.toml table shared by every event kind


class DeliveryError(ValueError):
    """A delivery that cannot be read at all (file names, encodings, columns, mapping)."""


@dataclass
class RawDelivery:
    """A delivery read and normalised, not yet validated.

    ``frames[kind]`` has canonical column names (model field names, in model order, only the
    fields delivered); row i came from ``source_of_row[kind][i]`` (``file:line``, line
    1 the first data line: a CSV's header is line 0, a JSONL file counts physical lines).
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    source_of_row: dict[str, RowOrigins] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# --- fields, from the model annotations --------------------------------------------------

# Named annotations of models.py and what they are; identity with the alias is the test.
_ALIASES: Final[tuple[tuple[object, ValueKind, str], ...]] = (
    (models.Ratio, "ratio", "Ratio"),
    (models.Yuan, "amount", "Yuan"),
    (models.RegionCode, "region", "RegionCode"),
    (models.IndustryCode, "industry", "IndustryCode"),
    (models.USCC, "code", "USCC"),
    (models.IdNumber, "code", "IdNumber"),
    (models.LegacyRegNo, "code", "LegacyRegNo"),
)


@dataclass(frozen=True)
class FieldSpec:
    """What a model field is, as far as reading and writing files is concerned."""

    name: str
    kind: ValueKind
    required: bool
    default: Any
    choices: frozenset[str] = frozenset()  # Literal codes (of the items, for lists)
    type_name: str = ""  # the annotation's name: "USCC", "date", "Literal", ...
    optional: bool = False  # None is a valid value


def _without_none(hint: Any) -> tuple[Any, bool]:
    if get_origin(hint) in (Union, types.UnionType):
        args = [arg for arg in get_args(hint) if arg is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


def _bounded_by_one(metadata: Sequence[Any]) -> bool:
    """Whether Annotated metadata caps the value at 1 (a float capped at 1 is a ratio)."""
    for item in metadata:
        inner = item.metadata if isinstance(item, FieldInfo) else [item]
        for constraint in inner:
            if isinstance(constraint, annotated_types.Le | annotated_types.Lt):
                bound = getattr(constraint, "le", getattr(constraint, "lt", None))
                if isinstance(bound, int | float) and bound <= 1:
                    return True
    return False


def _classify(hint: Any) -> tuple[ValueKind, frozenset[str], str]:
    for alias, kind, name in _ALIASES:
        if hint == alias:
            return kind, frozenset(), name
    if get_origin(hint) is Annotated:
        base, *metadata = get_args(hint)
        if base is float:
            return ("ratio" if _bounded_by_one(metadata) else "amount"), frozenset(), "float"
        hint = base
    if get_origin(hint) is Literal:
        return "choice", frozenset(str(arg) for arg in get_args(hint)), "Literal"
    if get_origin(hint) in (tuple, list):
        item = next((arg for arg in get_args(hint) if arg is not Ellipsis), str)
        choices = get_args(item) if get_origin(item) is Literal else ()
        return "list", frozenset(str(choice) for choice in choices), "list"
    simple: dict[Any, ValueKind] = {
        dt.date: "date", bool: "bool", int: "int", float: "amount", str: "text"}
    if hint in simple:
        return simple[hint], frozenset(), getattr(hint, "__name__", str(hint))
    raise TypeError(f"no file conversion for annotation {hint!r}")


def field_specs(model: type[Record]) -> tuple[FieldSpec, ...]:
    """The model's fields in declaration order, classified from their annotations."""
    hints = get_type_hints(model, include_extras=True)
    specs = []
    for name, info in model.model_fields.items():
        hint, optional = _without_none(hints[name])
        kind, choices, type_name = _classify(hint)
        required = info.is_required()
        default = None if required else info.get_default(call_default_factory=True)
        specs.append(FieldSpec(name, kind, required, default, choices, type_name, optional))
    return tuple(specs)


# --- the header mapping ------------------------------------------------------------------

_UNIT_NAMES: Final[Mapping[str, str]] = {
    "万元人民币": "万元", "人民币万元": "万元", "人民币元": "元", "百分比": "%",
    **{unit: unit for unit in (*AMOUNT_UNITS, "%")},
}
_UNIT_IN_BRACKETS: Final = re.compile(
    r"(.+?)\s*\(\s*(?:单位\s*:\s*)?(" + "|".join(sorted(_UNIT_NAMES, key=len, reverse=True))
    + r")\s*\)"
)
_UNIT_PERCENT: Final = re.compile(r"(.+?)\s*%")
_UNITS_OF_KIND: Final[Mapping[ValueKind, frozenset[str]]] = {
    "amount": frozenset(AMOUNT_UNITS), "ratio": frozenset({"%"}),
}


def header_key(header: str) -> str:
    """How headers are compared: NFKC, no blanks, case-folded (``label_key``)."""
    return label_key(header)


def split_unit(header: str) -> tuple[str, str | None]:
    """``"注册资本（万元）"`` -> ``("注册资本", "万元")``; without a unit -> ``(header, None)``."""
    text = label_key(header)  # NFKC (full-width brackets to ASCII), no blanks
    match = _UNIT_IN_BRACKETS.fullmatch(text) or _UNIT_PERCENT.fullmatch(text)
    if not match:
        return header, None
    return match[1], _UNIT_NAMES.get(match[2], "%") if match.lastindex == 2 else "%"


def _fields_of(table: str) -> tuple[FieldSpec, ...]:
    model = Event if table == EVENT_TABLE else RECORD_KINDS[table]
    return field_specs(model)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise DeliveryError(f"{where}: expected a string or a list of strings")
    return tuple(items)


@dataclass(frozen=True)
class HeaderMap:
    """``headers.toml`` (or the user's copy), checked: every kind, field and code exists, and
    no header or label means two different things."""

    path: Path
    headers: Mapping[str, Mapping[str, tuple[str, ...]]]  # table -> field -> headers
    labels: Mapping[str, Mapping[str, tuple[str, ...]]]  # field -> code -> labels
    fallbacks: Mapping[str, Mapping[str, str]]  # kind -> field -> field used when missing

    @classmethod
    def load(cls, path: Path | None = None) -> HeaderMap:
        source = Path(path) if path is not None else DEFAULT_HEADER_MAP
        try:
            document = tomllib.loads(source.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise DeliveryError(f"header mapping {source}: {error}") from error
        unknown = set(document) - {"headers", "values", "fallbacks"}
        if unknown:
            raise DeliveryError(f"header mapping {source}: unknown section(s) {sorted(unknown)}")
        headers: dict[str, dict[str, tuple[str, ...]]] = {}
        for table, entries in document.get("headers", {}).items():
            if table != EVENT_TABLE and table not in RECORD_KINDS:
                raise DeliveryError(f"header mapping {source}: unknown record kind {table!r}")
            names = {spec.name for spec in _fields_of(table)}
            for name in entries:
                if name not in names:
                    raise DeliveryError(
                        f"header mapping {source}: {table} has no field {name!r}")
            headers[table] = {
                name: _strings(value, f"{source}: headers.{table}.{name}")
                for name, value in entries.items()
            }
        labels: dict[str, dict[str, tuple[str, ...]]] = {}
        choices = _choices_by_field()
        for name, entries in document.get("values", {}).items():
            if name not in choices:
                raise DeliveryError(f"header mapping {source}: no coded field {name!r}")
            for code in entries:
                if code not in choices[name]:
                    raise DeliveryError(
                        f"header mapping {source}: {code!r} is not a code of {name!r}")
            labels[name] = {
                code: _strings(value, f"{source}: values.{name}.{code}")
                for code, value in entries.items()
            }
        fallbacks: dict[str, dict[str, str]] = {}
        for kind, entries in document.get("fallbacks", {}).items():
            if kind not in RECORD_KINDS:
                raise DeliveryError(f"header mapping {source}: unknown record kind {kind!r}")
            names = {spec.name for spec in field_specs(RECORD_KINDS[kind])}
            for target, origin in entries.items():
                if target not in names or origin not in names:
                    raise DeliveryError(
                        f"header mapping {source}: fallbacks.{kind}: {target!r} or {origin!r} "
                        f"is not a field of {kind}")
            fallbacks[kind] = dict(entries)
        mapping = cls(source, headers, labels, fallbacks)
        for kind in RECORD_KINDS:
            mapping.columns(kind)  # raises on a header that means two fields
        for name in labels:
            mapping.label_lookup(name)  # raises on a label that means two codes
        return mapping

    def headers_of(self, kind: str, name: str) -> tuple[str, ...]:
        """Chinese headers accepted for ``kind.name``: the kind's own first, then the
        event-wide ones (for event kinds)."""
        own = self.headers.get(kind, {}).get(name, ())
        shared = self.headers.get(EVENT_TABLE, {}).get(name, ()) if kind in EVENT_MODELS else ()
        return tuple(dict.fromkeys((*own, *shared)))

    def columns(self, kind: str) -> dict[str, str]:
        """``header_key(header)`` -> field for one kind, field names included."""
        lookup: dict[str, str] = {}
        for spec in field_specs(RECORD_KINDS[kind]):
            for header in (spec.name, *self.headers_of(kind, spec.name)):
                key = header_key(header)
                if lookup.setdefault(key, spec.name) != spec.name:
                    raise DeliveryError(
                        f"header mapping {self.path}: header {header!r} of {kind} means both "
                        f"{lookup[key]!r} and {spec.name!r}")
        return lookup

    def label_lookup(self, name: str) -> dict[str, str]:
        """``label_key(label)`` -> code for a coded field (empty when none declared)."""
        lookup: dict[str, str] = {}
        for code, labels in self.labels.get(name, {}).items():
            for label in labels:
                key = label_key(label)
                if lookup.setdefault(key, code) != code:
                    raise DeliveryError(
                        f"header mapping {self.path}: label {label!r} of {name!r} means both "
                        f"{lookup[key]!r} and {code!r}")
        return lookup

    def zh_header(self, kind: str, spec: FieldSpec) -> str:
        """The header written for ``headers="zh"``: the first Chinese one, amounts with
        their unit (元) so that nobody reads them as 万元."""
        headers = self.headers_of(kind, spec.name)
        header = headers[0] if headers else spec.name
        return f"{header}(元)" if spec.kind == "amount" else header


def _choices_by_field() -> dict[str, frozenset[str]]:
    choices: dict[str, frozenset[str]] = {}
    for model in RECORD_KINDS.values():
        for spec in field_specs(model):
            if spec.choices:
                choices[spec.name] = choices.get(spec.name, frozenset()) | spec.choices
    return choices


# --- file names --------------------------------------------------------------------------

_DIGITS = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key where digit runs compare as numbers (part-2 before part-10)."""
    return tuple((0, int(piece)) if piece.isdigit() else (1, piece)
                 for piece in _DIGITS.split(text) if piece)


def _kind_of(name: str) -> str | None:
    """The record kind a delivery file name declares, "bods" for BODS files, else None."""
    lower = name.lower()
    if lower.endswith(BODS_SUFFIXES):
        return "bods"
    stem, dot, ext = lower.rpartition(".")
    if not dot or ext not in EXTENSIONS:
        return None
    kind = stem.split("-", 1)[0]
    return kind if kind in RECORD_KINDS else None


def _accepted_names() -> str:
    return (
        f"<kind>.<ext> or <kind>-<part>.<ext> with ext one of {', '.join(EXTENSIONS)} and kind "
        f"one of {', '.join(RECORD_KINDS)}; or *.bods.json / *.bods.jsonl"
    )


def _plan(folder: Path, notes: list[str]) -> list[tuple[str, Path]]:
    """(kind, path) of every delivery file, parts of one kind in natural name order."""
    planned: list[tuple[str, Path]] = []
    unknown: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            notes.append(f"{path.name}: hidden file ignored (隐藏文件，已忽略)")
            continue
        kind = _kind_of(path.name) if path.is_file() else None
        if kind is None:
            unknown.append(path.name)
        else:
            planned.append((kind, path))
    if unknown:
        raise DeliveryError(
            f"{folder}: unknown file name(s) {', '.join(unknown)} (无法识别的文件名); "
            f"accepted: {_accepted_names()}")

    def order(item: tuple[str, Path]) -> tuple[Any, ...]:
        """Plain files first (``<kind>.<ext>`` before its parts), then BODS files."""
        kind, path = item
        stem = path.name.rsplit(".", 1)[0]
        if kind == "bods":
            return (1, _natural(stem), path.name)
        return (0, _natural(stem[len(kind):]), path.name)

    return sorted(planned, key=order)


# --- reading files -----------------------------------------------------------------------

def _decode(data: bytes, name: str, notes: list[str]) -> tuple[str, bytes]:
    """Text of a file and its UTF-8 bytes without BOM: strict UTF-8 first, then GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            text = data[len(codecs.BOM_UTF8):].decode("utf-8")
        except UnicodeDecodeError as error:
            raise DeliveryError(
                f"{name}: starts with a UTF-8 byte order mark but is not UTF-8 "
                f"(byte {error.start})") from error
        notes.append(f"{name}: encoding UTF-8 with BOM")
        return text, data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), data
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise DeliveryError(
            f"{name}: neither UTF-8 nor GB18030 (invalid byte at offset {error.start})"
        ) from error
    notes.append(f"{name}: encoding GB18030 (not UTF-8), decoded (编码 GB18030)")
    return text, text.encode("utf-8")


@dataclass(frozen=True)
class _Table:
    """A file as read: columns by position (headers may repeat), and each row's line."""

    frame: pd.DataFrame
    headers: list[str]
    lines: np.ndarray[Any, np.dtype[np.int64]]


def _parse_csv(utf8: bytes, width: int, *, multiline: bool, threads: bool,
               bad_rows: list[tuple[int | None, int, int]] | None = None) -> pa.Table:
    names = [f"c{i}" for i in range(width)]

    def on_bad_row(row: Any) -> str:
        if bad_rows is not None:
            bad_rows.append((row.number, row.expected_columns, row.actual_columns))
        return "error"

    return pacsv.read_csv(
        io.BytesIO(utf8),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=threads),
        parse_options=pacsv.ParseOptions(newlines_in_values=multiline,
                                         invalid_row_handler=on_bad_row),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False,
            quoted_strings_can_be_null=False),
    )


def _read_csv(path: Path, notes: list[str]) -> _Table:
    data = path.read_bytes()
    text, utf8 = _decode(data, path.name, notes)
    try:
        header = next(csv.reader(io.StringIO(text)))
    except StopIteration:
        raise DeliveryError(f"{path.name}: empty file, no header line") from None
    except csv.Error as error:
        raise DeliveryError(f"{path.name}: header line is not valid CSV ({error})") from None
    del text  # the bytes are what Arrow parses
    try:
        table = _parse_csv(utf8, len(header), multiline=False, threads=True)
    except pa.ArrowInvalid:
        # Quoted cells with line breaks need the slower parser; anything else is reported
        # with its line (never its content, which may hold identity numbers).
        try:
            table = _parse_csv(utf8, len(header), multiline=True, threads=True)
        except pa.ArrowInvalid:
            bad: list[tuple[int | None, int, int]] = []
            with contextlib.suppress(pa.ArrowInvalid):
                _parse_csv(utf8, len(header), multiline=True, threads=False, bad_rows=bad)
            where = (f"line {bad[0][0] - 1}" if bad and bad[0][0] is not None else "a line")
            detail = (f": {bad[0][1]} fields expected, {bad[0][2]} found" if bad else "")
            raise DeliveryError(
                f"{path.name}: malformed CSV at {where}{detail} (header is line 0)") from None
    rows = table.num_rows
    physical = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if physical != rows + 1:
        notes.append(
            f"{path.name}: blank lines or cells with line breaks; line numbers count data "
            f"records (header is record 0), not lines of text")
    frame = table.to_pandas()
    return _Table(frame, header, np.arange(1, rows + 1, dtype=np.int64))


def _read_jsonl(path: Path, notes: list[str]) -> _Table:
    text, _ = _decode(path.read_bytes(), path.name, notes)
    lines = pd.Series(text.split("\n"), dtype="str")
    keep = lines.str.strip().ne("").to_numpy(dtype=bool)
    physical = np.flatnonzero(keep).astype(np.int64) + 1
    kept = lines[keep].tolist()
    del text, lines
    try:
        # One parse of all lines, each on its own line so that an error's line is the file's.
        records = json.loads("[" + ",\n".join(kept) + "\n]")
    except json.JSONDecodeError as error:
        line = physical[min(error.lineno, len(physical)) - 1] if len(physical) else 1
        raise DeliveryError(f"{path.name}:{line}: not valid JSON ({error.msg})") from None
    if len(records) != len(kept) or not all(isinstance(record, dict) for record in records):
        for number, line_text in zip(physical, kept, strict=True):  # error path only
            try:
                if isinstance(json.loads(line_text), dict):
                    continue
            except json.JSONDecodeError:
                pass
            raise DeliveryError(f"{path.name}:{number}: each line must be one JSON object")
    frame = pd.DataFrame(records, dtype=object) if records else pd.DataFrame()
    headers = [str(column) for column in frame.columns]
    frame.columns = pd.RangeIndex(len(headers))
    return _Table(frame, headers, physical)


def _read_parquet(path: Path) -> _Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise DeliveryError(f"{path.name}: not a readable Parquet file ({error})") from error
    columns = [column.cast(column.type.value_type) if pa.types.is_dictionary(column.type)
               else column for column in table.columns]
    # The whole table at once: Table.to_pandas wraps Arrow strings without copying them,
    # ChunkedArray.to_pandas goes through a Python object per cell (0.7 s per 1 M names).
    frame = pa.table(columns, names=[str(n) for n in range(len(columns))]).to_pandas()
    frame.columns = pd.RangeIndex(len(columns))
    return _Table(frame, list(table.column_names),
                  np.arange(1, table.num_rows + 1, dtype=np.int64))


# --- columns to canonical ----------------------------------------------------------------

_LONG_DIGITS = re.compile(r"\d{6,}")


def _shown_header(header: str, position: int) -> str:
    """A header as notes may show it: a header with long digit runs may be a data row."""
    return f"(column {position + 1})" if _LONG_DIGITS.search(header) else header


def _missing_values(spec: FieldSpec, rows: int) -> pd.Series:
    """A column for ``rows`` rows that lack the field: its model default."""
    if spec.kind == "list":
        empty = pa.array([[]], type=pa.list_(pa.string()))
        return pd.Series(empty.take(pa.array(np.zeros(rows, dtype=np.int64))).to_pylist(),
                         dtype=object)
    if spec.kind in ("amount", "ratio"):
        return pd.Series(np.full(rows, np.nan if spec.default is None else spec.default))
    return pd.Series(np.full(rows, spec.default, dtype=object), dtype=object)


def _with_defaults(values: pd.Series, spec: FieldSpec, file: str, notes: list[str]) -> pd.Series:
    """Empty cells of a field whose model default is not None take that default.

    An empty cell is "not given", exactly as a missing column is (Penalty.amount: 0.0).
    """
    if spec.required or spec.default is None or spec.kind == "list":
        return values
    empty = values.isna()
    if not empty.any():
        return values
    notes.append(f"{file}: {spec.name}: {int(empty.sum())} empty cell(s) take the default "
                 f"{spec.default!r}")
    return values.where(~empty, spec.default)


def _canonical(table: _Table, kind: str, file: str, mapping: HeaderMap,
               notes: list[str]) -> pd.DataFrame:
    """Map the columns of one file to fields and normalise them; unknown columns dropped."""
    specs = {spec.name: spec for spec in field_specs(RECORD_KINDS[kind])}
    rows = len(table.frame)
    if not table.headers and rows == 0:  # an empty JSON Lines file: no rows, nothing to map
        notes.append(f"{file}: no records")
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in specs})
    lookup = mapping.columns(kind)
    chosen: dict[str, tuple[int, str, str | None]] = {}
    dropped: list[str] = []
    for position, header in enumerate(table.headers):
        key = header_key(header)
        if key in lookup:
            name, unit = lookup[key], None
        else:
            base, unit = split_unit(header)
            if unit is None or header_key(base) not in lookup:
                dropped.append(_shown_header(header, position))
                continue
            name = lookup[header_key(base)]
        if name in chosen:
            raise DeliveryError(
                f"{file}: columns {chosen[name][1]!r} and {header!r} both map to field "
                f"{name!r} of {kind}")
        if unit is not None and unit not in _UNITS_OF_KIND.get(specs[name].kind, frozenset()):
            raise DeliveryError(
                f"{file}: column {header!r}: unit ({unit}) does not apply to {kind}.{name}")
        chosen[name] = (position, header, unit)
    if not chosen and table.headers:
        raise DeliveryError(
            f"{file}: no column is a field of {kind} or one of its headers; the first line "
            f"must be a header line (see docs/data-format.md)")
    if dropped:
        notes.append(f"{file}: column(s) {', '.join(dropped)} not in the {kind} record, dropped "
                     f"(未识别的列，已忽略)")
    mapped = [f"{header} -> {name}" for name, (_, header, _) in chosen.items()
              if header_key(header) != header_key(name)]
    if mapped:
        notes.append(f"{file}: headers mapped: {', '.join(mapped)}")
    for target, origin in mapping.fallbacks.get(kind, {}).items():
        if target not in chosen and origin in chosen:
            chosen[target] = chosen[origin]
            notes.append(f"{file}: no {target} column, {target} taken from {origin} "
                         f"({chosen[origin][1]})")
    missing = [name for name, spec in specs.items() if spec.required and name not in chosen]
    if missing:
        wanted = ", ".join(
            f"{name!r}" + (f" ({' / '.join(mapping.headers_of(kind, name)[:2])})"
                           if mapping.headers_of(kind, name) else "")
            for name in missing)
        raise DeliveryError(f"{file}: missing required column(s) of {kind}: {wanted}")
    columns: dict[str, pd.Series] = {}
    for name, spec in specs.items():
        if name not in chosen:
            continue
        position, header, unit = chosen[name]
        raw = table.frame.iloc[:, position].reset_index(drop=True)
        column = normalise_column(raw, spec.kind, name=name, unit=unit,
                                  labels=mapping.label_lookup(name), choices=spec.choices)
        notes.extend(f"{file}: {note}" for note in column.notes)
        if column.failed:
            notes.append(f"{file}: {name}: {column.failed} cell(s) could not be read as "
                         f"{spec.kind}, left as given for validation (无法转换，保留原值)")
        columns[name] = _with_defaults(column.values, spec, file, notes)
    return pd.DataFrame(columns, index=pd.RangeIndex(rows))


def _combine(kind: str, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Parts of one kind in order; a field some parts lack gets its default there."""
    specs = field_specs(RECORD_KINDS[kind])
    present = [spec for spec in specs if any(spec.name in part for part in parts)]
    if len(parts) == 1:
        return parts[0]
    filled = []
    for part in parts:
        extra = {spec.name: _missing_values(spec, len(part)) for spec in present
                 if spec.name not in part}
        if extra:
            part = part.assign(**{name: values.set_axis(part.index)
                                  for name, values in extra.items()})
        filled.append(part[[spec.name for spec in present]])
    return pd.concat(filled, ignore_index=True)


def read_delivery(folder: Path, header_map: Path | None = None) -> RawDelivery:
    """Read every file of a delivery folder into canonical frames (see the module doc).

    Raises :class:`DeliveryError` for what makes a file unreadable: an unknown file name, an
    encoding that is neither UTF-8 nor GB18030, malformed CSV/JSON, a missing required column
    or two columns for one field. Cell problems are not errors: see ``RawDelivery.notes``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DeliveryError(f"{folder} is not a folder")
    mapping = HeaderMap.load(header_map)
    delivery = RawDelivery()
    notes = delivery.notes
    parts: dict[str, list[pd.DataFrame]] = {}
    origins: dict[str, list[RowOrigins]] = {}
    for kind, path in _plan(folder, notes):
        if kind == "bods":
            read = _read_bods(path, mapping, notes)
        else:
            ext = path.name.rsplit(".", 1)[1].lower()
            table = (_read_csv(path, notes) if ext == "csv"
                     else _read_jsonl(path, notes) if ext == "jsonl" else _read_parquet(path))
            read = {kind: (_canonical(table, kind, path.name, mapping, notes), table.lines)}
        for read_kind, (frame, lines) in read.items():
            parts.setdefault(read_kind, []).append(frame)
            origins.setdefault(read_kind, []).append(RowOrigins.of_file(path.name, lines))
            delivery.sources.setdefault(read_kind, []).append(path.name)
    for kind in RECORD_KINDS:  # load order
        if kind in parts:
            delivery.frames[kind] = _combine(kind, parts[kind])
            delivery.source_of_row[kind] = RowOrigins.concat(origins[kind])
    return delivery


def _read_bods(path: Path, mapping: HeaderMap, notes: list[str]) -> dict[
    str, tuple[pd.DataFrame, np.ndarray[Any, np.dtype[np.int64]]]
]:
    """A BODS file through ``ingestion.bods`` (its frames are canonical already; they get the
    same normalisation, which leaves canonical values as they are). Rows are numbered in the
    order ``read_bods`` returns them: a statement may make several rows."""
    from ingestion.bods import read_bods  # BODS support is optional for plain deliveries

    try:
        frames = read_bods(path)
    except DeliveryError:
        raise
    except ValueError as error:  # BodsError: one kind of error for callers of read_delivery
        raise DeliveryError(f"{path.name}: {error}") from error
    read: dict[str, tuple[pd.DataFrame, np.ndarray[Any, np.dtype[np.int64]]]] = {}
    for kind, frame in frames.items():
        if kind not in RECORD_KINDS:
            raise DeliveryError(f"{path.name}: BODS reader returned unknown kind {kind!r}")
        frame = frame.reset_index(drop=True)
        table = _Table(frame.set_axis(pd.RangeIndex(frame.shape[1]), axis=1),
                       [str(column) for column in frame.columns],
                       np.arange(1, len(frame) + 1, dtype=np.int64))
        read[kind] = (_canonical(table, kind, path.name, mapping, notes), table.lines)
    notes.append(f"{path.name}: BODS statements read; line numbers count the rows made")
    return read


# --- writing -----------------------------------------------------------------------------

_ARROW_TYPES: Final[Mapping[ValueKind, pa.DataType]] = {
    "date": pa.date32(), "amount": pa.float64(), "ratio": pa.float64(), "int": pa.int64(),
    "bool": pa.bool_(), "list": pa.list_(pa.string()),
}


def _arrow_column(values: pd.Series, spec: FieldSpec) -> pa.Array:
    """The column in its natural Arrow type; as text when some cell does not fit (frames
    with deliberately bad cells are written as given, for tests of the quarantine)."""
    target = _ARROW_TYPES.get(spec.kind, pa.string())
    try:
        return pa.array(values, type=target, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return pa.array(as_text(values), type=pa.string(), from_pandas=True)


def _arrow_table(kind: str, frame: pd.DataFrame) -> tuple[pa.Table, list[FieldSpec]]:
    specs = field_specs(RECORD_KINDS[kind])
    names = {spec.name for spec in specs}
    unknown = [str(column) for column in frame.columns if column not in names]
    if unknown:
        raise ValueError(f"{kind}: column(s) {unknown} are not fields of {kind}")
    used = [spec for spec in specs if spec.name in frame.columns]
    arrays = [_arrow_column(frame[spec.name].reset_index(drop=True), spec) for spec in used]
    return pa.Table.from_arrays(arrays, names=[spec.name for spec in used]), used


def _json_escape(strings: pa.Array) -> pa.Array:
    """JSON string escaping, vectorised (the writer never loops per row)."""
    out = pc.replace_substring(strings, "\\", "\\\\")
    for char, escaped in (('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        out = pc.replace_substring(out, char, escaped)
    if pc.any(pc.match_substring_regex(out, "[\\x00-\\x1f]")).as_py():
        for code in range(0x20):
            out = pc.replace_substring(out, chr(code), f"\\u{code:04x}")
    return out


def _quoted(strings: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise('"', _json_escape(strings), '"', "")


def _json_values(column: pa.Array) -> pa.Array:
    """Each cell as a JSON value (text), ``null`` for missing."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        values = _quoted(column)
    elif pa.types.is_date(kind):
        values = _quoted(pc.cast(column, pa.string()))
    elif pa.types.is_floating(kind):
        text = pc.cast(column, pa.string())
        finite = pc.is_finite(column)
        values = pc.if_else(finite, text, _quoted(text))  # inf is not a JSON number
    elif pa.types.is_list(kind):
        items = _quoted(pc.cast(pc.list_flatten(column), pa.string()))
        joined = pc.binary_join(pa.ListArray.from_arrays(column.offsets, items), ",")
        values = pc.binary_join_element_wise("[", joined, "]", "")
    elif pa.types.is_null(kind):
        values = pa.array(["null"] * len(column), type=pa.string())
    else:  # int, bool: Arrow's text is JSON's
        values = pc.cast(column, pa.string())
    return pc.fill_null(values, "null")


def _write_jsonl(table: pa.Table, names: list[str], path: Path, encoding: str) -> None:
    keys = [json.dumps(name, ensure_ascii=False) + ":" for name in names]
    columns = [table.column(i).combine_chunks() for i in range(table.num_columns)]
    pairs = [pc.binary_join_element_wise(key, _json_values(column), "")
             for key, column in zip(keys, columns, strict=True)]
    if pairs:
        lines = pc.binary_join_element_wise("{", pc.binary_join_element_wise(*pairs, ","),
                                            "}", "")
    else:
        lines = pa.array(["{}"] * table.num_rows, type=pa.string())
    with path.open("w", encoding=encoding, newline="\n") as out:
        for start in range(0, len(lines), 100_000):  # bounded memory per chunk
            chunk = lines.slice(start, 100_000).to_pylist()
            out.write("\n".join(chunk) + "\n")


def _write_csv(table: pa.Table, names: list[str], path: Path, encoding: str) -> None:
    columns = []
    for i in range(table.num_columns):
        column = table.column(i)
        if pa.types.is_list(column.type):  # lists as "a;b" (read back by the ; separator)
            column = pc.binary_join(column, ";")
        columns.append(column)
    buffer = io.BytesIO()
    pacsv.write_csv(pa.Table.from_arrays(columns, names=names), buffer,
                    pacsv.WriteOptions(quoting_style="needed"))
    data = buffer.getvalue()
    if encoding == "gb18030":
        path.write_bytes(data.decode("utf-8").encode("gb18030"))
    else:  # the BOM makes Excel open the file as UTF-8 rather than the local code page
        path.write_bytes(codecs.BOM_UTF8 + data)


def write_delivery(
    frames: Mapping[str, pd.DataFrame],
    folder: Path,
    format: Literal["parquet", "csv", "jsonl"] = "parquet",
    *,
    encoding: Literal["utf-8", "gb18030"] = "utf-8",
    headers: Literal["en", "zh"] = "en",
) -> list[Path]:
    """Write canonical frames as a delivery folder, one ``<kind>.<format>`` per kind given.

    ``encoding`` applies to CSV (written with a BOM in UTF-8, for Excel) and JSON Lines;
    Parquet strings are always UTF-8. ``headers="zh"`` writes the first Chinese header of
    ``headers.toml`` (amounts as ``…(元)``). Columns must be fields of the kind's model.
    """
    if format not in EXTENSIONS:
        raise ValueError(f"format must be one of {EXTENSIONS}, got {format!r}")
    unknown = sorted(set(frames) - set(RECORD_KINDS))
    if unknown:
        raise ValueError(f"unknown record kind(s) {unknown}; known: {list(RECORD_KINDS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    mapping = HeaderMap.load() if headers == "zh" else None
    written: list[Path] = []
    for kind in RECORD_KINDS:
        if kind not in frames:
            continue
        table, specs = _arrow_table(kind, frames[kind])
        names = [mapping.zh_header(kind, spec) if mapping else spec.name for spec in specs]
        path = folder / f"{kind}.{format}"
        if format == "parquet":
            pq.write_table(table.rename_columns(names), path)
        elif format == "csv":
            _write_csv(table, names, path, encoding)
        else:
            _write_jsonl(table, names, path, encoding)
        written.append(path)
    return written
