"""The monthly classification job, end to end, and the stores it runs on.

ingestion -> graph -> features -> risk, in plain functions that the CLI (and later the
HTTP API) call. Progress goes to a rich console; results come back as objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.settings import Settings
from features.config import IndicatorSystemConfig
from features.fit import FittedWeights, fit_weights
from features.outcome import horizon_end, outcome_12m
from features.quality import quality_report
from features.score import BaseScores, IndicatorSystem
from features.tables import GraphTables, read_tables
from graph.ingest import IngestReport, bulk_ingest_folder, delivery_folders, ingest_folder
from graph.memory import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.server import LocalNeo4jServer
from graph.store import GraphStore
from ingestion.synthetic import Province
from ingestion.validate import Delivery, QuarantineEntry, validate_frames
from risk.classify import (
    Classification,
    ClassificationConfig,
    Classifier,
    load_classification_config,
)
from risk.evaluate import Evaluation, evaluate
from risk.snapshot import write_snapshot


@contextmanager
def open_store(
    settings: Settings, console: Console, *, persistent: bool = False
) -> Iterator[GraphStore]:
    """The store ``settings.graph`` names; for Neo4j without a URI, the project's own server.

    A server started here is stopped on exit; an existing one is left as it was. With
    ``persistent``, the embedded store is read from and, when the block succeeds, written
    back to ``settings.memory_store_path``; otherwise it starts empty and is dropped.
    """
    if settings.graph == "memory":
        path = settings.memory_store_path
        if persistent and path.exists():
            console.print(f"embedded store: {path}")
            memory = MemoryStore.load(path)
        else:
            memory = MemoryStore()
        yield memory
        if persistent:
            memory.save(path)
        return
    server: LocalNeo4jServer | None = None
    if settings.neo4j_uri:
        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
        uri, user = settings.neo4j_uri, settings.neo4j_user
    else:
        server = settings.local_neo4j_server()
        was_running = server.is_running()
        console.print(f"Neo4j: starting the local server in {settings.neo4j_instance_dir} ...")
        connection = server.start()
        uri, user, password = connection.uri, connection.user, connection.password
        if was_running:
            server = None  # somebody else's: leave it running
    store = Neo4jStore(uri, user, password, database=settings.neo4j_database,
                       workers=settings.neo4j_workers)
    try:
        store.verify()
        console.print(f"Neo4j: connected to {uri}")
        yield store
    finally:
        store.close()
        if server is not None:
            console.print("Neo4j: stopping the local server")
            server.stop()


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    )


def validate_province(province: Province) -> Delivery:
    return validate_frames(province.frames())


@dataclass(frozen=True)
class ClassificationRun:
    as_of: dt.date
    scores: BaseScores
    classification: Classification
    indicators: IndicatorSystemConfig
    config: ClassificationConfig
    tables: GraphTables


def indicator_system(settings: Settings) -> IndicatorSystem:
    """The indicator system with the weights the settings choose (AHP unless told)."""
    return IndicatorSystem(weights=settings.weights, fitted=settings.fitted_weights)


def classify(
    store: GraphStore, as_of: dt.date, indicators: IndicatorSystem | None = None,
    classification_config: Path | None = None, *, tables: GraphTables | None = None,
) -> ClassificationRun:
    """Scores, classes, reasons with records, for every enterprise in ``store`` as of
    ``as_of`` (``tables``: already read as of ``as_of``)."""
    system = indicators or IndicatorSystem()
    config = (
        load_classification_config(classification_config, system.config)
        if classification_config else load_classification_config(indicators=system.config)
    )
    tables = tables if tables is not None else read_tables(store, as_of)
    scores = system.score(tables)
    classification = Classifier(config, system.config).predict(scores, tables)
    return ClassificationRun(as_of, scores, classification, system.config, config, tables)


def write_run_snapshot(run: ClassificationRun, root: Path,
                       graph_model: dict[str, Any] | None = None) -> Path:
    """The monthly snapshot of ``run`` under ``root/snapshots/YYYY-MM`` (``graph_model``:
    the model behind a graph uplift, see :func:`risk.snapshot.write_snapshot`)."""
    return write_snapshot(root, run.as_of, run.classification, run.scores, run.indicators,
                          run.config, graph_model)


def outcome_of(store: GraphStore, as_of: dt.date, usccs: pd.Index) -> pd.Series:
    """The 12-month outcome (records in ``(as_of, as_of + 12 months]``) of ``usccs``."""
    return outcome_12m(read_tables(store, horizon_end(as_of)), as_of, usccs)


def evaluate_store(store: GraphStore, as_of: dt.date,
                   indicators: IndicatorSystem | None = None) -> tuple[ClassificationRun,
                                                                       Evaluation]:
    """Classify as of ``as_of`` and compare with what was found in the 12 months after."""
    run = classify(store, as_of, indicators)
    outcome = outcome_of(store, as_of, run.scores.base_score.index)
    return run, evaluate(run.classification, run.scores.base_score, outcome, as_of,
                         horizon_end(as_of))


def quality_of_store(store: GraphStore, as_of: dt.date,
                     indicators: IndicatorSystem | None = None) -> pd.DataFrame:
    """Each indicator's IV against the 12-month outcome, missing rate, and PSI against
    the month before ``as_of``."""
    system = indicators or IndicatorSystem()
    tables = read_tables(store, as_of)
    raw = system.raw_values(tables)
    sub = system.sub_scores(raw)
    month_before = (pd.Timestamp(as_of) - pd.DateOffset(months=1)).date()
    previous = system.sub_scores(system.raw_values(read_tables(store, month_before)))
    outcome = outcome_of(store, as_of, raw.index)
    return quality_report(system.config, raw, sub, previous, outcome, tables.sector_members)


def fit_store(store: GraphStore, as_of: dt.date,
              indicators: IndicatorSystem | None = None) -> FittedWeights:
    """Weights fitted to the 12-month outcome as of ``as_of`` (AHP weights for comparison)."""
    system = indicators or IndicatorSystem(weights="ahp")
    tables = read_tables(store, as_of)
    sub = system.sub_scores(system.raw_values(tables))
    return fit_weights(system.config, sub, outcome_of(store, as_of, sub.index), as_of)


def write_quarantine(entries: list[QuarantineEntry], path: Path) -> Path:
    """A CSV with a row per rejected field: source, line, record, field, reason."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ["source", "line", "record_key", "field", "reason"]
    pd.DataFrame([vars(entry) for entry in entries], columns=columns).to_csv(
        path, index=False, encoding="utf-8")
    return path


def run_ingest(
    settings: Settings, root: Path, console: Console, *, header_map: Path | None = None,
    quarantine_dir: Path = Path("out/quarantine"), bulk: bool = False,
) -> list[IngestReport]:
    """Ingest a delivery folder (or a folder of monthly folders, in name order).

    With ``bulk``, the first folder goes into an empty Neo4j database through the offline
    importer (the project's own server only: it is stopped for the import), the others
    through the usual upserts.
    """
    folders = delivery_folders(root)
    reports: list[IngestReport] = []

    def reported(report: IngestReport) -> None:
        reports.append(report)
        name = report.folder.name
        quarantine = write_quarantine(report.quarantine, quarantine_dir / f"{name}.csv")
        for note in report.notes:
            console.print(f"  {report.folder.name}: {note}")
        console.print(
            f"{report.folder.name}: {report.records:,} records loaded, "
            f"{len(report.quarantine):,} quarantined ({quarantine}), "
            f"{report.records_per_second:,.0f} records/s"
        )

    if bulk:
        reported(bulk_first_load(settings, folders[0], console, header_map=header_map))
        folders = folders[1:]
    if not folders:
        return reports
    with open_store(settings, console, persistent=True) as store, progress_bar(console) as bar:
        task = bar.add_task("deliveries", total=len(folders))
        for folder in folders:
            bar.update(task, description=f"ingesting {folder.name}")
            reported(ingest_folder(store, folder, settings.person_key(), header_map=header_map))
            bar.advance(task)
    return reports


class BulkLoadRefused(RuntimeError):
    """``--bulk`` asked for where the offline importer cannot or must not run."""


def bulk_first_load(
    settings: Settings, folder: Path, console: Console, *, header_map: Path | None = None
) -> IngestReport:
    """Load ``folder`` into the project's own, empty Neo4j database with the offline
    importer; the server is left running."""
    if settings.graph != "neo4j" or settings.neo4j_uri:
        raise BulkLoadRefused(
            "--bulk needs --graph neo4j on the project's own server (RISKGRAPH_NEO4J_URI "
            "unset): the importer writes the database files of a stopped server")
    server = settings.local_neo4j_server()
    connection = server.start()  # to look: an import replaces what the database holds
    store = Neo4jStore(connection.uri, connection.user, connection.password,
                       database=settings.neo4j_database)
    try:
        nodes = sum(store.counts().values())
    finally:
        store.close()
    if nodes:
            raise BulkLoadRefused(
                f"the database already holds {nodes:,} nodes and relationships; --bulk is "
                f"for the first load only (later deliveries load without it)")
    console.print(f"bulk import of {folder.name} into {settings.neo4j_instance_dir} ...")
    with progress_bar(console) as bar:
        task = bar.add_task(f"validating {folder.name}", total=None)
        report, imported = bulk_ingest_folder(
            server, folder, settings.person_key(), header_map=header_map,
            database=settings.neo4j_database, advance=lambda rows: bar.advance(task, rows))
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in imported.seconds.items())
    console.print(f"neo4j-admin import: {imported.graph_rows:,} graph rows ({steps})")
    return report


def write_classification(run: ClassificationRun, out_dir: Path) -> Path:
    """``out_dir/classification.parquet``: class, scores, contributions, rule, reasons with
    records, counterfactual, sector classes, as_of."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "classification.parquet"
    table = run.classification.to_arrow()
    table = table.append_column("as_of", pa.array([run.as_of] * table.num_rows, pa.date32()))
    temporary = path.with_suffix(".parquet.tmp")
    pq.write_table(table, temporary)
    temporary.replace(path)  # never a half-written file under the real name
    return path
