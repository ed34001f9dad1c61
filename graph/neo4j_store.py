"""``Neo4jStore``: the graph on a real Neo4j server, through the official driver.

Writes are batched ``UNWIND $rows ... MERGE`` statements on natural keys backed by
uniqueness constraints, one transaction per batch. Labels and relationship types in the
statements come from :mod:`graph.schema`, never from user input.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import neo4j
import neo4j.time
import pandas as pd

from graph.schema import NODES, RELATIONSHIP_TYPES, RelSpec
from graph.store import Row, node_frame, relationship_frame


class Neo4jStore:
    """A :class:`graph.store.GraphStore` on a Neo4j 5 server."""

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        *,
        database: str = "neo4j",
        batch_size: int = 10_000,
    ) -> None:
        self.database = database
        self.batch_size = batch_size
        # Notifications such as "label does not exist" on an empty database are noise here.
        self.driver = neo4j.GraphDatabase.driver(
            uri, auth=(user, password),
            notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
        )

    def verify(self) -> None:
        """Raise if the server cannot be reached or the credentials are wrong."""
        self.driver.verify_connectivity()

    def _run(self, query: str, **params: Any) -> list[neo4j.Record]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return records

    def _batches(self, rows: Sequence[Row]) -> Iterator[list[Row]]:
        for offset in range(0, len(rows), self.batch_size):
            yield list(rows[offset : offset + self.batch_size])

    def ensure_schema(self) -> None:
        for spec in NODES.values():
            self._run(
                f"CREATE CONSTRAINT {spec.label.lower()}_{spec.key} IF NOT EXISTS "
                f"FOR (n:{spec.label}) REQUIRE n.{spec.key} IS UNIQUE"
            )

    def upsert_nodes(self, label: str, rows: Sequence[Row]) -> int:
        spec = NODES[label]
        extra = "".join(f" SET n:{name}" for name in spec.extra_labels)
        query = (
            f"UNWIND $rows AS row MERGE (n:{label} {{{spec.key}: row.{spec.key}}})"
            f" SET n += row{extra}"
        )
        for batch in self._batches(rows):
            self._run(query, rows=[dict(row) for row in batch])
        return len(rows)

    def upsert_relationships(self, spec: RelSpec, rows: Sequence[Row]) -> int:
        start_key, end_key = NODES[spec.start].key, NODES[spec.end].key
        query = (
            f"UNWIND $rows AS row "
            f"MATCH (a:{spec.start} {{{start_key}: row.start}}) "
            f"MATCH (b:{spec.end} {{{end_key}: row.end}}) "
            f"MERGE (a)-[r:{spec.type} {{key: row.key}}]->(b) "
            f"SET r += row.props RETURN count(r) AS written"
        )
        written = 0
        for batch in self._batches(rows):
            payload = [
                {"start": row["start"], "end": row["end"], "key": row["key"],
                 "props": dict(row.get("props") or {})}
                for row in batch
            ]
            written += int(self._run(query, rows=payload)[0]["written"])
        return written

    def node_table(self, label: str) -> pd.DataFrame:
        records = self._run(f"MATCH (n:{label}) RETURN properties(n) AS p")
        return node_frame(label, (_native(record["p"]) for record in records))

    def relationship_table(self, spec: RelSpec) -> pd.DataFrame:
        start_key, end_key = NODES[spec.start].key, NODES[spec.end].key
        records = self._run(
            f"MATCH (a:{spec.start})-[r:{spec.type}]->(b:{spec.end}) "
            f"RETURN a.{start_key} AS start, b.{end_key} AS end, properties(r) AS p"
        )
        return relationship_frame(
            spec,
            ({"start": r["start"], "end": r["end"], **_native(r["p"])} for r in records),
        )

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for label in NODES:
            count = int(self._run(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"])
            if count:
                result[label] = count
        for rel_type in RELATIONSHIP_TYPES:
            count = int(self._run(f"MATCH ()-[r:{rel_type}]->() RETURN count(r) AS c")[0]["c"])
            if count:
                result[rel_type] = count
        return dict(sorted(result.items()))

    def clear(self) -> None:
        # Auto-commit chunks, so a large graph does not need one huge transaction.
        with self.driver.session(database=self.database) as session:
            session.run(
                "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
            ).consume()

    def close(self) -> None:
        self.driver.close()


def _native(props: dict[str, Any]) -> dict[str, Any]:
    """Neo4j temporal values to Python ones."""
    return {
        name: value.to_native() if isinstance(value, neo4j.time.Date) else value
        for name, value in props.items()
    }
