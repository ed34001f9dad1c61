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
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from graph.bulk_import import ImportReport, bulk_import
from graph.load import GraphBatch, delivery_to_batch, write_batch
from graph.server import LocalNeo4jServer
from graph.store import GraphStore
from ingestion.formats import RawDelivery, read_delivery
from ingestion.identifiers import PersonPseudonyms
from ingestion.models import RECORD_KINDS
from ingestion.validate import Delivery, QuarantineEntry, validate_frames


@dataclass
class IngestReport:
    """What one delivery folder did to the store."""

    folder: Path
    records: int = 0  # valid records written
    graph_rows: int = 0  # nodes and relationships upserted
    quarantine: list[QuarantineEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    write_seconds: float = 0.0  # of ``seconds``, spent writing to the store (or importing)

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


@dataclass
class KindBatch:
    """One validated chunk of one record kind and its graph rows."""

    kind: str
    rows_read: int
    delivery: Delivery
    batch: GraphBatch


def validated_batches(
    raw: RawDelivery,
    pseudonyms: PersonPseudonyms,
    *,
    known_enterprises: Collection[str] = (),
    known_people: Collection[str] = (),
    chunk_rows: int = 100_000,
) -> Iterator[KindBatch]:
    """Validate a delivery kind by kind in load order, in chunks of ``chunk_rows``, and turn
    each chunk into graph rows.

    References may name what is known already (USCCs, person IDs as keyed hashes) or what
    earlier chunks of this delivery brought. Chunks keep a province from sitting in memory
    as Python objects; shareholdings are cut only between enterprises.
    """
    enterprises = pd.Index(list(known_enterprises), dtype=object)
    people = set(known_people)  # pseudonyms, looked up one by one: a set, not an Index

    def in_graph(id_numbers: list[str]) -> list[bool]:
        return [pseudonym in people for pseudonym in pseudonyms.many(id_numbers)]

    for kind in RECORD_KINDS:
        frame = raw.frames.get(kind)
        if frame is None or frame.empty:
            continue
        origins = raw.source_of_row[kind]
        for chunk in _chunks(kind, frame, chunk_rows):
            delivery = validate_frames(
                {kind: chunk},
                known_enterprises=enterprises,
                known_people=in_graph,
                origins={kind: origins.take(frame.index.get_indexer(chunk.index))},
            )
            batch = delivery_to_batch(delivery, pseudonyms)
            if kind == "enterprises":
                enterprises = _joined(enterprises, batch.nodes["Enterprise"]["uscc"])
            elif kind == "people":
                people.update(batch.nodes["Person"]["person_id"])
            yield KindBatch(kind, len(chunk), delivery, batch)


def _joined(keys: pd.Index, more: pd.Series) -> pd.Index:
    # Object dtype (pandas would infer Arrow strings, and look-ups in them are slow) and
    # unique (look-ups in an Index with repeats scan it).
    joined: pd.Index = pd.Index(
        np.concatenate([keys.to_numpy(), more.to_numpy(dtype=object)]), dtype=object)
    return joined.drop_duplicates()


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

    Each chunk is one write (one transaction per store batch on Neo4j); bad rows go to the
    report's quarantine.
    """
    started = time.perf_counter()
    raw = read_delivery(folder, header_map)
    report = IngestReport(folder=folder, notes=raw.notes)
    store.ensure_schema()
    for part in validated_batches(
        raw, PersonPseudonyms(person_key), known_enterprises=store.keys("Enterprise"),
        known_people=store.keys("Person"), chunk_rows=chunk_rows,
    ):
        writing = time.perf_counter()
        write_batch(store, part.batch)
        report.write_seconds += time.perf_counter() - writing
        report.records += part.delivery.record_count()
        report.graph_rows += part.batch.size()
        report.quarantine.extend(part.delivery.quarantine)
        if advance:
            advance(part.rows_read)
    report.seconds = time.perf_counter() - started
    return report


def bulk_ingest_folder(
    server: LocalNeo4jServer,
    folder: Path,
    person_key: bytes,
    *,
    header_map: Path | None = None,
    chunk_rows: int = 100_000,
    database: str = "neo4j",
    advance: Callable[[int], None] | None = None,
) -> tuple[IngestReport, ImportReport]:
    """First load of one delivery folder into an empty ``database`` with the offline
    importer (``neo4j-admin database import full``): same validation and quarantine as
    :func:`ingest_folder`, and the same graph, much faster for a province.

    The database is replaced: use it for the first load only (``riskgraph ingest --bulk``
    refuses a database that holds nodes). Each record kind is validated in chunks, then
    joined and written as CSV before the next kind is read, so memory holds one kind's
    graph rows at a time.
    """
    started = time.perf_counter()
    raw = read_delivery(folder, header_map)
    report = IngestReport(folder=folder, notes=raw.notes)

    def kind_batches() -> Iterator[GraphBatch]:
        parts: list[GraphBatch] = []
        kind = ""
        for part in validated_batches(raw, PersonPseudonyms(person_key), chunk_rows=chunk_rows):
            if parts and part.kind != kind:
                yield GraphBatch.concat(parts)
                parts = []
            kind = part.kind
            parts.append(part.batch)
            report.records += part.delivery.record_count()
            report.graph_rows += part.batch.size()
            report.quarantine.extend(part.delivery.quarantine)
            if advance:
                advance(part.rows_read)
        if parts:
            yield GraphBatch.concat(parts)

    imported = bulk_import(kind_batches(), server, database=database)
    report.seconds = time.perf_counter() - started
    report.write_seconds = imported.seconds["total"] - imported.seconds["csv"]
    return report, imported
