"""The investigator queries' results (graph.queries dataclasses) in the API's shapes.

Node ids are ``enterprise:<uscc>``, ``person:<hashed id>``, ``address:<text>``,
``phone:<number>``, ``email:<address>``; persons appear by name and masked identity number
only. Relationship types become edge kinds: shareholding, legal_rep, officer, branch,
contact.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from api.http import models
from graph import queries

EDGE_KIND = {"HOLDS_SHARES": "shareholding", "LEGAL_REP_OF": "legal_rep",
             "OFFICER_OF": "officer", "BRANCH_OF": "branch", "REGISTERED_AT": "contact",
             "HAS_PHONE": "contact", "HAS_EMAIL": "contact"}
TYPES_OF_KIND: dict[str, tuple[str, ...]] = {}
for _type, _kind in EDGE_KIND.items():
    TYPES_OF_KIND[_kind] = (*TYPES_OF_KIND.get(_kind, ()), _type)
KIND_ZH = {"address": "同一地址", "phone": "同一电话", "email": "同一邮箱",
           "legal_rep": "同一法定代表人", "officer": "同一高管", "shareholder": "同一股东",
           "cross_role": "同一人（不同身份）"}


def node_id(node: queries.NodeId) -> str:
    return f"{node[0].lower()}:{node[1]}"


def party(p: queries.Party, classes: Mapping[str, str] | None = None) -> models.PartyOut:
    return models.PartyOut(**_party_fields(p.label, p.key, {
        "name": p.name, "id_masked": p.id_masked, "entity_type": p.entity_type,
        "status": p.status}, classes))


def _party_fields(label: str, key: str, props: Mapping[str, Any],
                  classes: Mapping[str, str] | None) -> dict[str, Any]:
    enterprise = label == "Enterprise"
    name = props.get("name")
    return {
        "id": node_id((label, key)), "kind": label.lower(),
        "label": str(name) if name and label in ("Enterprise", "Person") else key,
        "uscc": key if enterprise else None,
        "id_masked": props.get("id_masked") if label == "Person" else None,
        "entity_type": props.get("entity_type") if enterprise else None,
        "status": props.get("status") if enterprise else None,
        "risk_class": (classes or {}).get(key) if enterprise else None,
    }


def edge(e: queries.Edge) -> models.EdgeOut:
    props = e.properties
    return models.EdgeOut(source=node_id(e.start), target=node_id(e.end),
                          kind=EDGE_KIND.get(e.type, e.type.lower()),
                          share=props.get("ratio"), role=props.get("role"),
                          since=props.get("since"), until=props.get("until"))


def relationship_types(kinds: Iterable[str] | None) -> list[str] | None:
    """Edge kinds of the API (shareholding, legal_rep, ...) as relationship types."""
    if kinds is None:
        return None
    types: list[str] = []
    for kind in kinds:
        if kind not in TYPES_OF_KIND:
            raise queries.QueryError(f"unknown kind {kind!r}; choose from "
                                     f"{', '.join(TYPES_OF_KIND)}")
        types.extend(TYPES_OF_KIND[kind])
    return types


def network(result: queries.Network, classes: Mapping[str, str]) -> models.Network:
    nodes = [models.NetworkNode(depth=n.depth, **_party_fields(n.label, n.key, n.properties,
                                                                 classes))
             for n in result.nodes]
    return models.Network(uscc=result.uscc, as_of=result.as_of, hops=result.hops, nodes=nodes,
                          edges=[edge(e) for e in result.edges], truncated=result.truncated)


def _share_edge(e: queries.ShareEdge) -> models.EdgeOut:
    return models.EdgeOut(source=node_id(e.holder), target=node_id(("Enterprise", e.owned)),
                          kind="shareholding", share=e.ratio)


def penetration(result: queries.Penetration, controller: queries.Party | None,
                classes: Mapping[str, str]) -> models.Penetration:
    """Stakes as a tree: each node's parent is the next node towards the root on a
    shortest ownership chain (breadth first over the edges, in their fixed order)."""
    root: queries.NodeId = ("Enterprise", result.uscc)
    step: dict[queries.NodeId, list[queries.NodeId]] = {}
    for e in result.edges:
        owned: queries.NodeId = ("Enterprise", e.owned)
        near, far = (owned, e.holder) if result.direction == "up" else (e.holder, owned)
        step.setdefault(near, []).append(far)
    parent: dict[queries.NodeId, queries.NodeId] = {}
    queue = deque([root])
    while queue:
        here = queue.popleft()
        for there in step.get(here, ()):
            if there != root and there not in parent:
                parent[there] = here
                queue.append(there)
    nodes = [
        models.StakeNode(
            cumulative_share=round(s.share, 6), direct_share=round(s.direct_share, 6),
            depth=s.depth, paths=s.paths,
            parent=node_id(parent[s.party.id]) if s.party.id in parent else None,
            **party(s.party, classes).model_dump())
        for s in result.stakes]
    return models.Penetration(
        root=node_id(root), direction=result.direction, as_of=result.as_of, nodes=nodes,
        edges=[_share_edge(e) for e in result.edges],
        controller=party(controller) if controller else None, truncated=result.truncated)


def controllers(result: queries.Controllers) -> models.Controllers:
    return models.Controllers(
        uscc=result.uscc, as_of=result.as_of, threshold=result.threshold,
        owners=[models.Owner(party=party(o.party), share=round(o.share, 6),
                             majority_chain=o.majority_chain, kind=o.kind)
                for o in result.owners],
        actual_controller=party(result.actual_controller) if result.actual_controller else None,
        reason=result.reason, reason_zh=result.reason_zh, truncated=result.truncated)


def suspected(result: queries.SuspectedRelations, classes: Mapping[str, str]
              ) -> models.SuspectedOut:
    return models.SuspectedOut(uscc=result.uscc, as_of=result.as_of, total=result.total, items=[
        models.Suspected(enterprise=party(r.enterprise, classes), count=r.count, links=[
            models.SharedLinkOut(kind=link.kind, kind_zh=KIND_ZH.get(link.kind, link.kind),
                                 via=party(link.via)) for link in r.links])
        for r in result.relations])


def paths(result: queries.PathResult, classes: Mapping[str, str]) -> models.Paths:
    return models.Paths(
        source=result.source, target=result.target, as_of=result.as_of, length=result.length,
        total=result.total, truncated=result.truncated,
        paths=[models.PathOut(nodes=[party(n, classes) for n in p.nodes],
                              edges=[edge(e) for hop in p.hops for e in hop])
               for p in result.paths])


def profile(result: queries.Network) -> models.Profile:
    """Registration data and the 1-hop parties of an enterprise (its network at 1 hop)."""
    centre = ("Enterprise", result.uscc)
    registration = dict(result.nodes[0].properties)
    parties = {(n.label, n.key): models.PartyOut(**_party_fields(n.label, n.key, n.properties,
                                                                  None))
               for n in result.nodes}
    legal: list[models.PersonRole] = []
    officers: list[models.PersonRole] = []
    holders: list[models.Holding] = []
    branches: list[models.PartyOut] = []
    for e in result.edges:
        other = e.start if e.end == centre else e.end
        who = parties[other]
        if e.type == "LEGAL_REP_OF" and e.end == centre:
            legal.append(models.PersonRole(person=who, since=e.properties.get("since")))
        elif e.type == "OFFICER_OF" and e.end == centre:
            officers.append(models.PersonRole(person=who, role=e.properties.get("role"),
                                              since=e.properties.get("since")))
        elif e.type == "HOLDS_SHARES" and e.end == centre:
            holders.append(models.Holding(holder=who, share=e.properties.get("ratio"),
                                          since=e.properties.get("since")))
        elif e.type == "BRANCH_OF":
            branches.append(who)
    holders.sort(key=lambda h: -(h.share or 0.0))
    contacts = [parties[(n.label, n.key)] for n in result.nodes
                if n.label in ("Address", "Phone", "Email")]
    return models.Profile(uscc=result.uscc, as_of=result.as_of, registration=registration,
                          legal_representatives=legal, shareholders=holders, officers=officers,
                          branches=branches, contacts=contacts)
