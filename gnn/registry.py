"""Trained models as versioned files under ``<home>/models/<version>/``.

A version folder holds ``<model>.pt`` (a torch ``state_dict`` per model) and
``model.json``: the version, training and test dates, the config, the metrics, the
training data's fingerprint (SHA-256 of features, edges and labels), the feature and
relation names the weights expect, the selected graph model and its calibration. The
version is ``<training date>-<fingerprint[:12]>``: the same data and config give the same
version and the same files; ``LATEST`` names the most recently written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from gnn.calibrate import UpliftCalibration
from gnn.experiment import Experiment
from gnn.train import GraphRiskClassifier, TrainConfig

FORMAT = "riskgraph-gnn/2"  # 2: neighbourhood features; the baseline reads own ones


def models_root(home: Path) -> Path:
    return home / "models"


@dataclass(frozen=True)
class ModelBundle:
    version: str
    meta: dict[str, Any]
    models: dict[str, GraphRiskClassifier]
    calibration: UpliftCalibration

    @property
    def selected(self) -> GraphRiskClassifier:
        return self.models[self.meta["selected"]]


def save_experiment(home: Path, experiment: Experiment) -> Path:
    version = f"{experiment.train_as_of.isoformat()}-{experiment.fingerprint[:12]}"
    folder = models_root(home) / version
    folder.mkdir(parents=True, exist_ok=True)
    configs = {}
    for name, model in experiment.models.items():
        torch.save(model.state_dict(), folder / f"{name}.pt")
        configs[name] = model.config.to_dict()
    meta = {
        "format": FORMAT, "version": version,
        "train_as_of": experiment.train_as_of.isoformat(),
        "test_as_of": experiment.test_as_of.isoformat() if experiment.test_as_of else None,
        "fingerprint": experiment.fingerprint, "selected": experiment.selected,
        "configs": configs, "metrics": experiment.metrics,
        "feature_names": list(experiment.feature_names),
        "relations": list(experiment.relations), "in_channels": experiment.in_channels,
        "calibration": experiment.calibration.to_dict(),
    }
    (folder / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    (models_root(home) / "LATEST").write_text(version + "\n", encoding="utf-8")
    return folder


def load_bundle(home: Path, version: str | None = None) -> ModelBundle:
    """The models of ``version`` (default: the latest written)."""
    root = models_root(home)
    if version is None:
        latest = root / "LATEST"
        if not latest.exists():
            raise FileNotFoundError(f"no trained model under {root}; run `riskgraph train` "
                                    f"first")
        version = latest.read_text(encoding="utf-8").strip()
    folder = root / version
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{folder / 'model.json'}: format {meta.get('format')!r}, "
                         f"expected {FORMAT!r}")
    models = {
        name: GraphRiskClassifier.from_state(
            TrainConfig(**config),
            torch.load(folder / f"{name}.pt", weights_only=True),
            int(meta["in_channels"]), len(meta["relations"]), tuple(meta["feature_names"]))
        for name, config in meta["configs"].items()
    }
    return ModelBundle(version, meta, models, UpliftCalibration.from_dict(meta["calibration"]))
