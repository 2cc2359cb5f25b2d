// The agent desktop (/agent): presence (log in, Ready, Pause with a reason), the ringing banner
// with the screen-pop, the call, wrap-up with disposition codes and a countdown, and customer
// search.
//
// The server owns the state. Buttons only send requests (POST /api/desk/...); what changed comes
// back over the websocket, and the page draws what the server last said. Each (re)connection
// starts from the server's snapshot, and while the link is down the page shows its state as
// stale and offers no actions.

import { api, serverNow } from "./api.js";
import { duration, onLanguageChange, t, tOr } from "./i18n.js";
import { LiveLink } from "./live.js";
import { cardByNumber, mountSearch, renderCard } from "./screenpop.js";
import { $, element, showLinkStatus, showNotice, startPage } from "./page.js";

const TICK_MS = 1000;
const IDLE_STATES = new Set(["available", "paused", "logged-out"]);
const PAUSABLE = new Set(["available", "paused", "on-call", "wrap-up"]);
const ACTION_BUTTONS = [
  "desk-login", "desk-ready", "desk-pause", "desk-logout",
  "accept", "reject", "hangup", "wrap-extend", "wrap-ready",
];

const state = {
  desk: null, // {agent, call, pause_reasons}: the server's word
  ringing: null, // the ringing banner's message for the call offered now
  cards: new Map(), // call id → screen-pop card (null: unknown caller)
  chosen: new Map(), // call id → the disposition picked
  live: false,
  busy: false,
};

// --- what the server says --------------------------------------------------------------------

function onHello(hello) {
  if (!hello.desk) {
    state.desk = null;
    showNotice(t("error.not_agent"));
  } else {
    applyDesk(hello.desk);
  }
  render();
}

function applyDesk(desk) {
  state.desk = { agent: desk.agent, call: desk.call, pause_reasons: desk.pause_reasons ?? [] };
  const agent = desk.agent;
  for (const calls of [state.cards, state.chosen]) {
    for (const callId of calls.keys()) if (callId !== desk.call?.call_id) calls.delete(callId);
  }
  if (agent.state !== "reserved") state.ringing = null;
  else if (state.ringing?.call.call_id !== agent.call_id && desk.call) {
    // Reconnected while ringing: the snapshot has the call, not the banner's extras.
    const call = desk.call;
    const waited = call.queued_at === null ? null : agent.since - call.queued_at;
    state.ringing = { call, queue: call.queue, waited_s: waited, rang_at: agent.since };
  }
  lookUpMissingCard();
}

const CHANGES = {
  desk: (message) => applyDesk(message),
  agent: (message) => {
    const { type: _type, ...agent } = message;
    state.desk.agent = agent;
    if (agent.state !== "reserved") state.ringing = null;
    if (IDLE_STATES.has(agent.state)) forgetCall();
  },
  ringing: (message) => {
    state.ringing = message;
    state.cards.set(message.call.call_id, message.customer ?? null);
    state.desk.call = message.call;
  },
  connected: (message) => {
    state.desk.call = message.call;
    lookUpMissingCard();
  },
  "call-finished": (message) => {
    const onThatCall = state.desk.call?.call_id === message.call_id;
    if (onThatCall && state.desk.agent.state !== "wrap-up") forgetCall();
  },
  refused: (message) => showNotice(t("error.refused", { reason: message.reason })),
};

function onMessage(message) {
  const apply = CHANGES[message.type];
  if (!apply || (state.desk === null && message.type !== "desk")) return;
  apply(message);
  render();
}

function forgetCall() {
  const callId = state.desk.call?.call_id;
  state.cards.delete(callId);
  state.chosen.delete(callId);
  state.desk.call = null;
}

function lookUpMissingCard() {
  const call = state.desk?.call;
  if (!call || state.cards.has(call.call_id)) return;
  state.cards.set(call.call_id, undefined); // looking it up (once)
  cardByNumber(call.ani).then(
    (card) => {
      if (state.cards.has(call.call_id)) state.cards.set(call.call_id, card);
      render();
    },
    () => state.cards.delete(call.call_id),
  );
}

function onStatus(status) {
  state.live = status === "live";
  showLinkStatus(status);
  renderButtons();
}

// --- drawing ---------------------------------------------------------------------------------

function stateLabel(agent) {
  const name = t(`state.${agent.state}`);
  if (agent.state !== "paused" || !agent.reason) return name;
  return t("state.paused_for", { reason: tOr(`reason.${agent.reason}`, agent.reason) });
}

function render() {
  const agent = state.desk?.agent ?? { state: "logged-out", since: null };
  const call = state.desk?.call ?? null;
  $("state-name").dataset.state = agent.state;
  $("state-name").textContent = state.desk ? stateLabel(agent) : "–";
  $("ringing").hidden = !(agent.state === "reserved" && state.ringing);
  $("call").hidden = !(agent.state === "on-call" && call);
  $("wrap").hidden = agent.state !== "wrap-up";
  const showsCall = ["reserved", "on-call", "wrap-up"].includes(agent.state) && call;
  renderCard(showsCall ? state.cards.get(call.call_id) : undefined);
  if (state.ringing) renderRinging(state.ringing);
  if (call) renderCall(call);
  if (agent.state === "wrap-up") renderWrapUp(agent);
  renderPauseReasons(state.desk?.pause_reasons ?? []);
  renderButtons();
  tick();
}

function renderRinging(ringing) {
  $("ring-caller").textContent = ringing.call.ani;
  $("ring-queue").textContent = ringing.queue || "–";
  $("ring-waited").textContent = duration(ringing.waited_s);
}

function renderCall(call) {
  $("call-caller").textContent = call.ani;
  $("call-queue").textContent = call.queue || "–";
}

function renderWrapUp(agent) {
  const chosen = state.chosen.get(agent.call_id);
  const buttons = agent.dispositions.map((code) => {
    const button = element("button", code, code === chosen ? "choice chosen" : "choice");
    button.type = "button";
    button.setAttribute("aria-pressed", String(code === chosen));
    button.addEventListener("click", () => chooseDisposition(agent.call_id, code));
    return button;
  });
  $("dispositions").replaceChildren(...buttons);
  $("no-dispositions").hidden = agent.dispositions.length > 0;
  $("wrap-chosen").hidden = !chosen;
  $("wrap-chosen").textContent = chosen ? t("wrap.chosen", { disposition: chosen }) : "";
}

function renderPauseReasons(reasons) {
  const select = $("pause-reason");
  const kept = select.value;
  const options = reasons.map((reason) => {
    const option = element("option", tOr(`reason.${reason}`, reason));
    option.value = reason;
    return option;
  });
  select.replaceChildren(...options);
  if (reasons.includes(kept)) select.value = kept;
}

function renderButtons() {
  const agent = state.desk?.agent;
  const s = agent?.state;
  const shown = {
    "desk-login": s === "logged-out",
    "desk-ready": s === "paused",
    "pause-form": PAUSABLE.has(s),
    "desk-logout": s !== undefined && s !== "logged-out" && s !== "reserved",
  };
  for (const [id, visible] of Object.entries(shown)) $(id).hidden = !visible;
  const usable = state.live && !state.busy && state.desk !== null;
  for (const id of ACTION_BUTTONS) $(id).disabled = !usable;
  for (const button of $("dispositions").querySelectorAll("button")) button.disabled = !usable;
}

/** The clocks on the page: time in state, ringing, talk time, the wrap-up countdown. */
function tick() {
  const agent = state.desk?.agent;
  const now = serverNow();
  $("state-time").textContent = agent?.since ? duration(now - agent.since) : "–";
  if (state.ringing?.rang_at) $("ring-time").textContent = duration(now - state.ringing.rang_at);
  const connectedAt = state.desk?.call?.connected_at;
  $("call-talk").textContent = connectedAt ? duration(now - connectedAt) : "–";
  const endsAt = agent?.wrap_up_ends_at;
  if (agent?.state === "wrap-up" && endsAt) {
    const left = Math.max(0, endsAt - now);
    $("wrap-countdown").textContent = duration(Math.ceil(left));
    $("wrap-progress").value = endsAt > agent.since ? left / (endsAt - agent.since) : 0;
  } else {
    $("wrap-countdown").textContent = "–";
  }
}

// --- what the agent asks for -----------------------------------------------------------------

async function act(path, body) {
  if (state.busy) return false;
  state.busy = true;
  renderButtons();
  try {
    await api(`/api/desk/${path}`, { method: "POST", body });
    showNotice("");
    return true;
  } catch (error) {
    showNotice(t("error.refused", { reason: error.message }));
    return false;
  } finally {
    state.busy = false;
    renderButtons();
  }
}

async function chooseDisposition(callId, code) {
  if (await act("disposition", { call_id: callId, disposition: code })) {
    state.chosen.set(callId, code);
    render();
  }
}

function currentCallId() {
  return state.desk?.agent.call_id || state.desk?.call?.call_id;
}

function wireActions() {
  $("desk-login").addEventListener("click", () => act("login"));
  $("desk-logout").addEventListener("click", () => act("logout"));
  $("desk-ready").addEventListener("click", () => act("ready"));
  $("wrap-ready").addEventListener("click", () => act("ready"));
  $("wrap-extend").addEventListener("click", () => act("wrap-up/extend"));
  $("accept").addEventListener("click", () => act("answer", { call_id: currentCallId() }));
  $("reject").addEventListener("click", () => act("decline", { call_id: currentCallId() }));
  $("hangup").addEventListener("click", () => act("hangup", { call_id: currentCallId() }));
  $("pause-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act("pause", { reason: $("pause-reason").value });
  });
}

async function main() {
  const user = await startPage();
  if (user === null) return;
  if (!user.agent_id) showNotice(t("error.not_agent"));
  wireActions();
  mountSearch();
  onLanguageChange(render);
  render();
  new LiveLink({ onHello, onMessage, onStatus }).start();
  setInterval(tick, TICK_MS);
}

main();
