// Host console: the room persona and avatar, scheduling sessions, the list of sessions.
import { api, ApiError, busy, clear, el, formatNumber, formatTime, formData, showError, t, toast } from "./core.js";

let room = null;
const roomForm = document.getElementById("room-form");
const avatarForm = document.getElementById("avatar-form");
const scheduleForm = document.getElementById("schedule-form");
const sessionList = document.getElementById("session-list");

function tagsFrom(text) {
  return (text || "")
    .split(/[,，、]/)
    .map((tag) => tag.trim())
    .filter(Boolean);
}

function renderRoom() {
  const has = Boolean(room);
  document.getElementById("room-submit").textContent = has ? t("common.save") : t("host.create_room");
  avatarForm.hidden = !has;
  scheduleForm.hidden = !has;
  document.getElementById("no-room-note").hidden = has;
  document.getElementById("room-preview").hidden = !has;
  if (!has) return;
  roomForm.elements.name.value = room.name;
  roomForm.elements.catchphrases.value = (room.catchphrases || []).join("\n");
  document.getElementById("badge-name-field").hidden = false;
  const pageLink = document.getElementById("host-page-link");
  pageLink.hidden = false;
  pageLink.href = `/hosts/${room.id}`;
  api("GET", `/api/v1/rooms/${room.id}/fan-club`)
    .then((club) => {
      roomForm.elements.badge_name.value = club.badge_name;
    })
    .catch(() => {});
  roomForm.elements.tags.value = (room.tags || []).join(", ");
  roomForm.elements.bio.value = room.bio || "";
  document.getElementById("room-preview-name").textContent = room.name;
  document.getElementById("room-preview-followers").textContent = t("live.followers", { n: room.followers_count });
  const avatar = document.getElementById("room-avatar");
  clear(avatar);
  if (room.avatar_url) avatar.append(el("img", { class: "thumb", src: room.avatar_url, alt: "" }));
  else avatar.textContent = room.name.slice(0, 1);
}

async function loadRoom() {
  try {
    room = await api("GET", "/api/v1/rooms/mine");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) showError(error);
    room = null;
  }
  renderRoom();
  if (room) await loadSessions();
}

roomForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const values = formData(roomForm);
  const catchphrases = String(values.catchphrases || "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const body = { name: values.name, catchphrases, bio: values.bio, tags: tagsFrom(values.tags) };
  const badgeName = String(values.badge_name || "").trim();
  busy(roomForm.querySelector("button[type=submit]"), async () => {
    room = room ? await api("PATCH", `/api/v1/rooms/${room.id}`, body) : await api("POST", "/api/v1/rooms", body);
    if (badgeName && !roomForm.querySelector("#badge-name-field").hidden) {
      await api("PATCH", `/api/v1/rooms/${room.id}/fan-club`, { badge_name: badgeName });
    }
    toast(t("common.saved"), "ok");
    renderRoom();
    await loadSessions();
  });
});

avatarForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const file = avatarForm.elements.file.files[0];
  if (!file || !room) return;
  const upload = new FormData();
  upload.append("file", file);
  busy(avatarForm.querySelector("button[type=submit]"), async () => {
    room = await api("POST", `/api/v1/rooms/${room.id}/avatar`, upload);
    avatarForm.reset();
    toast(t("common.saved"), "ok");
    renderRoom();
  });
});

scheduleForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const values = formData(scheduleForm);
  const planned = new Date(values.planned_start_at);
  if (!values.title || Number.isNaN(planned.getTime())) {
    toast(t("host.planned_start"), "error");
    return;
  }
  busy(scheduleForm.querySelector("button[type=submit]"), async () => {
    const created = await api("POST", `/api/v1/rooms/${room.id}/sessions`, {
      title: values.title,
      planned_start_at: planned.toISOString(),
    });
    scheduleForm.reset();
    location.href = `/console/host/sessions/${created.id}`;
  });
});

const STATUS_BADGE = { live: "badge-live", interrupted: "badge-warn", ended: "", cancelled: "badge-danger", scheduled: "badge-ok" };

async function loadSessions() {
  if (!room) return;
  try {
    const body = await api("GET", `/api/v1/rooms/${room.id}/sessions`);
    clear(sessionList);
    if (!body.items.length) sessionList.append(el("li", { class: "empty" }, t("host.no_sessions")));
    for (const item of body.items) {
      sessionList.append(
        el(
          "li",
          { class: "row-item", dataset: { sessionId: item.id } },
          el(
            "div",
            { class: "grow" },
            el("div", { class: "ellipsis" }, item.title),
            el(
              "div",
              { class: "muted small" },
              el("span", { class: `badge ${STATUS_BADGE[item.status] || ""}` }, t(`status.${item.status}`)),
              " ",
              formatTime(item.started_at || item.planned_start_at),
              item.status === "scheduled" ? ` · ${t("reserve.count", { n: formatNumber(item.reservation_count) })}` : "",
            ),
          ),
          el(
            "div",
            { class: "actions" },
            el("a", { class: "button button-small button-primary", href: `/console/host/sessions/${item.id}` }, t("host.manage")),
            el("a", { class: "button button-small", href: `/live/${item.id}` }, t("host.open_room")),
            item.status === "scheduled"
              ? el("a", { class: "button button-small", href: `/console/audiences?session=${item.id}` }, t("audience.invite"))
              : null,
          ),
        ),
      );
    }
  } catch (error) {
    showError(error);
  }
}

// Default the schedule form to the next full hour.
const next = new Date(Date.now() + 60 * 60 * 1000);
next.setMinutes(0, 0, 0);
const pad = (n) => String(n).padStart(2, "0");
scheduleForm.elements.planned_start_at.value = `${next.getFullYear()}-${pad(next.getMonth() + 1)}-${pad(next.getDate())}T${pad(next.getHours())}:${pad(next.getMinutes())}`;

loadRoom();
