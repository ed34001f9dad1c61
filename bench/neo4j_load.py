"""Benchmark of loading a province into Neo4j from delivery files: upserts and the importer.

    .venv/bin/python -m bench.neo4j_load --enterprises 20000 --repeats 3
    .venv/bin/python -m bench.neo4j_load --enterprises 1000000 --skip-incremental

A synthetic province is written as one Parquet delivery folder (``--delivery-dir`` keeps
it for later runs), then loaded on servers started here (each in a temporary instance,
stopped at the end), end to end from the files as ``riskgraph ingest`` does:

* incremental: ``graph.ingest.ingest_folder`` into an empty database through
  ``Neo4jStore`` (the fresh load), then the same folder again (every row an update);
  medians over ``--repeats`` of the whole time and of the time spent writing;
* bulk: ``graph.ingest.bulk_ingest_folder`` (``riskgraph ingest --bulk``): validation,
  CSV files, ``neo4j-admin database import full``, server start, constraints; seconds per
  step and the peak memory of this process and of the importer's JVM.

Results go into ``bench/results/neo4j_load.json`` under the run's settings (other runs'
results are kept), with the command that produced them. The report says whether the
driver's ``neo4j-rust-ext`` packstream codec was installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import cpu_seconds, load_average, log, peak_rss_mib, timed
from graph.ingest import IngestReport, bulk_ingest_folder, ingest_folder
from graph.neo4j_store import Neo4jStore
from graph.server import LocalNeo4jServer
from ingestion.formats import write_delivery
from ingestion.synthetic import generate_province

KEY = b"bench-key"


def delivery(enterprises: int, directory: Path | None) -> Path:
    """The province's delivery folder, written unless ``directory`` holds it already."""
    folder = (directory or Path(tempfile.mkdtemp(prefix="riskgraph-bench-"))) / (
        f"province-{enterprises}")
    if (folder / "enterprises.parquet").exists():
        log(f"using {folder}")
        return folder
    log(f"generating {enterprises:,} enterprises into {folder}")
    write_delivery(generate_province(enterprises, seed=1).frames(), folder, "parquet")
    return folder


@dataclass
class Load:
    """One load: the ingest report, the server's CPU seconds and the load average."""

    report: IngestReport
    server_cpu_s: float
    load_average: float


def measured_load(store: Neo4jStore, folder: Path, server_pid: int) -> Load:
    before = cpu_seconds(server_pid)
    report = ingest_folder(store, folder, KEY)
    return Load(report, cpu_seconds(server_pid) - before, load_average())


def rates(load: Load) -> dict[str, float]:
    report = load.report
    return {
        "seconds": round(report.seconds, 2),
        "write_seconds": round(report.write_seconds, 2),
        "records_per_s": round(report.records_per_second),
        "records_per_write_s": round(report.records / report.write_seconds),
        "server_cpu_s": round(load.server_cpu_s, 2),
        "records_per_server_cpu_s": round(report.records / load.server_cpu_s),
        "load_average": load.load_average,
    }


def bench_incremental(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="riskgraph-bench-") as instance:
        server = LocalNeo4jServer(Path(instance), heap_max=args.heap, pagecache=args.pagecache)
        connection = server.start()
        pid = server.pid
        if pid is None:
            raise RuntimeError("the server started but its process is gone")
        try:
            store = Neo4jStore(connection.uri, connection.user, connection.password,
                               batch_size=args.batch_size, workers=args.workers)
            fresh: list[Load] = []
            reload: list[Load] = []
            for repeat in range(args.repeats):
                store.clear()
                fresh.append(measured_load(store, folder, pid))
                reload.append(measured_load(store, folder, pid))
                log(f"repeat {repeat + 1}: fresh {fresh[-1].report.seconds:.1f} s (writing "
                    f"{fresh[-1].report.write_seconds:.1f} s, server CPU "
                    f"{fresh[-1].server_cpu_s:.1f} s), reload {reload[-1].report.seconds:.1f} s, "
                    f"load average {reload[-1].load_average}")
            counts = store.counts()
            store.close()
        finally:
            server.stop()

    def median(loads: list[Load]) -> dict[str, Any]:
        middle = sorted(loads, key=lambda load: load.report.seconds)[len(loads) // 2]
        return {**rates(middle), "runs_s": [round(load.report.seconds, 2) for load in loads]}

    def write_rate(loads: list[Load]) -> int:
        return round(statistics.median(load.report.records / load.report.write_seconds
                                       for load in loads))

    return {
        "server": {"heap": args.heap, "pagecache": args.pagecache},
        "batch_size": args.batch_size,
        "workers": args.workers,
        "records": fresh[0].report.records,
        "graph_rows": fresh[0].report.graph_rows,
        "fresh": median(fresh),
        "reload": median(reload),
        "write_records_per_s_median": {"fresh": write_rate(fresh), "reload": write_rate(reload)},
        "counts": counts,
    }


def bench_bulk(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="riskgraph-bench-") as instance:
        server = LocalNeo4jServer(Path(instance), heap_max=args.heap, pagecache=args.pagecache)
        try:
            report, imported = bulk_ingest_folder(server, folder, KEY)
            connection = server.connection()
            store = Neo4jStore(connection.uri, connection.user, connection.password)
            counts = store.counts()
            store.close()
        finally:
            server.stop()
    if sum(counts.values()) != imported.graph_rows:
        raise RuntimeError(f"the database holds {counts}, the import wrote {imported.graph_rows}")
    return {
        "seconds": round(report.seconds, 2),
        "validate_and_csv_s": round(report.seconds - report.write_seconds, 2),
        "import_steps_s": {name: round(value, 2) for name, value in imported.seconds.items()},
        "records": report.records,
        "quarantined": len(report.quarantine),
        "graph_rows": imported.graph_rows,
        "records_per_s": round(report.records_per_second),
        "csv_mib": round(imported.csv_bytes / 2**20),
        "importer_peak_rss_mib": round(imported.importer_peak_rss / 2**20),
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
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--delivery-dir", type=Path, default=None,
                        help="keep the generated delivery folder here for later runs")
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "neo4j_load.json")
    args = parser.parse_args()

    generate_s, folder = timed(lambda: delivery(args.enterprises, args.delivery_dir))
    result: dict[str, Any] = {
        "command": " ".join(["python -m bench.neo4j_load", *sys.argv[1:]]),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "neo4j_rust_ext": _has_rust_ext(),
        "enterprises": args.enterprises,
        "write_delivery_files_s": round(generate_s, 2),
    }
    if not args.skip_bulk:
        log("bulk import")
        result["bulk"] = bench_bulk(folder, args)
        result["python_peak_rss_mib_after_bulk"] = peak_rss_mib()
    if not args.skip_incremental:
        log("incremental load")
        result["incremental"] = bench_incremental(folder, args)
    result["python_peak_rss_mib"] = peak_rss_mib()

    run = f"{args.enterprises} enterprises"
    if not args.skip_incremental:
        run += f", {args.workers} worker{'s' if args.workers > 1 else ''}"
        run += ", neo4j-rust-ext" if result["neo4j_rust_ext"] else ", pure-Python packstream"
    if args.skip_incremental:
        run += ", bulk only"
    report = json.loads(args.out.read_text()) if args.out.exists() else {}
    # Runs measured before the load went file to store are not comparable: dropped.
    report["runs"] = {name: value for name, value in report.get("runs", {}).items()
                      if "write_delivery_files_s" in value}
    report["runs"][run] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    log(f"wrote {args.out}")


def _has_rust_ext() -> bool:
    try:
        import neo4j._rust  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
