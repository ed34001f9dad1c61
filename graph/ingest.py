"""Ingesting delivery folders into a graph store: read, validate, quarantine, upsert.

A folder is one delivery (see ``docs/data-format.md``); a folder of folders is a series of
deliveries (e.g. monthly) applied in name order. References may point at records of the
same delivery or at what the store already holds, so a monthly update can end a
shareholding or add an event to an enterprise loaded months ago.

Every write is an idempotent upsert in batches (one transaction each on Neo4j): loading
the same folder twice changes nothing, and a load killed half-way and run again ends in
the same graph as an uninterrupted one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from graph.load import delivery_to_batch, write_batch
from graph.store import GraphStore
from ingestion.formats import read_delivery
from ingestion.identifiers import hash_person_id
from ingestion.models import RECORD_KINDS
from ingestion.validate import QuarantineEntry, validate_frames


@dataclass
class IngestReport:
    """What one delivery folder did to the store."""

    folder: Path
    records: int = 0  # valid records written
    graph_rows: int = 0  # nodes and relationships upserted
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def delivery_folders(root: Path) -> list[Path]:
    """``root`` itself when it holds files, else its sub-folders in name order."""
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    if any(path.is_file() for path in root.iterdir()):
        return [root]
    folders = sorted(path for path in root.iterdir() if path.is_dir())
    if not folders:
        raise FileNotFoundError(f"{root} holds no delivery files and no delivery folders")
    return folders


def _chunks(kind: str, frame: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    """Row chunks of ``frame``; shareholdings are cut only between enterprises, so that
    each enterprise's share total is checked whole."""
    if kind != "shareholdings" or len(frame) <= size:
        for start in range(0, len(frame), size):
            yield frame.iloc[start : start + size]
        return
    ordered = frame.sort_values("enterprise_uscc", kind="stable")
    boundaries = ordered["enterprise_uscc"].ne(ordered["enterprise_uscc"].shift()).to_numpy()
    start = 0
    while start < len(ordered):
        end = min(start + size, len(ordered))
        while end < len(ordered) and not boundaries[end]:
            end += 1
        yield ordered.iloc[start:end]
        start = end


def ingest_folder(
    store: GraphStore,
    folder: Path,
    person_key: bytes,
    *,
    header_map: Path | None = None,
    chunk_rows: int = 100_000,
    advance: Callable[[int], None] | None = None,
) -> IngestReport:
    """Read, validate and upsert one delivery folder, kind by kind in load order.

    Each kind is validated and written in chunks of ``chunk_rows`` so that a province
    never sits in memory as Python objects; references are checked against what the
    store holds once the kinds they point at are written. Bad rows go to the report's
    quarantine.
    """
    started = time.perf_counter()
    raw = read_delivery(folder, header_map)
    report = IngestReport(folder=folder, notes=raw.notes)
    store.ensure_schema()
    enterprises: set[str] = set()
    people: set[str] = set()

    def known_person(id_number: str) -> bool:
        return hash_person_id(id_number, person_key) in people

    for kind in RECORD_KINDS:
        frame = raw.frames.get(kind)
        if frame is None or frame.empty:
            continue
        if kind not in ("enterprises", "people"):
            enterprises = enterprises or store.keys("Enterprise")
            people = people or store.keys("Person")
        origins = raw.source_of_row[kind]
        for chunk in _chunks(kind, frame, chunk_rows):
            delivery = validate_frames(
                {kind: chunk},
                known_enterprises=enterprises,
                known_person=known_person,
                origins={kind: origins.loc[chunk.index].tolist()},
            )
            batch = delivery_to_batch(delivery, person_key)
            write_batch(store, batch)
            report.records += delivery.record_count()
            report.graph_rows += batch.size()
            report.quarantine.extend(delivery.quarantine)
            if advance:
                advance(len(chunk))
    report.seconds = time.perf_counter() - started
    return report
