"""Supervision simulation: 12 monthly cycles on a synthetic province (embedded store).

    .venv/bin/python -m bench.simulation --enterprises 20000 --months 12

(``-m`` from the checkout, so that its own packages are the ones measured.) Generates and
loads the province (not timed here: see ``bench/ingest.py``), then runs
:func:`risk.simulation.simulate`: per month, classify, draw, simulate the outcomes from the
hidden risk, record them; a uniform random plan of the same size alongside. Times each
month's cycle (median over the months) and reports the discovery rate per class with
Wilson intervals, problems per inspection risk-based vs uniform and the gain. Writes the
plots and page under ``--report`` and the figures into ``bench/results/simulation.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import log, peak_rss_mib, save_run, timed
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from risk.feedback import PlanStore
from risk.simulation import simulate, write_simulation_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2026, 1, 31))
    parser.add_argument("--report", type=Path, default=Path("out/reports"))
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "simulation.json")
    args = parser.parse_args()

    log(f"generating and loading {args.enterprises:,} enterprises")
    province = generate_province(args.enterprises, seed=args.seed, as_of=args.start)
    store = MemoryStore()
    write_batch(store, delivery_to_batch(validate_frames(province.frames()),
                                         PersonPseudonyms(b"bench")))
    seconds: list[float] = []
    last = time.perf_counter()

    def progress(month: str, drawn: int) -> None:
        nonlocal last
        now = time.perf_counter()
        seconds.append(now - last)
        last = now
        log(f"{month}: {drawn:,} drawn, cycle {seconds[-1]:.1f} s, load {os.getloadavg()[0]:.1f}")

    with tempfile.TemporaryDirectory() as folder:
        last = time.perf_counter()
        total, result = timed(lambda: simulate(province, store, PlanStore(Path(folder)),
                                               months=args.months, seed=args.seed,
                                               progress=progress))
    page = write_simulation_report(result, args.report)
    figures = result.to_dict()
    report = {
        "date": dt.date.today().isoformat(),
        "params": {k: str(v) if isinstance(v, Path | dt.date) else v
                   for k, v in vars(args).items()},
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": os.cpu_count()},
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "seconds_total": round(total, 2),
        "seconds_per_month_median": round(statistics.median(seconds), 2),
        "peak_rss_mib": peak_rss_mib(),
        "by_class": figures["by_class"],
        "per_inspection": figures["per_inspection"],
        "gain": figures["gain"],
        "rising_A_to_D": figures["rising_A_to_D"],
        "report": str(page),
    }
    save_run(args.out, f"{args.enterprises} enterprises, {args.months} months", report)


if __name__ == "__main__":
    main()
