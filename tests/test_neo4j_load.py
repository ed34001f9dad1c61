"""The fast write paths of ``Neo4jStore`` keep the upsert semantics (real Neo4j server).

Fresh labels and relationship types are written with ``CREATE``, existing ones with
``MERGE``; properties are set by name from positional rows; batches may run in parallel
sessions. Every path must give the graph ``MemoryStore`` gives for the same rows, count
written rows the same way, and let an interrupted load be finished by running it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import cache
from typing import Any

import pandas as pd
import pytest

from api.pipeline import validate_province
from graph import schema
from graph.load import GraphBatch, delivery_to_batch, write_batch
from graph.memory import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.server import Neo4jConnection
from graph.store import GraphStore
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province
from tests.builders import small_delivery, uscc
from tests.conftest import PERSON_KEY


@cache
def province_batch() -> GraphBatch:
    return delivery_to_batch(validate_province(generate_province(2000, seed=3)),
                             PersonPseudonyms(PERSON_KEY))


def assert_same_graph(expected: GraphStore, actual: GraphStore) -> None:
    """Same counts and same tables, cell by cell and type by type."""
    assert actual.counts() == expected.counts()
    tables = [(label, expected.node_table(label), actual.node_table(label))
              for label in schema.NODES]
    tables += [(spec.name, expected.relationship_table(spec), actual.relationship_table(spec))
               for spec in schema.RELATIONSHIPS]
    for name, left, right in tables:
        pd.testing.assert_frame_equal(left, right, obj=name)
        # equal values are not enough: 1 == 1.0 and a date must stay a date.
        pd.testing.assert_frame_equal(left.map(type), right.map(type), obj=f"{name} types")


def memory_of(batch: GraphBatch) -> MemoryStore:
    memory = MemoryStore()
    write_batch(memory, batch)
    return memory


@pytest.fixture
def other_store(
    neo4j_store: Neo4jStore, neo4j_connection: Neo4jConnection, request: pytest.FixtureRequest
) -> Iterator[Neo4jStore]:
    """A store on the same (emptied) database with other batch settings."""
    options: dict[str, Any] = request.param
    store = Neo4jStore(neo4j_connection.uri, neo4j_connection.user,
                       neo4j_connection.password, **options)
    yield store
    store.close()


def test_fresh_load_then_reload_equals_memory(neo4j_store: Neo4jStore) -> None:
    batch = province_batch()
    write_batch(neo4j_store, batch)  # every label and type is new: the CREATE path
    memory = memory_of(batch)
    assert_same_graph(memory, neo4j_store)
    write_batch(neo4j_store, batch)  # everything exists: the MERGE path
    assert_same_graph(memory, neo4j_store)


@pytest.mark.parametrize(
    "other_store", [{"batch_size": 97}, {"batch_size": 500, "workers": 2}], indirect=True)
def test_small_batches_and_parallel_sessions(other_store: Neo4jStore) -> None:
    batch = province_batch()
    write_batch(other_store, batch)
    memory = memory_of(batch)
    assert_same_graph(memory, other_store)
    write_batch(other_store, batch)
    assert_same_graph(memory, other_store)


def half(batch: GraphBatch) -> GraphBatch:
    """What an interrupted load may have written: some batches of some labels and types."""
    partial = GraphBatch()
    for number, (label, rows) in enumerate(batch.nodes.items()):
        partial.nodes[label] = rows.iloc[: len(rows) // 2 if number % 3 else 0]
    for number, (spec, rows) in enumerate(batch.relationships.items()):
        partial.relationships[spec] = rows.iloc[len(rows) // 3 if number % 2 else len(rows) :]
    return partial


def test_interrupted_load_finished_by_a_rerun(neo4j_store: Neo4jStore) -> None:
    batch = province_batch()
    write_batch(neo4j_store, half(batch))
    write_batch(neo4j_store, batch)
    assert_same_graph(memory_of(batch), neo4j_store)


def enterprise_row(n: int, **changes: Any) -> dict[str, Any]:
    row = dict.fromkeys(schema.ENTERPRISE.properties)
    row.update(uscc=uscc(n), name=f"企业{n}", entity_type="limited_company", status="operating",
               established=dt.date(2015, 1, n % 28 + 1), region_code="330106",
               registered_capital=float(n), sectors=("food",) if n % 2 else ())
    row.update(changes)
    return row


def share(start: int, end: int, since: str, ratio: float) -> dict[str, Any]:
    return {"start": uscc(start), "end": uscc(end), "key": since,
            "since": dt.date.fromisoformat(since), "until": None, "ratio": ratio,
            "amount": None}


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=object)


@pytest.mark.parametrize("existing", [False, True], ids=["create", "merge"])
def test_repeats_dangling_ends_and_counts(neo4j_store: Neo4jStore, existing: bool) -> None:
    """Repeated keys: the last row wins; rows to missing nodes are skipped; the written
    count is the one MemoryStore returns, on the CREATE and on the MERGE path."""
    memory = MemoryStore()
    nodes = [enterprise_row(n) for n in range(1, 6)]
    nodes += [enterprise_row(2, status="revoked", phone="0571-1"), enterprise_row(3, name="新名")]
    links = [share(1, 2, "2020-01-01", 0.5), share(1, 2, "2020-01-01", 0.6),
             share(1, 2, "2021-01-01", 0.1), share(1, 99, "2020-01-01", 0.2),
             share(98, 2, "2020-01-01", 0.2), share(4, 5, "2020-01-01", 1.0)]
    for store in (memory, neo4j_store):
        if existing:
            store.upsert_nodes("Enterprise", frame([enterprise_row(1, email="x@example.com")]))
            store.upsert_relationships(schema.ENTERPRISE_HOLDS_SHARES,
                                       frame([share(4, 5, "2020-01-01", 0.3)]))
        assert store.upsert_nodes("Enterprise", frame(nodes)) == len(nodes)
    assert (neo4j_store.upsert_relationships(schema.ENTERPRISE_HOLDS_SHARES, frame(links))
            == memory.upsert_relationships(schema.ENTERPRISE_HOLDS_SHARES, frame(links)) == 4)
    assert_same_graph(memory, neo4j_store)
    table = neo4j_store.node_table("Enterprise").set_index("uscc")
    assert table.loc[uscc(2), "status"] == "revoked"
    assert table.loc[uscc(1), "email"] is None  # the later row's None removed it
    assert table.loc[uscc(3), "name"] == "新名"


def test_missing_values_and_columns_remove_properties(neo4j_store: Neo4jStore) -> None:
    """A frame sets every schema property: NaN, None or a column it lacks removes it, on
    both stores."""
    memory = MemoryStore()
    for store in (memory, neo4j_store):
        store.upsert_nodes("Enterprise", frame([enterprise_row(1, phone="0571-1", email="a@b.cn")]))
        store.upsert_nodes("Enterprise", pd.DataFrame(
            {"uscc": [uscc(1)], "name": ["企业1"], "phone": [float("nan")]}))
        store.upsert_relationships(schema.ENTERPRISE_HOLDS_SHARES, frame([
            {"start": uscc(1), "end": uscc(1), "key": "k", "ratio": 0.5, "amount": 1.0}]))
        store.upsert_relationships(schema.ENTERPRISE_HOLDS_SHARES, pd.DataFrame(
            {"start": [uscc(1)], "end": [uscc(1)], "key": ["k"], "ratio": [0.25]}))
    assert_same_graph(memory, neo4j_store)
    row = neo4j_store.node_table("Enterprise").iloc[0]
    assert (row["name"], row["phone"], row["email"], row["status"]) == ("企业1", None, None, None)
    link = neo4j_store.relationship_table(schema.ENTERPRISE_HOLDS_SHARES).iloc[0]
    assert (link["ratio"], link["amount"]) == (0.25, None)


def test_fresh_label_with_existing_key_elsewhere_is_merged(neo4j_store: Neo4jStore) -> None:
    """The CREATE path is chosen per label: an Enterprise written before a first Penalty
    does not make the Penalty path MERGE, and an existing label always MERGEs."""
    batch = delivery_to_batch(small_delivery(), PersonPseudonyms(PERSON_KEY))
    memory = memory_of(batch)
    for label in ("Enterprise", "Penalty"):
        neo4j_store.upsert_nodes(label, batch.nodes[label].iloc[:1])
    write_batch(neo4j_store, batch)
    assert_same_graph(memory, neo4j_store)


def test_write_statements_have_no_eager(neo4j_store: Neo4jStore,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Properties set by name let the planner stream each batch; ``SET n += $map`` would
    add an Eager operator that holds the whole batch first."""
    seen: list[str] = []
    execute = neo4j_store._execute

    def record(query: str, work: list[list[list[Any]]], returns: bool) -> int:
        seen.append(query)
        return execute(query, work, returns)

    monkeypatch.setattr(neo4j_store, "_execute", record)
    batch = delivery_to_batch(small_delivery(), PersonPseudonyms(PERSON_KEY))
    write_batch(neo4j_store, batch)
    write_batch(neo4j_store, batch)
    assert any(" CREATE " in query for query in seen)
    assert any(" MERGE " in query for query in seen)
    with neo4j_store.driver.session(database=neo4j_store.database) as session:
        for query in seen:
            plan = session.run("EXPLAIN " + query, rows=[]).consume().plan
            assert plan is not None
            assert "Eager" not in operators(plan), query


def operators(plan: dict[str, Any]) -> set[str]:
    """The operator names of an EXPLAIN plan (``Eager@neo4j`` -> ``Eager``)."""
    names = {str(plan["operatorType"]).split("@")[0]}
    for child in plan.get("children", []):
        names |= operators(child)
    return names


def test_keys(neo4j_store: Neo4jStore) -> None:
    write_batch(neo4j_store, delivery_to_batch(small_delivery(), PersonPseudonyms(PERSON_KEY)))
    assert neo4j_store.keys("Enterprise") == {uscc(n) for n in range(1, 7)}
    assert neo4j_store.keys("Email") == set()


def test_settings_are_checked(neo4j_connection: Neo4jConnection) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Neo4jStore(neo4j_connection.uri, neo4j_connection.user, neo4j_connection.password,
                   workers=0)
