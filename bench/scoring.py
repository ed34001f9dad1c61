"""Scoring and explanations of a synthetic province on the embedded store.

    .venv/bin/python -m bench.scoring --enterprises 100000 --repeats 3

(``-m`` from the checkout, so that its own packages are the ones measured.) Generates the
province, loads it into a ``MemoryStore`` (validated frames, no files), then times, per
repeat: ``read_tables`` as of 2026-10-31, the raw values and scores of every indicator
(general and sector), the classification with reasons, the records behind them and the
counterfactuals, and writing the month's snapshot. Medians go into
``bench/results/scoring.json`` under the number of enterprises, with the parameters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import log, peak_rss_mib, save_run, timed
from features.score import IndicatorSystem
from features.tables import read_tables
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from risk.classify import Classifier, load_classification_config
from risk.snapshot import write_snapshot

AS_OF = dt.date(2026, 10, 31)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "scoring.json")
    args = parser.parse_args()

    log(f"generating and loading {args.enterprises:,} enterprises")
    province = generate_province(args.enterprises, seed=args.seed, as_of=AS_OF)
    store = MemoryStore()
    load_s, _ = timed(lambda: write_batch(store, delivery_to_batch(
        validate_frames(province.frames()), PersonPseudonyms(b"bench"))))
    log(f"loaded in {load_s:.1f} s")
    system = IndicatorSystem()
    config = load_classification_config(indicators=system.config)
    classifier = Classifier(config, system.config)
    stages: dict[str, list[float]] = {"read_tables": [], "score": [], "classify_explain": [],
                                      "snapshot": []}
    counts: dict[str, int] = {}
    for repeat in range(args.repeats):
        read_s, tables = timed(partial(read_tables, store, AS_OF))
        score_s, scores = timed(partial(system.score, tables))
        classify_s, classification = timed(partial(classifier.predict, scores, tables))
        with tempfile.TemporaryDirectory() as folder:
            snapshot_s, _ = timed(partial(write_snapshot, Path(folder), AS_OF, classification,
                                          scores, system.config, config))
        for name, seconds in (("read_tables", read_s), ("score", score_s),
                              ("classify_explain", classify_s), ("snapshot", snapshot_s)):
            stages[name].append(seconds)
        counts = {str(k): int(v) for k, v in classification.class_counts().items()}
        log(f"repeat {repeat + 1}: read {read_s:.2f} s, score {score_s:.2f} s, classify and "
            f"explain {classify_s:.2f} s, snapshot {snapshot_s:.2f} s")
    medians = {name: round(statistics.median(values), 3) for name, values in stages.items()}
    scoring_and_explanations = medians["score"] + medians["classify_explain"]
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "params": vars(args) | {"out": str(args.out)},
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "enterprises_scored": len(tables.usccs),
        "indicators": len(system.config.indicators),
        "load_s": round(load_s, 3),
        "median_s": medians,
        "scoring_and_explanations_s": round(scoring_and_explanations, 3),
        "enterprises_per_second": round(len(tables.usccs) / scoring_and_explanations),
        "class_counts": counts,
        "peak_rss_mib": peak_rss_mib(),
    }
    save_run(args.out, f"{args.enterprises} enterprises", report)


if __name__ == "__main__":
    main()
