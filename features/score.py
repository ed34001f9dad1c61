"""The base indicator score (基础评分).

For enterprise :math:`e`, indicator :math:`i` in dimension :math:`d` with raw value
:math:`x_{ei}`, transform :math:`f_i` and AHP weights :math:`w_{i|d}`, :math:`W_d`:

.. math::
    s_{ei} = f_i(x_{ei}) \\in [0, 100], \\qquad
    D_{ed} = \\sum_{i \\in d} w_{i|d}\\, s_{ei}, \\qquad
    B_e = \\sum_d W_d D_{ed} = \\sum_i W_d w_{i|d}\\, s_{ei}

The terms :math:`W_d w_{i|d} s_{ei}` are the indicators' contributions, from which the
reasons are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.config import DEFAULT_CONFIG, IndicatorSystemConfig, load_indicator_config
from features.indicators import INDICATORS
from features.tables import GraphTables


@dataclass(frozen=True)
class BaseScores:
    """Everything the base score is made of, one row per enterprise (index: USCC)."""

    raw: pd.DataFrame  # indicator -> raw value
    sub_scores: pd.DataFrame  # indicator -> [0, 100]
    contributions: pd.DataFrame  # indicator -> weighted points of the base score
    dimension_scores: pd.DataFrame  # dimension -> [0, 100]
    base_score: pd.Series  # [0, 100]


class IndicatorSystem:
    """The general indicator system of a config file: raw values, sub-scores, base score."""

    def __init__(self, config_path: Path = DEFAULT_CONFIG) -> None:
        self.config: IndicatorSystemConfig = load_indicator_config(config_path, INDICATORS)

    def raw_values(self, tables: GraphTables) -> pd.DataFrame:
        columns = {
            name: INDICATORS[name](tables, spec.window_days)
            for name, spec in self.config.indicators.items()
        }
        return pd.DataFrame(columns, index=tables.usccs)

    def sub_scores(self, raw: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {name: spec.sub_score(raw[name]) for name, spec in self.config.indicators.items()},
            index=raw.index,
        )

    def score(self, tables: GraphTables) -> BaseScores:
        raw = self.raw_values(tables)
        sub = self.sub_scores(raw)
        weights = self.config.global_weights()
        contributions = sub[list(weights)] * pd.Series(weights)
        dimensions = pd.DataFrame({
            d.id: sum(sub[name] * w for name, w in zip(d.indicators, d.weights, strict=True))
            for d in self.config.dimensions
        }, index=raw.index)
        return BaseScores(raw, sub, contributions, dimensions, contributions.sum(axis=1))
