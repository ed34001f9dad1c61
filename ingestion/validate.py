"""Row validation into canonical records, with a quarantine for what fails.

A bad row never stops a load and is never dropped silently: it becomes a
:class:`QuarantineEntry` naming the source, the line, the record's key and the field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ingestion.identifiers import mask_id_number
from ingestion.models import (
    EVENT_MODELS,
    RECORD_KINDS,
    Branch,
    Contact,
    Enterprise,
    Event,
    LegalRepresentative,
    Officer,
    PersonInput,
    Record,
    Shareholding,
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


@dataclass
class Delivery:
    """Validated records of one delivery, ready for the graph, and what was quarantined."""

    enterprises: list[Enterprise] = field(default_factory=list)
    people: list[PersonInput] = field(default_factory=list)
    shareholdings: list[Shareholding] = field(default_factory=list)
    legal_reps: list[LegalRepresentative] = field(default_factory=list)
    officers: list[Officer] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    events: dict[str, list[Event]] = field(default_factory=dict)
    quarantine: list[QuarantineEntry] = field(default_factory=list)

    def record_count(self) -> int:
        return (
            len(self.enterprises) + len(self.people) + len(self.shareholdings)
            + len(self.legal_reps) + len(self.officers) + len(self.branches)
            + len(self.contacts) + sum(len(rows) for rows in self.events.values())
        )


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


def _first_unknown(*checks: tuple[str, str, set[str]]) -> tuple[str, str] | None:
    for field_name, value, known in checks:
        if value not in known:
            return field_name, value
    return None


SHARE_TOLERANCE = 0.01  # rounding in registry extracts; a total above 101% is an error


def validate_frames(
    frames: Mapping[str, pd.DataFrame],
    *,
    known_enterprises: Collection[str] = frozenset(),
    known_person: Callable[[str], bool] | None = None,
    origins: Mapping[str, Sequence[str]] | None = None,
) -> Delivery:
    """Validate one delivery given as frames keyed by record kind (see ``RECORD_KINDS``).

    Enterprises and people come first. A relationship, contact or event must point at an
    enterprise or person of this delivery or a known one (``known_enterprises``: USCCs
    already in the graph; ``known_person(id_number)``: the person is already in the graph);
    otherwise it is quarantined with its own line. So are all current shareholdings of an
    enterprise whose delivered current shares total more than 100% (+1% tolerance).
    """
    unknown = sorted(set(frames) - set(RECORD_KINDS))
    if unknown:
        raise ValueError(f"unknown record kind(s) {unknown}; known: {sorted(RECORD_KINDS)}")
    delivery = Delivery()
    q = delivery.quarantine

    def rows_of(kind: str, model: type[R], keys: tuple[str, ...],
                references: ReferenceCheck[R] | None = None) -> list[R]:
        frame = frames.get(kind)
        if frame is None:
            return []
        where = (list(origins[kind]) if origins
                 else [f"{kind}:{number}" for number in range(1, len(frame) + 1)])
        if kind == "shareholdings" and len(frame):
            over = _over_share_totals(frame).to_numpy()
            for position in over.nonzero()[0].tolist():
                source, line = _origin(where, position + 1, kind)
                uscc = frame["enterprise_uscc"].iat[position]
                q.append(QuarantineEntry(source, line, str(uscc), "ratio",
                                         f"current shares of {uscc} total more than 100%"))
            where = [origin for origin, bad in zip(where, over, strict=True) if not bad]
            frame = frame.loc[~over]
        return _validated_records(kind, model, frame, keys, q, references, where)

    delivery.enterprises = rows_of("enterprises", Enterprise, ("uscc",))
    delivery.people = rows_of("people", PersonInput, ("name",))
    usccs = set(known_enterprises) | {enterprise.uscc for enterprise in delivery.enterprises}
    persons = {person.id_number for person in delivery.people}

    def person_ok(id_number: str) -> bool:
        return id_number in persons or (known_person is not None and known_person(id_number))

    def holding_refs(row: Shareholding) -> tuple[str, str] | None:
        if row.holder_kind == "person" and not person_ok(row.holder_id):
            return "holder_id", row.holder_id
        return _first_unknown(
            *([("holder_id", row.holder_id, usccs)] if row.holder_kind == "enterprise" else []),
            ("enterprise_uscc", row.enterprise_uscc, usccs))

    def person_refs(row: LegalRepresentative | Officer) -> tuple[str, str] | None:
        if not person_ok(row.id_number):
            return "id_number", row.id_number
        return _first_unknown(("enterprise_uscc", row.enterprise_uscc, usccs))

    def branch_refs(row: Branch) -> tuple[str, str] | None:
        return _first_unknown(("branch_uscc", row.branch_uscc, usccs),
                              ("parent_uscc", row.parent_uscc, usccs))

    def uscc_refs(row: Event | Contact) -> tuple[str, str] | None:
        return _first_unknown(("uscc", row.uscc, usccs))

    delivery.shareholdings = rows_of(
        "shareholdings", Shareholding, ("holder_id", "enterprise_uscc"), holding_refs)
    delivery.legal_reps = rows_of(
        "legal_reps", LegalRepresentative, ("enterprise_uscc",), person_refs)
    delivery.officers = rows_of("officers", Officer, ("enterprise_uscc",), person_refs)
    delivery.branches = rows_of("branches", Branch, ("branch_uscc",), branch_refs)
    delivery.contacts = rows_of("contacts", Contact, ("uscc", "kind"), uscc_refs)
    for kind, model in EVENT_MODELS.items():
        if kind in frames:
            delivery.events[kind] = rows_of(kind, model, ("event_id",), uscc_refs)
    return delivery


def _validated_records(
    kind: str,
    model: type[R],
    frame: pd.DataFrame,
    key_fields: tuple[str, ...],
    quarantine: list[QuarantineEntry],
    references: ReferenceCheck[R] | None,
    origins: list[str],
) -> list[R]:
    """Column-wise validation (same verdicts as ``model``), then the reference check.

    The rows that pass are built with ``model_construct``: they were checked already.
    """
    # Imported here: ingestion.columnar builds on this module's helpers.
    from ingestion.columnar import validate_frame

    result = validate_frame(kind, frame, origins=origins, key_fields=key_fields)
    quarantine.extend(result.quarantine)
    positions = frame.index.get_indexer(result.valid.index)
    records: list[R] = []
    for position, values in zip(positions, result.valid.to_dict("records"), strict=True):
        row = {str(name): value for name, value in values.items()}
        record = model.model_construct(**row)
        unknown = references(record) if references else None
        if unknown:
            where, line = _origin(origins, int(position) + 1, kind)
            key = "/".join(_shown(row, name) for name in key_fields)
            value = _shown(row, unknown[0])
            quarantine.append(QuarantineEntry(
                where, line, key, unknown[0], f"unknown reference {value!r}"))
            continue
        records.append(record)
    return records


def _over_share_totals(frame: pd.DataFrame) -> pd.Series:
    """Current shareholdings (no ``until``) of enterprises whose current shares exceed 100%."""
    ratio = pd.to_numeric(frame["ratio"], errors="coerce")
    current = frame["until"].isna() if "until" in frame else pd.Series(True, index=frame.index)
    totals = ratio.where(current, 0.0).groupby(frame["enterprise_uscc"]).transform("sum")
    return current & (totals > 1.0 + SHARE_TOLERANCE)
