"""Training with a seed: one estimator (fit / predict_proba / score) for every model.

Full-batch on CPU: every epoch is one forward and backward pass over the whole graph
(see ``bench/README.md`` for the time and memory per epoch; a 1,000,000-enterprise
province fits in 24 GB). Class imbalance is handled by weighting the positives'
loss by :math:`n_{-} / n_{+}` of the training nodes:

.. math::
    \\mathcal{L} = -\\frac{1}{|T|}\\sum_{i \\in T}
    \\Big[\\frac{n_-}{n_+}\\, y_i \\log \\sigma(z_i) + (1 - y_i) \\log(1 - \\sigma(z_i))\\Big]

The epoch kept is the one with the best validation AUC (checked every ``eval_every``).

Mini-batches (``batch_size`` > 0), for graphs whose activations do not fit: each batch of
training targets runs on the sub-graph of their :math:`K`-hop neighbourhoods
(:func:`gnn.graph.subgraph`, our own sampler over CSR; no pyg-lib or torch-sparse), which
keeps the whole graph's normalisation, so the targets' outputs are exactly the
full-batch ones and only the activations of the sub-graph are held.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from gnn.export import GRAPH_FEATURE_PREFIX
from gnn.graph import GraphArrays, IntArray, TypedGraph, arrays, subgraph
from gnn.metrics import roc_auc
from gnn.nn import LogisticBaseline, RiskBWGNN, RiskRGCN, TorchGraph

MODELS = ("rgcn", "bwgnn", "logistic")
GRAPH_MODELS = ("rgcn", "bwgnn")


@dataclass(frozen=True)
class TrainConfig:
    model: str = "rgcn"
    hidden: int = 32
    layers: int = 2
    order: int = 2
    epochs: int = 60
    lr: float = 0.01
    weight_decay: float = 5e-4
    seed: int = 0
    eval_every: int = 5
    batch_size: int = 0  # 0: full batch; else targets per mini-batch (exact k-hop sub-graphs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def seed_everything(seed: int) -> None:
    """Same seed, same weights: torch's generator and deterministic kernels."""
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def own_columns(feature_names: tuple[str, ...], in_channels: int) -> list[int]:
    """The features that describe the node itself: all but the neighbourhood summaries
    (``graph_*``, :func:`gnn.export.group_features`)."""
    if not feature_names:
        return list(range(in_channels))
    return [k for k, name in enumerate(feature_names)
            if not name.startswith(GRAPH_FEATURE_PREFIX)]


def build_model(config: TrainConfig, in_channels: int, num_relations: int,
                feature_names: tuple[str, ...] = ()) -> nn.Module:
    if config.model == "rgcn":
        return RiskRGCN(in_channels, num_relations, config.hidden, config.layers)
    if config.model == "bwgnn":
        return RiskBWGNN(in_channels, config.hidden, config.order)
    if config.model == "logistic":
        return LogisticBaseline(in_channels, own_columns(feature_names, in_channels))
    raise ValueError(f"unknown model {config.model!r}; choose one of {', '.join(MODELS)}")


def receptive_hops(config: TrainConfig) -> int:
    """How far a node's output looks: layers (R-GCN), wavelet order (BWGNN), 0 (baseline)."""
    return {"rgcn": config.layers, "bwgnn": config.order}.get(config.model, 0)


@dataclass
class GraphRiskClassifier:
    """A node classifier of one of :data:`MODELS`, sklearn-style."""

    config: TrainConfig = field(default_factory=TrainConfig)
    module: nn.Module | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0

    def _module(self) -> nn.Module:
        if self.module is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit() first")
        return self.module

    def fit(self, graph: TypedGraph, y: npt.ArrayLike, train: IntArray,
            validation: IntArray | None = None) -> GraphRiskClassifier:
        """Fit on nodes ``train`` (labels ``y`` per node, NaN where unknown)."""
        config = self.config
        seed_everything(config.seed)
        labels = torch.from_numpy(np.nan_to_num(np.asarray(y, dtype=np.float32), nan=0.0))
        tensors = None if config.batch_size else TorchGraph(arrays(graph))
        module = build_model(config, graph.x.shape[1], len(graph.relations),
                             graph.feature_names)
        optimiser = torch.optim.Adam(module.parameters(), lr=config.lr,
                                     weight_decay=config.weight_decay)
        train_t = torch.from_numpy(np.asarray(train, dtype=np.int64))
        positives = float(labels[train_t].sum())
        weight = (len(train) - positives) / max(positives, 1.0)
        loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(weight))
        y_val = np.asarray(y, dtype=float)[validation] if validation is not None else None
        best, best_state = -1.0, copy.deepcopy(module.state_dict())
        self.history = []
        for epoch in range(1, config.epochs + 1):
            started = time.perf_counter()
            module.train()
            if config.batch_size:
                loss = self._mini_batch_epoch(graph, labels, train, module, optimiser,
                                              loss_fn, epoch)
            else:
                assert tensors is not None
                optimiser.zero_grad()
                loss = loss_fn(module(tensors)[train_t], labels[train_t])
                loss.backward()
                optimiser.step()
            entry = {"epoch": float(epoch), "loss": float(loss.item()),
                     "seconds": time.perf_counter() - started}
            last = epoch == config.epochs
            if validation is not None and (epoch % config.eval_every == 0 or last):
                module.eval()
                assert y_val is not None
                auc = roc_auc(y_val, self._logits_of(module, graph, validation, tensors))
                entry["val_auc"] = auc
                if auc > best:
                    best, best_state, self.best_epoch = auc, copy.deepcopy(
                        module.state_dict()), epoch
            self.history.append(entry)
        if validation is not None:
            module.load_state_dict(best_state)
        else:
            self.best_epoch = config.epochs
        module.eval()
        self.module = module
        return self

    def _mini_batch_epoch(self, graph: TypedGraph, labels: torch.Tensor, train: IntArray,
                          module: nn.Module, optimiser: torch.optim.Optimizer,
                          loss_fn: nn.Module, epoch: int) -> torch.Tensor:
        config = self.config
        order = np.random.default_rng([config.seed, epoch]).permutation(np.asarray(train))
        batches = np.array_split(order, max(1, -(-len(order) // config.batch_size)))
        total = torch.zeros(())
        for batch in batches:
            targets = np.sort(batch)
            nodes = graph.k_hop(targets, receptive_hops(config))
            local = torch.from_numpy(np.searchsorted(nodes, targets).astype(np.int64))
            optimiser.zero_grad()
            loss = loss_fn(module(TorchGraph(subgraph(graph, nodes)))[local],
                           labels[torch.from_numpy(targets)])
            loss.backward()
            optimiser.step()
            total = total + loss.detach() * len(batch) / len(order)
        return total

    def _logits_of(self, module: nn.Module, graph: TypedGraph, nodes: IntArray,
                   tensors: TorchGraph | None = None) -> npt.NDArray[np.float32]:
        """Logits of ``nodes``: from one full-graph pass, or (mini-batch configs) chunk by
        chunk on the exact K-hop sub-graphs, so no activation of the whole graph is held."""
        with torch.no_grad():
            if not self.config.batch_size:
                whole = tensors if tensors is not None else TorchGraph(arrays(graph))
                full: npt.NDArray[np.float32] = module(whole).numpy()[nodes]
                return full
            result = np.empty(len(nodes), dtype=np.float32)
            hops = receptive_hops(self.config)
            for start in range(0, len(nodes), self.config.batch_size):
                chunk = np.sort(np.asarray(nodes[start:start + self.config.batch_size]))
                around = graph.k_hop(chunk, hops)
                local = np.searchsorted(around, chunk)
                values = module(TorchGraph(subgraph(graph, around))).numpy()[local]
                order = np.argsort(np.asarray(nodes[start:start + self.config.batch_size]),
                                   kind="stable")
                piece = np.empty(len(chunk), dtype=np.float32)
                piece[order] = values
                result[start:start + len(chunk)] = piece
            return result

    def logits(self, graph: TypedGraph | GraphArrays) -> npt.NDArray[np.float32]:
        if isinstance(graph, TypedGraph):
            every = np.arange(graph.num_nodes, dtype=np.int64)
            return self._logits_of(self._module(), graph, every)
        with torch.no_grad():
            result: npt.NDArray[np.float32] = self._module()(TorchGraph(graph)).numpy()
        return result

    def predict_proba(self, graph: TypedGraph | GraphArrays) -> npt.NDArray[np.float64]:
        """:math:`\\sigma(z_i)` for every node."""
        return 1.0 / (1.0 + np.exp(-self.logits(graph).astype(np.float64)))

    def predict(self, graph: TypedGraph, threshold: float = 0.5) -> npt.NDArray[np.int64]:
        return (self.predict_proba(graph) >= threshold).astype(np.int64)

    def score(self, graph: TypedGraph, y: npt.ArrayLike, nodes: IntArray) -> float:
        """AUC on ``nodes``."""
        return roc_auc(np.asarray(y)[nodes], self.predict_proba(graph)[nodes])

    @property
    def epoch_seconds(self) -> float:
        times = [h["seconds"] for h in self.history]
        return float(np.median(times)) if times else float("nan")

    def state_dict(self) -> dict[str, Any]:
        return dict(self._module().state_dict())

    @classmethod
    def from_state(cls, config: TrainConfig, state: dict[str, Any], in_channels: int,
                   num_relations: int, feature_names: tuple[str, ...] = ()
                   ) -> GraphRiskClassifier:
        module = build_model(config, in_channels, num_relations, feature_names)
        module.load_state_dict(state)
        module.eval()
        return cls(config=config, module=module)


def stratified_split(y: npt.ArrayLike, nodes: IntArray, ratios: tuple[float, ...],
                     seed: int = 0) -> list[IntArray]:
    """``nodes`` split in parts of the given shares (the rest is the last part), each with
    the same share of positives."""
    labels = np.asarray(y)[nodes]
    rng = np.random.default_rng(seed)
    parts: list[list[IntArray]] = [[] for _ in range(len(ratios) + 1)]
    for value in (0, 1):
        chosen = nodes[labels == value]
        chosen = chosen[rng.permutation(len(chosen))]
        cuts = np.cumsum([round(r * len(chosen)) for r in ratios])
        for k, piece in enumerate(np.split(chosen, cuts)):
            parts[k].append(piece)
    return [np.sort(np.concatenate(p)).astype(np.int64) for p in parts]
