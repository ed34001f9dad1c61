"""The `riskgraph` command line (typer). Commands are thin: the work is in plain modules."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from api.settings import Settings

app = typer.Typer(
    help="riskgraph: graph-based enterprise credit-risk classification (企业信用风险分类).",
    no_args_is_help=True,
    add_completion=False,
)
neo4j_app = typer.Typer(help="The project's own local Neo4j server.", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
# Piped output (CI, logs) gets a width that fits the summary tables.
console = Console() if Console().is_terminal else Console(width=120)


class GraphKind(StrEnum):
    memory = "memory"
    neo4j = "neo4j"


@app.command()
def demo(
    enterprises: Annotated[int, typer.Option(
        "--enterprises", "-n", min=100, help="Enterprises in the synthetic province.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Generator seed (same seed, same province).")] = 0,
    out: Annotated[Path, typer.Option(help="Folder for classification.parquet.")] = Path("out"),
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
) -> None:
    """Generate a synthetic province, ingest, score, classify and summarise it."""
    from api.demo import run_demo  # heavy imports only when the command runs

    settings = Settings() if graph is None else Settings(graph=graph.value)
    run_demo(settings, enterprises, seed, out, console)


@app.command()
def ingest(
    folder: Annotated[Path, typer.Argument(
        help="A delivery folder, or a folder of delivery folders applied in name order.")],
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
    strict: Annotated[bool, typer.Option(
        help="Exit with status 1 when any row was quarantined.")] = False,
    header_map: Annotated[Path | None, typer.Option(
        help="Header mapping file for CSV headers (default: ingestion/headers.toml).")] = None,
    quarantine_dir: Annotated[Path, typer.Option(
        help="Folder for the quarantine reports (one CSV per delivery).")] = Path(
            "out/quarantine"),
    bulk: Annotated[bool, typer.Option(
        help="First load into an empty Neo4j database with neo4j-admin import (the "
             "project's own server; later folders load as updates).")] = False,
) -> None:
    """Load delivery files (CSV, Parquet, JSON Lines, BODS) into the graph store."""
    from api.pipeline import BulkLoadRefused, run_ingest

    settings = Settings() if graph is None else Settings(graph=graph.value)
    try:
        reports = run_ingest(settings, folder, console, header_map=header_map,
                             quarantine_dir=quarantine_dir, bulk=bulk)
    except BulkLoadRefused as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(2) from refused
    quarantined = sum(len(report.quarantine) for report in reports)
    if strict and quarantined:
        console.print(f"strict: {quarantined:,} rows quarantined")
        raise typer.Exit(1)


@app.command()
def classify(
    as_of: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Classify as of this date (default: today).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for classification.parquet.")] = Path("out"),
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
) -> None:
    """Score and classify every enterprise in the graph store as of a date."""
    from api.pipeline import classify as classify_store
    from api.pipeline import open_store, write_classification

    settings = Settings() if graph is None else Settings(graph=graph.value)
    with open_store(settings, console, persistent=True) as store:
        run = classify_store(store, (as_of or datetime.now()).date())
    counts = run.classification.class_counts()
    console.print(" ".join(f"{name}: {count:,}" for name, count in counts.items()))
    console.print(f"wrote {write_classification(run, out)}")


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Fetch (first time) and start the local Neo4j server; print its Bolt URI."""

    connection = Settings().local_neo4j_server().start()
    console.print(connection.uri)


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j server (no-op when it is not running)."""

    Settings().local_neo4j_server().stop()


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Say whether the local Neo4j server is running."""

    server = Settings().local_neo4j_server()
    console.print("running" if server.is_running() else "stopped")
