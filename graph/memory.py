"""``MemoryStore``: the embedded, in-process graph store, the default.

Same interface and same answers as :class:`graph.neo4j_store.Neo4jStore`. The graph is
held column-wise, one pandas frame per node label and per relationship spec, because a
province (millions of nodes and relationships) does not fit in memory as Python objects
per node; traversals build sparse adjacency from these frames when they need it. It can
be saved to a file and loaded back.
"""

from __future__ import annotations

import pickle
from collections.abc import Collection, Hashable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from graph.schema import NODES, RelSpec
from graph.store import Row, node_frame, relationship_frame

_FORMAT = "riskgraph-memory-store/2"
_REL_ID = ["start", "end", "key"]


class MemoryStore:
    """Node frames indexed by natural key; relationship frames by ``(start, end, key)``.

    Upserts replace the whole row of an existing key (rows carry every property; a None
    removes it, as Neo4j's ``SET n += row`` does).
    """

    def __init__(self) -> None:
        self._nodes: dict[str, pd.DataFrame] = {}
        self._relationships: dict[RelSpec, pd.DataFrame] = {}

    def ensure_schema(self) -> None:
        """Nothing to create: natural keys are the frames' indexes."""

    def upsert_nodes(self, label: str, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        spec = NODES[label]
        new = pd.DataFrame.from_records(list(rows), columns=list(spec.properties))
        new = new.astype(object).drop_duplicates(spec.key, keep="last")
        # Object dtype on purpose: isin() on pandas' Arrow-backed strings loops in Python.
        new.index = pd.Index(new[spec.key].astype(str).to_numpy(dtype=object), dtype=object)
        old = self._nodes.get(label)
        self._nodes[label] = new if old is None else pd.concat(
            [old.loc[~old.index.isin(new.index)], new])
        return len(rows)

    def upsert_relationships(self, spec: RelSpec, rows: Sequence[Row]) -> int:
        if not rows:
            return 0
        ids = pd.DataFrame.from_records(
            [(str(r["start"]), str(r["end"]), str(r["key"])) for r in rows], columns=_REL_ID
        ).astype(object)
        props = pd.DataFrame.from_records(
            [r.get("props") or {} for r in rows], columns=list(spec.properties))
        new = pd.concat([ids, props.astype(object)], axis=1)
        exists = ids["start"].isin(self._node_index(spec.start)) & ids["end"].isin(
            self._node_index(spec.end))
        new = new.loc[exists].drop_duplicates(_REL_ID, keep="last")
        new.index = pd.MultiIndex.from_frame(new[_REL_ID])
        old = self._relationships.get(spec)
        self._relationships[spec] = new if old is None else pd.concat(
            [old.loc[~old.index.isin(new.index)], new])
        return int(exists.sum())

    def delete_relationships(self, spec: RelSpec, starts: Sequence[str], key: str) -> set[str]:
        frame = self._relationships.get(spec)
        if frame is None or not len(starts):
            return set()
        doomed = frame["start"].isin(set(starts)) & (frame["key"] == key)
        self._relationships[spec] = frame.loc[~doomed]
        return set(frame.loc[doomed, "end"])

    def delete_orphans(self, label: str, keys: Collection[str]) -> int:
        nodes = self._nodes.get(label)
        if nodes is None or not keys:
            return 0
        linked: set[str] = set()
        for spec, frame in self._relationships.items():
            if spec.start == label:
                linked.update(frame["start"])
            if spec.end == label:
                linked.update(frame["end"])
        orphans = nodes.index.isin(set(keys) - linked)
        self._nodes[label] = nodes.loc[~orphans]
        return int(orphans.sum())

    def _node_index(self, label: str) -> pd.Index:
        frame = self._nodes.get(label)
        return frame.index if frame is not None else pd.Index([], dtype=object)

    def keys(self, label: str) -> set[str]:
        """All natural-key values of ``label``."""
        return set(self._node_index(label))

    def node_table(self, label: str) -> pd.DataFrame:
        frame = self._nodes.get(label)
        rows = [] if frame is None else frame.to_dict("records")
        return node_frame(label, _without_missing(rows))

    def relationship_table(self, spec: RelSpec) -> pd.DataFrame:
        frame = self._relationships.get(spec)
        rows = [] if frame is None else frame.to_dict("records")
        return relationship_frame(spec, _without_missing(rows))

    def counts(self) -> dict[str, int]:
        result = {label: len(frame) for label, frame in self._nodes.items() if len(frame)}
        for spec, frame in self._relationships.items():
            if len(frame):
                result[spec.type] = result.get(spec.type, 0) + len(frame)
        return dict(sorted(result.items()))

    def clear(self) -> None:
        self._nodes.clear()
        self._relationships.clear()

    def close(self) -> None:
        """Nothing to release."""

    def save(self, path: Path) -> None:
        """Write the whole store to ``path`` (a pickle of our own data; load only your own)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        with temporary.open("wb") as handle:
            pickle.dump((_FORMAT, self._nodes, self._relationships), handle)
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> MemoryStore:
        """Read a store written by :meth:`save`."""
        with path.open("rb") as handle:
            payload = pickle.load(handle)
        if not isinstance(payload, tuple) or payload[0] != _FORMAT:
            raise ValueError(f"{path} is not a riskgraph memory store file ({_FORMAT})")
        store = cls()
        _, store._nodes, store._relationships = payload
        return store


def _without_missing(rows: list[dict[Hashable, Any]]) -> list[dict[str, Any]]:
    # pandas turns a missing value into NaN in float columns; a missing property is None.
    return [
        {str(name): value for name, value in row.items() if not _is_missing(value)}
        for row in rows
    ]


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)
