"""Labelled graphs from a store, split by time.

The graph and features are read as of :math:`T`; the label of an enterprise is the
12-month outcome, a problem found in :math:`(T, T + 12\\ \\text{months}]`
(:func:`features.outcome.outcome_12m`). Training uses an earlier date :math:`T_0`
(its outcome ends by :math:`T_0 + 12` months :math:`\\le T_1`), testing the later
:math:`T_1`, so no record the test labels come from is seen in training, and no feature
at :math:`T` sees a record dated after :math:`T` (:func:`features.tables.read_tables`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.outcome import HORIZON_MONTHS, horizon_end, outcome_12m
from features.score import BaseScores, IndicatorSystem
from features.tables import GraphTables, read_tables
from gnn.export import GraphExport, export_tables, group_features, node_features
from graph.store import GraphStore


@dataclass(frozen=True)
class LabelledGraph:
    export: GraphExport
    scores: BaseScores
    y: npt.NDArray[np.float64]  # per node; NaN for people and without an outcome

    @property
    def base_score(self) -> pd.Series:
        return self.scores.base_score.reindex(self.export.usccs)

    def enterprise_labels(self) -> pd.Series:
        nodes = self.export.enterprise_nodes
        return pd.Series(self.y[nodes], index=self.export.usccs)


def earlier(as_of: dt.date, months: int = HORIZON_MONTHS) -> dt.date:
    day: dt.date = (pd.Timestamp(as_of) - pd.DateOffset(months=months)).date()
    return day


def past_problems(tables: GraphTables) -> pd.Series:
    """1 where a problem was found in the 12 months up to ``tables.as_of`` (records dated
    on or before it only: a legitimate feature at :math:`T`)."""
    return outcome_12m(tables, earlier(tables.as_of), tables.usccs).astype(float)


def scored_export(store: GraphStore, as_of: dt.date, system: IndicatorSystem,
                  tables: GraphTables | None = None) -> tuple[GraphExport, GraphTables,
                                                               BaseScores]:
    """The graph of ``store`` as of ``as_of`` with its base scores and node features: the
    indicator sub-scores / 100, the enterprise's own past problem
    (:func:`past_problems`), and the neighbourhood summaries of
    :func:`gnn.export.group_features` (``graph_*``, which the non-graph baseline does not
    read)."""
    tables = tables if tables is not None else read_tables(store, as_of)
    scores = system.score(tables)
    past = past_problems(tables)
    features = pd.concat([
        (scores.sub_scores.astype(float) / 100.0).fillna(0.0).reindex(tables.usccs),
        past.rename("past_problem_12m"),
        group_features(tables, scores.base_score.reindex(tables.usccs) / 100.0, past),
    ], axis=1).fillna(0.0)
    return export_tables(store, tables, features), tables, scores


def labelled_graph(store: GraphStore, as_of: dt.date, system: IndicatorSystem,
                   with_outcome: bool = True) -> LabelledGraph:
    """Graph and features as of ``as_of``; labels from the 12 months after it."""
    export, _, scores = scored_export(store, as_of, system)
    y = np.full(export.graph.num_nodes, np.nan)
    if with_outcome:
        outcome = outcome_12m(read_tables(store, horizon_end(as_of)), as_of, export.usccs)
        y[export.enterprise_nodes] = outcome.to_numpy(dtype=float)
    return LabelledGraph(export, scores, y)


__all__ = ["LabelledGraph", "earlier", "labelled_graph", "node_features", "past_problems",
           "scored_export"]
