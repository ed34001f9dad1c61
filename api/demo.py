"""`riskgraph demo`: a synthetic province generated, ingested, scored and classified."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table
from scipy.stats import spearmanr

from api.pipeline import (
    ClassificationRun,
    classify,
    evaluate_store,
    open_store,
    progress_bar,
    write_classification,
    write_quarantine,
)
from api.settings import Settings
from api.show import print_evaluation
from features.outcome import HORIZON_MONTHS
from graph.ingest import IngestReport, delivery_folders, ingest_folder
from graph.neo4j_store import Neo4jStore
from ingestion.formats import write_delivery
from ingestion.synthetic import generate_province, monthly_deliveries
from risk.classify import CLASS_LABELS, CLASSES
from risk.evaluate import Evaluation
from risk.report import class_mix, industry_label, region_label


@dataclass(frozen=True)
class DemoResult:
    run: ClassificationRun
    output: Path
    counts: dict[str, int]  # nodes per label, relationships per type
    spearman: float  # hidden risk vs base score
    quarantined: int
    evaluation: Evaluation  # base score a year before as_of against the year's problems


def run_demo(
    settings: Settings, enterprises: int, seed: int, out_dir: Path, console: Console,
    as_of: dt.date = dt.date(2026, 10, 31), months: int = 24,
) -> DemoResult:
    """Generate a province as monthly delivery files, ingest them in order, classify.

    The deliveries go through the same reading, validation and loading as real ones.
    """
    started = time.perf_counter()
    with console.status(f"generating a synthetic province of {enterprises:,} enterprises"):
        province = generate_province(enterprises, seed=seed, as_of=as_of)
        deliveries = monthly_deliveries(province, months=months)
    root = out_dir / "deliveries"
    shutil.rmtree(root, ignore_errors=True)
    with progress_bar(console) as bar:
        for delivery in bar.track(deliveries, description="writing delivery files"):
            write_delivery(delivery.frames, root / f"{delivery.month:%Y-%m}")
    reports: list[IngestReport] = []
    with open_store(settings, console) as store:
        if isinstance(store, Neo4jStore) and store.counts():
            console.print("Neo4j: the database is not empty; clearing it for the demo")
            store.clear()
        with progress_bar(console) as bar:
            for folder in bar.track(delivery_folders(root), description="ingesting deliveries"):
                reports.append(ingest_folder(store, folder, settings.person_key()))
        counts = store.counts()
        with console.status("scoring and classifying"):
            run = classify(store, as_of)
        backtest_day = (pd.Timestamp(as_of) - pd.DateOffset(months=HORIZON_MONTHS)).date()
        with console.status(f"backtesting: scores as of {backtest_day}, problems found after"):
            _, evaluation = evaluate_store(store, backtest_day)
    quarantined = [entry for report in reports for entry in report.quarantine]
    quarantine = write_quarantine(quarantined, out_dir / "quarantine.csv")
    records = sum(report.records for report in reports)
    console.print(
        f"{len(reports)} monthly deliveries in {root}: {records:,} records loaded, "
        f"{len(quarantined):,} quarantined (see {quarantine})"
    )
    output = write_classification(run, out_dir)

    # Evaluation only: the generator's hidden risk is compared with the score, never read by it.
    truth = province.hidden_risk.set_index("uscc")["hidden_risk"]
    score = run.scores.base_score
    rho = float(spearmanr(truth.reindex(score.index), score).statistic)

    print_summary(run, province.enterprises, console)
    print_evaluation(console, evaluation)
    console.print(f"Spearman(hidden risk, base score) = {rho:.3f}  (隐藏风险与基础评分的秩相关)")
    console.print(f"wrote {output}  ({time.perf_counter() - started:.1f} s)")
    return DemoResult(run, output, counts, rho, len(quarantined), evaluation)


def _mix_table(title: str, mix: pd.DataFrame, limit: int = 50) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("")
    table.add_column("total 合计", justify="right")
    for risk_class in CLASSES:
        zh, en = CLASS_LABELS[risk_class]
        table.add_column(f"{risk_class} {zh}\n{en}", justify="right")
    for group, row in mix.head(limit).iterrows():
        table.add_row(
            str(group), f"{int(row['total']):,}",
            *(f"{int(row[c]):,} ({row[f'{c}_share']:.1%})" for c in CLASSES),
        )
    return table


def print_summary(run: ClassificationRun, enterprises: pd.DataFrame, console: Console) -> None:
    frame = run.classification.frame.set_index("uscc")
    classes = frame["risk_class"]
    info = enterprises.set_index("uscc").reindex(classes.index)
    console.print(_mix_table(f"分类结果 Classification as of {run.as_of}", class_mix(classes)))
    console.print(_mix_table(
        "按地区 By prefecture", class_mix(classes, info["region_code"].map(region_label))))
    console.print(_mix_table(
        "按行业门类 By industry section (top 10)",
        class_mix(classes, info["industry_code"].map(industry_label)), limit=10))
    rules = frame.loc[frame["rule"] != "", "rule"].value_counts()
    console.print("classes fixed by a rule 规则定级: " + (", ".join(
        f"{rule} {count:,}" for rule, count in rules.items()) or "none"))
