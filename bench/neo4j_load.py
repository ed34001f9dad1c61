"""Benchmark of loading a province into Neo4j: incremental upserts and the offline import.

    .venv/bin/python bench/neo4j_load.py --enterprises 20000 --repeats 3
    .venv/bin/python bench/neo4j_load.py --enterprises 1000000 --skip-incremental \\
        --batch-cache /tmp/riskgraph-batch-1000000.pickle

Builds the province's graph rows (generate, validate, ``delivery_to_batch``), then on
servers started here (each in a temporary instance, stopped at the end):

* incremental: ``write_batch`` into an empty database (the fresh load) and the same rows
  again (the re-load, every row an update), through ``Neo4jStore``; seconds, graph rows
  per second and delivery records per second, medians over ``--repeats``, and where the
  time of the last fresh load went per label and relationship spec;
* bulk: ``graph.bulk_import.bulk_import`` of the same rows, seconds per step, and peak
  memory of this process and of the importer's JVM.

Results go into ``bench/results/neo4j_load.json`` under the number of enterprises, workers
and driver codec of the run (other runs' results in the file are kept), with the command
that produced them. The driver encodes parameters several times faster with the optional
``neo4j-rust-ext`` package installed; the report says whether it was.

The rows are built kind by kind: enterprises and people are validated first, every other
record kind on its own against their keys (``validate_frames``' ``known_enterprises`` and
``known_person``, the checks a whole delivery gets), turned into rows, and its validated
records dropped; the rows are those of ``delivery_to_batch(validate_province(...))``,
without holding a whole province of pydantic records at once (about 30 GB at 1,000,000
enterprises). ``--batch-cache`` keeps them in a pickle to time a later run from the rows
on (a file this script wrote; load only your own).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import pickle
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from graph import schema
from graph.bulk_import import bulk_import
from graph.load import GraphBatch, delivery_to_batch, write_batch
from graph.neo4j_store import Neo4jStore
from graph.server import LocalNeo4jServer
from ingestion.models import EVENT_MODELS
from ingestion.synthetic import generate_province
from ingestion.validate import Delivery, validate_frames

AS_OF = dt.date(2026, 10, 31)
KEY = b"bench-key"
T = TypeVar("T")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def timed(function: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def peak_rss_bytes() -> int:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def build_batch(enterprises: int) -> tuple[GraphBatch, int, dict[str, float]]:
    """The province's graph rows, its valid record count, and the seconds per stage."""
    seconds: dict[str, float] = {}
    generate_s, province = timed(lambda: generate_province(enterprises, seed=0, as_of=AS_OF))
    seconds["generate_s"] = generate_s
    frames = province.frames()
    del province
    started = time.perf_counter()
    validate_s = 0.0
    batch = GraphBatch()
    records = 0

    def take(part: Delivery, labels: list[str], specs: list[schema.RelSpec]) -> None:
        nonlocal records
        records += part.record_count()
        rows = delivery_to_batch(part, KEY)
        for label in labels:
            batch.nodes[label] = rows.nodes[label]
        for spec in specs:
            batch.relationships[spec] = rows.relationships[spec]
            if spec in rows.replaced:
                batch.replaced[spec] = rows.replaced[spec]

    def validate(kinds: dict[str, Any], **known: Any) -> Delivery:
        nonlocal validate_s
        seconds, delivery = timed(lambda: validate_frames(kinds, **known))
        validate_s += seconds
        return delivery

    base = validate({kind: frames.pop(kind) for kind in ("enterprises", "people")})
    known: dict[str, Any] = {
        "known_enterprises": {enterprise.uscc for enterprise in base.enterprises},
        "known_person": {person.id_number for person in base.people}.__contains__,
    }
    base.contacts = validate({"contacts": frames.pop("contacts")}, **known).contacts
    take(base, ["Enterprise", "Person", "Address", "Phone", "Email"],
         [schema.REGISTERED_AT, schema.HAS_PHONE, schema.HAS_EMAIL])
    del base
    for kind, spec in schema.EVENT_NODES.items():
        if kind in frames:
            take(validate({kind: frames.pop(kind)}, **known), [spec.label],
                 [schema.HAS_EVENT[kind]])
    for kind, specs in (
        ("shareholdings", [schema.PERSON_HOLDS_SHARES, schema.ENTERPRISE_HOLDS_SHARES]),
        ("legal_reps", [schema.LEGAL_REP_OF]),
        ("officers", [schema.OFFICER_OF]),
        ("branches", [schema.BRANCH_OF]),
    ):
        take(validate({kind: frames.pop(kind)}, **known), [], specs)
    if frames:
        raise RuntimeError(f"record kinds not turned into rows: {sorted(frames)}")
    gc.collect()
    # The order the batch of a whole delivery has.
    order = delivery_to_batch(Delivery(events={kind: [] for kind in EVENT_MODELS}), KEY)
    batch.nodes = {label: batch.nodes.get(label, []) for label in order.nodes}
    batch.relationships = {spec: batch.relationships.get(spec, [])
                           for spec in order.relationships}
    seconds["validate_s"] = validate_s
    seconds["to_graph_rows_s"] = time.perf_counter() - started - validate_s
    return batch, records, seconds


def load_batch(enterprises: int, cache: Path | None) -> tuple[GraphBatch, int, dict[str, Any]]:
    if cache is not None and cache.exists():
        log(f"reading the rows from {cache}")
        with cache.open("rb") as handle:
            read_s, (cached_enterprises, records, batch) = timed(lambda: pickle.load(handle))
        if cached_enterprises != enterprises:
            raise SystemExit(f"{cache} holds {cached_enterprises} enterprises, not {enterprises}")
        return batch, records, {"read_cached_rows_s": round(read_s, 2)}
    log(f"generating and validating {enterprises:,} enterprises")
    batch, records, seconds = build_batch(enterprises)
    if cache is not None:
        with cache.open("wb") as handle:
            pickle.dump((enterprises, records, batch), handle, protocol=pickle.HIGHEST_PROTOCOL)
    return batch, records, {name: round(value, 2) for name, value in seconds.items()}


def rates(seconds: float, rows: int, records: int) -> dict[str, float]:
    return {"seconds": round(seconds, 2), "graph_rows_per_s": round(rows / seconds),
            "records_per_s": round(records / seconds)}


def per_step(store: Neo4jStore, batch: GraphBatch) -> dict[str, dict[str, float]]:
    """A fresh load step by step: seconds and rows/s per label and relationship spec."""
    store.clear()
    store.ensure_schema()
    steps: dict[str, dict[str, float]] = {}
    for label, rows in batch.nodes.items():
        seconds, _ = timed(lambda: store.upsert_nodes(label, rows))  # noqa: B023
        steps[label] = {"rows": len(rows), "seconds": round(seconds, 2)}
    for spec, links in batch.relationships.items():
        seconds, _ = timed(lambda: store.upsert_relationships(spec, links))  # noqa: B023
        steps[spec.name] = {"rows": len(links), "seconds": round(seconds, 2)}
    for step in steps.values():
        step["rows_per_s"] = round(step["rows"] / step["seconds"]) if step["seconds"] else 0
    return dict(sorted(steps.items(), key=lambda item: -item[1]["seconds"]))


def bench_incremental(batch: GraphBatch, records: int, args: argparse.Namespace) -> dict[str, Any]:
    rows = batch.size()
    with tempfile.TemporaryDirectory(prefix="riskgraph-bench-") as instance:
        server = LocalNeo4jServer(Path(instance), heap_max=args.heap, pagecache=args.pagecache)
        connection = server.start()
        try:
            store = Neo4jStore(connection.uri, connection.user, connection.password,
                               batch_size=args.batch_size, workers=args.workers)
            fresh: list[float] = []
            reload: list[float] = []
            for repeat in range(args.repeats):
                store.clear()
                fresh_s, _ = timed(lambda: write_batch(store, batch))
                reload_s, _ = timed(lambda: write_batch(store, batch))
                fresh.append(fresh_s)
                reload.append(reload_s)
                log(f"repeat {repeat + 1}: fresh {fresh_s:.1f} s "
                    f"({records / fresh_s:,.0f} records/s), reload {reload_s:.1f} s "
                    f"({records / reload_s:,.0f} records/s)")
            counts = store.counts()
            steps = per_step(store, batch)
            store.close()
        finally:
            server.stop()
    return {
        "server": {"heap": args.heap, "pagecache": args.pagecache},
        "batch_size": args.batch_size,
        "workers": args.workers,
        "fresh": rates(statistics.median(fresh), rows, records),
        "reload": rates(statistics.median(reload), rows, records),
        "runs_s": {"fresh": [round(s, 2) for s in fresh], "reload": [round(s, 2) for s in reload]},
        "counts": counts,
        "fresh_by_step": steps,
    }


def bench_bulk(batch: GraphBatch, records: int, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="riskgraph-bench-") as instance:
        server = LocalNeo4jServer(Path(instance), heap_max=args.heap, pagecache=args.pagecache)
        try:
            seconds, report = timed(lambda: bulk_import(
                batch, server, heap=args.import_heap, max_off_heap=args.import_off_heap))
            connection = server.connection()
            store = Neo4jStore(connection.uri, connection.user, connection.password)
            counts = store.counts()
            store.close()
        finally:
            server.stop()
    expected = {**report.nodes}
    for name, count in report.relationships.items():
        rel_type = name.split("-")[1]
        expected[rel_type] = expected.get(rel_type, 0) + count
    if {k: v for k, v in expected.items() if v} != counts:
        raise RuntimeError(f"imported counts {counts} differ from the files' {expected}")
    return {
        "importer": {"heap": args.import_heap, "max_off_heap": args.import_off_heap},
        "seconds": {name: round(value, 2) for name, value in report.seconds.items()},
        "graph_rows": report.graph_rows,
        "graph_rows_per_s": round(report.graph_rows / seconds),
        "records_per_s": round(records / seconds),
        "csv_mib": round(report.csv_bytes / 2**20),
        "folded_rows": report.folded_rows,
        "dropped_relationships": report.dropped_relationships,
        "empty_lists_set": report.empty_lists_set,
        "importer_peak_rss_mib": round(report.importer_peak_rss / 2**20),
        "counts": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--heap", default="1g", help="server heap (default as the tests')")
    parser.add_argument("--pagecache", default="512m", help="server page cache")
    parser.add_argument("--import-heap", default="1g")
    parser.add_argument("--import-off-heap", default="2g")
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--batch-cache", type=Path, default=None,
                        help="pickle of the rows: written if missing, else read")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "neo4j_load.json")
    args = parser.parse_args()

    batch, records, stages = load_batch(args.enterprises, args.batch_cache)
    rows = batch.size()
    log(f"{records:,} records, {rows:,} graph rows")
    result: dict[str, Any] = {
        "command": " ".join(["bench/neo4j_load.py", *sys.argv[1:]]),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "neo4j_rust_ext": _has_rust_ext(),
        "enterprises": args.enterprises,
        "records": records,
        "graph_rows": rows,
        "stages": stages,
    }
    if not args.skip_incremental:
        log("incremental load")
        result["incremental"] = bench_incremental(batch, records, args)
    if not args.skip_bulk:
        log("bulk import")
        result["bulk_import"] = bench_bulk(batch, records, args)
    result["python_peak_rss_mib"] = round(peak_rss_bytes() / 2**20)

    run = f"{args.enterprises} enterprises"
    if not args.skip_incremental:
        run += f", {args.workers} worker{'s' if args.workers > 1 else ''}"
        run += ", neo4j-rust-ext" if result["neo4j_rust_ext"] else ", pure-Python packstream"
    report = json.loads(args.out.read_text()) if args.out.exists() else {}
    report.setdefault("runs", {})[run] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    summary = {key: value for key, value in result.items()
               if key not in ("incremental", "bulk_import")}
    if "incremental" in result:
        summary["incremental"] = {key: result["incremental"][key] for key in ("fresh", "reload")}
    if "bulk_import" in result:
        summary["bulk_import"] = result["bulk_import"]["seconds"]
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    log(f"wrote {args.out}")


def _has_rust_ext() -> bool:
    try:
        import neo4j._rust  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
