// The workspace dashboard: KPI cards, the capacity tooltip, the daily chart, the window selector.
import {
  ApiError, api, el, formatAge, formatCount, formatDate, formatPct, root, setSessionLabel,
  showError, withKey,
} from "./api.js";
import { drawDailyChart } from "./chart.js";
import { attachTooltip } from "./tooltip.js";

const WINDOWS = [7, 14, 30, 60, 90];
const UNATTRIBUTED_NOTE =
  "These may be historical bookings waiting for backfill or bookings on calendars not " +
  "configured here.";
const SOURCE_LABELS = { DEFAULT: "DEFAULT", DIRECT_BOOK: "DIRECT_BOOK" };
const PROVIDER_LABELS = { ghl: "HighLevel calendar", calendly: "Calendly event type" };

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(window.location.search);
const state = {
  windowDays: WINDOWS.includes(Number(params.get("window"))) ? Number(params.get("window")) : 30,
  workspaceId: params.get("workspace"),
};

function syncUrl() {
  const query = new URLSearchParams();
  if (state.workspaceId) query.set("workspace", state.workspaceId);
  if (state.windowDays !== 30) query.set("window", String(state.windowDays));
  const search = query.size ? `?${query}` : "";
  window.history.replaceState(null, "", `${window.location.pathname}${search}`);
}

function renderWindowSelector() {
  for (const button of $("window-selector").querySelectorAll("button")) {
    const selected = Number(button.dataset.days) === state.windowDays;
    button.setAttribute("aria-checked", String(selected));
    button.tabIndex = selected ? 0 : -1;
  }
}

function sourceProblems(meta) {
  const problems = [];
  if (!meta) return problems;
  if (meta.lastError) problems.push(`the last refresh failed: ${meta.lastError}`);
  if (meta.isStale) {
    problems.push(meta.fetchedAtIso
      ? `availability was last fetched ${formatAge(meta.fetchedAtIso)}`
      : "availability has never been fetched");
  }
  return problems;
}

/** One sentence naming every source whose data is stale or whose last refresh failed. */
function staleWarning(capacity) {
  const lines = [];
  for (const [source, figures] of Object.entries(capacity.breakdown || {})) {
    if (!figures || !figures.identifier) continue;
    const problems = sourceProblems(figures.cacheMeta);
    if (problems.length) lines.push(`${SOURCE_LABELS[source] || source}: ${problems.join("; ")}`);
  }
  if (!lines.length) {
    const problems = sourceProblems(capacity.cacheMeta);
    if (problems.length) lines.push(problems.join("; "));
  }
  if (!lines.length) return "";
  return `Availability data may be out of date, so % booked may be wrong. ${lines.join(". ")}.`;
}

/** The tooltip's headline; the sources below it say which one and why. */
function shortWarning(capacity) {
  const metas = [capacity.cacheMeta, ...Object.values(capacity.breakdown || {})
    .filter((figures) => figures && figures.identifier).map((figures) => figures.cacheMeta)];
  const failed = metas.some((meta) => meta && meta.lastError);
  const oldest = capacity.cacheMeta && capacity.cacheMeta.fetchedAtIso;
  const reason = failed
    ? "the last availability refresh failed"
    : oldest ? `availability data is stale (fetched ${formatAge(oldest)})` : "availability has never been fetched";
  return `${reason.charAt(0).toUpperCase()}${reason.slice(1)}, so % booked may be wrong.`;
}

function renderSource(container, source, figures) {
  const title = el("h3", { text: SOURCE_LABELS[source] || source });
  if (!figures || !figures.identifier) {
    container.replaceChildren(title, el("p", { className: "muted", text: "Not configured" }));
    return;
  }
  const rows = el("table", {},
    el("tbody", {},
      el("tr", {}, el("th", { scope: "row", text: "Booked" }), el("td", { text: formatCount(figures.bookedSlots) })),
      el("tr", {}, el("th", { scope: "row", text: "Available" }), el("td", { text: formatCount(figures.availableSlots) })),
      el("tr", {}, el("th", { scope: "row", text: "Total" }), el("td", { text: formatCount(figures.totalSlots) })),
    ));
  const problems = sourceProblems(figures.cacheMeta);
  container.replaceChildren(
    title,
    el("p", { className: "pct", text: formatPct(figures.bookedPct) }),
    el("p", {
      className: "ident",
      title: figures.identifier,
      text: `${PROVIDER_LABELS[figures.provider] || figures.provider || ""} ${figures.identifier}`.trim(),
    }),
    rows,
  );
  if (problems.length) {
    container.append(el("p", { className: "stale", text: `⚠ ${problems.join("; ")}` }));
  }
}

function renderCapacity(capacity) {
  const days = capacity.windowDays || state.windowDays;
  $("capacity-title").textContent = `Capacity (${days}d)`;
  const value = $("capacity-value");
  value.textContent = formatPct(capacity.bookedPct);
  value.dataset.bookedPct = capacity.bookedPct === null ? "" : String(capacity.bookedPct);
  $("capacity-sub").textContent = capacity.totalSlots
    ? `${formatCount(capacity.bookedSlots)} of ${formatCount(capacity.totalSlots)} slots booked`
    : "No bookable slots in this window";

  const warning = staleWarning(capacity);
  $("capacity-flag").hidden = !warning;
  $("tooltip-warning").hidden = !warning;
  $("tooltip-warning").textContent = warning ? `⚠ ${shortWarning(capacity)}` : "";
  $("stale-banner").hidden = !warning;
  $("stale-banner").textContent = warning;
  $("capacity-card").setAttribute(
    "aria-label", `Capacity (${days}d): ${formatPct(capacity.bookedPct)} booked${warning ? " (data may be out of date)" : ""}`,
  );

  $("tt-booked").textContent = formatCount(capacity.bookedSlots);
  $("tt-available").textContent = formatCount(capacity.availableSlots);
  $("tt-total").textContent = formatCount(capacity.totalSlots);
  for (const source of Object.keys(SOURCE_LABELS)) {
    renderSource($(`tt-source-${source}`), source, (capacity.breakdown || {})[source]);
  }
  const unattributed = capacity.unattributedBookedSlots || 0;
  $("tt-unattributed").replaceChildren(
    el("strong", { text: `${formatCount(unattributed)} unattributed booking${unattributed === 1 ? "" : "s"}` }),
    " (not in the %). ",
    el("span", { className: "muted", text: UNATTRIBUTED_NOTE }),
  );
  const meta = capacity.cacheMeta || {};
  $("tt-freshness").textContent = meta.fetchedAtIso
    ? `Availability fetched ${formatAge(meta.fetchedAtIso)} (${formatDate(meta.fetchedAtIso)}).`
    : "Availability has never been fetched.";

  $("window-range").textContent = capacity.windowStartIso
    ? `Next ${days} days: ${formatDate(capacity.windowStartIso)} – ${formatDate(capacity.windowEndIso)}`
    : "";
  const daily = (capacity.daily || []).map((d) => ({
    date: d.date, booked: d.bookedSlots, available: d.availableSlots,
  }));
  drawDailyChart($("chart"), daily);
  $("chart-table").querySelector("tbody").replaceChildren(
    ...daily.map((d) => el("tr", {}, el("td", { text: d.date }), el("td", { text: d.booked }), el("td", { text: d.available }))),
  );
}

function card(id, title, value, sub) {
  return el("article", { className: "card", id, "data-card": id },
    el("h2", { className: "card-title", text: title }),
    el("p", { className: "card-value", text: value }),
    sub ? el("p", { className: "card-sub", text: sub }) : null);
}

/** The cards after "Capacity": seven more make two rows of four on a wide screen. */
function otherCards(analytics) {
  const capacity = analytics.capacity || {};
  const appointments = analytics.appointments || {};
  const leads = analytics.leads || {};
  const ahead = capacity.windowDays || state.windowDays;
  const past = (analytics.period && analytics.period.days) || state.windowDays;
  return [
    card("card-booked-slots", "Booked slots", formatCount(capacity.bookedSlots),
      `confirmed, next ${ahead} days`),
    card("card-open-slots", "Open slots", formatCount(capacity.availableSlots),
      `still bookable, next ${ahead} days`),
    card("card-unattributed", "Unattributed bookings",
      formatCount(capacity.unattributedBookedSlots), "next " + ahead + " days, not in the %"),
    card("card-leads", "Leads", formatCount(leads.total),
      `${formatCount(leads.newInPeriod)} new in the last ${past} days`),
    card("card-appointments", "Bookings made", formatCount(appointments.booked),
      `in the last ${past} days`),
    card("card-canceled", "Canceled / rescheduled",
      `${formatCount(appointments.canceled)} / ${formatCount(appointments.rescheduled)}`,
      `appointments of the last ${past} days`),
    card("card-shows", "Showed / no-show",
      `${formatCount(appointments.showed)} / ${formatCount(appointments.noShow)}`,
      `appointments of the last ${past} days`),
  ];
}

async function loadWorkspace() {
  renderWindowSelector();
  syncUrl();
  let analytics;
  try {
    analytics = await api(`/v1/workspaces/${encodeURIComponent(state.workspaceId)}/analytics`,
      { windowDays: state.windowDays });
  } catch (exc) {
    if (exc instanceof ApiError && (exc.status === 404 || exc.status === 422)) {
      showError(exc.status === 404
        ? "This workspace does not exist or this key cannot see it."
        : exc.message);
      return;
    }
    throw exc;
  }
  showError("");
  const grid = $("kpis");
  grid.replaceChildren($("capacity-card"), ...otherCards(analytics));
  if (analytics.capacity) renderCapacity(analytics.capacity);
  document.dispatchEvent(new CustomEvent("workspace:loaded", {
    detail: { workspaceId: state.workspaceId, windowDays: state.windowDays },
  }));
  document.body.dataset.loaded = "true";
}

async function showPicker() {
  $("workspace-picker").hidden = false;
  $("kpis").hidden = true;
  document.querySelector(".chart-panel").hidden = true;
  $("window-selector").hidden = true;
  $("workspace-name").textContent = "Workspaces";
  const page = await api("/v1/admin/workspaces", { limit: 500 });
  $("workspace-list").replaceChildren(...page.items.map((w) => el("li", {},
    el("a", { href: `${root}/dashboard?workspace=${encodeURIComponent(w.id)}`, text: w.name }))));
  if (!page.items.length) {
    $("workspace-list").replaceChildren(el("li", { className: "muted", text: "No workspaces yet." }));
  }
  document.body.dataset.loaded = "true";
}

for (const button of $("window-selector").querySelectorAll("button")) {
  button.addEventListener("click", () => {
    state.windowDays = Number(button.dataset.days);
    loadWorkspace().catch((exc) => showError(exc.message));
  });
}
$("window-selector").addEventListener("keydown", (event) => {
  const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
  if (!step) return;
  event.preventDefault();
  const index = WINDOWS.indexOf(state.windowDays);
  state.windowDays = WINDOWS[(index + step + WINDOWS.length) % WINDOWS.length];
  renderWindowSelector();
  $("window-selector").querySelector(`[data-days="${state.windowDays}"]`).focus();
  loadWorkspace().catch((exc) => showError(exc.message));
});
attachTooltip($("capacity-card"), $("capacity-tooltip"));

withKey(async () => {
  const me = await api("/v1/me");
  if (me.admin) {
    setSessionLabel("Admin");
    if (!state.workspaceId) {
      await showPicker();
      return;
    }
    try {
      const workspace = await api(`/v1/admin/workspaces/${encodeURIComponent(state.workspaceId)}`);
      $("workspace-name").textContent = workspace.name;
    } catch (exc) {
      if (!(exc instanceof ApiError) || exc.status === 401) throw exc;
    }
  } else {
    state.workspaceId = me.workspaceId;
    setSessionLabel(me.workspaceName || "Workspace key");
    $("workspace-name").textContent = me.workspaceName || "Workspace";
  }
  document.title = `${$("workspace-name").textContent} · capacity-service`;
  await loadWorkspace();
});
