"""Investigator queries on the related-party graph (design section 6), for both stores.

The result model is declared here once, with the parts of each query that do not depend
on the store: :class:`QueryEngine` runs every query on a few primitives ("the neighbours of
these nodes", "the shareholdings into these enterprises", ...) that
:class:`graph.memory_queries.MemoryQueries` answers from sparse adjacency arrays and
:class:`graph.neo4j_queries.Neo4jQueries` with batched Cypher. Everything after the
primitives (budgets, path sums, ranking, ordering) is this module's, so both stores give the
same answers.

Conventions:

* a node is identified by ``(label, key)`` (:data:`NodeId`); persons by ``person_id`` and
  shown with ``name`` and ``id_masked`` only;
* "as of" a date (default: today) keeps a relationship when ``since`` is missing or
  ``since <= date`` and ``until`` is missing or ``until > date`` (as the indicators do);
* results are ordered deterministically (ties by label rank, then key).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graph import schema
from graph.schema import RelSpec
from graph.store import GraphStore

NodeId = tuple[str, str]  # (label, natural key)
Handle = Hashable  # a store's own reference to a node (row number, Neo4j element id)
Direction = Literal["up", "down"]

# The related-party graph: parties, contacts and the relationships between them.
RELATED_LABELS: tuple[str, ...] = ("Enterprise", "Person", "Address", "Phone", "Email")
LABEL_RANK: dict[str, int] = {label: rank for rank, label in enumerate(RELATED_LABELS)}
RELATED_SPECS: tuple[RelSpec, ...] = (
    schema.PERSON_HOLDS_SHARES, schema.ENTERPRISE_HOLDS_SHARES, schema.LEGAL_REP_OF,
    schema.OFFICER_OF, schema.BRANCH_OF, schema.REGISTERED_AT, schema.HAS_PHONE,
    schema.HAS_EMAIL,
)
RELATED_TYPES: tuple[str, ...] = tuple(dict.fromkeys(spec.type for spec in RELATED_SPECS))
HOLDS_SHARES = "HOLDS_SHARES"
CONTROL_TYPES: tuple[str, ...] = (HOLDS_SHARES, schema.BRANCH_OF.type)
PEOPLE_TYPES: tuple[str, ...] = (HOLDS_SHARES, schema.LEGAL_REP_OF.type, schema.OFFICER_OF.type)
CONTACT_TYPES: tuple[str, ...] = (
    schema.REGISTERED_AT.type, schema.HAS_PHONE.type, schema.HAS_EMAIL.type)
# What a shared node is called in a suspected relation, by the relationship to it.
ROLE_OF_TYPE: dict[str, str] = {
    schema.REGISTERED_AT.type: "address", schema.HAS_PHONE.type: "phone",
    schema.HAS_EMAIL.type: "email", schema.LEGAL_REP_OF.type: "legal_rep",
    schema.OFFICER_OF.type: "officer", HOLDS_SHARES: "shareholder",
}
# Entity types of state bodies (ingestion.reference), which end an ownership chain as its
# ultimate owner when nothing holds them.
STATE_ENTITY_TYPES: frozenset[str] = frozenset({"state_owned"})

MAX_NETWORK_HOPS = 4
MAX_PENETRATION_DEPTH = 10
MAX_PATH_HOPS = 6
MAX_PATH_ENTERPRISES = 50
# Simple paths summed by one penetration, and shortest paths enumerated per pair: beyond
# these the answer says "truncated" instead of running for minutes on a dense tangle.
PATH_BUDGET = 100_000
SHORTEST_PATH_BUDGET = 10_000
CLUSTER_NODE_BUDGET = 200_000
HIGH_RISK_CLASSES = ("C", "D")


class QueryError(ValueError):
    """A query that cannot be answered as asked (unknown enterprise, parameter out of range)."""


def resolve_as_of(as_of: dt.date | None) -> dt.date:
    return dt.date.today() if as_of is None else as_of


# ------------------------------------------------------------------------ result model


@dataclass(frozen=True)
class Party:
    """A node as shown to an investigator: who or what it is, never a raw identity number."""

    label: str
    key: str
    name: str | None = None  # enterprise or person name; the value of a contact node
    id_masked: str | None = None  # persons
    entity_type: str | None = None  # enterprises
    status: str | None = None  # enterprises

    @property
    def id(self) -> NodeId:
        return (self.label, self.key)


@dataclass(frozen=True)
class Edge:
    """A relationship with its properties (dates as ``datetime.date``)."""

    type: str
    start: NodeId
    end: NodeId
    key: str
    properties: Mapping[str, Any] = field(default_factory=dict)

    def sort_key(self) -> tuple[Any, ...]:
        return (_node_order(self.start), _node_order(self.end), self.type, self.key)


@dataclass(frozen=True)
class NetworkNode:
    label: str
    key: str
    depth: int  # hops from the centre
    properties: Mapping[str, Any]
    risk_class: str | None = None  # when a classification was supplied


@dataclass(frozen=True)
class Network:
    """The k-hop related-party network of an enterprise."""

    uscc: str
    as_of: dt.date
    hops: int
    nodes: tuple[NetworkNode, ...]
    edges: tuple[Edge, ...]
    truncated: bool  # the node budget cut the last level short
    max_nodes: int


@dataclass(frozen=True)
class ShareEdge:
    """``holder`` holds ``ratio`` of enterprise ``owned``."""

    holder: NodeId
    owned: str
    ratio: float
    key: str


@dataclass(frozen=True)
class Stake:
    """A party's cumulative share: sum over simple ownership paths of the ratios' product."""

    party: Party
    share: float
    direct_share: float  # the direct holding, 0 when only indirect
    depth: int  # length of the shortest path
    paths: int


@dataclass(frozen=True)
class Penetration:
    """Ownership penetration: who holds ``uscc`` (up) or what it holds (down)."""

    uscc: str
    direction: Direction
    as_of: dt.date
    max_depth: int
    stakes: tuple[Stake, ...]  # by share, largest first
    edges: tuple[ShareEdge, ...]  # the ownership graph the stakes were summed on
    truncated: bool  # more than PATH_BUDGET simple paths: shares are lower bounds


@dataclass(frozen=True)
class Controller:
    """An ultimate beneficial owner: a natural person or a state body."""

    party: Party
    share: float  # cumulative
    majority_chain: bool  # controls through a chain of holdings each above 50%
    kind: Literal["person", "state"]


@dataclass(frozen=True)
class Controllers:
    """The actual controller and ultimate beneficial owners of an enterprise."""

    uscc: str
    as_of: dt.date
    threshold: float
    owners: tuple[Controller, ...]
    actual_controller: Party | None  # majority-chain control, else a cumulative share > 50%
    largest: Stake | None  # the largest person or state stake, qualifying or not
    reason: str | None  # why there is no owner (English)
    reason_zh: str | None  # 无受益所有人的原因
    truncated: bool


@dataclass(frozen=True)
class SharedLink:
    """One thing two enterprises share: a contact, or a person/enterprise in some role."""

    kind: str  # address, phone, email, legal_rep, officer, shareholder, cross_role
    via: Party


@dataclass(frozen=True)
class SuspectedRelation:
    enterprise: Party
    links: tuple[SharedLink, ...]

    @property
    def count(self) -> int:
        return len(self.links)


@dataclass(frozen=True)
class SuspectedRelations:
    uscc: str
    as_of: dt.date
    relations: tuple[SuspectedRelation, ...]  # most links first, at most ``limit``
    total: int  # enterprises with any shared link


@dataclass(frozen=True)
class Path:
    """A node sequence; ``hops[i]`` are every relationship between node i and node i+1."""

    nodes: tuple[Party, ...]
    hops: tuple[tuple[Edge, ...], ...]

    @property
    def length(self) -> int:
        return len(self.hops)


@dataclass(frozen=True)
class PathResult:
    source: str
    target: str
    as_of: dt.date
    length: int | None  # None: not connected within max_hops
    paths: tuple[Path, ...]  # all shortest paths (at most ``max_paths``), ordered by keys
    total: int  # shortest node sequences found
    truncated: bool  # more than SHORTEST_PATH_BUDGET (or max_paths) shortest paths


@dataclass(frozen=True)
class EventRecord:
    """One event of an enterprise (penalty, listing, inspection...), for its timeline."""

    kind: str  # the record kind of ingestion.models (penalty, abnormal_listing, ...)
    event_id: str
    date: dt.date | None
    properties: Mapping[str, Any]  # the event's other properties


DIRECTORY_COLUMNS: tuple[str, ...] = (
    "uscc", "name", "entity_type", "region_code", "industry_code", "status")


@dataclass(frozen=True)
class Cluster:
    """A weakly connected component of the control graph (HOLDS_SHARES + BRANCH_OF)."""

    enterprises: tuple[str, ...]  # usccs, sorted
    people: int  # natural persons holding shares inside the group
    cycles: tuple[tuple[str, ...], ...]  # cross-shareholding rings (strong components)
    class_counts: Mapping[str, int] | None = None  # when a classification was supplied
    truncated: bool = False

    @property
    def size(self) -> int:
        return len(self.enterprises)

    @property
    def high_risk(self) -> int:
        return sum((self.class_counts or {}).get(name, 0) for name in HIGH_RISK_CLASSES)


@dataclass(frozen=True)
class Clusters:
    as_of: dt.date
    groups: tuple[Cluster, ...]  # largest first (by high-risk members when classes given)
    total: int  # groups of two or more enterprises
    cycles: tuple[tuple[str, ...], ...]  # every cross-shareholding ring, largest first


# ------------------------------------------------------------------ shared algorithms


def _node_order(node: NodeId) -> tuple[int, str]:
    return (LABEL_RANK.get(node[0], len(LABEL_RANK)), node[1])


def is_valid(props: Mapping[str, Any], as_of: dt.date) -> bool:
    """The relationship is in force on ``as_of`` (missing since: from the start)."""
    since, until = props.get("since"), props.get("until")
    return (since is None or since <= as_of) and (until is None or until > as_of)


def sum_paths(
    edges: Sequence[ShareEdge], root: str, direction: Direction, max_depth: int,
    budget: int = PATH_BUDGET,
) -> tuple[dict[NodeId, tuple[float, float, int, int]], bool]:
    """Cumulative shares over simple paths of at most ``max_depth`` edges from ``root``.

    Returns ``{party: (share, direct share, shortest depth, paths)}`` and whether the path
    budget stopped the walk. A path never revisits a node, so a cross-holding adds its ring
    once per simple path through it and never loops; the root is not its own holder.
    """
    # Depth-first over edges in a fixed order, so that a budget cut is the same everywhere.
    step: dict[NodeId, list[tuple[NodeId, float]]] = defaultdict(list)
    for edge in sorted(edges, key=lambda e: (_node_order(e.holder), e.owned, e.key)):
        owned: NodeId = ("Enterprise", edge.owned)
        if direction == "up":
            step[owned].append((edge.holder, edge.ratio))
        else:
            step[edge.holder].append((owned, edge.ratio))
    start: NodeId = ("Enterprise", root)
    totals: dict[NodeId, list[float]] = {}
    on_path = {start}
    walked = 0
    stack: list[tuple[NodeId, float, int, int]] = [(start, 1.0, 0, 0)]
    # Iterative DFS: (node, product so far, depth, index of the next edge to try).
    while stack:
        node, product, depth, index = stack[-1]
        options = step.get(node, ())
        if depth >= max_depth or index >= len(options):
            stack.pop()
            on_path.discard(node)
            continue
        stack[-1] = (node, product, depth, index + 1)
        other, ratio = options[index]
        if other in on_path:
            continue
        walked += 1
        if walked > budget:
            return _stake_tuples(totals), True
        share = product * ratio
        entry = totals.setdefault(other, [0.0, 0.0, depth + 1, 0])
        entry[0] += share
        entry[3] += 1
        if depth == 0:
            entry[1] += ratio
        entry[2] = min(entry[2], depth + 1)
        on_path.add(other)
        stack.append((other, share, depth + 1, 0))
    return _stake_tuples(totals), False


def _stake_tuples(
    totals: dict[NodeId, list[float]],
) -> dict[NodeId, tuple[float, float, int, int]]:
    return {node: (v[0], v[1], int(v[2]), int(v[3])) for node, v in totals.items()}


def majority_controllers(edges: Sequence[ShareEdge], root: str) -> set[NodeId]:
    """Parties that reach ``root`` through a chain of holdings each above 50%."""
    holders: dict[str, list[NodeId]] = defaultdict(list)
    for edge in edges:
        if edge.ratio > 0.5:
            holders[edge.owned].append(edge.holder)
    reached: set[NodeId] = set()
    frontier = [root]
    while frontier:
        following: list[str] = []
        for owned in frontier:
            for holder in holders.get(owned, ()):
                if holder not in reached:
                    reached.add(holder)
                    if holder[0] == "Enterprise":
                        following.append(holder[1])
        frontier = following
    return reached


def group_suspected(
    rows: Iterable[tuple[str, NodeId, str, str]], refs: Mapping[NodeId, Party], limit: int,
) -> tuple[tuple[SuspectedRelation, ...], int]:
    """Suspected relations from ``(other uscc, shared node, type here, type there)`` rows.

    A contact is one link; a person or enterprise is one link per role it has on both sides
    (legal rep of both, shareholder of both...), or one ``cross_role`` link when its roles
    differ (legal rep here, officer there).
    """
    roles: dict[tuple[str, NodeId], tuple[set[str], set[str]]] = {}
    for other, via, here, there in rows:
        here_roles, there_roles = roles.setdefault((other, via), (set(), set()))
        here_roles.add(ROLE_OF_TYPE[here])
        there_roles.add(ROLE_OF_TYPE[there])
    links: dict[str, list[SharedLink]] = defaultdict(list)
    for (other, via), (here_roles, there_roles) in roles.items():
        party = refs.get(via, Party(*via))
        if via[0] in ("Address", "Phone", "Email"):
            links[other].append(SharedLink(ROLE_OF_TYPE_BY_LABEL[via[0]], party))
            continue
        common = sorted(here_roles & there_roles)
        for kind in common or ["cross_role"]:
            links[other].append(SharedLink(kind, party))
    relations = [
        SuspectedRelation(
            refs.get(("Enterprise", other), Party("Enterprise", other)),
            tuple(sorted(found, key=lambda link: (link.kind, _node_order(link.via.id)))),
        )
        for other, found in links.items()
    ]
    relations.sort(key=lambda relation: (-relation.count, relation.enterprise.key))
    return tuple(relations[:limit]), len(relations)


ROLE_OF_TYPE_BY_LABEL = {"Address": "address", "Phone": "phone", "Email": "email"}


def control_components(
    enterprise_edges: tuple[np.ndarray, np.ndarray],
    person_edges: tuple[np.ndarray, np.ndarray],
    holding_edges: tuple[np.ndarray, np.ndarray],
    enterprises: np.ndarray | None = None,
) -> tuple[list[np.ndarray], list[int], list[tuple[str, ...]]]:
    """Weakly connected components of the control graph, and cross-shareholding rings.

    ``enterprise_edges``: (start uscc, end uscc) of HOLDS_SHARES and BRANCH_OF between
    enterprises; ``person_edges``: (person_id, uscc) holdings; ``holding_edges``: the
    enterprise-to-enterprise holdings alone (for the rings). Returns the groups with two or
    more enterprises (usccs, sorted), the persons in each, and every ring (strong component
    of the holdings with two or more enterprises, sorted usccs).
    """
    usccs_in = [enterprise_edges[0], enterprise_edges[1], person_edges[1]]
    if enterprises is not None:
        usccs_in.append(enterprises)
    codes, usccs = pd.factorize(np.concatenate([np.asarray(a, dtype=object) for a in usccs_in]))
    n_enterprises = len(usccs)
    person_codes, persons = pd.factorize(np.asarray(person_edges[0], dtype=object))
    n = n_enterprises + len(persons)
    split = np.cumsum([len(a) for a in usccs_in])
    start = np.concatenate([codes[: split[0]], person_codes + n_enterprises])
    end = np.concatenate([codes[split[0] : split[1]], codes[split[1] : split[2]]])
    graph = coo_matrix((np.ones(len(start), dtype=np.int8), (start, end)), shape=(n, n)).tocsr()
    _, component = connected_components(graph, directed=True, connection="weak")
    enterprise_component = component[:n_enterprises]
    sizes = np.bincount(enterprise_component, minlength=component.max() + 1 if n else 0)
    people = np.bincount(component[n_enterprises:], minlength=len(sizes))
    order = np.argsort(enterprise_component, kind="stable")
    bounds = np.searchsorted(enterprise_component[order], np.arange(len(sizes) + 1))
    groups: list[np.ndarray] = []
    group_people: list[int] = []
    for comp in np.flatnonzero(sizes >= 2):
        members = np.sort(usccs[order[bounds[comp] : bounds[comp + 1]]].astype(str))
        groups.append(members)
        group_people.append(int(people[comp]))
    return groups, group_people, holding_rings(*holding_edges)


def holding_rings(starts: np.ndarray, ends: np.ndarray) -> list[tuple[str, ...]]:
    """Strong components (two or more enterprises) of enterprise-to-enterprise holdings."""
    if not len(starts):
        return []
    codes, usccs = pd.factorize(
        np.concatenate([np.asarray(starts, dtype=object), np.asarray(ends, dtype=object)]))
    n = len(usccs)
    half = len(starts)
    graph = coo_matrix(
        (np.ones(half, dtype=np.int8), (codes[:half], codes[half:])), shape=(n, n)).tocsr()
    count, component = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(component, minlength=count)
    rings = [
        tuple(sorted(str(key) for key in usccs[component == comp]))
        for comp in np.flatnonzero(sizes >= 2)
    ]
    return sorted(rings, key=lambda ring: (-len(ring), ring))


# ------------------------------------------------------------------------- the engine


class QueryEngine:
    """The investigator queries, on primitives a store-specific subclass provides.

    Handles are a store's own references to nodes (integers in the embedded store, element
    ids in Neo4j); everything returned to a caller is in natural keys.
    """

    # --- primitives (store-specific) ---

    def _enterprise(self, uscc: str) -> Handle | None:
        raise NotImplementedError

    def _neighbours(
        self, frontier: Sequence[Handle], types: Sequence[str], as_of: dt.date,
        min_share: float | None, statuses: Collection[str] | None,
    ) -> list[tuple[Handle, NodeId]]:
        """Distinct nodes one valid relationship of ``types`` away (either direction);
        holdings below ``min_share`` and enterprises not in ``statuses`` left out."""
        raise NotImplementedError

    def _properties(self, handles: Sequence[Handle]) -> list[dict[str, Any]]:
        """Each node's schema properties (missing ones left out, lists as tuples)."""
        raise NotImplementedError

    def _edges_among(
        self, handles: Sequence[Handle], types: Sequence[str], as_of: dt.date,
        min_share: float | None,
    ) -> list[Edge]:
        """Valid relationships of ``types`` whose both ends are among ``handles``."""
        raise NotImplementedError

    def _holdings(
        self, frontier: Sequence[Handle], direction: Direction, as_of: dt.date,
    ) -> list[tuple[Handle, NodeId, Handle, str, float, str]]:
        """Valid holdings into (up) or out of (down) the frontier enterprises:
        ``(holder handle, holder, owned handle, owned uscc, ratio, key)``."""
        raise NotImplementedError

    def _parties(self, nodes: Collection[NodeId]) -> dict[NodeId, Party]:
        raise NotImplementedError

    def _shared(self, handle: Handle, as_of: dt.date) -> list[tuple[str, NodeId, str, str]]:
        """``(other uscc, shared node, type here, type there)`` for every enterprise sharing
        a contact (any link) or a person/enterprise (a valid people/holding link)."""
        raise NotImplementedError

    def _shortest(
        self, source: Handle, target: Handle, types: Sequence[str], as_of: dt.date,
        max_hops: int,
    ) -> tuple[list[tuple[NodeId, ...]], bool]:
        """All shortest node sequences (up to SHORTEST_PATH_BUDGET) and whether cut."""
        raise NotImplementedError

    def _edges_between(
        self, pairs: Collection[tuple[NodeId, NodeId]], types: Sequence[str], as_of: dt.date,
    ) -> list[Edge]:
        raise NotImplementedError

    def _control_edges(
        self, as_of: dt.date, handle: Handle | None,
    ) -> tuple[list[tuple[NodeId, str, str]], bool]:
        """``(start, end uscc, type)`` of valid HOLDS_SHARES and BRANCH_OF relationships:
        all of them, or those of the component of ``handle`` (and whether it was cut)."""
        raise NotImplementedError

    def _events(self, uscc: str) -> list[tuple[str, dict[str, Any]]]:
        """``(node label, properties)`` of every event of the enterprise."""
        raise NotImplementedError

    def directory(self) -> pd.DataFrame:
        """Every enterprise's :data:`DIRECTORY_COLUMNS` (indexed by USCC, sorted), for
        search, region checks and statistics without a round trip per enterprise."""
        raise NotImplementedError

    def enterprises_of_person(self, name: str) -> list[str]:
        """USCCs of the enterprises a person of exactly this name represents, holds or
        serves as an officer (any date), sorted."""
        raise NotImplementedError

    # --- queries ---

    def _require(self, uscc: str) -> Handle:
        handle = self._enterprise(uscc)
        if handle is None:
            raise QueryError(f"no enterprise {uscc!r} in the graph")
        return handle

    def network(
        self, uscc: str, *, hops: int = 2, kinds: Collection[str] | None = None,
        min_share: float = 0.0, as_of: dt.date | None = None,
        statuses: Collection[str] | None = None, classes: Collection[str] | None = None,
        risk_classes: Mapping[str, str] | None = None, max_nodes: int = 500,
    ) -> Network:
        """The ``hops``-hop related-party network of ``uscc``.

        Nodes are added level by level, each level in (label, key) order, until
        ``max_nodes``; a level that does not fit is cut and ``truncated`` set. ``kinds``
        are relationship types (default: all of the related-party graph); ``min_share``
        drops smaller holdings; ``statuses`` and ``classes`` (with ``risk_classes``, a
        mapping uscc -> class) drop enterprises, which then do not carry the expansion
        either.
        """
        if not 1 <= hops <= MAX_NETWORK_HOPS:
            raise QueryError(f"hops must be 1..{MAX_NETWORK_HOPS}, got {hops}")
        if max_nodes < 1:
            raise QueryError("max_nodes must be at least 1")
        if classes is not None and risk_classes is None:
            raise QueryError("a class filter needs the classification (risk_classes)")
        types = _types(kinds)
        date = resolve_as_of(as_of)
        share = min_share if min_share > 0 else None
        centre = self._require(uscc)
        handles: list[Handle] = [centre]
        depths = [0]
        ids: list[NodeId] = [("Enterprise", uscc)]
        seen = {centre}
        frontier = [centre]
        truncated = False
        for depth in range(1, hops + 1):
            found = [
                (handle, node) for handle, node in self._neighbours(
                    frontier, types, date, share, statuses)
                if handle not in seen and _class_ok(node, classes, risk_classes)
            ]
            found.sort(key=lambda item: _node_order(item[1]))
            room = max_nodes - len(handles)
            if len(found) > room:
                found, truncated = found[:room], True
            for handle, node in found:
                seen.add(handle)
                handles.append(handle)
                ids.append(node)
                depths.append(depth)
            frontier = [handle for handle, _ in found]
            if truncated or not frontier:
                break
        properties = self._properties(handles)
        nodes = tuple(
            NetworkNode(label, key, depth, props,
                        risk_classes.get(key) if risk_classes and label == "Enterprise" else None)
            for (label, key), depth, props in zip(ids, depths, properties, strict=True)
        )
        edges = sorted(self._edges_among(handles, types, date, share), key=Edge.sort_key)
        return Network(uscc, date, hops, nodes, tuple(edges), truncated, max_nodes)

    def records(self, uscc: str) -> tuple[EventRecord, ...]:
        """Every event of ``uscc`` on a timeline: by date (undated last), then kind and id."""
        self._require(uscc)
        kinds = {spec.label: kind for kind, spec in schema.EVENT_NODES.items()}
        found = []
        for label, props in self._events(uscc):
            rest = {k: v for k, v in props.items()
                    if k not in ("event_id", "uscc", "date") and v is not None}
            found.append(EventRecord(kinds.get(label, label), str(props["event_id"]),
                                     props.get("date"), rest))
        found.sort(key=lambda r: (r.date is None, r.date or dt.date.min, r.kind, r.event_id))
        return tuple(found)

    def _ownership(
        self, uscc: str, direction: Direction, max_depth: int, date: dt.date,
    ) -> list[ShareEdge]:
        root = self._require(uscc)
        edges: list[ShareEdge] = []
        expanded = {root}
        frontier = [root]
        for _ in range(max_depth):
            rows = self._holdings(frontier, direction, date)
            following: dict[Handle, None] = {}
            for holder_handle, holder, owned_handle, owned, ratio, key in rows:
                edges.append(ShareEdge(holder, owned, ratio, key))
                nxt = holder_handle if direction == "up" else owned_handle
                is_enterprise = holder[0] == "Enterprise" or direction == "down"
                if is_enterprise and nxt not in expanded:
                    expanded.add(nxt)
                    following[nxt] = None
            frontier = list(following)
            if not frontier:
                break
        return edges

    def penetration(
        self, uscc: str, *, direction: Direction = "up", max_depth: int = MAX_PENETRATION_DEPTH,
        as_of: dt.date | None = None,
    ) -> Penetration:
        """Direct and indirect holders of ``uscc`` (up) or its holdings (down), with the
        cumulative share summed over simple paths of at most ``max_depth`` holdings."""
        if direction not in ("up", "down"):
            raise QueryError(f"direction must be up or down, got {direction!r}")
        if not 1 <= max_depth <= MAX_PENETRATION_DEPTH:
            raise QueryError(f"max_depth must be 1..{MAX_PENETRATION_DEPTH}, got {max_depth}")
        date = resolve_as_of(as_of)
        edges = self._ownership(uscc, direction, max_depth, date)
        totals, truncated = sum_paths(edges, uscc, direction, max_depth)
        parties = self._parties(set(totals))
        stakes = sorted(
            (Stake(parties.get(node, Party(*node)), *values) for node, values in totals.items()),
            key=lambda stake: (-stake.share, _node_order(stake.party.id)),
        )
        ordered = sorted(edges, key=lambda e: (_node_order(e.holder), e.owned, e.key))
        return Penetration(uscc, direction, date, max_depth, tuple(stakes), tuple(ordered),
                           truncated)

    def controllers(
        self, uscc: str, *, threshold: float = 0.25, as_of: dt.date | None = None,
    ) -> Controllers:
        """Ultimate beneficial owners: persons or state bodies with a cumulative share of
        at least ``threshold`` or control through a chain of majority holdings."""
        if not 0 < threshold <= 1:
            raise QueryError(f"threshold must be in (0, 1], got {threshold}")
        date = resolve_as_of(as_of)
        edges = self._ownership(uscc, "up", MAX_PENETRATION_DEPTH, date)
        totals, truncated = sum_paths(edges, uscc, "up", MAX_PENETRATION_DEPTH)
        parties = self._parties(set(totals))
        owned_by = {edge.owned for edge in edges}
        majority = majority_controllers(edges, uscc)
        candidates: list[tuple[Controller, Stake]] = []
        dead_ends: list[Stake] = []
        for node, values in totals.items():
            party = parties.get(node, Party(*node))
            stake = Stake(party, *values)
            if node[0] == "Person":
                kind: Literal["person", "state"] = "person"
            elif party.entity_type in STATE_ENTITY_TYPES and node[1] not in owned_by:
                kind = "state"
            else:
                if node[1] not in owned_by:
                    dead_ends.append(stake)
                continue
            candidates.append((Controller(party, values[0], node in majority, kind), stake))
        candidates.sort(key=lambda item: (-item[0].share, _node_order(item[0].party.id)))
        owners = tuple(
            owner for owner, _ in candidates
            if owner.share >= threshold - 1e-12 or owner.majority_chain
        )
        largest = candidates[0][1] if candidates else None
        actual = next((o.party for o in owners if o.majority_chain), None) or next(
            (o.party for o in owners if o.share > 0.5), None)
        reason = reason_zh = None
        if not owners:
            reason, reason_zh = _no_owner_reason(edges, largest, dead_ends, threshold, date)
        return Controllers(uscc, date, threshold, owners, actual, largest, reason, reason_zh,
                           truncated)

    def suspected(
        self, uscc: str, *, as_of: dt.date | None = None, limit: int = 50,
    ) -> SuspectedRelations:
        """Enterprises sharing an address, phone, email, legal representative, officer or
        shareholder with ``uscc``, most shared links first."""
        date = resolve_as_of(as_of)
        rows = self._shared(self._require(uscc), date)
        nodes = {via for _, via, _, _ in rows} | {("Enterprise", other) for other, *_ in rows}
        relations, total = group_suspected(rows, self._parties(nodes), limit)
        return SuspectedRelations(uscc, date, relations, total)

    def paths(
        self, source: str, target: str, *, max_hops: int = MAX_PATH_HOPS,
        kinds: Collection[str] | None = None, as_of: dt.date | None = None,
        max_paths: int = 20,
    ) -> PathResult:
        """All shortest paths (up to ``max_hops``) between two enterprises over the
        related-party graph, in either direction of each relationship."""
        if not 1 <= max_hops <= MAX_PATH_HOPS:
            raise QueryError(f"max_hops must be 1..{MAX_PATH_HOPS}, got {max_hops}")
        types = _types(kinds)
        date = resolve_as_of(as_of)
        start, end = self._require(source), self._require(target)
        if start == end:
            party = self._parties({("Enterprise", source)})
            only = Path((party.get(("Enterprise", source), Party("Enterprise", source)),), ())
            return PathResult(source, target, date, 0, (only,), 1, False)
        sequences, cut = self._shortest(start, end, types, date, max_hops)
        if not sequences:
            return PathResult(source, target, date, None, (), 0, cut)
        unique = sorted(set(sequences), key=lambda seq: [_node_order(node) for node in seq])
        kept = unique[:max_paths]
        pairs = {(seq[i], seq[i + 1]) for seq in kept for i in range(len(seq) - 1)}
        between: dict[frozenset[NodeId], list[Edge]] = defaultdict(list)
        for edge in sorted(self._edges_between(pairs, types, date), key=Edge.sort_key):
            between[frozenset((edge.start, edge.end))].append(edge)
        parties = self._parties({node for seq in kept for node in seq})
        paths = tuple(
            Path(tuple(parties.get(node, Party(*node)) for node in seq),
                 tuple(tuple(between[frozenset((seq[i], seq[i + 1]))])
                       for i in range(len(seq) - 1)))
            for seq in kept
        )
        return PathResult(source, target, date, len(kept[0]) - 1, paths, len(unique),
                          cut or len(unique) > max_paths)

    def paths_among(
        self, usccs: Sequence[str], *, max_hops: int = MAX_PATH_HOPS,
        kinds: Collection[str] | None = None, as_of: dt.date | None = None,
        max_paths: int = 5,
    ) -> tuple[PathResult, ...]:
        """Shortest paths between every pair of up to 50 enterprises (connected pairs)."""
        unique = sorted(dict.fromkeys(usccs))
        if len(unique) > MAX_PATH_ENTERPRISES:
            raise QueryError(f"at most {MAX_PATH_ENTERPRISES} enterprises, got {len(unique)}")
        results = [
            self.paths(a, b, max_hops=max_hops, kinds=kinds, as_of=as_of, max_paths=max_paths)
            for index, a in enumerate(unique) for b in unique[index + 1 :]
        ]
        return tuple(result for result in results if result.length is not None)

    def cluster(
        self, uscc: str, *, as_of: dt.date | None = None,
        risk_classes: Mapping[str, str] | None = None,
    ) -> Cluster:
        """The control group of ``uscc``: its weakly connected component of HOLDS_SHARES and
        BRANCH_OF, with the cross-shareholding rings inside it."""
        date = resolve_as_of(as_of)
        edges, cut = self._control_edges(date, self._require(uscc))
        clusters = _clusters(edges, risk_classes, extra=[uscc])
        group = next((g for g in clusters.groups if uscc in g.enterprises), None)
        if group is None:
            people = len({start for start, end, _ in edges if start[0] == "Person"})
            group = Cluster((uscc,), people, (), _class_counts([uscc], risk_classes))
        return Cluster(group.enterprises, group.people, group.cycles, group.class_counts, cut)

    def clusters(
        self, *, as_of: dt.date | None = None, top: int = 20,
        risk_classes: Mapping[str, str] | None = None,
    ) -> Clusters:
        """The largest control groups (by high-risk members first when classes are given)
        and every cross-shareholding ring, over the whole graph."""
        date = resolve_as_of(as_of)
        edges, _ = self._control_edges(date, None)
        result = _clusters(edges, risk_classes)
        return Clusters(date, result.groups[:top], result.total, result.cycles)


def _clusters(
    edges: list[tuple[NodeId, str, str]], risk_classes: Mapping[str, str] | None,
    extra: Sequence[str] = (),
) -> Clusters:
    enterprise = [(s[1], e) for s, e, _ in edges if s[0] == "Enterprise"]
    holding = [(s[1], e) for s, e, t in edges if s[0] == "Enterprise" and t == HOLDS_SHARES]
    person = [(s[1], e) for s, e, _ in edges if s[0] == "Person"]

    def columns(pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        array = np.array(pairs, dtype=object).reshape(-1, 2)
        return array[:, 0], array[:, 1]

    groups, people, rings = control_components(
        columns(enterprise), columns(person), columns(holding),
        np.array(list(extra), dtype=object))
    ring_of: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for ring in rings:
        ring_of[ring[0]].append(ring)
    clusters = []
    for members, count in zip(groups, people, strict=True):
        keys = tuple(str(key) for key in members)
        cycles = tuple(ring for key in keys for ring in ring_of.get(key, ()))
        clusters.append(Cluster(keys, count, tuple(sorted(cycles, key=lambda r: (-len(r), r))),
                                _class_counts(keys, risk_classes)))
    if risk_classes is None:
        clusters.sort(key=lambda c: (-c.size, c.enterprises[0]))
    else:
        clusters.sort(key=lambda c: (-c.high_risk, -c.size, c.enterprises[0]))
    return Clusters(dt.date.min, tuple(clusters), len(clusters), tuple(rings))


def _class_counts(
    usccs: Sequence[str], risk_classes: Mapping[str, str] | None,
) -> dict[str, int] | None:
    if risk_classes is None:
        return None
    counts: dict[str, int] = {}
    for key in usccs:
        name = risk_classes.get(key)
        if name is not None:
            counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def _types(kinds: Collection[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return RELATED_TYPES
    unknown = set(kinds) - set(RELATED_TYPES)
    if unknown:
        raise QueryError(f"unknown relationship kinds {sorted(unknown)}; "
                         f"choose from {', '.join(RELATED_TYPES)}")
    return tuple(kind for kind in RELATED_TYPES if kind in kinds)


def _class_ok(
    node: NodeId, classes: Collection[str] | None, risk_classes: Mapping[str, str] | None,
) -> bool:
    if classes is None or node[0] != "Enterprise":
        return True
    return risk_classes is not None and risk_classes.get(node[1]) in classes


def _no_owner_reason(
    edges: Sequence[ShareEdge], largest: Stake | None, dead_ends: Sequence[Stake],
    threshold: float, date: dt.date,
) -> tuple[str, str]:
    if not edges:
        return (f"no shareholders recorded as of {date}",
                f"截至 {date} 无股东登记")
    if largest is None:
        top = max(dead_ends, key=lambda s: (s.share, s.party.key), default=None)
        who = "" if top is None else f": {_who(top.party)} ({top.share:.1%})"
        return (f"ownership ends at enterprises with no recorded owners{who}",
                f"股权链止于无股东登记的企业{who}")
    who = _who(largest.party)
    return (
        f"dispersed ownership: largest cumulative share {largest.share:.1%} held by {who}, "
        f"below {threshold:.0%} and no majority chain",
        f"股权分散：最大累计持股 {largest.share:.1%}（{who}），低于 {threshold:.0%} 且无多数控股链",
    )


def _who(party: Party) -> str:
    name = party.name or party.key
    if party.label == "Person" and party.id_masked:
        return f"{name} {party.id_masked}"
    return f"{name} {party.key}" if party.label == "Enterprise" else name


def open_queries(store: GraphStore) -> QueryEngine:
    """The query engine for ``store`` (one per embedded store, its adjacency cached)."""
    from graph.memory import MemoryStore
    from graph.neo4j_store import Neo4jStore

    if isinstance(store, MemoryStore):
        from graph.memory_queries import MemoryQueries

        return MemoryQueries.of(store)
    if isinstance(store, Neo4jStore):
        from graph.neo4j_queries import Neo4jQueries

        return Neo4jQueries(store)
    raise TypeError(f"no query engine for {type(store).__name__}")
