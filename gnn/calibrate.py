r"""Calibration of the graph model into score points (numpy only).

Two monotone maps are fitted by isotonic regression (pool-adjacent-violators):
:math:`h`, from the model's probability :math:`p` to the observed problem rate (on the
validation enterprises of the training date), and :math:`g`, from the base score
:math:`B` to the observed problem rate (on the training date). The uplift of an
enterprise is the score increase that makes the base score's own risk scale agree with
the graph model, bounded by :math:`U`:

.. math::
    u_i = \mathrm{clip}\big(g^{-1}(h(p_i)) - B_i,\; 0,\; U\big), \qquad
    F_i = B_i + u_i
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def isotonic_fit(x: npt.ArrayLike, y: npt.ArrayLike, bins: int = 200) -> tuple[Array, Array]:
    """Non-decreasing step fit of ``y`` on ``x`` (PAV on at most ``bins`` quantile bins);
    returns breakpoints ``(xs, ys)`` for :func:`numpy.interp`."""
    xv, yv = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    order = np.argsort(xv, kind="stable")
    xv, yv = xv[order], yv[order]
    groups = np.array_split(np.arange(len(xv)), min(bins, max(len(xv), 1)))
    means = [(xv[g].mean(), yv[g].sum(), float(len(g))) for g in groups if len(g)]
    blocks: list[list[float]] = []  # [x_mean, y_sum, weight]
    for mx, sy, w in means:
        blocks.append([mx * w, sy, w])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] > blocks[-1][1] / blocks[-1][2]:
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
    xs = np.asarray([b[0] / b[2] for b in blocks])
    ys = np.asarray([b[1] / b[2] for b in blocks])
    return xs, ys


@dataclass(frozen=True)
class UpliftCalibration:
    """The maps :math:`h` (probability -> rate) and :math:`g` (base score -> rate)."""

    prob_x: tuple[float, ...]
    prob_y: tuple[float, ...]
    score_x: tuple[float, ...]
    score_y: tuple[float, ...]
    max_uplift: float

    @classmethod
    def fit(cls, probability: npt.ArrayLike, outcome_val: npt.ArrayLike,
            base_score: npt.ArrayLike, outcome_train: npt.ArrayLike,
            max_uplift: float) -> UpliftCalibration:
        px, py = isotonic_fit(probability, outcome_val)
        sx, sy = isotonic_fit(base_score, outcome_train)
        return cls(tuple(map(float, px)), tuple(map(float, py)), tuple(map(float, sx)),
                   tuple(map(float, sy)), float(max_uplift))

    def rate(self, probability: npt.ArrayLike) -> Array:
        """:math:`h(p)`, the calibrated probability of a problem."""
        result: Array = np.interp(np.asarray(probability, dtype=float), self.prob_x,
                                  self.prob_y)
        return result

    def score_for_rate(self, rate: npt.ArrayLike) -> Array:
        """:math:`g^{-1}`: the lowest base score whose problem rate reaches ``rate``."""
        sy = np.maximum.accumulate(np.asarray(self.score_y))
        sx = np.asarray(self.score_x)
        first = np.concatenate([[True], np.diff(sy) > 0])  # strictly increasing knots
        result: Array = np.interp(np.asarray(rate, dtype=float), sy[first], sx[first],
                                  left=float(sx[0]), right=100.0)
        return result

    def uplift(self, probability: npt.ArrayLike, base_score: npt.ArrayLike) -> Array:
        """:math:`u_i \\in [0, U]` in score points."""
        wanted = self.score_for_rate(self.rate(probability))
        result: Array = np.clip(wanted - np.asarray(base_score, dtype=float), 0.0,
                                self.max_uplift)
        return result

    def to_dict(self) -> dict[str, Any]:
        return {"prob_x": list(self.prob_x), "prob_y": list(self.prob_y),
                "score_x": list(self.score_x), "score_y": list(self.score_y),
                "max_uplift": self.max_uplift}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UpliftCalibration:
        return cls(tuple(data["prob_x"]), tuple(data["prob_y"]), tuple(data["score_x"]),
                   tuple(data["score_y"]), float(data["max_uplift"]))
