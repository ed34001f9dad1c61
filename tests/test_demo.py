"""The demo job end to end: CLI, output file, both stores, agreement with hidden risk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from api.cli import app
from api.demo import DemoResult, run_demo
from api.settings import Settings
from graph.server import LocalNeo4jServer, Neo4jConnection
from ingestion.synthetic import generate_province

runner = CliRunner()
COLUMNS = [
    "uscc", "risk_class", "score", "score_basic", "score_dynamic", "score_regulatory",
    "score_relationships", "score_social", "contribution_basic", "contribution_dynamic",
    "contribution_regulatory", "contribution_relationships", "contribution_social", "rule",
    "reasons", "rule_record_zh", "rule_record_en", "leniency_zh", "leniency_en",
    "counterfactual_code",
    "counterfactual_threshold", "counterfactual_zh", "counterfactual_en",
    "score_food_production", "class_food_production", "score_drug_retail", "class_drug_retail",
    "score_medical_devices", "class_medical_devices", "score_special_equipment",
    "class_special_equipment", "as_of",
]


def test_help_lists_the_commands() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).with_name("riskgraph")), "--help"],
        capture_output=True, text=True, check=True,
    )
    assert "demo" in result.stdout and "neo4j" in result.stdout
    demo_help = runner.invoke(app, ["demo", "--help"])
    for option in ("--enterprises", "--seed", "--out", "--graph"):
        assert option in demo_help.output


@pytest.fixture(scope="module")
def demo_20k(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoResult, str]:
    out = tmp_path_factory.mktemp("demo")
    console = Console(width=120, record=True)
    settings = Settings(graph="memory", person_id_key="test-key")
    result = run_demo(settings, 20_000, 0, out, console)
    return result, console.export_text()


def test_demo_20k_writes_every_enterprise(demo_20k: tuple[DemoResult, str]) -> None:
    result, _ = demo_20k
    frame = pd.read_parquet(result.output)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 20_000 == frame["uscc"].nunique()
    assert set(frame["risk_class"]) == {"A", "B", "C", "D"}
    assert frame["reasons"].map(len).between(0, 3).all()
    d_class = frame.loc[frame["risk_class"] == "D"].iloc[0]
    assert d_class["reasons"][0]["label_zh"] and d_class["reasons"][0]["record_zh"]


def test_demo_20k_score_agrees_with_hidden_risk(demo_20k: tuple[DemoResult, str]) -> None:
    result, text = demo_20k
    assert result.spearman > 0.3
    assert f"Spearman(hidden risk, base score) = {result.spearman:.3f}" in text
    assert result.evaluation.auc > 0.55
    assert f"AUC(base score, 12-month outcome) = {result.evaluation.auc:.3f}" in text
    frame = result.run.classification.frame.set_index("uscc")
    # Evaluation only: the same seed gives the same province and its hidden risk.
    hidden = generate_province(20_000, seed=0).hidden_risk.set_index("uscc")["hidden_risk"]
    hidden = hidden.reindex(frame.index)
    assert (hidden[frame["risk_class"] == "D"] > hidden.quantile(0.75)).mean() > 0.5
    for heading in ("分类结果 Classification", "按地区 By prefecture", "按行业门类 By industry"):
        assert heading in text


def test_demo_cli_on_memory(tmp_path: Path) -> None:
    env = {"RISKGRAPH_PERSON_ID_KEY": "test-key", "RISKGRAPH_HOME": str(tmp_path / "home")}
    result = runner.invoke(
        app, ["demo", "-n", "500", "--seed", "3", "--out", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(tmp_path / "classification.parquet")) == 500
    quarantine = pd.read_csv(tmp_path / "quarantine.csv")
    assert list(quarantine.columns) == ["source", "line", "record_key", "field", "reason"]
    assert quarantine.empty  # the synthetic province is clean


def test_same_province_same_answers_on_both_stores(
    tmp_path: Path, neo4j_connection: Neo4jConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (("URI", neo4j_connection.uri), ("USER", neo4j_connection.user),
                        ("PASSWORD", neo4j_connection.password)):
        monkeypatch.setenv(f"RISKGRAPH_NEO4J_{name}", value)
    console = Console(width=120, quiet=True)
    results = {
        graph: run_demo(Settings(graph=graph, person_id_key="test-key"), 3_000, 7,
                        tmp_path / graph, console)
        for graph in ("memory", "neo4j")
    }
    assert results["memory"].counts == results["neo4j"].counts
    frames = {graph: pd.read_parquet(r.output) for graph, r in results.items()}
    for frame in frames.values():
        frame["reasons"] = frame["reasons"].map(lambda reasons: [dict(r) for r in reasons])
    assert (frames["memory"]["risk_class"] == frames["neo4j"]["risk_class"]).all()
    pd.testing.assert_frame_equal(frames["memory"], frames["neo4j"])


def test_demo_on_neo4j_starts_and_stops_its_own_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RISKGRAPH_NEO4J_URI", raising=False)
    home = tmp_path / "home"
    env = {"RISKGRAPH_PERSON_ID_KEY": "test-key", "RISKGRAPH_HOME": str(home)}
    result = runner.invoke(
        app, ["demo", "-n", "300", "--graph", "neo4j", "--out", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    assert "Neo4j: connected to bolt://127.0.0.1:" in result.output
    assert len(pd.read_parquet(tmp_path / "classification.parquet")) == 300
    server = LocalNeo4jServer(Settings(home=home).neo4j_instance_dir)
    assert server.connection().uri in result.output
    assert not server.is_running()
