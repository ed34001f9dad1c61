// Ownership penetration as a tree: each party under the next one towards the enterprise on
// a shortest ownership chain (the API's ``parent``), with its cumulative share summed over
// every chain; the actual controller marked.
import { call } from "./api.js";
import { NODE_KINDS, both, el, percent } from "./labels.js";

function nodeView(node, controllerId) {
  const isController = node.id === controllerId;
  return el("span", { class: `node${isController ? " controller" : ""}`, "data-id": node.id },
    el("span", {}, node.label ?? node.id),
    el("span", { class: "muted small" }, NODE_KINDS[node.kind] ? both(NODE_KINDS[node.kind]) : node.kind ?? ""),
    node.cumulative_share !== undefined
      ? el("span", { class: "share", title: "累计持股 cumulative share" }, percent(node.cumulative_share, 2))
      : null,
    node.direct_share ? el("span", { class: "muted small" }, `直接 direct ${percent(node.direct_share, 2)}`) : null,
    node.paths > 1 ? el("span", { class: "muted small" }, `${node.paths} 条路径 paths`) : null,
    isController ? el("span", { class: "badge" }, "实际控制人 actual controller") : null);
}

export function renderTree(result, box, rootLabel) {
  const controllerId = result.controller?.id ?? null;
  const root = { id: result.root, label: rootLabel ?? result.root, kind: "enterprise" };
  const children = new Map();
  for (const node of result.nodes) {
    const parent = node.parent ?? root.id;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(node);
  }
  // ``seen`` guards against a parent chain that comes back to itself.
  const branch = (node, seen) => {
    const below = (children.get(node.id) ?? [])
      .filter((child) => !seen.has(child.id))
      .sort((a, b) => b.cumulative_share - a.cumulative_share);
    const item = el("li", {}, nodeView(node, controllerId));
    if (below.length) {
      const next = new Set(seen).add(node.id);
      item.append(el("ul", {}, below.map((child) => branch(child, next))));
    }
    return item;
  };
  box.replaceChildren(el("ul", {}, branch(root, new Set([root.id]))));
  if (result.truncated) {
    box.append(el("p", { class: "muted" }, "路径过多，累计持股为下限 too many paths: shares are lower bounds"));
  }
}

export async function loadPenetration(uscc, name, direction, box, controllerLine) {
  const path = encodeURIComponent(uscc);
  const result = await call(`/graph/penetration/${path}`, { query: { direction, depth: 10 } });
  renderTree(result, box, name);
  if (direction === "down") {
    controllerLine.replaceChildren(el("span", { class: "muted" },
      `对外投资 ${result.nodes.length} 家 holdings (实际控制人见向上穿透 the controller is found looking up)`));
    return result;
  }
  const controller = result.controller
    && (result.nodes.find((node) => node.id === result.controller.id) ?? result.controller);
  if (controller) {
    controllerLine.replaceChildren("实际控制人 Actual controller: ", el("strong", {}, controller.label),
      controller.cumulative_share !== undefined ? ` (${percent(controller.cumulative_share, 2)})` : "");
    return result;
  }
  // No controller: the controllers query says why (股权分散, 无股东登记 ...).
  const owners = await call(`/graph/controllers/${path}`);
  controllerLine.replaceChildren(el("span", { class: "muted" },
    `无实际控制人 none: ${owners.reason_zh ?? ""} / ${owners.reason ?? ""}`));
  return result;
}
