r"""Data-driven indicator weights, fitted from past outcomes, kept on the AHP tree.

A logistic model of the 12-month outcome on the general indicators' sub-scores,
:math:`P(y_e = 1) = \sigma(\beta_0 + \sum_i \beta_i s_{ei} / 100)`, is fitted with
:math:`\beta_i \ge 0` (a higher risk sub-score may never lower the risk) and a small L2
penalty. The global weights are :math:`\beta_i / \sum_j \beta_j`; groups and dimensions
get the sums of their indicators' weights, so the tree is unchanged. Nothing switches
to them on its own: the operator picks ``--weights fitted`` (or ``[weights]`` in the
config), and every run says which weights it used.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize

from features.config import IndicatorSystemConfig
from features.quality import auc

L2 = 1e-3


@dataclass(frozen=True)
class FittedWeights:
    as_of: dt.date
    config_version: str
    config_digest: str
    enterprises: int
    positives: int
    indicator_weights: dict[str, float]
    ahp_weights: dict[str, float]
    auc_ahp: float
    auc_fitted: float

    @property
    def distance(self) -> float:
        """Total-variation distance to the AHP weights: half the sum of |differences|."""
        return 0.5 * sum(abs(self.indicator_weights[n] - self.ahp_weights[n])
                         for n in self.ahp_weights)

    def comparison(self, config: IndicatorSystemConfig) -> pd.DataFrame:
        """Per indicator: dimension, AHP weight, fitted weight, difference."""
        frame = pd.DataFrame({
            "indicator": list(self.ahp_weights),
            "dimension": [config.dimension_of(n) for n in self.ahp_weights],
            "ahp": list(self.ahp_weights.values()),
            "fitted": [self.indicator_weights[n] for n in self.ahp_weights],
        })
        frame["difference"] = frame["fitted"] - frame["ahp"]
        return frame

    def to_json(self) -> str:
        document: dict[str, Any] = {
            "kind": "riskgraph fitted indicator weights",
            "as_of": self.as_of.isoformat(), "config_version": self.config_version,
            "config_digest": self.config_digest, "enterprises": self.enterprises,
            "positives": self.positives, "auc_ahp": round(self.auc_ahp, 6),
            "auc_fitted": round(self.auc_fitted, 6), "distance_to_ahp": round(self.distance, 6),
            "indicator_weights": {k: round(v, 8) for k, v in self.indicator_weights.items()},
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def _nonnegative_logistic(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
                          ) -> npt.NDArray[np.float64]:
    n, k = x.shape

    def loss(theta: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        z = theta[0] + x @ theta[1:]
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(np.logaddexp(0.0, z) - y * z) / n + L2 * theta[1:] @ theta[1:])
        residual = (p - y) / n
        gradient = np.concatenate([[residual.sum()], x.T @ residual + 2 * L2 * theta[1:]])
        return value, gradient

    start = np.zeros(k + 1)
    bounds = [(None, None)] + [(0.0, None)] * k
    result = minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds)
    coefficients: npt.NDArray[np.float64] = result.x[1:]
    return coefficients


def fit_weights(config: IndicatorSystemConfig, sub: pd.DataFrame, outcome: pd.Series,
                as_of: dt.date) -> FittedWeights:
    """Non-negative weights of the general indicators that best predict ``outcome``."""
    names = list(config.general_indicators)
    x = sub[names].to_numpy(dtype=float) / 100.0
    y = outcome.reindex(sub.index).to_numpy(dtype=float)
    if y.sum() == 0 or y.sum() == len(y):
        raise ValueError("the outcome has a single class: nothing to fit weights on")
    beta = _nonnegative_logistic(x, y)
    if beta.sum() <= 0:
        raise ValueError("no indicator predicts the outcome: all fitted weights are 0")
    fitted = {name: float(b / beta.sum()) for name, b in zip(names, beta, strict=True)}
    ahp = config.global_weights()
    score_ahp = pd.Series(x @ np.asarray([ahp[n] for n in names]), index=sub.index)
    score_fit = pd.Series(x @ np.asarray([fitted[n] for n in names]), index=sub.index)
    truth = pd.Series(y, index=sub.index)
    return FittedWeights(as_of, config.version, config.digest, len(y), int(y.sum()), fitted,
                         ahp, auc(score_ahp, truth), auc(score_fit, truth))
