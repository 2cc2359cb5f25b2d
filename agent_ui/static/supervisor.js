// The supervisor wallboard (/supervisor): per queue, who waits now and the longest wait (pushed
// over the websocket), today's service level with a green/amber/red gauge, ASA, answered and
// abandoned (GET /api/reports/live, fetched when a push says calls moved, and every 15 s), the
// agents' states per queue and center-wide, and the agent board with time in state, where a
// supervisor can force a pause (with a reason) or log an agent out.

import { api, noteServerTime, serverNow } from "./api.js";
import { hoursLegend, renderHoursChart } from "./hours_chart.js";
import { count, duration, onLanguageChange, percent, t, timeOfDay, tOr } from "./i18n.js";
import { LiveLink } from "./live.js";
import { $, element, isStaff, showLinkStatus, showNotice, startPage } from "./page.js";

const TICK_MS = 1000;
const FIGURES_EVERY_MS = 15_000;
const FIGURES_SETTLE_MS = 1_500; // one fetch for a burst of changes
// Service level colours: green from 80 % (the usual 80/20 target), amber from 70 %, else red.
const SL_GREEN_FROM = 0.8;
const SL_AMBER_FROM = 0.7;
const CALL_STATES = new Set(["on-call", "wrap-up"]);
const AGENT_STATES = ["available", "reserved", "on-call", "wrap-up", "paused"];
const QUEUE_AGENT_STATES = [
  ["available", "sup.available"],
  ["on-call", "sup.on_call"],
  ["wrap-up", "sup.wrap_up"],
  ["paused", "sup.paused"],
];

const state = {
  agents: new Map(), // agent id → agent (as pushed)
  queues: new Map(), // queue → {queue, waiting, oldest_since (server epoch s) | null}
  figures: null, // GET /api/reports/live
  figuresTimer: null,
  fetching: false,
  pauseReasons: [], // the center's pause reasons (from the board)
  figuresFailed: false, // the notice shows the figures' fetch error
};

// --- what the server says --------------------------------------------------------------------

function onHello(hello) {
  if (!hello.board) {
    showNotice(t("error.not_supervisor"));
    return;
  }
  noteServerTime(hello.board.as_of);
  state.agents = new Map(hello.board.agents.map((agent) => [agent.agent_id, agent]));
  state.pauseReasons = hello.board.pause_reasons ?? [];
  state.queues = new Map();
  for (const queue of hello.board.queues) putQueue(queue, hello.board.as_of);
  render();
  refreshFigures();
}

function putQueue(queue, asOf) {
  const waited = queue.longest_wait_s;
  state.queues.set(queue.queue, {
    queue: queue.queue,
    waiting: queue.waiting,
    oldest_since: waited === null || waited === undefined ? null : asOf - waited,
  });
}

function onMessage(message) {
  if (message.type === "queue") {
    putQueue(message, serverNow());
    figuresSoon();
  } else if (message.type === "agent") {
    const { type: _type, ...agent } = message;
    const before = state.agents.get(agent.agent_id);
    state.agents.set(agent.agent_id, agent);
    // A call ended (records are written as the agent leaves wrap-up): today's figures moved.
    if (CALL_STATES.has(before?.state) && !CALL_STATES.has(agent.state)) figuresSoon();
  } else {
    return;
  }
  render();
}

function figuresSoon() {
  if (state.figuresTimer === null) {
    state.figuresTimer = setTimeout(refreshFigures, FIGURES_SETTLE_MS);
  }
}

async function refreshFigures() {
  clearTimeout(state.figuresTimer);
  state.figuresTimer = null;
  if (state.fetching) return figuresSoon();
  state.fetching = true;
  try {
    state.figures = await api("/api/reports/live");
    if (state.figuresFailed) showNotice(""); // clear our own error, not another message
    state.figuresFailed = false;
    render();
  } catch (error) {
    state.figuresFailed = true;
    showNotice(t("error.generic", { detail: error.message }));
  } finally {
    state.fetching = false;
  }
}

// --- drawing ---------------------------------------------------------------------------------

function slLevel(share) {
  if (share === null || share === undefined) return "none";
  if (share >= SL_GREEN_FROM) return "good";
  if (share >= SL_AMBER_FROM) return "warn";
  return "bad";
}

/** Agents by state; `queue` limits it to the agents serving that queue (when known). */
function agentCounts(queue) {
  const counts = Object.fromEntries(AGENT_STATES.map((s) => [s, 0]));
  for (const agent of state.agents.values()) {
    if (queue !== undefined && !agent.queues?.includes(queue)) continue;
    if (agent.state in counts) counts[agent.state] += 1;
  }
  return counts;
}

function knowsQueueMembers() {
  return [...state.agents.values()].some((agent) => Array.isArray(agent.queues));
}

function render() {
  renderTotals();
  const figures = new Map((state.figures?.queues ?? []).map((row) => [row.queue, row]));
  const names = [...state.queues.keys()];
  $("queues").replaceChildren(...names.map((name) => queueTile(name, figures.get(name))));
  $("no-queues").hidden = names.length > 0;
  renderAgents();
  renderHoursChart($("hours-chart"), state.figures?.hours ?? [], t, hourOfDay);
  $("hours-legend").replaceChildren(...hoursLegend(t));
  const asOf = state.figures?.as_of;
  $("as-of").textContent = asOf ? t("sup.as_of", { time: timeOfDay(Date.parse(asOf) / 1000) }) : "";
  tick();
}

/** "09:00" for an ISO time with offset: the hour as the center's clock shows it. */
function hourOfDay(iso) {
  return iso.slice(11, 16);
}

function renderTotals() {
  const counts = agentCounts();
  const waiting = [...state.queues.values()].reduce((sum, queue) => sum + queue.waiting, 0);
  $("total-waiting").textContent = count(waiting);
  $("total-logged-in").textContent = count(Object.values(counts).reduce((a, b) => a + b, 0));
  for (const s of AGENT_STATES) $(`total-${s}`).textContent = count(counts[s]);
  $("total-answered").textContent = count(state.figures?.center.answered);
  $("total-abandoned").textContent = count(state.figures?.center.abandoned);
}

function fact(labelKey, field, value) {
  const box = element("div");
  const dd = element("dd", value);
  dd.dataset.field = field;
  box.append(element("dt", t(labelKey)), dd);
  return box;
}

function queueTile(name, row) {
  const live = state.queues.get(name);
  const tile = element("article", undefined, "queue-tile");
  tile.dataset.queue = name;
  tile.dataset.level = slLevel(row?.service_level);
  tile.append(element("h3", name));
  const big = element("dl", undefined, "big-figures");
  big.append(fact("sup.waiting", "waiting", count(live.waiting)), fact("sup.longest", "longest", "–"));
  tile.append(big, serviceLevel(row));
  const kpis = element("dl", undefined, "mini-figures");
  kpis.append(
    fact("sup.asa", "asa", row ? duration(row.asa_s) : "–"),
    fact("sup.answered", "answered", count(row?.answered)),
    fact("sup.abandoned", "abandoned", count(row?.abandoned)),
  );
  tile.append(kpis);
  if (knowsQueueMembers()) tile.append(queueAgents(name));
  return tile;
}

function serviceLevel(row) {
  const box = element("div", undefined, "service-level");
  const label = element("span", t("sup.sl"));
  const threshold = state.figures?.threshold_s;
  if (threshold) label.append(" ", element("small", t("sup.sl_within", { s: threshold })));
  const gauge = element("meter");
  Object.assign(gauge, { min: 0, max: 1, low: SL_AMBER_FROM, high: SL_GREEN_FROM, optimum: 1 });
  gauge.value = row?.service_level ?? 0;
  gauge.setAttribute("aria-label", t("sup.sl"));
  const value = element("strong", percent(row?.service_level));
  value.dataset.field = "sl";
  box.append(label, gauge, value);
  return box;
}

function queueAgents(name) {
  const counts = agentCounts(name);
  const list = element("dl", undefined, "mini-figures agents");
  for (const [s, key] of QUEUE_AGENT_STATES) list.append(fact(key, `agents-${s}`, count(counts[s])));
  return list;
}

function stateLabel(agent) {
  const name = t(`state.${agent.state}`);
  if (agent.state !== "paused" || !agent.reason) return name;
  return t("state.paused_for", { reason: tOr(`reason.${agent.reason}`, agent.reason) });
}

function renderAgents() {
  const agents = [...state.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
  const rows = agents.map((agent) => {
    const row = element("tr");
    row.dataset.agent = agent.agent_id;
    const badge = element("span", stateLabel(agent), "state-badge");
    badge.dataset.state = agent.state;
    const since = element("td", "–");
    since.dataset.field = "time";
    const stateCell = element("td");
    stateCell.append(badge);
    row.append(element("td", agent.name), stateCell, since, actionsCell(agent));
    return row;
  });
  $("agents").replaceChildren(...rows);
}

/** Force a pause (reason chosen beside it) or a log-out; nothing for a logged-out agent. */
function actionsCell(agent) {
  const cell = element("td", undefined, "agent-actions");
  if (agent.state === "logged-out") return cell;
  const reason = element("select");
  reason.setAttribute("aria-label", t("agent.pause_reason"));
  reason.dataset.field = "reason";
  for (const key of state.pauseReasons) {
    const option = element("option", tOr(`reason.${key}`, key));
    option.value = key;
    reason.append(option);
  }
  const pause = element("button", t("sup.force_pause"));
  pause.dataset.action = "pause";
  pause.disabled = agent.state === "paused" || state.pauseReasons.length === 0;
  pause.addEventListener("click", () =>
    act(agent, "pause", t("sup.force_pause"), { reason: reason.value }),
  );
  const logout = element("button", t("sup.force_logout"));
  logout.dataset.action = "logout";
  logout.addEventListener("click", () => {
    if (!confirm(t("sup.confirm_logout", { name: agent.name }))) return;
    act(agent, "logout", t("sup.force_logout"));
  });
  cell.append(reason, pause, logout);
  return cell;
}

async function act(agent, action, label, body) {
  const path = `/api/supervisor/agents/${encodeURIComponent(agent.agent_id)}/${action}`;
  try {
    await api(path, { method: "POST", body });
    showNotice(t("sup.acted", { action: label, name: agent.name }));
  } catch (error) {
    showNotice(error.message);
  }
}

/** The clocks: longest waits and times in state. */
function tick() {
  const now = serverNow();
  for (const tile of $("queues").children) {
    const since = state.queues.get(tile.dataset.queue)?.oldest_since;
    tile.querySelector('[data-field="longest"]').textContent =
      since === null || since === undefined ? "–" : duration(now - since);
  }
  for (const row of $("agents").children) {
    const agent = state.agents.get(row.dataset.agent);
    const cell = row.querySelector('[data-field="time"]');
    cell.textContent = agent?.since && agent.state !== "logged-out" ? duration(now - agent.since) : "–";
  }
}

async function main() {
  const user = await startPage();
  if (user === null) return;
  if (!isStaff(user)) {
    showNotice(t("error.not_supervisor"));
    return;
  }
  onLanguageChange(render);
  render();
  new LiveLink({ onHello, onMessage, onStatus: showLinkStatus }).start();
  setInterval(tick, TICK_MS);
  setInterval(refreshFigures, FIGURES_EVERY_MS);
}

main();
