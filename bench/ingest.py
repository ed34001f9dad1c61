"""Benchmark of `riskgraph ingest` into the embedded store: initial load and monthly updates.

    .venv/bin/python -m bench.ingest --enterprises 100000 --repeats 3
    .venv/bin/python -m bench.ingest --enterprises 1000000 --whole-province --repeats 1 \
        --delivery-dir /tmp/rg-bench

With ``--whole-province`` the province is one delivery folder (all records, as a first load
of a real province arrives), timed into an empty store, with this process's peak memory.

Generates a province as monthly delivery folders (Parquet, as a source would send them),
then times `graph.ingest.ingest_folder` into an empty `MemoryStore`: the initial delivery
and the monthly ones after it. Records/s counts valid records read, validated and written
(end to end, from files). Writes medians to ``bench/results/ingest.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.neo4j_load import delivery
from graph.ingest import delivery_folders, ingest_folder
from graph.memory import MemoryStore
from ingestion.formats import write_delivery
from ingestion.synthetic import generate_province, monthly_deliveries

KEY = b"bench-key"


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def one_run(folders: list[Path]) -> dict[str, float]:
    store = MemoryStore()
    initial = ingest_folder(store, folders[0], KEY)
    started = time.perf_counter()
    monthly_records = sum(ingest_folder(store, folder, KEY).records for folder in folders[1:])
    monthly_s = time.perf_counter() - started
    return {
        "initial_records": initial.records,
        "initial_s": initial.seconds,
        "initial_records_per_s": initial.records_per_second,
        "monthly_records": monthly_records,
        "monthly_s": monthly_s,
        "monthly_records_per_s": monthly_records / monthly_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--whole-province", action="store_true",
                        help="one delivery folder with the whole province")
    parser.add_argument("--delivery-dir", type=Path, default=None,
                        help="with --whole-province: keep the delivery folder here")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results/ingest.json")
    args = parser.parse_args()
    console = Console()
    if args.whole_province:
        whole_province(args, console)
        return

    with tempfile.TemporaryDirectory() as root:
        started = time.perf_counter()
        province = generate_province(args.enterprises, seed=0)
        deliveries = monthly_deliveries(province, months=args.months)
        for delivery in deliveries:
            write_delivery(delivery.frames, Path(root) / f"{delivery.month:%Y-%m}")
        prepare_s = time.perf_counter() - started
        del province, deliveries
        console.print(f"generated and wrote {args.months + 1} deliveries in {prepare_s:.1f} s")
        folders = delivery_folders(Path(root))
        runs = []
        for repeat in range(args.repeats):
            run = one_run(folders)
            runs.append(run)
            console.print(
                f"repeat {repeat + 1}: initial {run['initial_records_per_s']:,.0f} records/s, "
                f"monthly {run['monthly_records_per_s']:,.0f} records/s"
            )

    median = {name: round(statistics.median(run[name] for run in runs), 3) for name in runs[0]}
    report: dict[str, Any] = {
        "command": f"bench/ingest.py --enterprises {args.enterprises} --months {args.months} "
                   f"--repeats {args.repeats}",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "enterprises": args.enterprises,
        "median": median,
        "runs": runs,
        "target_records_per_s": 200_000,
        "peak_rss_gib": round(peak_rss_gib(), 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    args.out.write_text(json.dumps({**report, "whole_province": existing.get("whole_province", {})},
                                   indent=2) + "\n")
    console.print_json(json.dumps(median))
    console.print(f"peak RSS {report['peak_rss_gib']} GiB; wrote {args.out}")


def whole_province(args: argparse.Namespace, console: Console) -> None:
    folder = delivery(args.enterprises, args.delivery_dir)
    runs = []
    for repeat in range(args.repeats):
        report = ingest_folder(MemoryStore(), folder, KEY)
        runs.append({"records": report.records, "seconds": round(report.seconds, 2),
                     "write_seconds": round(report.write_seconds, 2),
                     "records_per_s": round(report.records_per_second)})
        console.print(f"repeat {repeat + 1}: {report.records:,} records in "
                      f"{report.seconds:.1f} s, {report.records_per_second:,.0f} records/s")
    result = {
        "command": f"python -m bench.ingest --enterprises {args.enterprises} --whole-province "
                   f"--repeats {args.repeats}",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "median_records_per_s": statistics.median(run["records_per_s"] for run in runs),
        "runs": runs,
        "peak_rss_gib": round(peak_rss_gib(), 2),
    }
    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    existing.setdefault("whole_province", {})[str(args.enterprises)] = result
    args.out.write_text(json.dumps(existing, indent=2) + "\n")
    console.print_json(json.dumps(result))


if __name__ == "__main__":
    main()
