"""The ``GraphStore`` protocol that both stores implement, and what they share.

Writes are idempotent upserts on natural keys. Reads return whole tables as pandas
frames with a fixed column order and row order, so that the two stores' answers can be
compared cell by cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from graph.schema import NODES, RelSpec

Row = Mapping[str, Any]


@runtime_checkable
class GraphStore(Protocol):
    """What every graph store offers to the layers above it."""

    def ensure_schema(self) -> None:
        """Create uniqueness constraints / indexes on natural keys (idempotent)."""

    def upsert_nodes(self, label: str, frame: pd.DataFrame) -> int:
        """Merge nodes on their natural key, one per row of ``frame`` (columns: the label's
        schema properties; a missing one, None or NaN, removes it; the last row of a
        repeated key wins). Returns rows written."""

    def upsert_relationships(self, spec: RelSpec, frame: pd.DataFrame) -> int:
        """Merge relationships, one per row of ``frame`` (columns ``start``, ``end``,
        ``key`` and the spec's properties).

        Rows whose start or end node does not exist are skipped. Returns rows written.
        """

    def supersede_relationships(self, spec: RelSpec, frame: pd.DataFrame, key: str
                                ) -> set[str]:
        """End the open ``key`` relationships of ``spec`` that a newer one replaces.

        ``frame`` has one row per start node: ``start``, ``end`` (the end now declared;
        None: none any more) and ``since`` (the day it was declared). Open relationships
        (``until`` missing) with ``key`` from ``start`` to another end get ``until = since``.
        Returns the starts whose open relationship already goes to ``end`` (kept as is).
        """

    def keys(self, label: str) -> set[str]:
        """All natural-key values of ``label`` (to check a delivery's references)."""

    def node_table(self, label: str) -> pd.DataFrame:
        """All nodes of ``label``: one column per schema property, sorted by key."""

    def relationship_table(self, spec: RelSpec) -> pd.DataFrame:
        """All relationships of ``spec``: ``start``, ``end``, ``key`` and the properties."""

    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type."""

    def clear(self) -> None:
        """Remove every node and relationship."""

    def close(self) -> None:
        """Release connections."""


def _normalise(value: Any) -> Any:
    # Lists come back from Neo4j where tuples went in; compare them as tuples.
    if isinstance(value, list):
        return tuple(value)
    return value


def node_frame(label: str, rows: Iterable[Row]) -> pd.DataFrame:
    """A node table in the schema's column order, sorted by the natural key."""
    spec = NODES[label]
    frame = pd.DataFrame(
        [[_normalise(row.get(name)) for name in spec.properties] for row in rows],
        columns=list(spec.properties),
        dtype=object,
    )
    return frame.sort_values(spec.key, kind="stable").reset_index(drop=True)


def relationship_frame(spec: RelSpec, rows: Iterable[Row]) -> pd.DataFrame:
    """A relationship table: start, end, key, then the spec's properties; sorted."""
    columns = ["start", "end", "key", *spec.properties]
    frame = pd.DataFrame(
        [[_normalise(row.get(name)) for name in columns] for row in rows],
        columns=columns,
        dtype=object,
    )
    return frame.sort_values(["start", "end", "key"], kind="stable").reset_index(drop=True)


def relationship_key(*parts: object) -> str:
    """The identity of a relationship among those of one type between two nodes."""
    return "|".join("" if part is None else str(part) for part in parts)
