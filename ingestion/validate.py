"""Row validation into canonical records, with a quarantine for what fails.

A bad row never stops a load and is never dropped silently: it becomes a
:class:`QuarantineEntry` naming the source, the line, the record's key and the field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import ValidationError

from ingestion.identifiers import mask_id_number
from ingestion.models import (
    EVENT_MODELS,
    Branch,
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
    events: dict[str, list[Event]] = field(default_factory=dict)
    quarantine: list[QuarantineEntry] = field(default_factory=list)

    def record_count(self) -> int:
        return (
            len(self.enterprises) + len(self.people) + len(self.shareholdings)
            + len(self.legal_reps) + len(self.officers) + len(self.branches)
            + sum(len(rows) for rows in self.events.values())
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
    person = name == "id_number" or (name == "holder_id" and row.get("holder_kind") == "person")
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
) -> list[R]:
    """Validate rows into ``model`` records; failures are appended to ``quarantine``.

    ``references(record)`` names a field whose value points at nothing delivered, if any.
    Line numbers count data rows from 1 (a CSV's header is line 0).
    """
    records: list[R] = []
    for line, row in enumerate(rows, start=1):
        key = "/".join(_shown(row, name) for name in key_fields)
        try:
            record = model.model_validate(row)
        except ValidationError as error:
            for problem in error.errors():
                location = ".".join(str(part) for part in problem["loc"]) or "(record)"
                quarantine.append(QuarantineEntry(source, line, key, location, problem["msg"]))
            continue
        unknown = references(record) if references else None
        if unknown:
            field_name = unknown[0]
            value = _shown(row, field_name)
            quarantine.append(
                QuarantineEntry(source, line, key, field_name, f"unknown reference {value!r}")
            )
            continue
        records.append(record)
    return records


def _first_unknown(*checks: tuple[str, str, set[str]]) -> tuple[str, str] | None:
    for field_name, value, known in checks:
        if value not in known:
            return field_name, value
    return None


def validate_frames(
    enterprises: pd.DataFrame,
    people: pd.DataFrame,
    shareholdings: pd.DataFrame,
    legal_reps: pd.DataFrame,
    officers: pd.DataFrame,
    branches: pd.DataFrame,
    events: Mapping[str, pd.DataFrame],
) -> Delivery:
    """Validate one delivery given as frames (one per record kind).

    Enterprises and people come first; a relationship or event that points at one of them
    that was not delivered (or was rejected) is quarantined with its own line.
    """
    delivery = Delivery()
    q = delivery.quarantine
    delivery.enterprises = validate_rows(
        Enterprise, frame_rows(enterprises), "enterprises", ("uscc",), q)
    delivery.people = validate_rows(PersonInput, frame_rows(people), "people", ("name",), q)
    usccs = {enterprise.uscc for enterprise in delivery.enterprises}
    persons = {person.id_number for person in delivery.people}

    def holding_refs(row: Shareholding) -> tuple[str, str] | None:
        holders = usccs if row.holder_kind == "enterprise" else persons
        return _first_unknown(("holder_id", row.holder_id, holders),
                              ("enterprise_uscc", row.enterprise_uscc, usccs))

    def person_refs(row: LegalRepresentative | Officer) -> tuple[str, str] | None:
        return _first_unknown(("id_number", row.id_number, persons),
                              ("enterprise_uscc", row.enterprise_uscc, usccs))

    def branch_refs(row: Branch) -> tuple[str, str] | None:
        return _first_unknown(("branch_uscc", row.branch_uscc, usccs),
                              ("parent_uscc", row.parent_uscc, usccs))

    def event_refs(row: Event) -> tuple[str, str] | None:
        return _first_unknown(("uscc", row.uscc, usccs))

    delivery.shareholdings = validate_rows(
        Shareholding, frame_rows(shareholdings), "shareholdings",
        ("holder_id", "enterprise_uscc"), q, holding_refs)
    delivery.legal_reps = validate_rows(
        LegalRepresentative, frame_rows(legal_reps), "legal_reps", ("enterprise_uscc",), q,
        person_refs)
    delivery.officers = validate_rows(
        Officer, frame_rows(officers), "officers", ("enterprise_uscc",), q, person_refs)
    delivery.branches = validate_rows(
        Branch, frame_rows(branches), "branches", ("branch_uscc",), q, branch_refs)
    for kind, frame in events.items():
        if kind not in EVENT_MODELS:
            q.append(QuarantineEntry(kind, 0, kind, "kind", f"unknown event kind {kind!r}"))
            continue
        delivery.events[kind] = validate_rows(
            EVENT_MODELS[kind], frame_rows(frame), kind, ("event_id",), q, event_refs)
    return delivery
