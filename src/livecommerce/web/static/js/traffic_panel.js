// The host's traffic panel for a session: tier, promoting metrics and how far each is,
// exposures and click-through by source, and what the host can do. Refreshed each 15 s.
import { api, el, t } from "./core.js";

const panel = document.getElementById("traffic-panel");
const sessionId = panel ? panel.dataset.sessionId : null;

function shown(metric, value) {
  if (metric === "avg_watch_s") return `${Math.round(value)}s`;
  if (metric === "orders_per_mille") return value.toFixed(1);
  return `${(value * 100).toFixed(1)}%`;
}

async function refresh() {
  let body;
  try {
    body = await api("GET", `/api/v1/traffic/sessions/${encodeURIComponent(sessionId)}/panel`);
  } catch (error) {
    return; // the panel is informative; the console works without it
  }
  document.getElementById("traffic-tier").textContent = t("traffic.tier", { tier: body.tier, tiers: body.tiers });
  document.getElementById("traffic-exposures").textContent = t("traffic.exposures", { n: body.exposures });
  document.getElementById("traffic-next").textContent =
    body.next_tier_sample === null ? t("traffic.top_tier") : t("traffic.to_judge", { n: body.exposures_to_judge });
  document.querySelector("#traffic-metrics tbody").replaceChildren(
    ...body.metrics.map((row) =>
      el(
        "tr",
        { dataset: { metric: row.metric } },
        el("td", {}, row.label),
        el("td", {}, shown(row.metric, row.value)),
        el("td", {}, shown(row.metric, row.threshold)),
        el("td", {}, row.reached ? el("span", { class: "badge badge-ok" }, t("traffic.reached")) : t("traffic.distance", { n: shown(row.metric, row.distance) })),
      ),
    ),
  );
  document.querySelector("#traffic-sources tbody").replaceChildren(
    ...body.sources.map((row) =>
      el(
        "tr",
        { dataset: { source: row.source } },
        el("td", {}, t(`traffic.src_${row.source}`)),
        el("td", {}, String(row.exposures)),
        el("td", {}, row.exposures ? `${(row.ctr * 100).toFixed(1)}%` : "–"),
        el("td", {}, String(row.visits)),
      ),
    ),
  );
  document.getElementById("traffic-tips").replaceChildren(...body.tips.map((tip) => el("li", {}, tip)));
}

if (sessionId) {
  refresh();
  setInterval(refresh, 15000);
}
