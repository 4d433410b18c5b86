// The host's fan list in the console: followers and fan-club members, filtered, sorted,
// paged, and exported as CSV with the same filters.
import { api, busy, clear, el, formatMoney, formatTime, t } from "./core.js";

const card = document.getElementById("fans-card");
const form = document.getElementById("fans-filter");
const list = document.getElementById("fan-list");
const more = document.getElementById("fans-more");
const csvLink = document.getElementById("fans-csv");
let roomId = null;
let cursor = null;

function filters() {
  const data = new FormData(form);
  const params = new URLSearchParams({ segment: String(data.get("segment")), sort: String(data.get("sort")) });
  const level = String(data.get("min_level") || "").trim();
  if (level) params.set("min_level", level);
  return params;
}

function fanNode(fan) {
  // The club's badge (灯牌) with the member's level, dimmed when away, as in chat.
  const badge = fan.badge
    ? el(
        "span",
        { class: fan.badge.lit ? "fan-badge" : "fan-badge fan-badge-dim", title: t("fans.badge_title", { level: fan.badge.level }) },
        el("span", { class: "fan-badge-name" }, fan.badge.name),
        el("span", { class: "fan-badge-level" }, String(fan.badge.level)),
      )
    : null;
  return el(
    "li",
    { class: "row-item", dataset: { userId: fan.user_id } },
    el(
      "div",
      { class: "grow" },
      el("div", {}, badge, el("span", { class: "fan-name" }, fan.display_name), fan.following ? el("span", { class: "muted small" }, ` · ${t("fanlist.follower")}`) : null),
      el(
        "div",
        { class: "muted small" },
        t("fanlist.line", { sessions: fan.sessions_watched, orders: fan.orders, spend: formatMoney(fan.spend_cents, "CNY") }),
        fan.last_seen_at ? ` · ${t("fanlist.last_seen", { at: formatTime(fan.last_seen_at) })}` : "",
      ),
    ),
  );
}

async function load(reset) {
  const params = filters();
  if (reset) {
    cursor = null;
    clear(list);
    csvLink.href = `/api/v1/rooms/${roomId}/fans.csv?${params}`;
  }
  params.set("limit", "20");
  if (cursor) params.set("cursor", cursor);
  const page = await api("GET", `/api/v1/rooms/${roomId}/fans?${params}`);
  for (const fan of page.items) list.append(fanNode(fan));
  if (reset && !page.items.length) list.append(el("li", { class: "muted" }, t("fanlist.empty")));
  cursor = page.next_cursor;
  more.hidden = !cursor;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  busy(form.querySelector("button[type=submit]"), () => load(true));
});
more.addEventListener("click", () => busy(more, () => load(false)));

(async () => {
  try {
    const room = await api("GET", "/api/v1/rooms/mine");
    roomId = room.id;
  } catch (error) {
    return; // no room yet: no fans either
  }
  card.hidden = false;
  await load(true);
})();
