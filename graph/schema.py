"""The graph schema, derived from the canonical records of :mod:`ingestion.models`.

Node labels, natural keys and relationship types are read off the record classes, so a
field added to a record reaches both stores without being listed again here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.models import (
    EVENT_MODELS,
    Contact,
    Enterprise,
    LegalRepresentative,
    Officer,
    Shareholding,
)

EVENT_LABEL = "Event"


@dataclass(frozen=True)
class NodeSpec:
    """A node label with its natural key and its properties (key first)."""

    label: str
    key: str
    properties: tuple[str, ...]
    extra_labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelSpec:
    """A relationship type between two labels.

    Relationships are identified by (start, end, type, ``key``); ``key`` is built from the
    identity fields (e.g. ``since``) so that a repeated delivery merges instead of adding.
    """

    type: str
    start: str
    end: str
    properties: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.start}-{self.type}->{self.end}"


def _fields(model: type[Enterprise] | type[Shareholding], *drop: str) -> tuple[str, ...]:
    return tuple(name for name in model.model_fields if name not in drop)


ENTERPRISE = NodeSpec("Enterprise", "uscc", _fields(Enterprise))
PERSON = NodeSpec("Person", "person_id", ("person_id", "name", "id_masked"))
ADDRESS = NodeSpec("Address", "address", ("address",))
PHONE = NodeSpec("Phone", "phone", ("phone",))
EMAIL = NodeSpec("Email", "email", ("email",))
EVENT_NODES: dict[str, NodeSpec] = {
    kind: NodeSpec(model.label, "event_id", tuple(model.model_fields), (EVENT_LABEL,))
    for kind, model in EVENT_MODELS.items()
}
NODES: dict[str, NodeSpec] = {
    spec.label: spec
    for spec in (ENTERPRISE, PERSON, ADDRESS, PHONE, EMAIL, *EVENT_NODES.values())
}

_share_props = _fields(Shareholding, "holder_kind", "holder_id", "enterprise_uscc")
PERSON_HOLDS_SHARES = RelSpec("HOLDS_SHARES", "Person", "Enterprise", _share_props)
ENTERPRISE_HOLDS_SHARES = RelSpec("HOLDS_SHARES", "Enterprise", "Enterprise", _share_props)
LEGAL_REP_OF = RelSpec(
    "LEGAL_REP_OF", "Person", "Enterprise",
    tuple(name for name in LegalRepresentative.model_fields if name in ("since", "until")),
)
OFFICER_OF = RelSpec(
    "OFFICER_OF", "Person", "Enterprise",
    tuple(name for name in Officer.model_fields if name in ("role", "since", "until")),
)
BRANCH_OF = RelSpec("BRANCH_OF", "Enterprise", "Enterprise")
# Contact links are valid from the day the contact was declared (registered ones: from the
# registration's approval, see Enterprise.approved) until it was replaced.
_contact_props = tuple(name for name in Contact.model_fields if name in ("since", "until"))
REGISTERED_AT = RelSpec("REGISTERED_AT", "Enterprise", "Address", _contact_props)
HAS_PHONE = RelSpec("HAS_PHONE", "Enterprise", "Phone", _contact_props)
HAS_EMAIL = RelSpec("HAS_EMAIL", "Enterprise", "Email", _contact_props)
CONTACT_LINKS = (REGISTERED_AT, HAS_PHONE, HAS_EMAIL)
HAS_EVENT: dict[str, RelSpec] = {
    kind: RelSpec("HAS_EVENT", "Enterprise", spec.label) for kind, spec in EVENT_NODES.items()
}
RELATIONSHIPS: tuple[RelSpec, ...] = (
    PERSON_HOLDS_SHARES, ENTERPRISE_HOLDS_SHARES, LEGAL_REP_OF, OFFICER_OF, BRANCH_OF,
    REGISTERED_AT, HAS_PHONE, HAS_EMAIL, *HAS_EVENT.values(),
)
RELATIONSHIP_TYPES: tuple[str, ...] = tuple(dict.fromkeys(spec.type for spec in RELATIONSHIPS))
