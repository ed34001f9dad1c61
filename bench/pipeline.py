"""Benchmark of the monthly job's stages on both stores.

    .venv/bin/python -m bench.pipeline --enterprises 20000 --repeats 3

Times each stage (generate, validate, load, read+score+classify) on the embedded store and
on a real Neo4j server started here, and writes medians and ratios to
``bench/results/pipeline.json``. Each repeat loads into an empty store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from api.pipeline import classify, validate_province
from bench.common import timed
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.server import LocalNeo4jServer
from graph.store import GraphStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province

AS_OF = dt.date(2026, 10, 31)
KEY = b"bench-key"


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {stage: round(statistics.median(run[stage] for run in runs), 3) for stage in runs[0]}


def bench_store(store: GraphStore, batch: Any, repeats: int, console: Console,
                reset: Callable[[], None]) -> dict[str, Any]:
    runs: list[dict[str, float]] = []
    for repeat in range(repeats):
        reset()
        load_s, _ = timed(lambda: write_batch(store, batch))
        classify_s, run = timed(lambda: classify(store, AS_OF))
        runs.append({"load_s": load_s, "read_score_classify_s": classify_s})
        console.print(f"  repeat {repeat + 1}: load {load_s:.1f} s, classify {classify_s:.1f} s")
    counts = run.classification.class_counts().to_dict()
    return {"median": median_of(runs), "runs": runs, "class_counts": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results/pipeline.json")
    args = parser.parse_args()
    console = Console()

    generate_s, province = timed(lambda: generate_province(args.enterprises, seed=0, as_of=AS_OF))
    validate_s, delivery = timed(lambda: validate_province(province))
    batch_s, batch = timed(lambda: delivery_to_batch(delivery, PersonPseudonyms(KEY)))
    console.print(f"generate {generate_s:.1f} s, validate {validate_s:.1f} s, "
                  f"to graph rows {batch_s:.1f} s ({batch.size():,} rows)")

    report: dict[str, Any] = {
        "command": f"python -m bench.pipeline --enterprises {args.enterprises} "
                   f"--repeats {args.repeats}",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "enterprises": args.enterprises,
        "graph_rows": batch.size(),
        "records": delivery.record_count(),
        "generate_s": round(generate_s, 3),
        "validate_s": round(validate_s, 3),
        "to_graph_rows_s": round(batch_s, 3),
    }
    console.print("memory store")
    memory = MemoryStore()
    report["memory"] = bench_store(memory, batch, args.repeats, console, memory.clear)

    console.print("neo4j store")
    with tempfile.TemporaryDirectory() as instance:
        server = LocalNeo4jServer(Path(instance))
        start_s, connection = timed(server.start)
        try:
            neo4j = Neo4jStore(connection.uri, connection.user, connection.password)
            report["neo4j"] = bench_store(neo4j, batch, args.repeats, console, neo4j.clear)
            report["neo4j"]["server_start_s"] = round(start_s, 2)
            neo4j.close()
        finally:
            server.stop()

    report["same_classes_on_both"] = report["memory"]["class_counts"] == report["neo4j"][
        "class_counts"]
    report["ratio_neo4j_over_memory"] = {
        stage: round(report["neo4j"]["median"][stage] / report["memory"]["median"][stage], 2)
        for stage in report["memory"]["median"]
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    summary = {k: v for k, v in report.items() if k not in ("memory", "neo4j")}
    console.print_json(json.dumps(summary))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
