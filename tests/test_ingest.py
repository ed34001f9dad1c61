"""`riskgraph ingest` on delivery folders: idempotent, crash-safe, monthly updates, strict.

The crash test kills a real ingestion process half-way through a load into Neo4j and
checks that running it again ends in the same graph as an uninterrupted load.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from graph import schema
from graph.ingest import delivery_folders, ingest_folder
from graph.memory import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.server import Neo4jConnection
from graph.store import GraphStore
from ingestion.formats import write_delivery
from ingestion.synthetic import generate_province, monthly_deliveries

KEY = b"test-key"
# The CLI of this checkout (the venv's `riskgraph` script runs the installed one).
RISKGRAPH = [sys.executable, "-m", "api"]
ROOT = Path(__file__).resolve().parent.parent


def assert_same_graph(left: GraphStore, right: GraphStore) -> None:
    assert left.counts() == right.counts()
    for label in schema.NODES:
        pd.testing.assert_frame_equal(left.node_table(label), right.node_table(label), obj=label)
    for spec in schema.RELATIONSHIPS:
        pd.testing.assert_frame_equal(
            left.relationship_table(spec), right.relationship_table(spec), obj=spec.name)


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # As a registry would send it: GB18030 CSV with Chinese headers.
    folder = tmp_path_factory.mktemp("delivery") / "2026-10"
    write_delivery(generate_province(3_000, seed=11).frames(), folder, "csv",
                   encoding="gb18030", headers="zh")
    return folder


def test_loading_twice_changes_nothing(store: GraphStore, delivery: Path) -> None:
    first = ingest_folder(store, delivery, KEY)
    counts = store.counts()
    second = ingest_folder(store, delivery, KEY)
    assert first.quarantine == second.quarantine == []
    assert store.counts() == counts
    assert counts["Enterprise"] == 3_000


def test_killed_load_then_rerun_equals_uninterrupted_load(
    delivery: Path, neo4j_connection: Neo4jConnection, neo4j_store: Neo4jStore, tmp_path: Path
) -> None:
    env = dict(
        os.environ, RISKGRAPH_GRAPH="neo4j", RISKGRAPH_NEO4J_URI=neo4j_connection.uri,
        RISKGRAPH_NEO4J_USER=neo4j_connection.user,
        RISKGRAPH_NEO4J_PASSWORD=neo4j_connection.password,
        RISKGRAPH_PERSON_ID_KEY=KEY.decode(), RISKGRAPH_HOME=str(tmp_path / "home"),
    )
    command = [*RISKGRAPH, "ingest", str(delivery), "--quarantine-dir", str(tmp_path / "q")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, cwd=ROOT)
    deadline = time.monotonic() + 120
    while neo4j_store.counts().get("Enterprise", 0) == 0 and time.monotonic() < deadline:
        assert process.poll() is None, "the load ended before it could be interrupted"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    partial = neo4j_store.counts()

    reference = MemoryStore()
    ingest_folder(reference, delivery, KEY)
    assert partial != reference.counts(), "the kill came after the load had finished"

    subprocess.run(command, env=env, check=True, capture_output=True, timeout=600, cwd=ROOT)
    assert_same_graph(neo4j_store, reference)


def test_monthly_deliveries_rebuild_the_province(tmp_path: Path) -> None:
    province = generate_province(1_500, seed=4)
    deliveries = monthly_deliveries(province, months=24)
    for delivery in deliveries:
        write_delivery(delivery.frames, tmp_path / f"{delivery.month:%Y-%m}", "parquet")
    folders = delivery_folders(tmp_path)
    assert len(folders) == len(deliveries) >= 25

    monthly = MemoryStore()
    for folder in folders:
        report = ingest_folder(monthly, folder, KEY)
        assert report.quarantine == [], report.quarantine[:3]
    whole = MemoryStore()
    write_delivery(province.frames(), tmp_path / "whole" / "all", "parquet")
    ingest_folder(whole, tmp_path / "whole" / "all", KEY)
    # The monthly store also keeps the registered contacts that were replaced, ended on the
    # day of the change (so that it can be read as of earlier days); the rest is the same,
    # and so are the registered contacts in force at the end.
    contact_types = {spec.type for spec in schema.CONTACT_LINKS}
    contact_labels = {spec.end for spec in schema.CONTACT_LINKS}
    same = {k: v for k, v in monthly.counts().items() if k not in contact_types | contact_labels}
    assert same == {k: v for k, v in whole.counts().items()
                    if k not in contact_types | contact_labels}
    for label in set(schema.NODES) - contact_labels:
        pd.testing.assert_frame_equal(monthly.node_table(label), whole.node_table(label))
    for spec in schema.RELATIONSHIPS:
        left, right = monthly.relationship_table(spec), whole.relationship_table(spec)
        if spec in schema.CONTACT_LINKS:
            ended = left["until"].notna()
            assert ended.any() == (spec == schema.REGISTERED_AT)  # addresses change
            assert (left.loc[ended, "until"] >= left.loc[ended, "since"]).all()
            left, right = (t.loc[t["until"].isna(), ["start", "end", "key"]]
                           .reset_index(drop=True) for t in (left, right))
        pd.testing.assert_frame_equal(left, right, obj=spec.name)


def test_strict_mode_exits_non_zero_on_quarantine(tmp_path: Path) -> None:
    frames = generate_province(200, seed=2).frames()
    frames["enterprises"].loc[0, "established"] = "not a date"
    write_delivery(frames, tmp_path / "d", "csv")
    env = dict(os.environ, RISKGRAPH_PERSON_ID_KEY="k", RISKGRAPH_HOME=str(tmp_path / "home"))
    base = [*RISKGRAPH, "ingest", str(tmp_path / "d"), "--quarantine-dir", str(tmp_path / "q")]
    lenient = subprocess.run(base, env=env, capture_output=True, text=True, cwd=ROOT)
    assert lenient.returncode == 0, lenient.stderr
    strict = subprocess.run([*base, "--strict"], env=env, capture_output=True, text=True,
                            cwd=ROOT)
    assert strict.returncode == 1
    report = pd.read_csv(tmp_path / "q" / "d.csv")
    first = report.iloc[0]
    assert (first["source"], first["line"], first["field"]) == ("enterprises.csv", 1, "established")


def test_bods_file_ingests_into_the_same_model(tmp_path: Path) -> None:
    folder = tmp_path / "bods"
    folder.mkdir()
    shutil.copy(Path(__file__).parent / "data" / "bods" / "chain.bods.json", folder)
    store = MemoryStore()
    report = ingest_folder(store, folder, KEY)
    counts = store.counts()
    # The fixture's good records load; its broken ones are quarantined naming the field.
    assert counts["Enterprise"] == 3 and counts["Person"] == 2
    assert counts["HOLDS_SHARES"] == 4 and counts["OFFICER_OF"] == 2
    assert {q.field for q in report.quarantine} >= {"uscc", "id_number"}
    assert all(q.source == "chain.bods.json" for q in report.quarantine)
