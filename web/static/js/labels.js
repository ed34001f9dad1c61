// zh-CN labels with the English beside them (design section 8), and the class colours.
export const CLASS_LABELS = {
  A: ["低风险", "low risk"],
  B: ["一般风险", "general risk"],
  C: ["较高风险", "higher risk"],
  D: ["高风险", "high risk"],
};
export const CLASS_COLOURS = { A: "#2f9e5b", B: "#3d7cc9", C: "#e69526", D: "#d43d3d" };
export const NO_CLASS_COLOUR = "#9aa3ad";

export const NODE_KINDS = {
  enterprise: ["企业", "enterprise"],
  person: ["自然人", "person"],
  address: ["地址", "address"],
  phone: ["电话", "phone"],
  email: ["邮箱", "e-mail"],
};

// Relationship kinds of the network endpoint, in the order the filter shows them.
export const EDGE_KINDS = {
  shareholding: ["持股", "shareholding"],
  legal_rep: ["法定代表人", "legal representative"],
  officer: ["高管", "officer"],
  branch: ["分支机构", "branch"],
  contact: ["共用联系方式", "shared contact"],
};

export const STATUS_LABELS = {
  operating: ["存续", "operating"],
  suspended: ["停业", "suspended"],
  revoked: ["吊销", "revoked"],
  cancelled: ["注销", "cancelled"],
};

export function both([zh, en]) {
  return `${zh} ${en}`;
}

export function labelOf(table, key) {
  return table[key] ? both(table[key]) : key ?? "";
}

export function percent(value, digits = 1) {
  return value === null || value === undefined ? "" : `${(value * 100).toFixed(digits)}%`;
}

// Elements built from data: text goes in as text, never as HTML.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function bilingual(zh, en) {
  return [zh, " ", el("span", { class: "en" }, en)];
}
