// The home feed: tabs (for you, following, categories), infinite scroll with the API's
// cursor, and "why am I seeing this" from each item's reasons. Text goes in as text nodes.
import { api, el, showError, t } from "./core.js";
import { wireReserveButtons } from "./reserve.js";
import { openSheet } from "./sheet.js";

const grid = document.getElementById("feed");
const tabs = document.getElementById("feed-tabs");
const empty = document.getElementById("feed-empty");
const end = document.getElementById("feed-end");
const more = document.getElementById("feed-more");
const sentinel = document.getElementById("feed-sentinel");

let tab = "recommend";
let category = null;
let cursor = null;
let loading = false;
let finished = false;
let generation = 0;

function showWhy(item) {
  const list = el(
    "ul",
    { class: "feed-reasons" },
    item.reasons.map((reason) => el("li", { dataset: { code: reason.code } }, reason.text)),
  );
  openSheet({ title: t("feed.why_title"), body: el("div", {}, el("p", { class: "feed-why-title" }, item.title), list) });
}

function when(item) {
  const at = new Date(item.planned_start_at);
  return at.toLocaleString(document.documentElement.lang, { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

// A short video's length, as players show it (0:42, 12:05).
function videoLength(item) {
  const total = Math.max(0, Math.round(item.duration_s || 0));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

function card(item) {
  const badgeClass = item.kind === "live" ? "badge badge-live" : "badge";
  const video = item.kind === "video";
  const cover = el(
    "div",
    { class: "session-cover" },
    item.cover_url ? el("img", { src: item.cover_url, alt: "", loading: "lazy" }) : el("span", { "aria-hidden": "true" }, item.room_name.slice(0, 1)),
    el("span", { class: badgeClass }, t(`feed.kind_${item.kind}`)),
    video ? el("span", { class: "feed-video-play", "aria-hidden": "true" }) : null,
    el("span", { class: "viewers" }, item.kind === "live" ? t("home.online", { n: item.online }) : item.kind === "upcoming" ? t("feed.starts", { time: when(item) }) : video ? videoLength(item) : t("feed.kind_replay")),
  );
  const body = el(
    "div",
    { class: "session-body" },
    el("div", { class: "session-title" }, item.title),
    el("div", { class: "session-host" }, el("span", { class: "avatar", "aria-hidden": "true" }, item.room_name.slice(0, 1)), el("span", { class: "ellipsis" }, item.room_name)),
  );
  const ids = video ? { videoId: item.id } : { sessionId: item.session_id };
  const link = el("a", { class: "session-card", href: item.url, dataset: { ...ids, impressionId: item.impression_id } }, cover, body);
  const first = item.reasons.length ? item.reasons[0].text : "";
  const why = el(
    "button",
    { type: "button", class: "feed-why", "aria-haspopup": "dialog", onclick: () => showWhy(item) },
    el("span", { class: "feed-why-icon", "aria-hidden": "true" }, "i"),
    el("span", { class: "ellipsis" }, first || t("feed.why")),
  );
  const node = el("div", { class: "feed-card", dataset: { kind: item.kind, policy: item.policy } }, link, why);
  if (item.kind === "upcoming") {
    // 预约 from the feed, showing whether this viewer has reserved already.
    const pressed = item.reserved === true;
    node.append(el("button", { type: "button", class: "button button-small feed-reserve", dataset: { reserve: item.session_id }, "aria-pressed": String(pressed) }, t(pressed ? "reserve.reserved" : "reserve.button")));
    wireReserveButtons(node);
  }
  return node;
}

async function load() {
  if (loading || finished) return;
  loading = true;
  more.disabled = true;
  const mine = generation;
  const params = new URLSearchParams({ tab });
  if (category) params.set("category", category);
  if (cursor) params.set("cursor", cursor);
  try {
    const body = await api("GET", `/api/v1/feed?${params}`);
    if (mine !== generation) return;
    for (const item of body.items) grid.append(card(item));
    cursor = body.next_cursor;
    finished = !cursor;
    const none = grid.children.length === 0;
    empty.hidden = !none;
    empty.textContent = tab === "follow" ? t("feed.follow_empty") : t("feed.empty");
    end.hidden = !finished || none;
    more.hidden = finished;
  } catch (error) {
    showError(error);
    more.hidden = false;
  } finally {
    loading = false;
    more.disabled = false;
  }
  // A tall screen may show the sentinel still: keep filling it.
  if (!finished && mine === generation && sentinelVisible()) load();
}

function sentinelVisible() {
  const box = sentinel.getBoundingClientRect();
  return box.top < window.innerHeight + 200;
}

function choose(button) {
  for (const other of tabs.querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === button));
  tab = button.dataset.tab;
  category = button.dataset.category || null;
  cursor = null;
  finished = false;
  generation += 1;
  loading = false;
  grid.replaceChildren();
  empty.hidden = true;
  end.hidden = true;
  load();
}

tabs.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  if (button) choose(button);
});
more.addEventListener("click", load);
if ("IntersectionObserver" in window) {
  new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) load();
  }, { rootMargin: "200px" }).observe(sentinel);
}
load();
