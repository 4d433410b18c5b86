// Selection marketplace: browse commission offers, request samples, add to a session's showcase.
import { api, busy, clear, el, formatMoney, formData, me, parseMoney, showError, t, toast } from "./core.js";

const $ = (id) => document.getElementById(id);
const filters = $("offer-filters");
const list = $("offer-list");
const sessionPick = $("session-pick");

const percent = (bp) => `${(bp / 100).toFixed(bp % 100 ? 2 : 0)}%`;
// Hosts (and merchants) put offers in their own sessions; an agency admin only browses.
const canSell = me && ["host", "merchant", "platform_admin"].includes(me.role);

async function loadSessions() {
  clear(sessionPick);
  if (!canSell) {
    sessionPick.closest("label").hidden = true;
    return;
  }
  try {
    const room = await api("GET", "rooms/mine");
    const sessions = await api("GET", `rooms/${room.id}/sessions?limit=50`);
    for (const item of sessions.items) {
      if (item.status === "ended" || item.status === "cancelled") continue;
      sessionPick.append(el("option", { value: item.id }, item.title));
    }
  } catch (error) {
    // No room yet (or an agency admin): the showcase button explains what to do.
  }
  if (!sessionPick.options.length) sessionPick.append(el("option", { value: "" }, t("partners.no_session")));
}

function query() {
  const values = formData(filters);
  const params = new URLSearchParams({ sort: values.sort || "newest" });
  if (values.category) params.set("category", values.category);
  const commission = parseMoney(values.min_commission || "");
  if (commission !== null) params.set("min_commission_bp", String(commission));
  const price = parseMoney(values.max_price || "");
  if (price !== null) params.set("max_price_cents", String(price));
  return params.toString();
}

function offerRow(offer) {
  const sample = el("button", { type: "button", class: "button button-small" }, t("partners.request_sample"));
  sample.hidden = offer.sample_policy === "none";
  sample.addEventListener("click", async () => {
    const sent = await busy(sample, async () => {
      await api("POST", `mcn/offers/${offer.id}/samples`, { note: "" });
      return true;
    });
    if (sent) {
      sample.disabled = true;
      sample.textContent = t("partners.sample_requested");
    }
  });
  const add = el("button", { type: "button", class: "button button-primary button-small" }, t("partners.add_to_showcase"));
  add.hidden = !canSell;
  add.addEventListener("click", () =>
    busy(add, async () => {
      if (!sessionPick.value) {
        toast(t("partners.no_session"), "error");
        return;
      }
      await api("POST", `mcn/offers/${offer.id}/showcase`, { session_id: sessionPick.value });
      toast(t("partners.added_to_showcase"), "ok");
    }),
  );
  return el(
    "li",
    { class: "row-item" },
    el(
      "div",
      { class: "grow" },
      el("strong", {}, offer.product_title),
      offer.visibility === "invite_only" ? el("span", { class: "badge badge-warn" }, t("partners.invite_only")) : null,
      el(
        "div",
        { class: "muted small" },
        [
          offer.category,
          formatMoney(offer.price_cents, offer.currency),
          `${t("partners.commission")} ${percent(offer.commission_bp)}`,
          offer.fixed_fee_cents ? `${t("partners.fixed_fee")} ${formatMoney(offer.fixed_fee_cents, offer.currency)}` : "",
          t("partners.sold", { count: offer.sales_count }),
        ]
          .filter(Boolean)
          .join(" · "),
      ),
    ),
    sample,
    add,
  );
}

async function load() {
  try {
    const offers = await api("GET", `mcn/offers?${query()}`);
    clear(list);
    if (!offers.items.length) list.append(el("li", { class: "empty" }, t("common.none")));
    for (const offer of offers.items) list.append(offerRow(offer));
  } catch (error) {
    showError(error);
  }
}

filters.addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
loadSessions();
load();
