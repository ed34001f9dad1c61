r"""The base indicator score (基础评分) and the sector scores (行业评分).

For enterprise :math:`e`, indicator :math:`i` in group :math:`g` of dimension :math:`d`
with raw value :math:`x_{ei}`, transform :math:`f_i` and AHP weights :math:`w_{i|g}`,
:math:`v_{g|d}`, :math:`W_d`:

.. math::
    s_{ei} = f_i(x_{ei}) \in [0, 100], \qquad
    G_{eg} = \sum_{i \in g} w_{i|g}\, s_{ei}, \qquad
    D_{ed} = \sum_{g \in d} v_{g|d}\, G_{eg}, \qquad
    B_e = \sum_d W_d D_{ed} = \sum_i W_d v_{g|d} w_{i|g}\, s_{ei}

The terms :math:`W_d v_{g|d} w_{i|g} s_{ei}` are the indicators' contributions (they sum
to :math:`B_e`), from which the reasons are drawn. A sector overlay :math:`k` scores its
members :math:`S_{ek} = u_{0|k} \sum_d W'_{d|k} D_{ed} + \sum_j u_{j|k} s_{ej}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.config import (
    DEFAULT_CONFIG,
    GENERAL,
    IndicatorSystemConfig,
    WeightSource,
    load_indicator_config,
)
from features.indicators import INDICATORS
from features.tables import GraphTables


@dataclass(frozen=True)
class BaseScores:
    """Everything the scores are made of, one row per enterprise (index: USCC)."""

    raw: pd.DataFrame  # indicator -> raw value (general and sector indicators)
    sub_scores: pd.DataFrame  # indicator -> [0, 100]
    contributions: pd.DataFrame  # general indicator -> weighted points of the base score
    group_scores: pd.DataFrame  # group -> [0, 100]
    dimension_scores: pd.DataFrame  # dimension -> [0, 100]
    dimension_contributions: pd.DataFrame  # dimension -> W_d * D_d (sums to the score)
    base_score: pd.Series  # [0, 100]
    sector_scores: pd.DataFrame  # sector -> [0, 100], NaN for enterprises outside it
    sector_contributions: dict[str, pd.DataFrame]  # sector -> "general" + its indicators


class IndicatorSystem:
    """The indicator system of a config file: raw values, sub-scores, scores."""

    def __init__(self, config_path: Path = DEFAULT_CONFIG, *,
                 weights: WeightSource | None = None, fitted: Path | None = None) -> None:
        self.config: IndicatorSystemConfig = load_indicator_config(
            config_path, INDICATORS, weights=weights, fitted=fitted)

    @classmethod
    def of(cls, config: IndicatorSystemConfig) -> IndicatorSystem:
        system = cls.__new__(cls)
        system.config = config
        return system

    def raw_values(self, tables: GraphTables) -> pd.DataFrame:
        tables = tables.lenient(self.config.leniency)
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
        return self.score_raw(raw, tables.sector_members)

    def score_raw(self, raw: pd.DataFrame, sector_members: pd.DataFrame) -> BaseScores:
        """Scores from raw values; ``sector_members`` has a row per (uscc, sector)."""
        config = self.config
        sub = self.sub_scores(raw)
        weights = config.global_weights()
        names = list(weights)
        contributions = pd.DataFrame(
            sub[names].to_numpy() * np.asarray(list(weights.values())), index=raw.index,
            columns=names)
        groups = pd.DataFrame({
            g.id: sub[list(g.indicators)].to_numpy() @ np.asarray(g.weights)
            for g in config.groups
        }, index=raw.index)
        dimensions = pd.DataFrame({
            d.id: groups[[g.id for g in d.groups]].to_numpy() @ np.asarray(d.weights)
            for d in config.dimensions
        }, index=raw.index)
        dimension_contributions = dimensions * np.asarray(config.top_weights)
        sector_scores: dict[str, pd.Series] = {}
        sector_parts: dict[str, pd.DataFrame] = {}
        for sector in config.sectors:
            member = raw.index.isin(
                sector_members.loc[sector_members["sector"] == sector.id, "uscc"])
            general = dimensions.to_numpy() @ np.asarray(sector.dimension_weights)
            parts = pd.DataFrame({
                name: (general if name == GENERAL else sub[name].to_numpy()) * weight
                for name, weight in sector.weight_of.items()
            }, index=raw.index).where(pd.Series(member, index=raw.index), np.nan, axis=0)
            sector_parts[sector.id] = parts
            sector_scores[sector.id] = parts.sum(axis=1, min_count=1)
        return BaseScores(
            raw, sub, contributions, groups, dimensions, dimension_contributions,
            contributions.sum(axis=1), pd.DataFrame(sector_scores, index=raw.index),
            sector_parts,
        )
