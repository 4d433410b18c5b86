// Replay (回放): the recording, the product timeline (click → jump to when the product was
// explained) and buying from the replay (orders carry the session for attribution).
import { api, loginUrl, me, newKey, showError } from "./js/core.js";

const root = document.getElementById("replay");
const video = document.getElementById("replay-video");
const sessionId = root ? root.dataset.sessionId : null;

for (const button of document.querySelectorAll("[data-seek]")) {
  button.addEventListener("click", () => {
    if (!video) return;
    video.currentTime = Number(button.dataset.seek);
    video.play().catch(() => {});
  });
}

for (const form of document.querySelectorAll("form.replay-buy")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!me) {
      window.location.href = loginUrl();
      return;
    }
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const addresses = await api("GET", "/api/v1/addresses");
      if (!addresses.items.length) {
        window.location.href = "/orders";
        return;
      }
      const order = await api(
        "POST",
        "/api/v1/orders",
        {
          sku_id: form.elements.sku_id.value,
          quantity: 1,
          address_id: addresses.items[0].id,
          session_id: sessionId,
          from_replay: true,
        },
        { headers: { "Idempotency-Key": newKey() } },
      );
      const payment = await api("POST", `/api/v1/orders/${order.id}/pay`);
      window.location.href = payment.pay_url;
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  });
}
