// Daily booked and available slots as stacked bars, drawn as inline SVG (no chart library).
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 960;
const HEIGHT = 260;
const PAD = { top: 12, right: 12, bottom: 28, left: 44 };

function node(tag, attrs = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

function niceStep(max, ticks) {
  const raw = Math.max(1, max) / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return Math.max(1, nice * power);
}

function shortDate(isoDate) {
  const [, month, day] = isoDate.split("-").map(Number);
  const names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return `${day} ${names[month - 1]}`;
}

/** Replace the content of `container` with a chart of `days` = [{date, booked, available}]. */
export function drawDailyChart(container, days) {
  const svg = node("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "xMidYMid meet", focusable: "false",
  });
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const totals = days.map((d) => d.booked + d.available);
  const max = Math.max(0, ...totals);
  if (!days.length || max === 0) {
    svg.append(node("text", { x: WIDTH / 2, y: HEIGHT / 2, "text-anchor": "middle", class: "empty" },
      "No slots in this window yet"));
    container.replaceChildren(svg);
    return;
  }
  const step = niceStep(max, 4);
  const top = Math.ceil(max / step) * step;
  const y = (value) => PAD.top + plotH - (value / top) * plotH;
  for (let tick = 0; tick <= top; tick += step) {
    svg.append(node("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(tick), y2: y(tick), class: "axis" }));
    svg.append(node("text", { x: PAD.left - 6, y: y(tick) + 4, "text-anchor": "end" }, String(tick)));
  }
  const slot = plotW / days.length;
  const barW = Math.max(1, slot * 0.72);
  const labelEvery = Math.ceil(days.length / 12);
  days.forEach((day, index) => {
    const x = PAD.left + index * slot + (slot - barW) / 2;
    const group = node("g", { class: "day", "data-date": day.date });
    group.append(node("title", {}, `${day.date}: ${day.booked} booked, ${day.available} available`));
    const bookedTop = y(day.booked);
    group.append(node("rect", {
      x, y: bookedTop, width: barW, height: y(0) - bookedTop, class: "bar-booked",
    }));
    const availableTop = y(day.booked + day.available);
    group.append(node("rect", {
      x, y: availableTop, width: barW, height: bookedTop - availableTop, class: "bar-available",
    }));
    svg.append(group);
    if (index % labelEvery === 0) {
      svg.append(node("text", {
        x: x + barW / 2, y: HEIGHT - PAD.bottom + 16, "text-anchor": "middle",
      }, shortDate(day.date)));
    }
  });
  container.replaceChildren(svg);
}
