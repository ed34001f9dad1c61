"""Graph risk: export, no leakage, determinism, uplift, attribution, generic evaluation."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.score import IndicatorSystem
from features.tables import read_tables
from gnn.calibrate import UpliftCalibration, isotonic_fit
from gnn.dataset import scored_export
from gnn.export import export_store, to_hetero_data
from gnn.generic import evaluate_graph, graph_from_tables
from gnn.graph import Attribution, subgraph
from gnn.metrics import average_precision, roc_auc
from gnn.train import GraphRiskClassifier, TrainConfig, stratified_split
from graph import schema
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from graph.store import GraphStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.models import Contact, Officer, Penalty, PersonInput, Shareholding
from ingestion.validate import Delivery
from risk.classify import Classifier, load_classification_config
from risk.uplift import classify_with_uplift, graph_reasons
from tests.builders import AS_OF, enterprise, id_number, uscc
from tests.conftest import PERSON_KEY
from tests.test_stores import load_small

ROOT = Path(__file__).resolve().parent.parent


def load(store: GraphStore, delivery: Delivery) -> None:
    write_batch(store, delivery_to_batch(delivery, PersonPseudonyms(PERSON_KEY)))


def propagation_graph(n: int = 2_000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Labels driven mostly by the neighbours' features: a graph model must see them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    src, dst = rng.integers(0, n, 3 * n), rng.integers(0, n, 3 * n)
    total, count = np.zeros(n), np.zeros(n)
    for a, b in ((src, dst), (dst, src)):
        np.add.at(total, b, x[a, 1])
        np.add.at(count, b, 1)
    logit = 0.5 * x[:, 0] + 2.5 * total / np.maximum(count, 1) - 2.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    y[rng.random(n) < 0.05] = np.nan  # some unlabelled nodes
    nodes = pd.DataFrame({"node_id": [f"n{i}" for i in range(n)], "label": y,
                          **{f"f_{k}": x[:, k] for k in range(4)}})
    edges = pd.DataFrame({"src": [f"n{i}" for i in src], "dst": [f"n{i}" for i in dst],
                          "edge_type": np.where(rng.random(3 * n) < 0.5, "a", "b")})
    return nodes, edges


# --- export ------------------------------------------------------------------------------

def test_export_matches_the_store(store: GraphStore) -> None:
    load_small(store)
    export = export_store(store, AS_OF)
    graph = export.graph
    assert list(export.usccs) == [uscc(n) for n in range(1, 7)]
    assert len(graph.of_type("enterprise")) == 6
    # People with a link valid on AS_OF: person 1 (shareholder, legal rep), person 3
    # (officer); person 2's only holding ended in 2024.
    assert len(graph.of_type("person")) == 2
    assert export.edge_counts() == {
        "holds_shares": 1, "legal_rep_of": 2, "officer_of": 1, "enterprise_holds_shares": 1,
        "branch_of": 1, "shares_contact": 1}
    # ...which is what the store holds, cut to AS_OF.
    valid = read_tables(store, AS_OF).person_links["role"].value_counts()
    assert export.edge_counts()["legal_rep_of"] == valid["legal_rep"]
    assert export.edge_counts()["branch_of"] == len(store.relationship_table(schema.BRANCH_OF))
    ratio = graph.edge_attr[graph.edge_type == graph.relations.index("enterprise_holds_shares")]
    assert ratio.tolist() == [pytest.approx(0.7)]
    data = to_hetero_data(export)
    assert data["enterprise"].x.shape == (6, graph.x.shape[1])
    assert data["person"].num_nodes == 2
    assert data["person", "legal_rep_of", "enterprise"].edge_index.shape == (2, 2)
    assert data["enterprise", "shares_contact", "enterprise"].edge_attr.shape == (1, 1)
    assert data.validate()


def test_features_at_t_ignore_records_after_t() -> None:
    store = MemoryStore()
    load_small(store)
    system = IndicatorSystem()
    # Every feature the models read: sub-scores, past problems, neighbourhood summaries.
    before, _, _ = scored_export(store, AS_OF, system)
    later = dt.date(2026, 12, 1)
    load(store, Delivery.of_records({
        "enterprises": [enterprise(7, established=later),
                        enterprise(6, address=enterprise(3).address, approved=later)],
        "contacts": [Contact(uscc=uscc(1), kind="phone", value=enterprise(2).phone or "",
                             since=later)],
        "people": [PersonInput(id_number=id_number(4), name="李四")],
        "shareholdings": [Shareholding(holder_kind="person", holder_id=id_number(4),
                                       enterprise_uscc=uscc(3), ratio=0.2, since=later)],
        "officers": [Officer(id_number=id_number(4), enterprise_uscc=uscc(4), role="director",
                             since=later)],
        "penalty": [Penalty(event_id="penalty-future", uscc=uscc(5), date=later,
                            source="test", amount=1e6, category="food", severity="serious")],
    }))
    after, _, _ = scored_export(store, AS_OF, system)
    assert any(name.startswith("graph_") for name in after.graph.feature_names)
    np.testing.assert_array_equal(before.graph.x, after.graph.x)
    np.testing.assert_array_equal(before.graph.edge_index, after.graph.edge_index)
    assert list(before.usccs) == list(after.usccs)
    # The records are there: a later export sees them.
    assert len(export_store(store, dt.date(2027, 1, 1)).usccs) == 7


def test_contacts_declared_after_t_are_not_in_the_graph_at_t(store: GraphStore) -> None:
    """A contact added after T, and a registered address changed after T, are not in the
    graph at T; the address held before stays valid until the change."""
    load_small(store)
    later = dt.date(2026, 12, 1)
    moved = enterprise(6, address=enterprise(3).address, approved=later)
    update = Delivery.of_records({
        "enterprises": [moved],
        "contacts": [Contact(uscc=uscc(1), kind="phone", value=enterprise(2).phone or "",
                             since=later)],
    })
    load(store, update)

    def pairs(as_of: dt.date) -> set[tuple[str, str]]:
        export = export_store(store, as_of)
        graph = export.graph
        chosen = graph.edge_type == graph.relations.index("shares_contact")
        src, dst = graph.edge_index[:, chosen]
        return {(str(graph.ids[a]), str(graph.ids[b])) for a, b in zip(src, dst, strict=True)}

    assert pairs(AS_OF) == {(uscc(4), uscc(5))}
    assert pairs(dt.date(2027, 1, 1)) == {(uscc(4), uscc(5)), (uscc(1), uscc(2)),
                                          (uscc(3), uscc(6))}
    addresses = read_tables(store, AS_OF).addresses.set_index("uscc")["address"]
    assert addresses[uscc(6)] == enterprise(6).address
    now = read_tables(store, dt.date(2027, 1, 1)).addresses.set_index("uscc")["address"]
    assert now[uscc(6)] == moved.address and (now.index == uscc(6)).sum() == 1
    # The old link is ended on the approval day, not deleted; loading again changes nothing.
    links = store.relationship_table(schema.REGISTERED_AT)
    mine = links.loc[links["start"] == uscc(6)].set_index("end")
    assert mine.loc[enterprise(6).address, "until"] == later
    assert mine.loc[moved.address, "since"] == later
    load(store, update)
    pd.testing.assert_frame_equal(store.relationship_table(schema.REGISTERED_AT), links)


def test_neighbourhood_features_and_a_baseline_that_does_not_read_them() -> None:
    store = MemoryStore()
    load_small(store)
    export, _, scores = scored_export(store, AS_OF, IndicatorSystem())
    names = list(export.graph.feature_names)
    x = pd.DataFrame(export.graph.x[export.enterprise_nodes], index=export.usccs,
                     columns=names)
    # Person 1 is legal representative of E1 and E2: each is the other's people group.
    assert x.loc[uscc(1), "graph_people_log_size"] == pytest.approx(np.log1p(1))
    assert x.loc[uscc(1), "graph_people_mean_score"] == pytest.approx(
        scores.base_score[uscc(2)] / 100, rel=1e-5)
    # E1 holds 70 % of E3 and E6 is E1's branch; E4 and E5 share an address.
    assert x.loc[uscc(1), "graph_control_log_size"] == pytest.approx(np.log1p(2))
    assert x.loc[uscc(4), "graph_contact_max_score"] == pytest.approx(
        scores.base_score[uscc(5)] / 100, rel=1e-5)
    assert x.loc[uscc(6), "graph_people_log_size"] == 0
    from gnn.train import build_model

    baseline = build_model(TrainConfig(model="logistic"), len(names), 1, tuple(names))
    read = {names[k] for k in baseline.columns.tolist()}
    assert read and not any(name.startswith("graph_") for name in read)
    assert "past_problem_12m" in read and len(read) < len(names)


# --- models ------------------------------------------------------------------------------

def test_same_seed_same_weights_and_metrics() -> None:
    graph, y = graph_from_tables(*propagation_graph(600))
    labelled = np.flatnonzero(np.isfinite(y))
    train, validation = stratified_split(y, labelled, (0.6,))
    runs = [GraphRiskClassifier(TrainConfig(model=m, epochs=6, eval_every=2)).fit(
        graph, y, train, validation) for m in ("rgcn", "rgcn", "bwgnn", "bwgnn")]
    for first, second in (runs[:2], runs[2:]):
        for key, value in first.state_dict().items():
            assert np.array_equal(value.numpy(), second.state_dict()[key].numpy()), key
        assert [h["loss"] for h in first.history] == [h["loss"] for h in second.history]


def test_graph_models_beat_the_baseline_where_risk_propagates() -> None:
    graph, y = graph_from_tables(*propagation_graph())
    result = evaluate_graph(graph, y, epochs=60)["models"]
    baseline = result["logistic"]["auc"]
    assert result["rgcn"]["auc"] >= baseline + 0.03
    assert result["bwgnn"]["auc"] >= baseline + 0.03


def test_subgraph_outputs_equal_whole_graph_outputs() -> None:
    graph, y = graph_from_tables(*propagation_graph(400))
    labelled = np.flatnonzero(np.isfinite(y))
    for name in ("rgcn", "bwgnn"):
        model = GraphRiskClassifier(TrainConfig(model=name, epochs=3)).fit(graph, y, labelled)
        whole = model.logits(graph)
        for target in (0, 17, 99):
            nodes = graph.k_hop(np.asarray([target]), 2)
            local = int(np.searchsorted(nodes, target))
            assert model.logits(subgraph(graph, nodes))[local] == pytest.approx(
                whole[target], abs=1e-4)


def test_metrics_on_a_known_ranking() -> None:
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert average_precision([1, 0, 1], [0.9, 0.8, 0.1]) == pytest.approx((1 + 2 / 3) / 2)


# --- uplift and reasons ------------------------------------------------------------------

def test_isotonic_fit_is_monotone() -> None:
    rng = np.random.default_rng(0)
    x = rng.random(2_000)
    y = (rng.random(2_000) < x).astype(float)
    _, ys = isotonic_fit(x, y)
    assert np.all(np.diff(ys) >= 0)


def test_uplift_is_bounded_and_classes_are_recomputed() -> None:
    store = MemoryStore()
    load_small(store)
    system = IndicatorSystem()
    export, tables, scores = scored_export(store, AS_OF, system)
    base = scores.base_score.reindex(export.usccs)
    calibration = UpliftCalibration(
        prob_x=(0.0, 1.0), prob_y=(0.0, 1.0), score_x=(0.0, 100.0), score_y=(0.0, 1.0),
        max_uplift=5.0)
    probability = np.asarray([0.0, 0.0, 1.0, 0.5, 0.2, 0.9])
    uplift = pd.Series(calibration.uplift(probability, base.to_numpy()), index=export.usccs)
    assert uplift.between(0, 5).all() and uplift.max() == 5.0 and uplift.iloc[0] == 0
    classifier = Classifier(load_classification_config(indicators=system.config),
                            system.config)
    result = classify_with_uplift(classifier, scores, uplift, tables).frame.set_index("uscc")
    np.testing.assert_allclose(result["score"], result["base_score"] + result["graph_uplift"])
    expected = classifier.classes_from_score(result["score"])
    # Floors and the observation cap still apply on top of the final score's class.
    free = result["rule"] == ""
    assert (result.loc[free, "risk_class"] == expected[free]).all()


def test_attribution_names_real_neighbours() -> None:
    store = MemoryStore()
    load_small(store)
    system = IndicatorSystem()
    export, _, _ = scored_export(store, AS_OF, system)
    graph = export.graph
    y = np.full(graph.num_nodes, np.nan)
    y[export.enterprise_nodes] = [0, 1, 1, 1, 0, 0]
    model = GraphRiskClassifier(TrainConfig(model="rgcn", epochs=20)).fit(
        graph, y, export.enterprise_nodes)
    from gnn.explain import occlusion

    targets = export.enterprise_nodes
    attributions = occlusion(model, graph, targets)
    assert attributions
    adjacency = graph.csr()
    for item in attributions:
        assert adjacency[item.target, item.neighbour]
        assert item.relation and item.drop > 0 and 0 < item.share <= 1
    classes = np.asarray(["A", "D", "C", "D", "A", "A"], dtype=object)
    uplift = pd.Series(2.0, index=export.usccs)
    reasons = graph_reasons(attributions, export, classes, uplift)
    names = set(export.names)
    for uscc_, row in reasons.iterrows():
        assert any(name and name in row["graph_reason_zh"] for name in names), uscc_
        assert "points" in row["graph_reason_en"] and "分" in row["graph_reason_zh"]
        for entry in row["graph_reasons"]:
            path = [int(np.flatnonzero(graph.ids == node)[0]) for node in entry["path"]]
            assert path[0] == export.usccs.get_loc(uscc_) and len(path) in (2, 3)
            assert all(adjacency[a, b] for a, b in itertools.pairwise(path))
            assert entry["path_names"][1] == entry["neighbour_name"]
    # E1's legal representative and shareholder, person 1, also controls E2 (class D): the
    # reason names them and its path runs E1 -> person 1 -> E2.
    person = int(np.flatnonzero(export.names.to_numpy() == "张1")[0])
    one = graph_reasons([Attribution(0, person, "legal_rep_of", 1.0, 0.5)], export, classes,
                        uplift)
    assert one.loc[uscc(1), "graph_reason_zh"] == "法定代表人张1另控制1家D类企业（+1.0分）"
    entry = one.loc[uscc(1), "graph_reasons"][0]
    assert entry["path"] == [uscc(1), str(graph.ids[person]), uscc(2)]
    assert entry["path_names"] == ["测试企业1有限公司", "张1", "测试企业2有限公司"]
    assert entry["points"] == 1.0


# --- generic evaluation and the CLI ------------------------------------------------------

def test_generic_evaluate_on_files(tmp_path: Path) -> None:
    nodes, edges = propagation_graph(500)
    nodes.to_parquet(tmp_path / "nodes.parquet")
    edges.to_parquet(tmp_path / "edges.parquet")
    command = [sys.executable, "-m", "api.cli", "gnn", "evaluate",
               "--nodes", str(tmp_path / "nodes.parquet"),
               "--edges", str(tmp_path / "edges.parquet"), "--epochs", "5"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result["models"]) == {"rgcn", "bwgnn", "logistic"}
    for metrics in result["models"].values():
        assert {"auc", "average_precision", "f1_macro", "recall_macro"} <= set(metrics)
    assert result["split"]["train"] == pytest.approx(0.4 * result["labelled"], abs=2)


def test_cli_start_up_does_not_import_torch() -> None:
    code = "import sys, api.cli; assert 'torch' not in sys.modules, 'torch imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_train_then_score_with_model_files(tmp_path: Path) -> None:
    from api.graph_risk import score_store, train_store
    from ingestion.synthetic import generate_province
    from ingestion.validate import validate_frames

    store = MemoryStore()
    load(store, validate_frames(generate_province(1_500, seed=3).frames()))
    experiment, folder = train_store(store, dt.date(2025, 10, 31), tmp_path, epochs=5,
                                     max_uplift=8.0)
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert {"rgcn.pt", "bwgnn.pt", "logistic.pt"} <= {p.name for p in folder.iterdir()}
    assert meta["fingerprint"] == experiment.fingerprint and meta["selected"] in (
        "rgcn", "bwgnn")
    assert set(meta["metrics"]["test"]) >= {"rgcn", "bwgnn", "logistic", "base_score"}
    result = score_store(store, dt.date(2026, 10, 31), tmp_path)
    frame = result.run.classification.frame
    assert frame["graph_uplift"].between(0.0, 8.0).all()
    np.testing.assert_allclose(frame["score"], frame["base_score"] + frame["graph_uplift"])
    explained = frame.loc[frame["graph_reason_zh"] != ""]
    assert len(explained) and explained["graph_uplift"].min() > 0
    # The month's snapshot carries both parts of the score and the reasons with their paths.
    from api.pipeline import write_run_snapshot
    from risk.snapshot import read_snapshot

    write_run_snapshot(result.run, tmp_path, result.graph_model())
    snapshot = read_snapshot(tmp_path, "2026-10")
    assert snapshot.meta["model_version"].endswith(result.bundle.version)
    assert snapshot.meta["graph_model"]["selected"] == meta["selected"]
    stored = snapshot.frame.set_index("uscc")
    np.testing.assert_allclose(stored["score"], stored["base_score"] + stored["graph_uplift"])
    assert (stored["risk_class"] == frame.set_index("uscc")["risk_class"]).all()
    some = stored.loc[explained["uscc"].iloc[0], "graph_reasons"]
    assert len(some) and some[0]["path"][0] == explained["uscc"].iloc[0]
    # Each share is rounded to 1e-4 points; together they never exceed the uplift.
    assert sum(r["points"] for r in some) <= explained["graph_uplift"].iloc[0] + 5e-4
    # Same data, same seed: the same version and the same weights.
    _, again = train_store(store, dt.date(2025, 10, 31), tmp_path, epochs=5, max_uplift=8.0)
    assert again == folder


def test_mini_batches_train_on_exact_sub_graphs() -> None:
    graph, y = graph_from_tables(*propagation_graph(800))
    labelled = np.flatnonzero(np.isfinite(y))
    train, validation = stratified_split(y, labelled, (0.6,))
    for name in ("rgcn", "bwgnn"):
        model = GraphRiskClassifier(TrainConfig(model=name, epochs=4, batch_size=128)).fit(
            graph, y, train, validation)
        assert len(model.history) == 4 and np.isfinite(model.history[-1]["loss"])
        assert model.score(graph, y, validation) > 0.5
