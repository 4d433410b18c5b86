// The sandbox provider's pay page: show what is bought, then succeed or fail the payment.
import { api, ApiError, clear, el, errorText, formatMoney, page, specText, t } from "./core.js";

const paymentId = page.payment_id;
const box = document.getElementById("pay-body");
const card = document.getElementById("pay");

const RESULT = {
  succeeded: ["pay.succeeded", "badge-ok"],
  failed: ["pay.failed", "badge-danger"],
  refunded: ["pay.refunded", "badge-danger"],
  pending: ["pay.pending", "badge-warn"],
};

function render(payment, note) {
  clear(box);
  const [key, badge] = RESULT[payment.status] || ["pay.pending", "badge-warn"];
  // Node.append writes null as the text "null": the parts that may be missing are dropped.
  const parts = [
    el("div", { class: "muted" }, t("pay.amount")),
    el("div", { class: "pay-amount", id: "pay-amount" }, formatMoney(payment.amount_cents, payment.currency)),
    el(
      "ul",
      { class: "pay-items" },
      (payment.items || []).map((item) =>
        el(
          "li",
          { class: "order-line" },
          el("span", {}, item.title, el("span", { class: "muted small" }, ` · ${specText(item.spec)} ×${item.quantity}`)),
          el("span", {}, formatMoney(item.line_total_cents, payment.currency)),
        ),
      ),
    ),
    payment.discount_cents > 0
      ? el(
          "dl",
          { class: "pay-sums", id: "pay-sums" },
          el("div", { class: "order-line" }, el("dt", {}, t("pay.subtotal")), el("dd", {}, formatMoney(payment.subtotal_cents, payment.currency))),
          el("div", { class: "order-line pay-discount", id: "pay-discount" }, el("dt", {}, t("pay.discount")), el("dd", {}, `−${formatMoney(payment.discount_cents, payment.currency)}`)),
        )
      : null,
    el("p", {}, `${t("pay.status")}: `, el("span", { class: `badge ${badge}`, id: "pay-status", dataset: { status: payment.status } }, t(key))),
  ];
  box.append(...parts.filter(Boolean));
  if (note) box.append(el("p", { class: "form-error", role: "alert" }, note));
  const actions = el("div", { class: "actions" });
  if (payment.status === "pending" && payment.order_status === "pending_payment") {
    const payButton = el("button", { type: "button", class: "button button-primary", id: "pay-succeed" }, t("pay.pay"));
    const failButton = el("button", { type: "button", class: "button", id: "pay-fail" }, t("pay.fail"));
    payButton.addEventListener("click", () => confirm("succeed", payButton, failButton));
    failButton.addEventListener("click", () => confirm("fail", payButton, failButton));
    actions.append(payButton, failButton);
  }
  actions.append(el("a", { class: "button", href: "/orders", id: "back-to-order" }, t("pay.back_to_order")));
  box.append(actions);
}

async function confirm(outcome, ...buttons) {
  for (const button of buttons) button.disabled = true;
  try {
    await api("POST", `/api/v1/payments/${encodeURIComponent(paymentId)}/sandbox-confirm`, { outcome });
    const payment = await load();
    if (payment && payment.status === "succeeded") {
      setTimeout(() => {
        location.href = "/orders";
      }, 1200);
    }
  } catch (error) {
    for (const button of buttons) button.disabled = false;
    const payment = await load(errorText(error));
    if (!payment) box.append(el("p", { class: "form-error", role: "alert" }, errorText(error)));
  }
}

async function load(note) {
  try {
    const payment = await api("GET", `/api/v1/payments/${encodeURIComponent(paymentId)}`);
    render(payment, note);
    return payment;
  } catch (error) {
    clear(box);
    if (error instanceof ApiError && error.status === 404) {
      box.append(el("h2", {}, t("error.payment_not_found")), el("p", {}, el("a", { class: "button", href: "/orders" }, t("nav.orders"))));
    } else {
      box.append(el("p", { class: "form-error", role: "alert" }, errorText(error)));
    }
    return null;
  } finally {
    card.setAttribute("aria-busy", "false");
  }
}

load();
