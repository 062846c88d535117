// Capacity insights on the workspace page: the forecast line on the daily chart, the minutes
// card, the weekday x hour heatmap and the what-if form. Runs after workspace.js has drawn a
// workspace (the "workspace:loaded" event), from the same JSON API and key.
import { ApiError, api, el, formatPct, getKey, root } from "./api.js";

const SVG = "http://www.w3.org/2000/svg";
const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const $ = (id) => document.getElementById(id);
let current = null;

function heatClass(pct) {
  if (pct === null || pct === undefined) return "";
  return `heat-${Math.min(5, Math.floor(pct / 20))}`;
}

/** A dashed line through each day's projected bookings, on the bars' own scale. */
function drawForecastLine(forecast) {
  const svg = $("chart").querySelector("svg");
  if (!svg) return;
  svg.querySelectorAll(".forecast-line").forEach((line) => line.remove());
  const points = [];
  for (const day of forecast.days) {
    const group = svg.querySelector(`g.day[data-date="${day.date}"]`);
    if (!group) continue;
    const booked = group.querySelector(".bar-booked");
    const available = group.querySelector(".bar-available");
    const capacity = day.bookedSlots + day.availableSlots;
    const bottom = Number(booked.getAttribute("y")) + Number(booked.getAttribute("height"));
    const top = Number(available.getAttribute("y"));
    const y = capacity ? bottom - (day.projectedBookedSlots / capacity) * (bottom - top) : bottom;
    const x = Number(booked.getAttribute("x")) + Number(booked.getAttribute("width")) / 2;
    points.push(`${x},${y}`);
  }
  if (points.length < 2) return;
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("class", "forecast-line");
  const title = document.createElementNS(SVG, "title");
  title.textContent = "Projected bookings per day";
  line.append(title);
  svg.append(line);
  const legend = document.querySelector(".chart-panel .legend");
  if (legend && !legend.querySelector(".forecast")) {
    legend.append(el("li", {}, el("span", { className: "swatch forecast" }), "Projected"));
  }
}

function renderForecast(forecast) {
  $("forecast-value").textContent = formatPct(forecast.projectedBookedPct);
  $("forecast-sub").textContent = forecast.firstFullDate
    ? `first full day ${forecast.firstFullDate}`
    : "no day projected full";
  const notes = forecast.confidence.notes.slice(1).join(" ");
  $("forecast-confidence").textContent = `Confidence: ${forecast.confidence.level}. ${notes}`.trim();
  drawForecastLine(forecast);
}

function renderMinutes(minutes) {
  $("minutes-value").textContent = formatPct(minutes.bookedMinutesPct);
  $("minutes-sub").textContent =
    `${Math.round(minutes.bookedMinutes)} of ${
      minutes.availableMinutes === null ? "?" : Math.round(minutes.bookedMinutes + minutes.availableMinutes)
    } minutes (slot count: ${formatPct(minutes.bookedPct)})`;
}

function renderHeatmap(heatmap) {
  $("heatmap-zone").textContent = `Local hours, ${heatmap.timezone}`;
  const cells = [el("div", { className: "hm-head", role: "columnheader", text: "" })];
  for (let hour = 0; hour < 24; hour += 1) {
    cells.push(el("div", { className: "hm-head", role: "columnheader", text: String(hour) }));
  }
  for (let weekday = 1; weekday <= 7; weekday += 1) {
    cells.push(el("div", { className: "hm-day", role: "rowheader", text: DAYS[weekday - 1] }));
    for (const cell of heatmap.window.cells.filter((c) => c.weekday === weekday)) {
      const total = cell.bookedSlots + cell.availableSlots;
      const label = total
        ? `${DAYS[weekday - 1]} ${cell.hour}:00: ${formatPct(cell.bookedPct)} booked (${cell.bookedSlots} of ${total})`
        : `${DAYS[weekday - 1]} ${cell.hour}:00: no slots`;
      cells.push(el("div", {
        className: `hm-cell ${total ? heatClass(cell.bookedPct) : ""}`.trim(),
        role: "cell", title: label, "aria-label": label,
        "data-cell": `${weekday}-${cell.hour}`,
      }));
    }
  }
  $("heatmap").replaceChildren(...cells);
}

async function postWhatIf(body) {
  const response = await fetch(
    `${root}/v1/workspaces/${encodeURIComponent(current.workspaceId)}/capacity/what-if`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${getKey()}`, Accept: "application/json",
        "Content-Type": "application/json",
      },
      body: JSON.stringify(body),
    });
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, payload && payload.error, payload && payload.detail);
  }
  return payload;
}

$("whatif-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!current) return;
  const form = new FormData(event.target);
  const change = Object.fromEntries(form.entries());
  change.weekday = Number(change.weekday);
  if (change.endTime === "00:00") change.endTime = "24:00";
  $("whatif-result").textContent = "Computing…";
  try {
    const result = await postWhatIf({ windowDays: current.windowDays, changes: [change] });
    const done = result.changes[0];
    $("whatif-result").textContent =
      `${formatPct(result.baseline.bookedPct)} → ${formatPct(result.projected.bookedPct)} booked ` +
      `(${done.slotsAdded} slots added, ${done.slotsRemoved} removed; by minutes ` +
      `${formatPct(result.baseline.bookedMinutesPct)} → ${formatPct(result.projected.bookedMinutesPct)}). ` +
      "Nothing was changed.";
  } catch (exc) {
    $("whatif-result").textContent = exc.message;
  }
});

document.addEventListener("workspace:loaded", async (event) => {
  current = event.detail;
  const path = `/v1/workspaces/${encodeURIComponent(current.workspaceId)}/capacity`;
  const params = { windowDays: current.windowDays };
  try {
    const [forecast, minutes, heatmap] = await Promise.all([
      api(`${path}/forecast`, params), api(`${path}/minutes`, params), api(`${path}/heatmap`, params),
    ]);
    $("insights").hidden = false;
    renderForecast(forecast);
    renderMinutes(minutes);
    renderHeatmap(heatmap);
    document.body.dataset.insightsLoaded = "true";
  } catch (exc) {
    $("insights").hidden = true;
  }
});
