// The warnings inbox and the spot-check plans, for the roles the API lets see them.
import { call } from "./api.js";
import { CLASS_LABELS, el } from "./labels.js";

const $ = (id) => document.getElementById(id);

const WARNING_STATUS = {
  open: "新预警 open", assigned: "已分派 assigned", in_progress: "处置中 in progress",
  closed: "已关闭 closed",
};
const WARNING_EVENTS = {
  raised: "触发 raised", assigned: "分派 assigned", acted: "处置 acted", closed: "关闭 closed",
};
const CHECK_MODES = { on_site: "现场检查 on-site", off_site: "非现场检查 off-site" };

function text(zh, en) {
  return [zh ?? "", " ", el("span", { class: "en" }, en ?? "")];
}

// Whether the signed-in user may read ``path``: the API's roles decide, not the page.
export async function mayRead(path, query = {}) {
  try {
    await call(path, { query: { limit: 1, ...query } });
    return true;
  } catch (error) {
    if (error.status === 403) return false;
    throw error;
  }
}

export async function loadWarnings() {
  const body = await call("/warnings", { query: { status: $("warnings-status").value } });
  const items = body.items ?? [];
  $("warnings-status-text").textContent = `${items.length} 条预警 warnings`;
  $("warnings-table").querySelector("tbody").replaceChildren(...items.map((warning) => {
    const row = el("tr", { "data-id": warning.warning_id },
      el("td", {}, warning.warning_id, el("div", { class: "small muted" }, warning.as_of)),
      el("td", {}, ...text(warning.label_zh, warning.label_en)),
      el("td", {}, warning.subject, el("div", { class: "small muted" }, warning.enterprises.join(", "))),
      el("td", {}, ...text(warning.evidence_zh, warning.evidence_en)),
      el("td", {}, WARNING_STATUS[warning.status] ?? warning.status),
      el("td", {}, warning.assignee));
    row.addEventListener("click", () => showHistory(warning.warning_id)
      .catch((error) => { $("warnings-status-text").textContent = error.message; }));
    return row;
  }));
}

const ACTIONS = {
  reminder: "提醒 reminder", warning_letter: "警示函 warning letter", interview: "约谈 interview",
  inspection: "检查 inspection",
};

async function showHistory(id) {
  const body = await call(`/warnings/${encodeURIComponent(id)}/history`);
  const box = $("warning-history");
  box.hidden = false;
  const closed = body.items.some((entry) => entry.event === "closed");
  box.replaceChildren(el("h3", {}, `处理记录 History · ${id}`), el("ol", {}, body.items.map((entry) =>
    el("li", {}, el("time", {}, entry.at ?? ""), " ", WARNING_EVENTS[entry.event] ?? entry.event, " ",
      [entry.to, ACTIONS[entry.action] ?? entry.action, entry.outcome, entry.note, entry.by]
        .filter(Boolean).join(" · ")))),
  closed ? null : handling(id));
}

// Assign (分派), act (处置) and close (办结): each step is appended to the warning's log.
function handling(id) {
  const step = (path, fields, label) => {
    const form = el("form", { class: "filters", "data-step": path }, ...fields,
      el("button", { type: "submit" }, label));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = Object.fromEntries(new FormData(form));
      try {
        await call(`/warnings/${encodeURIComponent(id)}/${path}`, { method: "POST", body: values });
        await loadWarnings();
        await showHistory(id);
      } catch (error) {
        $("warnings-status-text").textContent = `${error.status ?? ""} ${error.message}`;
      }
    });
    return form;
  };
  return el("div", {},
    step("assign", [el("label", {}, "分派给 ", el("span", { class: "en" }, "Assign to"),
      el("input", { name: "to", required: true, maxlength: 200 }))], "分派 Assign"),
    step("act", [el("label", {}, "处置 ", el("span", { class: "en" }, "Action"),
      el("select", { name: "action" }, Object.entries(ACTIONS).map(([value, text]) =>
        el("option", { value }, text)))),
    el("label", {}, "说明 ", el("span", { class: "en" }, "Note"), el("input", { name: "note", maxlength: 2000 }))],
    "记录处置 Record action"),
    step("close", [el("label", {}, "办结结果 ", el("span", { class: "en" }, "Outcome"),
      el("input", { name: "outcome", required: true, maxlength: 2000 }))], "办结 Close"));
}

export async function loadPlans() {
  const body = await call("/plans");
  const items = body.items ?? [];
  $("plans-status-text").textContent = `${items.length} 个计划 plans`;
  $("plan-detail").hidden = true;
  $("plans-table").querySelector("tbody").replaceChildren(...items.map((plan) => {
    const row = el("tr", { "data-task": plan.task_id },
      el("td", {}, plan.task_id), el("td", {}, ...text(plan.title_zh, plan.title_en)),
      el("td", {}, plan.as_of), el("td", {}, plan.status === "drawn" ? "已抽取 drawn" : "待抽取 created"),
      el("td", {}, plan.drawn), el("td", {}, plan.outcomes));
    row.addEventListener("click", () => showPlan(plan.task_id)
      .catch((error) => { $("plans-status-text").textContent = error.message; }));
    return row;
  }));
}

async function showPlan(taskId) {
  const detail = await call(`/plans/${encodeURIComponent(taskId)}`);
  const { summary, plan, enterprises } = detail;
  const box = $("plan-detail");
  box.hidden = false;
  box.replaceChildren(
    el("h3", {}, ...text(summary.title_zh, summary.title_en)),
    el("p", { class: "muted" }, `种子 seed ${plan.seed ?? ""} · 抽取 drawn ${enterprises.length} · `
      + "分类与检查方式仅供内部 class and check mode are internal"),
    el("table", { class: "results" },
      el("thead", {}, el("tr", {}, el("th", {}, "统一社会信用代码 USCC"), el("th", {}, "企业名称 Name"),
        el("th", {}, "分类 Class"), el("th", {}, "检查方式 Mode"), el("th", {}, "检查组 Team"))),
      el("tbody", {}, enterprises.map((row) => el("tr", {}, el("td", {}, row.uscc), el("td", {}, row.name ?? ""),
        el("td", {}, row.risk_class ? `${row.risk_class} ${CLASS_LABELS[row.risk_class]?.[0] ?? ""}` : ""),
        el("td", {}, CHECK_MODES[row.check_mode] ?? row.check_mode ?? ""),
        el("td", {}, Array.isArray(row.team) ? row.team.join("、") : row.team ?? ""))))));
}
