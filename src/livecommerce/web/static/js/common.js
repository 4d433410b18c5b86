// Behaviour shared by every page: the language switch, log-out, local times.
import { api, busy, formatTime, me } from "./core.js";

for (const link of document.querySelectorAll("[data-set-lang]")) {
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    const language = link.dataset.setLang;
    document.cookie = `lang=${language}; path=/; max-age=31536000; samesite=lax`;
    if (me) {
      try {
        await api("PATCH", "/api/v1/me/locale", { locale: language });
      } catch (error) {
        // The cookie already carries the choice; the profile catches up next time.
      }
    }
    location.reload();
  });
}

const logout = document.getElementById("logout");
if (logout) {
  logout.addEventListener("click", () =>
    busy(logout, async () => {
      await api("POST", "/api/v1/auth/logout");
      location.href = "/";
    }),
  );
}

for (const node of document.querySelectorAll("time[data-local]")) {
  node.textContent = formatTime(node.getAttribute("datetime"));
}
