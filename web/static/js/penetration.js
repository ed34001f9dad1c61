// Ownership penetration as a tree: each party under the one it holds (up) or is held by
// (down), with its cumulative share; the actual controller marked.
import { call } from "./api.js";
import { NODE_KINDS, both, el, percent } from "./labels.js";

function controllerIdOf(result) {
  const controller = result.controller;
  if (!controller) return null;
  return typeof controller === "string" ? controller : controller.id;
}

function nodeView(node, controllerId) {
  const isController = node.id === controllerId;
  return el("span", { class: `node${isController ? " controller" : ""}`, "data-id": node.id },
    el("span", {}, node.label ?? node.id),
    el("span", { class: "muted small" }, NODE_KINDS[node.kind] ? both(NODE_KINDS[node.kind]) : node.kind ?? ""),
    node.cumulative_share !== undefined && node.cumulative_share !== null
      ? el("span", { class: "share", title: "累计持股 cumulative share" }, percent(node.cumulative_share, 2))
      : null,
    node.direct_share ? el("span", { class: "muted small" }, `直接 direct ${percent(node.direct_share, 2)}`) : null,
    isController ? el("span", { class: "badge" }, "实际控制人 actual controller") : null);
}

export function renderTree(result, box, controllerLine) {
  const controllerId = controllerIdOf(result);
  const byParent = new Map();
  const root = result.nodes.find((node) => node.id === result.root) ?? { id: result.root, label: result.root };
  for (const node of result.nodes) {
    if (node.id === root.id) continue;
    const parent = node.parent ?? root.id;
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(node);
  }
  // A party reached along several paths appears under each of its parents; ``seen`` stops
  // a branch that would come back to itself.
  const branch = (node, seen) => {
    const children = (byParent.get(node.id) ?? [])
      .filter((child) => !seen.has(child.id))
      .sort((a, b) => (b.cumulative_share ?? 0) - (a.cumulative_share ?? 0));
    const item = el("li", {}, nodeView(node, controllerId));
    if (children.length) {
      const next = new Set(seen).add(node.id);
      item.append(el("ul", {}, children.map((child) => branch(child, next))));
    }
    return item;
  };
  box.replaceChildren(el("ul", {}, branch(root, new Set())));
  const controller = result.nodes.find((node) => node.id === controllerId)
    ?? (typeof result.controller === "object" ? result.controller : null);
  controllerLine.replaceChildren(controller
    ? el("span", {}, "实际控制人 Actual controller: ", el("strong", {}, controller.label ?? controller.id),
      controller.cumulative_share !== undefined ? ` (${percent(controller.cumulative_share, 2)})` : "")
    : el("span", { class: "muted" }, result.controller_reason_zh || result.reason_zh
      ? `无实际控制人 none: ${result.controller_reason_zh ?? result.reason_zh} / ${result.controller_reason ?? result.reason ?? ""}`
      : "未识别实际控制人 no actual controller identified"));
}

export async function loadPenetration(uscc, direction, box, controllerLine) {
  const result = await call(`/graph/penetration/${encodeURIComponent(uscc)}`, {
    query: { direction, depth: 10 },
  });
  renderTree(result, box, controllerLine);
  return result;
}
