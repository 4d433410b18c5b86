// The host's persona page: follow, join the fan club, reserve upcoming sessions, share.
import { api, busy, loginUrl, me, page, showError, t, toast } from "./core.js";

const host = page.host;
const roomId = host.room_id;
const $ = (id) => document.getElementById(id);

function needLogin() {
  if (me) return false;
  location.href = loginUrl();
  return true;
}

let following = Boolean(host.following);
$("host-follow").addEventListener("click", (event) => {
  if (needLogin()) return;
  busy(event.currentTarget, async () => {
    const result = await api(following ? "DELETE" : "POST", `/api/v1/rooms/${roomId}/follow`);
    following = Boolean(result.following);
    const button = $("host-follow");
    button.setAttribute("aria-pressed", following ? "true" : "false");
    button.textContent = following ? t("live.following") : t("live.follow");
    $("host-followers").textContent = String(result.followers_count);
  });
});

function renderClub(club) {
  const button = $("host-fan-club");
  button.dataset.member = club.you ? "true" : "false";
  button.textContent = club.you ? `${club.badge_name} · ${t("fans.level", { n: club.you.level })}` : club.paid ? t("fans.buy_badge") : t("fans.join");
  $("host-fans").textContent = String(club.members_count);
}

$("host-fan-club").addEventListener("click", (event) => {
  if (needLogin()) return;
  if (event.currentTarget.dataset.member === "true") return;
  busy(event.currentTarget, async () => {
    const club = await api("POST", `/api/v1/rooms/${roomId}/fan-club`);
    renderClub(club);
    toast(t("fans.joined"), "info");
  });
});

// 预约: reserve an upcoming session, or withdraw the reservation.
for (const button of document.querySelectorAll("[data-reserve]")) {
  button.addEventListener("click", () => {
    if (needLogin()) return;
    const reserved = button.getAttribute("aria-pressed") === "true";
    busy(button, async () => {
      try {
        await api(reserved ? "DELETE" : "POST", `/api/v1/live-sessions/${button.dataset.reserve}/reservation`);
      } catch (error) {
        showError(error);
        return;
      }
      button.setAttribute("aria-pressed", reserved ? "false" : "true");
      button.textContent = reserved ? t("hostpage.reserve") : t("hostpage.reserved");
    });
  });
}

$("host-share").addEventListener("click", async () => {
  const url = location.href;
  try {
    if (navigator.share) await navigator.share({ title: document.title, url });
    else {
      await navigator.clipboard.writeText(url);
      toast(t("hostpage.copied"), "info");
    }
  } catch (error) {
    // The viewer closed the share sheet.
  }
});
