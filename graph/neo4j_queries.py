"""The investigator queries on Neo4j: batched Cypher for each primitive of the engine.

Traversals expand a frontier per round trip (``UNWIND $ids ... MATCH (a)-[r:T]-(b)``) with
the validity and share filters on the relationships, so a query reads the few hundred
relationships it needs through the natural-key and element-id seeks, never a scan. Shortest
paths are the server's (``allShortestPaths``, the validity filter applied during the
search). Labels and relationship types in the statements come from :mod:`graph.schema`;
every value is a parameter. Plain Cypher only: Community 5.26 has no APOC or GDS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

import neo4j
import neo4j.time
import pandas as pd

from graph import schema
from graph.neo4j_store import Neo4jStore
from graph.queries import (
    CLUSTER_NODE_BUDGET,
    CONTACT_TYPES,
    CONTROL_TYPES,
    DIRECTORY_COLUMNS,
    HOLDS_SHARES,
    PEOPLE_TYPES,
    RELATED_LABELS,
    RELATED_SPECS,
    SHORTEST_PATH_BUDGET,
    Direction,
    Edge,
    Handle,
    NodeId,
    Party,
    QueryEngine,
)
from graph.schema import NODES

_PROPERTIES = {label: NODES[label].properties for label in RELATED_LABELS}
_REL_PROPERTIES = {spec.type: spec.properties for spec in RELATED_SPECS}


def _label(var: str) -> str:
    cases = " ".join(f"WHEN {var}:{label} THEN '{label}'" for label in RELATED_LABELS)
    return f"CASE {cases} END"


def _key(var: str) -> str:
    cases = " ".join(
        f"WHEN {var}:{label} THEN {var}.{NODES[label].key}" for label in RELATED_LABELS)
    return f"CASE {cases} END"


def _valid(var: str) -> str:
    return (f"({var}.since IS NULL OR {var}.since <= $as_of) "
            f"AND ({var}.until IS NULL OR {var}.until > $as_of)")


def _types(types: Sequence[str]) -> str:
    return "|".join(types)


def _native(value: Any) -> Any:
    if isinstance(value, neo4j.time.Date):
        return value.to_native()
    if isinstance(value, list):
        return tuple(_native(item) for item in value)
    return value


def _props(props: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {name: _native(props[name]) for name in names if props.get(name) is not None}


class Neo4jQueries(QueryEngine):
    """:class:`graph.queries.QueryEngine` on a :class:`Neo4jStore` (its driver)."""

    def __init__(self, store: Neo4jStore) -> None:
        self.store = store

    def _run(self, query: str, **params: Any) -> list[neo4j.Record]:
        records, _, _ = self.store.driver.execute_query(
            query, params, database_=self.store.database,
            routing_=neo4j.RoutingControl.READ)
        return records

    def _element_ids(self, nodes: Collection[NodeId]) -> dict[NodeId, str]:
        by_label: dict[str, list[str]] = {}
        for label, key in nodes:
            by_label.setdefault(label, []).append(key)
        found: dict[NodeId, str] = {}
        for label, keys in by_label.items():
            query = (f"UNWIND $keys AS k MATCH (n:{label} {{{NODES[label].key}: k}}) "
                     f"RETURN k, elementId(n) AS id")
            for record in self._run(query, keys=keys):
                found[(label, record["k"])] = record["id"]
        return found

    # --- primitives ---

    def _enterprise(self, uscc: str) -> Handle | None:
        records = self._run("MATCH (e:Enterprise {uscc: $uscc}) RETURN elementId(e) AS id",
                            uscc=uscc)
        return str(records[0]["id"]) if records else None

    def _events(self, uscc: str) -> list[tuple[str, dict[str, Any]]]:
        labels = [spec.label for spec in schema.EVENT_NODES.values()]
        query = ("MATCH (:Enterprise {uscc: $uscc})-[:HAS_EVENT]->(v) "
                 "RETURN [l IN labels(v) WHERE l IN $labels][0] AS label, "
                 "properties(v) AS p")
        return [(str(r["label"]), {k: _native(v) for k, v in r["p"].items()})
                for r in self._run(query, uscc=uscc, labels=labels)]

    def directory(self) -> pd.DataFrame:
        columns = ", ".join(f"e.{name} AS {name}" for name in DIRECTORY_COLUMNS)
        records = self._run(f"MATCH (e:Enterprise) RETURN {columns}")
        frame = pd.DataFrame([r.values() for r in records], columns=list(DIRECTORY_COLUMNS),
                             dtype=object)
        return frame.set_index("uscc", drop=False).sort_index()

    def enterprises_of_person(self, name: str) -> list[str]:
        query = (f"MATCH (p:Person {{name: $name}})-[:{_types(PEOPLE_TYPES)}]->(e:Enterprise) "
                 f"RETURN DISTINCT e.uscc AS uscc ORDER BY uscc")
        return [str(r["uscc"]) for r in self._run(query, name=name)]

    def _neighbours(
        self, frontier: Sequence[Handle], types: Sequence[str], as_of: dt.date,
        min_share: float | None, statuses: Collection[str] | None,
    ) -> list[tuple[Handle, NodeId]]:
        query = (
            f"UNWIND $ids AS id MATCH (a) WHERE elementId(a) = id "
            f"MATCH (a)-[r:{_types(types)}]-(b) "
            f"WHERE {_valid('r')} "
            f"AND ($min_share IS NULL OR type(r) <> '{HOLDS_SHARES}' OR r.ratio >= $min_share) "
            f"AND ($statuses IS NULL OR NOT b:Enterprise OR b.status IN $statuses) "
            f"WITH DISTINCT b RETURN elementId(b) AS id, {_label('b')} AS label, "
            f"{_key('b')} AS key"
        )
        records = self._run(query, ids=list(frontier), as_of=as_of, min_share=min_share,
                            statuses=None if statuses is None else list(statuses))
        return [(str(r["id"]), (str(r["label"]), str(r["key"]))) for r in records]

    def _properties(self, handles: Sequence[Handle]) -> list[dict[str, Any]]:
        query = (f"UNWIND $ids AS id MATCH (n) WHERE elementId(n) = id "
                 f"RETURN id, {_label('n')} AS label, properties(n) AS p")
        found = {r["id"]: _props(r["p"], _PROPERTIES[r["label"]])
                 for r in self._run(query, ids=list(handles))}
        return [found.get(handle, {}) for handle in handles]

    def _edge_rows(self, query: str, **params: Any) -> list[tuple[str, Edge]]:
        return [
            (str(r["b"]), Edge(
                r["type"], (r["start_label"], r["start_key"]), (r["end_label"], r["end_key"]),
                str(r["p"].get("key", "")), _props(r["p"], _REL_PROPERTIES[r["type"]])))
            for r in self._run(query, **params)
        ]

    _EDGE_RETURN = (
        f"RETURN elementId(b) AS b, type(r) AS type, {_label('a')} AS start_label, "
        f"{_key('a')} AS start_key, {_label('b')} AS end_label, {_key('b')} AS end_key, "
        f"properties(r) AS p"
    )

    def _edges_among(
        self, handles: Sequence[Handle], types: Sequence[str], as_of: dt.date,
        min_share: float | None,
    ) -> list[Edge]:
        # Outgoing only: each relationship once, and never a walk over a shared address's
        # thousands of incoming links.
        query = (
            f"UNWIND $ids AS id MATCH (a) WHERE elementId(a) = id "
            f"MATCH (a)-[r:{_types(types)}]->(b) WHERE {_valid('r')} "
            f"AND ($min_share IS NULL OR type(r) <> '{HOLDS_SHARES}' OR r.ratio >= $min_share) "
            + self._EDGE_RETURN
        )
        inside = set(handles)
        return [edge for end, edge in self._edge_rows(
            query, ids=list(handles), as_of=as_of, min_share=min_share) if end in inside]

    def _holdings(
        self, frontier: Sequence[Handle], direction: Direction, as_of: dt.date,
    ) -> list[tuple[Handle, NodeId, Handle, str, float, str]]:
        pattern = "(h)-[r:HOLDS_SHARES]->(o)" if direction == "up" else (
            "(o)<-[r:HOLDS_SHARES]-(h)")
        seek = "o" if direction == "up" else "h"
        query = (
            f"UNWIND $ids AS id MATCH ({seek}) WHERE elementId({seek}) = id "
            f"MATCH {pattern} WHERE {_valid('r')} "
            f"RETURN elementId(h) AS h, {_label('h')} AS label, {_key('h')} AS key, "
            f"elementId(o) AS o, o.uscc AS owned, coalesce(r.ratio, 0.0) AS ratio, "
            f"r.key AS rel_key"
        )
        return [
            (str(r["h"]), (str(r["label"]), str(r["key"])), str(r["o"]), str(r["owned"]),
             float(r["ratio"]), str(r["rel_key"] or ""))
            for r in self._run(query, ids=list(frontier), as_of=as_of)
        ]

    def _parties(self, nodes: Collection[NodeId]) -> dict[NodeId, Party]:
        by_label: dict[str, list[str]] = {}
        for label, key in nodes:
            by_label.setdefault(label, []).append(key)
        parties: dict[NodeId, Party] = {}
        for label, keys in by_label.items():
            spec = NODES[label]
            query = (f"UNWIND $keys AS k MATCH (n:{label} {{{spec.key}: k}}) "
                     f"RETURN k, n.name AS name, n.id_masked AS id_masked, "
                     f"n.entity_type AS entity_type, n.status AS status")
            for r in self._run(query, keys=keys):
                key = str(r["k"])
                if label == "Enterprise":
                    party = Party(label, key, r["name"], None, r["entity_type"], r["status"])
                elif label == "Person":
                    party = Party(label, key, r["name"], r["id_masked"])
                else:
                    party = Party(label, key, key)
                parties[(label, key)] = party
        return parties

    def _shared(self, handle: Handle, as_of: dt.date) -> list[tuple[str, NodeId, str, str]]:
        contacts, people = _types(CONTACT_TYPES), _types(PEOPLE_TYPES)
        query = (
            f"MATCH (e) WHERE elementId(e) = $id "
            f"CALL (e) {{ "
            f"MATCH (e)-[r1:{contacts}]->(via)<-[r2:{contacts}]-(o:Enterprise) "
            f"WHERE o <> e AND {_valid('r1')} AND {_valid('r2')} "
            f"RETURN o, via, type(r1) AS here, type(r2) AS there "
            f"UNION ALL "
            f"MATCH (e)<-[r1:{people}]-(via)-[r2:{people}]->(o:Enterprise) "
            f"WHERE o <> e AND {_valid('r1')} AND {_valid('r2')} "
            f"RETURN o, via, type(r1) AS here, type(r2) AS there }} "
            f"RETURN o.uscc AS other, {_label('via')} AS label, {_key('via')} AS key, here, there"
        )
        return [
            (str(r["other"]), (str(r["label"]), str(r["key"])), str(r["here"]), str(r["there"]))
            for r in self._run(query, id=handle, as_of=as_of)
        ]

    def _shortest(
        self, source: Handle, target: Handle, types: Sequence[str], as_of: dt.date,
        max_hops: int,
    ) -> tuple[list[tuple[NodeId, ...]], bool]:
        # A length bound cannot be a parameter; max_hops is an int checked to be 1..6.
        query = (
            f"MATCH (a) WHERE elementId(a) = $a MATCH (b) WHERE elementId(b) = $b "
            f"MATCH p = allShortestPaths((a)-[:{_types(types)}*..{int(max_hops)}]-(b)) "
            f"WHERE all(r IN relationships(p) WHERE {_valid('r')}) "
            f"RETURN [n IN nodes(p) | [{_label('n')}, {_key('n')}]] AS nodes LIMIT $budget"
        )
        records = self._run(query, a=source, b=target, as_of=as_of,
                            budget=SHORTEST_PATH_BUDGET)
        sequences = [tuple((str(n[0]), str(n[1])) for n in r["nodes"]) for r in records]
        return sequences, len(records) >= SHORTEST_PATH_BUDGET

    def _edges_between(
        self, pairs: Collection[tuple[NodeId, NodeId]], types: Sequence[str], as_of: dt.date,
    ) -> list[Edge]:
        ids = self._element_ids({node for pair in pairs for node in pair})
        query = (
            f"UNWIND $pairs AS pair MATCH (a) WHERE elementId(a) = pair[0] "
            f"MATCH (a)-[r:{_types(types)}]->(b) WHERE elementId(b) = pair[1] "
            f"AND {_valid('r')} " + self._EDGE_RETURN
        )
        both = [[ids[a], ids[b]] for a, b in pairs] + [[ids[b], ids[a]] for a, b in pairs]
        return [edge for _, edge in self._edge_rows(query, pairs=both, as_of=as_of)]

    def _control_edges(
        self, as_of: dt.date, handle: Handle | None,
    ) -> tuple[list[tuple[NodeId, str, str]], bool]:
        types = _types(CONTROL_TYPES)
        returned = (f"RETURN elementId(b) AS b, {_label('a')} AS label, {_key('a')} AS key, "
                    f"b.uscc AS end, type(r) AS type")
        if handle is None:
            query = f"MATCH (a)-[r:{types}]->(b:Enterprise) WHERE {_valid('r')} " + returned
            records = self._run(query, as_of=as_of)
            return [((r["label"], r["key"]), r["end"], r["type"]) for r in records], False
        members = {handle}
        frontier: list[Handle] = [handle]
        cut = False
        expand = (f"UNWIND $ids AS id MATCH (a) WHERE elementId(a) = id "
                  f"MATCH (a)-[r:{types}]-(b) WHERE {_valid('r')} "
                  f"RETURN DISTINCT elementId(b) AS id")
        while frontier:
            found = sorted({str(r["id"]) for r in self._run(expand, ids=frontier, as_of=as_of)}
                           - {str(member) for member in members})
            if len(members) + len(found) > CLUSTER_NODE_BUDGET:
                found, cut = found[: CLUSTER_NODE_BUDGET - len(members)], True
            members.update(found)
            frontier = [] if cut else list(found)
        query = (f"UNWIND $ids AS id MATCH (a) WHERE elementId(a) = id "
                 f"MATCH (a)-[r:{types}]->(b:Enterprise) WHERE {_valid('r')} " + returned)
        return [((r["label"], r["key"]), r["end"], r["type"])
                for r in self._run(query, ids=list(members), as_of=as_of)
                if r["b"] in members], cut
