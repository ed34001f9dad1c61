"""``neo4j-admin database import`` gives the graph ``write_batch`` gives (real Neo4j server).

The import needs a stopped server, so these tests run their own server in a temporary
instance (not the session's), imported into several times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from api.pipeline import validate_province
from graph import schema
from graph.bulk_import import BulkImportError, ImportReport, bulk_import
from graph.ingest import bulk_ingest_folder, ingest_folder
from graph.load import GraphBatch, delivery_to_batch, write_batch
from graph.memory import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.schema import RelSpec
from graph.server import LocalNeo4jServer
from ingestion.formats import write_delivery
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province
from tests.builders import small_delivery, uscc
from tests.conftest import PERSON_KEY
from tests.test_neo4j_load import assert_same_graph, enterprise_row, frame, memory_of, share


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNeo4jServer]:
    server = LocalNeo4jServer(Path(tmp_path_factory.mktemp("neo4j-import")))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def store_after(server: LocalNeo4jServer) -> Iterator[list[Neo4jStore]]:
    """Stores opened by a test on the imported database; closed after it."""
    stores: list[Neo4jStore] = []
    yield stores
    for store in stores:
        store.close()


def imported(batch: GraphBatch, server: LocalNeo4jServer,
             stores: list[Neo4jStore]) -> tuple[ImportReport, Neo4jStore]:
    report = bulk_import(batch, server)
    assert server.is_running()
    assert not any(server.import_dir.iterdir()), "the CSV files are removed"
    connection = server.connection()
    store = Neo4jStore(connection.uri, connection.user, connection.password)
    stores.append(store)
    return report, store


def test_small_delivery(server: LocalNeo4jServer, store_after: list[Neo4jStore]) -> None:
    batch = delivery_to_batch(small_delivery(), PersonPseudonyms(PERSON_KEY))
    report, store = imported(batch, server, store_after)
    assert_same_graph(memory_of(batch), store)
    assert report.graph_rows == batch.size()
    assert report.empty_lists_set == 6  # no enterprise of the small delivery has a sector
    assert {"csv", "import", "start", "constraints", "total"} <= set(report.seconds)


def test_province_then_incremental_reload(server: LocalNeo4jServer,
                                          store_after: list[Neo4jStore]) -> None:
    batch = delivery_to_batch(validate_province(generate_province(2000, seed=5)),
                              PersonPseudonyms(PERSON_KEY))
    report, store = imported(batch, server, store_after)
    assert report.stopped_server  # the previous test left it running
    memory = memory_of(batch)
    assert_same_graph(memory, store)
    events = sum(store.counts().get(spec.label, 0) for spec in schema.EVENT_NODES.values())
    (record,) = store.driver.execute_query("MATCH (n:Event) RETURN count(n) AS c").records
    assert record["c"] == events
    constraints = store.driver.execute_query("SHOW CONSTRAINTS YIELD name").records
    assert len(constraints) == len(schema.NODES)
    # The monthly path on top of an imported graph: the same rows change nothing.
    write_batch(store, batch)
    assert_same_graph(memory, store)


def test_edge_rows(server: LocalNeo4jServer, store_after: list[Neo4jStore]) -> None:
    """Repeats, dangling relationships, text that needs quoting, empty strings and arrays
    next to missing values, on nodes and relationships."""
    # Not in the schema: array, integer and text properties on relationships.
    tagged = RelSpec("BRANCH_OF", "Person", "Enterprise", ("tags", "weight", "note"))
    batch = GraphBatch()
    batch.nodes["Enterprise"] = frame([
        enterprise_row(1, name='引号"和,逗号', address="多行\n地址", sectors=("a", "b")),
        enterprise_row(2, email="", phone=None, sectors=None),
        enterprise_row(3, sectors=()),
        enterprise_row(1, status="revoked", name='引号"和,逗号', address="多行\n地址"),
    ])
    batch.nodes["Person"] = frame([{"person_id": f"p{n}", "name": f"人{n}", "id_masked": None}
                                   for n in (2, 3)])
    batch.nodes["AnnualReport"] = frame([
        {"event_id": "ar-1", "uscc": uscc(1), "date": dt.date(2024, 5, 1), "source": "s",
         "publicity_end": None, "year": 2023, "on_time": False},
    ])
    batch.relationships[schema.ENTERPRISE_HOLDS_SHARES] = frame([
        share(1, 2, "2020-01-01", 0.25), share(1, 2, "2020-01-01", 0.75),
        share(1, 9, "2020-01-01", 0.5),
        {"start": uscc(3), "end": uscc(2), "key": "", "ratio": 1e-9},
    ])
    batch.relationships[tagged] = frame([
        {"start": "p2", "end": uscc(1), "key": "", "tags": (), "weight": 2, "note": ""},
        {"start": "p3", "end": uscc(1), "key": "x", "tags": None, "weight": 1, "note": None},
        {"start": "p3", "end": uscc(2), "key": "", "tags": ("t",), "weight": 3, "note": "n"},
    ])
    batch.relationships[schema.HAS_EVENT["annual_report"]] = frame(
        [{"start": uscc(1), "end": "ar-1", "key": ""}])
    report, store = imported(batch, server, store_after)
    assert (report.folded_rows, report.dropped_relationships) == (2, 1)
    assert_same_graph(memory_of(batch), store)
    links = store.relationship_table(tagged)
    pd.testing.assert_frame_equal(memory_of(batch).relationship_table(tagged), links)
    assert links["tags"].tolist() == [(), None, ("t",)]
    assert links["note"].tolist() == ["", None, "n"]
    enterprises = store.node_table("Enterprise").set_index("uscc")
    assert enterprises.loc[uscc(1), "status"] == "revoked"
    assert enterprises.loc[uscc(2), "email"] == ""
    assert enterprises["sectors"].tolist() == [("food",), None, ()]  # the last uscc(1) row


def test_unimportable_batch_fails_before_the_server_stops(
        server: LocalNeo4jServer, store_after: list[Neo4jStore]) -> None:
    batch = delivery_to_batch(small_delivery(), PersonPseudonyms(PERSON_KEY))
    _, store = imported(batch, server, store_after)
    pid, counts = server.pid, store.counts()
    bad = GraphBatch(nodes={"Enterprise": frame([enterprise_row(1, sectors=("a\x1fb",))])})
    with pytest.raises(BulkImportError, match="array delimiter"):
        bulk_import(bad, server)
    assert server.pid == pid
    assert store.counts() == counts
    assert not any(server.import_dir.iterdir())


def test_bulk_ingest_of_a_folder_equals_the_incremental_load(
        server: LocalNeo4jServer, store_after: list[Neo4jStore], tmp_path: Path) -> None:
    """``riskgraph ingest --bulk``'s path: files validated kind by kind in chunks, joined
    per kind and imported, give the graph ``ingest_folder`` gives; bad rows are quarantined
    the same way. Contacts bring address/phone/email nodes the enterprises brought too."""
    frames = generate_province(1500, seed=8).frames()
    frames["enterprises"].loc[3, "uscc"] = "not a uscc"
    frames["contacts"].loc[:5, "uscc"] = frames["enterprises"]["uscc"].iloc[10]
    write_delivery(frames, tmp_path / "delivery", "parquet")
    memory = MemoryStore()
    expected = ingest_folder(memory, tmp_path / "delivery", PERSON_KEY, chunk_rows=400)
    report, imported_report = bulk_ingest_folder(
        server, tmp_path / "delivery", PERSON_KEY, chunk_rows=400)
    assert (report.records, report.quarantine) == (expected.records, expected.quarantine)
    assert report.quarantine  # the bad USCC and what referred to it
    connection = server.connection()
    store = Neo4jStore(connection.uri, connection.user, connection.password)
    store_after.append(store)
    assert_same_graph(memory, store)
    assert imported_report.graph_rows == sum(store.counts().values())
