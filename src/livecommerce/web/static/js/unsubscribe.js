// One button, no log-in: the signed token in the link says whose e-mail of which kind stops.
import { api, busy, page } from "./core.js";

const form = document.getElementById("unsub-form");
if (form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = document.getElementById("unsub-button");
    busy(button, async () => {
      await api("POST", `/api/v1/notifications/unsubscribe?token=${encodeURIComponent(page.token)}`);
      form.hidden = true;
      document.getElementById("unsub-question").hidden = true;
      document.getElementById("unsub-done").hidden = false;
    });
  });
}
