"""The `riskgraph` command line (typer). Commands are thin: the work is in plain modules."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from api.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from features.score import IndicatorSystem
    from risk.early_warning import WarningLog

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


class WeightChoice(StrEnum):
    ahp = "ahp"
    fitted = "fitted"


Weights = Annotated[WeightChoice | None, typer.Option(
    help="Indicator weights: ahp (the pairwise matrices) or fitted (from `riskgraph "
         "indicators fit`); default: RISKGRAPH_WEIGHTS, else the config's [weights].")]
FittedFile = Annotated[Path | None, typer.Option(
    "--fitted", help="Fitted-weights file for --weights fitted.")]


def _job_settings(graph: GraphKind | None, weights: WeightChoice | None = None,
                  fitted: Path | None = None) -> Settings:
    changes: dict[str, object] = {}
    if graph is not None:
        changes["graph"] = graph.value
    if weights is not None:
        changes["weights"] = weights.value
    if fitted is not None:
        changes["fitted_weights"] = fitted
    return Settings(**changes)  # type: ignore[arg-type]


def _system(settings: Settings) -> IndicatorSystem:
    from api.pipeline import indicator_system
    from api.show import weights_note
    from features.config import ConfigError

    try:
        system = indicator_system(settings)
    except ConfigError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    console.print(weights_note(system.config))
    return system


@app.command()
def classify(
    as_of: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Classify as of this date (default: today).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder for classification.parquet and snapshots/ (default: out/ for the file, "
             "RISKGRAPH_HOME for the snapshots).")] = None,
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
    weights: Weights = None, fitted: FittedFile = None,
) -> None:
    """Score and classify every enterprise as of a date; store the month's snapshot."""
    from api.pipeline import classify as classify_store
    from api.pipeline import open_store, write_classification, write_run_snapshot
    from api.show import class_mix_line

    settings = _job_settings(graph, weights, fitted)
    system = _system(settings)
    day = (as_of or datetime.now()).date()
    with open_store(settings, console, persistent=True) as store, console.status(
            f"scoring and classifying as of {day} 评分分类中"):
        run = classify_store(store, day, system)
    console.print(f"分类结果 class mix as of {day}: "
                  + class_mix_line(run.classification.class_counts()))
    console.print(f"wrote {write_classification(run, out or Path('out'))}")
    folder = write_run_snapshot(run, out or settings.snapshot_root)
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    if meta["class_mix_psi"] is not None:
        console.print(f"class-mix PSI vs {meta['previous_month']} 类别分布稳定性: "
                      f"{meta['class_mix_psi']:.4f}")
    console.print(f"snapshot 快照: {folder}")


@app.command()
def diff(
    before: Annotated[str, typer.Argument(help="Earlier month, YYYY-MM.")],
    after: Annotated[str, typer.Argument(help="Later month, YYYY-MM.")],
    out: Annotated[Path | None, typer.Option(
        help="Folder holding snapshots/ (default: RISKGRAPH_HOME).")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Changes shown.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print every change as JSON.")] = False,
) -> None:
    """Enterprises whose class changed between two monthly snapshots, and why (类别变化)."""
    import pandas as pd

    from api.show import class_mix_line, diff_table
    from risk.snapshot import class_mix_psi, diff_snapshots, read_snapshot

    root = out or Settings().snapshot_root
    try:
        old, new = read_snapshot(root, before), read_snapshot(root, after)
    except FileNotFoundError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    changes = diff_snapshots(old, new)
    if as_json:
        console.print_json(changes.to_json(orient="records", force_ascii=False))
        return
    for snapshot in (old, new):
        counts = pd.Series(snapshot.meta["class_counts"])
        console.print(f"{snapshot.month}: " + class_mix_line(counts))
    psi = class_mix_psi(pd.Series(old.meta["class_counts"]), pd.Series(new.meta["class_counts"]))
    console.print(f"class-mix PSI 类别分布稳定性 {before} -> {after}: {psi:.4f}")
    for name, snapshot in (("before", old), ("after", new)):
        config = snapshot.meta["indicator_config"]
        console.print(f"{name}: config v{config['version']} ({config['sha256'][:12]}), "
                      f"weights {snapshot.meta['weights']['source']}, "
                      f"model {snapshot.meta['model_version']}")
    console.print(diff_table(changes, limit))


@app.command()
def evaluate(
    as_of: Annotated[datetime, typer.Option(
        formats=["%Y-%m-%d"], help="Score as of this date; outcome = problems found in the "
                                   "12 months after it (the store must hold them).")],
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
    weights: Weights = None, fitted: FittedFile = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Backtest: AUC of the base score against the 12-month outcome; discovery rate per
    class (结果回溯)."""
    from api.pipeline import evaluate_store, open_store
    from api.show import print_evaluation

    settings = _job_settings(graph, weights, fitted)
    system = _system(settings)
    with open_store(settings, console, persistent=True) as store, console.status(
            "backtesting 结果回溯中"):
        _, result = evaluate_store(store, as_of.date(), system)
    if as_json:
        console.print_json(json.dumps(result.to_dict()))
    else:
        print_evaluation(console, result)


indicators_app = typer.Typer(help="The indicator system (指标体系): tree, quality, fitted weights.",
                             no_args_is_help=True)
app.add_typer(indicators_app, name="indicators")


@indicators_app.command("show")
def indicators_show(weights: Weights = None, fitted: FittedFile = None) -> None:
    """The indicator tree with AHP weights and each matrix's consistency ratio."""
    from api.show import indicator_tree

    system = _system(_job_settings(None, weights, fitted))
    console.print(indicator_tree(system.config))


@indicators_app.command("quality")
def indicators_quality(
    as_of: Annotated[datetime, typer.Option(
        formats=["%Y-%m-%d"], help="Indicators as of this date; outcome in the 12 months "
                                   "after; PSI against the month before.")],
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the report as CSV.")] = None,
) -> None:
    """Indicator quality report: IV, missing rate, month-over-month PSI (指标质量)."""
    from api.pipeline import open_store, quality_of_store
    from api.show import quality_table

    settings = _job_settings(graph)
    system = _system(settings)
    with open_store(settings, console, persistent=True) as store, console.status(
            "indicator quality 指标质量评估中"):
        report = quality_of_store(store, as_of.date(), system)
    console.print(quality_table(report))
    flagged = report.loc[report["flag"] != "", "indicator"].tolist()
    console.print(f"IV < 0.02 (flagged 预测力弱): {len(flagged)}: {', '.join(flagged) or '-'}")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        report.to_csv(out, index=False, encoding="utf-8")
        console.print(f"wrote {out}")


@indicators_app.command("fit")
def indicators_fit(
    as_of: Annotated[datetime, typer.Option(
        formats=["%Y-%m-%d"], help="Fit on indicators as of this date and problems found "
                                   "in the 12 months after.")],
    out: Annotated[Path, typer.Option(help="Where to write the fitted weights.")] = Path(
        "out/weights-fitted.json"),
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
) -> None:
    """Fit non-negative indicator weights to past outcomes; compare with AHP (数据拟合权重).

    Nothing uses them until you ask: `riskgraph classify --weights fitted --fitted FILE`.
    """
    from api.pipeline import fit_store, open_store
    from api.show import fitted_table

    settings = _job_settings(graph, WeightChoice.ahp)
    system = _system(settings)
    with open_store(settings, console, persistent=True) as store, console.status(
            "fitting weights 拟合权重中"):
        fitted = fit_store(store, as_of.date(), system)
    console.print(fitted_table(fitted, system.config))
    console.print(f"AUC in sample: AHP {fitted.auc_ahp:.3f}, fitted {fitted.auc_fitted:.3f}; "
                  f"distance to AHP (total variation) {fitted.distance:.3f}")
    console.print(f"wrote {fitted.write(out)}  (use: --weights fitted --fitted {out})")


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


# --- investigator queries ----------------------------------------------------------------

query_app = typer.Typer(
    help="Investigator queries on the related-party graph (关联关系查询).", no_args_is_help=True)
app.add_typer(query_app, name="query")

AsOf = Annotated[datetime | None, typer.Option(
    formats=["%Y-%m-%d"], help="Only facts valid on this date (default: today).")]
Graph = Annotated[GraphKind | None, typer.Option(
    help="Graph store (default: RISKGRAPH_GRAPH, else memory).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Classification = Annotated[Path | None, typer.Option(
    help="classification.parquet from `riskgraph classify`: shows classes, enables --class.")]


def _day(as_of: datetime | None) -> date | None:
    return None if as_of is None else as_of.date()


def _settings(graph: GraphKind | None) -> Settings:
    return Settings() if graph is None else Settings(graph=graph.value)


@query_app.command("network")
def query_network(
    uscc: Annotated[str, typer.Argument(help="The enterprise (统一社会信用代码).")],
    hops: Annotated[int, typer.Option(min=1, max=4, help="Hops from the enterprise.")] = 2,
    kind: Annotated[list[str] | None, typer.Option(
        help="Relationship types to follow (repeatable; default all): HOLDS_SHARES, "
             "LEGAL_REP_OF, OFFICER_OF, BRANCH_OF, REGISTERED_AT, HAS_PHONE, HAS_EMAIL.")] = None,
    min_share: Annotated[float, typer.Option(min=0, max=1, help="Drop smaller holdings.")] = 0.0,
    status: Annotated[list[str] | None, typer.Option(
        help="Keep enterprises with this status (repeatable), e.g. operating.")] = None,
    risk_class: Annotated[list[str] | None, typer.Option(
        "--class", help="Keep enterprises of this class (repeatable; needs --classification).")
    ] = None,
    classification: Classification = None,
    max_nodes: Annotated[int, typer.Option(min=1, help="Node budget.")] = 500,
    as_of: AsOf = None, graph: Graph = None, as_json: AsJson = False,
) -> None:
    """k-hop related-party network (关联网络), filtered, within a node budget."""
    from api.investigate import print_json, query_engine, read_classes, show_network

    classes = read_classes(classification)
    with query_engine(_settings(graph), console) as engine:
        result = engine.network(
            uscc, hops=hops, kinds=kind, min_share=min_share, as_of=_day(as_of),
            statuses=status, classes=risk_class, risk_classes=classes, max_nodes=max_nodes)
    (print_json if as_json else show_network)(console, result)


@query_app.command("penetration")
def query_penetration(
    uscc: Annotated[str, typer.Argument(help="The enterprise (统一社会信用代码).")],
    direction: Annotated[str, typer.Option(
        help="up: who holds it (股东穿透); down: what it holds (对外投资).")] = "up",
    depth: Annotated[int, typer.Option(min=1, max=10, help="Longest chain followed.")] = 10,
    as_of: AsOf = None, graph: Graph = None, as_json: AsJson = False,
) -> None:
    """Ownership penetration with cumulative indirect shares (股权穿透)."""
    from api.investigate import print_json, query_engine, show_penetration

    if direction not in ("up", "down"):
        raise typer.BadParameter("direction is up or down")
    with query_engine(_settings(graph), console) as engine:
        result = engine.penetration(uscc, direction="up" if direction == "up" else "down",
                                    max_depth=depth, as_of=_day(as_of))
    (print_json if as_json else show_penetration)(console, result)


@query_app.command("controllers")
def query_controllers(
    uscc: Annotated[str, typer.Argument(help="The enterprise (统一社会信用代码).")],
    threshold: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Cumulative share that makes a beneficial owner.")] = 0.25,
    as_of: AsOf = None, graph: Graph = None, as_json: AsJson = False,
) -> None:
    """Actual controller and ultimate beneficial owners (实际控制人 / 受益所有人)."""
    from api.investigate import print_json, query_engine, show_controllers

    with query_engine(_settings(graph), console) as engine:
        result = engine.controllers(uscc, threshold=threshold, as_of=_day(as_of))
    (print_json if as_json else show_controllers)(console, result)


@query_app.command("suspected")
def query_suspected(
    uscc: Annotated[str, typer.Argument(help="The enterprise (统一社会信用代码).")],
    limit: Annotated[int, typer.Option(min=1, help="Enterprises listed.")] = 50,
    as_of: AsOf = None, graph: Graph = None, as_json: AsJson = False,
) -> None:
    """Enterprises sharing contacts or people with this one (疑似关联), most links first."""
    from api.investigate import print_json, query_engine, show_suspected

    with query_engine(_settings(graph), console) as engine:
        result = engine.suspected(uscc, limit=limit, as_of=_day(as_of))
    (print_json if as_json else show_suspected)(console, result)


@query_app.command("paths")
def query_paths(
    usccs: Annotated[list[str], typer.Argument(help="Two enterprises, or up to 50.")],
    max_hops: Annotated[int, typer.Option(min=1, max=6, help="Longest path.")] = 6,
    max_paths: Annotated[int, typer.Option(min=1, help="Paths shown per pair.")] = 20,
    kind: Annotated[list[str] | None, typer.Option(
        help="Relationship types to follow (repeatable; default all).")] = None,
    as_of: AsOf = None, graph: Graph = None, as_json: AsJson = False,
) -> None:
    """Shortest paths between enterprises over the related-party graph (最短关联路径)."""
    from api.investigate import print_json, query_engine, show_paths
    from graph.queries import PathResult

    if len(usccs) < 2:
        raise typer.BadParameter("give at least two enterprises")
    with query_engine(_settings(graph), console) as engine:
        results: tuple[PathResult, ...]
        if len(usccs) == 2:
            results = (engine.paths(usccs[0], usccs[1], max_hops=max_hops, kinds=kind,
                                    as_of=_day(as_of), max_paths=max_paths),)
        else:
            results = engine.paths_among(usccs, max_hops=max_hops, kinds=kind,
                                         as_of=_day(as_of), max_paths=max_paths)
    if as_json:
        print_json(console, list(results))
    else:
        show_paths(console, results)


@query_app.command("clusters")
def query_clusters(
    uscc: Annotated[str | None, typer.Argument(
        help="An enterprise: its own group; none: the largest groups.")] = None,
    top: Annotated[int, typer.Option(min=1, help="Groups listed.")] = 20,
    classification: Classification = None,
    as_of: AsOf = None, graph: Graph = None, as_json: AsJson = False,
) -> None:
    """Control groups (控制关系群组): weakly connected components of holdings and branches,
    with cross-shareholding rings (交叉持股)."""
    from api.investigate import print_json, query_engine, read_classes, show_clusters
    from graph.queries import Clusters, resolve_as_of

    classes = read_classes(classification)
    with query_engine(_settings(graph), console) as engine:
        if uscc is None:
            result = engine.clusters(as_of=_day(as_of), top=top, risk_classes=classes)
        else:
            group = engine.cluster(uscc, as_of=_day(as_of), risk_classes=classes)
            result = Clusters(resolve_as_of(_day(as_of)), (group,), 1, group.cycles)
    (print_json if as_json else show_clusters)(console, result)



# --- graph risk (图风险传导): train, score, evaluate --------------------------------------

gnn_app = typer.Typer(help="Graph risk models (图神经网络风险传导): evaluation on any graph.",
                      no_args_is_help=True)
app.add_typer(gnn_app, name="gnn")


@app.command()
def train(
    as_of: Annotated[datetime, typer.Option(
        formats=["%Y-%m-%d"], help="Test date T1: the models train on the graph as of "
                                   "T1 - 12 months with its 12-month outcome and are tested "
                                   "on T1 (the store must hold records up to T1 + 12 months; "
                                   "for production use T1 = today - 12 months).")],
    graph: Graph = None,
    epochs: Annotated[int, typer.Option(min=1, help="Full-batch epochs per model.")] = 60,
    hidden: Annotated[int, typer.Option(min=2, help="Hidden width.")] = 32,
    seed: Annotated[int, typer.Option(help="Seed (same seed, same weights).")] = 0,
    batch_size: Annotated[int, typer.Option(
        min=0, help="Targets per mini-batch (exact K-hop sub-graphs); 0: full batch. Use "
                    "e.g. 50000 for a 1,000,000-enterprise province.")] = 0,
    max_uplift: Annotated[float, typer.Option(
        min=0.0, help="Largest graph uplift in score points (U).")] = 10.0,
    as_json: AsJson = False,
) -> None:
    """Train the graph models and the baseline, compare them, save the versioned files
    (模型训练)."""
    from api.graph_risk import train_store
    from api.pipeline import open_store

    settings = _job_settings(graph)
    system = _system(settings)
    with open_store(settings, console, persistent=True) as store, console.status(
            "training graph models 图模型训练中"):
        experiment, folder = train_store(store, as_of.date(), settings.home, system,
                                         epochs=epochs, hidden=hidden, seed=seed,
                                         batch_size=batch_size, max_uplift=max_uplift)
    if as_json:
        console.print_json(json.dumps(experiment.metrics))
    else:
        test = experiment.metrics["test"]
        for name in (*experiment.models, "base_score", "final_score"):
            console.print(f"{name:<12} AUC {test[name]['auc']:.4f}  "
                          f"AP 平均精度 {test[name]['average_precision']:.4f}  "
                          f"recall@k 前k召回 {test[name]['recall_at_k']:.4f}")
        if "logistic" in test:
            gaps = ", ".join(f"{name} {test[name]['auc'] - test['logistic']['auc']:+.4f}"
                             for name in experiment.models if name != "logistic")
            console.print(f"AUC vs the non-graph baseline 相对非图基线: {gaps}")
        rate = test["d_class_discovery_rate"]
        console.print(f"D类问题发现率 D-class discovery rate: base "
                      f"{rate['base']['discovery_rate']:.4f} -> with uplift "
                      f"{rate['final']['discovery_rate']:.4f}")
    console.print(f"selected 选用模型: {experiment.selected}; model files 模型文件: {folder}")


@app.command()
def score(
    as_of: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Score as of this date (default: today).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder for classification.parquet and the snapshot (default: out/, and the "
             "snapshot under RISKGRAPH_HOME).")] = None,
    graph: Graph = None,
    model: Annotated[str | None, typer.Option(
        help="Model version under RISKGRAPH_HOME/models (default: the latest trained).")] = None,
) -> None:
    """Final score = base score + graph uplift; classes from the final score, with the
    neighbours behind each uplift (图风险评分); stores the month's snapshot."""
    from api.graph_risk import score_store
    from api.pipeline import open_store, write_classification, write_run_snapshot
    from api.show import class_mix_line

    settings = _job_settings(graph)
    system = _system(settings)
    day = (as_of or datetime.now()).date()
    with open_store(settings, console, persistent=True) as store, console.status(
            f"scoring with the graph uplift as of {day} 图风险评分中"):
        try:
            result = score_store(store, day, settings.home, system, model)
        except (FileNotFoundError, ValueError) as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from error
    console.print(f"model 模型 {result.bundle.version} ({result.bundle.meta['selected']})")
    console.print("基础分类 base classes:  " + class_mix_line(result.base.class_counts()))
    console.print("最终分类 final classes: " + class_mix_line(
        result.run.classification.class_counts()))
    console.print(f"wrote {write_classification(result.run, out or Path('out'))}")
    folder = write_run_snapshot(result.run, out or settings.snapshot_root, result.graph_model())
    console.print(f"snapshot 快照: {folder}")


@gnn_app.command("evaluate")
def gnn_evaluate(
    nodes: Annotated[Path, typer.Option(help="Node table (Parquet or CSV): node_id, label, "
                                             "f_*, optional node_type.")],
    edges: Annotated[Path, typer.Option(help="Edge table: src, dst, optional edge_type.")],
    train_ratio: Annotated[float, typer.Option(min=0.01, max=0.9)] = 0.4,
    val_ratio: Annotated[float, typer.Option(min=0.01, max=0.5)] = 0.2,
    epochs: Annotated[int, typer.Option(min=1)] = 100,
    hidden: Annotated[int, typer.Option(min=2)] = 32,
    seed: int = 0,
) -> None:
    """Train and test every model on any labelled graph; print JSON metrics per model
    (AUC, average precision, recall at top-k, F1-macro, recall-macro on the test split)."""
    from gnn.generic import evaluate_files

    result = evaluate_files(nodes, edges, train_ratio=train_ratio, val_ratio=val_ratio,
                            epochs=epochs, hidden=hidden, seed=seed)
    typer.echo(json.dumps(result, indent=2))


if __name__ == "__main__":
    app()


# --- supervision: spot-check plans and warnings (双随机抽查、风险预警) -----------------------

plan_app = typer.Typer(help="\"Double random, one public\" spot-check plans (双随机、一公开抽查).",
                       no_args_is_help=True)
app.add_typer(plan_app, name="plan")
warnings_app = typer.Typer(help="Risk warnings and their handling (风险预警与处置).",
                           no_args_is_help=True)
app.add_typer(warnings_app, name="warnings")


@plan_app.command("draw")
def plan_draw(
    plan_file: Annotated[Path, typer.Argument(help="Plan TOML: task, scope, items, roster.")],
    seed: Annotated[int | None, typer.Option(
        help="Re-run a published plan with its seed (default: the file's, else new).")] = None,
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
    out: Annotated[Path, typer.Option(help="Folder for the public documents.")] = Path("out"),
    dry_run: Annotated[bool, typer.Option(
        help="Draw and print, keep nothing (e.g. to check a published draw).")] = False,
) -> None:
    """Draw enterprises and inspectors for a plan and publish its public part (抽取与公示)."""
    from api.pipeline import open_store
    from api.supervise import draw_plan, read_plan_file
    from risk.feedback import PlanError
    from risk.spotcheck import load_supervision_config, write_public

    settings = _settings(graph)
    plan = read_plan_file(plan_file, load_supervision_config(), seed)
    try:
        with open_store(settings, console, persistent=True) as store:
            result = draw_plan(settings, store, plan, save=not dry_run)
    except (PlanError, ValueError, FileNotFoundError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    console.print(f"任务 task {plan.task_id}: seed 随机种子 {plan.seed}, "
                  f"population SHA-256 {result.population_sha256[:16]}...")
    console.print("抽取情况 pool by class (internal 内部):")
    console.print(result.pool.to_string())
    console.print("检查人员任务量 inspector loads: " + ", ".join(
        f"{k} {v}" for k, v in result.loads.items()))
    if not dry_run:
        for path in write_public(result, out):
            console.print(f"公示文件 public document: {path}")


@plan_app.command("export")
def plan_export(
    task_id: Annotated[str, typer.Argument(help="The plan's task id.")],
    out: Annotated[Path, typer.Option(help="Folder for the documents.")] = Path("out"),
) -> None:
    """Write the public part of a plan, with the outcomes recorded so far (公示, 无分类)."""
    from api.supervise import plan_store
    from risk.feedback import PlanError
    from risk.spotcheck import write_public

    plans = plan_store(Settings())
    try:
        result = plans.load(task_id)
    except PlanError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    for path in write_public(result, out, plans.outcomes(task_id)):
        console.print(f"公示文件 public document: {path}")


@plan_app.command("record")
def plan_record(
    task_id: Annotated[str, typer.Argument(help="The plan's task id.")],
    results: Annotated[Path, typer.Argument(
        help="CSV: uscc, outcome (clean|problem|not_found|refused), date[, note].")],
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
) -> None:
    """Record inspection results: they become Inspection events (检查结果录入、反馈分类)."""
    from api.pipeline import open_store
    from api.supervise import record_file
    from risk.feedback import PlanError

    settings = _settings(graph)
    try:
        with open_store(settings, console, persistent=True) as store:
            written = record_file(settings, store, task_id, results)
    except PlanError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    console.print(f"录入检查结果 recorded {written} outcome(s) of {task_id}; they count from "
                  f"the next classification (下次分类生效)")


@plan_app.command("backtest")
def plan_backtest(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Problem-discovery rate per class over past plans, with Wilson intervals (结果回溯)."""
    from api.supervise import plan_store
    from risk.feedback import backtest, inspected

    result = backtest(inspected(plan_store(Settings())))
    if as_json:
        console.print_json(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    console.print("问题发现率 discovery rate by class (95% Wilson):")
    console.print(result.overall.to_string(float_format=lambda v: f"{v:.3f}"))
    console.print(f"D > C > B > A: {'成立 holds' if result.ordered else '不成立 does not hold'}"
                  f"; intervals separated 区间不重叠: {result.separated}")
    for name, frame in (("地区 region", result.by_region), ("行业 industry", result.by_industry)):
        order = frame["ordered"].groupby(level=0).first()
        console.print(f"{name}: ordering holds in {int(order.sum())} of {len(order)}")


@app.command()
def report(
    as_of: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="The month's snapshot (default: today).")] = None,
    out: Annotated[Path, typer.Option(help="Reports folder; one YYYY-MM-DD folder per "
                                           "report.")] = Path("out/reports"),
    min_enterprises: Annotated[int, typer.Option(
        min=1, help="Regions and industries ranked need this many enterprises.")] = 30,
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
) -> None:
    """Analysis report: class mix and its change by region and industry, high-risk
    regions and industries, spot-check discovery rates; plots and index.html (统计分析)."""
    from api.pipeline import open_store
    from api.supervise import analysis_report
    from risk.plots import FontMissing

    settings = _settings(graph)
    day = (as_of or datetime.now()).date()
    try:
        with open_store(settings, console, persistent=True) as store:
            result, page = analysis_report(settings, store, day, out, min_enterprises)
    except (FileNotFoundError, FontMissing) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    for what, frame in (("地区 region", result.by_region), ("行业 industry", result.by_industry)):
        if frame["rank"].notna().any():
            top = result.top(frame)
            console.print(f"风险最高{what}: {top['name_zh']} {top['name_en']}, C+D "
                          f"{top['CD_share']:.1%} ({int(top['CD'])}/{int(top['total'])})")
    console.print(f"报告 report (内部资料 internal): {page}")


@app.command()
def simulate(
    enterprises: Annotated[int, typer.Option("--enterprises", "-n", min=100)] = 20_000,
    months: Annotated[int, typer.Option(min=1, help="Monthly cycles.")] = 12,
    seed: Annotated[int, typer.Option(help="Province, draws and outcomes.")] = 0,
    start: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="The province's "
                                            "as-of date; cycles from its month on.")] = datetime(
        2026, 1, 31),
    out: Annotated[Path, typer.Option(help="Reports folder.")] = Path("out/reports"),
) -> None:
    """Closed-loop simulation on a synthetic province: monthly classify, draw, inspect
    (outcomes from the generator's hidden risk), record; against uniform random sampling
    (监管闭环模拟)."""
    from api.supervise import run_simulation
    from risk.plots import FontMissing

    try:
        result, page = run_simulation(enterprises, months, seed, start.date(), out, console)
    except FontMissing as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error

    def four(value: float) -> str:
        return f"{value:.4f}"

    console.print("问题发现率 discovery rate by class, risk-based plans (95% Wilson):")
    console.print(result.by_class().to_string(float_format=four))
    console.print("逐月 per month:")
    console.print(result.by_month_and_class()["rate"].unstack("risk_class").to_string(
        float_format=four))
    console.print("每次检查发现问题 problems per inspection, risk-based vs uniform random:")
    console.print(result.per_inspection().to_string(float_format=four))
    console.print(f"A→D 递增 rising: {result.rising}; 增益 gain {result.gain:.2f}x")
    console.print(f"报告 report (内部资料 internal): {page}")


@warnings_app.command("run")
def warnings_run(
    as_of: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Date of the rules.")],
    graph: Annotated[GraphKind | None, typer.Option(
        help="Graph store (default: RISKGRAPH_GRAPH, else memory).")] = None,
    limit: Annotated[int, typer.Option(min=0, help="Warnings printed.")] = 20,
) -> None:
    """Run the warning rules; new warnings enter the handling log (预警生成)."""
    from api.pipeline import open_store
    from api.supervise import run_warnings

    settings = _settings(graph)
    with open_store(settings, console, persistent=True) as store:
        warnings, new = run_warnings(settings, store, as_of.date())
    console.print(f"预警 warnings: {len(warnings)} ({new} new 新增)")
    console.print(warnings.groupby("rule").size().to_string())
    for row in warnings.head(limit).itertuples():
        console.print(f"{row.warning_id}  {row.evidence_zh} / {row.evidence_en}")


@warnings_app.command("list")
def warnings_list(
    status: Annotated[str | None, typer.Option(
        help="open | assigned | in_progress | closed")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Warnings and where their handling stands (预警处置状态)."""
    from api.supervise import warning_log

    state = warning_log(Settings()).state()
    if status:
        state = state.loc[state["status"] == status]
    if as_json:
        console.print_json(state.to_json(orient="records", force_ascii=False))
        return
    console.print(state[["warning_id", "status", "assignee", "actions", "outcome",
                         "evidence_zh"]].to_string(index=False))


@warnings_app.command("assign")
def warnings_assign(warning_id: str, to: Annotated[str, typer.Option()],
                    by: Annotated[str, typer.Option()] = "") -> None:
    """Assign a warning to an officer or unit (分派)."""
    _handle(lambda log: log.assign(warning_id, to, by))


@warnings_app.command("act")
def warnings_act(
    warning_id: str,
    action: Annotated[str, typer.Option(help="reminder | warning_letter | interview | "
                                             "inspection (提醒/警示函/约谈/检查)")],
    by: Annotated[str, typer.Option()] = "", note: Annotated[str, typer.Option()] = "",
) -> None:
    """Record an action taken on a warning (处置措施)."""
    _handle(lambda log: log.act(warning_id, action, by, note))  # type: ignore[arg-type]


@warnings_app.command("close")
def warnings_close(warning_id: str, outcome: Annotated[str, typer.Option()],
                   by: Annotated[str, typer.Option()] = "") -> None:
    """Close a warning with its outcome (办结)."""
    _handle(lambda log: log.close(warning_id, outcome, by))


@warnings_app.command("history")
def warnings_history(warning_id: str) -> None:
    """Every recorded step of a warning (处置记录)."""
    from api.supervise import warning_log

    for entry in warning_log(Settings()).history(warning_id):
        console.print(json.dumps(entry, ensure_ascii=False))


def _handle(step: Callable[[WarningLog], None]) -> None:
    from api.supervise import warning_log
    from risk.early_warning import WarningStateError

    try:
        step(warning_log(Settings()))
    except WarningStateError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error
    console.print("已记录 recorded")


# --- the HTTP API: users, API keys, audit log, server (HTTP接口) ------------------------

users_app = typer.Typer(help="Users of the HTTP API (用户管理).", no_args_is_help=True)
app.add_typer(users_app, name="users")
keys_app = typer.Typer(help="API keys of partner systems (接口密钥).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
audit_app = typer.Typer(help="The HTTP API's audit log (审计日志).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

RoleOption = Annotated[str, typer.Option(
    help="investigator | analyst | admin | partner")]
RegionOption = Annotated[list[str] | None, typer.Option(
    "--region", help="Region-code prefix granted (repeatable, e.g. 3301); none: all.")]


def _account(step: Callable[[], object]) -> object:
    from api.auth import AccountError

    try:
        return step()
    except AccountError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error


@users_app.command("add")
def users_add(
    username: str, role: RoleOption, region: RegionOption = None,
    password: Annotated[str | None, typer.Option(
        help="The password (default: asked for, not echoed).")] = None,
) -> None:
    """Add a user (password hashed with Argon2id)."""
    from api.auth import UserStore

    secret = password or typer.prompt("password", hide_input=True, confirmation_prompt=True)
    store = UserStore(Settings().auth_dir)
    _account(lambda: store.add(username, secret, role, tuple(region or ())))
    console.print(f"added {username} ({role})")


@users_app.command("list")
def users_list() -> None:
    """Users, roles and regions."""
    from api.auth import UserStore

    for user in UserStore(Settings().auth_dir).list():
        console.print(f"{user['username']}  {user['role']}  "
                      f"{','.join(user['regions']) or 'all regions'}  {user['created']}")


@users_app.command("remove")
def users_remove(username: str) -> None:
    """Remove a user (tokens already issued end with their short lifetime)."""
    from api.auth import UserStore

    _account(lambda: UserStore(Settings().auth_dir).remove(username))
    console.print(f"removed {username}")


@keys_app.command("create")
def keys_create(name: str, role: RoleOption = "partner", region: RegionOption = None) -> None:
    """Create an API key for a system; it is shown once (only its hash is kept)."""
    from api.auth import KeyStore

    created = _account(lambda: KeyStore(Settings().auth_dir).create(
        name, role, tuple(region or ())))
    assert isinstance(created, tuple)
    console.print(f"key id {created[0]}; the key (shown once, send as X-API-Key):")
    typer.echo(created[1])


@keys_app.command("list")
def keys_list() -> None:
    """API keys (ids, systems, roles, regions, revoked or not); never the keys."""
    from api.auth import KeyStore

    for key in KeyStore(Settings().auth_dir).list():
        console.print(f"{key['key_id']}  {key['name']}  {key['role']}  "
                      f"{','.join(key['regions']) or 'all regions'}  created {key['created']}"
                      + (f"  revoked {key['revoked']}" if key["revoked"] else ""))


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke an API key (effective at once)."""
    from api.auth import KeyStore

    _account(lambda: KeyStore(Settings().auth_dir).revoke(key_id))
    console.print(f"revoked {key_id}")


@audit_app.command("verify")
def audit_verify(path: Annotated[Path | None, typer.Option(
        help="The log (default: RISKGRAPH_HOME/audit/audit.jsonl).")] = None) -> None:
    """Check the audit log's hash chain; exit 1 and name the first broken line if not."""
    from api.audit import verify

    log = path or Settings().audit_path
    result = verify(log)
    if result.ok:
        console.print(f"审计日志完整 intact: {result.reason} ({log})")
        return
    console.print(f"[red]审计日志被篡改 broken at line {result.first_broken_line}: "
                  f"{result.reason}[/red] ({log}; {result.entries} entries verified before)")
    raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    graph: Graph = None,
) -> None:
    """Serve the HTTP API (/api/v1, OpenAPI at /api/v1/docs) and the investigator page."""
    import uvicorn

    from api.http.app import create_app

    uvicorn.run(create_app(_settings(graph)), host=host, port=port, log_level="info")
