"""Writing a validated delivery into a graph store.

The delivery's records become node and relationship rows (persons keyed by a keyed hash
of their identity number, contacts as shared nodes), written label by label in the order
that makes every relationship's ends exist first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graph import schema
from graph.schema import RelSpec
from graph.store import GraphStore, Row, relationship_key
from ingestion.identifiers import hash_person_id, mask_id_number
from ingestion.normalise import normalise_email, normalise_phone, normalise_text
from ingestion.validate import Delivery


@dataclass
class GraphBatch:
    """Rows to write: nodes per label, relationships per spec (in writing order)."""

    nodes: dict[str, list[Row]] = field(default_factory=dict)
    relationships: dict[RelSpec, list[Row]] = field(default_factory=dict)
    # Registered contacts are replaced, not added to, when an enterprise row comes again.
    replaced: dict[RelSpec, list[str]] = field(default_factory=dict)

    def size(self) -> int:
        return sum(map(len, self.nodes.values())) + sum(map(len, self.relationships.values()))


def _rel(start: str, end: str, key: str = "", **props: Any) -> Row:
    return {"start": start, "end": end, "key": key, "props": props}


REGISTERED = "registered"  # key of the link from an enterprise row's own address/phone/email
LISTED = "contact"  # key of a link from a contacts record


def _contact_rows(
    values: Iterable[tuple[str, str | None, str]], normalise: Callable[[str], str], key: str
) -> tuple[list[Row], list[Row]]:
    nodes: dict[str, Row] = {}
    links: dict[tuple[str, str, str], Row] = {}
    for uscc, raw, link_key in values:
        if not raw or not (value := normalise(raw)):
            continue
        nodes.setdefault(value, {key: value})
        links.setdefault((uscc, value, link_key), _rel(uscc, value, link_key))
    return list(nodes.values()), list(links.values())


def delivery_to_batch(delivery: Delivery, person_key: bytes) -> GraphBatch:
    """Turn validated records into graph rows; raw identity numbers stop here."""
    batch = GraphBatch()

    def person_id(id_number: str) -> str:
        return hash_person_id(id_number, person_key)

    batch.nodes["Enterprise"] = [e.model_dump() for e in delivery.enterprises]
    batch.nodes["Person"] = [
        {"person_id": person_id(p.id_number), "name": p.name,
         "id_masked": mask_id_number(p.id_number)}
        for p in delivery.people
    ]
    extra_contacts: dict[str, list[tuple[str, str | None, str]]] = {
        "address": [], "phone": [], "email": []}
    for contact in delivery.contacts:
        extra_contacts[contact.kind].append((contact.uscc, contact.value, LISTED))
    for spec, link_spec, attribute, normalise in (
        (schema.ADDRESS, schema.REGISTERED_AT, "address", normalise_text),
        (schema.PHONE, schema.HAS_PHONE, "phone", normalise_phone),
        (schema.EMAIL, schema.HAS_EMAIL, "email", normalise_email),
    ):
        registered = ((e.uscc, getattr(e, attribute), REGISTERED) for e in delivery.enterprises)
        nodes, links = _contact_rows(
            [*registered, *extra_contacts[attribute]], normalise, spec.key)
        batch.nodes[spec.label] = nodes
        batch.relationships[link_spec] = links
        batch.replaced[link_spec] = [e.uscc for e in delivery.enterprises]
    for kind, events in delivery.events.items():
        batch.nodes[schema.EVENT_NODES[kind].label] = [event.model_dump() for event in events]
        batch.relationships[schema.HAS_EVENT[kind]] = [
            _rel(event.uscc, event.event_id) for event in events
        ]

    person_shares, enterprise_shares = [], []
    for holding in delivery.shareholdings:
        props = holding.model_dump(include=set(schema.PERSON_HOLDS_SHARES.properties))
        if holding.holder_kind == "person":
            person_shares.append(_rel(person_id(holding.holder_id), holding.enterprise_uscc,
                                      relationship_key(holding.since), **props))
        else:
            enterprise_shares.append(_rel(holding.holder_id, holding.enterprise_uscc,
                                          relationship_key(holding.since), **props))
    batch.relationships[schema.PERSON_HOLDS_SHARES] = person_shares
    batch.relationships[schema.ENTERPRISE_HOLDS_SHARES] = enterprise_shares
    batch.relationships[schema.LEGAL_REP_OF] = [
        _rel(person_id(rep.id_number), rep.enterprise_uscc, relationship_key(rep.since),
             since=rep.since, until=rep.until)
        for rep in delivery.legal_reps
    ]
    batch.relationships[schema.OFFICER_OF] = [
        _rel(person_id(officer.id_number), officer.enterprise_uscc,
             relationship_key(officer.role, officer.since),
             role=officer.role, since=officer.since, until=officer.until)
        for officer in delivery.officers
    ]
    batch.relationships[schema.BRANCH_OF] = [
        _rel(branch.branch_uscc, branch.parent_uscc) for branch in delivery.branches
    ]
    return batch


def write_batch(
    store: GraphStore, batch: GraphBatch, advance: Callable[[int], None] | None = None
) -> None:
    """Write nodes first, then relationships; ``advance(n)`` reports rows written.

    Registered contact links of re-delivered enterprises are replaced: the old links go
    first, and contact nodes left without any link go last.
    """
    store.ensure_schema()
    detached: dict[str, set[str]] = {}
    for spec, starts in batch.replaced.items():
        detached.setdefault(spec.end, set()).update(
            store.delete_relationships(spec, starts, REGISTERED))
    for label, rows in batch.nodes.items():
        store.upsert_nodes(label, rows)
        if advance:
            advance(len(rows))
    for spec, rows in batch.relationships.items():
        store.upsert_relationships(spec, rows)
        if advance:
            advance(len(rows))
    for label, keys in detached.items():
        store.delete_orphans(label, keys)
