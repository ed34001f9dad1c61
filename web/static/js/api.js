// The HTTP API v1 client: the bearer token lives in sessionStorage (this tab only),
// never in a URL; every failure is an ApiError carrying the API's problem object.
const BASE = "/api/v1";
const TOKEN_KEY = "riskgraph.token";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function failure(response) {
  let problem = null;
  try {
    problem = await response.json();
  } catch {
    // not JSON (a proxy's page): the status says enough
  }
  return new ApiError(response.status, problem);
}

export async function signIn(username, password) {
  const response = await fetch(`${BASE}/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password }),
  });
  if (!response.ok) throw await failure(response);
  const body = await response.json();
  sessionStorage.setItem(TOKEN_KEY, body.access_token);
  return body;
}

// GET (or another method with a JSON body) on an API path; query values that are
// null, undefined or "" are left out; arrays repeat the parameter.
export async function call(path, { query = {}, method = "GET", body } = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== null && item !== undefined && item !== "") params.append(name, item);
    }
  }
  const url = `${BASE}${path}${params.toString() ? `?${params}` : ""}`;
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const error = await failure(response);
    if (response.status === 401) window.dispatchEvent(new CustomEvent("riskgraph:unauthorised"));
    throw error;
  }
  return response.status === 204 ? null : response.json();
}
