// The page's one websocket (/ws), kept open: it reconnects by itself with backoff after a network
// drop or a server restart, and each (re)connection starts from the server's snapshot ("hello"),
// so the page never goes on showing what was true before the link broke.
//
// Status, for the indicator in the header: "connecting" (first time), "live" (snapshot applied,
// news flowing), "reconnecting" (link lost; the page shows its state as stale), "offline" (the
// browser has no network), "unavailable" (the server runs no call center for this session).

import { toLogin } from "./api.js";

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;
const UNAVAILABLE_RETRY_MS = 30_000;
const PING_EVERY_MS = 15_000;
// Anything from the server counts as a sign of life; two missed pongs mean a dead link (a
// half-open TCP connection after a network change can take minutes to report itself).
const SILENCE_LIMIT_MS = 2 * PING_EVERY_MS + 5_000;

const CLOSE_LAGGING = 1013;
const CLOSE_NOT_LOGGED_IN = 4401;
const CLOSE_NO_LIVE_VIEW = 4503;

/** A websocket to /ws that stays open; `onHello(snapshot)`, `onMessage(change)`, `onStatus(s)`. */
export class LiveLink {
  constructor({ onHello, onMessage, onStatus, path = "/ws" }) {
    this.handlers = { onHello, onMessage, onStatus };
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.url = `${scheme}://${location.host}${path}`;
    this.socket = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    this.everLive = false;
  }

  /** Open the link (once); it then looks after itself. */
  start() {
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.status("offline"));
    this.open();
  }

  open() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.status(this.everLive ? "reconnecting" : "connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("message", (event) => this.received(socket, event));
    socket.addEventListener("close", (event) => this.closed(socket, event.code));
  }

  received(socket, event) {
    if (socket !== this.socket) return;
    this.lastHeard = Date.now();
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      console.error("live: a message that is not JSON", event.data);
      return;
    }
    if (message.type === "hello") {
      this.attempt = 0;
      this.everLive = true;
      this.handlers.onHello(message);
      this.status("live");
      this.startPinging(socket);
    } else if (message.type !== "pong") {
      this.handlers.onMessage(message);
    }
  }

  closed(socket, code) {
    if (socket !== this.socket) return; // an old socket we already gave up on
    this.socket = null;
    clearInterval(this.pingTimer);
    if (code === CLOSE_NOT_LOGGED_IN) {
      toLogin();
      return;
    }
    if (code === CLOSE_NO_LIVE_VIEW) {
      this.status("unavailable");
      this.retryTimer = setTimeout(() => this.open(), UNAVAILABLE_RETRY_MS);
      return;
    }
    this.status(navigator.onLine === false ? "offline" : "reconnecting");
    if (code === CLOSE_LAGGING) this.attempt = 0; // the server asks for a fresh snapshot now
    this.retryTimer = setTimeout(() => this.open(), this.nextDelay());
  }

  nextDelay() {
    const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.attempt);
    this.attempt += 1;
    // Jitter, so that every tab of a call center does not reconnect in the same millisecond.
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  startPinging(socket) {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > SILENCE_LIMIT_MS) {
        this.abandon(socket);
        return;
      }
      if (socket.readyState === WebSocket.OPEN) socket.send("ping");
    }, PING_EVERY_MS);
  }

  /** Give up on a silent socket without waiting for its close (which may take minutes). */
  abandon(socket) {
    this.closed(socket, 1006);
    socket.close();
  }

  /** The network is back: try at once instead of waiting out the backoff. */
  reconnectNow() {
    if (this.socket !== null) return;
    this.attempt = 0;
    this.open();
  }

  status(value) {
    this.handlers.onStatus(value);
  }
}
