"""Train and test every model on any graph given as a node table and an edge table.

Nodes: ``node_id``, ``label`` (0/1, empty where unknown), feature columns ``f_*``,
optional ``node_type``. Edges: ``src``, ``dst`` (node ids), optional ``edge_type``.
The labelled nodes are split stratified into train (``train_ratio``), validation
(``val_ratio``: best epoch and F1 threshold) and test (the rest); the report gives, per
model, AUC, average precision, recall at top-k, F1-macro and recall-macro on the test
split.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gnn.graph import FloatArray, IntArray, TypedGraph, build_graph
from gnn.metrics import best_threshold, report
from gnn.train import MODELS, GraphRiskClassifier, TrainConfig, stratified_split

FloatVector = np.ndarray[Any, np.dtype[np.float64]]


def read_table(path: Path) -> pd.DataFrame:
    if path.suffix in (".csv", ".txt"):
        return pd.read_csv(path)
    return pd.read_parquet(path)


def graph_from_tables(nodes: pd.DataFrame, edges: pd.DataFrame
                      ) -> tuple[TypedGraph, FloatVector]:
    """The typed graph and the per-node labels (NaN where unknown)."""
    missing = {"node_id"} - set(nodes.columns) | {"src", "dst"} - set(edges.columns)
    if missing:
        raise ValueError(f"missing columns {sorted(missing)}: nodes need node_id, label, "
                         f"f_*; edges need src, dst")
    nodes = nodes.drop_duplicates("node_id").reset_index(drop=True)
    types = (nodes["node_type"].astype(str) if "node_type" in nodes
             else pd.Series("node", index=nodes.index))
    type_names = sorted(types.unique())
    feature_columns = sorted(c for c in nodes.columns if str(c).startswith("f_"))
    ids: dict[str, np.ndarray[Any, Any]] = {}
    features: dict[str, FloatArray] = {}
    order: list[IntArray] = []
    for name in type_names:
        rows = np.flatnonzero((types == name).to_numpy())
        order.append(rows)
        ids[name] = nodes["node_id"].to_numpy(dtype=object)[rows]
        values = nodes.loc[rows, feature_columns].apply(pd.to_numeric, errors="coerce")
        features[name] = values.fillna(0.0).to_numpy(np.float32)
    permutation = np.concatenate(order)
    inverse = np.empty(len(nodes), dtype=np.int64)
    inverse[permutation] = np.arange(len(nodes))
    position = pd.Series(inverse, index=nodes["node_id"].to_numpy(dtype=object))
    type_of = pd.Series(types.to_numpy(), index=nodes["node_id"].to_numpy(dtype=object))
    starts = {name: int(sum(len(o) for o in order[:k])) for k, name in enumerate(type_names)}
    edges = edges.loc[edges["src"].isin(position.index) & edges["dst"].isin(position.index)]
    relation = (edges["edge_type"].astype(str) if "edge_type" in edges
                else pd.Series("edge", index=edges.index))
    src_type = type_of.reindex(edges["src"]).to_numpy()
    dst_type = type_of.reindex(edges["dst"]).to_numpy()
    keys = pd.DataFrame({"s": src_type, "r": relation.to_numpy(), "d": dst_type})
    typed_edges: dict[tuple[str, str, str], tuple[IntArray, IntArray, FloatArray]] = {}
    src_all = position.reindex(edges["src"]).to_numpy(np.int64)
    dst_all = position.reindex(edges["dst"]).to_numpy(np.int64)
    for (s, r, d), group in keys.groupby(["s", "r", "d"], sort=True):
        rows = group.index.to_numpy()
        src_local: IntArray = src_all[rows] - starts[str(s)]
        dst_local: IntArray = dst_all[rows] - starts[str(d)]
        typed_edges[(str(s), str(r), str(d))] = (src_local, dst_local,
                                                  np.ones(len(rows), np.float32))
    graph = build_graph(ids, features, typed_edges, tuple(feature_columns))
    label = pd.to_numeric(nodes["label"], errors="coerce") if "label" in nodes \
        else pd.Series(np.nan, index=nodes.index)
    y: FloatVector = np.asarray(label.to_numpy(dtype=np.float64), dtype=np.float64)[
        permutation]
    return graph, y



def evaluate_graph(graph: TypedGraph, y: FloatVector, *, train_ratio: float = 0.4,
                   val_ratio: float = 0.2, models: tuple[str, ...] = MODELS,
                   epochs: int = 100, hidden: int = 32, seed: int = 0) -> dict[str, Any]:
    """Every model trained on the train split and reported on the test split."""
    labelled = np.flatnonzero(np.isfinite(y)).astype(np.int64)
    train, validation, test = stratified_split(y, labelled, (train_ratio, val_ratio), seed)
    result: dict[str, Any] = {
        "nodes": graph.num_nodes, "edges": graph.num_edges // 2, "labelled": len(labelled),
        "positives": int(np.nansum(y)), "split": {"train": len(train),
                                                   "validation": len(validation),
                                                   "test": len(test)},
        "models": {},
    }
    for name in models:
        config = TrainConfig(model=name, epochs=epochs, hidden=hidden, seed=seed)
        model = GraphRiskClassifier(config).fit(graph, y, train, validation)
        probability = model.predict_proba(graph)
        threshold = best_threshold(y[validation], probability[validation])
        metrics = report(y[test], probability[test], threshold)
        metrics["best_epoch"] = model.best_epoch
        metrics["seconds_per_epoch"] = round(model.epoch_seconds, 4)
        result["models"][name] = metrics
    return result


def evaluate_files(nodes: Path, edges: Path, **options: Any) -> dict[str, Any]:
    graph, y = graph_from_tables(read_table(nodes), read_table(edges))
    return evaluate_graph(graph, y, **options)
