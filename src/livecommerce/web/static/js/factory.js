// The factory console: accept or decline production orders, report progress, deliver.
import { api, busy, showError } from "./core.js";

for (const item of document.querySelectorAll(".factory-order[data-id]")) {
  const id = item.dataset.id;
  for (const button of item.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", () =>
      busy(button, async () => {
        const action = button.dataset.action;
        if (action === "progress") {
          await api("POST", `/api/v1/production-orders/${id}/progress`, { status: button.dataset.step });
        } else if (action === "deliver") {
          const units = Number.parseInt(item.querySelector(".factory-units").value, 10);
          await api("POST", `/api/v1/production-orders/${id}/deliveries`, { units });
        } else {
          await api("POST", `/api/v1/production-orders/${id}/${action}`);
        }
        location.reload();
      }).catch(showError),
    );
  }
}

for (const row of document.querySelectorAll(".pledge-row")) {
  const button = row.querySelector("button[data-action=ship]");
  if (!button) continue;
  button.addEventListener("click", () =>
    busy(button, async () => {
      await api("POST", `/api/v1/pledges/${row.dataset.pledgeId}/ship`, {
        carrier: row.querySelector(".pledge-carrier").value.trim(),
        tracking_number: row.querySelector(".pledge-tracking").value.trim(),
      });
      location.reload();
    }).catch(showError),
  );
}
