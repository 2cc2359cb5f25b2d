// What the agent desktop and the wallboard share: starting the page for the logged-in user (in
// their language), the header (who, links, language switch, sign out), the link status
// indicator and the notice line.

import { api } from "./api.js";
import {
  chooseLanguage,
  mountLanguageSwitch,
  normalize,
  onLanguageChange,
  setLanguage,
  t,
} from "./i18n.js";

export const $ = (id) => document.getElementById(id);
const STAFF_ROLES = new Set(["admin", "supervisor"]);
const PAGES = [
  { href: "/agent", key: "nav.agent", shows: (user) => Boolean(user.agent_id) },
  { href: "/supervisor", key: "nav.supervisor", shows: (user) => STAFF_ROLES.has(user.role) },
  { href: "/", key: "nav.home", shows: () => true },
];

let linkStatus = "connecting";

/** True for supervisors and administrators. */
export function isStaff(user) {
  return STAFF_ROLES.has(user.role);
}

/** Set up the page for the logged-in user; null when the page is leaving (not logged in). */
export async function startPage() {
  setLanguage(chooseLanguage(null)); // before /api/me answers: labels in the likely language
  let user;
  try {
    user = await api("/api/me");
  } catch (error) {
    if (error.status === 401) return null; // api() is taking us to the login page
    reveal();
    showNotice(t("error.generic", { detail: error.message }));
    return null;
  }
  if (user.must_change_password) {
    location.assign("/"); // the home page asks for the new password
    return null;
  }
  const lang = chooseLanguage(user);
  // Remembered as the next visit's first guess only when it is the user's own setting.
  setLanguage(lang, { remember: lang === normalize(user.language) });
  $("who-name").textContent = user.display_name || user.username;
  mountLanguageSwitch($("language"), saveLanguage);
  $("sign-out").addEventListener("click", signOut);
  renderNav(user);
  onLanguageChange(() => showLinkStatus(linkStatus));
  reveal();
  return user;
}

async function saveLanguage(lang) {
  try {
    await api("/api/me/language", { method: "PUT", body: { language: lang } });
  } catch (error) {
    showNotice(t("error.generic", { detail: error.message }));
  }
}

function reveal() {
  // The page stays invisible until its labels are in the user's language (see desk.css).
  document.documentElement.classList.remove("loading");
}

function renderNav(user) {
  const here = location.pathname;
  const links = PAGES.filter((page) => page.shows(user) && page.href !== here).map((page) => {
    const link = document.createElement("a");
    link.href = page.href;
    link.dataset.i18n = page.key;
    link.textContent = t(page.key);
    return link;
  });
  $("nav").replaceChildren(...links);
}

async function signOut() {
  await api("/api/auth/logout", { method: "POST" }).catch(() => null);
  location.assign("/");
}

/** Show the websocket's status in the header; the page dims its live figures unless "live". */
export function showLinkStatus(status) {
  linkStatus = status;
  const indicator = $("link-status");
  indicator.dataset.status = status;
  $("link-status-text").textContent = t(`status.${status}`);
  document.body.classList.toggle("stale", status !== "live");
}

/** Show a message to the user (an empty text hides it). */
export function showNotice(text) {
  const box = $("notice");
  box.textContent = text ?? "";
  box.hidden = !text;
}

/** Make a DOM element with text (never HTML: caller IDs and names come from outside). */
export function element(tag, text, className) {
  const made = document.createElement(tag);
  if (text !== undefined && text !== null) made.textContent = String(text);
  if (className) made.className = className;
  return made;
}
