r"""Which neighbours make an enterprise's graph risk: occlusion on its receptive field.

For target :math:`i` with graph-model output :math:`f_i(G)` and each direct neighbour
:math:`v` (a person or an enterprise linked to it), the neighbour's contribution is what
the output loses when the link between them is cut, so everything that reached :math:`i`
through :math:`v` (paths :math:`i - v - \dots`) is occluded:

.. math::
    c_{iv} = z_i(G) - z_i\big(G \setminus \{(i, v), (v, i)\}\big)

with :math:`z_i` the model's logit; the uplift :math:`u_i` is then shared out in
proportion, :math:`u_i \, c_{iv} / \sum_{w: c_{iw} > 0} c_{iw}` points per neighbour
(the calibrated uplift is capped and piecewise linear, so occluding on its scale would
give nothing to share where it is capped). It is
computed on the :math:`K`-hop sub-graph around :math:`i` (:math:`K` = the model's
layers), whose edges keep the whole graph's normalisation, so :math:`f_i` there is exact.
"""

from __future__ import annotations

import numpy as np

from gnn.graph import Attribution, IntArray, TypedGraph, subgraph
from gnn.train import GraphRiskClassifier


def _relation_into(graph: TypedGraph, target: int, neighbour: int) -> str:
    if "edge_keys" not in graph._cache:
        keys = graph.edge_index[1] * graph.num_nodes + graph.edge_index[0]
        order = np.argsort(keys, kind="stable")
        graph._cache["edge_keys"] = (keys[order], order)
    keys, order = graph._cache["edge_keys"]
    key = target * graph.num_nodes + neighbour
    at = int(np.searchsorted(keys, key))
    if at < len(keys) and keys[at] == key:
        return graph.relations[int(graph.edge_type[order[at]])]
    return ""


def occlusion(model: GraphRiskClassifier, graph: TypedGraph, targets: IntArray,
              hops: int = 2, top: int = 3,
              max_neighbours: int = 50) -> list[Attribution]:
    """The ``top`` neighbours of each target by contribution (positive ones only)."""
    adjacency = graph.csr()
    result: list[Attribution] = []
    for target in np.asarray(targets, dtype=np.int64):
        nodes = graph.k_hop(np.asarray([target]), hops)
        local = int(np.searchsorted(nodes, target))
        neighbours = adjacency.indices[adjacency.indptr[target]:adjacency.indptr[target + 1]]
        neighbours = np.sort(neighbours[neighbours != target])[:max_neighbours]
        if not len(neighbours):
            continue
        full = float(model.logits(subgraph(graph, nodes))[local])
        occluded = np.asarray([
            model.logits(subgraph(
                graph, nodes, drop_edges_of=(local, int(np.searchsorted(nodes, v)))))[local]
            for v in neighbours], dtype=float)
        contribution = full - occluded
        total = float(contribution[contribution > 0].sum())
        for k in np.argsort(-contribution, kind="stable")[:top]:
            if contribution[k] <= 0:
                break
            neighbour = int(neighbours[k])
            result.append(Attribution(int(target), neighbour,
                                      _relation_into(graph, int(target), neighbour),
                                      float(contribution[k]),
                                      float(contribution[k]) / total))
    return result
