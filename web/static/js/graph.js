// The interactive related-party graph (Cytoscape.js, served from vendor/): expand and
// collapse enterprises, server-side filters, class colours, share and role on edges,
// the graph reasons' paths highlighted, export as PNG and JSON.
import cytoscape from "../vendor/cytoscape.esm.min.js";
import { call } from "./api.js";
import {
  CLASS_COLOURS, CLASS_LABELS, EDGE_KINDS, NO_CLASS_COLOUR, NODE_KINDS, both, el, percent,
} from "./labels.js";

const BASE = "base"; // the origin of the nodes of the centre's own network
const MAX_NODES = 300;

const STYLE = [
  { selector: "node", style: {
    label: "data(display)", "font-size": 13, "text-wrap": "wrap", "text-max-width": 140,
    "text-overflow-wrap": "anywhere",
    "text-valign": "bottom", "text-margin-y": 3, color: "#1d2630",
    "font-family": "Noto Sans CJK SC, sans-serif",
    "background-color": "data(colour)", width: 22, height: 22,
    "border-width": 1, "border-color": "#ffffff",
  } },
  { selector: "node[kind = 'enterprise']", style: { shape: "round-rectangle", width: 30, height: 22 } },
  { selector: "node[kind = 'person']", style: { shape: "ellipse" } },
  { selector: "node[kind != 'enterprise'][kind != 'person']",
    style: { shape: "diamond", width: 16, height: 16 } },
  { selector: "node.centre", style: { width: 44, height: 32, "border-width": 4, "border-color": "#1d2630",
    "font-weight": "bold" } },
  { selector: "node.expanded", style: { "border-width": 3, "border-style": "double",
    "border-color": "#1d2630" } },
  { selector: "edge", style: {
    label: "data(display)", "font-size": 10, color: "#4a5560", "text-rotation": "autorotate",
    "text-background-color": "#fcfdfe", "text-background-opacity": 0.85,
    "text-background-padding": 1, "font-family": "Noto Sans CJK SC, sans-serif",
    width: 1.4, "line-color": "#9aa6b2", "target-arrow-color": "#9aa6b2",
    "target-arrow-shape": "triangle", "arrow-scale": 0.8, "curve-style": "bezier",
  } },
  { selector: "edge[kind = 'shareholding']", style: { "line-color": "#6d5bd0",
    "target-arrow-color": "#6d5bd0", width: "mapData(share, 0, 1, 1.2, 5)" } },
  { selector: "edge[kind = 'contact']", style: { "line-style": "dashed", "target-arrow-shape": "none" } },
  { selector: ".dimmed", style: { opacity: 0.18 } },
  { selector: "node.highlight", style: { "border-width": 4, "border-color": "#7b2cbf", opacity: 1 } },
  { selector: "edge.highlight", style: { "line-color": "#7b2cbf", "target-arrow-color": "#7b2cbf",
    width: 5, opacity: 1, "z-index": 10 } },
];

function edgeLabel(edge) {
  const parts = [];
  if (edge.share !== null && edge.share !== undefined) parts.push(percent(edge.share));
  if (edge.role) parts.push(edge.role);
  else if (EDGE_KINDS[edge.kind] && edge.kind !== "shareholding") parts.push(EDGE_KINDS[edge.kind][0]);
  return parts.join(" ");
}

function nodeLabel(node) {
  const kind = NODE_KINDS[node.kind]?.[0] ?? node.kind;
  const tag = node.risk_class ? `${node.risk_class}类` : kind;
  return `${node.label ?? node.id}\n${tag}`;
}

function edgeId(edge) {
  return `${edge.source}|${edge.kind}|${edge.target}|${edge.role ?? ""}`;
}

export class GraphView {
  constructor({ container, legend, status, onError }) {
    this.container = container;
    this.status = status;
    this.onError = onError;
    this.cy = null;
    this.uscc = null;
    this.filters = {};
    this.origins = new Map(); // node id -> Set of origins (BASE or the expanded node's id)
    this.expanded = []; // expanded node ids, in the order the investigator expanded them
    this.truncated = false;
    this.renderLegend(legend);
  }

  renderLegend(legend) {
    legend.replaceChildren(
      el("h4", {}, "图例 ", el("span", { class: "en" }, "Legend")),
      ...Object.entries(CLASS_LABELS).map(([code, label]) => el("div", {},
        el("span", { class: "swatch square", style: `background:${CLASS_COLOURS[code]}` }),
        `${code} ${both(label)}`)),
      el("div", {}, el("span", { class: "swatch square", style: `background:${NO_CLASS_COLOUR}` }),
        "未分类 not classified"),
      el("p", { class: "small" }, "▭ 企业 enterprise · ○ 自然人 person · ◇ 地址/电话/邮箱 contact"),
      el("p", { class: "small" }, "紫色边：持股，粗细为持股比例 · purple edges: shareholdings, width by share"),
    );
  }

  ensure() {
    if (this.cy) return;
    this.cy = cytoscape({
      container: this.container, style: STYLE,
      minZoom: 0.1, maxZoom: 4,
    });
    this.cy.on("dbltap", "node[kind = 'enterprise']", (event) => {
      this.toggle(event.target.id()).catch(this.onError);
    });
    this.cy.on("tap", (event) => {
      if (event.target === this.cy) this.clearHighlight();
    });
  }

  query(uscc, hops) {
    return call(`/graph/network/${encodeURIComponent(uscc)}`, {
      query: { hops, max_nodes: MAX_NODES, ...this.filters },
    });
  }

  // Marks the graph busy while ``work`` runs (the status line says so; tests wait on it).
  async busy(work) {
    this.container.dataset.loading = "true";
    this.status.textContent = "加载中 loading…";
    try {
      return await work();
    } finally {
      delete this.container.dataset.loading;
      this.describe();
    }
  }

  // The centre's network with the current filters; expansions made before are made again.
  load(uscc, filters = this.filters, hops = this.hops ?? 2) {
    return this.busy(() => this.reload(uscc, filters, hops));
  }

  async reload(uscc, filters, hops) {
    this.ensure();
    const again = uscc === this.uscc ? [...this.expanded] : [];
    this.uscc = uscc;
    this.filters = filters;
    this.hops = hops;
    this.origins.clear();
    this.expanded = [];
    this.cy.elements().remove();
    const network = await this.query(uscc, hops);
    this.truncated = Boolean(network.truncated);
    this.add(network, BASE, 0);
    for (const id of again) {
      if (this.cy.getElementById(id).nonempty()) await this.grow(id);
    }
    this.layout();
  }

  // Adds what is not shown yet; ``depth``: hops from the centre to the network's own centre.
  add(network, origin, depth) {
    const added = [];
    for (const node of network.nodes) {
      const known = this.origins.get(node.id);
      if (known) {
        known.add(origin);
        continue;
      }
      this.origins.set(node.id, new Set([origin]));
      added.push({
        group: "nodes",
        data: {
          ...node, depth: depth + (node.depth ?? 0), display: nodeLabel(node),
          colour: CLASS_COLOURS[node.risk_class] ?? NO_CLASS_COLOUR,
        },
        classes: node.id === `enterprise:${this.uscc}` ? "centre" : "",
      });
    }
    const elements = this.cy.add(added);
    const edges = network.edges
      .filter((edge) => this.cy.getElementById(edgeId(edge)).empty())
      .map((edge) => ({ group: "edges", data: { ...edge, id: edgeId(edge), display: edgeLabel(edge) } }));
    this.cy.add(edges);
    return elements;
  }

  async toggle(id) {
    if (this.expanded.includes(id)) this.collapse(id);
    else await this.expand(id);
  }

  expand(id) {
    return this.busy(async () => {
      await this.grow(id);
      this.fit();
    });
  }

  // Adds the 1-hop network of enterprise node ``id`` around it.
  async grow(id) {
    const node = this.cy.getElementById(id);
    const uscc = node.data("uscc") ?? id.replace(/^enterprise:/, "");
    const network = await this.query(uscc, 1);
    const position = node.position();
    const added = this.add(network, id, node.data("depth") ?? 0);
    // New nodes go on a circle around the expanded one; nothing else moves, so the
    // investigator keeps the picture they had.
    const radius = 80 + 10 * added.length;
    added.forEach((item, index) => {
      const angle = (2 * Math.PI * index) / Math.max(added.length, 1);
      item.position({ x: position.x + radius * Math.cos(angle), y: position.y + radius * Math.sin(angle) });
    });
    this.expanded.push(id);
    node.addClass("expanded");
  }

  // Removes what expanding ``id`` brought in and nothing else holds (collapsing nested
  // expansions first).
  collapse(id) {
    this.expanded = this.expanded.filter((item) => item !== id);
    this.cy.getElementById(id).removeClass("expanded");
    for (const [node, origins] of [...this.origins]) {
      if (!origins.delete(id) || origins.size) continue;
      if (this.expanded.includes(node)) this.collapse(node);
      this.origins.delete(node);
      this.cy.getElementById(node).remove();
    }
    this.describe();
  }

  // Rings by hops from the centre: the centre in the middle, its direct parties around it.
  layout() {
    this.cy.layout({
      name: "concentric", animate: false, concentric: (node) => 10 - (node.data("depth") ?? 0),
      levelWidth: () => 1, minNodeSpacing: 28, spacingFactor: 1.3, padding: 20,
      startAngle: Math.PI / 2,
    }).run();
    this.cy.fit(undefined, 30);
  }

  describe() {
    const nodes = this.cy.nodes().length;
    const edges = this.cy.edges().length;
    const cut = this.truncated ? ` · 已截断（节点上限 ${MAX_NODES}）truncated at ${MAX_NODES} nodes` : "";
    this.status.textContent =
      `${nodes} 个节点 nodes · ${edges} 条关系 edges · 已展开 expanded ${this.expanded.length}${cut}`;
  }

  // Highlights a graph reason's path: node ids from the enterprise to the neighbour.
  highlightPath(path) {
    this.clearHighlight();
    const nodes = this.cy.collection(path.map((id) => this.cy.getElementById(id)).filter((n) => n.nonempty()));
    let edges = this.cy.collection();
    for (let index = 0; index + 1 < path.length; index += 1) {
      const [a, b] = [path[index], path[index + 1]];
      edges = edges.union(this.cy.edges().filter((edge) =>
        (edge.data("source") === a && edge.data("target") === b)
        || (edge.data("source") === b && edge.data("target") === a)));
    }
    this.cy.elements().addClass("dimmed");
    nodes.union(edges).removeClass("dimmed").addClass("highlight");
    return { nodes: nodes.length, edges: edges.length, missing: path.length - nodes.length };
  }

  // The path of a graph reason: the API's ``path`` when the snapshot has one; otherwise
  // the shown party the reason names (its label in the text), within two hops of the centre.
  reasonPath(reason) {
    if (reason.path?.length) return reason.path;
    const centre = this.cy.getElementById(`enterprise:${this.uscc}`);
    const named = (node) => node.data("label") && reason.text_zh.includes(node.data("label"));
    const longest = (nodes) => nodes.filter(named).sort((a, b) => b.data("label").length - a.data("label").length)[0];
    const near = longest(centre.neighborhood("node").toArray());
    if (near) return [centre.id(), near.id()];
    for (const middle of centre.neighborhood("node").toArray()) {
      const far = longest(middle.neighborhood("node").toArray().filter((node) => node.id() !== centre.id()));
      if (far) return [centre.id(), middle.id(), far.id()];
    }
    return [];
  }

  clearHighlight() {
    this.cy?.elements().removeClass("dimmed highlight");
  }

  fit() {
    this.cy?.resize();
    this.cy?.fit(undefined, 30);
  }

  exportPng() {
    const blob = this.cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff" });
    download(blob, `riskgraph-${this.uscc}.png`);
  }

  toJSON() {
    return {
      uscc: this.uscc,
      filters: { hops: this.hops, ...this.filters },
      expanded: [...this.expanded],
      truncated: this.truncated,
      nodes: this.cy.nodes().map((node) => {
        const { display, colour, ...data } = node.data();
        return { ...data, position: node.position() };
      }),
      edges: this.cy.edges().map((edge) => {
        const { display, ...data } = edge.data();
        return data;
      }),
    };
  }

  exportJson() {
    const text = JSON.stringify(this.toJSON(), null, 2);
    download(new Blob([text], { type: "application/json" }), `riskgraph-${this.uscc}.json`);
  }
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
