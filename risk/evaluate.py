"""Result backtracking (结果回溯): do the classes predict where problems are found?

The base score as of ``T`` against the 12-month outcome (a penalty, an abnormal listing
or an inspection problem in ``(T, T + 12 months]``, from records only): AUC, and per class
the discovery rate (share of the class with a problem found).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from features.quality import auc
from risk.classify import CLASSES, Classification


@dataclass(frozen=True)
class Evaluation:
    as_of: dt.date
    horizon_end: dt.date
    enterprises: int
    positives: int
    auc: float
    by_class: pd.DataFrame  # index A..D: enterprises, problems, discovery_rate

    def to_dict(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat(), "horizon_end": self.horizon_end.isoformat(),
            "enterprises": self.enterprises, "positives": self.positives,
            "auc": round(self.auc, 6),
            "by_class": {c: {k: (round(float(v), 6) if k == "discovery_rate" else int(v))
                             for k, v in row.items()}
                         for c, row in self.by_class.iterrows()},
        }


def evaluate(classification: Classification, score: pd.Series, outcome: pd.Series,
             as_of: dt.date, horizon_end: dt.date) -> Evaluation:
    """AUC of ``score`` and discovery rate per class against ``outcome`` (same index)."""
    classes = classification.frame.set_index("uscc")["risk_class"].reindex(score.index)
    truth = outcome.reindex(score.index).fillna(0).astype(int)
    table = pd.DataFrame({"class": classes, "problem": truth}).groupby("class")["problem"].agg(
        ["size", "sum"]).reindex(list(CLASSES), fill_value=0)
    table.columns = ["enterprises", "problems"]
    table["discovery_rate"] = (table["problems"] / table["enterprises"].where(
        table["enterprises"] > 0)).fillna(0.0)
    return Evaluation(as_of, horizon_end, len(score), int(truth.sum()), auc(score, truth), table)
