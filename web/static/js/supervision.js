// The warnings inbox and the spot-check plans, for the roles the API lets see them.
import { call } from "./api.js";
import { el } from "./labels.js";

const $ = (id) => document.getElementById(id);

const WARNING_STATUS = {
  raised: "新预警 raised", assigned: "已分派 assigned", acted: "已处置 acted", closed: "已关闭 closed",
};

function text(zh, en) {
  return [zh ?? "", " ", el("span", { class: "en" }, en ?? "")];
}

// Whether the signed-in user may read ``path``: the API's roles decide, not the page.
export async function mayRead(path) {
  try {
    await call(path, { query: { limit: 1 } });
    return true;
  } catch (error) {
    if (error.status === 403) return false;
    throw error;
  }
}

export async function loadWarnings() {
  const status = $("warnings-status").value;
  const body = await call("/warnings", { query: { status } });
  const items = body.items ?? [];
  $("warnings-status-text").textContent = `${items.length} 条预警 warnings`;
  $("warnings-table").querySelector("tbody").replaceChildren(...items.map((warning) => {
    const row = el("tr", { "data-id": warning.id },
      el("td", {}, warning.id),
      el("td", {}, ...text(warning.rule_zh ?? warning.rule, warning.rule_en ?? "")),
      el("td", {}, warning.subject ?? "", el("div", { class: "small muted" }, (warning.enterprises ?? []).join(", "))),
      el("td", {}, ...text(warning.evidence_zh, warning.evidence_en)),
      el("td", {}, WARNING_STATUS[warning.status] ?? warning.status ?? ""));
    row.addEventListener("click", () => showHistory(warning.id));
    return row;
  }));
}

async function showHistory(id) {
  const body = await call(`/warnings/${encodeURIComponent(id)}/history`);
  const box = $("warning-history");
  box.hidden = false;
  box.replaceChildren(el("h3", {}, `处理记录 History · ${id}`), el("ol", {}, (body.items ?? []).map((entry) =>
    el("li", {}, `${entry.at ?? entry.time ?? ""} ${WARNING_STATUS[entry.status ?? entry.step] ?? entry.status ?? entry.step ?? ""} `,
      entry.by ?? entry.user ?? "", " ", entry.note ?? entry.outcome ?? entry.action ?? entry.to ?? ""))));
}

export async function loadPlans() {
  const body = await call("/plans");
  const items = body.items ?? [];
  $("plans-status-text").textContent = `${items.length} 个计划 plans`;
  $("plans-table").querySelector("tbody").replaceChildren(...items.map((plan) => {
    const row = el("tr", { "data-task": plan.task_id },
      el("td", {}, plan.task_id), el("td", {}, ...text(plan.title_zh, plan.title_en)),
      el("td", {}, plan.as_of ?? ""), el("td", {}, plan.drawn ?? plan.enterprises ?? ""));
    row.addEventListener("click", () => showPlan(plan.task_id));
    return row;
  }));
}

async function showPlan(taskId) {
  const plan = await call(`/plans/${encodeURIComponent(taskId)}`);
  const drawn = plan.drawn ?? plan.items ?? plan.enterprises ?? [];
  const box = $("plan-detail");
  box.hidden = false;
  box.replaceChildren(
    el("h3", {}, ...text(plan.title_zh ?? taskId, plan.title_en ?? "")),
    el("p", { class: "muted" }, `种子 seed ${plan.seed ?? ""} · 抽取 drawn ${drawn.length}`),
    el("table", { class: "results" },
      el("thead", {}, el("tr", {}, el("th", {}, "统一社会信用代码 USCC"), el("th", {}, "企业名称 Name"),
        el("th", {}, "检查人员 Inspectors"), el("th", {}, "结果 Outcome"))),
      el("tbody", {}, drawn.map((row) => el("tr", {}, el("td", {}, row.uscc), el("td", {}, row.name ?? ""),
        el("td", {}, Array.isArray(row.inspectors) ? row.inspectors.join(", ") : row.inspectors ?? ""),
        el("td", {}, row.outcome ?? ""))))));
}
