// The investigator page: sign-in, search, the enterprise card with its graph and
// penetration tree, and the warnings and plans views for the roles that may see them.
import { ApiError, call, signIn, signOut, token } from "./api.js";
import { renderGraphReasons, renderHistory, renderProfile, renderRecords, renderRisk } from "./card.js";
import { GraphView } from "./graph.js";
import { EDGE_KINDS, STATUS_LABELS, el, labelOf } from "./labels.js";
import { loadPenetration } from "./penetration.js";
import { loadPlans, loadWarnings, mayRead } from "./supervision.js";

const $ = (id) => document.getElementById(id);

function say(target, error) {
  const message = error instanceof ApiError
    ? `${error.status} ${error.problem?.title ?? ""}: ${error.message}`
    : String(error?.message ?? error);
  target.textContent = message;
  target.classList.add("error");
  console.error(error);
}

const graph = new GraphView({
  container: $("graph"), legend: $("graph-legend"), status: $("graph-status"),
  onError: (error) => say($("graph-status"), error),
});
let current = null; // the uscc on the card

// ---------------------------------------------------------------- sign-in

async function enter() {
  const me = await call("/me");
  $("who").textContent = `${me.username} · ${me.role}`;
  $("who").hidden = false;
  $("sign-out").hidden = false;
  $("sign-in").hidden = true;
  $("workspace").hidden = false;
  // Which views this role has: the API's answer (403 or not) decides, one probe each.
  const [enterprises, warnings, plans] = await Promise.all([
    mayRead("/enterprises", { q: "0" }), mayRead("/warnings"), mayRead("/plans")]);
  $("tab-investigate").hidden = !enterprises;
  $("tab-warnings").hidden = !warnings;
  $("tab-plans").hidden = !plans;
  const first = [...document.querySelectorAll("nav.tabs:not(.sub) button")].find((tab) => !tab.hidden);
  if (first) first.click();
  else $("search-status").textContent = "此角色无可用页面 this role has no page here";
}

// Signing out (or an expired token) drops the token and everything the last user saw.
function leave() {
  signOut();
  current = null;
  for (const id of ["workspace", "who", "sign-out", "card", "search-results", "warning-history",
    "plan-detail"]) $(id).hidden = true;
  for (const id of ["search-status", "warnings-status-text", "plans-status-text"]) $(id).textContent = "";
  for (const body of document.querySelectorAll("#workspace tbody")) body.replaceChildren();
  $("search-q").value = "";
  $("sign-in").hidden = false;
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const error = $("sign-in-error");
  error.hidden = true;
  try {
    await signIn(form.get("username"), form.get("password"));
    event.target.reset();
    await enter();
  } catch (failure) {
    error.hidden = false;
    error.textContent = failure.status === 401
      ? "用户名或密码错误 wrong username or password" : String(failure.message);
  }
});
$("sign-out").addEventListener("click", leave);
window.addEventListener("riskgraph:unauthorised", leave);

// ---------------------------------------------------------------- views and tabs

function select(tabs, chosen) {
  for (const tab of tabs) tab.setAttribute("aria-selected", String(tab === chosen));
}

for (const tab of document.querySelectorAll("nav.tabs:not(.sub) button")) {
  tab.addEventListener("click", async () => {
    select(tab.parentElement.children, tab);
    for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${tab.dataset.view}`;
    try {
      if (tab.dataset.view === "warnings") await loadWarnings();
      if (tab.dataset.view === "plans") await loadPlans();
    } catch (error) {
      say($(`${tab.dataset.view}-status-text`), error);
    }
  });
}

for (const tab of document.querySelectorAll("nav.tabs.sub button")) {
  tab.addEventListener("click", () => {
    select(tab.parentElement.children, tab);
    $("pane-graph").hidden = tab.dataset.pane !== "graph";
    $("pane-penetration").hidden = tab.dataset.pane !== "penetration";
    if (tab.dataset.pane === "graph") graph.fit();
    if (tab.dataset.pane === "penetration") showPenetration();
  });
}

// ---------------------------------------------------------------- search

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("search-status");
  status.classList.remove("error");
  status.textContent = "搜索中 searching…";
  try {
    const body = await call("/enterprises", { query: { q: $("search-q").value.trim(), limit: 20 } });
    const items = body.items ?? [];
    status.textContent = `${items.length} 个结果 results`;
    $("search-results").hidden = !items.length;
    $("search-results").querySelector("tbody").replaceChildren(...items.map((item) => {
      const row = el("tr", { "data-uscc": item.uscc },
        el("td", {}, item.name), el("td", {}, item.uscc), el("td", {}, item.entity_type ?? ""),
        el("td", {}, item.region_code ?? ""), el("td", {}, labelOf(STATUS_LABELS, item.status)));
      row.addEventListener("click", () => openCard(item.uscc).catch((error) => say(status, error)));
      return row;
    }));
  } catch (error) {
    say(status, error);
  }
});

// ---------------------------------------------------------------- the card

$("graph-kinds").replaceChildren(...Object.entries(EDGE_KINDS).map(([kind, [zh, en]]) => el("label", {},
  el("input", { type: "checkbox", name: "kind", value: kind, checked: true }), ` ${zh} `,
  el("span", { class: "en" }, en))));

function graphFilters() {
  const all = [...document.querySelectorAll("#graph-kinds input")];
  const kinds = all.filter((box) => box.checked).map((box) => box.value);
  const share = Number($("graph-min-share").value || 0) / 100;
  return {
    kinds: kinds.length === all.length ? undefined : kinds,
    min_share: share > 0 ? share : undefined,
    as_of: $("graph-as-of").value || undefined,
  };
}

async function openCard(uscc) {
  current = uscc;
  const card = $("card");
  card.hidden = false;
  delete card.dataset.loaded;
  const path = `/enterprises/${encodeURIComponent(uscc)}`;
  const [profile, risk, history, records] = await Promise.all([
    call(path), call(`${path}/risk`).catch(missing), call(`${path}/risk/history`).catch(missing),
    call(`${path}/records`).catch(missing),
  ]);
  renderProfile(profile);
  renderRisk(risk ?? {});
  renderHistory(history?.items ?? []);
  renderRecords(records?.items ?? []);
  renderGraphReasons(risk?.graph_reasons ?? [], (reason) => {
    document.querySelector("nav.tabs.sub button[data-pane='graph']").click();
    const path = graph.reasonPath(reason);
    const shown = graph.highlightPath(path);
    if (!path.length) {
      $("graph-status").textContent = "图中未找到该原因的关联方 the party behind this reason is not in the graph shown";
    } else if (shown.missing) {
      $("graph-status").textContent =
        `路径上 ${shown.missing} 个节点不在当前图中 ${shown.missing} path nodes are outside the graph shown`;
    }
  });
  $("penetration-tree").replaceChildren();
  $("penetration-controller").replaceChildren();
  card.scrollIntoView({ behavior: "instant", block: "start" });
  $("graph-status").classList.remove("error");
  if (!$("pane-penetration").hidden) showPenetration();
  await graph.load(uscc, graphFilters(), Number($("graph-hops").value));
  card.dataset.loaded = "true";
}

// An enterprise without a snapshot yet has no risk: the card says so instead of failing.
function missing(error) {
  if (error.status === 404) return null;
  throw error;
}

$("graph-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!current) return;
  $("graph-status").classList.remove("error");
  graph.load(current, graphFilters(), Number($("graph-hops").value))
    .catch((error) => say($("graph-status"), error));
});
$("graph-layout").addEventListener("click", () => graph.layout());
$("graph-export-png").addEventListener("click", () => graph.exportPng());
$("graph-export-json").addEventListener("click", () => graph.exportJson());

function showPenetration() {
  if (!current) return;
  loadPenetration(current, $("card-name").textContent, $("penetration-direction").value,
    $("penetration-tree"), $("penetration-controller"))
    .catch((error) => say($("penetration-controller"), error));
}
$("penetration-form").addEventListener("submit", (event) => {
  event.preventDefault();
  showPenetration();
});
$("warnings-status").addEventListener("change", () => loadWarnings()
  .catch((error) => say($("warnings-status-text"), error)));

// For the browser console (and the end-to-end tests): the graph's Cytoscape instance.
window.riskgraph = { graph };

if (token()) enter().catch(leave);
