// The cross-client list: every workspace's % booked, most constrained first (admin token).
import {
  ApiError, api, el, formatAge, formatCount, formatPct, root, setSessionLabel, showError, withKey,
} from "./api.js";

const WINDOWS = [7, 14, 30, 60, 90];
const PAGE_SIZE = 100;
const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(window.location.search);

function clampThreshold(value) {
  const number = Number(value);
  if (!Number.isFinite(number) || value === "" || value === null) return 80;
  return Math.min(100, Math.max(0, number));
}

const state = {
  windowDays: WINDOWS.includes(Number(params.get("window"))) ? Number(params.get("window")) : 30,
  thresholdPct: clampThreshold(params.get("threshold") ?? 80),
  offset: 0,
};

function syncControls() {
  $("window-select").value = String(state.windowDays);
  $("threshold-input").value = String(state.thresholdPct);
  const query = new URLSearchParams();
  if (state.windowDays !== 30) query.set("window", String(state.windowDays));
  if (state.thresholdPct !== 80) query.set("threshold", String(state.thresholdPct));
  window.history.replaceState(null, "", `${window.location.pathname}${query.size ? `?${query}` : ""}`);
}

function sourcePct(item, source) {
  const figures = (item.breakdown || {})[source];
  if (!figures || !figures.identifier) return el("span", { className: "muted", text: "—" });
  return formatPct(figures.bookedPct);
}

function freshness(item) {
  const meta = item.cacheMeta || {};
  const cell = [];
  if (meta.lastError) cell.push(el("span", { className: "badge danger", text: "refresh failed" }), " ");
  if (meta.isStale) cell.push(el("span", { className: "badge", text: "stale" }), " ");
  cell.push(el("span", { className: "muted", text: meta.fetchedAtIso ? formatAge(meta.fetchedAtIso) : "never fetched" }));
  return cell;
}

function row(item) {
  const link = `${root}/dashboard?workspace=${encodeURIComponent(item.workspaceId)}` +
    (state.windowDays !== 30 ? `&window=${state.windowDays}` : "");
  return el("tr", { className: item.constrained ? "constrained" : null, "data-workspace-id": item.workspaceId },
    el("td", {},
      el("a", { href: link, text: item.workspaceName || item.workspaceId }),
      item.constrained ? el("span", { className: "visually-hidden", text: " (constrained)" }) : null),
    el("td", { className: "num pct-combined", text: formatPct(item.bookedPct) }),
    el("td", { className: "num" }, sourcePct(item, "DEFAULT")),
    el("td", { className: "num" }, sourcePct(item, "DIRECT_BOOK")),
    el("td", { className: "num", text: `${formatCount(item.bookedSlots)} / ${formatCount(item.totalSlots)}` }),
    el("td", {}, ...freshness(item)),
  );
}

async function load() {
  syncControls();
  let page;
  try {
    page = await api("/v1/admin/capacity", {
      windowDays: state.windowDays, thresholdPct: state.thresholdPct, limit: PAGE_SIZE, offset: state.offset,
    });
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 403) {
      showError("This list needs the admin token; a workspace key opens its own dashboard.");
      return;
    }
    throw exc;
  }
  showError("");
  const body = $("capacity-table").querySelector("tbody");
  body.replaceChildren(...page.items.map(row));
  if (!page.items.length) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 6, className: "muted", text: "No workspaces yet." })));
  }
  const constrained = page.constrainedCount ?? page.items.filter((item) => item.constrained).length;
  $("list-summary").textContent =
    `${formatCount(page.total)} client${page.total === 1 ? "" : "s"}; ` +
    `${formatCount(constrained)} at or over ${state.thresholdPct}% booked in the next ${state.windowDays} days.`;
  $("pager").hidden = page.total <= PAGE_SIZE;
  $("page-label").textContent =
    `${page.offset + 1}–${page.offset + page.items.length} of ${formatCount(page.total)}`;
  $("prev-page").disabled = page.offset === 0;
  $("next-page").disabled = page.offset + page.items.length >= page.total;
  document.body.dataset.loaded = "true";
}

const reload = () => load().catch((exc) => showError(exc.message));

$("list-controls").addEventListener("submit", (event) => {
  event.preventDefault();
  state.windowDays = Number($("window-select").value);
  state.thresholdPct = clampThreshold($("threshold-input").value);
  state.offset = 0;
  reload();
});
$("window-select").addEventListener("change", () => {
  state.windowDays = Number($("window-select").value);
  state.offset = 0;
  reload();
});
$("prev-page").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE_SIZE); reload(); });
$("next-page").addEventListener("click", () => { state.offset += PAGE_SIZE; reload(); });

withKey(async () => {
  const me = await api("/v1/me");
  if (!me.admin) {
    setSessionLabel(me.workspaceName || "Workspace key");
    showError("This list needs the admin token; a workspace key sees only its own dashboard.");
    $("capacity-table").hidden = true;
    const link = el("a", { href: `${root}/dashboard`, text: "Open your workspace's dashboard" });
    $("list-summary").replaceChildren(link);
    return;
  }
  setSessionLabel("Admin");
  await load();
});
