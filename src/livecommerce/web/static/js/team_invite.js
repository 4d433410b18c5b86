// Accept an invitation to a room's team: one button, signed in.
import { api, busy, page, showError } from "./core.js";

const button = document.getElementById("team-accept");
if (button) {
  button.addEventListener("click", () =>
    busy(button, async () => {
      try {
        await api("POST", `/api/v1/team/invites/${encodeURIComponent(page.token)}/accept`);
      } catch (error) {
        showError(error);
        return;
      }
      button.hidden = true;
      document.getElementById("team-done").hidden = false;
    }),
  );
}
