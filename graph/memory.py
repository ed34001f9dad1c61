"""``MemoryStore``: the embedded, in-process graph store (networkx), the default.

Same interface and same answers as :class:`graph.neo4j_store.Neo4jStore`; it can be saved
to a file and loaded back.
"""

from __future__ import annotations

import pickle
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

from graph.schema import NODES, RelSpec
from graph.store import Row, node_frame, relationship_frame

NodeId = tuple[str, str]
EdgeId = tuple[NodeId, NodeId, tuple[str, str]]
_FORMAT = "riskgraph-memory-store/1"


class MemoryStore:
    """A labelled property multigraph held in a ``networkx.MultiDiGraph``.

    Nodes are identified by ``(label, natural key)`` and edges by
    ``(start, end, (type, key))``, the same identities that Neo4j MERGEs on.
    """

    def __init__(self) -> None:
        self.graph: nx.MultiDiGraph[NodeId] = nx.MultiDiGraph()
        self._by_label: dict[str, set[NodeId]] = defaultdict(set)
        self._by_spec: dict[RelSpec, set[EdgeId]] = defaultdict(set)

    def ensure_schema(self) -> None:
        """Nothing to create: identities are dictionary keys."""

    def upsert_nodes(self, label: str, rows: Sequence[Row]) -> int:
        key = NODES[label].key
        for row in rows:
            node: NodeId = (label, str(row[key]))
            if node in self.graph:
                _merge_properties(self.graph.nodes[node], row)
            else:
                self.graph.add_node(node, **{k: v for k, v in row.items() if v is not None})
                self._by_label[label].add(node)
        return len(rows)

    def upsert_relationships(self, spec: RelSpec, rows: Sequence[Row]) -> int:
        written = 0
        for row in rows:
            start: NodeId = (spec.start, str(row["start"]))
            end: NodeId = (spec.end, str(row["end"]))
            if start not in self.graph or end not in self.graph:
                continue
            edge_key = (spec.type, str(row["key"]))
            props: dict[str, Any] = row.get("props") or {}
            if self.graph.has_edge(start, end, key=edge_key):
                _merge_properties(self.graph.edges[start, end, edge_key], props)
            else:
                self.graph.add_edge(
                    start, end, key=edge_key, **{k: v for k, v in props.items() if v is not None}
                )
                self._by_spec[spec].add((start, end, edge_key))
            written += 1
        return written

    def node_table(self, label: str) -> pd.DataFrame:
        return node_frame(label, (self.graph.nodes[node] for node in self._by_label[label]))

    def relationship_table(self, spec: RelSpec) -> pd.DataFrame:
        rows = (
            {
                "start": start[1], "end": end[1], "key": edge_key[1],
                **self.graph.edges[start, end, edge_key],
            }
            for start, end, edge_key in self._by_spec[spec]
        )
        return relationship_frame(spec, rows)

    def counts(self) -> dict[str, int]:
        result = {label: len(nodes) for label, nodes in self._by_label.items() if nodes}
        for spec, edges in self._by_spec.items():
            if edges:
                result[spec.type] = result.get(spec.type, 0) + len(edges)
        return dict(sorted(result.items()))

    def clear(self) -> None:
        self.graph.clear()
        self._by_label.clear()
        self._by_spec.clear()

    def close(self) -> None:
        """Nothing to release."""

    def save(self, path: Path) -> None:
        """Write the whole store to ``path`` (a pickle of our own data; load only your own)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        with temporary.open("wb") as handle:
            pickle.dump((_FORMAT, self.graph, dict(self._by_label), dict(self._by_spec)), handle)
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> MemoryStore:
        """Read a store written by :meth:`save`."""
        with path.open("rb") as handle:
            payload = pickle.load(handle)
        if not isinstance(payload, tuple) or payload[0] != _FORMAT:
            raise ValueError(f"{path} is not a riskgraph memory store file ({_FORMAT})")
        store = cls()
        _, store.graph, by_label, by_spec = payload
        store._by_label.update(by_label)
        store._by_spec.update(by_spec)
        return store


def _merge_properties(target: dict[str, Any], props: Row) -> None:
    # Neo4j's `SET n += map` semantics: a null value removes the property.
    for name, value in props.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
