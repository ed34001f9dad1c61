"""Graph risk jobs: train the models, score with the uplift, evaluate any graph.

Everything here imports torch (through gnn/); the CLI imports this module only inside the
commands that need it, so start-up stays light.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from api.pipeline import ClassificationRun, outcome_of
from features.score import IndicatorSystem
from gnn.dataset import scored_export
from gnn.experiment import DEFAULT_MAX_UPLIFT, Experiment, run_time_split
from gnn.explain import occlusion
from gnn.export import GraphExport
from gnn.registry import ModelBundle, load_bundle, save_experiment
from gnn.train import MODELS, TrainConfig
from graph.store import GraphStore
from risk.classify import Classification, Classifier, load_classification_config
from risk.evaluate import Evaluation, evaluate
from risk.uplift import classify_with_uplift, graph_reasons

MIN_EXPLAINED_POINTS = 0.5
MAX_EXPLAINED = 2_000


@dataclass(frozen=True)
class GraphScoringRun:
    run: ClassificationRun
    base: Classification
    uplift: pd.Series
    probability: pd.Series
    bundle: ModelBundle
    export: GraphExport

    def graph_model(self) -> dict[str, Any]:
        """What the month's snapshot records about the model behind the uplift."""
        meta = self.bundle.meta
        return {
            "version": self.bundle.version, "selected": meta["selected"],
            "train_as_of": meta["train_as_of"], "fingerprint": meta["fingerprint"],
            "max_uplift": self.bundle.calibration.max_uplift,
            "enterprises_uplifted": int((self.uplift > 0).sum()),
            "mean_uplift": round(float(self.uplift.mean()), 6) if len(self.uplift) else 0.0,
        }


def train_store(store: GraphStore, test_as_of: dt.date, home: Path,
                system: IndicatorSystem | None = None, *, epochs: int = 60, hidden: int = 32,
                seed: int = 0, batch_size: int = 0, models: tuple[str, ...] = MODELS,
                max_uplift: float = DEFAULT_MAX_UPLIFT) -> tuple[Experiment, Path]:
    """Train as of ``test_as_of`` - 12 months, test as of ``test_as_of`` (the store must
    hold records up to ``test_as_of`` + 12 months), write the versioned model files."""
    system = system or IndicatorSystem()
    config = TrainConfig(epochs=epochs, hidden=hidden, seed=seed, batch_size=batch_size)
    experiment, test = run_time_split(store, test_as_of, system, config, models, max_uplift)
    classifier = Classifier(load_classification_config(indicators=system.config),
                            system.config)
    outcome = test.enterprise_labels()
    base = test.base_score
    probability = experiment.models[experiment.selected].predict_proba(
        test.export.graph)[test.export.enterprise_nodes]
    uplift = pd.Series(experiment.calibration.uplift(probability, base.to_numpy()),
                       index=base.index)
    before = classifier.predict(test.scores)
    after = classify_with_uplift(classifier, test.scores, uplift)
    experiment.metrics["test"]["d_class_discovery_rate"] = {
        "base": _d_rate(before, outcome), "final": _d_rate(after, outcome)}
    experiment.metrics["test"]["uplift"] = {
        "mean": round(float(uplift.mean()), 4), "share_positive": round(
            float((uplift > 0).mean()), 4), "max": round(float(uplift.max()), 4)}
    return experiment, save_experiment(home, experiment)


def _d_rate(classification: Classification, outcome: pd.Series) -> dict[str, float]:
    frame = classification.frame.set_index("uscc")
    d = frame.index[frame["risk_class"] == "D"]
    return {"enterprises": len(d), "discovery_rate": round(
        float(outcome.reindex(d).mean()) if len(d) else float("nan"), 6)}


def score_store(store: GraphStore, as_of: dt.date, home: Path,
                system: IndicatorSystem | None = None, version: str | None = None,
                max_explained: int = MAX_EXPLAINED) -> GraphScoringRun:
    """Base score, graph uplift with the trained model, final classes and graph reasons."""
    system = system or IndicatorSystem()
    bundle = load_bundle(home, version)
    export, tables, scores = scored_export(store, as_of, system)
    expected = tuple(bundle.meta["feature_names"])
    if export.graph.feature_names != expected or \
            export.graph.relations != tuple(bundle.meta["relations"]):
        raise ValueError(f"model {bundle.version} was trained on other features or "
                         f"relations; retrain with `riskgraph train`")
    config = load_classification_config(indicators=system.config)
    classifier = Classifier(config, system.config)
    nodes = export.enterprise_nodes
    probability = bundle.selected.predict_proba(export.graph)[nodes]
    base = scores.base_score.reindex(export.usccs)
    calibration = bundle.calibration
    uplift = pd.Series(calibration.uplift(probability, base.to_numpy()), index=export.usccs)
    base_classification = classifier.predict(scores, tables)
    base_classes = base_classification.frame.set_index("uscc")["risk_class"].reindex(
        export.usccs).to_numpy(dtype=object)
    targets = np.flatnonzero(uplift.to_numpy() >= MIN_EXPLAINED_POINTS)
    targets = targets[np.argsort(-uplift.to_numpy()[targets], kind="stable")][:max_explained]
    attributions = occlusion(bundle.selected, export.graph, targets)
    reasons = graph_reasons(attributions, export, base_classes, uplift)
    final = classify_with_uplift(classifier, scores, uplift, tables, reasons)
    run = ClassificationRun(as_of, scores, final, system.config, config, tables)
    return GraphScoringRun(run, base_classification, uplift,
                           pd.Series(probability, index=export.usccs), bundle, export)


def evaluate_uplift(store: GraphStore, scoring: GraphScoringRun) -> tuple[Evaluation,
                                                                         Evaluation]:
    """Backtest of the base and the final classes against the 12-month outcome."""
    run = scoring.run
    outcome = outcome_of(store, run.as_of, scoring.uplift.index)
    from features.outcome import horizon_end

    end = horizon_end(run.as_of)
    base = evaluate(scoring.base, run.scores.base_score, outcome, run.as_of, end)
    final_score = run.classification.frame.set_index("uscc")["score"]
    return base, evaluate(run.classification, final_score, outcome, run.as_of, end)
