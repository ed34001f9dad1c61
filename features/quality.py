r"""Indicator quality: information value, missing rate, population stability; AUC.

Information value of an indicator binned into :math:`b` (its transform's bins: the
distinct sub-scores, or deciles for continuous transforms), with :math:`p_b` the share
of enterprises with a 12-month problem and :math:`q_b` of those without falling in
:math:`b` (0.5 added to every count):

.. math::
    IV = \sum_b (p_b - q_b) \ln(p_b / q_b), \qquad
    PSI = \sum_b (a_b - e_b) \ln(a_b / e_b)

where :math:`e_b`, :math:`a_b` are the shares in the previous and the current month.
IV below 0.02 is "not predictive" (flagged).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from features.config import IndicatorSystemConfig

IV_FLOOR = 0.02
MAX_BINS = 10


def auc(score: pd.Series, outcome: pd.Series) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half); NaN without both labels."""
    labels = outcome.reindex(score.index).to_numpy().astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(score.to_numpy())
    return float((ranks[labels].sum() - positives * (positives + 1) / 2)
                 / (positives * negatives))


def bins_of(values: pd.Series) -> pd.Series:
    """The bin of each value: itself when few distinct values, else its decile."""
    if values.nunique() <= MAX_BINS:
        return values.astype(float)
    return pd.Series(pd.qcut(values.rank(method="first"), MAX_BINS, labels=False),
                     index=values.index).astype(float)


def information_value(binned: pd.Series, outcome: pd.Series) -> float:
    table = pd.crosstab(binned, outcome.reindex(binned.index)).reindex(
        columns=[0, 1], fill_value=0) + 0.5
    p = table[1] / table[1].sum()
    q = table[0] / table[0].sum()
    return float(((p - q) * np.log(p / q)).sum())


def psi(expected: pd.Series, actual: pd.Series) -> float:
    """Population stability of two samples of categories (0.5 added to every count)."""
    return psi_counts(expected.value_counts(), actual.value_counts())


def psi_counts(expected: pd.Series, actual: pd.Series) -> float:
    """PSI of two count tables indexed by category (0.5 added to every count)."""
    categories = sorted(set(expected.index) | set(actual.index))
    e = expected.reindex(categories, fill_value=0).astype(float) + 0.5
    a = actual.reindex(categories, fill_value=0).astype(float) + 0.5
    e, a = e / e.sum(), a / a.sum()
    return float(((a - e) * np.log(a / e)).sum())


def quality_report(config: IndicatorSystemConfig, raw: pd.DataFrame, sub: pd.DataFrame,
                   previous_sub: pd.DataFrame, outcome: pd.Series,
                   sector_members: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per indicator: IV against ``outcome``, missing rate, PSI vs the previous month.

    Sector indicators are judged on the sector's members only (a lapsed licence means
    nothing outside it); ``flag`` is ``low_iv`` where IV < 0.02.
    """
    rows = []
    members = {name: sector.id for sector in config.sectors for name in sector.indicators}
    for name, spec in config.indicators.items():
        values, before, missing = sub[name], previous_sub[name], raw[name]
        if name in members and sector_members is not None:
            inside = sector_members.loc[sector_members["sector"] == members[name], "uscc"]
            values, missing = values[values.index.isin(inside)], missing[missing.index.isin(inside)]
            before = before[before.index.isin(inside)]
        binned = bins_of(values)
        if values.nunique() > MAX_BINS:  # previous month in the current month's deciles
            edges = np.unique(np.quantile(values, np.linspace(0, 1, MAX_BINS + 1)))
            now_bins = pd.Series(np.searchsorted(edges[1:-1], values, side="right"))
            before_bins = pd.Series(np.searchsorted(edges[1:-1], before, side="right"))
        else:
            now_bins, before_bins = values, before
        iv = information_value(binned, outcome)
        rows.append({
            "indicator": name, "label_zh": spec.label_zh, "label_en": spec.label_en,
            "scope": members.get(name, "general"),
            "iv": round(iv, 6),
            "enterprises": len(values),
            "missing_rate": round(float(missing.isna().mean()), 6) if len(missing) else 0.0,
            "psi": round(psi(before_bins, now_bins), 6),
            "flag": "low_iv" if iv < IV_FLOOR else "",
        })
    return pd.DataFrame(rows)
