// My orders (with pay / cancel / confirm-receipt) and the address book.
import { addressForm, addressLines, loadAddresses } from "./addresses.js";
import { api, busy, clear, el, formatMoney, formatTime, showError, specText, t, toast } from "./core.js";

const list = document.getElementById("order-list");
const filters = document.getElementById("order-filters");
let currentStatus = "";

const STATUS_BADGE = {
  pending_payment: "badge-warn",
  paid: "badge-ok",
  shipped: "badge-ok",
  completed: "",
  cancelled: "badge-danger",
  refunded: "badge-danger",
};

function orderCard(order) {
  const actions = el("div", { class: "actions" });
  if (order.status === "pending_payment") {
    const pay = el("button", { type: "button", class: "button button-primary button-small", dataset: { action: "pay" } }, t("orders.pay"));
    pay.addEventListener("click", () =>
      busy(pay, async () => {
        const payment = await api("POST", `/api/v1/orders/${order.id}/pay`);
        location.href = `/pay/sandbox/${encodeURIComponent(payment.payment_id)}`;
      }),
    );
    const cancel = el("button", { type: "button", class: "button button-small button-danger", dataset: { action: "cancel" } }, t("orders.cancel"));
    cancel.addEventListener("click", () => {
      if (!confirm(t("orders.confirm_cancel"))) return;
      busy(cancel, async () => {
        await api("POST", `/api/v1/orders/${order.id}/cancel`);
        await refresh();
      });
    });
    actions.append(pay, cancel);
  }
  if (order.status === "shipped") {
    const receive = el("button", { type: "button", class: "button button-primary button-small", dataset: { action: "confirm" } }, t("orders.confirm_receipt"));
    receive.addEventListener("click", () => {
      if (!confirm(t("orders.confirm_received"))) return;
      busy(receive, async () => {
        await api("POST", `/api/v1/orders/${order.id}/confirm-receipt`);
        await refresh();
      });
    });
    actions.append(receive);
  }
  const address = order.shipping_address || {};
  return el(
    "li",
    { class: "order-card", dataset: { orderId: order.id, status: order.status } },
    el(
      "div",
      { class: "order-head" },
      el("span", {}, `${t("orders.number")} ${order.id.slice(0, 8).toUpperCase()} · ${formatTime(order.created_at)}`),
      el("span", { class: `badge order-status ${STATUS_BADGE[order.status] || ""}` }, t(`order_status.${order.status}`)),
    ),
    order.items.map((item) =>
      el(
        "div",
        { class: "order-line" },
        el("span", { class: "grow" }, el("strong", {}, item.title), el("span", { class: "muted small" }, ` · ${specText(item.spec)} ×${item.quantity}`)),
        el("span", {}, formatMoney(item.line_total_cents, order.currency)),
      ),
    ),
    address.recipient
      ? el("div", { class: "muted small" }, `${t("orders.ship_to")}: ${address.recipient} ${address.phone || ""} ${address.region || ""} ${address.line1 || ""}`)
      : null,
    order.carrier
      ? el("div", { class: "small" }, `${t("orders.tracking")}: ${order.carrier} ${order.tracking_number || ""}`)
      : null,
    order.status === "pending_payment" && order.expires_at
      ? el("div", { class: "small muted" }, t("orders.pay_before", { time: formatTime(order.expires_at) }))
      : null,
    order.discount_cents > 0
      ? el("div", { class: "order-line small order-discount" }, el("span", {}, t("pay.discount")), el("span", {}, `−${formatMoney(order.discount_cents, order.currency)}`))
      : null,
    el("div", { class: "order-total" }, `${t("live.total")} `, el("span", { class: "price" }, formatMoney(order.total_cents, order.currency))),
    actions,
  );
}

// cursor: the next_cursor of the last page shown, to append the page after it.
async function refresh(cursor = null) {
  list.setAttribute("aria-busy", "true");
  try {
    const params = new URLSearchParams();
    if (currentStatus) params.set("status", currentStatus);
    if (cursor) params.set("cursor", cursor);
    const query = params.toString() ? `?${params}` : "";
    const body = await api("GET", `/api/v1/orders${query}`);
    if (!cursor) clear(list);
    list.querySelector(".list-more")?.remove();
    if (!cursor && !body.items.length) list.append(el("li", { class: "empty" }, t("orders.empty")));
    for (const order of body.items) list.append(orderCard(order));
    if (body.next_cursor) {
      const more = el("button", { type: "button", class: "button button-small" }, t("common.load_more"));
      more.addEventListener("click", () => busy(more, () => refresh(body.next_cursor)));
      list.append(el("li", { class: "list-more" }, more));
    }
  } catch (error) {
    showError(error);
  } finally {
    list.setAttribute("aria-busy", "false");
  }
}

filters.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-status]") : null;
  if (!button) return;
  currentStatus = button.dataset.status;
  for (const other of filters.querySelectorAll("button")) {
    other.setAttribute("aria-pressed", other === button ? "true" : "false");
  }
  refresh();
});

// ---------- address book ----------

const addressList = document.getElementById("address-list");

async function refreshAddresses() {
  try {
    const addresses = await loadAddresses();
    clear(addressList);
    if (!addresses.length) addressList.append(el("li", { class: "empty" }, t("address.empty")));
    for (const address of addresses) {
      const lines = addressLines(address);
      const actions = el("div", { class: "actions" });
      if (!address.is_default) {
        const makeDefault = el("button", { type: "button", class: "button button-small" }, t("address.make_default"));
        makeDefault.addEventListener("click", () =>
          busy(makeDefault, async () => {
            await api("PATCH", `/api/v1/addresses/${address.id}`, { is_default: true });
            await refreshAddresses();
          }),
        );
        actions.append(makeDefault);
      }
      const remove = el("button", { type: "button", class: "button button-small button-danger" }, t("common.delete"));
      remove.addEventListener("click", () =>
        busy(remove, async () => {
          await api("DELETE", `/api/v1/addresses/${address.id}`);
          await refreshAddresses();
        }),
      );
      actions.append(remove);
      addressList.append(
        el(
          "li",
          { class: "row-item" },
          el(
            "div",
            { class: "grow" },
            el("div", {}, lines[0], " ", address.is_default ? el("span", { class: "badge badge-ok" }, t("address.default")) : null),
            el("div", { class: "muted small" }, lines[1]),
          ),
          actions,
        ),
      );
    }
  } catch (error) {
    showError(error);
  }
}

document.getElementById("address-form").append(
  addressForm(() => {
    toast(t("common.saved"), "ok");
    refreshAddresses();
  }),
);

refresh();
refreshAddresses();
