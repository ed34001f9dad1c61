r"""The graph as arrays: typed nodes, typed edges, features (numpy only, no torch).

:class:`TypedGraph` is the one representation every model reads: :math:`N` nodes of
several types with features :math:`X \in \mathbb{R}^{N \times F}`, and :math:`E` directed
edges :math:`(j \to i, r)` of relation :math:`r` with an attribute :math:`a_{ji} > 0`
(a shareholding ratio, a count of shared contacts, else 1). Each relation also appears
reversed (``rev_<relation>``) so that risk flows both ways along a link.

Two normalisations are computed once on the whole graph and carried by the edges, so a
node's output computed on a sub-graph around it equals the one on the whole graph:

.. math::
    w^{(r)}_{ji} = \frac{a_{ji}}{\sum_{k \in \mathcal{N}_r(i)} a_{ki}} \quad
    \text{(relational mean)}, \qquad
    s_{ji} = \frac{1}{\sqrt{d_j d_i}} \quad \text{(symmetric, on the union graph)}

Shapes: x (N, F), edge_index (2, E), edge_type (E,), edge_attr (E,).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class TypedGraph:
    """Nodes of several types and directed, typed, attributed edges (reverses included)."""

    x: FloatArray  # (N, F)
    node_type: IntArray  # (N,) index into node_types
    node_types: tuple[str, ...]
    ids: npt.NDArray[np.object_]  # (N,) natural keys
    edge_index: IntArray  # (2, E): row 0 source j, row 1 target i
    edge_type: IntArray  # (E,) index into relations
    relations: tuple[str, ...]
    edge_attr: FloatArray  # (E,)
    feature_names: tuple[str, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def num_nodes(self) -> int:
        return int(self.x.shape[0])

    @property
    def num_edges(self) -> int:
        return int(self.edge_index.shape[1])

    def relational_weight(self) -> FloatArray:
        r""":math:`w^{(r)}_{ji}`: the edge attribute over its target's sum per relation."""
        if "rel" not in self._cache:
            n, r = self.num_nodes, len(self.relations)
            slot = self.edge_type * n + self.edge_index[1]
            total = np.bincount(slot, weights=self.edge_attr, minlength=n * r)
            self._cache["rel"] = (self.edge_attr / total[slot]).astype(np.float32)
        result: FloatArray = self._cache["rel"]
        return result

    def union_edges(self) -> tuple[IntArray, FloatArray]:
        r"""The undirected union graph without self-loops, each pair in both directions,
        with :math:`s_{ji} = (d_j d_i)^{-1/2}`."""
        if "sym" not in self._cache:
            n = self.num_nodes
            src, dst = self.edge_index
            keep = src != dst
            adjacency = sp.coo_matrix(
                (np.ones(int(keep.sum()), dtype=np.float32), (src[keep], dst[keep])),
                shape=(n, n)).tocsr()
            adjacency = ((adjacency + adjacency.T) > 0).astype(np.float32).tocoo()
            degree = np.asarray(adjacency.sum(axis=1)).ravel()
            inv = np.zeros_like(degree)
            inv[degree > 0] = degree[degree > 0] ** -0.5
            index = np.vstack([adjacency.row, adjacency.col]).astype(np.int64)
            weight = (inv[adjacency.row] * inv[adjacency.col]).astype(np.float32)
            self._cache["sym"] = (index, weight)
        result: tuple[IntArray, FloatArray] = self._cache["sym"]
        return result

    def of_type(self, name: str) -> IntArray:
        """The node indices of type ``name``."""
        return np.flatnonzero(self.node_type == self.node_types.index(name)).astype(np.int64)

    def csr(self) -> sp.csr_matrix:
        """Undirected adjacency (pattern only), for hops and sub-graphs."""
        if "csr" not in self._cache:
            n = self.num_nodes
            src, dst = self.edge_index
            ones = np.ones(len(src), dtype=np.int8)
            matrix = sp.coo_matrix((ones, (src, dst)), shape=(n, n)).tocsr()
            self._cache["csr"] = ((matrix + matrix.T) > 0).tocsr()
        result: sp.csr_matrix = self._cache["csr"]
        return result

    def k_hop(self, seeds: IntArray, hops: int) -> IntArray:
        """The nodes within ``hops`` of ``seeds`` (sorted, seeds included)."""
        adjacency = self.csr()
        reached = np.zeros(self.num_nodes, dtype=bool)
        reached[seeds] = True
        frontier = reached.copy()
        for _ in range(hops):
            step = adjacency[np.flatnonzero(frontier)]
            new = np.zeros_like(reached)
            new[step.indices] = True
            frontier = new & ~reached
            reached |= new
        return np.flatnonzero(reached).astype(np.int64)

    def fingerprint(self, *extra: npt.NDArray[Any]) -> str:
        """SHA-256 of the arrays (features, edges, ids, and ``extra`` such as labels)."""
        digest = hashlib.sha256()
        for array in (self.x, self.node_type, self.edge_index, self.edge_type, self.edge_attr,
                      *extra):
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update("\x1f".join(map(str, self.ids)).encode("utf-8"))
        digest.update("\x1f".join((*self.node_types, *self.relations,
                                   *self.feature_names)).encode("utf-8"))
        return digest.hexdigest()


def build_graph(
    node_ids: dict[str, npt.NDArray[np.object_]],
    features: dict[str, FloatArray],
    edges: dict[tuple[str, str, str], tuple[IntArray, IntArray, FloatArray]],
    feature_names: tuple[str, ...] = (),
) -> TypedGraph:
    """A :class:`TypedGraph` from per-type ids and features and per-relation edges
    (``(src_type, relation, dst_type) -> (src, dst, attr)`` in per-type indices).

    Features of the types are padded to a common width; one column per type is added
    (its indicator) and one with :math:`\\log(1 + \\text{degree})`.
    """
    node_types = tuple(node_ids)
    offsets = np.cumsum([0, *(len(node_ids[t]) for t in node_types)])
    width = max((features[t].shape[1] for t in node_types if t in features), default=0)
    n = int(offsets[-1])
    x = np.zeros((n, width + len(node_types) + 1), dtype=np.float32)
    node_type = np.zeros(n, dtype=np.int64)
    for k, name in enumerate(node_types):
        lo, hi = offsets[k], offsets[k + 1]
        if name in features and features[name].shape[1]:
            x[lo:hi, : features[name].shape[1]] = features[name]
        x[lo:hi, width + k] = 1.0
        node_type[lo:hi] = k
    relations: list[str] = []
    parts_index: list[IntArray] = []
    parts_type: list[IntArray] = []
    parts_attr: list[FloatArray] = []
    for (src_type, relation, dst_type), (src, dst, attr) in edges.items():
        src_global = src.astype(np.int64) + offsets[node_types.index(src_type)]
        dst_global = dst.astype(np.int64) + offsets[node_types.index(dst_type)]
        attr = np.where(np.isfinite(attr) & (attr > 0), attr, 1.0).astype(np.float32)
        for name, a, b in ((relation, src_global, dst_global),
                           (f"rev_{relation}", dst_global, src_global)):
            relations.append(name)
            parts_index.append(np.vstack([a, b]))
            parts_type.append(np.full(len(a), len(relations) - 1, dtype=np.int64))
            parts_attr.append(attr)
    edge_index = (np.hstack(parts_index) if parts_index
                  else np.zeros((2, 0), dtype=np.int64)).astype(np.int64)
    degree = np.bincount(edge_index[1], minlength=n).astype(np.float32)
    x[:, -1] = np.log1p(degree)
    ids = np.concatenate([np.asarray(node_ids[t], dtype=object) for t in node_types]) \
        if node_types else np.zeros(0, dtype=object)
    names = (*feature_names, *(f"is_{t}" for t in node_types), "log_degree")
    return TypedGraph(
        x=x, node_type=node_type, node_types=node_types, ids=ids, edge_index=edge_index,
        edge_type=(np.concatenate(parts_type) if parts_type else np.zeros(0, np.int64)),
        relations=tuple(relations),
        edge_attr=(np.concatenate(parts_attr) if parts_attr
                   else np.zeros(0, np.float32)).astype(np.float32),
        feature_names=names,
    )


@dataclass(frozen=True)
class GraphArrays:
    """What a model's forward pass reads: features and both normalised edge sets."""

    x: FloatArray  # (N, F)
    edge_index: IntArray  # (2, E)
    edge_type: IntArray  # (E,)
    rel_weight: FloatArray  # (E,)
    sym_index: IntArray  # (2, E_s)
    sym_weight: FloatArray  # (E_s,)
    num_relations: int


def arrays(graph: TypedGraph) -> GraphArrays:
    """The whole graph's :class:`GraphArrays`."""
    sym_index, sym_weight = graph.union_edges()
    return GraphArrays(graph.x, graph.edge_index, graph.edge_type, graph.relational_weight(),
                       sym_index, sym_weight, len(graph.relations))


def subgraph(graph: TypedGraph, nodes: IntArray, x: FloatArray | None = None,
             drop_edges_of: tuple[int, int] | None = None) -> GraphArrays:
    """The sub-graph induced by ``nodes`` (sorted), keeping the whole graph's
    normalisations, so that outputs of nodes whose receptive field lies inside it are
    exact. ``x`` replaces its features; ``drop_edges_of=(a, b)`` removes the edges between
    sub-graph nodes ``a`` and ``b`` in both directions (occlusion)."""
    position = np.full(graph.num_nodes, -1, dtype=np.int64)
    position[nodes] = np.arange(len(nodes))
    src, dst = position[graph.edge_index[0]], position[graph.edge_index[1]]
    keep = (src >= 0) & (dst >= 0)
    sym_index, sym_weight = graph.union_edges()
    s_src, s_dst = position[sym_index[0]], position[sym_index[1]]
    keep_sym = (s_src >= 0) & (s_dst >= 0)
    if drop_edges_of is not None:
        a, b = drop_edges_of
        keep &= ~(((src == a) & (dst == b)) | ((src == b) & (dst == a)))
        keep_sym &= ~(((s_src == a) & (s_dst == b)) | ((s_src == b) & (s_dst == a)))
    return GraphArrays(
        graph.x[nodes] if x is None else x, np.vstack([src[keep], dst[keep]]),
        graph.edge_type[keep], graph.relational_weight()[keep],
        np.vstack([s_src[keep_sym], s_dst[keep_sym]]), sym_weight[keep_sym],
        len(graph.relations))


@dataclass(frozen=True)
class Attribution:
    target: int  # node index
    neighbour: int  # node index
    relation: str  # relation of the edge neighbour -> target
    drop: float  # c_iv, logit lost without the link
    share: float  # c_iv over the target's positive drops
