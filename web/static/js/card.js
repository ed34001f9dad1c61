// The enterprise card: class, scores, the five dimensions, reasons, history by month and
// the records on a timeline.
import {
  CLASS_COLOURS, CLASS_LABELS, NO_CLASS_COLOUR, STATUS_LABELS, bilingual, both, el, labelOf, percent,
} from "./labels.js";

const $ = (id) => document.getElementById(id);

function number(value, digits = 1) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(digits);
}

export function renderProfile(profile) {
  const registration = profile.registration ?? {};
  $("card-name").textContent = registration.name ?? profile.uscc;
  $("card-uscc").textContent = profile.uscc;
  $("card-meta").textContent = [
    registration.entity_type, registration.region_code,
    registration.status ? labelOf(STATUS_LABELS, registration.status) : null,
  ].filter(Boolean).join(" · ");
  const people = (items) => items.map((item) => item.person.label
    + (item.person.id_masked ? ` (${item.person.id_masked})` : "") + (item.role ? ` ${item.role}` : ""));
  const rows = [
    ["成立日期", "established", registration.established],
    ["行业代码", "industry", registration.industry_code],
    ["注册资本（元）", "registered capital", registration.registered_capital],
    ["实缴资本（元）", "paid-in capital", registration.paid_in_capital],
    ["住所", "address", registration.address],
    ["法定代表人", "legal representative", people(profile.legal_representatives ?? []).join("；")],
    ["股东", "shareholders", (profile.shareholders ?? []).slice(0, 5).map((holding) =>
      `${holding.holder.label} ${percent(holding.share)}`).join("；")
      + ((profile.shareholders ?? []).length > 5 ? ` … 共 ${profile.shareholders.length} 名` : "")],
    ["高管", "officers", people(profile.officers ?? []).join("；")],
  ];
  $("card-registration").replaceChildren(...rows
    .filter(([, , value]) => value !== undefined && value !== null && value !== "")
    .flatMap(([zh, en, value]) => [el("dt", {}, ...bilingual(zh, en)), el("dd", {}, String(value))]));
}

export function renderRisk(risk) {
  const badge = $("card-class");
  badge.className = `class-badge class-${risk.risk_class ?? "none"}`;
  badge.replaceChildren(
    el("strong", {}, risk.risk_class ?? "—"),
    risk.risk_class ? both(CLASS_LABELS[risk.risk_class]) : "未分类 not classified",
  );
  $("card-month").textContent = risk.month ? `（${risk.month}）` : "";
  const rows = [
    ["最终得分", "final score", number(risk.final_score)],
    ["基础评分", "base score", number(risk.base_score)],
    ["图风险加分", "graph uplift", number(risk.graph_uplift)],
  ];
  $("card-scores").replaceChildren(...rows.flatMap(([zh, en, value]) => [
    el("dt", {}, ...bilingual(zh, en)), el("dd", {}, value)]));
  $("card-dimensions").replaceChildren(...(risk.dimensions ?? []).map((dimension) => el(
    "div", { class: "row", "data-code": dimension.code },
    el("span", {}, ...bilingual(dimension.name_zh, dimension.name_en)),
    el("span", { class: "bar" }, el("span", { style: `width:${Math.max(0, Math.min(100, dimension.score))}%` })),
    el("span", { class: "value" }, number(dimension.score)),
  )));
  $("card-rule").replaceChildren(...(risk.rule ? [el("strong", {}, "规则定级 rule: "), risk.rule, " · ",
    risk.rule_record_zh ?? "", " ", el("span", { class: "en" }, risk.rule_record_en ?? "")] : []));
  const counterfactual = risk.counterfactual;
  $("card-counterfactual").replaceChildren(...(counterfactual?.text_zh ? ["降一级所需 to move one class lower: ",
    counterfactual.text_zh, " ", el("span", { class: "en" }, counterfactual.text_en)] : []));
  const reasons = risk.reasons ?? [];
  $("card-reasons").replaceChildren(...(reasons.length ? reasons.map((reason) => el("li", {},
    reason.text_zh, " ", el("span", { class: "en" }, reason.text_en)))
    : [el("li", { class: "muted" }, "无 none")]));
}

// Graph reasons; a click on one calls ``onSelect(reason, item)`` (highlight its path).
export function renderGraphReasons(reasons, onSelect) {
  const list = $("card-graph-reasons");
  if (!reasons?.length) {
    list.replaceChildren(el("li", { class: "muted" }, "无图风险加分 no graph uplift"));
    return;
  }
  list.replaceChildren(...reasons.map((reason) => {
    const item = el("li", { class: "clickable", title: (reason.path ?? []).join(" → ") },
      reason.text_zh, " ", el("span", { class: "en" }, reason.text_en));
    item.addEventListener("click", () => {
      for (const other of list.children) other.classList.remove("active");
      item.classList.add("active");
      onSelect(reason, item);
    });
    return item;
  }));
}

// Final score by month as a small SVG line with the class at each point.
export function renderHistory(items) {
  const box = $("card-history");
  if (!items?.length) {
    box.replaceChildren(el("p", { class: "muted" }, "无历史快照 no monthly snapshots"));
    return;
  }
  const ns = "http://www.w3.org/2000/svg";
  const svg = (tag, attributes = {}, text) => {
    const node = document.createElementNS(ns, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const width = 480;
  const height = 180;
  const left = 34;
  const bottom = 30;
  const step = items.length > 1 ? (width - left - 50) / (items.length - 1) : 0;
  const x = (index) => left + 10 + index * step;
  const y = (score) => 10 + (1 - Math.max(0, Math.min(100, score)) / 100) * (height - bottom - 10);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": "月度最终得分 final score by month" });
  for (const tick of [0, 25, 50, 75, 100]) {
    chart.append(svg("line", { x1: left, x2: width - 5, y1: y(tick), y2: y(tick), stroke: "#e3e7eb" }));
    chart.append(svg("text", { x: left - 4, y: y(tick) + 3, "text-anchor": "end", "font-size": 9,
      fill: "#5f6b78" }, String(tick)));
  }
  const points = items.map((item, index) => `${x(index)},${y(item.final_score ?? 0)}`).join(" ");
  chart.append(svg("polyline", { points, fill: "none", stroke: "#7b2cbf", "stroke-width": 1.5 }));
  const labelEvery = Math.ceil(items.length / 8);
  items.forEach((item, index) => {
    const colour = CLASS_COLOURS[item.risk_class] ?? NO_CLASS_COLOUR;
    const dot = svg("circle", { cx: x(index), cy: y(item.final_score ?? 0), r: 5, fill: colour,
      "data-month": item.month });
    dot.append(svg("title", {}, `${item.month}: ${item.risk_class ?? "—"} ${number(item.final_score)}`));
    chart.append(dot);
    chart.append(svg("text", { x: x(index), y: y(item.final_score ?? 0) - 8, "text-anchor": "middle",
      "font-size": 9, fill: colour }, item.risk_class ?? ""));
    if (index % labelEvery === 0 || index === items.length - 1) {
      chart.append(svg("text", { x: x(index), y: height - 10, "text-anchor": "middle", "font-size": 9,
        fill: "#5f6b78" }, item.month));
    }
  });
  box.replaceChildren(chart);
}

export function renderRecords(items) {
  const list = $("card-records");
  if (!items?.length) {
    list.replaceChildren(el("li", { class: "muted" }, "无记录 no records"));
    return;
  }
  const ordered = [...items].sort((a, b) => String(b.date).localeCompare(String(a.date)));
  list.replaceChildren(...ordered.map((record) => el("li", { "data-kind": record.kind },
    el("time", { datetime: record.date }, record.date ?? ""),
    record.label_zh ?? record.kind, " ", el("span", { class: "en" }, record.label_en ?? ""))));
}
