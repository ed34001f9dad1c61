"""The investigator page end to end: the real API (uvicorn, a subprocess) on a small
synthetic province, driven in Debian's headless chromium by Playwright.

Screenshots go to tests/artifacts/ (gitignored). Chromium is never downloaded by
Playwright: a missing /usr/bin/chromium fails the tests (`make system-packages`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from api.auth import UserStore
from api.graph_risk import score_store, train_store
from api.pipeline import classify, write_run_snapshot
from api.settings import Settings
from api.supervise import draw_plan, run_warnings
from graph.load import delivery_to_batch, write_batch
from graph.memory import MemoryStore
from graph.queries import QueryEngine, open_queries
from ingestion.identifiers import PersonPseudonyms
from ingestion.synthetic import generate_province
from ingestion.validate import validate_frames
from tests.test_supervision import make_plan

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags chromium keeps calling outside hosts (browser.md).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "tests" / "artifacts"
VENDOR = ROOT / "web" / "static" / "vendor" / "cytoscape.esm.min.js"
AS_OF = dt.date(2026, 10, 31)
PASSWORD = "correct-horse-battery"
# The machine is shared and often loaded: assertions wait up to 15 s for the page.
expect.set_options(timeout=15_000)


@dataclass(frozen=True)
class Site:
    url: str
    uscc: str  # the enterprise the tests investigate
    name: str
    risk_class: str
    controller: str | None  # its actual controller's name
    person: str  # a person linked to it, to search by
    expand: str  # node id of a depth-2 enterprise whose expansion adds nodes
    investigator: str
    analyst: str


def _build_home(home: Path) -> dict[str, Any]:
    """A province ingested, classified for two months (the second with the graph uplift),
    warnings raised and a plan drawn, as the service would find them."""
    settings = Settings(home=home, graph="memory")
    province = generate_province(1_500, seed=5, as_of=AS_OF)
    store = MemoryStore()
    write_batch(store, delivery_to_batch(validate_frames(province.frames()),
                                         PersonPseudonyms(settings.person_key())))
    september = classify(store, dt.date(2026, 9, 30))
    write_run_snapshot(september, home)
    train_store(store, dt.date(2025, 10, 31), home, epochs=3)
    scoring = score_store(store, AS_OF, home)
    write_run_snapshot(scoring.run, home)
    run_warnings(settings, store, AS_OF)
    draw_plan(settings, store, make_plan())
    store.save(settings.memory_store_path)
    users = UserStore(settings.auth_dir)
    users.add("ines", PASSWORD, "investigator")
    users.add("ana", PASSWORD, "analyst")
    frame = scoring.run.classification.frame.set_index("uscc")
    # Classified in both months (the card shows two history points): not established
    # in October.
    both = frame.index.isin(september.classification.frame["uscc"])
    explained = frame.index[(frame["graph_reason_zh"] != "").to_numpy() & both]
    return {"case": _pick_case(open_queries(store), list(explained)),
            "classes": frame["risk_class"].to_dict()}


def _pick_case(queries: QueryEngine, candidates: list[str]) -> dict[str, Any]:
    """An explained enterprise with an actual controller, a network that fits the page,
    and a depth-2 enterprise whose own neighbours are not all shown yet."""
    for uscc in sorted(candidates):
        controller = queries.controllers(uscc, as_of=AS_OF).actual_controller
        network = queries.network(uscc, hops=2, as_of=AS_OF)
        if controller is None or not 8 <= len(network.nodes) <= 120:
            continue
        shown = {(node.label, node.key) for node in network.nodes}
        for node in network.nodes:
            if node.label != "Enterprise" or node.depth != 2:
                continue
            around = queries.network(node.key, hops=1, as_of=AS_OF)
            if any((n.label, n.key) not in shown for n in around.nodes):
                return {"uscc": uscc, "name": network.nodes[0].properties["name"],
                        "controller": controller.name,
                        "expand": f"enterprise:{node.key}"}
    raise AssertionError("no enterprise in the province fits the page tests")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not VENDOR.exists():
        pytest.fail(f"{VENDOR.relative_to(ROOT)} is missing: run `make web` "
                    f"(scripts/build-web.sh fetches Cytoscape.js from the npm registry)")
    home = tmp_path_factory.mktemp("web-home")
    built = _build_home(home)
    case = built["case"]
    port = _free_port()
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.http.app:create_app",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "RISKGRAPH_HOME": str(home), "RISKGRAPH_GRAPH": "memory",
             "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"the API exited: {(home / 'server.log').read_text()}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the API did not get ready: {(home / 'server.log').read_text()}")
            time.sleep(0.3)
        yield Site(url, case["uscc"], case["name"], built["classes"][case["uscc"]],
                   case["controller"], case["controller"], case["expand"], "ines", "ana")
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make system-packages); "
                    f"Playwright's own browser download is never used")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@dataclass
class Visit:
    """A browser tab on the page, with every URL it requested and every script error."""

    page: Page
    requests: list[str]
    errors: list[str]


@pytest.fixture
def visit(browser: Browser, site: Site, request: pytest.FixtureRequest) -> Iterator[Visit]:
    """A fresh browser context on the page; script errors fail the test and the final
    state is saved as a screenshot."""
    context = browser.new_context(viewport={"width": 1440, "height": 1100},
                                  accept_downloads=True)
    tab = Visit(context.new_page(), [], [])
    tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.page.on("request", lambda req: tab.requests.append(req.url))
    tab.page.goto(site.url)
    yield tab
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"{request.node.name}.png"
    tab.page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    context.close()
    assert not tab.errors, f"errors in the page: {tab.errors}"


@pytest.fixture
def page(visit: Visit) -> Page:
    return visit.page


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录 Sign in").click()


def open_card(page: Page, site: Site) -> None:
    sign_in(page, site.investigator)
    page.locator("#search-q").fill(site.name)
    page.get_by_role("button", name="搜索 Search").click()
    page.locator(f"#search-results tr[data-uscc='{site.uscc}']").click()
    expect(page.locator("#card")).to_have_attribute("data-loaded", "true", timeout=30_000)


def graph_settled(page: Page) -> None:
    """Waits until the graph has no query in flight."""
    expect(page.locator("#graph")).not_to_have_attribute("data-loading", "true")


def graph_nodes(page: Page) -> int:
    count: int = page.evaluate("window.riskgraph.graph.cy.nodes().length")
    return count


def rendered_fonts(page: Page, selector: str) -> dict[str, int]:
    """Font family -> glyphs drawn, for the text of ``selector`` (DevTools protocol)."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("DOM.enable")
    devtools.send("CSS.enable")
    root = devtools.send("DOM.getDocument")["root"]["nodeId"]
    node = devtools.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = devtools.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def double_click_node(page: Page, node_id: str) -> None:
    """Double-clicks a graph node on the canvas, brought to the middle of the view first."""
    page.locator("#graph").scroll_into_view_if_needed()
    node = f"window.riskgraph.graph.cy.getElementById('{node_id}')"
    # ``void``: cy.center() returns the Cytoscape core, which must not be serialised back.
    page.evaluate(f"void window.riskgraph.graph.cy.center({node})")
    box = page.locator("#graph").bounding_box()
    spot = page.evaluate(f"{node}.renderedPosition()")
    assert box is not None
    page.mouse.dblclick(box["x"] + spot["x"], box["y"] + spot["y"])


def test_wrong_password_is_refused(page: Page, site: Site) -> None:
    sign_in(page, site.investigator, "not-the-password")
    expect(page.locator("#sign-in-error")).to_contain_text("用户名或密码错误")
    expect(page.locator("#workspace")).to_be_hidden()


def test_search_by_name_and_person_then_card(page: Page, site: Site) -> None:
    sign_in(page, site.investigator)
    expect(page.locator("#who")).to_contain_text("ines · investigator")
    # A person's name finds the enterprises they are linked to.
    page.locator("#search-q").fill(site.person)
    page.get_by_role("button", name="搜索 Search").click()
    expect(page.locator(f"#search-results tr[data-uscc='{site.uscc}']")).to_be_visible()
    page.locator("#search-q").fill(site.uscc)
    page.get_by_role("button", name="搜索 Search").click()
    expect(page.locator("#search-results tbody tr")).to_have_count(1)
    page.locator(f"#search-results tr[data-uscc='{site.uscc}']").click()
    expect(page.locator("#card")).to_have_attribute("data-loaded", "true", timeout=30_000)

    expect(page.locator("#card-name")).to_have_text(site.name)
    expect(page.locator("#card-class strong")).to_have_text(site.risk_class)
    dimensions = page.locator("#card-dimensions .row")
    expect(dimensions).to_have_count(5)
    for zh in ("基础属性", "动态信息", "监管信息", "关联关系", "社会评价"):
        expect(page.locator("#card-dimensions")).to_contain_text(zh)
    expect(page.locator("#card-reasons li").first).not_to_have_class("muted")
    expect(page.locator("#card-graph-reasons li.clickable").first).to_be_visible()
    expect(page.locator("#card-history circle")).to_have_count(2)  # two monthly snapshots
    expect(page.locator("#card-history circle").last).to_have_attribute("data-month", "2026-10")
    assert page.locator("#card-records li[data-kind]").count() > 0
    expect(page.locator("header .internal")).to_contain_text("内部资料")
    # Chinese renders with a CJK font (fonts-noto-cjk), not empty boxes: the fonts chromium
    # drew the name with, glyph by glyph.
    fonts = rendered_fonts(page, "#card-name")
    assert sum(fonts.values()) == len(site.name) and all("CJK" in f for f in fonts), fonts


def test_graph_expands_collapses_filters_and_exports(page: Page, site: Site,
                                                     tmp_path: Path) -> None:
    open_card(page, site)
    before = graph_nodes(page)
    assert before > 1
    classes = page.evaluate(
        "window.riskgraph.graph.cy.nodes('[kind = \"enterprise\"]').map(n => n.data('risk_class'))")
    assert all(c in ("A", "B", "C", "D") for c in classes)

    # Expand a depth-2 enterprise by double-clicking it where the canvas draws it.
    double_click_node(page, site.expand)
    page.wait_for_function(f"window.riskgraph.graph.cy.getElementById('{site.expand}')"
                           f".hasClass('expanded')")
    graph_settled(page)
    expanded = graph_nodes(page)
    assert expanded > before
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "graph-expanded.png"))
    # Double-click again: what the expansion brought in goes away.
    double_click_node(page, site.expand)
    page.wait_for_function(f"window.riskgraph.graph.cy.nodes().length < {expanded}")
    assert graph_nodes(page) == before
    expect(page.locator("#graph-status")).to_contain_text(f"{before} 个节点 nodes")

    # Filter: shareholdings of at least 20% only.
    for kind in ("legal_rep", "officer", "branch", "contact"):
        page.locator(f"#graph-kinds input[value='{kind}']").uncheck()
    page.locator("#graph-min-share").fill("20")
    page.get_by_role("button", name="应用 Apply").click()
    graph_settled(page)
    assert graph_nodes(page) < before
    edges = page.evaluate("window.riskgraph.graph.cy.edges().map(e => e.data())")
    assert edges and all(e["kind"] == "shareholding" and e["share"] >= 0.2 for e in edges)
    assert all("%" in e["display"] for e in edges)  # edges labelled with their share

    with page.expect_download() as png:
        page.get_by_role("button", name="导出 PNG Export PNG").click()
    png_path = tmp_path / "graph.png"
    png.value.save_as(png_path)
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as exported:
        page.get_by_role("button", name="导出 JSON Export JSON").click()
    json_path = tmp_path / "graph.json"
    exported.value.save_as(json_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["uscc"] == site.uscc and data["filters"]["min_share"] == 0.2
    assert len(data["nodes"]) == graph_nodes(page) and len(data["edges"]) == len(edges)


def test_graph_reason_highlights_its_path(page: Page, site: Site) -> None:
    open_card(page, site)
    page.locator("#card-graph-reasons li.clickable").first.click()
    highlighted = page.evaluate("window.riskgraph.graph.cy.nodes('.highlight').map(n => n.id())")
    assert f"enterprise:{site.uscc}" in highlighted and len(highlighted) >= 2
    assert page.evaluate("window.riskgraph.graph.cy.edges('.highlight').length") >= 1


def test_penetration_tree_marks_the_controller(page: Page, site: Site) -> None:
    open_card(page, site)
    page.get_by_role("tab", name="股权穿透").click()
    controller = page.locator("#penetration-tree .node.controller")
    expect(controller).to_have_count(1)
    expect(controller).to_contain_text(str(site.controller))
    expect(controller).to_contain_text("%")
    expect(page.locator("#penetration-controller")).to_contain_text(str(site.controller))
    root = page.locator("#penetration-tree > ul > li > .node")
    expect(root).to_contain_text(site.name)


def test_views_follow_the_role(page: Page, site: Site) -> None:
    sign_in(page, site.investigator)
    expect(page.locator("#tab-warnings")).to_be_visible()
    expect(page.locator("#tab-plans")).to_be_hidden()
    page.locator("#tab-warnings").click()
    expect(page.locator("#warnings-table tbody tr").first).to_be_visible()
    page.locator("#warnings-table tbody tr").first.click()
    history = page.locator("#warning-history")
    expect(history).to_contain_text("触发 raised")
    # Handling: assign it; the log shows the step and the inbox the new status.
    history.locator("form[data-step='assign'] input[name='to']").fill("西湖区局")
    history.get_by_role("button", name="分派 Assign").click()
    expect(history).to_contain_text("分派 assigned")
    expect(history).to_contain_text("西湖区局")
    page.locator("#warnings-status").select_option("assigned")
    expect(page.locator("#warnings-table tbody tr").first).to_contain_text("西湖区局")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "warnings-inbox.png"), full_page=True)
    page.get_by_role("button", name="退出 Sign out").click()

    sign_in(page, site.analyst)
    expect(page.locator("#who")).to_contain_text("analyst")
    expect(page.locator("#tab-warnings")).to_be_hidden()  # warnings are the handlers'
    expect(page.locator("#tab-investigate")).to_be_hidden()
    expect(page.locator("#view-plans")).to_be_visible()
    page.locator("#plans-table tbody tr[data-task='2026-11-test']").click()
    expect(page.locator("#plan-detail tbody tr").first).to_be_visible()


def test_token_stays_in_session_storage_and_nothing_leaves_the_machine(
        visit: Visit, site: Site) -> None:
    page = visit.page
    open_card(page, site)
    token = page.evaluate("sessionStorage.getItem('riskgraph.token')")
    assert token and page.evaluate("localStorage.length") == 0
    assert visit.requests and not [url for url in visit.requests if token in url]
    # Every script, style and call is served by the app itself.
    assert all(url.startswith(site.url) for url in visit.requests), visit.requests
    assert any(url.endswith("/vendor/cytoscape.esm.min.js") for url in visit.requests)
