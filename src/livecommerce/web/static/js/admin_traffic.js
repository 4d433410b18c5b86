// The operator's traffic page: the policy blend, pins and demotions, the distribution.
import { api, busy, el, formatTime, showError, t, toast } from "./core.js";

const form = document.getElementById("policy-form");
const POLICIES = ["pools", "tags", "private", "popular"];
let current = null;

async function loadPolicy() {
  current = await api("GET", "/api/v1/admin/traffic/policy");
  for (const name of POLICIES) form.elements[`w_${name}`].value = current.weights[name] ?? 0;
  for (const name of ["pool_scale", "cold_start_share", "judge_share", "trial_share", "exposure_cap_share", "exposure_window_s"]) {
    form.elements[name].value = current[name];
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const weights = {};
  for (const name of POLICIES) weights[name] = Number(form.elements[`w_${name}`].value);
  const body = {
    weights,
    pool_scale: Number(form.elements.pool_scale.value),
    cold_start_share: Number(form.elements.cold_start_share.value),
    judge_share: Number(form.elements.judge_share.value),
    trial_share: Number(form.elements.trial_share.value),
    exposure_cap_share: Number(form.elements.exposure_cap_share.value),
    exposure_window_s: Number(form.elements.exposure_window_s.value),
    thresholds: current ? current.thresholds : {},
  };
  try {
    current = await api("PUT", "/api/v1/admin/traffic/policy", body);
    toast(t("admin_traffic.saved"), "ok");
    await loadAudit();
  } catch (error) {
    showError(error);
  }
});

async function loadDistribution() {
  const body = await api("GET", "/api/v1/admin/traffic/distribution");
  document.getElementById("distribution-summary").textContent = t("admin_traffic.total", { n: body.exposures, rooms: body.rooms });
  document.getElementById("distribution-gini").textContent = t("admin_traffic.gini", { v: body.gini.toFixed(2) });
  document.getElementById("distribution-top10").textContent = t("admin_traffic.top10", { v: `${Math.round(body.top10_share * 100)}%` });
}

async function boost(roomId, kind) {
  try {
    await api("POST", `/api/v1/admin/traffic/rooms/${encodeURIComponent(roomId)}/boost`, { kind });
    await Promise.all([loadRooms(), loadAudit()]);
  } catch (error) {
    showError(error);
  }
}

// list: a paged list element; cursor: the next_cursor to append, or null for the first page.
function showMore(list, body, load) {
  list.querySelector(".list-more")?.remove();
  if (!body.next_cursor) return;
  const more = el("button", { type: "button", class: "button button-small" }, t("common.load_more"));
  more.addEventListener("click", () => busy(more, () => load(body.next_cursor)));
  list.append(el("li", { class: "list-more" }, more));
}

async function loadRooms(cursor = null) {
  const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
  const body = await api("GET", `/api/v1/admin/traffic/rooms${query}`);
  const list = document.getElementById("room-controls");
  if (!cursor) list.replaceChildren();
  list.querySelector(".list-more")?.remove();
  list.append(
    ...body.items.map((room) =>
      el(
        "li",
        { dataset: { roomId: room.room_id } },
        el("span", { class: "ellipsis" }, room.name),
        el("span", { class: "muted small" }, t("traffic.exposures", { n: room.exposures })),
        room.boost ? el("span", { class: "badge" }, t(room.boost === "pin" ? "admin_traffic.pinned" : "admin_traffic.demoted")) : null,
        el(
          "span",
          { class: "room-actions" },
          el("button", { type: "button", class: "button button-small", dataset: { boost: "pin" }, onclick: () => boost(room.room_id, "pin") }, t("admin_traffic.pin")),
          el("button", { type: "button", class: "button button-small", dataset: { boost: "demote" }, onclick: () => boost(room.room_id, "demote") }, t("admin_traffic.demote")),
          room.boost ? el("button", { type: "button", class: "button button-small", dataset: { boost: "clear" }, onclick: () => boost(room.room_id, "clear") }, t("admin_traffic.clear")) : null,
        ),
      ),
    ),
  );
  showMore(list, body, loadRooms);
}

async function loadAudit(cursor = null) {
  const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
  const body = await api("GET", `/api/v1/admin/traffic/audit${query}`);
  const list = document.getElementById("audit-log");
  if (!cursor) list.replaceChildren();
  list.querySelector(".list-more")?.remove();
  list.append(
    ...body.items.map((row) =>
      el(
        "li",
        {},
        el("span", { class: "muted small" }, formatTime(row.at)),
        el("span", {}, t(`admin_traffic.action_${row.action}`)),
        row.detail && row.detail.room_name ? el("span", { class: "ellipsis" }, row.detail.room_name) : null,
      ),
    ),
  );
  showMore(list, body, loadAudit);
}

Promise.all([loadPolicy(), loadDistribution(), loadRooms(), loadAudit()]).catch(showError);
