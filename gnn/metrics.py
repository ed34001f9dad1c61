r"""Ranking and classification metrics (numpy; no scikit-learn needed).

AUC is the Mann-Whitney statistic with ties counted half; average precision is
:math:`\mathrm{AP} = \sum_k P(k)\, \Delta R(k)` over the ranks of the positives;
recall at top-k is the share of positives among the ``k`` highest scores, with ``k`` the
number of positives unless given.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

Array = npt.NDArray[np.float64]


def roc_auc(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    labels = np.asarray(y).astype(bool)
    values = np.asarray(score, dtype=float)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(values)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2)
                 / (positives * negatives))


def average_precision(y: npt.ArrayLike, score: npt.ArrayLike) -> float:
    labels = np.asarray(y).astype(bool)
    if not labels.any():
        return float("nan")
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    hits = labels[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].sum() / hits.sum())


def recall_at_k(y: npt.ArrayLike, score: npt.ArrayLike, k: int | None = None) -> float:
    labels = np.asarray(y).astype(bool)
    if not labels.any():
        return float("nan")
    k = int(labels.sum()) if k is None else k
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")[:k]
    return float(labels[order].sum() / labels.sum())


def _recall_f1(labels: npt.NDArray[np.bool_], predicted: npt.NDArray[np.bool_]
               ) -> tuple[float, float]:
    recalls, f1s = [], []
    for positive in (True, False):
        truth, guess = labels == positive, predicted == positive
        tp = float((truth & guess).sum())
        recall = tp / truth.sum() if truth.any() else 0.0
        precision = tp / guess.sum() if guess.any() else 0.0
        recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return float(np.mean(recalls)), float(np.mean(f1s))


def best_threshold(y: npt.ArrayLike, probability: npt.ArrayLike) -> float:
    """The probability cut-off with the highest F1-macro (on a validation set)."""
    labels = np.asarray(y).astype(bool)
    p = np.asarray(probability, dtype=float)
    candidates = np.unique(np.quantile(p, np.linspace(0.5, 0.995, 100)))
    scores = [_recall_f1(labels, p >= c)[1] for c in candidates]
    return float(candidates[int(np.argmax(scores))]) if len(candidates) else 0.5


def report(y: npt.ArrayLike, probability: npt.ArrayLike, threshold: float = 0.5,
           k: int | None = None) -> dict[str, float]:
    """AUC, average precision, recall at top-k, F1-macro and recall-macro at ``threshold``."""
    labels = np.asarray(y).astype(bool)
    p = np.asarray(probability, dtype=float)
    recall_macro, f1_macro = _recall_f1(labels, p >= threshold)
    return {
        "auc": round(roc_auc(labels, p), 6),
        "average_precision": round(average_precision(labels, p), 6),
        "recall_at_k": round(recall_at_k(labels, p, k), 6),
        "f1_macro": round(f1_macro, 6),
        "recall_macro": round(recall_macro, 6),
        "threshold": round(threshold, 6),
        "positives": int(labels.sum()),
        "nodes": len(labels),
    }
