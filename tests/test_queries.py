"""Investigator queries: known answers on a hand-built graph, on both stores; and the two
stores' answers compared on random small graphs (hypothesis)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import schema
from graph.memory import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.queries import QueryEngine, QueryError, open_queries
from graph.schema import RelSpec
from graph.store import GraphStore, Row
from tests.builders import uscc

AS_OF = dt.date(2026, 10, 31)
EARLY = dt.date(2015, 1, 1)
E = {n: uscc(n) for n in range(1, 18)}
ALICE, BOB, CAROL, DAVE, ERIN = "p-alice", "p-bob", "p-carol", "p-dave", "p-erin"
FRANK, GRACE, HEIDI, IVAN, JUDY = "p-frank", "p-grace", "p-heidi", "p-ivan", "p-judy"
ADDRESS, PHONE = "杭州市西湖区文三路1号", "057188000001"


def load_fixture(
    store: GraphStore, nodes: Mapping[str, Sequence[Row]],
    relationships: Mapping[RelSpec, Sequence[Row]],
) -> None:
    """The one place the tests write to a store (adapt here when the write API changes)."""
    store.ensure_schema()
    for label, rows in nodes.items():
        store.upsert_nodes(label, pd.DataFrame(list(rows), dtype=object))
    for spec, links in relationships.items():
        flat = [{"start": link["start"], "end": link["end"], "key": link.get("key", ""),
                 **(link.get("props") or {})} for link in links]
        store.upsert_relationships(
            spec, pd.DataFrame(flat, columns=["start", "end", "key", *spec.properties],
                               dtype=object))


def _enterprise(n: int, **changes: Any) -> Row:
    row = {"uscc": E[n], "name": f"企业{n}", "entity_type": "limited_company",
           "status": "operating", "established": EARLY}
    row.update(changes)
    return row


def _link(start: str, end: str, since: dt.date | None = EARLY, until: dt.date | None = None,
          **props: Any) -> Row:
    return {"start": start, "end": end, "key": "" if since is None else str(since),
            "props": {**props, "since": since, "until": until}}


def _share(holder: str, owned: int, ratio: float, since: dt.date | None = EARLY,
           until: dt.date | None = None) -> Row:
    return _link(holder, E[owned], since, until, ratio=ratio)


def fixture_graph() -> tuple[dict[str, list[Row]], dict[RelSpec, list[Row]]]:
    """Seventeen enterprises:

    - pyramid: E2 holds 60% of E1, E4 (Carol's 100% nominee) 40%; Alice holds 50% of E2
      directly and 50% through E3 (100% hers): two paths, 30% + 30% of E1;
      E17 is a branch of E1; Alice is E1's legal rep (Judy was, until 2020), Bob an officer
    - cycle: E5 and E6 hold 20% / 30% of each other; Dave holds 80% of E5, Erin 70% of E6
    - ended holding: Frank held 90% of E7 until 2024-01-01; since then Grace 18%, Heidi 17%
      and E8 (no owners) 20%; E8 also holds all of E12
    - state body: E9 (state-owned, no owners) holds 51% of E10, Ivan 49%
    - E11 has no shareholders
    - shared contacts: E1, E13 and E14 share an address, E1 and E13 a phone; Bob is also an
      officer of E14 (revoked); Alice is also legal rep of E15; Judy of E16
    """
    people = [{"person_id": key, "name": name, "id_masked": f"330106********{index:04d}"}
              for index, (key, name) in enumerate([
                  (ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol"), (DAVE, "Dave"),
                  (ERIN, "Erin"), (FRANK, "Frank"), (GRACE, "Grace"), (HEIDI, "Heidi"),
                  (IVAN, "Ivan"), (JUDY, "Judy")])]
    enterprises = [_enterprise(n) for n in range(1, 18)]
    enterprises[8] = _enterprise(9, entity_type="state_owned")
    enterprises[13] = _enterprise(14, status="revoked")
    nodes = {"Enterprise": enterprises, "Person": people,
             "Address": [{"address": ADDRESS}], "Phone": [{"phone": PHONE}]}
    relationships = {
        schema.ENTERPRISE_HOLDS_SHARES: [
            _share(E[2], 1, 0.6), _share(E[4], 1, 0.4), _share(E[3], 2, 0.5),
            _share(E[5], 6, 0.3), _share(E[6], 5, 0.2),
            _share(E[8], 7, 0.2, dt.date(2024, 1, 1)), _share(E[8], 12, 1.0),
            _share(E[9], 10, 0.51),
        ],
        schema.PERSON_HOLDS_SHARES: [
            _share(ALICE, 2, 0.5), _share(ALICE, 3, 1.0), _share(CAROL, 4, 1.0),
            _share(DAVE, 5, 0.8), _share(ERIN, 6, 0.7),
            _share(FRANK, 7, 0.9, until=dt.date(2024, 1, 1)),
            _share(GRACE, 7, 0.18, dt.date(2024, 1, 1)),
            _share(HEIDI, 7, 0.17, dt.date(2024, 1, 1)),
            _share(IVAN, 10, 0.49),
        ],
        schema.LEGAL_REP_OF: [
            _link(ALICE, E[1], dt.date(2020, 1, 1)), _link(JUDY, E[1], until=dt.date(2020, 1, 1)),
            _link(ALICE, E[15]), _link(JUDY, E[16]),
        ],
        schema.OFFICER_OF: [_link(BOB, E[1], role="director"),
                            _link(BOB, E[14], role="manager")],
        schema.BRANCH_OF: [{"start": E[17], "end": E[1], "key": "", "props": {}}],
        schema.REGISTERED_AT: [{"start": E[n], "end": ADDRESS, "key": "registered", "props": {}}
                               for n in (1, 13, 14)],
        schema.HAS_PHONE: [{"start": E[n], "end": PHONE, "key": "registered", "props": {}}
                           for n in (1, 13)],
    }
    return nodes, relationships


@pytest.fixture
def queries(store: GraphStore) -> QueryEngine:
    load_fixture(store, *fixture_graph())
    return open_queries(store)


def stakes(result: Any) -> list[tuple[str, float, float, int, int]]:
    return [(s.party.key, round(s.share, 9), round(s.direct_share, 9), s.depth, s.paths)
            for s in result.stakes]


# --------------------------------------------------------------------------- penetration


def test_penetration_up_sums_both_paths_to_the_same_owner(queries: QueryEngine) -> None:
    result = queries.penetration(E[1], as_of=AS_OF)
    assert stakes(result) == [
        (E[2], 0.6, 0.6, 1, 1), (ALICE, 0.6, 0.0, 2, 2), (E[4], 0.4, 0.4, 1, 1),
        (CAROL, 0.4, 0.0, 2, 1), (E[3], 0.3, 0.0, 2, 1),
    ]
    assert not result.truncated
    alice = result.stakes[1].party
    assert (alice.name, alice.id_masked) == ("Alice", "330106********0000")
    assert len(result.edges) == 6


def test_penetration_depth_limit(queries: QueryEngine) -> None:
    result = queries.penetration(E[1], as_of=AS_OF, max_depth=2)
    alice = next(stake for stake in stakes(result) if stake[0] == ALICE)
    assert alice == (ALICE, 0.3, 0.0, 2, 1)  # the 3-hop path is beyond reach


def test_penetration_down(queries: QueryEngine) -> None:
    result = queries.penetration(E[3], direction="down", as_of=AS_OF)
    assert stakes(result) == [(E[2], 0.5, 0.5, 1, 1), (E[1], 0.3, 0.0, 2, 1)]


def test_cross_holding_is_not_counted_twice(queries: QueryEngine) -> None:
    up = queries.penetration(E[5], as_of=AS_OF)
    assert stakes(up) == [(DAVE, 0.8, 0.8, 1, 1), (E[6], 0.2, 0.2, 1, 1),
                          (ERIN, 0.14, 0.0, 2, 1)]
    down = queries.penetration(E[5], direction="down", as_of=AS_OF)
    assert stakes(down) == [(E[6], 0.3, 0.3, 1, 1)]


def test_penetration_as_of(queries: QueryEngine) -> None:
    before = queries.penetration(E[7], as_of=dt.date(2023, 6, 1))
    assert stakes(before) == [(FRANK, 0.9, 0.9, 1, 1)]
    # A holding ending on the day is over that day; one starting on it has begun.
    on_the_day = queries.penetration(E[7], as_of=dt.date(2024, 1, 1))
    assert [s.party.key for s in on_the_day.stakes] == [E[8], GRACE, HEIDI]


def test_unknown_enterprise_and_bad_parameters(queries: QueryEngine) -> None:
    with pytest.raises(QueryError, match="no enterprise"):
        queries.penetration(uscc(99), as_of=AS_OF)
    with pytest.raises(QueryError, match="max_depth"):
        queries.penetration(E[1], max_depth=11)
    with pytest.raises(QueryError, match="hops"):
        queries.network(E[1], hops=5)
    with pytest.raises(QueryError, match="unknown relationship kinds"):
        queries.network(E[1], kinds=["HAS_EVENT"])


# ---------------------------------------------------------------------------- controllers


def test_ultimate_owners_look_through_the_nominee(queries: QueryEngine) -> None:
    result = queries.controllers(E[1], as_of=AS_OF)
    assert [(o.party.key, round(o.share, 9), o.majority_chain, o.kind) for o in result.owners] == [
        (ALICE, 0.6, False, "person"), (CAROL, 0.4, False, "person")]
    assert result.actual_controller is not None and result.actual_controller.key == ALICE
    assert result.reason is None


def test_majority_chain_and_state_body(queries: QueryEngine) -> None:
    cycle = queries.controllers(E[5], as_of=AS_OF)
    assert [(o.party.key, o.majority_chain) for o in cycle.owners] == [(DAVE, True)]
    state = queries.controllers(E[10], as_of=AS_OF)
    assert [(o.party.key, o.kind, o.majority_chain) for o in state.owners] == [
        (E[9], "state", True), (IVAN, "person", False)]
    assert state.actual_controller is not None and state.actual_controller.key == E[9]


def test_no_owner_says_why(queries: QueryEngine) -> None:
    dispersed = queries.controllers(E[7], as_of=AS_OF)
    assert dispersed.owners == ()
    assert dispersed.reason is not None and dispersed.reason.startswith(
        "dispersed ownership: largest cumulative share 18.0% held by Grace")
    assert dispersed.reason_zh is not None and "股权分散" in dispersed.reason_zh
    assert queries.controllers(E[7], as_of=dt.date(2023, 6, 1)).owners[0].party.key == FRANK
    assert queries.controllers(E[11], as_of=AS_OF).reason == (
        "no shareholders recorded as of 2026-10-31")
    ends = queries.controllers(E[12], as_of=AS_OF).reason
    assert ends is not None and ends.startswith(
        "ownership ends at enterprises with no recorded owners: 企业8")


# ---------------------------------------------------------------------- suspected relations


def test_suspected_relations_ranked_by_shared_links(queries: QueryEngine) -> None:
    result = queries.suspected(E[1], as_of=AS_OF)
    found = [(r.enterprise.key, [(link.kind, link.via.key) for link in r.links])
             for r in result.relations]
    assert found == [
        (E[13], [("address", ADDRESS), ("phone", PHONE)]),
        (E[14], [("address", ADDRESS), ("officer", BOB)]),
        (E[2], [("cross_role", ALICE)]),
        (E[3], [("cross_role", ALICE)]),
        (E[15], [("legal_rep", ALICE)]),
    ]
    assert result.total == 5
    # Judy's legal representation of E1 ended in 2020.
    earlier = queries.suspected(E[1], as_of=dt.date(2019, 1, 1))
    assert (E[16], [("legal_rep", JUDY)]) in [
        (r.enterprise.key, [(link.kind, link.via.key) for link in r.links])
        for r in earlier.relations]
    assert queries.suspected(E[1], as_of=AS_OF, limit=2).relations == result.relations[:2]


# ---------------------------------------------------------------------------------- network


def test_network_one_hop(queries: QueryEngine) -> None:
    result = queries.network(E[1], hops=1, as_of=AS_OF)
    assert [(n.label, n.key, n.depth) for n in result.nodes] == [
        ("Enterprise", E[1], 0), ("Enterprise", E[2], 1), ("Enterprise", E[4], 1),
        ("Enterprise", E[17], 1), ("Person", ALICE, 1), ("Person", BOB, 1),
        ("Address", ADDRESS, 1), ("Phone", PHONE, 1),
    ]
    assert not result.truncated
    assert len(result.edges) == 8  # Alice's holding in E2 too: both ends are in
    share = next(e for e in result.edges if e.start == ("Enterprise", E[2]))
    assert (share.type, share.end, dict(share.properties)) == (
        "HOLDS_SHARES", ("Enterprise", E[1]), {"ratio": 0.6, "since": EARLY})
    assert result.nodes[0].properties["name"] == "企业1"


def test_network_filters_and_budget(queries: QueryEngine) -> None:
    two = queries.network(E[1], hops=2, as_of=AS_OF)
    assert {n.key for n in two.nodes if n.depth == 2} == {
        E[3], E[13], E[14], E[15], CAROL}
    # Before 2020 Alice was not E1's legal rep: one hop does not reach her.
    early = queries.network(E[1], hops=1, as_of=dt.date(2019, 1, 1))
    assert ALICE not in {n.key for n in early.nodes}
    shares = queries.network(E[1], hops=1, min_share=0.5, as_of=AS_OF)
    assert E[4] not in {n.key for n in shares.nodes}
    kinds = queries.network(E[1], hops=2, kinds=["HOLDS_SHARES"], as_of=AS_OF)
    assert {n.key for n in kinds.nodes} == {E[1], E[2], E[3], E[4], ALICE, CAROL}
    operating = queries.network(E[1], hops=2, statuses=["operating"], as_of=AS_OF)
    assert E[14] not in {n.key for n in operating.nodes}
    classes = {E[2]: "C", E[4]: "A", E[3]: "D"}
    risky = queries.network(E[1], hops=2, kinds=["HOLDS_SHARES"], classes={"C", "D"},
                            risk_classes=classes, as_of=AS_OF)
    assert [(n.key, n.risk_class) for n in risky.nodes] == [
        (E[1], None), (E[2], "C"), (E[3], "D"), (ALICE, None)]
    capped = queries.network(E[1], hops=2, max_nodes=4, as_of=AS_OF)
    assert capped.truncated
    assert [n.key for n in capped.nodes] == [E[1], E[2], E[4], E[17]]


# ------------------------------------------------------------------------------------ paths


def test_shortest_paths(queries: QueryEngine) -> None:
    result = queries.paths(E[13], E[15], as_of=AS_OF)
    assert result.length == 4
    assert [[node.key for node in path.nodes] for path in result.paths] == [
        [E[13], ADDRESS, E[1], ALICE, E[15]], [E[13], PHONE, E[1], ALICE, E[15]]]
    hop = result.paths[0].hops[2]
    assert [(edge.type, edge.start[1], edge.end[1]) for edge in hop] == [
        ("LEGAL_REP_OF", ALICE, E[1])]
    assert queries.paths(E[11], E[1], as_of=AS_OF).length is None
    assert queries.paths(E[13], E[15], as_of=AS_OF, max_hops=3).length is None
    # Before Alice became E1's legal rep, only her holdings connect E1 to her.
    assert queries.paths(E[1], E[15], as_of=AS_OF).length == 2
    assert queries.paths(E[1], E[15], as_of=dt.date(2019, 1, 1)).length == 3
    among = queries.paths_among([E[13], E[15], E[14]], as_of=AS_OF)
    assert [(p.source, p.target, p.length) for p in among] == [
        (E[13], E[14], 2), (E[13], E[15], 4), (E[14], E[15], 4)]


# --------------------------------------------------------------------------------- clusters


def test_clusters_and_rings(queries: QueryEngine) -> None:
    result = queries.clusters(as_of=AS_OF)
    assert [(g.enterprises, g.people) for g in result.groups] == [
        ((E[1], E[2], E[3], E[4], E[17]), 2), ((E[7], E[8], E[12]), 2),
        ((E[5], E[6]), 2), ((E[9], E[10]), 1)]
    assert result.cycles == ((E[5], E[6]),)
    assert result.groups[2].cycles == ((E[5], E[6]),)
    risky = queries.clusters(as_of=AS_OF, risk_classes={E[9]: "D", E[10]: "D", E[5]: "C"})
    assert [g.enterprises[0] for g in risky.groups] == [E[9], E[5], E[1], E[7]]
    assert risky.groups[0].class_counts == {"D": 2}
    own = queries.cluster(E[3], as_of=AS_OF)
    assert own.enterprises == (E[1], E[2], E[3], E[4], E[17]) and own.people == 2
    alone = queries.cluster(E[11], as_of=AS_OF)
    assert (alone.enterprises, alone.people) == ((E[11],), 0)
    before = queries.cluster(E[7], as_of=dt.date(2023, 6, 1))
    assert (before.enterprises, before.people) == ((E[7],), 1)


def test_adjacency_follows_store_changes() -> None:
    memory = MemoryStore()
    load_fixture(memory, *fixture_graph())
    engine = open_queries(memory)
    assert engine is open_queries(memory)
    assert queries_share(engine, E[11]) == []
    load_fixture(memory, {}, {schema.PERSON_HOLDS_SHARES: [_share(IVAN, 11, 0.3)]})
    assert queries_share(engine, E[11]) == [(IVAN, 0.3)]


def queries_share(engine: QueryEngine, key: str) -> list[tuple[str, float]]:
    return [(s.party.key, s.share) for s in engine.penetration(key, as_of=AS_OF).stakes]


# ------------------------------------------------------------- both stores, random graphs


DATES = [None, dt.date(2018, 1, 1), dt.date(2022, 1, 1), dt.date(2030, 1, 1)]


@st.composite
def random_graphs(draw: st.DrawFn) -> tuple[dict[str, list[Row]], dict[RelSpec, list[Row]]]:
    n = draw(st.integers(3, 8))
    people = draw(st.integers(0, 4))
    enterprises = [_enterprise(i, status=draw(st.sampled_from(["operating", "revoked"])))
                   for i in range(1, n + 1)]
    persons = [{"person_id": f"p{i}", "name": f"P{i}", "id_masked": f"m{i}"}
               for i in range(people)]
    holders = [E[i] for i in range(1, n + 1)]
    person_keys = [row["person_id"] for row in persons]

    def interval() -> tuple[dt.date | None, dt.date | None]:
        since = draw(st.sampled_from(DATES[:3]))
        until = draw(st.sampled_from([None, dt.date(2020, 1, 1), dt.date(2024, 1, 1)]))
        if since and until and until < since:
            until = None
        return since, until

    def links(starts: list[str], limit: int) -> list[tuple[str, int]]:
        if not starts:
            return []
        pairs = draw(st.lists(st.tuples(st.sampled_from(starts), st.integers(1, n)),
                              max_size=limit, unique=True))
        return [(start, end) for start, end in pairs if start != E[end]]

    ratio = st.sampled_from([0.1, 0.25, 0.3, 0.5, 0.6, 0.9])
    share_rows = {
        spec: [_share(start, end, draw(ratio), *interval()) for start, end in links(starts, 12)]
        for spec, starts in ((schema.ENTERPRISE_HOLDS_SHARES, holders),
                             (schema.PERSON_HOLDS_SHARES, person_keys))
    }
    addresses = ["a1", "a2"]
    relationships = {
        **share_rows,
        schema.LEGAL_REP_OF: [_link(s, E[e], *interval()) for s, e in links(person_keys, 5)],
        schema.REGISTERED_AT: [
            {"start": E[e], "end": a, "key": "registered", "props": {}}
            for a, e in links(addresses, 5)],
        schema.BRANCH_OF: [{"start": s, "end": E[e], "key": "", "props": {}}
                           for s, e in links(holders, 2)],
    }
    nodes = {"Enterprise": enterprises, "Person": persons,
             "Address": [{"address": a} for a in addresses]}
    return nodes, relationships


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=random_graphs(), as_of=st.sampled_from([dt.date(2019, 1, 1), AS_OF]))
def test_stores_agree_on_random_graphs(
    neo4j_session_store: Neo4jStore,
    graph: tuple[dict[str, list[Row]], dict[RelSpec, list[Row]]], as_of: dt.date,
) -> None:
    neo4j_session_store.clear()
    memory = MemoryStore()
    for target in (memory, neo4j_session_store):
        load_fixture(target, *graph)
    engines = [open_queries(memory), open_queries(neo4j_session_store)]
    usccs = [row["uscc"] for row in graph[0]["Enterprise"]]
    for key in usccs:
        for direction in ("up", "down"):
            first, second = (e.penetration(key, direction=direction, as_of=as_of)
                             for e in engines)
            assert first == second, (key, direction)
        first_net, second_net = (e.network(key, hops=2, as_of=as_of, max_nodes=6)
                                 for e in engines)
        assert first_net == second_net, key
        first_ctl, second_ctl = (e.controllers(key, as_of=as_of) for e in engines)
        assert first_ctl == second_ctl, key
        first_sus, second_sus = (e.suspected(key, as_of=as_of) for e in engines)
        assert first_sus == second_sus, key
    for source in usccs[:3]:
        for target in usccs:
            first_path, second_path = (e.paths(source, target, as_of=as_of) for e in engines)
            assert first_path == second_path, (source, target)
    first_clusters, second_clusters = (e.clusters(as_of=as_of) for e in engines)
    assert first_clusters == second_clusters


# ------------------------------------------------------------------------------------- CLI


def test_cli_query_commands(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from api.cli import app

    memory = MemoryStore()
    load_fixture(memory, *fixture_graph())
    memory.save(tmp_path / "memory-store.pickle")
    monkeypatch.setenv("RISKGRAPH_HOME", str(tmp_path))
    monkeypatch.setenv("RISKGRAPH_GRAPH", "memory")
    runner = CliRunner()
    owners = runner.invoke(app, ["query", "controllers", E[1], "--as-of", "2026-10-31",
                                 "--json"])
    assert owners.exit_code == 0, owners.output
    answer = json.loads(owners.output)
    assert [owner["party"]["key"] for owner in answer["owners"]] == [ALICE, CAROL]
    for command in (["penetration", E[1]], ["suspected", E[1]], ["network", E[1]],
                    ["paths", E[13], E[15]], ["clusters"], ["controllers", E[7]]):
        result = runner.invoke(app, ["query", *command, "--as-of", "2026-10-31"])
        assert result.exit_code == 0, (command, result.output)
    assert "股权分散" in runner.invoke(
        app, ["query", "controllers", E[7], "--as-of", "2026-10-31"]).output
