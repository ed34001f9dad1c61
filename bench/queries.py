"""Latency of the investigator queries on both stores, on a synthetic province.

    .venv/bin/python -m bench.queries --enterprises 100000 --samples 200

(``-m`` from the checkout, so that its own packages are the ones measured.) Writes the
province as a Parquet delivery folder as ``bench/neo4j_load.py`` does (``--delivery-dir``
keeps it), loads it into a ``MemoryStore`` (``ingest_folder``) and into a Neo4j server
started here (``bulk_ingest_folder``, the offline importer), then times each query on the
same random enterprises on both stores, one query at a time, after a warm-up, in two
passes (the first touches each sampled enterprise for the first time, the second repeats
the same calls):
p50, p99 and mean in milliseconds, and the embedded store's figures as ratios to Neo4j's.
Every answer is compared between the stores; the report counts the differences. The embedded store's
adjacency build (once per store version) is timed on its own.

Queries: 2-hop network (node budget 500), penetration up to depth 10 (up and down),
controllers, suspected relations, shortest paths between random pairs (up to 6 hops).
Results go into ``bench/results/queries.json`` under the number of enterprises.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from bench.common import log, peak_rss_mib, save_run
from bench.neo4j_load import KEY, delivery
from graph.ingest import bulk_ingest_folder, ingest_folder
from graph.memory import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.queries import QueryEngine, open_queries
from graph.server import LocalNeo4jServer

AS_OF = dt.date(2026, 10, 31)
QUERIES = ("network_2hop", "penetration_up", "penetration_down", "controllers", "suspected",
           "paths")


def calls(engine: QueryEngine, usccs: list[str], pairs: list[tuple[str, str]],
          ) -> dict[str, list[Callable[[], Any]]]:
    """Each query as argument-bound calls, the same on both stores."""
    return {
        "network_2hop": [partial(engine.network, u, hops=2, max_nodes=500, as_of=AS_OF)
                         for u in usccs],
        "penetration_up": [partial(engine.penetration, u, max_depth=10, as_of=AS_OF)
                           for u in usccs],
        "penetration_down": [
            partial(engine.penetration, u, direction="down", max_depth=10, as_of=AS_OF)
            for u in usccs],
        "controllers": [partial(engine.controllers, u, as_of=AS_OF) for u in usccs],
        "suspected": [partial(engine.suspected, u, as_of=AS_OF) for u in usccs],
        "paths": [partial(engine.paths, a, b, max_hops=6, as_of=AS_OF) for a, b in pairs],
    }


Calls = dict[str, list[Callable[[], Any]]]
Figures = dict[str, dict[str, dict[str, float]]]


def measure(bound: Calls, warm: Calls) -> tuple[Figures, dict[str, list[Any]]]:
    """Two timed passes over the same calls: the first touches each enterprise's part of
    the store for the first time (Neo4j's page cache cold for it), the second repeats it."""
    figures: Figures = {}
    answers: dict[str, list[Any]] = {}
    for name, functions in bound.items():
        figures[name] = {}
        for function in warm[name]:  # other enterprises: plans compiled, code loaded
            function()
        for run in ("first", "repeat"):
            seconds: list[float] = []
            results: list[Any] = []
            for function in functions:
                started = time.perf_counter()
                results.append(function())
                seconds.append(time.perf_counter() - started)
            answers[name] = results
            figures[name][run] = summary(seconds)
        log(f"  {name}: first p50 {figures[name]['first']['p50_ms']} ms, "
            f"p99 {figures[name]['first']['p99_ms']} ms; repeat p50 "
            f"{figures[name]['repeat']['p50_ms']} ms, p99 {figures[name]['repeat']['p99_ms']} ms")
    return figures, answers


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
    return {"n": len(ordered), "p50_ms": round(at(0.5) * 1000, 2),
            "p99_ms": round(at(0.99) * 1000, 2), "max_ms": round(ordered[-1] * 1000, 2),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 2)}


def sizes(answers: dict[str, list[Any]]) -> dict[str, float]:
    """What the answers held, on average, to read the latencies against."""
    def mean(values: list[int]) -> float:
        return round(statistics.fmean(values), 1) if values else 0.0
    return {
        "network_nodes": mean([len(a.nodes) for a in answers["network_2hop"]]),
        "network_truncated": sum(a.truncated for a in answers["network_2hop"]),
        "penetration_up_parties": mean([len(a.stakes) for a in answers["penetration_up"]]),
        "penetration_up_max_depth": max(
            (max((s.depth for s in a.stakes), default=0) for a in answers["penetration_up"]),
            default=0),
        "suspected_enterprises": mean([a.total for a in answers["suspected"]]),
        "paths_connected": sum(a.length is not None for a in answers["paths"]),
        "paths_mean_length": mean([a.length for a in answers["paths"] if a.length]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=200, help="queries of each kind")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--heap", default="1g", help="Neo4j server heap")
    parser.add_argument("--pagecache", default="1g", help="Neo4j server page cache")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--delivery-dir", type=Path, default=None,
                        help="keep the generated delivery folder here for later runs")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "queries.json")
    args = parser.parse_args()

    folder = delivery(args.enterprises, args.delivery_dir)
    usccs_all = sorted(pd.read_parquet(folder / "enterprises.parquet")["uscc"].astype(str))
    rng = random.Random(args.seed)
    chosen = rng.sample(usccs_all, min(args.samples + args.warmup, len(usccs_all)))
    usccs, warm_usccs = chosen[: args.samples], chosen[args.samples :]
    pairs = [(rng.choice(usccs_all), rng.choice(usccs_all)) for _ in range(args.samples)]
    warm_pairs = list(zip(warm_usccs, reversed(warm_usccs), strict=True))
    report: dict[str, Any] = {
        "command": " ".join(["python -m bench.queries", *sys.argv[1:]]),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "enterprises": args.enterprises,
        "samples": args.samples, "warmup": args.warmup, "as_of": str(AS_OF),
    }

    memory_answers: dict[str, list[Any]] = {}
    if not args.skip_memory:
        log("embedded store: load")
        memory = MemoryStore()
        load_s = ingest_folder(memory, folder, KEY).seconds
        engine = open_queries(memory)
        started = time.perf_counter()
        engine.penetration(usccs[0], as_of=AS_OF)  # builds the adjacency
        index_s = time.perf_counter() - started
        log(f"embedded store: load {load_s:.1f} s, adjacency {index_s:.1f} s")
        figures, memory_answers = measure(calls(engine, usccs, pairs),
                                          calls(engine, warm_usccs, warm_pairs))
        report["memory"] = {"load_s": round(load_s, 2), "adjacency_build_s": round(index_s, 2),
                            "latency": figures, "answers": sizes(memory_answers)}
        del engine, memory
        gc.collect()

    with tempfile.TemporaryDirectory(prefix="riskgraph-bench-") as instance:
        server = LocalNeo4jServer(Path(instance), heap_max=args.heap, pagecache=args.pagecache)
        try:
            log("Neo4j: bulk import")
            import_s = bulk_ingest_folder(server, folder, KEY)[0].seconds
            connection = server.connection()
            store = Neo4jStore(connection.uri, connection.user, connection.password)
            engine = open_queries(store)
            figures, neo4j_answers = measure(calls(engine, usccs, pairs),
                                             calls(engine, warm_usccs, warm_pairs))
            report["neo4j"] = {"server": {"heap": args.heap, "pagecache": args.pagecache},
                               "bulk_import_s": round(import_s, 2), "latency": figures,
                               "answers": sizes(neo4j_answers)}
            store.close()
        finally:
            server.stop()

    if memory_answers:
        report["answers_differing"] = {
            name: sum(a != b for a, b in zip(memory_answers[name], neo4j_answers[name],
                                             strict=True))
            for name in QUERIES
        }
        report["memory_over_neo4j"] = {
            name: {f"{run}_{stat}": round(
                report["memory"]["latency"][name][run][stat]
                / max(report["neo4j"]["latency"][name][run][stat], 1e-9), 3)
                for run in ("first", "repeat") for stat in ("p50_ms", "p99_ms")}
            for name in QUERIES
        }
    report["python_peak_rss_mib"] = peak_rss_mib()
    save_run(args.out, f"{args.enterprises} enterprises", report)
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
