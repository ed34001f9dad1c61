"""The investigator queries on the embedded store: integer adjacency arrays over its frames.

Every node of the related-party graph gets an integer (labels one after another, in
:data:`graph.queries.RELATED_LABELS` order, each label in its frame's row order) and every
relationship a row in flat arrays (ends, type, ratio, validity as days). Two CSR indexes,
by start and by end, give a node's relationships with two slices, so a traversal touches
only the nodes it reaches: no per-query scan of a province's millions of relationships.
The arrays are built once per store version (:attr:`MemoryStore.version`) and rebuilt when
the store changes.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from graph import schema
from graph.memory import MemoryStore
from graph.queries import (
    CLUSTER_NODE_BUDGET,
    CONTACT_TYPES,
    CONTROL_TYPES,
    DIRECTORY_COLUMNS,
    HOLDS_SHARES,
    PEOPLE_TYPES,
    RELATED_LABELS,
    RELATED_SPECS,
    RELATED_TYPES,
    SHORTEST_PATH_BUDGET,
    Direction,
    Edge,
    Handle,
    NodeId,
    Party,
    QueryEngine,
)

Ints = npt.NDArray[np.int64]
_NEVER_ENDS = np.iinfo(np.int64).max
_ALWAYS = np.iinfo(np.int64).min
_EPOCH = dt.date(1970, 1, 1)


def _day(date: dt.date) -> int:
    return (date - _EPOCH).days


def _days(values: pd.Series, missing: int) -> Ints:
    """Dates (``datetime.date``, None or NaN) as days since 1970, ``missing`` where absent."""
    objects = values.to_numpy(dtype=object).copy()
    objects[~values.notna().to_numpy()] = None
    days = np.array(objects, dtype="datetime64[D]").astype(np.int64)
    days[days == np.iinfo(np.int64).min] = missing  # NaT
    return days


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _clean(row: dict[Any, Any]) -> dict[str, Any]:
    """A frame row as a property map: missing values dropped, lists as tuples."""
    return {
        str(name): tuple(value) if isinstance(value, list) else value
        for name, value in row.items() if not _is_missing(value)
    }


@dataclass
class _Index:
    """Integer adjacency of one version of the store (see the module docstring)."""

    version: int
    offsets: Ints  # first integer of each label, then the total
    keys: npt.NDArray[np.object_]  # natural key per integer
    lookup: dict[str, pd.Index]  # natural key -> position within the label
    frames: dict[str, pd.DataFrame | None]
    status: npt.NDArray[np.object_]  # enterprise status per enterprise integer
    start: Ints
    end: Ints
    type: npt.NDArray[np.int8]  # position in RELATED_TYPES
    spec: npt.NDArray[np.int8]  # position in RELATED_SPECS
    row: Ints  # row in the spec's frame
    ratio: npt.NDArray[np.float64]
    since: Ints
    until: Ints
    out_ptr: Ints
    out_edges: Ints
    in_ptr: Ints
    in_edges: Ints
    rel_frames: dict[int, pd.DataFrame]

    @property
    def size(self) -> int:
        return int(self.offsets[-1])

    def label_of(self, nodes: Ints) -> npt.NDArray[np.int64]:
        return np.searchsorted(self.offsets, nodes, side="right") - 1

    def node_ids(self, nodes: Ints) -> list[NodeId]:
        labels = self.label_of(nodes)
        return [(RELATED_LABELS[label], str(key))
                for label, key in zip(labels.tolist(), self.keys[nodes].tolist(), strict=True)]

    def ints(self, label: str, keys: Sequence[str]) -> Ints:
        """Integers of these keys of ``label``; -1 for unknown keys."""
        found = self.lookup[label].get_indexer(pd.Index(list(keys), dtype=object))
        position = RELATED_LABELS.index(label)
        return np.where(found >= 0, found + self.offsets[position], -1).astype(np.int64)


def _build(store: MemoryStore) -> _Index:
    version = store.version
    frames = {label: store.node_frame_raw(label) for label in RELATED_LABELS}
    sizes = [0 if frame is None else len(frame) for frame in frames.values()]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    lookup = {
        label: (pd.Index([], dtype=object) if frame is None
                else pd.Index(frame.index.to_numpy(dtype=object), dtype=object))
        for label, frame in frames.items()
    }
    keys = np.concatenate(
        [index.to_numpy(dtype=object) for index in lookup.values()]).astype(object)
    enterprises = frames["Enterprise"]
    status = (np.empty(0, dtype=object) if enterprises is None
              else enterprises["status"].to_numpy(dtype=object))
    columns: dict[str, list[npt.NDArray[Any]]] = {
        name: [] for name in ("start", "end", "type", "spec", "row", "ratio", "since", "until")}
    rel_frames: dict[int, pd.DataFrame] = {}
    for position, spec in enumerate(RELATED_SPECS):
        frame = store.relationship_frame_raw(spec)
        if frame is None or not len(frame):
            continue
        rel_frames[position] = frame
        start = lookup[spec.start].get_indexer(pd.Index(frame["start"].to_numpy(dtype=object)))
        end = lookup[spec.end].get_indexer(pd.Index(frame["end"].to_numpy(dtype=object)))
        present = (start >= 0) & (end >= 0)
        rows = np.flatnonzero(present)
        count = len(rows)
        columns["start"].append(start[rows] + offsets[RELATED_LABELS.index(spec.start)])
        columns["end"].append(end[rows] + offsets[RELATED_LABELS.index(spec.end)])
        columns["type"].append(np.full(count, RELATED_TYPES.index(spec.type), dtype=np.int8))
        columns["spec"].append(np.full(count, position, dtype=np.int8))
        columns["row"].append(rows.astype(np.int64))
        subset = frame.iloc[rows]
        columns["ratio"].append(
            pd.to_numeric(subset["ratio"], errors="coerce").to_numpy(dtype=np.float64)
            if "ratio" in subset else np.full(count, np.nan))
        columns["since"].append(_days(subset["since"], _ALWAYS) if "since" in subset
                                else np.full(count, _ALWAYS, dtype=np.int64))
        columns["until"].append(_days(subset["until"], _NEVER_ENDS) if "until" in subset
                                else np.full(count, _NEVER_ENDS, dtype=np.int64))
    dtypes = {"type": np.int8, "spec": np.int8, "ratio": np.float64}
    flat = {
        name: (np.concatenate(parts) if parts
               else np.empty(0, dtype=dtypes.get(name, np.int64)))
        for name, parts in columns.items()
    }
    n = int(offsets[-1])
    out_ptr, out_edges = _csr(flat["start"], n)
    in_ptr, in_edges = _csr(flat["end"], n)
    return _Index(
        version, offsets, keys, lookup, frames, status, flat["start"], flat["end"],
        flat["type"], flat["spec"], flat["row"], flat["ratio"], flat["since"], flat["until"],
        out_ptr, out_edges, in_ptr, in_edges, rel_frames,
    )


def _csr(by: Ints, n: int) -> tuple[Ints, Ints]:
    """Row pointers and edge numbers sorted by ``by``: node v's edges are
    ``edges[ptr[v]:ptr[v + 1]]``."""
    order = np.argsort(by, kind="stable").astype(np.int64)
    counts = np.bincount(by, minlength=n)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return ptr, order


def _gather(ptr: Ints, edges: Ints, nodes: Ints) -> tuple[Ints, Ints]:
    """The edges of ``nodes`` in one CSR index, and the node each came from."""
    starts = ptr[nodes]
    lengths = ptr[nodes + 1] - starts
    total = int(lengths.sum())
    if not total:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return edges[np.arange(total, dtype=np.int64) + shift], np.repeat(nodes, lengths)


class MemoryQueries(QueryEngine):
    """:class:`graph.queries.QueryEngine` on a :class:`MemoryStore`."""

    _engines: ClassVar[weakref.WeakKeyDictionary[MemoryStore, MemoryQueries]] = (
        weakref.WeakKeyDictionary())

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._cached: _Index | None = None

    @classmethod
    def of(cls, store: MemoryStore) -> MemoryQueries:
        """The store's engine, so that its adjacency is built once per store version."""
        engine = cls._engines.get(store)
        if engine is None:
            engine = cls._engines[store] = cls(store)
        return engine

    @property
    def index(self) -> _Index:
        if self._cached is None or self._cached.version != self.store.version:
            self._cached = None  # free the old arrays before building the new ones
            self._cached = _build(self.store)
        return self._cached

    # --- helpers ---

    def _valid(self, edges: Ints, types: Sequence[str], as_of: dt.date,
               min_share: float | None = None) -> npt.NDArray[np.bool_]:
        index = self.index
        wanted = np.zeros(len(RELATED_TYPES), dtype=bool)
        wanted[[RELATED_TYPES.index(name) for name in types]] = True
        day = _day(as_of)
        keep = wanted[index.type[edges]] & (index.since[edges] <= day) & (
            index.until[edges] > day)
        if min_share is not None:
            holding = index.type[edges] == RELATED_TYPES.index(HOLDS_SHARES)
            keep &= ~holding | (index.ratio[edges] >= min_share)
        return keep

    def _around(self, nodes: Ints, types: Sequence[str], as_of: dt.date,
                min_share: float | None = None) -> tuple[Ints, Ints, Ints]:
        """Valid edges at ``nodes`` in either direction: (edge, from node, other end)."""
        index = self.index
        out_edges, out_from = _gather(index.out_ptr, index.out_edges, nodes)
        in_edges, in_from = _gather(index.in_ptr, index.in_edges, nodes)
        edges = np.concatenate([out_edges, in_edges])
        origin = np.concatenate([out_from, in_from])
        other = np.concatenate([index.end[out_edges], index.start[in_edges]])
        keep = self._valid(edges, types, as_of, min_share)
        return edges[keep], origin[keep], other[keep]

    def _edge_objects(self, edges: Ints) -> list[Edge]:
        """Relationships as :class:`Edge`, in the order of ``edges``."""
        index = self.index
        result: list[Edge | None] = [None] * len(edges)
        for position in np.unique(index.spec[edges]).tolist():
            where = np.flatnonzero(index.spec[edges] == position)
            chosen = edges[where]
            spec = RELATED_SPECS[position]
            rows = index.rel_frames[position].iloc[index.row[chosen]]
            props = rows[list(spec.properties)].to_dict("records")
            for at, start, end, key, prop in zip(
                where.tolist(), index.node_ids(index.start[chosen]),
                index.node_ids(index.end[chosen]), rows["key"].tolist(), props, strict=True,
            ):
                result[at] = Edge(spec.type, start, end, str(key), _clean(prop))
        return [edge for edge in result if edge is not None]

    # --- primitives ---

    def _enterprise(self, uscc: str) -> Handle | None:
        found = int(self.index.ints("Enterprise", [uscc])[0])
        return None if found < 0 else found

    def _events(self, uscc: str) -> list[tuple[str, dict[str, Any]]]:
        found: list[tuple[str, dict[str, Any]]] = []
        for spec in schema.HAS_EVENT.values():
            links = self.store.relationship_frame_raw(spec)
            nodes = self.store.node_frame_raw(spec.end)
            if links is None or nodes is None:
                continue
            ends = links["end"].to_numpy(dtype=object)[links["start"].to_numpy(dtype=object)
                                                       == uscc]
            rows = nodes.loc[nodes.index.intersection(pd.Index(ends, dtype=object))]
            found.extend((spec.end, _clean(row)) for row in rows.to_dict("records"))
        return found

    def directory(self) -> pd.DataFrame:
        frame = self.index.frames["Enterprise"]
        if frame is None:
            return pd.DataFrame(columns=list(DIRECTORY_COLUMNS)).set_index("uscc", drop=False)
        return frame[list(DIRECTORY_COLUMNS)].sort_index()

    def enterprises_of_person(self, name: str) -> list[str]:
        people = self.index.frames["Person"]
        if people is None:
            return []
        ids = people.index[(people["name"] == name).to_numpy()]
        found: set[str] = set()
        for spec in (schema.PERSON_HOLDS_SHARES, schema.LEGAL_REP_OF, schema.OFFICER_OF):
            links = self.store.relationship_frame_raw(spec)
            if links is not None and len(ids):
                found.update(links.loc[links["start"].isin(ids), "end"].astype(str))
        return sorted(found)

    def _neighbours(
        self, frontier: Sequence[Handle], types: Sequence[str], as_of: dt.date,
        min_share: float | None, statuses: Collection[str] | None,
    ) -> list[tuple[Handle, NodeId]]:
        index = self.index
        _, _, other = self._around(np.asarray(frontier, dtype=np.int64), types, as_of,
                                   min_share)
        other = np.unique(other)
        if statuses is not None:
            is_enterprise = other < index.offsets[1]
            allowed = np.isin(index.status[other[is_enterprise]],
                              np.asarray(list(statuses), dtype=object))
            keep = ~is_enterprise
            keep[is_enterprise] = allowed
            other = other[keep]
        return list(zip(other.tolist(), index.node_ids(other), strict=True))

    def _properties(self, handles: Sequence[Handle]) -> list[dict[str, Any]]:
        index = self.index
        nodes = np.asarray(handles, dtype=np.int64)
        labels = index.label_of(nodes)
        result: list[dict[str, Any]] = [{} for _ in handles]
        for label in np.unique(labels).tolist():
            where = np.flatnonzero(labels == label)
            frame = index.frames[RELATED_LABELS[label]]
            assert frame is not None
            rows = frame.iloc[nodes[where] - index.offsets[label]].to_dict("records")
            for position, row in zip(where.tolist(), rows, strict=True):
                result[position] = _clean(row)
        return result

    def _edges_among(
        self, handles: Sequence[Handle], types: Sequence[str], as_of: dt.date,
        min_share: float | None,
    ) -> list[Edge]:
        index = self.index
        nodes = np.asarray(handles, dtype=np.int64)
        edges, _ = _gather(index.out_ptr, index.out_edges, nodes)
        edges = edges[self._valid(edges, types, as_of, min_share)]
        return self._edge_objects(edges[np.isin(index.end[edges], nodes)])

    def _holdings(
        self, frontier: Sequence[Handle], direction: Direction, as_of: dt.date,
    ) -> list[tuple[Handle, NodeId, Handle, str, float, str]]:
        index = self.index
        nodes = np.asarray(frontier, dtype=np.int64)
        ptr, by = (index.in_ptr, index.in_edges) if direction == "up" else (
            index.out_ptr, index.out_edges)
        edges, _ = _gather(ptr, by, nodes)
        edges = edges[self._valid(edges, (HOLDS_SHARES,), as_of)]
        ratios = np.nan_to_num(index.ratio[edges], nan=0.0).tolist()
        return [
            (holder, edge.start, owned, edge.end[1], ratio, edge.key)
            for holder, owned, ratio, edge in zip(
                index.start[edges].tolist(), index.end[edges].tolist(), ratios,
                self._edge_objects(edges), strict=True)
        ]

    def _parties(self, nodes: Collection[NodeId]) -> dict[NodeId, Party]:
        index = self.index
        by_label: dict[str, list[str]] = {}
        for label, key in nodes:
            by_label.setdefault(label, []).append(key)
        parties: dict[NodeId, Party] = {}
        for label, keys in by_label.items():
            frame = index.frames.get(label)
            if frame is None:
                continue
            found = index.lookup[label].get_indexer(pd.Index(keys, dtype=object))
            rows = frame.iloc[found[found >= 0]].to_dict("records")
            for key, row in zip(np.asarray(keys, dtype=object)[found >= 0].tolist(), rows,
                                strict=True):
                parties[(label, key)] = _party(label, key, _clean(row))
        return parties

    def _shared(self, handle: Handle, as_of: dt.date) -> list[tuple[str, NodeId, str, str]]:
        index = self.index
        assert isinstance(handle, int)
        root = np.asarray([handle], dtype=np.int64)
        # Contacts: this enterprise points at them, and so do the others.
        here, _ = _gather(index.out_ptr, index.out_edges, root)
        here = here[self._valid(here, CONTACT_TYPES, as_of)]
        rows = self._sharing(here, index.end[here], index.in_ptr, index.in_edges,
                             index.start, CONTACT_TYPES, handle, as_of)
        # People (and holding enterprises) point at this enterprise and at the others.
        here, _ = _gather(index.in_ptr, index.in_edges, root)
        here = here[self._valid(here, PEOPLE_TYPES, as_of)]
        rows += self._sharing(here, index.start[here], index.out_ptr, index.out_edges,
                              index.end, PEOPLE_TYPES, handle, as_of)
        return rows

    def _sharing(
        self, here: Ints, vias: Ints, ptr: Ints, by: Ints, far_end: Ints,
        types: Sequence[str], root: int, as_of: dt.date,
    ) -> list[tuple[str, NodeId, str, str]]:
        """Rows of :meth:`_shared` for the shared nodes ``vias`` reached by ``here``."""
        index = self.index
        unique_vias = np.unique(vias)
        there, there_from = _gather(ptr, by, unique_vias)
        others = far_end[there]
        keep = self._valid(there, types, as_of) & (others != root)
        there, there_from, others = there[keep], there_from[keep], others[keep]
        order = np.argsort(there_from, kind="stable")
        there_from, others = there_from[order], others[order]
        there_types = index.type[there[order]].tolist()
        other_keys = [str(key) for key in index.keys[others].tolist()]
        via_ids = dict(zip(unique_vias.tolist(), index.node_ids(unique_vias), strict=True))
        rows: list[tuple[str, NodeId, str, str]] = []
        for via, here_type in zip(vias.tolist(), index.type[here].tolist(), strict=True):
            low = int(np.searchsorted(there_from, via, side="left"))
            high = int(np.searchsorted(there_from, via, side="right"))
            rows.extend(
                (other_keys[at], via_ids[via], RELATED_TYPES[here_type],
                 RELATED_TYPES[there_types[at]])
                for at in range(low, high)
            )
        return rows

    def _shortest(
        self, source: Handle, target: Handle, types: Sequence[str], as_of: dt.date,
        max_hops: int,
    ) -> tuple[list[tuple[NodeId, ...]], bool]:
        """Bidirectional breadth-first search, the smaller frontier expanded first."""
        index = self.index
        distance = [np.full(index.size, -1, dtype=np.int16) for _ in range(2)]
        frontier = [np.asarray([source], dtype=np.int64), np.asarray([target], dtype=np.int64)]
        for side in (0, 1):
            distance[side][frontier[side]] = 0
        # Per side and level: the edges (from, to) into that level's nodes.
        steps: list[list[tuple[Ints, Ints]]] = [[], []]
        reached = [0, 0]
        length: int | None = None
        while reached[0] + reached[1] < max_hops:
            side = 0 if len(frontier[0]) <= len(frontier[1]) else 1
            if not len(frontier[side]):
                break
            _, origin, other = self._around(frontier[side], types, as_of)
            level = reached[side] + 1
            fresh = distance[side][other] < 0
            distance[side][other[fresh]] = level
            into = distance[side][other] == level
            steps[side].append((origin[into], other[into]))
            frontier[side] = np.unique(other[fresh])
            reached[side] = level
            met = frontier[side][distance[1 - side][frontier[side]] >= 0]
            if len(met):
                length = int((distance[0][met] + distance[1][met]).min())
                break
        if length is None:
            return [], False
        # Every shortest path has its node at position i on both sides' searches.
        i = max(0, length - reached[1])
        middle = np.flatnonzero((distance[0] == i) & (distance[1] == length - i))
        halves = [_back_paths(steps[0], middle, i), _back_paths(steps[1], middle, length - i)]
        sequences: list[tuple[int, ...]] = []
        cut = False
        for node in middle.tolist():
            for left in halves[0].get(node, []):
                for right in halves[1].get(node, []):
                    if len(sequences) >= SHORTEST_PATH_BUDGET:
                        cut = True
                        break
                    sequences.append((*reversed(left), *right[1:]))
        on_paths = sorted({node for sequence in sequences for node in sequence})
        named = dict(zip(on_paths, index.node_ids(np.asarray(on_paths, dtype=np.int64)),
                         strict=True))
        return [tuple(named[node] for node in sequence) for sequence in sequences], cut

    def _edges_between(
        self, pairs: Collection[tuple[NodeId, NodeId]], types: Sequence[str], as_of: dt.date,
    ) -> list[Edge]:
        index = self.index
        nodes = sorted({node for pair in pairs for node in pair})
        ints = {node: int(self._node_int(node)) for node in nodes}
        wanted = {(ints[a], ints[b]) for a, b in pairs} | {(ints[b], ints[a]) for a, b in pairs}
        edges, _ = _gather(index.out_ptr, index.out_edges,
                           np.asarray(list(ints.values()), dtype=np.int64))
        edges = edges[self._valid(edges, types, as_of)]
        chosen = [edge for edge, a, b in zip(edges.tolist(), index.start[edges].tolist(),
                                              index.end[edges].tolist(), strict=True)
                  if (a, b) in wanted]
        return self._edge_objects(np.asarray(chosen, dtype=np.int64))

    def _node_int(self, node: NodeId) -> int:
        return int(self.index.ints(node[0], [node[1]])[0])

    def _control_edges(
        self, as_of: dt.date, handle: Handle | None,
    ) -> tuple[list[tuple[NodeId, str, str]], bool]:
        index = self.index
        cut = False
        if handle is None:
            edges = np.flatnonzero(self._valid(
                np.arange(len(index.start), dtype=np.int64), CONTROL_TYPES, as_of))
        else:
            seen = np.zeros(index.size, dtype=bool)
            frontier = np.asarray([handle], dtype=np.int64)
            seen[frontier] = True
            count = 1
            while len(frontier):
                _, _, other = self._around(frontier, CONTROL_TYPES, as_of)
                other = np.unique(other[~seen[other]])
                if count + len(other) > CLUSTER_NODE_BUDGET:
                    other, cut = other[: CLUSTER_NODE_BUDGET - count], True
                seen[other] = True
                count += len(other)
                frontier = other if not cut else np.empty(0, dtype=np.int64)
            members = np.flatnonzero(seen)
            edges, _ = _gather(index.out_ptr, index.out_edges, members)
            edges = edges[self._valid(edges, CONTROL_TYPES, as_of)]
            edges = edges[seen[index.end[edges]]]
        starts = index.node_ids(index.start[edges])
        ends = index.keys[index.end[edges]].tolist()
        types = [RELATED_TYPES[code] for code in index.type[edges].tolist()]
        return list(zip(starts, [str(end) for end in ends], types, strict=True)), cut


def _back_paths(
    steps: list[tuple[Ints, Ints]], ends: Ints, depth: int,
) -> dict[int, list[tuple[int, ...]]]:
    """For each node of ``ends`` (at ``depth`` from the search's start), every shortest
    path from it back to the start, as node tuples starting at the node."""
    paths: dict[int, list[tuple[int, ...]]] = {node: [(node,)] for node in ends.tolist()}
    if depth == 0:
        return paths
    # Predecessors level by level, only of nodes on the way back from ``ends``.
    level_nodes = set(ends.tolist())
    predecessors: list[dict[int, list[int]]] = []
    for level in range(depth, 0, -1):
        origin, into = steps[level - 1]
        mask = np.isin(into, np.asarray(sorted(level_nodes), dtype=np.int64))
        step: dict[int, list[int]] = {}
        for a, b in zip(origin[mask].tolist(), into[mask].tolist(), strict=True):
            step.setdefault(b, []).append(a)
        predecessors.append(step)
        level_nodes = {a for froms in step.values() for a in froms}
    result: dict[int, list[tuple[int, ...]]] = {}
    for node in ends.tolist():
        partial: list[tuple[int, ...]] = [(node,)]
        for step in predecessors:
            partial = [(*path, before) for path in partial
                       for before in sorted(set(step.get(path[-1], [])))]
            if len(partial) > SHORTEST_PATH_BUDGET:
                partial = partial[:SHORTEST_PATH_BUDGET]
        result[node] = partial
    return result


def _party(label: str, key: str, props: dict[str, Any]) -> Party:
    if label == "Enterprise":
        return Party(label, key, props.get("name"), None, props.get("entity_type"),
                     props.get("status"))
    if label == "Person":
        return Party(label, key, props.get("name"), props.get("id_masked"))
    return Party(label, key, key)

