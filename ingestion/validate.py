"""Row validation into canonical records, with a quarantine for what fails.

A bad row never stops a load and is never dropped silently: it becomes a
:class:`QuarantineEntry` naming the source, the line, the record's key and the field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError

from ingestion.identifiers import mask_id_number
from ingestion.models import (
    EVENT_MODELS,
    RECORD_KINDS,
    Record,
)

R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class QuarantineEntry:
    """One rejected row: where it came from, which record, which field, why."""

    source: str
    line: int
    record_key: str
    field: str
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.source}:{self.line} [{self.record_key}] "
            f"field '{self.field}': {self.reason}"
        )


class RowOrigins(Sequence[str]):
    """Where each row of a frame came from: ``origins[i]`` is row i's ``file:line``.

    The strings are made only when asked: a quarantine names a few rows, a province has
    millions. ``take`` and ``concat`` keep it aligned with the frame's rows.
    """

    def __init__(self, files: Sequence[str], file_of_row: npt.NDArray[np.int32],
                 line_of_row: npt.NDArray[np.int64]) -> None:
        self.files = tuple(files)
        self.file_of_row = file_of_row
        self.line_of_row = line_of_row

    @classmethod
    def of_file(cls, file: str, lines: npt.NDArray[np.int64]) -> RowOrigins:
        return cls([file], np.zeros(len(lines), dtype=np.int32), np.asarray(lines, np.int64))

    @classmethod
    def concat(cls, parts: Sequence[RowOrigins]) -> RowOrigins:
        files: list[str] = []
        numbers = []
        for part in parts:
            numbers.append(part.file_of_row + len(files))
            files.extend(part.files)
        return cls(files, np.concatenate(numbers) if numbers else np.zeros(0, np.int32),
                   np.concatenate([part.line_of_row for part in parts]) if parts
                   else np.zeros(0, np.int64))

    def take(self, positions: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> RowOrigins:
        return RowOrigins(self.files, self.file_of_row[positions], self.line_of_row[positions])

    def __len__(self) -> int:
        return len(self.line_of_row)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return f"{self.files[self.file_of_row[index]]}:{self.line_of_row[index]}"


@dataclass
class Delivery:
    """Validated records of one delivery, ready for the graph, and what was quarantined.

    One frame per record kind, in load order, holding what the records' ``model_dump()``
    holds (``object`` columns of plain Python values, None for missing; see
    :mod:`ingestion.columnar`): a province never becomes one Python object per record.
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    quarantine: list[QuarantineEntry] = field(default_factory=list)

    @classmethod
    def of_records(cls, records: Mapping[str, Sequence[Record]]) -> Delivery:
        """A delivery of records that are valid already (built in code, e.g. by tests)."""
        frames = {}
        for kind in RECORD_KINDS:
            if kind in records:
                fields = list(RECORD_KINDS[kind].model_fields)
                frames[kind] = pd.DataFrame(
                    [[getattr(record, name) for name in fields] for record in records[kind]],
                    columns=fields, dtype=object)
        return cls(frames)

    def records(self, kind: str) -> list[Record]:
        """The records of ``kind`` as model objects (built without validating again)."""
        frame = self.frames.get(kind)
        if frame is None:
            return []
        model = RECORD_KINDS[kind]
        return [model.model_construct(**{str(name): value for name, value in row.items()})
                for row in frame.to_dict("records")]

    def record_count(self) -> int:
        return sum(map(len, self.frames.values()))


def _plain(value: Any) -> Any:
    """pandas/numpy scalars to plain Python; missing values to None."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.ndarray | list):
        return tuple(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def frame_rows(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """Rows of a frame as plain dicts (missing values as None)."""
    columns = list(frame.columns)
    for values in frame.itertuples(index=False, name=None):
        yield {column: _plain(value) for column, value in zip(columns, values, strict=True)}


ReferenceCheck = Callable[[R], tuple[str, str] | None]


def _shown(row: Mapping[str, Any], name: str) -> str:
    """A field's value as it may appear in a report: identity numbers masked."""
    value = str(row.get(name, "?"))
    # str(): holder_kind may be pandas' NA, whose truth value is ambiguous.
    holder_kind = str(row.get("holder_kind"))
    person = name == "id_number" or (name == "holder_id" and holder_kind == "person")
    if not person:
        return value
    try:
        return mask_id_number(value)
    except ValueError:
        return "(identity number, malformed)"


def validate_rows(
    model: type[R],
    rows: Iterable[Mapping[str, Any]],
    source: str,
    key_fields: tuple[str, ...],
    quarantine: list[QuarantineEntry],
    references: ReferenceCheck[R] | None = None,
    origins: Sequence[str] | None = None,
) -> list[R]:
    """Validate rows into ``model`` records; failures are appended to ``quarantine``.

    ``references(record)`` names a field whose value points at nothing known, if any.
    ``origins[i]`` is row i's ``file:line``; without them the source is ``source`` and
    lines count data rows from 1 (a CSV's header is line 0).
    """
    records: list[R] = []
    for number, row in enumerate(rows, start=1):
        where, line = _origin(origins, number, source)
        key = "/".join(_shown(row, name) for name in key_fields)
        try:
            record = model.model_validate(row)
        except ValidationError as error:
            for problem in error.errors():
                location = ".".join(str(part) for part in problem["loc"]) or "(record)"
                quarantine.append(QuarantineEntry(where, line, key, location, problem["msg"]))
            continue
        unknown = references(record) if references else None
        if unknown:
            field_name = unknown[0]
            value = _shown(row, field_name)
            quarantine.append(
                QuarantineEntry(where, line, key, field_name, f"unknown reference {value!r}")
            )
            continue
        records.append(record)
    return records


def _origin(origins: Sequence[str] | None, number: int, source: str) -> tuple[str, int]:
    if origins is None:
        return source, number
    where, _, line = origins[number - 1].rpartition(":")
    return where, int(line)


SHARE_TOLERANCE = 0.01  # rounding in registry extracts; a total above 101% is an error

# The fields of each kind that must name a known enterprise ("uscc") or person ("person").
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "shareholdings": (("holder_id", "holder"), ("enterprise_uscc", "uscc")),
    "legal_reps": (("id_number", "person"), ("enterprise_uscc", "uscc")),
    "officers": (("id_number", "person"), ("enterprise_uscc", "uscc")),
    "branches": (("branch_uscc", "uscc"), ("parent_uscc", "uscc")),
    "contacts": (("uscc", "uscc"),),
    **{kind: (("uscc", "uscc"),) for kind in EVENT_MODELS},
}


def validate_frames(
    frames: Mapping[str, pd.DataFrame],
    *,
    known_enterprises: Collection[str] = frozenset(),
    known_people: Callable[[list[str]], Sequence[bool]] | None = None,
    origins: Mapping[str, Sequence[str]] | None = None,
) -> Delivery:
    """Validate one delivery given as frames keyed by record kind (see ``RECORD_KINDS``).

    Enterprises and people come first. A relationship, contact or event must point at an
    enterprise or person of this delivery or a known one (``known_enterprises``: USCCs
    already in the graph, best a ``pd.Index``, whose hash table is built once;
    ``known_people(id_numbers)``: which of these people are in the graph already, asked
    once per chunk with the distinct numbers the delivery does not hold); otherwise it is
    quarantined with its own line. So are all current shareholdings of an enterprise whose
    delivered current shares total more than 100% (+1% tolerance).
    """
    unknown = sorted(set(frames) - set(RECORD_KINDS))
    if unknown:
        raise ValueError(f"unknown record kind(s) {unknown}; known: {sorted(RECORD_KINDS)}")
    delivery = Delivery()
    known: dict[str, _Known] = {}
    for kind in RECORD_KINDS:
        frame = frames.get(kind)
        if frame is None:
            continue
        where: Sequence[str] = (origins[kind] if origins else
                                [f"{kind}:{number}" for number in range(1, len(frame) + 1)])
        if kind == "shareholdings" and len(frame):
            over = _over_share_totals(frame).to_numpy()
            for position in over.nonzero()[0].tolist():
                source, line = _origin(where, position + 1, kind)
                uscc = frame["enterprise_uscc"].iat[position]
                delivery.quarantine.append(QuarantineEntry(
                    source, line, str(uscc), "ratio",
                    f"current shares of {uscc} total more than 100%"))
            where = (where.take(~over) if isinstance(where, RowOrigins)
                     else [origin for origin, bad in zip(where, over, strict=True) if not bad])
            frame = frame.loc[~over]
        if kind in REFERENCES and not known:
            known = {
                "uscc": _Known(known_enterprises, delivery.frames.get("enterprises"), "uscc"),
                "person": _Known(known_people, delivery.frames.get("people"), "id_number"),
            }
        delivery.frames[kind] = _validated(kind, frame, where, delivery.quarantine, known)
    return delivery


class _Known:
    """Keys a reference may name: those given (already in the graph) and this delivery's."""

    def __init__(self, given: Collection[str] | Callable[[list[str]], Sequence[bool]] | None,
                 delivered: pd.DataFrame | None, column: str) -> None:
        self.ask: Callable[[list[str]], Sequence[bool]] | None = None
        self.given: pd.Index = pd.Index([], dtype=object)
        if callable(given):
            self.ask = given
        elif given is not None:
            self.given = _unique(given)
        self.delivered = _unique([] if delivered is None else delivered[column])

    def contains(self, values: pd.Series) -> npt.NDArray[np.bool_]:
        keys = pd.Index(values, dtype=object)
        found: npt.NDArray[np.bool_] = np.asarray(self.delivered.get_indexer(keys) >= 0)
        found |= np.asarray(self.given.get_indexer(keys) >= 0)
        if self.ask is None or found.all():
            return found
        rest = pd.Index(pd.unique(keys[~found].to_numpy()), dtype=object)
        answers = np.asarray(self.ask(rest.tolist()), dtype=bool)
        where = np.asarray(rest.get_indexer(keys))
        result: npt.NDArray[np.bool_] = found | ((where >= 0) & answers[where])
        return result


def _unique(keys: Collection[str]) -> pd.Index:
    """Keys as an object Index without repeats (``get_indexer`` needs unique values)."""
    index = keys if isinstance(keys, pd.Index) else pd.Index(list(keys), dtype=object)
    return index if index.is_unique else index.drop_duplicates()


def _validated(kind: str, frame: pd.DataFrame, origins: Sequence[str],
               quarantine: list[QuarantineEntry], known: Mapping[str, _Known]) -> pd.DataFrame:
    """Column-wise validation (same verdicts as the kind's model), then the references.

    The valid frame holds what the records' ``model_dump()`` would (see
    :mod:`ingestion.columnar`); its index is the input's.
    """
    # Imported here: ingestion.columnar builds on this module's helpers.
    from ingestion.columnar import DEFAULT_KEY_FIELDS, validate_frame

    key_fields = DEFAULT_KEY_FIELDS[kind]
    result = validate_frame(kind, frame, origins=origins, key_fields=key_fields)
    quarantine.extend(result.quarantine)
    valid = result.valid
    if kind not in REFERENCES or valid.empty:
        return valid
    bad_field = pd.Series(None, index=valid.index, dtype=object)
    for field_name, target in REFERENCES[kind]:
        values = valid[field_name]
        if target == "holder":  # a person or an enterprise, by holder_kind
            person = (valid["holder_kind"] == "person").to_numpy()
            ok = np.empty(len(values), dtype=bool)
            ok[person] = known["person"].contains(values[person])
            ok[~person] = known["uscc"].contains(values[~person])
        else:
            ok = known[target].contains(values)
        bad_field = bad_field.where(bad_field.notna() | ok, field_name)
    bad = bad_field.notna().to_numpy()
    if not bad.any():
        return valid
    positions = frame.index.get_indexer(valid.index[bad])
    fields = bad_field.to_numpy()[bad]
    for position, field_name, row in zip(
            positions, fields, valid.loc[bad].to_dict("records"), strict=True):
        shown = {str(name): value for name, value in row.items()}
        where, line = _origin(origins, int(position) + 1, kind)
        key = "/".join(_shown(shown, key_field) for key_field in key_fields)
        value = _shown(shown, field_name)
        quarantine.append(QuarantineEntry(
            where, line, key, field_name, f"unknown reference {value!r}"))
    return valid.loc[~bad]


def _over_share_totals(frame: pd.DataFrame) -> pd.Series:
    """Current shareholdings (no ``until``) of enterprises whose current shares exceed 100%."""
    ratio = pd.to_numeric(frame["ratio"], errors="coerce")
    current = frame["until"].isna() if "until" in frame else pd.Series(True, index=frame.index)
    totals = ratio.where(current, 0.0).groupby(frame["enterprise_uscc"]).transform("sum")
    return current & (totals > 1.0 + SHARE_TOLERANCE)
