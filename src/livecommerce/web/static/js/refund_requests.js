// The merchant console's refund requests: what the rooms' 客服 asked, approve or decline.
import { api, busy, clear, el, formatTime, showError, t, toast } from "./core.js";

const list = document.getElementById("refund-requests");

function row(request) {
  const approve = el("button", { type: "button", class: "button button-primary button-small", dataset: { action: "approve" } }, t("refunds.approve"));
  const decline = el("button", { type: "button", class: "button button-small", dataset: { action: "decline" } }, t("refunds.decline"));
  const item = el(
    "li",
    { class: "row-item team-row", dataset: { requestId: request.id } },
    el(
      "div",
      { class: "meta" },
      el("div", {}, t("refunds.order", { id: request.order_id.slice(0, 8) })),
      el("div", { class: "muted small" }, `${request.reason || t("refunds.no_reason")} · ${formatTime(request.created_at)}`),
    ),
    el("div", { class: "row-actions" }, approve, decline),
  );
  for (const [button, decision] of [[approve, "approve"], [decline, "decline"]]) {
    button.addEventListener("click", () =>
      busy(button, async () => {
        try {
          await api("POST", `/api/v1/refund-requests/${request.id}/${decision}`);
          toast(t(`refunds.${decision}d`), "ok");
          item.remove();
          if (!list.children.length) list.append(el("li", { class: "muted" }, t("refunds.none")));
        } catch (error) {
          showError(error);
        }
      }),
    );
  }
  return item;
}

(async () => {
  try {
    const pending = await api("GET", "/api/v1/refund-requests?status=pending&limit=50");
    clear(list);
    for (const request of pending.items) list.append(row(request));
    if (!pending.items.length) list.append(el("li", { class: "muted" }, t("refunds.none")));
  } catch (error) {
    showError(error);
  }
})();
