r"""The models: a relational graph network, a beta-wavelet band-pass network, a baseline.

All three map :class:`gnn.graph.GraphArrays` to one logit per node and run full-batch on
CPU with sparse products (``torch.sparse.mm``), so they need neither pyg-lib nor
torch-sparse.

**RiskRGCN** (Schlichtkrull et al., *Modeling Relational Data with Graph Convolutional
Networks*, 2018; mean aggregation per relation as in heterogeneous GraphSAGE):

.. math::
    \mathbf{h}^{(l+1)}_i = \mathrm{ReLU}\Big(\mathbf{W}^{(l)}_0 \mathbf{h}^{(l)}_i +
    \sum_{r} \sum_{j \in \mathcal{N}_r(i)} w^{(r)}_{ji}\, \mathbf{W}^{(l)}_r
    \mathbf{h}^{(l)}_j\Big)

**RiskBWGNN** (Tang et al., *Rethinking Graph Neural Networks for Anomaly Detection*,
ICML 2022): rare risky nodes shift spectral energy to high frequencies, so the signal is
split by :math:`C + 1` beta-wavelet band-pass filters of the normalised Laplacian
:math:`\mathbf{L} = \mathbf{I} - \mathbf{D}^{-1/2}\mathbf{A}\mathbf{D}^{-1/2}` (on the
union of all relations) and the bands are concatenated, so low- and high-frequency
(heterophilous) evidence are kept apart:

.. math::
    \beta_{p}(\mathbf{L}) = \frac{(\mathbf{L}/2)^{p}(\mathbf{I} - \mathbf{L}/2)^{C-p}}
    {\mathrm{B}(p + 1, C + 1 - p)}, \qquad
    \mathbf{z} = \mathrm{MLP}\big(\Vert_{p=0}^{C}\, \beta_p(\mathbf{L})\,
    \mathrm{MLP}(\mathbf{X})\big)

**LogisticBaseline**: :math:`z_i = \mathbf{w}^\top \mathbf{x}_i + b`, the graph ignored.

Shapes: x (N, F) -> logits (N,).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import beta as beta_function
from torch import Tensor, nn

from gnn.graph import GraphArrays


class TorchGraph:
    """:class:`GraphArrays` as tensors, with the sparse matrices built once."""

    def __init__(self, arrays: GraphArrays) -> None:
        self.x = torch.from_numpy(np.ascontiguousarray(arrays.x))
        n = self.x.shape[0]
        self.num_nodes = n
        # All relations in one (N, R N) matrix: column r N + j holds w^{(r)}_{ji}, so one
        # product aggregates every relation (messages stacked relation by relation).
        self.num_relations = arrays.num_relations
        src, dst = arrays.edge_index
        columns = arrays.edge_type * n + src
        index = torch.from_numpy(np.vstack([dst, columns]).astype(np.int64))
        weight = torch.from_numpy(np.ascontiguousarray(arrays.rel_weight))
        self.relation_matrix = torch.sparse_coo_tensor(
            index, weight, (n, n * max(arrays.num_relations, 1)),
            check_invariants=False).coalesce()
        sym_index = torch.from_numpy(np.ascontiguousarray(arrays.sym_index))
        sym_weight = torch.from_numpy(np.ascontiguousarray(arrays.sym_weight))
        self.normalised_adjacency = torch.sparse_coo_tensor(
            sym_index, sym_weight, (n, n), check_invariants=False).coalesce()

    def laplacian_times(self, h: Tensor) -> Tensor:
        r""":math:`\mathbf{L}\mathbf{h} = \mathbf{h} - \mathbf{D}^{-1/2}\mathbf{A}
        \mathbf{D}^{-1/2}\mathbf{h}` (isolated nodes: :math:`\mathbf{L}\mathbf{h} =
        \mathbf{h}`)."""
        result: Tensor = h - torch.sparse.mm(self.normalised_adjacency, h)
        return result


class RiskRGCN(nn.Module):
    """Relational GCN with per-relation mean aggregation (see the module docstring).

    Args:
        in_channels (int): node features :math:`F`.
        num_relations (int): relations, reverses included.
        hidden (int): hidden width (default: ``32``).
        layers (int): message-passing layers (default: ``2``).
    """

    def __init__(self, in_channels: int, num_relations: int, hidden: int = 32,
                 layers: int = 2) -> None:
        super().__init__()
        self.num_relations = num_relations
        self.self_loops = nn.ModuleList()
        self.relation_weights = nn.ModuleList()
        width = in_channels
        for _ in range(layers):
            self.self_loops.append(nn.Linear(width, hidden))
            self.relation_weights.append(nn.Linear(width, hidden * num_relations, bias=False))
            width = hidden
        self.hidden = hidden
        self.head = nn.Linear(hidden, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in (*self.self_loops, *self.relation_weights, self.head):
            module.reset_parameters()

    def forward(self, graph: TorchGraph) -> Tensor:
        h = graph.x
        for self_loop, relation_weight in zip(self.self_loops, self.relation_weights,
                                              strict=True):
            n = h.shape[0]
            messages = relation_weight(h).view(n, self.num_relations, self.hidden)
            stacked = messages.transpose(0, 1).reshape(n * self.num_relations, self.hidden)
            out = self_loop(h) + torch.sparse.mm(graph.relation_matrix, stacked)
            h = torch.relu(out)
        logits: Tensor = self.head(h).squeeze(-1)
        return logits

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(relations={self.num_relations}, "
                f"hidden={self.hidden}, layers={len(self.self_loops)})")


def beta_wavelet_coefficients(order: int) -> list[list[float]]:
    r"""Coefficients :math:`\theta_{p,k}` with :math:`\beta_p(\mathbf{L}) =
    \sum_k \theta_{p,k} \mathbf{L}^k`, for :math:`p = 0..C` (``order`` :math:`= C`)."""
    result = []
    for p in range(order + 1):
        polynomial = np.polynomial.Polynomial([0.0, 0.5]) ** p * \
            np.polynomial.Polynomial([1.0, -0.5]) ** (order - p)
        coefficients = polynomial.coef / beta_function(p + 1, order + 1 - p)
        padded = np.zeros(order + 1)
        padded[: len(coefficients)] = coefficients
        result.append([float(c) for c in padded])
    return result


class RiskBWGNN(nn.Module):
    """Beta-wavelet band-pass graph network (see the module docstring).

    Args:
        in_channels (int): node features :math:`F`.
        hidden (int): hidden width (default: ``32``).
        order (int): wavelet order :math:`C`, giving :math:`C + 1` bands (default: ``2``).
    """

    def __init__(self, in_channels: int, hidden: int = 32, order: int = 2) -> None:
        super().__init__()
        self.order = order
        self.hidden = hidden
        self.encoder = nn.Sequential(nn.Linear(in_channels, hidden), nn.ReLU(),
                                     nn.Linear(hidden, hidden), nn.ReLU())
        self.decoder = nn.Sequential(nn.Linear(hidden * (order + 1), hidden), nn.ReLU(),
                                     nn.Linear(hidden, 1))
        self.register_buffer("theta", torch.tensor(beta_wavelet_coefficients(order),
                                                   dtype=torch.float32))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in (*self.encoder, *self.decoder):
            if isinstance(module, nn.Linear):
                module.reset_parameters()

    def forward(self, graph: TorchGraph) -> Tensor:
        h = self.encoder(graph.x)
        powers = [h]
        for _ in range(self.order):
            powers.append(graph.laplacian_times(powers[-1]))
        theta: Tensor = self.theta  # type: ignore[assignment]
        bands = [sum(theta[p, k] * powers[k] for k in range(self.order + 1))
                 for p in range(self.order + 1)]
        logits: Tensor = self.decoder(torch.cat(bands, dim=-1)).squeeze(-1)
        return logits

    def __repr__(self) -> str:
        return f"{type(self).__name__}(hidden={self.hidden}, bands={self.order + 1})"


class LogisticBaseline(nn.Module):
    """Logistic regression on the node's own features; the graph is ignored.

    Args:
        in_channels (int): node features :math:`F`.
        columns (list[int], optional): the features it reads (default: all); the
            neighbourhood summaries (``graph_*``) are left out by
            :func:`gnn.train.build_model`, so that the baseline sees no neighbour.
    """

    def __init__(self, in_channels: int, columns: list[int] | None = None) -> None:
        super().__init__()
        chosen = list(range(in_channels)) if columns is None else columns
        self.register_buffer("columns", torch.tensor(chosen, dtype=torch.int64))
        self.linear = nn.Linear(len(chosen), 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.linear.reset_parameters()

    def forward(self, graph: TorchGraph) -> Tensor:
        columns: Tensor = self.columns  # type: ignore[assignment]
        logits: Tensor = self.linear(graph.x[:, columns]).squeeze(-1)
        return logits
