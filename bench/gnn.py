"""Graph risk models on a synthetic province: time per epoch, peak memory, test metrics.

    .venv/bin/python -m bench.gnn --enterprises 100000 --epochs 40

(``-m`` from the checkout.) Generates the province, loads it into a ``MemoryStore``,
builds the labelled graphs (training date 2024-10-31 with the outcome to 2025-10-31,
testing date 2025-10-31 with the outcome to 2026-10-31), trains every model full-batch
(:mod:`gnn.experiment`), tests them, times the inference and the occlusion reasons of the
most uplifted enterprises, and writes ``bench/results/gnn.json`` under the number of
enterprises. Peak RSS is the process's (``ru_maxrss``); the 1,000,000-enterprise figure
is extrapolated linearly from the growth of RSS over the graph phase.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.common import log, peak_rss_mib, save_run, timed
from features.score import IndicatorSystem
from gnn.dataset import labelled_graph
from gnn.experiment import fit_models, test_models
from gnn.explain import occlusion
from gnn.train import TrainConfig
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from risk.classify import Classifier, load_classification_config
from risk.uplift import classify_with_uplift

AS_OF = dt.date(2026, 10, 31)
TRAIN, TEST = dt.date(2024, 10, 31), dt.date(2025, 10, 31)


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def province_store(enterprises: int, seed: int) -> MemoryStore:
    """The synthetic province, validated and written into a fresh ``MemoryStore``."""
    province = generate_province(enterprises, seed=seed, as_of=AS_OF)
    store = MemoryStore()
    write_batch(store, delivery_to_batch(validate_frames(province.frames()),
                                         PersonPseudonyms(b"bench")))
    return store


def jobs(args: argparse.Namespace) -> None:
    """``riskgraph train`` then ``riskgraph score`` on a saved store, each timed."""
    from api.graph_risk import score_store, train_store

    if args.prepare:
        seconds, store = timed(lambda: province_store(args.enterprises, args.seed))
        store.save(args.store)
        log(f"province of {args.enterprises:,} enterprises loaded in {seconds:.0f} s and saved "
            f"to {args.store}; peak RSS {peak_rss_mib()} MiB")
        return
    load_s, store = timed(lambda: MemoryStore.load(args.store))
    log(f"store loaded in {load_s:.0f} s, RSS {rss_mib():.0f} MiB")
    system = IndicatorSystem()
    home = Path(tempfile.mkdtemp(prefix="rg-bench-gnn-"))
    load_before = os.getloadavg()
    train_s, (experiment, folder) = timed(lambda: train_store(
        store, TEST, home, system, epochs=args.epochs, hidden=args.hidden, seed=args.seed,
        batch_size=args.batch_size))
    peak_train = peak_rss_mib()
    log(f"train job {train_s:.0f} s, peak RSS {peak_train} MiB")
    score_s, scored = timed(lambda: score_store(store, AS_OF, home, system))
    log(f"score job {score_s:.0f} s, peak RSS {peak_rss_mib()} MiB")
    test = experiment.metrics["test"]
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "params": {k: str(v) for k, v in vars(args).items()},
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "seconds": {"store_load": round(load_s, 1), "train_job": round(train_s, 1),
                    "score_job": round(score_s, 1),
                    "train_plus_score": round(train_s + score_s, 1)},
        "peak_rss_mib": {"after_train": peak_train, "after_score": peak_rss_mib()},
        "train": experiment.metrics["train"],
        "test_auc": {name: test[name]["auc"] for name in test if "auc" in test[name]},
        "d_class_discovery_rate": test["d_class_discovery_rate"],
        "scored_enterprises": len(scored.uplift),
        "explained": int((scored.run.classification.frame["graph_reason_zh"] != "").sum()),
        "model_folder": str(folder),
    }
    save_run(args.out, f"{args.enterprises} enterprises, train and score jobs", report)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--explain", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=0,
                        help="targets per mini-batch (0: full batch)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "gnn.json")
    parser.add_argument("--jobs", action="store_true",
                        help="time the train and score jobs on --store instead")
    parser.add_argument("--store", type=Path, default=Path("/tmp/rg-bench/gnn-store.pickle"))
    parser.add_argument("--prepare", action="store_true",
                        help="with --jobs: generate the province into --store and stop")
    args = parser.parse_args()
    if args.jobs:
        jobs(args)
        return

    started = time.perf_counter()
    store = province_store(args.enterprises, args.seed)
    log(f"province generated and loaded in {time.perf_counter() - started:.1f} s")
    system = IndicatorSystem()
    t0 = time.perf_counter()
    train = labelled_graph(store, TRAIN, system)
    test = labelled_graph(store, TEST, system)
    graphs_s = time.perf_counter() - t0
    graph = train.export.graph
    log(f"labelled graphs in {graphs_s:.1f} s: {graph.num_nodes:,} nodes, "
        f"{graph.num_edges // 2:,} edges, {graph.x.shape[1]} features")
    rss_before = rss_mib()
    t0 = time.perf_counter()
    config = TrainConfig(epochs=args.epochs, hidden=args.hidden, seed=args.seed,
                         batch_size=args.batch_size)
    experiment = fit_models(train, config)
    train_s = time.perf_counter() - t0
    peak_training = peak_mib()
    log(f"trained in {train_s:.1f} s; peak RSS {peak_training:.0f} MiB")
    t0 = time.perf_counter()
    metrics = test_models(experiment, test)
    test_s = time.perf_counter() - t0
    selected = experiment.models[experiment.selected]
    nodes = test.export.enterprise_nodes
    probability = selected.predict_proba(test.export.graph)[nodes]
    base = test.base_score.to_numpy(dtype=float)
    uplift = experiment.calibration.uplift(probability, base)
    classifier = Classifier(load_classification_config(indicators=system.config),
                            system.config)
    outcome = test.enterprise_labels()
    discovery: dict[str, dict[str, float]] = {}
    for name, classification in (
            ("base", classifier.predict(test.scores)),
            ("final", classify_with_uplift(classifier, test.scores,
                                           pd.Series(uplift, index=test.export.usccs)))):
        frame = classification.frame.set_index("uscc")
        discovery[name] = {
            cls: round(float(outcome.reindex(frame.index[frame["risk_class"] == cls]).mean()),
                       4) for cls in ("A", "B", "C", "D")}
        discovery[name]["D_count"] = int((frame["risk_class"] == "D").sum())
    targets = np.argsort(-uplift, kind="stable")[: args.explain]
    t0 = time.perf_counter()
    attributions = occlusion(selected, test.export.graph, targets.astype(np.int64))
    explain_s = time.perf_counter() - t0
    rss_growth = max(peak_mib() - rss_before, 0.0)
    scale = 1_000_000 / args.enterprises
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "params": vars(args) | {"out": str(args.out)},
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "graph": {"nodes": graph.num_nodes, "enterprises": len(train.export.usccs),
                  "edges": graph.num_edges // 2, "features": int(graph.x.shape[1]),
                  "edges_by_relation": train.export.edge_counts(),
                  "positive_share_train": round(float(np.nanmean(train.y)), 4),
                  "positive_share_test": round(float(np.nanmean(test.y)), 4)},
        "seconds": {"labelled_graphs": round(graphs_s, 2), "training_all_models":
                    round(train_s, 2), "testing": round(test_s, 2),
                    "explain": round(explain_s, 2),
                    "explain_per_enterprise": round(explain_s / max(len(targets), 1), 4)},
        "seconds_per_epoch": {name: m["seconds_per_epoch"]
                              for name, m in experiment.metrics["train"].items()},
        "validation_auc": {name: m["validation_auc"]
                           for name, m in experiment.metrics["train"].items()},
        "best_epoch": {name: m["best_epoch"] for name, m in experiment.metrics["train"].items()},
        "test_auc_gap_vs_logistic": {
            name: round(metrics[name]["auc"] - metrics["logistic"]["auc"], 6)
            for name in metrics if name != "logistic"},
        "selected": experiment.selected,
        "test": {name: {k: metrics[name][k] for k in ("auc", "average_precision",
                                                       "recall_at_k")}
                 for name in metrics},
        "uplift": {"mean": round(float(uplift.mean()), 4),
                   "share_positive": round(float((uplift > 0).mean()), 4)},
        "discovery_rate_by_class": discovery,
        "attributions": len(attributions),
        "peak_rss_mib": round(peak_mib()),
        "peak_rss_training_mib": round(peak_training),
        "graph_phase_rss_growth_mib": round(rss_growth),
        "estimate_1m_enterprises": {
            "graph_phase_mib": round(rss_growth * scale),
            "peak_rss_mib_linear": round(peak_mib() * scale),
            "seconds_per_epoch": {name: round(m["seconds_per_epoch"] * scale, 2)
                                  for name, m in experiment.metrics["train"].items()},
        },
    }
    save_run(args.out, f"{args.enterprises} enterprises", report)


if __name__ == "__main__":
    main()
