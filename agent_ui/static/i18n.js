// The pages' two languages (English, Simplified Chinese): the dictionaries, the choice of
// language, and translating the static labels that carry a data-i18n attribute.
//
// The language is chosen per user: `?lang=` in the address (for that page view) wins, then the
// user's own setting (`language` from /api/me, changed with the switch in the page header).
// Until /api/me has answered, the page guesses with the language last used in this browser
// (kept in localStorage), then the browser's languages, so that it does not flash in English.

import { EN, ZH_CN } from "./messages.js";

export const LANGUAGES = ["en", "zh-CN"];
export const MESSAGES = { en: EN, "zh-CN": ZH_CN };
const STORAGE_KEY = "hotline.language";
const FALLBACK = "en";

let current = FALLBACK;
const listeners = new Set();

/** The supported language a BCP 47 tag means ("zh-Hans-CN" → "zh-CN"), or null. */
export function normalize(tag) {
  if (typeof tag !== "string" || !tag) return null;
  const lower = tag.toLowerCase();
  if (lower.startsWith("zh")) return "zh-CN";
  if (lower.startsWith("en")) return "en";
  return null;
}

function stored() {
  try {
    return normalize(localStorage.getItem(STORAGE_KEY));
  } catch {
    return null; // storage disabled: fall through to the browser's language
  }
}

function fromAddress() {
  return normalize(new URLSearchParams(location.search).get("lang"));
}

function fromBrowser() {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const found = normalize(tag);
    if (found) return found;
  }
  return null;
}

/** The language for this user (`user` from /api/me, or null before it is known). */
export function chooseLanguage(user) {
  return fromAddress() ?? normalize(user?.language) ?? stored() ?? fromBrowser() ?? FALLBACK;
}

/** The current language. */
export function language() {
  return current;
}

/** Use `lang` from now on; `remember` keeps it as this browser's guess for the next visit. */
export function setLanguage(lang, { remember = false } = {}) {
  current = normalize(lang) ?? FALLBACK;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, current);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
  }
  translatePage();
  for (const listener of listeners) listener(current);
}

/** Call `listener(lang)` whenever the language changes. */
export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** The text for `key` in the current language, with {name} placeholders filled from `params`. */
export function t(key, params = {}) {
  let text = MESSAGES[current][key] ?? MESSAGES[FALLBACK][key];
  if (text === undefined) {
    console.error(`i18n: no text for ${key}`);
    text = key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The text for `key` if there is one, else `fallback` (for values from the center's config). */
export function tOr(key, fallback) {
  return key in MESSAGES[current] || key in MESSAGES[FALLBACK] ? t(key) : fallback;
}

const ATTRIBUTES = [
  ["i18nPlaceholder", "placeholder"],
  ["i18nTitle", "title"],
  ["i18nLabel", "aria-label"],
];

/** Put the current language's text into every element marked with data-i18n (and friends). */
export function translatePage(root = document) {
  document.documentElement.lang = current;
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const [data, attribute] of ATTRIBUTES) {
    const selector = `[data-${data.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}]`;
    for (const element of root.querySelectorAll(selector)) {
      element.setAttribute(attribute, t(element.dataset[data]));
    }
  }
}

/** Wire a <select> to switch languages; `save(lang)` keeps the choice (the user's setting). */
export function mountLanguageSwitch(select, save) {
  select.value = current;
  select.addEventListener("change", () => {
    setLanguage(select.value, { remember: true });
    save(current);
  });
  onLanguageChange((lang) => {
    select.value = lang;
  });
}

/** Seconds as "m:ss" or "h:mm:ss" ("–" for none). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A share (0..1) as a percentage in the current language ("–" for none). */
export function percent(share) {
  if (share === null || share === undefined) return "–";
  return new Intl.NumberFormat(current, { style: "percent", maximumFractionDigits: 1 }).format(
    share,
  );
}

/** A count in the current language ("–" for none). */
export function count(value) {
  if (value === null || value === undefined) return "–";
  return new Intl.NumberFormat(current).format(value);
}

/** A moment (ISO string or epoch seconds) as a local date and time in the current language. */
export function dateTime(value) {
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return date.toLocaleString(current, { dateStyle: "short", timeStyle: "short" });
}

/** A moment (epoch seconds) as a local time of day in the current language. */
export function timeOfDay(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString(current);
}
