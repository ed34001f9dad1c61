"""One run: every model trained on an earlier date and tested on a later one.

Training date :math:`T_0 = T_1 - 12` months: the graph models and the baseline are fitted
on 80 % of its enterprises (stratified, seeded), the best epoch and the calibration
(:class:`gnn.calibrate.UpliftCalibration`) come from the other 20 %. Testing date
:math:`T_1`: every model predicts from the graph and features as of :math:`T_1` and is
scored against the outcome of :math:`(T_1, T_1 + 12]`. The graph model kept for the uplift
is the one with the best validation AUC (never chosen on the test date).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from features.score import IndicatorSystem
from gnn.calibrate import UpliftCalibration
from gnn.dataset import LabelledGraph, earlier, labelled_graph
from gnn.metrics import report, roc_auc
from gnn.train import GRAPH_MODELS, MODELS, GraphRiskClassifier, TrainConfig, stratified_split
from graph.store import GraphStore

DEFAULT_MAX_UPLIFT = 10.0


@dataclass
class Experiment:
    train_as_of: dt.date
    test_as_of: dt.date | None
    models: dict[str, GraphRiskClassifier]
    calibration: UpliftCalibration
    selected: str
    fingerprint: str
    metrics: dict[str, Any] = field(default_factory=dict)
    feature_names: tuple[str, ...] = ()
    relations: tuple[str, ...] = ()
    in_channels: int = 0


def fit_models(train: LabelledGraph, config: TrainConfig, models: tuple[str, ...] = MODELS,
               max_uplift: float = DEFAULT_MAX_UPLIFT) -> Experiment:
    """Fit ``models`` on ``train`` (validation split inside it), pick and calibrate."""
    graph, y = train.export.graph, train.y
    enterprises = train.export.enterprise_nodes
    fit_nodes, validation = stratified_split(y, enterprises, (0.8,), config.seed)
    fitted: dict[str, GraphRiskClassifier] = {}
    metrics: dict[str, Any] = {"train": {}}
    for name in models:
        started = time.perf_counter()
        model = GraphRiskClassifier(replace(config, model=name)).fit(graph, y, fit_nodes,
                                                                     validation)
        probability = model.predict_proba(graph)
        fitted[name] = model
        metrics["train"][name] = {
            "validation_auc": round(roc_auc(y[validation], probability[validation]), 6),
            "best_epoch": model.best_epoch, "seconds_per_epoch": round(model.epoch_seconds, 4),
            "seconds": round(time.perf_counter() - started, 2),
        }
    graph_models = [m for m in models if m in GRAPH_MODELS] or list(models)
    selected = max(graph_models, key=lambda m: metrics["train"][m]["validation_auc"])
    probability = fitted[selected].predict_proba(graph)
    base = train.base_score.to_numpy(dtype=float)
    y_enterprise = y[enterprises]
    calibration = UpliftCalibration.fit(
        probability[validation], y[validation], base, y_enterprise, max_uplift)
    return Experiment(
        train.export.as_of, None, fitted, calibration, selected,
        graph.fingerprint(np.nan_to_num(y, nan=-1.0)), metrics,
        train.export.graph.feature_names, graph.relations, graph.x.shape[1])


def test_models(experiment: Experiment, test: LabelledGraph) -> dict[str, Any]:
    """Every model's metrics on the later date, and the uplift's effect on the ranking."""
    graph, y = test.export.graph, test.y
    nodes = test.export.enterprise_nodes
    result: dict[str, Any] = {}
    for name, model in experiment.models.items():
        probability = model.predict_proba(graph)[nodes]
        result[name] = report(y[nodes], probability)
    base = test.base_score.to_numpy(dtype=float)
    result["base_score"] = report(y[nodes], base, threshold=float("inf"))
    probability = experiment.models[experiment.selected].predict_proba(graph)[nodes]
    final = base + experiment.calibration.uplift(probability, base)
    result["final_score"] = report(y[nodes], final, threshold=float("inf"))
    experiment.test_as_of = test.export.as_of
    experiment.metrics["test"] = result
    return result


def run_time_split(store: GraphStore, test_as_of: dt.date, system: IndicatorSystem,
                   config: TrainConfig, models: tuple[str, ...] = MODELS,
                   max_uplift: float = DEFAULT_MAX_UPLIFT) -> tuple[Experiment, LabelledGraph]:
    """Train as of ``test_as_of`` - 12 months, test as of ``test_as_of``."""
    # The training graph is let go before the test graph is built (memory at scale).
    experiment = fit_models(labelled_graph(store, earlier(test_as_of), system), config,
                            models, max_uplift)
    test = labelled_graph(store, test_as_of, system)
    test_models(experiment, test)
    return experiment, test
