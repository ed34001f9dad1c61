"""Row validation into canonical records, with a quarantine for what fails.

A bad row never stops a load and is never dropped silently: it becomes a
:class:`QuarantineEntry` naming the source, the line, the record's key and the field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import ValidationError

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


def validate_rows(
    model: type[R],
    rows: Iterable[Mapping[str, Any]],
    source: str,
    key_fields: tuple[str, ...],
    quarantine: list[QuarantineEntry],
) -> list[R]:
    """Validate rows into ``model`` records; failures are appended to ``quarantine``.

    Line numbers count data rows from 1 (a CSV's header is line 0).
    """
    records: list[R] = []
    for line, row in enumerate(rows, start=1):
        try:
            records.append(model.model_validate(row))
        except ValidationError as error:
            key = "/".join(str(row.get(name, "?")) for name in key_fields)
            for problem in error.errors():
                location = ".".join(str(part) for part in problem["loc"]) or "(record)"
                quarantine.append(QuarantineEntry(source, line, key, location, problem["msg"]))
    return records


def drop_unknown_references(delivery: Delivery) -> None:
    """Quarantine relationships and events that point at enterprises or people not delivered."""
    usccs = {enterprise.uscc for enterprise in delivery.enterprises}
    people = {person.id_number for person in delivery.people}

    def keep(source: str, key: str, checks: list[tuple[str, str, set[str]]]) -> bool:
        for field_name, value, known in checks:
            if value not in known:
                delivery.quarantine.append(
                    QuarantineEntry(source, 0, key, field_name, f"unknown reference {value!r}")
                )
                return False
        return True

    delivery.shareholdings = [
        row for row in delivery.shareholdings
        if keep("shareholdings", f"{row.holder_id}->{row.enterprise_uscc}", [
            ("holder_id", row.holder_id, usccs if row.holder_kind == "enterprise" else people),
            ("enterprise_uscc", row.enterprise_uscc, usccs),
        ])
    ]
    delivery.legal_reps = [
        row for row in delivery.legal_reps
        if keep("legal_reps", row.enterprise_uscc, [
            ("id_number", row.id_number, people), ("enterprise_uscc", row.enterprise_uscc, usccs),
        ])
    ]
    delivery.officers = [
        row for row in delivery.officers
        if keep("officers", row.enterprise_uscc, [
            ("id_number", row.id_number, people), ("enterprise_uscc", row.enterprise_uscc, usccs),
        ])
    ]
    delivery.branches = [
        row for row in delivery.branches
        if keep("branches", row.branch_uscc, [
            ("branch_uscc", row.branch_uscc, usccs), ("parent_uscc", row.parent_uscc, usccs),
        ])
    ]
    for kind, rows in delivery.events.items():
        delivery.events[kind] = [
            row for row in rows if keep(kind, row.event_id, [("uscc", row.uscc, usccs)])
        ]


def validate_frames(
    enterprises: pd.DataFrame,
    people: pd.DataFrame,
    shareholdings: pd.DataFrame,
    legal_reps: pd.DataFrame,
    officers: pd.DataFrame,
    branches: pd.DataFrame,
    events: Mapping[str, pd.DataFrame],
) -> Delivery:
    """Validate one delivery given as frames (one per record kind)."""
    delivery = Delivery()
    q = delivery.quarantine
    delivery.enterprises = validate_rows(
        Enterprise, frame_rows(enterprises), "enterprises", ("uscc",), q)
    delivery.people = validate_rows(PersonInput, frame_rows(people), "people", ("name",), q)
    delivery.shareholdings = validate_rows(
        Shareholding, frame_rows(shareholdings), "shareholdings",
        ("holder_id", "enterprise_uscc"), q)
    delivery.legal_reps = validate_rows(
        LegalRepresentative, frame_rows(legal_reps), "legal_reps", ("enterprise_uscc",), q)
    delivery.officers = validate_rows(
        Officer, frame_rows(officers), "officers", ("enterprise_uscc",), q)
    delivery.branches = validate_rows(
        Branch, frame_rows(branches), "branches", ("branch_uscc",), q)
    for kind, frame in events.items():
        if kind not in EVENT_MODELS:
            q.append(QuarantineEntry(kind, 0, kind, "kind", f"unknown event kind {kind!r}"))
            continue
        delivery.events[kind] = validate_rows(
            EVENT_MODELS[kind], frame_rows(frame), kind, ("event_id",), q)
    drop_unknown_references(delivery)
    return delivery
