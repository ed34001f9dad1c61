"""Writing a validated delivery into a graph store.

The delivery's frames become node and relationship frames (persons keyed by a keyed hash
of their identity number, contacts as shared nodes), column by column: Arrow's string
kernels where they suffice (normalising contacts), Python per distinct value where a value
needs it (hashing identity numbers), never per row. They are written label by label in
the order that makes every relationship's ends exist first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from graph import schema
from graph.schema import NODES, RelSpec
from graph.store import GraphStore
from ingestion.columnar import masked_id_numbers
from ingestion.identifiers import PersonPseudonyms
from ingestion.models import RECORD_KINDS
from ingestion.normalise import normalise_emails, normalise_phones, normalise_texts
from ingestion.validate import Delivery

REGISTERED = "registered"  # key of the link from an enterprise row's own address/phone/email
LISTED = "contact"  # key of a link from a contacts record
RELATIONSHIP_ID = ["start", "end", "key"]


@dataclass
class GraphBatch:
    """Frames to write: nodes per label, relationships per spec (in writing order).

    A node frame has the label's schema properties as columns; a relationship frame has
    ``start``, ``end``, ``key`` (see :func:`graph.store.relationship_key`) and the spec's
    properties. Missing values are None.
    """

    nodes: dict[str, pd.DataFrame] = field(default_factory=dict)
    relationships: dict[RelSpec, pd.DataFrame] = field(default_factory=dict)
    # The registered contact each enterprise row declares (start, end or None, since): an
    # open registered link to another contact ends on ``since`` (see write_batch).
    declared: dict[RelSpec, pd.DataFrame] = field(default_factory=dict)

    def size(self) -> int:
        return sum(map(len, self.nodes.values())) + sum(map(len, self.relationships.values()))

    @classmethod
    def concat(cls, batches: Iterable[GraphBatch]) -> GraphBatch:
        """One batch of several, rows in order (later rows of an identity still win)."""
        parts = list(batches)
        joined = cls()
        for part in parts:
            for label, frame in part.nodes.items():
                joined.nodes.setdefault(label, frame.iloc[:0])
            for spec, frame in part.relationships.items():
                joined.relationships.setdefault(spec, frame.iloc[:0])
            for spec, frame in part.declared.items():
                joined.declared.setdefault(spec, frame.iloc[:0])
        for label in joined.nodes:
            joined.nodes[label] = pd.concat(
                [part.nodes[label] for part in parts if label in part.nodes], ignore_index=True)
        for spec in joined.relationships:
            joined.relationships[spec] = pd.concat(
                [part.relationships[spec] for part in parts if spec in part.relationships],
                ignore_index=True)
        for spec in joined.declared:
            joined.declared[spec] = pd.concat(
                [part.declared[spec] for part in parts if spec in part.declared],
                ignore_index=True)
        return joined


def mapped(values: pd.Series, function: Callable[[list[Any]], Sequence[Any]]) -> pd.Series:
    """``function`` of the distinct non-missing values (a list: one call, not one per
    value), spread back over the rows; None stays None."""
    codes, distinct = pd.factorize(values.to_numpy(dtype=object))
    results = np.empty(len(distinct) + 1, dtype=object)  # the last one for missing (-1)
    results[:-1] = function(distinct.tolist())
    return pd.Series(results[codes], index=values.index, dtype=object)


def relationships(start: pd.Series, end: pd.Series, key: pd.Series | str = "",
                  **props: pd.Series) -> pd.DataFrame:
    """A relationship frame from columns of equal length."""
    size = len(start)
    columns = {"start": start, "end": end,
               "key": key if isinstance(key, pd.Series) else np.full(size, key, dtype=object),
               **props}
    # dtype=object: pandas would otherwise turn string columns into Arrow strings, only to
    # be turned back by the stores.
    return pd.DataFrame({name: np.asarray(column, dtype=object) for name, column in
                         columns.items()}, dtype=object)


def relationship_keys(*parts: pd.Series) -> pd.Series:
    """:func:`graph.store.relationship_key` of each row's parts: ``str`` joined by ``|``."""
    texts = [mapped(part, lambda values: list(map(str, values))).fillna("") for part in parts]
    joined = texts[0]
    for text in texts[1:]:
        joined = joined + "|" + text
    return joined.astype(object)


def _normalised(raw: pd.Series, normalise: Callable[[pa.Array], pa.Array]) -> pd.Series:
    """Normalised contact values (None where missing or normalised away)."""
    texts = normalise(pa.array(raw.to_numpy(dtype=object), type=pa.string()))
    cells = np.asarray(texts.to_numpy(zero_copy_only=False), dtype=object)
    cells[cells == ""] = None
    return pd.Series(cells, index=raw.index, dtype=object)


def _contacts(
    pairs: list[tuple[pd.Series, pd.Series, pd.Series, pd.Series, str]],
    normalise: Callable[[pa.Array], pa.Array], key: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contact nodes (one per normalised value) and links from (uscc, raw value, since,
    until, link key)."""
    links = []
    for usccs, raw, since, until, link_key in pairs:
        value = _normalised(raw, normalise)
        present = value.notna().to_numpy()
        links.append(relationships(usccs[present], value[present], link_key,
                                   since=since[present], until=until[present]))
    joined = pd.concat(links, ignore_index=True).drop_duplicates(RELATIONSHIP_ID, keep="last")
    nodes = pd.DataFrame({key: pd.unique(joined["end"])}, dtype=object)
    return nodes, joined.reset_index(drop=True)


def delivery_to_batch(delivery: Delivery, pseudonyms: PersonPseudonyms) -> GraphBatch:
    """Turn validated frames into graph frames; raw identity numbers stop here."""
    batch = GraphBatch()
    frames = delivery.frames

    def frame(kind: str) -> pd.DataFrame:
        empty = pd.DataFrame(columns=list(RECORD_KINDS[kind].model_fields), dtype=object)
        return frames.get(kind, empty)

    def person_ids(numbers: pd.Series) -> pd.Series:
        return mapped(numbers, pseudonyms.many)

    enterprises, people = frame("enterprises"), frame("people")
    if "enterprises" in frames:
        batch.nodes["Enterprise"] = enterprises.reset_index(drop=True)
    if "people" in frames:
        batch.nodes["Person"] = pd.DataFrame({
            "person_id": person_ids(people["id_number"]).to_numpy(),
            "name": people["name"].to_numpy(),
            "id_masked": mapped(people["id_number"], masked_id_numbers).to_numpy(),
        }, dtype=object)
    contacts = frame("contacts")
    # A registered contact is declared when the registration was approved.
    declared_on = enterprises["approved"].where(enterprises["approved"].notna(),
                                                enterprises["established"])
    for node, link, attribute, normalise in (
        (schema.ADDRESS, schema.REGISTERED_AT, "address", normalise_texts),
        (schema.PHONE, schema.HAS_PHONE, "phone", normalise_phones),
        (schema.EMAIL, schema.HAS_EMAIL, "email", normalise_emails),
    ):
        if "enterprises" not in frames and "contacts" not in frames:
            continue
        listed = contacts.loc[contacts["kind"] == attribute]
        no_end = pd.Series(None, index=enterprises.index, dtype=object)
        batch.nodes[node.label], batch.relationships[link] = _contacts(
            [(enterprises["uscc"], enterprises[attribute], declared_on, no_end, REGISTERED),
             (listed["uscc"], listed["value"], listed["since"], listed["until"], LISTED)],
            normalise, node.key)
        batch.declared[link] = relationships(
            enterprises["uscc"], _normalised(enterprises[attribute], normalise),
            since=declared_on)
    for kind, event_frame in frames.items():
        if kind in schema.EVENT_NODES:
            batch.nodes[schema.EVENT_NODES[kind].label] = event_frame.reset_index(drop=True)
            batch.relationships[schema.HAS_EVENT[kind]] = relationships(
                event_frame["uscc"], event_frame["event_id"])
    if "shareholdings" in frames:
        holdings = frames["shareholdings"]
        props = {name: holdings[name] for name in schema.PERSON_HOLDS_SHARES.properties}
        key = relationship_keys(holdings["since"])
        person = (holdings["holder_kind"] == "person").to_numpy()
        holders = holdings["holder_id"]
        batch.relationships[schema.PERSON_HOLDS_SHARES] = relationships(
            person_ids(holders[person]), holdings["enterprise_uscc"][person], key[person],
            **{name: column[person] for name, column in props.items()})
        batch.relationships[schema.ENTERPRISE_HOLDS_SHARES] = relationships(
            holders[~person], holdings["enterprise_uscc"][~person], key[~person],
            **{name: column[~person] for name, column in props.items()})
    if "legal_reps" in frames:
        reps = frames["legal_reps"]
        batch.relationships[schema.LEGAL_REP_OF] = relationships(
            person_ids(reps["id_number"]), reps["enterprise_uscc"],
            relationship_keys(reps["since"]), since=reps["since"], until=reps["until"])
    if "officers" in frames:
        officers = frames["officers"]
        batch.relationships[schema.OFFICER_OF] = relationships(
            person_ids(officers["id_number"]), officers["enterprise_uscc"],
            relationship_keys(officers["role"], officers["since"]),
            role=officers["role"], since=officers["since"], until=officers["until"])
    if "branches" in frames:
        branches = frames["branches"]
        batch.relationships[schema.BRANCH_OF] = relationships(
            branches["branch_uscc"], branches["parent_uscc"])
    for label, nodes in batch.nodes.items():
        batch.nodes[label] = nodes[list(NODES[label].properties)]
    return batch


def write_batch(
    store: GraphStore, batch: GraphBatch,
    advance: Callable[[int], None] | None = None,
) -> None:
    """Write nodes first, then relationships; ``advance(n)`` reports rows written.

    A re-delivered enterprise row that declares another registered address, phone or
    e-mail ends the open registered link to the old one on the day the row was approved
    (the old link stays, with ``until``, so the graph can still be read as of earlier
    days); a link to the same contact is kept as it was, with its own ``since``.
    """
    store.ensure_schema()
    for label, nodes in batch.nodes.items():
        store.upsert_nodes(label, nodes)
        if advance:
            advance(len(nodes))
    for spec, rows in batch.relationships.items():
        declared = batch.declared.get(spec)
        if declared is not None and len(declared):
            held = store.supersede_relationships(spec, declared, REGISTERED)
            if held:
                rows = rows.loc[~((rows["key"] == REGISTERED) & rows["start"].isin(held))
                                .to_numpy()]
        store.upsert_relationships(spec, rows)
        if advance:
            advance(len(rows))
