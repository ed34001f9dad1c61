"""Spot-check draw and warning rules over a synthetic province on the embedded store.

    .venv/bin/python -m bench.supervision --enterprises 100000 --repeats 3

(``-m`` from the checkout, so that its own packages are the ones measured.) Generates the
province, loads it into a ``MemoryStore``, reads the tables and classifies as of
2026-10-31 (not timed here: see ``bench/scoring.py``), then times, per repeat: building
the draw's population, the draw of a province-wide plan (default ratios, 44 inspectors
in 11 prefectures, teams of two, own region avoided) and every warning rule of
``risk/supervision.toml`` (the class rules against a previous month where 2% of the
enterprises had another class). Medians go into ``bench/results/supervision.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import log, peak_rss_mib
from features.score import IndicatorSystem
from features.tables import read_tables
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from risk.classify import CLASSES, Classifier, load_classification_config
from risk.early_warning import run_rules
from risk.spotcheck import Inspector, Plan, draw, load_supervision_config, population

AS_OF = dt.date(2026, 10, 31)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "supervision.json")
    args = parser.parse_args()

    log(f"generating {args.enterprises:,} enterprises")
    province = generate_province(args.enterprises, seed=args.seed, as_of=AS_OF)
    store = MemoryStore()
    write_batch(store, delivery_to_batch(validate_frames(province.frames()),
                                         PersonPseudonyms(b"bench")))
    tables = read_tables(store, AS_OF)
    system = IndicatorSystem()
    scores = system.score(tables)
    classifier = Classifier(load_classification_config(indicators=system.config), system.config)
    classes, _ = classifier.apply_rules(classifier.classes_from_score(scores.base_score),
                                        scores.raw)
    rng = np.random.default_rng(1)
    previous = classes.copy()
    flip = rng.random(len(previous)) < 0.02
    previous[flip] = np.asarray(CLASSES)[rng.integers(0, 4, int(flip.sum()))]

    prefectures = sorted(tables.enterprises["region_code"].str[:4].unique())
    inspectors = tuple(Inspector(inspector_id=f"{p}-{k}", name=f"检查员{p}{k}",
                                 unit=f"{p}00 市场监管局", region_code=p)
                       for p in prefectures for k in range(4))
    config = load_supervision_config()
    plan = Plan.from_policy(config.spotcheck, task_id="bench", title_zh="基准",
                            title_en="bench", as_of=AS_OF.isoformat(),
                            check_items=("登记事项",), inspectors=inspectors, seed=42)
    times: dict[str, list[float]] = {"population": [], "draw": [], "warnings": []}
    result: Any = None
    warnings = pd.DataFrame()
    for repeat in range(args.repeats):
        started = time.perf_counter()
        pool = population(tables, classes)
        times["population"].append(time.perf_counter() - started)
        started = time.perf_counter()
        result = draw(plan, pool)
        times["draw"].append(time.perf_counter() - started)
        started = time.perf_counter()
        warnings = run_rules(config.warnings, tables, classes, previous)
        times["warnings"].append(time.perf_counter() - started)
        log(f"repeat {repeat + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))

    report = {
        "date": dt.date.today().isoformat(),
        "params": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "enterprises": len(classes),
        "inspectors": len(inspectors),
        "median_s": {k: round(statistics.median(v), 3) for k, v in times.items()},
        "drawn": len(result.frame),
        "drawn_by_class": {k: int(v) for k, v in result.pool["drawn"].items()},
        "inspector_load_min_max": [int(result.loads.min()), int(result.loads.max())],
        "warnings_by_rule": {k: int(v) for k, v in warnings.groupby("rule").size().items()},
        "peak_rss_mib": peak_rss_mib(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(args.out.read_text()) if args.out.exists() else {"runs": {}}
    existing["runs"][f"{args.enterprises} enterprises"] = report
    args.out.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
