"""Both stores load the same records and give the same answers (run on each store)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from graph import schema
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from graph.store import GraphStore
from ingestion.identifiers import PersonPseudonyms
from tests.builders import id_number, small_delivery, uscc
from tests.conftest import PERSON_KEY

EXPECTED_COUNTS = {
    "Enterprise": 6, "Person": 3, "Address": 5, "Phone": 6, "SeriousDishonesty": 1,
    "AbnormalListing": 2, "Penalty": 2, "Complaint": 2, "AnnualReport": 18,
    "HOLDS_SHARES": 3, "LEGAL_REP_OF": 2, "OFFICER_OF": 1, "BRANCH_OF": 1,
    "REGISTERED_AT": 6, "HAS_PHONE": 6, "HAS_EVENT": 25,
}


def load_small(store: GraphStore) -> None:
    write_batch(store, delivery_to_batch(small_delivery(), PersonPseudonyms(PERSON_KEY)))


def test_load_counts(store: GraphStore) -> None:
    load_small(store)
    assert store.counts() == EXPECTED_COUNTS


def test_reload_changes_nothing(store: GraphStore) -> None:
    load_small(store)
    before = {label: store.node_table(label) for label in schema.NODES}
    load_small(store)
    assert store.counts() == EXPECTED_COUNTS
    for label, table in before.items():
        pd.testing.assert_frame_equal(store.node_table(label), table)


def test_tables_hold_what_was_loaded(store: GraphStore) -> None:
    load_small(store)
    enterprises = store.node_table("Enterprise")
    assert list(enterprises.columns) == list(schema.ENTERPRISE.properties)
    assert enterprises.loc[enterprises["uscc"] == uscc(2), "status"].item() == "revoked"
    assert enterprises.loc[0, "established"] == dt.date(2015, 1, 1)
    holdings = store.relationship_table(schema.ENTERPRISE_HOLDS_SHARES)
    assert holdings[["start", "end", "ratio"]].values.tolist() == [[uscc(1), uscc(3), 0.7]]
    people = store.node_table("Person")
    # The raw identity number is never stored: only the keyed hash and the mask.
    assert id_number(1) not in people.to_string()
    assert set(people["id_masked"]) == {id_number(n)[:6] + "********" + id_number(n)[14:]
                                        for n in (1, 2, 3)}


def test_upsert_updates_and_removes_properties(store: GraphStore) -> None:
    load_small(store)
    row = store.node_table("Enterprise").iloc[0].to_dict()
    row.update(status="suspended", email=None, phone=None)
    store.upsert_nodes("Enterprise", pd.DataFrame([row], dtype=object))
    updated = store.node_table("Enterprise").iloc[0]
    assert updated["status"] == "suspended"
    assert updated["phone"] is None
    assert store.counts()["Enterprise"] == 6


def test_relationship_to_missing_node_is_skipped(store: GraphStore) -> None:
    load_small(store)
    written = store.upsert_relationships(
        schema.BRANCH_OF, pd.DataFrame({"start": [uscc(1)], "end": [uscc(99)], "key": [""]})
    )
    assert written == 0
    assert store.counts()["BRANCH_OF"] == 1


@pytest.mark.parametrize("label", sorted(schema.NODES))
def test_stores_agree_on_every_table(label: str, neo4j_store: GraphStore) -> None:
    memory = MemoryStore()
    for target in (memory, neo4j_store):
        load_small(target)
    pd.testing.assert_frame_equal(memory.node_table(label), neo4j_store.node_table(label))


def test_stores_agree_on_every_relationship(neo4j_store: GraphStore) -> None:
    memory = MemoryStore()
    for target in (memory, neo4j_store):
        load_small(target)
    for spec in schema.RELATIONSHIPS:
        pd.testing.assert_frame_equal(
            memory.relationship_table(spec), neo4j_store.relationship_table(spec), obj=spec.name
        )


def test_memory_store_save_and_load(tmp_path: pytest.TempPathFactory) -> None:
    memory = MemoryStore()
    load_small(memory)
    path = tmp_path / "graph.pickle"  # type: ignore[operator]
    memory.save(path)
    loaded = MemoryStore.load(path)
    assert loaded.counts() == EXPECTED_COUNTS
    pd.testing.assert_frame_equal(loaded.node_table("Person"), memory.node_table("Person"))
