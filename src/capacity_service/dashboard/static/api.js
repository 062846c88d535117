// The pages' only way to the data: the JSON API with the key kept in this tab's session storage.
const KEY_NAME = "capacity-service.apiKey";

export const root = document.body.dataset.root || "";

export function getKey() {
  return sessionStorage.getItem(KEY_NAME);
}

function setKey(key) {
  sessionStorage.setItem(KEY_NAME, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_NAME);
}

export class ApiError extends Error {
  constructor(status, error, detail) {
    super(detail || `request failed with HTTP ${status}`);
    this.status = status;
    this.error = error;
  }
}

export async function api(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  }
  const url = `${root}${path}${query.size ? `?${query}` : ""}`;
  let response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${getKey()}`, Accept: "application/json" },
      cache: "no-store",
    });
  } catch (exc) {
    throw new ApiError(0, "network_error", "The service could not be reached.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch (exc) {
    body = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, body && body.error, body && body.detail);
  }
  return body;
}

const $ = (id) => document.getElementById(id);

export function showError(message) {
  const banner = $("page-error");
  banner.textContent = message;
  banner.hidden = !message;
}

function showPrompt(message) {
  $("content").hidden = true;
  $("session").hidden = true;
  $("key-prompt").hidden = false;
  const error = $("key-error");
  error.textContent = message || "";
  error.hidden = !message;
  $("key-input").value = "";
  $("key-input").focus();
}

/**
 * Run `start` once a key is known: from this tab's session, or typed into the prompt.
 * `start` receives a `signOut(message)` to call when the API refuses the key.
 */
export function withKey(start) {
  const signOut = (message) => {
    forgetKey();
    showPrompt(message);
  };
  const begin = async () => {
    $("key-prompt").hidden = true;
    $("content").hidden = false;
    $("session").hidden = false;
    showError("");
    try {
      await start(signOut);
    } catch (exc) {
      if (exc instanceof ApiError && exc.status === 401) {
        signOut("That key was not accepted. Check it and try again.");
      } else {
        showError(exc.message || String(exc));
      }
    }
  };
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("key-input").value.trim();
    if (!key) return;
    setKey(key);
    begin();
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  if (getKey()) begin();
  else showPrompt("");
}

export function setSessionLabel(text) {
  $("session-label").textContent = text;
}

export function formatPct(value) {
  if (value === null || value === undefined) return "–";
  return `${Number(value.toFixed(1))}%`;
}

export function formatCount(value) {
  if (value === null || value === undefined) return "–";
  return Number(value).toLocaleString("en-US");
}

export function formatAge(iso) {
  if (!iso) return "never fetched";
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 90) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} minutes ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} hours ago`;
  return `${Math.round(hours / 24)} days ago`;
}

export function formatDate(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("en-GB", {
    timeZone: "UTC", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit",
  }) + " UTC";
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
