// My coupons (the wallet: available, used, expired) and my prizes (every lottery I won).
import { api, busy, clear, el, formatMoney, formatTime, lang, t } from "./core.js";

const list = document.getElementById("coupon-list");
const filters = document.getElementById("coupon-filters");
const prizeList = document.getElementById("prize-list");
let currentStatus = "available";
let wallet = [];

function couponValue(coupon) {
  if (coupon.discount_kind === "percent") {
    return t("coupons.percent", { value: lang === "zh" ? (100 - coupon.percent_off) / 10 : coupon.percent_off });
  }
  return t("coupons.off", { amount: formatMoney(coupon.amount_off_cents, coupon.currency) });
}

function statusOf(claim) {
  if (claim.status === "used") return "used";
  return Date.parse(claim.coupon.ends_at) <= Date.now() || !claim.coupon.active ? "expired" : "available";
}

function couponCard(claim) {
  const coupon = claim.coupon;
  const status = statusOf(claim);
  const minimum = coupon.min_spend_cents
    ? t("coupons.min_spend", { amount: formatMoney(coupon.min_spend_cents, coupon.currency) })
    : t("coupons.no_minimum");
  return el(
    "li",
    { class: "coupon-card", dataset: { claimId: claim.id, status } },
    el("div", { class: "coupon-value" }, couponValue(coupon)),
    el(
      "div",
      { class: "coupon-body" },
      el("strong", { class: "ellipsis" }, coupon.title),
      el("span", { class: "small" }, minimum, coupon.audience === "fans" ? ` · ${t("coupons.fans_only")}` : ""),
      claim.source_name ? el("span", { class: "muted small ellipsis" }, t("coupons.from", { name: claim.source_name })) : null,
      status === "used" && claim.order_id
        ? el("span", { class: "muted small" }, t("coupons.used_on", { order: claim.order_id.slice(0, 8).toUpperCase() }))
        : el("span", { class: "muted small" }, t("coupons.valid_until", { time: formatTime(coupon.ends_at) })),
    ),
  );
}

function renderCoupons() {
  clear(list);
  list.setAttribute("aria-busy", "false");
  const shown = wallet.filter((claim) => statusOf(claim) === currentStatus);
  if (!shown.length) {
    list.append(el("li", { class: "empty" }, t("coupons.empty")));
    return;
  }
  for (const claim of shown) list.append(couponCard(claim));
}

function prizeCard(prize) {
  const lottery = prize.lottery;
  const you = lottery.you || {};
  const actions = el("div", { class: "actions" });
  if (lottery.prize_kind === "product") {
    if (you.prize_order_id) {
      actions.append(el("a", { class: "button button-small", href: "/orders", dataset: { prize: "claimed" } }, t("prizes.claimed")));
    } else {
      const claim = el("button", { type: "button", class: "button button-primary button-small", dataset: { prize: "claim" } }, t("prizes.claim"));
      claim.addEventListener("click", () =>
        busy(claim, async () => {
          await api("POST", `/api/v1/lotteries/${lottery.id}/claim`, {});
          await loadPrizes();
        }),
      );
      actions.append(claim);
    }
  } else {
    actions.append(el("span", { class: "muted small" }, t("prizes.coupon_prize")));
  }
  actions.append(el("a", { class: "small", href: `/lotteries/${lottery.id}` }, t("prizes.verify")));
  return el(
    "li",
    { class: "prize-card", dataset: { lotteryId: lottery.id } },
    el(
      "div",
      { class: "prize-body" },
      el("strong", {}, lottery.prize_title),
      el("a", { class: "small ellipsis", href: `/live/${lottery.session_id}` }, t("prizes.won_in", { room: prize.room_name, session: prize.session_title })),
      lottery.drawn_at ? el("span", { class: "muted small" }, t("prizes.drawn_at", { time: formatTime(lottery.drawn_at) })) : null,
    ),
    actions,
  );
}

async function loadPrizes() {
  let prizes;
  try {
    prizes = (await api("GET", "/api/v1/lotteries/won")).items;
  } catch (error) {
    prizes = [];
  }
  clear(prizeList);
  prizeList.setAttribute("aria-busy", "false");
  if (!prizes.length) prizeList.append(el("li", { class: "empty" }, t("prizes.empty")));
  for (const prize of prizes) prizeList.append(prizeCard(prize));
}

async function loadCoupons() {
  try {
    wallet = (await api("GET", "/api/v1/coupons/mine")).items;
  } catch (error) {
    wallet = [];
  }
  renderCoupons();
}

filters.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-status]");
  if (!button) return;
  currentStatus = button.dataset.status;
  for (const other of filters.querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === button));
  renderCoupons();
});

loadCoupons();
loadPrizes();
