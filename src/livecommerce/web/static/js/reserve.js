// 预约: reserve an upcoming session (or withdraw) from any button with data-reserve.
import { api, busy, formatNumber, loginUrl, me, t } from "./core.js";

function render(button, reserved, count) {
  const sessionId = button.dataset.reserve;
  // Every button of the session on the page (a card in the feed and one in a list) agrees.
  for (const each of document.querySelectorAll(`[data-reserve="${sessionId}"]`)) {
    each.setAttribute("aria-pressed", reserved ? "true" : "false");
    each.textContent = reserved ? t("reserve.reserved") : t("reserve.button");
    // The button itself is the answer; a toast would cover it (and the player) on a phone.
    each.title = reserved ? t("reserve.done") : "";
  }
  for (const node of document.querySelectorAll(`[data-reservation-count="${sessionId}"]`)) {
    node.textContent = t("reserve.count", { n: formatNumber(count) });
  }
}

export function wireReserveButtons(root = document) {
  for (const button of root.querySelectorAll("[data-reserve]")) {
    button.addEventListener("click", (event) => {
      event.preventDefault();
      if (!me) {
        location.href = loginUrl();
        return;
      }
      const reserved = button.getAttribute("aria-pressed") === "true";
      busy(button, async () => {
        const path = `/api/v1/live-sessions/${button.dataset.reserve}/reservation`;
        const result = await api(reserved ? "DELETE" : "POST", path);
        render(button, result.reserved, result.reservation_count);
      });
    });
  }
}
