// The wallboard's chart of the last hours: for each clock hour of today (the server sends up to
// eight, oldest first), three bars side by side: calls offered, answered and abandoned. Plain SVG
// drawn here (no chart library, no inline styles: the page's Content-Security-Policy forbids
// them); colours come from classes in desk.css. Each bar carries its figure in a <title>.

const SVG = "http://www.w3.org/2000/svg";
const SERIES = ["offered", "answered", "abandoned"];
const WIDTH = 640;
const HEIGHT = 180;
const AXIS = 22; // room under the bars for the hour labels
const TOP = 8;

function svg(tag, attributes = {}) {
  const made = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, String(value));
  return made;
}

/** A rounded-up maximum so the bars keep their scale while counts creep up. */
function scaleTop(hours) {
  const most = Math.max(1, ...hours.flatMap((hour) => SERIES.map((name) => hour[name] ?? 0)));
  const step = most <= 5 ? 1 : most <= 20 ? 5 : most <= 100 ? 10 : 50;
  return Math.ceil(most / step) * step;
}

/**
 * Draw `hours` ([{start, offered, answered, abandoned}]) into the <svg> `chart`; `label(key)`
 * translates, `hourLabel(iso)` writes an hour.
 */
export function renderHoursChart(chart, hours, label, hourLabel) {
  chart.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  const plotHeight = HEIGHT - AXIS - TOP;
  const top = scaleTop(hours);
  const slot = WIDTH / Math.max(1, hours.length);
  const bar = (slot * 0.8) / SERIES.length;
  const parts = [svg("line", { x1: 0, y1: HEIGHT - AXIS, x2: WIDTH, y2: HEIGHT - AXIS, class: "axis" })];
  hours.forEach((hour, index) => {
    const group = svg("g", { "data-hour": hour.start });
    SERIES.forEach((name, n) => {
      const value = hour[name] ?? 0;
      const height = (value / top) * plotHeight;
      const rect = svg("rect", {
        x: index * slot + slot * 0.1 + n * bar,
        y: HEIGHT - AXIS - height,
        width: Math.max(1, bar - 2),
        height,
        class: `bar bar-${name}`,
        "data-series": name,
        "data-value": value,
      });
      const title = svg("title");
      title.textContent = `${hourLabel(hour.start)} · ${label(`sup.${name}`)}: ${value}`;
      rect.append(title);
      group.append(rect);
    });
    const text = svg("text", { x: index * slot + slot / 2, y: HEIGHT - 6, class: "hour-label" });
    text.textContent = hourLabel(hour.start);
    group.append(text);
    parts.push(group);
  });
  chart.replaceChildren(...parts);
  chart.setAttribute("aria-label", label("sup.last_hours"));
}

/** The legend's entries: one per series, in the bars' colours. */
export function hoursLegend(label) {
  return SERIES.map((name) => {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch bar-${name}`;
    item.append(swatch, document.createTextNode(label(`sup.${name}`)));
    return item;
  });
}
