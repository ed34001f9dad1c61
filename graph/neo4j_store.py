"""``Neo4jStore``: the graph on a real Neo4j server, through the official driver.

Writes are batched ``UNWIND $rows ...`` statements on natural keys backed by uniqueness
constraints, one transaction per batch, so that a load stopped half-way and run again
ends in the same graph. Labels and relationship types in the statements come from
:mod:`graph.schema`, property names from the rows only when they are plain identifiers.

How a batch is written (server CPU per statement form, median of 4, on 42,925 AnnualReport
nodes and 37,186 OFFICER_OF relationships of a 20,000-enterprise province):

* rows go as positional lists and each property is set by name (``SET n.a = row[1]``):
  ``SET n += row`` makes the planner add an Eager operator (it cannot rule out a write
  to the key it matched on) and cost 1.6 times as much for nodes, the same for
  relationships;
* a label with no node yet, or a relationship spec with none yet, is written with
  ``CREATE`` (after folding repeated keys in Python, the last row winning): no locking
  index seek per node, no expand over a node's relationships; 29% less than ``MERGE``
  for nodes, 18% for relationships. Anything else uses ``MERGE``, so a re-run after a
  crash (the label is no longer empty) merges. A CREATE sets the properties inline
  (``CREATE (n:L {a: row[1]})``), one operator instead of one per property;
* half of a load's server time is the commit, a fifth the locking index look-ups of
  relationship ends (a Java Flight Recorder profile of a 20,000-enterprise load); writing
  an event node and its ``HAS_EVENT`` link in one statement gained nothing measurable.

On a whole load these gains were within the noise of a shared two-core machine: the
client's parameter packing and the server's commit work dominate (bench/neo4j_load.py).
The driver packs parameters several times faster with the optional ``neo4j-rust-ext``
package (same version as ``neo4j``). ``workers`` > 1 runs batches in that many sessions
over disjoint key ranges (relationships split by their more shared end); a deadlock
between them is a transient error that the driver's managed transaction retries.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from operator import itemgetter
from typing import Any

import neo4j
import neo4j.time
import pandas as pd

from graph.schema import NODES, RELATIONSHIP_TYPES, RelSpec
from graph.store import node_frame, relationship_frame


class Neo4jStore:
    """A :class:`graph.store.GraphStore` on a Neo4j 5 server."""

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        *,
        database: str = "neo4j",
        batch_size: int = 5_000,
        workers: int = 1,
        retry_seconds: float = 30.0,
    ) -> None:
        if batch_size < 1 or workers < 1:
            raise ValueError("batch_size and workers must be at least 1")
        self.database = database
        # 5,000 rows per transaction: with 10,000 the server's young collections took
        # several times longer (a 1 GB heap holds the transaction state).
        self.batch_size = batch_size
        self._schema_ready = False
        # Sessions writing in parallel. Two gave a fifth more on a fresh load when the
        # machine had a core to spare, nothing when it had not, and then cost the
        # deadlock retries (a second each): so one by default.
        self.workers = workers
        # Notifications such as "label does not exist" on an empty database are noise here.
        # ``retry_seconds``: how long a transaction (and a connection) is retried when the
        # server is unreachable; a service answering requests wants a short one.
        self.driver = neo4j.GraphDatabase.driver(
            uri, auth=(user, password),
            notifications_min_severity=neo4j.NotificationMinimumSeverity.OFF,
            max_transaction_retry_time=retry_seconds,
            connection_timeout=min(30.0, retry_seconds),
            connection_acquisition_timeout=max(retry_seconds, 1.0),
        )

    def verify(self) -> None:
        """Raise if the server cannot be reached or the credentials are wrong."""
        self.driver.verify_connectivity()

    def _run(self, query: str, **params: Any) -> list[neo4j.Record]:
        records, _, _ = self.driver.execute_query(query, params, database_=self.database)
        return records

    def ensure_schema(self) -> None:
        # Once per store object: every write batch asks, and each ask is ~20 round trips.
        if self._schema_ready:
            return
        for spec in NODES.values():
            self._run(
                f"CREATE CONSTRAINT {spec.label.lower()}_{spec.key} IF NOT EXISTS "
                f"FOR (n:{spec.label}) REQUIRE n.{spec.key} IS UNIQUE"
            )
        self._schema_ready = True

    def upsert_nodes(self, label: str, frame: pd.DataFrame) -> int:
        if frame.empty:
            return 0
        spec = NODES[label]
        columns = (spec.key, *(name for name in spec.properties if name != spec.key))
        rows = _plain_rows(frame.reindex(columns=list(columns)))
        sets = ", ".join(f"n.`{name}` = row[{index}]" for index, name in enumerate(columns)
                         if index)
        set_clause = f" SET {sets}" if sets else ""
        if frame[spec.key].isna().any():
            raise ValueError(f"{label} row without {spec.key}")
        if self._label_is_empty(label):
            # Nothing to merge with: CREATE skips the locking index seek per row. Every row
            # sets every property, so the last row of a key is what successive upserts
            # would leave.
            latest = list({row[0]: row for row in rows}.values())
            labels = ":".join((label, *spec.extra_labels))
            inline = ", ".join(f"`{name}`: row[{index}]" for index, name in enumerate(columns))
            query = f"UNWIND $rows AS row CREATE (n:{labels} {{{inline}}})"
            self._execute(query, self._partitioned(latest, None), False)
        else:
            extra = "".join(f" SET n:{name}" for name in spec.extra_labels)
            query = (
                f"UNWIND $rows AS row MERGE (n:{label} {{{spec.key}: row[0]}}){set_clause}{extra}"
            )
            self._execute(query, self._partitioned(rows, _first), False)
        return len(rows)

    def upsert_relationships(self, spec: RelSpec, frame: pd.DataFrame) -> int:
        if frame.empty:
            return 0
        start_key, end_key = NODES[spec.start].key, NODES[spec.end].key
        match = (
            f"UNWIND $rows AS row "
            f"MATCH (a:{spec.start} {{{start_key}: row[0]}}) "
            f"MATCH (b:{spec.end} {{{end_key}: row[1]}}) "
        )
        names = spec.properties
        rows = _plain_rows(frame.reindex(columns=["start", "end", "key", *names]))
        sets = ", ".join(f"r.`{name}` = row[{3 + index}]" for index, name in enumerate(names))
        set_clause = f"SET {sets} " if sets else ""
        if self._relationships_absent(spec):
            # A fresh type between these labels: CREATE instead of MERGE (no expand over the
            # nodes' relationships). Repeated identities are folded first, the last row
            # winning, and counted as written once per row, like MERGE does.
            latest: dict[tuple[Any, Any, Any], list[Any]] = {}
            repeats: dict[tuple[Any, Any, Any], int] = {}
            for row in rows:
                identity = (row[0], row[1], row[2])
                if identity in latest:
                    repeats[identity] = repeats.get(identity, 1) + 1
                latest[identity] = row
            fresh = [[*row, repeats.get(identity, 1)] for identity, row in latest.items()]
            inline = "".join(f", `{name}`: row[{3 + index}]" for index, name in enumerate(names))
            query = match + (
                f"CREATE (a)-[r:{spec.type} {{key: row[2]{inline}}}]->(b) "
                f"RETURN sum(row[{3 + len(names)}]) AS written"
            )
            return self._execute(query, self._partitioned(fresh, self._hub(fresh)), True)
        query = match + (
            f"MERGE (a)-[r:{spec.type} {{key: row[2]}}]->(b) {set_clause}"
            f"RETURN count(r) AS written"
        )
        return self._execute(query, self._partitioned(rows, self._hub(rows)), True)

    def _label_is_empty(self, label: str) -> bool:
        # Answered from the counts store, not by scanning.
        return int(self._run(f"MATCH (n:{label}) RETURN count(n) AS c")[0]["c"]) == 0

    def _relationships_absent(self, spec: RelSpec) -> bool:
        # Each count has one label bound, so the counts store answers it without a scan;
        # each is at least the number of this spec's relationships, so a zero means none.
        # Both are asked: HAS_EVENT leaves Enterprise for thirteen event labels.
        query = (
            f"CALL () {{ MATCH (:{spec.start})-[r:{spec.type}]->() RETURN count(r) AS out }} "
            f"CALL () {{ MATCH ()-[r:{spec.type}]->(:{spec.end}) RETURN count(r) AS in }} "
            f"RETURN out, in"
        )
        record = self._run(query)[0]
        return min(int(record["out"]), int(record["in"])) == 0

    def _hub(self, rows: Sequence[Sequence[Any]]) -> Callable[[Sequence[Any]], Hashable]:
        """Relationships go to workers by the end with fewer distinct nodes (the shared
        one), so that parallel workers rarely lock the same node."""
        if self.workers > 1 and len({row[0] for row in rows}) > len({row[1] for row in rows}):
            return itemgetter(1)
        return _first

    def _partitioned(
        self, rows: list[Any], key: Callable[[Any], Hashable] | None
    ) -> list[list[list[Any]]]:
        """Batches for each worker.

        With several workers, rows go to workers by ``key`` (so that repeats of one identity
        stay in order in one worker, and workers mostly touch disjoint nodes), or in
        contiguous runs when ``key`` is None (rows already distinct).
        """
        size, workers = self.batch_size, self.workers
        if workers == 1 or len(rows) <= size:
            parts = [rows]
        elif key is None:
            step = -(-len(rows) // workers)
            parts = [rows[offset : offset + step] for offset in range(0, len(rows), step)]
        else:
            parts = [[] for _ in range(workers)]
            for row in rows:
                parts[hash(key(row)) % workers].append(row)
        return [
            [list(part[offset : offset + size]) for offset in range(0, len(part), size)]
            for part in parts
            if part
        ]

    def _execute(self, query: str, work: list[list[list[Any]]], returns: bool) -> int:
        """Run ``query`` once per batch, each batch one managed write transaction.

        The driver retries a batch that failed transiently (a deadlock between workers
        writing relationships to the same node, a leader switch); a batch is idempotent or,
        on the CREATE path, rolled back whole before it is retried.
        """

        def batch(tx: neo4j.ManagedTransaction, rows: list[Any]) -> int:
            result = tx.run(query, rows=rows)
            if not returns:
                result.consume()
                return 0
            return int(result.single(strict=True)[0] or 0)

        def worker(batches: list[list[Any]]) -> int:
            with self.driver.session(database=self.database) as session:
                return sum(session.execute_write(batch, rows) for rows in batches)

        if len(work) == 1:
            return worker(work[0])
        with ThreadPoolExecutor(len(work)) as pool:
            return sum(pool.map(worker, work))

    def keys(self, label: str) -> set[str]:
        key = NODES[label].key
        return {str(r["k"]) for r in self._run(f"MATCH (n:{label}) RETURN n.{key} AS k")}

    def supersede_relationships(self, spec: RelSpec, frame: pd.DataFrame, key: str
                                ) -> set[str]:
        start_key, end_key = NODES[spec.start].key, NODES[spec.end].key
        query = (
            f"UNWIND $rows AS row MATCH (a:{spec.start} {{{start_key}: row[0]}})"
            f"-[r:{spec.type} {{key: $key}}]->(b:{spec.end}) WHERE r.until IS NULL "
            f"WITH row, r, coalesce(b.{end_key} = row[1], false) AS same "
            f"FOREACH (_ IN CASE WHEN same THEN [] ELSE [1] END | SET r.until = row[2]) "
            f"WITH row, same WHERE same RETURN DISTINCT row[0] AS start"
        )
        rows = _plain_rows(frame[["start", "end", "since"]])
        held: set[str] = set()
        for offset in range(0, len(rows), self.batch_size):
            batch = rows[offset : offset + self.batch_size]
            held.update(str(r["start"]) for r in self._run(query, rows=batch, key=key))
        return held

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
        """Delete every node and relationship (constraints stay)."""
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


def _plain_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows as positional lists of plain values (smaller on the wire than maps, and no
    Eager plan); a missing value (None or NaN) is None, which removes the property."""
    values = frame.astype(object)
    return values.where(values.notna(), None).to_numpy(dtype=object).tolist()


def _first(row: Sequence[Any]) -> Hashable:
    value: Hashable = row[0]
    return value
