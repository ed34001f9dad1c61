"""How much of the 12-month outcome the graph can add on the synthetic province.

    .venv/bin/python -m bench.gnn_ceiling --enterprises 100000

(``-m`` from the checkout.) The same province, dates and node features as
:mod:`bench.gnn`. On the test date it reports the AUC of

* the generator's hidden risk itself (a ceiling: no model can know it; read here for
  evaluation only, as the supervision simulator does, never by a model);
* the base score;
* logistic regressions fitted on the training date: on the node's own features (what the
  non-graph baseline reads) and on those plus the neighbourhood summaries (``graph_*``),
  so the gain that the neighbourhood summaries carry is measured without a network;

and how many enterprises have any neighbour in a people, control or contact group (only
they can gain from the graph). Results go into ``bench/results/gnn_ceiling.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from bench.common import log, peak_rss_mib, save_run, timed
from bench.gnn import AS_OF, TEST, TRAIN, province_store
from features.score import IndicatorSystem
from gnn.dataset import LabelledGraph, labelled_graph
from gnn.export import GRAPH_FEATURE_PREFIX
from gnn.metrics import roc_auc
from ingestion.synthetic import generate_province

FloatArray = npt.NDArray[np.float64]


def fitted_logistic_auc(train: tuple[FloatArray, FloatArray],
                        test: tuple[FloatArray, FloatArray]) -> float:
    """Class-weighted, lightly regularised logistic regression (L-BFGS) fitted on
    ``train`` (features, labels), its test AUC."""
    (x_train, y_train), (x_test, y_test) = train, test
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6
    a = torch.tensor((x_train - mean) / std, dtype=torch.float64)
    b = torch.tensor((x_test - mean) / std, dtype=torch.float64)
    labels = torch.tensor(y_train, dtype=torch.float64)
    weights = torch.zeros(a.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([weights, bias], max_iter=300)
    positive_weight = torch.tensor((1.0 - y_train.mean()) / y_train.mean())

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            a @ weights + bias, labels, pos_weight=positive_weight) + 1e-4 * weights.square().sum()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimiser.step(closure)  # type: ignore[no-untyped-call]
    return roc_auc(y_test, (b @ weights + bias).detach().numpy())


def enterprise_features(graph: LabelledGraph, own_only: bool) -> tuple[FloatArray, FloatArray]:
    nodes = graph.export.enterprise_nodes
    names = graph.export.graph.feature_names
    columns = [k for k, name in enumerate(names)
               if not (own_only and name.startswith(GRAPH_FEATURE_PREFIX))]
    x = np.asarray(graph.export.graph.x, dtype=np.float64)[nodes][:, columns]
    y = graph.y[nodes]
    known = ~np.isnan(y)
    return x[known], y[known]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).parent / "results" / "gnn_ceiling.json")
    args = parser.parse_args()
    log(f"province of {args.enterprises:,} enterprises (seed {args.seed})")
    hidden = generate_province(args.enterprises, seed=args.seed, as_of=AS_OF).hidden_risk
    store = province_store(args.enterprises, args.seed)
    system = IndicatorSystem()
    seconds, (train, test) = timed(lambda: (labelled_graph(store, TRAIN, system),
                                            labelled_graph(store, TEST, system)))
    log(f"labelled graphs in {seconds:.0f} s")
    y = test.enterprise_labels()
    known = y.notna().to_numpy()
    outcome = y.to_numpy(dtype=float)[known]
    risk = hidden.set_index("uscc")["hidden_risk"].reindex(y.index).to_numpy(dtype=float)
    names = test.export.graph.feature_names
    x = np.asarray(test.export.graph.x)[test.export.enterprise_nodes]
    sizes = [k for k, name in enumerate(names)
             if name.startswith(GRAPH_FEATURE_PREFIX) and name.endswith("_log_size")]
    connected = np.asarray((x[:, sizes] > 0).any(axis=1), dtype=bool)[known]
    auc: dict[str, float] = {
        "hidden_risk_ceiling": roc_auc(outcome, risk[known]),
        "hidden_risk_connected": roc_auc(outcome[connected], risk[known][connected]),
        "hidden_risk_unconnected": roc_auc(outcome[~connected], risk[known][~connected]),
        "base_score": roc_auc(outcome, test.base_score.to_numpy(dtype=float)[known]),
        "logistic_own": fitted_logistic_auc(enterprise_features(train, True),
                                            enterprise_features(test, True)),
        "logistic_own_plus_graph_summaries": fitted_logistic_auc(
            enterprise_features(train, False), enterprise_features(test, False)),
    }
    auc = {name: round(value, 4) for name, value in auc.items()}
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "python": platform.python_version(),
        "command": f"python -m bench.gnn_ceiling --enterprises {args.enterprises} "
                   f"--seed {args.seed}",
        "train_as_of": TRAIN.isoformat(), "test_as_of": TEST.isoformat(),
        "test_enterprises_with_outcome": int(known.sum()),
        "test_positive_share": round(float(outcome.mean()), 4),
        "connected_share": round(float(connected.mean()), 4),
        "auc": auc,
        "graph_summaries_gain": round(auc["logistic_own_plus_graph_summaries"]
                                      - auc["logistic_own"], 4),
        "peak_rss_mib": peak_rss_mib(),
    }
    save_run(args.out, f"{args.enterprises} enterprises, seed {args.seed}", report)


if __name__ == "__main__":
    main()
