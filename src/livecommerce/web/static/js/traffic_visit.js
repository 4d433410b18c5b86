// The room tells where its viewer came from (a feed item, a shared link, search, another
// site, or nowhere) and, for a feed item, offers "why am I seeing this".
import { api, el, t } from "./core.js";
import { openSheet } from "./sheet.js";

const root = document.getElementById("live");
const sessionId = root ? root.dataset.sessionId : null;

function cameFrom() {
  if (!document.referrer) return "direct";
  try {
    const from = new URL(document.referrer);
    if (from.origin !== location.origin) return "external";
    return from.pathname.startsWith("/search") ? "search" : "direct";
  } catch (error) {
    return "direct";
  }
}

function offerWhy(reasons) {
  if (!reasons.length) return;
  const stage = root.querySelector(".stage") || root;
  const button = el("button", { type: "button", class: "room-why", id: "room-why", "aria-haspopup": "dialog" }, t("feed.why_room"));
  button.addEventListener("click", () => {
    const list = el("ul", { class: "feed-reasons" }, reasons.map((reason) => el("li", { dataset: { code: reason.code } }, reason.text)));
    openSheet({ title: t("feed.why_title"), body: list });
  });
  stage.append(button);
  // Just under the session's title line, whatever its height.
  const bar = stage.querySelector(".session-title-bar");
  if (bar) button.style.top = `${bar.offsetTop + bar.offsetHeight + 8}px`;
}

async function report() {
  if (!sessionId) return;
  const params = new URLSearchParams(location.search);
  const body = { session_id: sessionId };
  const impression = params.get("imp");
  const share = params.get("share");
  if (impression) body.impression_id = impression.slice(0, 32);
  else if (share) body.share_code = share.slice(0, 16);
  else body.came_from = cameFrom();
  try {
    const visit = await api("POST", "/api/v1/traffic/visits", body);
    offerWhy(visit.reasons || []);
  } catch (error) {
    // Attribution is best-effort: the room works without it.
  }
}

report();
