// The search page: more results on demand. Every piece of result text goes in through
// text nodes; a matching part is wrapped in <mark>, never parsed as markup.
import { api, el, formatMoney, page, showError, t } from "./core.js";

const list = document.getElementById("search-results");
const more = document.getElementById("search-more");
let cursor = page.next_cursor || null;

function marked(parts) {
  return (parts || []).map((part) => (part.hit ? el("mark", {}, part.text) : document.createTextNode(part.text)));
}

function facts(item) {
  if (item.kind === "product") {
    const nodes = [];
    if (item.price_min_cents !== null && item.price_min_cents !== undefined) {
      let price = formatMoney(item.price_min_cents, item.currency);
      if (item.price_max_cents !== item.price_min_cents) price += ` – ${formatMoney(item.price_max_cents, item.currency)}`;
      nodes.push(el("span", { class: "price" }, price));
    }
    if (item.merchant_name) nodes.push(el("span", { class: "ellipsis" }, t("search.sold_by", { name: item.merchant_name })));
    return nodes;
  }
  const nodes = [];
  if (item.live) nodes.push(el("span", {}, t("home.online", { n: item.online || 0 })));
  else if (item.session_id) nodes.push(el("span", {}, t("search.not_live")));
  nodes.push(el("span", {}, t("search.followers", { n: item.followers || 0 })));
  return nodes;
}

function resultNode(item) {
  const round = item.kind === "product" ? "" : " thumb-round";
  const picture = item.image_url
    ? el("img", { class: `thumb${round}`, src: item.image_url, alt: "", loading: "lazy" })
    : el("span", { class: `thumb thumb-placeholder${round}`, "aria-hidden": "true" }, item.title.slice(0, 1));
  const body = el(
    "span",
    { class: "search-body" },
    el(
      "span",
      { class: "search-meta" },
      el("span", { class: "badge" }, t(`search.kind_${item.kind}`)),
      item.live ? el("span", { class: "badge badge-live" }, t("live.badge")) : null,
    ),
    el("span", { class: "search-title" }, marked(item.title_parts)),
    item.snippet_parts && item.snippet_parts.length ? el("span", { class: "search-snippet" }, marked(item.snippet_parts)) : null,
    el("span", { class: "search-facts" }, facts(item)),
  );
  const link = item.url ? el("a", { class: "search-link", href: item.url }, picture, body) : el("div", { class: "search-link" }, picture, body);
  return el("li", { class: "search-item", dataset: { kind: item.kind, id: item.id } }, link);
}

async function loadMore() {
  if (!cursor) return;
  const params = new URLSearchParams({ q: page.q || "", cursor });
  if (page.type) params.set("type", page.type);
  more.disabled = true;
  try {
    const body = await api("GET", `/api/v1/search?${params}`);
    for (const item of body.items) list.append(resultNode(item));
    cursor = body.next_cursor;
  } catch (error) {
    showError(error);
  } finally {
    more.disabled = false;
    more.hidden = !cursor;
  }
}

if (more) more.addEventListener("click", loadMore);
