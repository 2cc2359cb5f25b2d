// REST calls from the desktop and wallboard pages: JSON in and out, errors with the server's
// reason, and the server's clock (the pages show times in state measured on the server's clock,
// not on a PC whose clock may be minutes off).

const LOGIN_PAGE = "/";
// The Date header has 1 s resolution: smaller differences are rounding, not a wrong PC clock.
const SKEW_TOLERANCE_S = 2;

let offsetS = 0;

/** A refused request: `status` and the server's `detail`. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

/** Leave for the login page, coming back here once logged in. */
export function toLogin() {
  const next = encodeURIComponent(location.pathname + location.search);
  location.assign(`${LOGIN_PAGE}?next=${next}`);
}

/** Send a request; the answer's JSON, or an ApiError (401 also leaves for the login page). */
export async function api(path, { method = "GET", body } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  noteServerDate(response.headers.get("Date"));
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) toLogin();
  if (!response.ok) throw new ApiError(response.status, describe(data, response));
  return data;
}

function describe(data, response) {
  if (typeof data.detail === "string") return data.detail;
  if (Array.isArray(data.detail) && data.detail.length) return data.detail[0].msg;
  return `${response.status} ${response.statusText}`;
}

function noteServerDate(header) {
  const serverMs = header ? Date.parse(header) : NaN;
  if (!Number.isNaN(serverMs)) noteServerTime(serverMs / 1000);
}

/** A moment the server just stated (epoch seconds), to correct for a wrong PC clock. */
export function noteServerTime(epochSeconds) {
  const skew = epochSeconds - Date.now() / 1000;
  offsetS = Math.abs(skew) > SKEW_TOLERANCE_S ? skew : 0;
}

/** Now on the server's clock, epoch seconds. */
export function serverNow() {
  return Date.now() / 1000 + offsetS;
}
