// The inbox (newest first, paged) and the choices per kind and channel.
import { api, busy, clear, el, formatTime, showError, t } from "./core.js";

const $ = (id) => document.getElementById(id);
const list = $("inbox");
const more = $("inbox-more");
let cursor = null;

function tellBell(unread) {
  window.dispatchEvent(new CustomEvent("lc:unread", { detail: unread }));
}

async function markRead(item, row) {
  if (item.read) return;
  const result = await api("POST", `/api/v1/notifications/${item.id}/read`);
  item.read = true;
  row.classList.remove("unread");
  const button = row.querySelector("[data-mark-read]");
  if (button) button.remove();
  tellBell(result.unread);
}

function renderItem(item) {
  const row = el("li", { class: `inbox-item${item.read ? "" : " unread"}`, "data-id": item.id });
  const actions = el("div", { class: "actions" });
  if (item.link) {
    const open = el("a", { href: item.link, class: "button button-small" }, t("notify.view"));
    open.addEventListener("click", () => {
      markRead(item, row).catch(() => {});
    });
    actions.append(open);
  }
  if (!item.read) {
    const mark = el("button", { type: "button", class: "button button-small", "data-mark-read": "" }, t("notify.mark_read"));
    mark.addEventListener("click", () => busy(mark, () => markRead(item, row)));
    actions.append(mark);
  }
  row.append(
    el("span", { class: "inbox-dot", "aria-hidden": "true" }),
    el(
      "div",
      { class: "inbox-main" },
      el("div", { class: "inbox-title" }, item.title),
      el("p", { class: "inbox-body" }, item.body),
      el("div", { class: "muted small" }, formatTime(item.created_at)),
      actions,
    ),
  );
  return row;
}

async function load(first) {
  const query = new URLSearchParams({ limit: "20" });
  if (!first && cursor) query.set("cursor", cursor);
  const result = await api("GET", `/api/v1/notifications?${query}`);
  if (first) clear(list);
  list.removeAttribute("aria-busy");
  for (const item of result.items) list.append(renderItem(item));
  if (first && result.items.length === 0) list.append(el("li", { class: "empty" }, t("notify.empty")));
  cursor = result.next_cursor;
  more.hidden = !cursor;
  tellBell(result.unread);
}

more.addEventListener("click", () => busy(more, () => load(false)));

$("mark-all").addEventListener("click", (event) =>
  busy(event.currentTarget, async () => {
    const result = await api("POST", "/api/v1/notifications/read-all");
    for (const row of list.querySelectorAll(".inbox-item.unread")) {
      row.classList.remove("unread");
      const button = row.querySelector("[data-mark-read]");
      if (button) button.remove();
    }
    tellBell(result.unread);
  }),
);

// ---------- preferences ----------

const table = $("preferences");

async function loadPreferences() {
  const result = await api("GET", "/api/v1/notifications/preferences");
  for (const choice of result.items) {
    const row = table.querySelector(`tr[data-category="${choice.category}"]`);
    if (!row) continue;
    for (const box of row.querySelectorAll("input[data-channel]")) {
      box.checked = Boolean(choice[box.dataset.channel]);
      box.disabled = false;
    }
  }
}

table.addEventListener("change", async (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement)) return;
  const category = box.closest("tr").dataset.category;
  box.disabled = true;
  try {
    await api("PUT", "/api/v1/notifications/preferences", {
      items: [{ category, [box.dataset.channel]: box.checked }],
    });
  } catch (error) {
    box.checked = !box.checked;
    showError(error);
  } finally {
    box.disabled = false;
  }
});

load(true).catch(showError);
loadPreferences().catch(showError);
