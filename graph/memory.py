"""``MemoryStore``: the embedded, in-process graph store, the default.

Same interface and same answers as :class:`graph.neo4j_store.Neo4jStore`. The graph is
held column-wise, one pandas frame per node label and per relationship spec, because a
province (millions of nodes and relationships) does not fit in memory as Python objects
per node; traversals build sparse adjacency from these frames when they need it. It can
be saved to a file and loaded back.
"""

from __future__ import annotations

import itertools
import pickle
from collections import defaultdict
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from graph.schema import NODES, RelSpec
from graph.store import node_frame, relationship_frame

_FORMAT = "riskgraph-memory-store/5"  # 5: contact links carry since, until
_REL_ID = ["start", "end", "key"]
# One counter for every table of every store: a stamp never repeats, so "largest stamp seen"
# identifies a store's contents for caches built from them (see MemoryStore.version).
_STAMPS = itertools.count(1)


class _Rows:
    """The rows of one label or relationship spec, indexed by identity.

    New rows are appended as chunks; the table is rebuilt only when an upsert replaces
    existing identities or somebody reads it, so monthly deliveries that mostly add rows
    do not copy a province's tables each time. ``ids`` holds each row's index value: the
    natural key of a node, a 64-bit hash of a relationship's (start, end, key) (a Python
    set of tuples would take gigabytes at province scale); equal hashes are compared
    exactly before a row is replaced.
    """

    def __init__(self) -> None:
        self.chunks: list[pd.DataFrame] = []
        self.ids: set[Hashable] = set()
        self.stamp = 0  # of the last change

    def upsert(self, new: pd.DataFrame, identity: list[str]) -> None:
        self.stamp = next(_STAMPS)
        if list(new.columns) == identity and new.index.dtype == np.dtype(object):
            # Nodes that are nothing but their key (addresses, phones, e-mails): one already
            # here is the same row, so nothing is replaced and the table is not rebuilt.
            new = new.loc[~_members(self.ids, new.index)]
        incoming = new.index.tolist()
        if not self.ids.isdisjoint(incoming):
            frame = self.frame()
            assert frame is not None  # there are ids, so there are rows
            candidates = frame.index.isin(incoming)
            if candidates.any():
                existing = pd.MultiIndex.from_frame(frame.loc[candidates, identity])
                replaced = existing.isin(pd.MultiIndex.from_frame(new[identity]))
                candidates[candidates] = replaced
            self.chunks = [frame.loc[~candidates]]
        self.chunks.append(new)
        self.ids.update(incoming)

    def frame(self) -> pd.DataFrame | None:
        if len(self.chunks) > 1:
            self.chunks = [pd.concat(self.chunks)]
        return self.chunks[0] if self.chunks else None

    def __len__(self) -> int:
        return sum(map(len, self.chunks))

    def has_keys(self, keys: npt.NDArray[np.object_]) -> npt.NDArray[np.bool_]:
        """Which of ``keys`` are nodes here (node rows only: their ids are their keys)."""
        # Set look-ups: no hash table of the whole label to rebuild after each upsert.
        return _members(self.ids, keys)


def _members(keys: set[Hashable], values: Iterable[Hashable]) -> npt.NDArray[np.bool_]:
    """Which values are in ``keys`` (one C-level set look-up each)."""
    return np.fromiter(map(keys.__contains__, values), dtype=bool)


def _strings(values: pd.Series) -> npt.NDArray[np.object_]:
    """Keys as Python strings in an object array (pandas' Arrow-backed strings make isin()
    loop in Python, and converting to them and back costs more than the upsert)."""
    array = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(array, skipna=False) == "string":
        return array
    return np.array([str(value) for value in array], dtype=object)


def _columns(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """``frame`` with exactly these columns (a missing one all None), as object columns."""
    if list(frame.columns) != names:
        frame = frame.reindex(columns=names)
    if all(dtype == np.dtype(object) for dtype in frame.dtypes):
        return frame.copy(deep=False)
    return frame.astype(object)


def _identity_hashes(frame: pd.DataFrame) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each row's (start, end, key), from the object arrays themselves
    (hash_pandas_object would convert them to Arrow strings first)."""
    combined = np.zeros(len(frame), dtype=np.uint64)
    for name in _REL_ID:
        column = pd.util.hash_array(frame[name].to_numpy(dtype=object), categorize=False)
        combined = combined * np.uint64(0x100000001B3) ^ column
    return combined


class MemoryStore:
    """Node frames indexed by natural key; relationship frames by an identity hash.

    Upserts replace the whole row of an existing key (rows carry every property; a None
    removes it, as Neo4j's ``SET n += row`` does).
    """

    def __init__(self) -> None:
        self._nodes: dict[str, _Rows] = defaultdict(_Rows)
        self._relationships: dict[RelSpec, _Rows] = defaultdict(_Rows)
        self._cleared = next(_STAMPS)

    def ensure_schema(self) -> None:
        """Nothing to create: natural keys are the frames' indexes."""

    def upsert_nodes(self, label: str, frame: pd.DataFrame) -> int:
        if frame.empty:
            return 0
        spec = NODES[label]
        new = _columns(frame, list(spec.properties))
        new[spec.key] = pd.Series(_strings(new[spec.key]), index=new.index, dtype=object)
        new = new.drop_duplicates(spec.key, keep="last")
        new.index = pd.Index(new[spec.key].to_numpy(), dtype=object)
        self._nodes[label].upsert(new, [spec.key])
        return len(frame)

    def upsert_relationships(self, spec: RelSpec, frame: pd.DataFrame) -> int:
        if frame.empty:
            return 0
        new = _columns(frame, [*_REL_ID, *spec.properties])
        for name in _REL_ID:
            new[name] = pd.Series(_strings(new[name]), index=new.index, dtype=object)
        exists = self._nodes[spec.start].has_keys(new["start"].to_numpy()) & self._nodes[
            spec.end].has_keys(new["end"].to_numpy())
        new = new.loc[exists]
        hashes = _identity_hashes(new)
        if pd.Index(hashes).has_duplicates:  # rare: a delivery repeating a relationship
            keep = ~new.duplicated(_REL_ID, keep="last").to_numpy()
            new, hashes = new.loc[keep], hashes[keep]
        new.index = pd.Index(hashes, dtype=np.uint64)
        self._relationships[spec].upsert(new, _REL_ID)
        return int(exists.sum())

    def supersede_relationships(self, spec: RelSpec, frame: pd.DataFrame, key: str
                                ) -> set[str]:
        rows = self._relationships[spec]
        # Only nodes already here can have relationships (a first load: none of them).
        known = self._nodes[spec.start].ids
        frame = frame.loc[_members(known, frame["start"])]
        table = rows.frame() if len(frame) else None
        if table is None:
            return set()
        declared = frame.drop_duplicates("start", keep="last").set_index("start")
        open_rows = np.flatnonzero(
            (table["key"] == key).to_numpy() & table["until"].isna().to_numpy()
            & table["start"].isin(declared.index).to_numpy())
        if not len(open_rows):
            return set()
        starts = table["start"].to_numpy(dtype=object)[open_rows]
        same = table["end"].to_numpy(dtype=object)[open_rows] == declared["end"].reindex(
            starts).to_numpy(dtype=object)
        ended = open_rows[~same]
        if len(ended):
            until = table["until"].to_numpy(dtype=object).copy()
            until[ended] = declared["since"].reindex(starts[~same]).to_numpy(dtype=object)
            table["until"] = until  # the held frame itself
            rows.stamp = next(_STAMPS)
        return set(starts[same])

    def keys(self, label: str) -> set[str]:
        """All natural-key values of ``label``."""
        return {str(key) for key in self._nodes[label].ids}

    def node_table(self, label: str) -> pd.DataFrame:
        frame = self._nodes[label].frame()
        rows = [] if frame is None else frame.to_dict("records")
        return node_frame(label, _without_missing(rows))

    def relationship_table(self, spec: RelSpec) -> pd.DataFrame:
        frame = self._relationships[spec].frame()
        rows = [] if frame is None else frame.to_dict("records")
        return relationship_frame(spec, _without_missing(rows))

    def counts(self) -> dict[str, int]:
        result = {label: len(rows) for label, rows in self._nodes.items() if len(rows)}
        for spec, rows in self._relationships.items():
            if len(rows):
                result[spec.type] = result.get(spec.type, 0) + len(rows)
        return dict(sorted(result.items()))

    def clear(self) -> None:
        self._nodes.clear()
        self._relationships.clear()
        self._cleared = next(_STAMPS)

    @property
    def version(self) -> int:
        """Changes whenever the contents may have: caches built from the frames key on it."""
        tables = itertools.chain(self._nodes.values(), self._relationships.values())
        return max([self._cleared, *(rows.stamp for rows in tables)])

    def node_frame_raw(self, label: str) -> pd.DataFrame | None:
        """The nodes of ``label`` as held: indexed by key, object columns, NaN or None where
        a property is missing; None when there are none. Read-only: do not modify."""
        return self._nodes[label].frame() if label in self._nodes else None

    def relationship_frame_raw(self, spec: RelSpec) -> pd.DataFrame | None:
        """The relationships of ``spec`` as held: columns start, end, key and the
        properties; None when there are none. Read-only: do not modify."""
        return self._relationships[spec].frame() if spec in self._relationships else None

    def close(self) -> None:
        """Nothing to release."""

    def save(self, path: Path) -> None:
        """Write the whole store to ``path`` (a pickle of our own data; load only your own)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + ".tmp")
        with temporary.open("wb") as handle:
            pickle.dump((_FORMAT, dict(self._nodes), dict(self._relationships)), handle)
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> MemoryStore:
        """Read a store written by :meth:`save`."""
        with path.open("rb") as handle:
            payload = pickle.load(handle)
        if not isinstance(payload, tuple) or payload[0] != _FORMAT:
            raise ValueError(f"{path} is not a riskgraph memory store file ({_FORMAT})")
        store = cls()
        for rows in (*payload[1].values(), *payload[2].values()):
            rows.stamp = next(_STAMPS)  # stamps of another process mean nothing here
        store._nodes.update(payload[1])
        store._relationships.update(payload[2])
        return store


def _without_missing(rows: list[dict[Hashable, Any]]) -> list[dict[str, Any]]:
    # pandas turns a missing value into NaN in float columns; a missing property is None.
    return [
        {str(name): value for name, value in row.items() if not _is_missing(value)}
        for row in rows
    ]


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)
