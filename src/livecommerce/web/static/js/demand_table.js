// 需求看板: demand per product and variant (votes, proposals, the price people would
// pay) with the profile of the people asking; a merchant turns a row into a pre-sale.
import { api, clear, el, formatMoney, me, t } from "./core.js";

const rows = document.getElementById("demand-rows");
const more = document.getElementById("demand-more");
const scopes = document.getElementById("demand-scope");
let scope = me && me.role === "host" ? "room" : "products";
let cursor = null;

function profile(row) {
  if (!row.audience) {
    return el("div", { class: "c2b-profile muted small" }, t("c2b.people", { n: row.votes }), " · ", t("c2b.too_few"));
  }
  const audience = row.audience;
  const bands = Object.entries(audience.price_bands).sort((a, b) => b[1] - a[1]);
  return el(
    "div",
    { class: "c2b-profile small" },
    el("div", {}, t("c2b.people", { n: audience.size }), " · ", t("c2b.new_returning", { new: audience.new, returning: audience.returning })),
    audience.interests.length
      ? el(
          "div",
          { class: "c2b-chips" },
          audience.interests.slice(0, 3).map((item) => el("span", { class: "c2b-chip" }, `${item.name} ${Math.round(item.share * 100)}%`)),
        )
      : null,
    bands.length ? el("div", { class: "muted" }, t("profile.price_band", { band: t(`profile.band.${bands[0][0]}`) })) : null,
  );
}

function rowItem(row) {
  const action =
    scope === "products" && me && me.role !== "host"
      ? el(
          "a",
          {
            class: "button button-small button-primary",
            href: `/console/presales/new?product_id=${encodeURIComponent(row.product_id)}&variant=${encodeURIComponent(row.variant)}`,
            "data-role": "start",
          },
          t("c2b.start_presale"),
        )
      : el("span");
  return el(
    "li",
    { class: "c2b-demand-row", dataset: { productId: row.product_id, variant: row.variant } },
    el(
      "div",
      { class: "c2b-demand-what" },
      el("a", { href: `/products/${row.product_id}` }, row.product_title),
      el("strong", { class: "c2b-variant-name" }, row.variant),
      row.proposed ? el("span", { class: "badge" }, t("c2b.proposed_badge")) : null,
    ),
    el("div", { class: "c2b-demand-votes", "data-role": "votes" }, t("c2b.wanted", { n: row.votes })),
    el(
      "div",
      { class: "c2b-demand-price small" },
      row.average_price_cents === null
        ? el("span", { class: "muted" }, t("c2b.no_price"))
        : [el("strong", {}, formatMoney(row.average_price_cents, row.currency)), " ", el("span", { class: "muted" }, t("c2b.priced", { n: row.priced }))],
    ),
    profile(row),
    action,
  );
}

async function load(append = false) {
  const query = new URLSearchParams({ scope, limit: "20" });
  if (append && cursor) query.set("cursor", cursor);
  try {
    const found = await api("GET", `c2b/demand?${query}`);
    if (!append) clear(rows);
    for (const row of found.items) rows.append(rowItem(row));
    if (!rows.children.length) rows.append(el("li", { class: "empty" }, t("c2b.no_demand")));
    cursor = found.next_cursor;
    more.hidden = !cursor;
  } catch (error) {
    clear(rows).append(el("li", { class: "empty", role: "alert" }, error.message || t("common.network_error")));
    more.hidden = true;
  }
}

if (scopes) {
  for (const button of scopes.querySelectorAll("button[data-scope]")) {
    button.addEventListener("click", () => {
      scope = button.dataset.scope;
      for (const other of scopes.querySelectorAll("button[data-scope]")) {
        other.setAttribute("aria-pressed", String(other === button));
      }
      load();
    });
  }
}
more.addEventListener("click", () => load(true));
load();
