"""Export a graph store, as of a date, to a :class:`TypedGraph` and to a PyG ``HeteroData``.

Everything is read in bulk, one table per relationship spec (``GraphStore.
relationship_table``, which either store answers without a query per node), then cut to
what held on ``as_of``: shareholdings, legal representatives and officers valid on that
day, enterprises established by then (from :class:`features.tables.GraphTables`, which
also cuts the events). Node features are the enterprises' indicator sub-scores as of the
same day, over 100.

Node types: ``enterprise``, ``person``. Relations (each also reversed, ``rev_*``):

=====================================  ========================================
(person, holds_shares, enterprise)     attribute: shareholding ratio
(enterprise, holds_shares, enterprise) attribute: shareholding ratio
(person, legal_rep_of, enterprise)     1
(person, officer_of, enterprise)       1
(enterprise, branch_of, enterprise)    1
(enterprise, shares_contact, enterprise)  shared addresses, phones and e-mails
=====================================  ========================================

Shared contacts link enterprises pairwise within a contact used by at most
``max_contact_group`` enterprises (a business-centre address with hundreds of tenants
says nothing about any pair of them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from features.score import IndicatorSystem
from features.tables import GraphTables, read_tables
from gnn.graph import FloatArray, IntArray, TypedGraph, build_graph
from graph import schema
from graph.store import GraphStore

if TYPE_CHECKING:
    from torch_geometric.data import HeteroData

ENTERPRISE, PERSON = "enterprise", "person"
PERSON_RELATIONS = {
    "holds_shares": schema.PERSON_HOLDS_SHARES,
    "legal_rep_of": schema.LEGAL_REP_OF,
    "officer_of": schema.OFFICER_OF,
}
MAX_CONTACT_GROUP = 20
# Investigator labels of the relation between a neighbour and the enterprise (zh, en).
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "holds_shares": ("股东", "shareholder"),
    "legal_rep_of": ("法定代表人", "legal representative"),
    "officer_of": ("高管", "officer"),
    "enterprise_holds_shares": ("股东企业", "shareholding enterprise"),
    "rev_enterprise_holds_shares": ("被投资企业", "subsidiary"),
    "branch_of": ("分支机构", "branch"),
    "rev_branch_of": ("总公司", "head office"),
    "shares_contact": ("共用联系方式企业", "enterprise sharing contacts"),
}


@dataclass(frozen=True)
class GraphExport:
    """The typed graph of a store as of a date, with the names investigators read."""

    as_of: dt.date
    graph: TypedGraph
    usccs: pd.Index  # enterprise order (= the first nodes of the graph)
    names: pd.Series  # node index -> display name (enterprise name, person name)

    @property
    def enterprise_nodes(self) -> IntArray:
        return self.graph.of_type(ENTERPRISE)

    def edge_counts(self) -> dict[str, int]:
        """Edges per relation (without reverses)."""
        counts = np.bincount(self.graph.edge_type, minlength=len(self.graph.relations))
        return {r: int(c) for r, c in zip(self.graph.relations, counts, strict=True)
                if not r.startswith("rev_")}


def _valid_on(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    if frame.empty:
        return frame
    since = pd.to_datetime(frame["since"])
    until = pd.to_datetime(frame["until"])
    keep = (since.isna() | (since <= as_of)) & (until.isna() | (until > as_of))
    return frame.loc[keep.to_numpy()]


def node_features(system: IndicatorSystem, tables: GraphTables) -> pd.DataFrame:
    """Indicator sub-scores / 100 (missing: 0), one row per enterprise, as of the tables."""
    sub = system.sub_scores(system.raw_values(tables))
    return (sub.astype(float) / 100.0).fillna(0.0)


GRAPH_FEATURE_PREFIX = "graph_"
MAX_PERSON_GROUP = 50


def _co_membership(pairs: pd.DataFrame, key: str, position: pd.Series, max_group: int
                   ) -> sp.csr_matrix:
    """Enterprise x enterprise, 1 where two enterprises share a ``key`` (a person, a
    contact) used by at most ``max_group`` enterprises; no diagonal."""
    pairs = pairs.loc[pairs["uscc"].isin(position.index), ["uscc", key]].drop_duplicates()
    size = pairs.groupby(key)["uscc"].transform("size")
    pairs = pairs.loc[(size >= 2) & (size <= max_group)]
    codes, _ = pd.factorize(pairs[key])
    n = len(position)
    incidence = sp.csr_matrix(
        (np.ones(len(pairs), dtype=np.float32),
         (position.loc[pairs["uscc"]].to_numpy(), codes)),
        shape=(n, int(codes.max()) + 1 if len(codes) else 0))
    shared = (incidence @ incidence.T).tocsr()
    shared.setdiag(0)
    shared.eliminate_zeros()
    return (shared > 0).astype(np.float32).tocsr()


def group_features(tables: GraphTables, score: pd.Series, past: pd.Series) -> pd.DataFrame:
    r"""What an enterprise's groups look like as of ``tables.as_of``: for the enterprises
    sharing a person with it (shareholder, legal representative, officer: the two-hop
    relation :math:`e \leftarrow p \rightarrow e'` that a 2-layer network only reaches
    through the person), linked to it by a holding or a branch (control), or sharing an
    address, phone or e-mail: how many (log), their mean and largest ``score`` (the base
    score / 100) and the share with ``past`` problems (found in the 12 months up to
    ``as_of``). Columns start with :data:`GRAPH_FEATURE_PREFIX`; index: USCC order."""
    usccs = tables.usccs
    position = pd.Series(np.arange(len(usccs), dtype=np.int64), index=usccs)
    contacts = _contact_table(tables)
    links = tables.enterprise_links
    links = links.loc[links["uscc"].isin(usccs) & links["other"].isin(usccs)]
    control = sp.csr_matrix(
        (np.ones(len(links), dtype=np.float32),
         (position.loc[links["uscc"]].to_numpy(), position.loc[links["other"]].to_numpy())),
        shape=(len(usccs), len(usccs)))
    groups = {
        "people": _co_membership(tables.person_links, "person_id", position,
                                 MAX_PERSON_GROUP),
        "control": ((control + control.T) > 0).astype(np.float32).tocsr(),
        "contact": _co_membership(contacts, "contact", position, MAX_CONTACT_GROUP),
    }
    values = score.reindex(usccs).fillna(0.0).to_numpy(np.float32)
    problems = past.reindex(usccs).fillna(0.0).to_numpy(np.float32)
    columns: dict[str, FloatArray] = {}
    for name, matrix in groups.items():
        degree = np.asarray(matrix.sum(axis=1)).ravel()
        inverse = np.where(degree > 0, 1.0 / np.maximum(degree, 1.0), 0.0)
        largest = matrix.multiply(values[None, :]).tocsr().max(axis=1).toarray().ravel()
        prefix = f"{GRAPH_FEATURE_PREFIX}{name}"
        columns[f"{prefix}_log_size"] = np.log1p(degree).astype(np.float32)
        columns[f"{prefix}_mean_score"] = (matrix @ values * inverse).astype(np.float32)
        columns[f"{prefix}_max_score"] = largest.astype(np.float32)
        columns[f"{prefix}_past_problem_share"] = (matrix @ problems * inverse).astype(
            np.float32)
    return pd.DataFrame(columns, index=usccs)


def _ratio(frame: pd.DataFrame) -> FloatArray:
    if "ratio" not in frame:
        return np.ones(len(frame), dtype=np.float32)
    values = pd.to_numeric(frame["ratio"], errors="coerce").to_numpy(dtype=float)
    result: FloatArray = np.nan_to_num(values, nan=1.0).astype(np.float32)
    return result


def _contact_table(tables: GraphTables) -> pd.DataFrame:
    """uscc, contact (``a:``, ``p:``, ``e:`` + value) of every contact link valid on the
    tables' date."""
    frames = [frame.set_axis(["uscc", "contact"], axis=1).assign(kind=kind)
              for kind, frame in (("a", tables.addresses), ("p", tables.phones),
                                  ("e", tables.emails))]
    contacts = pd.concat(frames, ignore_index=True)
    contacts = contacts.assign(contact=contacts["kind"] + ":" + contacts["contact"].astype(str))
    return contacts[["uscc", "contact"]].drop_duplicates()


def _contact_pairs(tables: GraphTables, position: pd.Series, max_group: int
                   ) -> tuple[IntArray, IntArray, FloatArray]:
    contacts = _contact_table(tables)
    contacts = contacts.loc[contacts["uscc"].isin(position.index)]
    size = contacts.groupby("contact")["uscc"].transform("size")
    contacts = contacts.loc[(size >= 2) & (size <= max_group), ["uscc", "contact"]]
    pairs = contacts.merge(contacts, on="contact", suffixes=("", "_other"))
    pairs = pairs.loc[pairs["uscc"] < pairs["uscc_other"]]
    counted = pairs.groupby(["uscc", "uscc_other"], sort=True).size().reset_index(name="n")
    return (position.loc[counted["uscc"]].to_numpy(np.int64),
            position.loc[counted["uscc_other"]].to_numpy(np.int64),
            counted["n"].to_numpy(np.float32))


def export_tables(store: GraphStore, tables: GraphTables, features: pd.DataFrame,
                  max_contact_group: int = MAX_CONTACT_GROUP) -> GraphExport:
    """The graph of ``store`` as of ``tables.as_of``; ``features`` indexed like
    ``tables.enterprises`` (USCC order)."""
    as_of = pd.Timestamp(tables.as_of)
    usccs = tables.usccs
    position = pd.Series(np.arange(len(usccs), dtype=np.int64), index=usccs)
    person_frames = {
        relation: _valid_on(store.relationship_table(spec), as_of)
        for relation, spec in PERSON_RELATIONS.items()
    }
    person_frames = {r: f.loc[f["end"].isin(position.index)] for r, f in person_frames.items()}
    people = pd.Index(sorted(set().union(*(f["start"] for f in person_frames.values()))),
                      dtype=object)
    person_position = pd.Series(np.arange(len(people), dtype=np.int64), index=people)
    edges: dict[tuple[str, str, str], tuple[IntArray, IntArray, FloatArray]] = {}
    for relation, frame in person_frames.items():
        attr = _ratio(frame) if relation == "holds_shares" else np.ones(len(frame), np.float32)
        edges[(PERSON, relation, ENTERPRISE)] = (
            person_position.loc[frame["start"]].to_numpy(np.int64),
            position.loc[frame["end"]].to_numpy(np.int64), attr)
    holdings = _valid_on(store.relationship_table(schema.ENTERPRISE_HOLDS_SHARES), as_of)
    branches = store.relationship_table(schema.BRANCH_OF)
    for relation, frame, attr_of in (("enterprise_holds_shares", holdings, _ratio),
                                     ("branch_of", branches, None)):
        frame = frame.loc[frame["start"].isin(position.index) & frame["end"].isin(position.index)]
        attr = attr_of(frame) if attr_of else np.ones(len(frame), np.float32)
        edges[(ENTERPRISE, relation, ENTERPRISE)] = (
            position.loc[frame["start"]].to_numpy(np.int64),
            position.loc[frame["end"]].to_numpy(np.int64), attr)
    edges[(ENTERPRISE, "shares_contact", ENTERPRISE)] = _contact_pairs(
        tables, position, max_contact_group)
    features = features.reindex(usccs).fillna(0.0)
    graph = build_graph(
        {ENTERPRISE: usccs.to_numpy(dtype=object), PERSON: people.to_numpy(dtype=object)},
        {ENTERPRISE: features.to_numpy(np.float32)}, edges,
        feature_names=tuple(features.columns))
    person_table = store.node_table("Person")
    person_names = person_table.set_index("person_id")["name"].reindex(people)
    names = pd.Series(np.concatenate([
        tables.enterprises["name"].reindex(usccs).fillna("").to_numpy(dtype=object),
        person_names.fillna("").to_numpy(dtype=object)]))
    return GraphExport(tables.as_of, graph, usccs, names)


def export_store(store: GraphStore, as_of: dt.date, system: IndicatorSystem | None = None,
                 tables: GraphTables | None = None) -> GraphExport:
    """Read ``store`` as of ``as_of`` and export its graph with indicator features."""
    system = system or IndicatorSystem()
    tables = tables if tables is not None else read_tables(store, as_of)
    return export_tables(store, tables, node_features(system, tables))


def to_hetero_data(export: GraphExport) -> HeteroData:
    """The export as a PyG ``HeteroData`` (forward relations; ``edge_attr`` (E, 1))."""
    import torch
    from torch_geometric.data import HeteroData

    graph = export.graph
    data = HeteroData()
    starts: dict[str, int] = {}
    for name in graph.node_types:
        nodes = graph.of_type(name)
        starts[name] = int(nodes[0]) if len(nodes) else 0
        data[name].x = torch.from_numpy(graph.x[nodes])
        data[name].num_nodes = len(nodes)
    for r, relation in enumerate(graph.relations):
        if relation.startswith("rev_"):
            continue
        chosen = graph.edge_type == r
        src, dst = graph.edge_index[:, chosen]
        src_type = PERSON if relation in PERSON_RELATIONS else ENTERPRISE
        key: Any = (src_type, relation, ENTERPRISE)
        data[key].edge_index = torch.from_numpy(
            np.vstack([src - starts[src_type], dst - starts[ENTERPRISE]]))
        data[key].edge_attr = torch.from_numpy(graph.edge_attr[chosen][:, None].copy())
    return data
