// The agent desktop's customer panels: the screen-pop card of the caller, and customer search.
//
// A card is what the server sent with the ringing banner: the whole card, a restricted one
// (`restricted: true`: name, VIP level and owner only, for a customer the agent may not see), or
// null for an unknown caller. After a reconnect during a call the card is looked up again by the
// caller's number.

import { api } from "./api.js";
import { count, dateTime, t, tOr } from "./i18n.js";
import { $, element } from "./page.js";

const SEARCH_LIMIT = 20;

/** The card for a caller's number, from the customer records (null: nobody we may see). */
export async function cardByNumber(ani) {
  try {
    return await api(`/api/customers/by-number/${encodeURIComponent(ani)}`);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

/** Show `card` (null: unknown caller); `undefined` hides the panel (no call, or not known yet). */
export function renderCard(card) {
  $("card").hidden = card === undefined;
  $("card-unknown").hidden = card !== null;
  $("card-body").hidden = !card;
  if (!card) return;
  $("card-name").textContent = card.name;
  $("card-vip").textContent = card.vip_level > 0 ? t("card.vip", { level: card.vip_level }) : "";
  $("card-vip").hidden = !(card.vip_level > 0);
  $("card-owner").textContent = card.owner_name ?? "–";
  $("card-contact").textContent = card.contact_name ?? "";
  $("card-contact-row").hidden = !card.contact_name;
  $("card-restricted").hidden = !card.restricted;
  $("card-restricted").textContent = t("card.restricted", { owner: card.owner_name ?? "–" });
  const others = card.other_matches ?? 0;
  $("card-others").hidden = others === 0;
  $("card-others").textContent = t("card.other_matches", { n: others });
  $("card-history").hidden = Boolean(card.restricted);
  renderList("card-tickets", "card-no-tickets", card.open_tickets ?? [], ticketItem);
  renderList("card-interactions", "card-no-interactions", card.last_interactions ?? [], pastItem);
}

function renderList(listId, emptyId, items, make) {
  $(listId).replaceChildren(...items.map(make));
  $(emptyId).hidden = items.length > 0;
}

function ticketItem(ticket) {
  if (typeof ticket !== "object" || ticket === null) return element("li", ticket);
  const item = element("li");
  const number = ticket.number ?? ticket.id;
  if (number !== undefined) item.append(element("span", `#${number}`, "muted"), " ");
  item.append(element("span", ticket.subject ?? ticket.title ?? ""));
  if (ticket.status) item.append(" ", element("span", tOr(`ticket.${ticket.status}`, ticket.status), "tag"));
  return item;
}

function pastItem(entry) {
  const item = element("li");
  item.append(element("span", dateTime(entry.at), "muted"), " ");
  item.append(element("span", tOr(`kind.${entry.kind}`, entry.kind), "tag"), " ");
  item.append(element("span", entry.summary));
  if (entry.author_name) item.append(" ", element("span", `— ${entry.author_name}`, "muted"));
  return item;
}

/** Wire the customer search form (GET /api/customers?q=...). */
export function mountSearch() {
  $("search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("search-text").value.trim();
    if (!text) return;
    const query = new URLSearchParams({ q: text, limit: String(SEARCH_LIMIT) });
    try {
      showResults(await api(`/api/customers?${query}`));
    } catch (error) {
      $("search-results").replaceChildren();
      showCount(t("error.generic", { detail: error.message }));
    }
  });
}

function showResults(page) {
  $("search-results").replaceChildren(...page.items.map(resultItem));
  showCount(page.total === 0 ? t("search.none") : t("search.count", { n: count(page.total) }));
}

function showCount(text) {
  $("search-count").textContent = text;
  $("search-count").hidden = !text;
}

function resultItem(customer) {
  const item = element("li");
  item.append(element("strong", customer.name));
  if (customer.vip_level > 0) item.append(" ", element("span", t("card.vip", { level: customer.vip_level }), "vip"));
  const where = [customer.city, customer.region].filter(Boolean).join(", ");
  if (where) item.append(" ", element("span", where, "muted"));
  item.append(" ", element("span", `${t("card.owner")}: ${customer.owner_name}`, "muted"));
  return item;
}
