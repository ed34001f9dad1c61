"""The `riskgraph` command line (typer). Commands are thin: the work is in plain modules."""

from __future__ import annotations

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


@neo4j_app.command("start")
def neo4j_start() -> None:
    """Fetch (first time) and start the local Neo4j server; print its Bolt URI."""
    from graph.server import LocalNeo4jServer

    connection = LocalNeo4jServer(Settings().neo4j_instance_dir).start()
    console.print(connection.uri)


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j server (no-op when it is not running)."""
    from graph.server import LocalNeo4jServer

    LocalNeo4jServer(Settings().neo4j_instance_dir).stop()


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Say whether the local Neo4j server is running."""
    from graph.server import LocalNeo4jServer

    server = LocalNeo4jServer(Settings().neo4j_instance_dir)
    console.print("running" if server.is_running() else "stopped")
