"""The HTTP API: every route with each role, without a token, with an expired and a forged
token; region grants; the audit chain; limits; problem objects; both stores."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from api import supervise
from api.audit import verify
from api.auth import KeyStore, Principal, Role, UserStore, issue_token
from api.cli import app as cli
from api.http.app import PREFIX, create_app
from api.http.models import BatchOut, RiskResult
from api.pipeline import classify, write_run_snapshot
from api.settings import Settings
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from graph.neo4j_store import Neo4jStore
from graph.server import Neo4jConnection
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from risk.spotcheck import Inspector
from tests.conftest import PERSON_KEY

AS_OF = dt.date(2026, 10, 31)
PASSWORD = "correct horse battery"
PARTNER_REGION = "330102"


@dataclass
class World:
    """A served province: settings, an enterprise per region, tokens per role."""

    settings: Settings
    store: MemoryStore
    enterprises: pd.DataFrame
    inside: str  # an enterprise in the partner's region
    outside: str  # one outside it
    tokens: dict[str, str]
    partner_key: str

    def headers(self, role: str) -> dict[str, str]:
        if role == "partner_key":
            return {"X-API-Key": self.partner_key}
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def build_home(home: Path, enterprises: int = 300) -> tuple[Settings, MemoryStore, pd.DataFrame]:
    """A home with the embedded store, September's and October's snapshots, warnings and
    a drawn plan."""
    settings = Settings(home=home, person_id_key=PERSON_KEY.decode(), graph="memory")
    province = generate_province(enterprises, seed=3, as_of=AS_OF)
    store = MemoryStore()
    write_batch(store, delivery_to_batch(validate_frames(province.frames()),
                                         PersonPseudonyms(PERSON_KEY)))
    store.save(settings.memory_store_path)
    for day in (dt.date(2026, 9, 30), AS_OF):
        write_run_snapshot(classify(store, day), settings.snapshot_root)
    supervise.run_warnings(settings, store, AS_OF)
    return settings, store, store.node_table("Enterprise")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    settings, store, enterprises = build_home(tmp_path_factory.mktemp("api-home"))
    users = UserStore(settings.auth_dir)
    for role in Role:
        users.add(role.value, PASSWORD, role.value,
                  (PARTNER_REGION,) if role is Role.partner else ())
    users.add("regional", PASSWORD, "investigator", (PARTNER_REGION,))
    _, partner_key = KeyStore(settings.auth_dir).create("tax-bureau", "partner",
                                                         (PARTNER_REGION,))
    client = TestClient(create_app(settings))
    tokens = {}
    for name in [*(role.value for role in Role), "regional"]:
        response = client.post(f"{PREFIX}/auth/token",
                               data={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.text
        tokens[name] = response.json()["access_token"]
    region = enterprises["region_code"].astype(str)
    inside = str(enterprises.loc[region == PARTNER_REGION, "uscc"].iloc[0])
    outside = str(enterprises.loc[~region.str.startswith(PARTNER_REGION), "uscc"].iloc[0])
    return World(settings, store, enterprises, inside, outside, tokens, partner_key)


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.settings), raise_server_exceptions=False) as test_client:
        yield test_client


# --- the route table: every route is in the role matrix -------------------------------

# The operations of the app's own OpenAPI document (generated from its route table; no
# route is left out of it), each with the roles its dependency allows.
ROUTE_APP = create_app(Settings(home=Path("/nonexistent-riskgraph-home")))
ROUTES = sorted(
    (method.upper(), path, tuple(operation.get("x-roles", ())))
    for path, operations in ROUTE_APP.openapi()["paths"].items()
    for method, operation in operations.items())
GUARDED = [route for route in ROUTES if route[2]]
OPEN = {(method, path) for method, path, roles in ROUTES if not roles}


def test_only_health_and_sign_in_are_open() -> None:
    assert {("GET", f"{PREFIX}/health"), ("POST", f"{PREFIX}/auth/token")} == OPEN
    assert len(GUARDED) >= 24  # search ... backtest: the endpoints of the contract


def _call(client: TestClient, world: World, method: str, path: str,
          headers: dict[str, str]) -> Any:
    """One request to a route, with path parameters and bodies that reach the handler."""
    url = re.sub(r"\{uscc\}", world.inside, path)
    url = url.replace("{task_id}", "no-such-plan").replace("{warning_id}", "no-such-warning")
    params: dict[str, str] = {}
    body: dict[str, Any] | None = None
    if path.endswith("/enterprises"):
        params = {"q": "有限公司"}
    if path.endswith("/graph/paths"):
        params = {"source": world.inside, "target": world.inside}
    if path.endswith("scores:batch"):
        body = {"usccs": [world.inside]}
    elif method == "POST":
        body = {}
    return client.request(method, url, params=params, json=body, headers=headers)


@pytest.mark.parametrize("role", [*(role.value for role in Role), "partner_key"])
@pytest.mark.parametrize(("method", "path", "roles"), GUARDED,
                         ids=[f"{m} {p}" for m, p, _ in GUARDED])
def test_role_matrix(client: TestClient, world: World, method: str, path: str,
                     roles: tuple[str, ...], role: str) -> None:
    response = _call(client, world, method, path, world.headers(role))
    assert response.status_code != 500, response.text
    effective = "partner" if role == "partner_key" else role
    if effective in roles:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["title"] == "Forbidden"
    assert response.headers["content-type"].startswith(("application/json",
                                                        "application/problem+json"))


def _expired(world: World) -> str:
    claims = {"sub": "investigator", "role": "investigator", "regions": [],
              "iat": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
              "exp": dt.datetime(2026, 1, 1, 0, 15, tzinfo=dt.UTC)}
    return jwt.encode(claims, world.settings.token_key(), algorithm="HS256")


def _forged(world: World) -> str:
    token, _ = issue_token(Principal("admin", Role.admin, ()), b"not-the-server-key", 15)
    return token


BAD_CREDENTIALS = {
    "none": lambda world: {},
    "expired": lambda world: {"Authorization": f"Bearer {_expired(world)}"},
    "forged": lambda world: {"Authorization": f"Bearer {_forged(world)}"},
    "garbage": lambda world: {"Authorization": "Bearer not.a.token"},
    "unknown_key": lambda world: {"X-API-Key": "rg_000000000000_secret"},
}


@pytest.mark.parametrize("credential", list(BAD_CREDENTIALS))
@pytest.mark.parametrize(("method", "path", "roles"), GUARDED,
                         ids=[f"{m} {p}" for m, p, _ in GUARDED])
def test_no_valid_credential_gets_401(client: TestClient, world: World, method: str,
                                      path: str, roles: tuple[str, ...],
                                      credential: str) -> None:
    response = _call(client, world, method, path, BAD_CREDENTIALS[credential](world))
    assert response.status_code == 401, response.text
    problem = response.json()
    assert set(problem) == {"type", "title", "status", "detail"}
    assert problem["status"] == 401
    if credential == "expired":
        assert "expired" in problem["detail"]


def test_health_openapi_and_sign_in(client: TestClient, world: World) -> None:
    assert client.get(f"{PREFIX}/health").json() == {"status": "ok"}
    schema = client.get(f"{PREFIX}/openapi.json").json()
    assert f"{PREFIX}/enterprises/{{uscc}}/risk" in schema["paths"]
    wrong = client.post(f"{PREFIX}/auth/token",
                        data={"username": "investigator", "password": "wrong password"})
    assert wrong.status_code == 401
    assert "Traceback" not in wrong.text
    me = client.get(f"{PREFIX}/me", headers=world.headers("partner")).json()
    assert me == {"username": "partner", "role": "partner", "regions": [PARTNER_REGION]}
    entries = [json.loads(line) for line in world.settings.audit_path.read_text().splitlines()]
    assert any(e["action"] == "auth.failed" and e["actor"] == "investigator" for e in entries)


def test_risk_result_is_the_snapshot_row_and_audited(client: TestClient,
                                                     world: World) -> None:
    snapshot = pd.read_parquet(world.settings.snapshot_root / "snapshots" / "2026-10"
                               / "classification.parquet").set_index("uscc")
    uscc = world.outside
    response = client.get(f"{PREFIX}/enterprises/{uscc}/risk",
                          headers=world.headers("investigator"))
    assert response.status_code == 200, response.text
    result = response.json()
    RiskResult.model_validate(result)  # served pre-serialised: still the declared shape
    row = snapshot.loc[uscc]
    assert result["risk_class"] == row["risk_class"]
    assert result["final_score"] == pytest.approx(row["score"], abs=1e-4)
    assert [d["code"] for d in result["dimensions"]] == ["basic", "dynamic", "regulatory",
                                                         "relationships", "social"]
    assert sum(d["contribution"] for d in result["dimensions"]) == pytest.approx(
        row["score"], abs=1e-3)
    assert [r["code"] for r in result["reasons"]] == [r["code"] for r in row["reasons"]]
    last = json.loads(world.settings.audit_path.read_text().splitlines()[-1])
    assert (last["actor"], last["action"], last["resource"]) == (
        "investigator", "risk.read", f"enterprise:{uscc}")
    assert last["client"] == "testclient"
    history = client.get(f"{PREFIX}/enterprises/{uscc}/risk/history",
                         headers=world.headers("investigator")).json()
    assert [item["month"] for item in history["items"]] == ["2026-09", "2026-10"]
    earlier = client.get(f"{PREFIX}/enterprises/{uscc}/risk", params={"month": "2026-09"},
                         headers=world.headers("investigator")).json()
    assert earlier["month"] == "2026-09"
    missing = client.get(f"{PREFIX}/enterprises/{uscc}/risk", params={"month": "2020-01"},
                         headers=world.headers("investigator"))
    assert missing.status_code == 404 and "no snapshot" in missing.json()["detail"]


def test_search_profile_records(client: TestClient, world: World) -> None:
    headers = world.headers("investigator")
    row = world.enterprises.set_index("uscc").loc[world.inside]
    by_uscc = client.get(f"{PREFIX}/enterprises", params={"q": world.inside.lower()},
                         headers=headers).json()["items"]
    assert by_uscc[0]["uscc"] == world.inside
    fragment = f" {row['name'][2:6]} "  # stray spaces: the name is matched normalised
    by_name = client.get(f"{PREFIX}/enterprises", params={"q": fragment},
                         headers=headers).json()["items"]
    assert world.inside in [item["uscc"] for item in by_name]
    profile = client.get(f"{PREFIX}/enterprises/{world.inside}", headers=headers,
                         params={"as_of": str(AS_OF)}).json()
    assert profile["registration"]["name"] == row["name"]
    person = profile["legal_representatives"][0]["person"]
    assert person["id"].startswith("person:") and "*" in person["id_masked"]
    by_person = client.get(f"{PREFIX}/enterprises", params={"q": person["label"]},
                           headers=headers).json()["items"]
    assert world.inside in [item["uscc"] for item in by_person]
    records = client.get(f"{PREFIX}/enterprises/{world.inside}/records",
                         headers=headers).json()["items"]
    dates = [r["date"] for r in records if r["date"]]
    assert dates == sorted(dates) and all(r["label_zh"] for r in records)
    unknown = client.get(f"{PREFIX}/enterprises/91330102MA00000000/risk", headers=headers)
    assert unknown.status_code == 404


def test_graph_queries_and_caps(client: TestClient, world: World) -> None:
    headers = world.headers("investigator")
    network = client.get(f"{PREFIX}/graph/network/{world.inside}", headers=headers,
                         params={"as_of": str(AS_OF), "hops": 2, "max_nodes": 5}).json()
    assert len(network["nodes"]) <= 5 and network["nodes"][0]["risk_class"] in "ABCD"
    ids = {node["id"] for node in network["nodes"]}
    assert all(edge["source"] in ids and edge["target"] in ids for edge in network["edges"])
    too_deep = client.get(f"{PREFIX}/graph/network/{world.inside}", headers=headers,
                          params={"hops": 9})
    assert too_deep.status_code == 422
    assert set(too_deep.json()) == {"type", "title", "status", "detail"}
    bad_kind = client.get(f"{PREFIX}/graph/network/{world.inside}", headers=headers,
                          params={"kinds": "friendship"})
    assert bad_kind.status_code == 400
    tree = client.get(f"{PREFIX}/graph/penetration/{world.inside}", headers=headers,
                      params={"as_of": str(AS_OF)}).json()
    node_ids = {node["id"] for node in tree["nodes"]} | {tree["root"]}
    assert all(node["parent"] in node_ids for node in tree["nodes"])


def test_region_grants(client: TestClient, world: World) -> None:
    regional = world.headers("regional")
    assert client.get(f"{PREFIX}/enterprises/{world.inside}/risk",
                      headers=regional).status_code == 200
    assert client.get(f"{PREFIX}/enterprises/{world.outside}/risk",
                      headers=regional).status_code == 403
    assert client.get(f"{PREFIX}/graph/network/{world.outside}",
                      headers=regional).status_code == 403
    for partner in ("partner", "partner_key"):
        headers = world.headers(partner)
        inside = world.enterprises.loc[world.enterprises["region_code"] == PARTNER_REGION,
                                       "uscc"].astype(str).tolist()
        ok = client.post(f"{PREFIX}/scores:batch", headers=headers,
                         json={"usccs": [*inside, "91330102MA00000000"]})
        assert ok.status_code == 200, ok.text
        BatchOut.model_validate(ok.json())
        assert sorted(item["uscc"] for item in ok.json()["items"]) == sorted(inside)
        assert ok.json()["unknown"] == ["91330102MA00000000"]
        mixed = client.post(f"{PREFIX}/scores:batch", headers=headers,
                            json={"usccs": [world.inside, world.outside]})
        assert mixed.status_code == 403 and world.outside in mixed.json()["detail"]
        assert client.get(f"{PREFIX}/enterprises/{world.inside}/risk",
                          headers=headers).status_code == 403
    too_many = client.post(f"{PREFIX}/scores:batch", headers=world.headers("partner"),
                           json={"usccs": [world.inside] * 10_001})
    assert too_many.status_code in (413, 422)
    entries = [json.loads(x) for x in world.settings.audit_path.read_text().splitlines()]
    batch = [e for e in entries if e["action"] == "risk.batch"]
    assert batch and batch[-1]["details"]["returned"] == len(inside)


def test_supervision_flow(client: TestClient, world: World) -> None:
    analyst, investigator = world.headers("analyst"), world.headers("investigator")
    roster = [Inspector(inspector_id=f"I{k}", name=f"检查员{k}", unit=f"{r}市场监管局",
                        region_code=r).model_dump()
              for k, r in enumerate(["330102", "330106", "330205", "330302"])]
    plan = {"task_id": "api-2026-11", "title_zh": "接口抽查", "title_en": "API checks",
            "as_of": str(AS_OF), "check_items": ["登记事项"], "inspectors": roster}
    created = client.post(f"{PREFIX}/plans", json=plan, headers=analyst)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "created"
    assert client.post(f"{PREFIX}/plans", json=plan, headers=analyst).status_code == 409
    drawn = client.post(f"{PREFIX}/plans/api-2026-11/draw", headers=analyst)
    assert drawn.status_code == 200, drawn.text
    assert drawn.json()["status"] == "drawn" and drawn.json()["drawn"] > 0
    detail = client.get(f"{PREFIX}/plans/api-2026-11", headers=analyst).json()
    assert {"risk_class", "check_mode"} <= set(detail["enterprises"][0])
    public = client.get(f"{PREFIX}/plans/api-2026-11/public", headers=analyst).json()
    assert "risk_class" not in json.dumps(public) and "check_mode" not in json.dumps(public)
    first = next(e["uscc"] for e in detail["enterprises"] if e["uscc"] != world.inside)
    recorded = client.post(f"{PREFIX}/plans/api-2026-11/results", headers=analyst, json={
        "results": [{"uscc": first, "outcome": "problem", "date": "2026-11-20"}]})
    assert recorded.status_code == 200 and recorded.json()["recorded"] == 1
    events = MemoryStore.load(world.settings.memory_store_path).node_table("Inspection")
    assert f"spotcheck-api-2026-11-{first}" in set(events["event_id"])
    backtest = client.get(f"{PREFIX}/backtest", headers=analyst).json()
    assert sum(row["inspected"] for row in backtest["overall"]) == 1
    statistics = client.get(f"{PREFIX}/statistics", headers=analyst).json()
    assert statistics["overall"]["total"] == statistics["enterprises"] > 0

    warnings = client.get(f"{PREFIX}/warnings", params={"status": "open"},
                          headers=investigator).json()["items"]
    assert warnings, "the province raises warnings"
    wid = warnings[0]["warning_id"]
    early = client.post(f"{PREFIX}/warnings/{wid}/act", headers=investigator,
                        json={"action": "reminder"})
    assert early.status_code == 409  # not assigned yet
    for step, body in (("assign", {"to": "西湖区局"}), ("act", {"action": "interview"}),
                       ("close", {"outcome": "已整改"})):
        response = client.post(f"{PREFIX}/warnings/{wid}/{step}", headers=investigator,
                               json=body)
        assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed"
    history = client.get(f"{PREFIX}/warnings/{wid}/history", headers=investigator).json()
    assert [e["event"] for e in history["items"]] == ["raised", "assigned", "acted", "closed"]
    actions = [json.loads(x)["action"] for x in world.settings.audit_path.read_text(
        ).splitlines()]
    for action in ("plan.create", "plan.draw", "plan.results", "warning.assign",
                   "warning.act", "warning.close"):
        assert action in actions


def test_audit_chain_detects_edits_and_removals(tmp_path: Path) -> None:
    from api.audit import AuditLog

    path = tmp_path / "audit" / "audit.jsonl"
    log = AuditLog(path)
    for k in range(5):
        log.append(actor="a", role="investigator", action="risk.read",
                   resource=f"enterprise:{k}", client="127.0.0.1")
    assert verify(path).ok and verify(path).entries == 5
    lines = path.read_text().splitlines()

    edited = json.loads(lines[2])
    edited["resource"] = "enterprise:someone-else"
    path.write_text("\n".join([*lines[:2], json.dumps(edited), *lines[3:]]) + "\n")
    result = verify(path)
    assert not result.ok and result.first_broken_line == 3 and "edited" in result.reason

    path.write_text("\n".join([*lines[:1], *lines[2:]]) + "\n")
    result = verify(path)
    assert not result.ok and result.first_broken_line == 2

    path.write_text("\n".join(lines[:4]) + "\n")
    result = verify(path)
    assert not result.ok and "end" in result.reason

    path.write_text("\n".join(lines) + "\n")
    assert verify(path).ok
    runner = CliRunner()
    env = {"RISKGRAPH_HOME": str(tmp_path)}
    assert runner.invoke(cli, ["audit", "verify"], env=env).exit_code == 0
    path.write_text("\n".join([*lines[:2], json.dumps(edited), *lines[3:]]) + "\n")
    failed = runner.invoke(cli, ["audit", "verify"], env=env)
    assert failed.exit_code == 1 and "line 3" in failed.output


def test_cli_users_and_keys(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"RISKGRAPH_HOME": str(tmp_path)}
    added = runner.invoke(cli, ["users", "add", "li", "--role", "analyst", "--password",
                                PASSWORD], env=env)
    assert added.exit_code == 0, added.output
    stored = (tmp_path / "auth" / "users.json").read_text()
    assert PASSWORD not in stored and "$argon2id$" in stored
    assert "li  analyst" in runner.invoke(cli, ["users", "list"], env=env).output
    assert runner.invoke(cli, ["users", "add", "x", "--role", "boss", "--password",
                               PASSWORD], env=env).exit_code == 2
    assert runner.invoke(cli, ["keys", "create", "bank", "--role", "partner"],
                         env=env).exit_code == 2  # a partner needs regions
    created = runner.invoke(cli, ["keys", "create", "bank", "--region", "3301"], env=env)
    key = created.output.strip().splitlines()[-1]
    assert key.startswith("rg_") and key not in (tmp_path / "auth" / "keys.json").read_text()
    store = KeyStore(tmp_path / "auth")
    assert store.authenticate(key).role is Role.partner
    key_id = key.split("_")[1]
    assert runner.invoke(cli, ["keys", "revoke", key_id], env=env).exit_code == 0
    with pytest.raises(ValueError, match="revoked"):
        store.authenticate(key)
    assert runner.invoke(cli, ["users", "remove", "li"], env=env).exit_code == 0
    assert UserStore(tmp_path / "auth").list() == []


def test_rate_limit_and_request_size(world: World) -> None:
    settings = world.settings.model_copy(update={"rate_limit_per_second": 0.5,
                                                 "rate_limit_burst": 3,
                                                 "max_request_bytes": 2048})
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    headers = world.headers("investigator")
    codes = [client.get(f"{PREFIX}/me", headers=headers).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    limited = client.get(f"{PREFIX}/me", headers=headers)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert client.get(f"{PREFIX}/me", headers=world.headers("admin")).status_code == 200
    big = client.post(f"{PREFIX}/scores:batch", headers=world.headers("partner"),
                      json={"usccs": [world.inside] * 200})
    assert big.status_code == 413 and big.json()["status"] == 413


def test_store_down_gives_503(world: World, tmp_path: Path) -> None:
    down = world.settings.model_copy(update={"graph": "neo4j",
                                             "neo4j_uri": "bolt://127.0.0.1:1",
                                             "store_timeout_seconds": 0.5})
    client = TestClient(create_app(down), raise_server_exceptions=False)
    headers = world.headers("investigator")
    for url in (f"{PREFIX}/ready", f"{PREFIX}/graph/network/{world.inside}",
                f"{PREFIX}/enterprises/{world.inside}/records"):
        response = client.get(url, headers=headers)
        assert response.status_code == 503, response.text
        assert response.json()["title"] == "Service Unavailable"
        assert "Traceback" not in response.text
    empty = world.settings.model_copy(update={"home": tmp_path})
    missing = TestClient(create_app(empty), raise_server_exceptions=False)
    token, _ = issue_token(Principal("x", Role.investigator, ()), empty.token_key(), 5)
    response = missing.get(f"{PREFIX}/ready", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503


def test_static_page_is_served_at_root(world: World, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "index.html").write_text("<h1>调查</h1>", encoding="utf-8")
    monkeypatch.setattr("api.http.app.STATIC", tmp_path)
    client = TestClient(create_app(world.settings))
    assert "调查" in client.get("/").text
    assert client.get(f"{PREFIX}/health").json() == {"status": "ok"}


def test_neo4j_store(world: World, neo4j_store: Neo4jStore,
                     neo4j_connection: Neo4jConnection) -> None:
    """Readiness, a graph query, records and search on a real Neo4j server give what the
    embedded store gives."""
    write_batch(neo4j_store, delivery_to_batch(validate_frames(
        generate_province(300, seed=3, as_of=AS_OF).frames()), PersonPseudonyms(PERSON_KEY)))
    on_neo4j = world.settings.model_copy(update={
        "graph": "neo4j", "neo4j_uri": neo4j_connection.uri,
        "neo4j_user": neo4j_connection.user,
        "neo4j_password": SecretStr(neo4j_connection.password)})
    headers = world.headers("investigator")
    with TestClient(create_app(on_neo4j)) as neo4j_client, \
            TestClient(create_app(world.settings)) as memory_client:
        assert neo4j_client.get(f"{PREFIX}/ready", headers=headers).json()["graph"] == "neo4j"
        for url, params in (
            (f"/graph/network/{world.inside}", {"as_of": str(AS_OF), "hops": 2}),
            (f"/graph/controllers/{world.inside}", {"as_of": str(AS_OF)}),
            (f"/enterprises/{world.inside}/records", {}),
            ("/enterprises", {"q": world.inside}),
        ):
            ours = neo4j_client.get(PREFIX + url, params=params, headers=headers)
            theirs = memory_client.get(PREFIX + url, params=params, headers=headers)
            assert ours.status_code == 200, ours.text
            assert ours.json() == theirs.json()


def test_audit_group_commit_keeps_the_chain(tmp_path: Path) -> None:
    """Many threads appending at once: every entry on disk once, the chain intact."""
    from concurrent.futures import ThreadPoolExecutor

    from api.audit import AuditLog

    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)

    def append(k: int) -> None:
        log.append(actor=f"u{k}", role="investigator", action="risk.read",
                   resource=f"enterprise:{k}", client="127.0.0.1")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(append, range(400)))
    assert verify(path).ok and verify(path).entries == 400
    actors = {json.loads(line)["actor"] for line in path.read_text().splitlines()}
    assert actors == {f"u{k}" for k in range(400)}


def test_results_json_escapes_text() -> None:
    import pyarrow as pa

    from api.risk_results import _text

    values = ['引号"和\\反斜杠', "换行\n制表\t", None, "plain", "\x01"]
    encoded = _text(pa.array(values)).to_pylist()
    assert [json.loads(text) for text in encoded] == ['引号"和\\反斜杠', "换行\n制表\t", None,
                                                      "plain", " "]


def test_graph_reason_paths_become_graph_node_ids() -> None:
    """A scored snapshot's reason path (store keys) is served as the graph endpoints' node
    ids, so the page can highlight it; a text-only reason has no path."""
    from api.risk_results import graph_reasons

    person = "ab" * 32
    stored = [{"text_zh": "股东张三另控制1家D类企业（+2.5分）",
               "text_en": "shareholder 张三 also controls 1 D-class enterprise (+2.5 points)",
               "points": 2.5, "path": ["91330100MA27XXXX1A", person, "91330100MA27YYYY2B"]}]
    served = graph_reasons("ignored（+9.9分）", "ignored", stored)
    assert served == [{"text_zh": stored[0]["text_zh"], "text_en": stored[0]["text_en"],
                       "contribution": 2.5,
                       "path": ["enterprise:91330100MA27XXXX1A", f"person:{person}",
                                "enterprise:91330100MA27YYYY2B"]}]
    parsed = graph_reasons("法定代表人李四的关联网络风险较高（+1.5分）",
                           "risky network (+1.5 points)")
    assert parsed[0]["contribution"] == 1.5 and parsed[0]["path"] == []


def test_batch_results_across_chunks_follow_the_request_order(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch reads each chunk of serialised results separately; the items still come in
    the order asked, each the same text a single lookup gives."""
    from api import risk_results
    monkeypatch.setattr(risk_results, "JSON_CHUNK", 7)
    results = risk_results.RiskResults(world.settings.snapshot_root)
    usccs = world.enterprises["uscc"].tolist()
    asked = [*reversed(usccs[:40]), "91000000000000000X", usccs[3]]
    items, known, unknown = results.results(asked)
    assert len(results._month(results.latest()).chunks) > 5
    assert unknown == ["91000000000000000X"]
    assert known == [u for u in dict.fromkeys(asked) if u != "91000000000000000X"]
    assert items == [results.result(u) for u in known]
    assert [json.loads(item)["uscc"] for item in items] == known
