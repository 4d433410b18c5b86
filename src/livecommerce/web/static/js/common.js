// Behaviour shared by every page: the language switch, log-out, local times.
import { api, busy, formatTime, me, t } from "./core.js";

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

// The header's real height as --header-height: on a phone the menu wraps to as many rows
// as the role and the language need, and toasts show below all of them.
const header = document.querySelector(".topbar");
if (header) {
  const measure = () => {
    const height = Math.ceil(header.getBoundingClientRect().height);
    document.documentElement.style.setProperty("--header-height", `${height}px`);
  };
  measure();
  if ("ResizeObserver" in window) new ResizeObserver(measure).observe(header);
  else window.addEventListener("resize", measure);
}

for (const node of document.querySelectorAll("time[data-local]")) {
  node.textContent = formatTime(node.getAttribute("datetime"));
}

// ---------- the bell: the unread count, live over the user's own WebSocket ----------

const bell = document.getElementById("bell");
const bellCount = document.getElementById("bell-count");

function showUnread(unread) {
  if (!bell || !bellCount) return;
  bellCount.textContent = unread > 99 ? "99+" : String(unread);
  bellCount.hidden = unread <= 0;
  bell.setAttribute("aria-label", unread > 0 ? t("notify.bell_unread", { n: unread }) : t("notify.bell"));
  document.body.dataset.unread = String(unread);
}

// Pages that read notifications tell the bell at once (the socket follows).
window.addEventListener("lc:unread", (event) => showUnread(Number(event.detail) || 0));

function openBell(delay = 1000) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/notifications`);
  socket.addEventListener("message", (event) => {
    let message = null;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (message && message.type === "unread") {
      delay = 1000;
      showUnread(message.unread);
    }
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4401 || event.code === 4403) return; // logged out, or another site
    setTimeout(() => openBell(Math.min(delay * 2, 30000)), delay);
  });
}

// The room page hears the bell on the room's own socket (``unread``), no second one.
if (me && bell && !document.body.classList.contains("live-body")) openBell();
