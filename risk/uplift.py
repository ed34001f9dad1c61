r"""The final score: base score plus the graph uplift, classes recomputed, reasons given.

.. math::
    F_e = B_e + u_e, \qquad u_e \in [0, U]

where :math:`u_e` is the calibrated uplift of the graph model
(:class:`gnn.calibrate.UpliftCalibration`). The classes (cut-offs, observation period,
floors) are computed again from :math:`F_e`. Each uplift gets a reason an investigator
can read, from the neighbours that contribute most to it (:mod:`gnn.explain`): the
relation, the neighbour's name, and how many C- and D-class enterprises (by base score)
it is also linked to, e.g. 股东张三另控制3家D类企业 / shareholder 张三 also controls
3 D-class enterprises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.score import BaseScores
from features.tables import GraphTables
from gnn.export import ROLE_LABELS, GraphExport
from gnn.graph import Attribution
from risk.classify import Classification, Classifier

CONTROL_RELATIONS = ("holds_shares", "legal_rep_of", "enterprise_holds_shares")
GRAPH_REASON_COLUMNS = ("graph_reason_zh", "graph_reason_en", "graph_reasons")
GRAPH_COLUMNS = ("base_score", "graph_uplift", *GRAPH_REASON_COLUMNS)


def final_scores(scores: BaseScores, uplift: pd.Series) -> BaseScores:
    """``scores`` with :math:`F = B + u` as the score that is classified."""
    bounded = uplift.reindex(scores.base_score.index).fillna(0.0)
    return replace(scores, base_score=scores.base_score + bounded)


def _role(relation: str) -> tuple[str, str]:
    return ROLE_LABELS.get(relation, ROLE_LABELS.get(relation.removeprefix("rev_"),
                                                     ("关联方", "related party")))


_CLASS_RANK = {"D": 0, "C": 1}


def graph_reasons(attributions: Sequence[Attribution], export: GraphExport,
                  classes: npt.NDArray[np.object_], uplift: pd.Series) -> pd.DataFrame:
    """The reasons of each explained enterprise (index: USCC): ``graph_reason_zh`` and
    ``graph_reason_en`` (texts joined), and ``graph_reasons``, one entry per contributing
    neighbour with its share of the uplift in points and its ``path``, the node ids
    (USCC, person id) from the enterprise to the neighbour and, when the neighbour is
    linked to C- or D-class enterprises, on to the riskiest of them (D before C, then the
    first in export order), for the investigator page to highlight.

    ``classes``: the base class of every enterprise node, in export order.
    """
    graph = export.graph
    adjacency = graph.csr()
    n_enterprises = len(export.usccs)
    items: dict[str, list[dict[str, Any]]] = {}

    def name_of(node: int) -> str:
        return str(export.names.iloc[node]) or str(graph.ids[node])

    for item in attributions:
        uscc = str(export.usccs[item.target])
        points = round(float(uplift.iloc[item.target]) * item.share, 4)
        role_zh, role_en = _role(item.relation)
        name = name_of(item.neighbour)
        around = adjacency.indices[adjacency.indptr[item.neighbour]:
                                   adjacency.indptr[item.neighbour + 1]]
        others = np.sort(around[(around < n_enterprises) & (around != item.target)])
        counts = pd.Series(classes[others]).value_counts()
        verb_zh, verb_en = (("另控制", "also controls") if item.relation in CONTROL_RELATIONS
                            else ("另关联", "is also linked to"))
        own_zh = own_en = ""
        if item.neighbour < n_enterprises:
            own = classes[item.neighbour]
            own_zh, own_en = f"（{own}类）", f" (class {own})"
        path = [item.target, item.neighbour]
        d, c = int(counts.get("D", 0)), int(counts.get("C", 0))
        if d or c:
            parts_zh = [f"{k}家{cls}类" for k, cls in ((d, "D"), (c, "C")) if k]
            parts_en = [f"{k} {cls}-class" for k, cls in ((d, "D"), (c, "C")) if k]
            text_zh = f"{role_zh}{name}{own_zh}{verb_zh}{'、'.join(parts_zh)}企业"
            text_en = (f"{role_en} {name}{own_en} {verb_en} {' and '.join(parts_en)} "
                       f"enterprise{'s' if d + c > 1 else ''}")
            rank = np.asarray([_CLASS_RANK.get(str(classes[o]), 2) for o in others])
            path.append(int(others[np.argmin(rank)]))
        else:
            text_zh = f"{role_zh}{name}{own_zh}的关联网络风险较高"
            text_en = f"risky network around {role_en} {name}{own_en}"
        items.setdefault(uscc, []).append({
            "neighbour": str(graph.ids[item.neighbour]), "neighbour_name": name,
            "relation": item.relation, "role_zh": role_zh, "role_en": role_en,
            "points": points, "path": [str(graph.ids[node]) for node in path],
            "path_names": [name_of(node) for node in path],
            "text_zh": f"{text_zh}（+{points:.1f}分）",
            "text_en": f"{text_en} (+{points:.1f} points)"})
    frame = pd.DataFrame({
        "graph_reason_zh": {k: "；".join(r["text_zh"] for r in v) for k, v in items.items()},
        "graph_reason_en": {k: "; ".join(r["text_en"] for r in v) for k, v in items.items()},
    }, columns=list(GRAPH_REASON_COLUMNS[:2]))
    frame["graph_reasons"] = pd.Series(items, dtype=object).reindex(frame.index)
    return frame


def classify_with_uplift(classifier: Classifier, scores: BaseScores, uplift: pd.Series,
                         tables: GraphTables | None = None,
                         reasons: pd.DataFrame | None = None) -> Classification:
    """Classes from the final score; the frame's ``score`` is :math:`F`, with
    ``base_score``, ``graph_uplift`` and the graph reasons beside it."""
    final = final_scores(scores, uplift)
    frame = classifier.predict(final, tables).frame
    index = pd.Index(frame["uscc"])
    located = frame.columns.get_loc("score")
    assert isinstance(located, int)
    at = located + 1
    frame.insert(at, "base_score", scores.base_score.reindex(index).to_numpy())
    frame.insert(at + 1, "graph_uplift",
                 uplift.reindex(index).fillna(0.0).to_numpy(dtype=float))
    reasons = reasons if reasons is not None else pd.DataFrame(
        columns=list(GRAPH_REASON_COLUMNS))
    for k, column in enumerate(GRAPH_REASON_COLUMNS[:2]):
        frame.insert(at + 2 + k, column,
                     reasons[column].reindex(index).fillna("").to_numpy(dtype=object))
    listed = reasons["graph_reasons"].reindex(index).to_numpy(dtype=object)
    frame.insert(at + 4, "graph_reasons",
                 [value if isinstance(value, list) else [] for value in listed])
    return Classification(frame)
