// The host's videos: upload, processing progress, edit, publish (now or scheduled), trim a
// live clip, discard; and each video's figures (views, completion rate, likes, clicks into
// the room, orders and GMV).
import { api, busy, el, formatMoney, formatNumber, formatTime, showError, t } from "./core.js";

const table = document.querySelector("#video-table tbody");
const none = document.getElementById("video-none");
const storage = document.getElementById("video-storage");
const form = document.getElementById("video-upload");

function megabytes(bytes) {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function statusText(video) {
  if (video.status === "processing") return t("videos.status.processing", { n: video.progress });
  if (video.status === "failed") return `${t("videos.status.failed")} (${video.error_code})`;
  if (!video.published_at) return t("videos.draft");
  if (new Date(video.published_at) > new Date()) return t("videos.scheduled", { at: formatTime(video.published_at) });
  return t("videos.published");
}

function action(label, handler, primary = false) {
  const button = el("button", { type: "button", class: `button button-small${primary ? " button-primary" : ""}` }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await handler();
      await load();
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function editForm(video) {
  const title = el("input", { name: "title", value: video.title, maxlength: "120", "aria-label": t("videos.edit") });
  const tags = el("input", { name: "tags", value: video.tags.join(", "), placeholder: t("videos.tags"), "aria-label": t("videos.tags") });
  const products = el("input", { name: "products", value: video.product_ids.join(", "), placeholder: t("videos.product_ids"), "aria-label": t("videos.product_ids") });
  const when = el("input", { name: "publish_at", type: "datetime-local", "aria-label": t("videos.publish_at") });
  const split = (text) => text.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
  const save = action(t("videos.save"), async () => {
    await api("PATCH", `/api/v1/videos/${video.id}`, { title: title.value, tags: split(tags.value), product_ids: split(products.value) });
  });
  const publish = action(t("videos.publish"), async () => {
    const at = when.value ? new Date(when.value).toISOString() : null;
    await api("POST", `/api/v1/videos/${video.id}/publish`, { publish_at: at });
  }, true);
  return el("div", { class: "stack" }, title, tags, products, el("label", { class: "small muted" }, t("videos.publish_at"), when), el("div", { class: "video-row-actions" }, save, publish));
}

function row(video) {
  const actions = el("div", { class: "video-row-actions" });
  if (video.published_at) actions.append(action(t("videos.unpublish"), () => api("POST", `/api/v1/videos/${video.id}/unpublish`)));
  if (video.kind === "clip" && video.status !== "processing") {
    const start = el("input", { type: "number", step: "0.1", min: "0", value: video.clip_start_s, "aria-label": t("videos.start_s"), class: "input-small" });
    const end = el("input", { type: "number", step: "0.1", min: "0", value: video.clip_end_s, "aria-label": t("videos.end_s"), class: "input-small" });
    actions.append(start, end, action(t("videos.trim"), () => api("POST", `/api/v1/videos/${video.id}/trim`, { start_s: Number(start.value), end_s: Number(end.value) })));
  }
  actions.append(action(t("videos.discard"), () => api("DELETE", `/api/v1/videos/${video.id}`)));
  const title = el(
    "div",
    { class: "video-row-title" },
    video.poster_url ? el("img", { src: video.poster_url, alt: "" }) : null,
    el(
      "div",
      {},
      el("strong", {}, video.title),
      el("div", { class: "small muted" }, `${video.kind === "clip" ? t("videos.clip") + " · " : ""}${statusText(video)} · ${video.duration_s.toFixed(1)} s`),
      video.status !== "failed" ? editForm(video) : null,
      actions,
    ),
  );
  const num = (label, value) => el("td", { class: "num", "data-label": label }, value);
  return el(
    "tr",
    { "data-video-id": video.id },
    el("td", {}, title),
    num(t("videos.col.views"), formatNumber(video.views)),
    num(t("videos.col.completion"), `${(video.completion_rate * 100).toFixed(1)}%`),
    num(t("videos.col.likes"), formatNumber(video.likes)),
    num(t("videos.col.feed"), `${formatNumber(video.feed_exposures)} / ${formatNumber(video.feed_clicks)}`),
    num(t("videos.col.room_clicks"), formatNumber(video.room_clicks)),
    num(t("videos.col.orders"), formatNumber(video.orders)),
    num(t("videos.col.gmv"), formatMoney(video.gmv_cents)),
  );
}

let timer = null;
// "Load more" under the table while the list has a next page.
const more = el("div", { class: "list-more" });
more.hidden = true;
document.getElementById("video-table").after(more);

// cursor: the next_cursor of the last page shown, to append the page after it.
async function load(cursor = null) {
  const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
  const data = await api("GET", `/api/v1/videos/mine${query}`);
  if (cursor) table.append(...data.items.map(row));
  else table.replaceChildren(...data.items.map(row));
  none.hidden = table.children.length > 0;
  storage.textContent = t("videos.storage", { used: megabytes(data.used_bytes), quota: megabytes(data.quota_bytes) });
  more.replaceChildren();
  more.hidden = !data.next_cursor;
  if (data.next_cursor) {
    const button = el("button", { type: "button", class: "button button-small" }, t("common.load_more"));
    button.addEventListener("click", () => busy(button, () => load(data.next_cursor)));
    more.append(button);
  }
  if (cursor) return;
  clearTimeout(timer);
  if (data.items.some((video) => video.status === "processing")) timer = setTimeout(() => load().catch(showError), 2000);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const body = new FormData(form);
    const response = await fetch("/api/v1/videos", { method: "POST", body, credentials: "same-origin", headers: { "X-CSRF-Token": document.cookie.match(/lc_csrf=([^;]+)/)?.[1] || "" } });
    if (!response.ok) {
      const error = await response.json().catch(() => ({}));
      throw new Error(error.message || response.statusText);
    }
    form.reset();
    await load();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
});

load().catch(showError);
