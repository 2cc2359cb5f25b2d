// Hotline's single page: log in, change a required password, then today's figures and the
// most recent calls, refreshed every few seconds. Plain ES module, no build step.

const REFRESH_MS = 5000;
const STAFF_ROLES = new Set(["admin", "supervisor"]);
const PASSWORD_CHANGE_REQUIRED = "password change required";
// Pages that send the browser here to log in (`/?next=/agent`); nothing else, so a link cannot
// use the login page to send someone to another site.
const NEXT_PAGES = new Set(["/agent", "/supervisor"]);

const $ = (id) => document.getElementById(id);
let refreshTimer = null;

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const init = { credentials: "same-origin", headers: {}, ...options };
  if (options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, describe(data, response));
  return data;
}

function describe(data, response) {
  if (typeof data.detail === "string") return data.detail;
  if (Array.isArray(data.detail) && data.detail.length) return data.detail[0].msg;
  return `${response.status} ${response.statusText}`;
}

function showMessage(text) {
  const box = $("message");
  box.textContent = text ?? "";
  box.hidden = !text;
}

function show(view) {
  for (const id of ["login-view", "password-view", "dashboard-view"]) $(id).hidden = id !== view;
}

function stopRefresh() {
  if (refreshTimer !== null) clearInterval(refreshTimer);
  refreshTimer = null;
}

function showLoggedOut(reason) {
  stopRefresh();
  $("who").hidden = true;
  show("login-view");
  showMessage(reason);
}

function showUser(user) {
  $("who-name").textContent = `${user.display_name} (${user.role})`;
  $("who").hidden = false;
  showMessage("");
  if (user.must_change_password) {
    stopRefresh();
    show("password-view");
    return;
  }
  const next = new URLSearchParams(location.search).get("next");
  if (NEXT_PAGES.has(next)) {
    location.assign(next);
    return;
  }
  $("to-agent").hidden = !user.agent_id;
  $("to-supervisor").hidden = !STAFF_ROLES.has(user.role);
  show("dashboard-view");
  $("today").hidden = !STAFF_ROLES.has(user.role);
  startRefresh(user);
}

function startRefresh(user) {
  stopRefresh();
  const tick = () => refresh(user).catch(handleError);
  tick();
  refreshTimer = setInterval(tick, REFRESH_MS);
}

async function refresh(user) {
  const calls = api("/api/calls/recent?limit=20");
  if (STAFF_ROLES.has(user.role)) renderToday(await api("/api/stats/today"));
  renderCalls(await calls);
}

function handleError(error) {
  if (error instanceof ApiError && error.status === 401) showLoggedOut(error.message);
  else if (error instanceof ApiError && error.message === PASSWORD_CHANGE_REQUIRED) {
    // An administrator reset the password meanwhile: ask for a new one.
    api("/api/me").then(showUser, handleError);
  } else showMessage(error.message);
}

const seconds = (s) => (s === null || s === undefined ? "–" : `${s.toFixed(1)} s`);
const percent = (x) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)} %`);
const clockTime = (iso) => new Date(iso).toLocaleTimeString();

function renderToday(stats) {
  $("today-date").textContent = `${stats.date} (${stats.timezone})`;
  $("fig-offered").textContent = stats.offered;
  $("fig-answered").textContent = stats.answered;
  $("fig-abandoned").textContent = stats.abandoned;
  $("fig-threshold").textContent = `within ${stats.threshold_s} s`;
  $("fig-sl").textContent = percent(stats.service_level);
  $("fig-asa").textContent = seconds(stats.asa_s);
}

function renderCalls(calls) {
  const rows = calls.map((call) => {
    const row = document.createElement("tr");
    const cells = [
      clockTime(call.arrived_at), call.ani, call.queue ?? "–", call.agent_id ?? "–",
      seconds(call.wait_s), seconds(call.talk_s), call.outcome,
    ];
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text; // never innerHTML: caller IDs come from the outside world
      row.append(cell);
    }
    return row;
  });
  $("calls").replaceChildren(...rows);
  $("calls-empty").hidden = calls.length > 0;
}

async function onLogin(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const user = await api("/api/auth/login", {
      method: "POST",
      body: { username: form.get("username"), password: form.get("password") },
    });
    event.target.reset();
    showUser(user);
  } catch (error) {
    showMessage(error.message);
  }
}

async function onChangePassword(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  if (form.get("new") !== form.get("again")) {
    showMessage("the two new passwords differ");
    return;
  }
  try {
    const user = await api("/api/auth/password", {
      method: "POST",
      body: { old: form.get("old"), new: form.get("new") },
    });
    event.target.reset();
    showUser(user);
  } catch (error) {
    handleError(error);
  }
}

async function onLogout() {
  await api("/api/auth/logout", { method: "POST" }).catch(() => null);
  showLoggedOut("");
}

async function start() {
  $("login-form").addEventListener("submit", onLogin);
  $("password-form").addEventListener("submit", onChangePassword);
  $("logout").addEventListener("click", onLogout);
  try {
    showUser(await api("/api/me"));
  } catch (error) {
    // Not logged in yet is the normal first visit: no message for that.
    const quiet = error instanceof ApiError && error.message === "not logged in";
    showLoggedOut(quiet ? "" : error.message);
  }
}

start();
