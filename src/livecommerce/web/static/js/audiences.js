// Audiences and targeting campaigns (物找人): a merchant builds an audience for a product, a
// host for an upcoming session, from profile filters; see its size and mix, target it with a
// message or a coupon and a random hold-out, read each campaign's uplift against its hold-out.
import { ApiError, api, busy, clear, el, formatTime, lang, page, showError, t, toast } from "./core.js";

const $ = (id) => document.getElementById(id);
const form = $("audience-form");
const campaignForm = $("campaign-form");
const subjectSelect = $("audience-subject");
const interestSelect = $("audience-interest");
const forSessions = page.audience_subject === "session";
let nextCursor = null;

// The chosen product's or session's API path: its segment and campaigns live under it.
const subjectPath = () =>
  forSessions ? `/api/v1/live-sessions/${subjectSelect.value}` : `/api/v1/products/${subjectSelect.value}`;

const percent = (share) => `${(share * 100).toFixed(1).replace(/\.0$/, "")}%`;
const bandName = (band) => t(`profile.band.${band}`);

function filters() {
  const data = new FormData(form);
  const audience = { buyers: data.get("buyers") || "all" };
  if (data.get("interest")) audience.interest = data.get("interest");
  if (data.get("price_band")) audience.price_band = data.get("price_band");
  return audience;
}

function size() {
  const value = Number.parseInt($("audience-size").value, 10);
  return Number.isFinite(value) ? Math.min(Math.max(value, 1), 500) : 100;
}

function holdoutShare() {
  return Number.parseFloat($("campaign-holdout").value) || 0.5;
}

// Mirrors the server's split: size / (1 − share) of the likeliest, the hold-out their share.
function describeSplit() {
  const share = holdoutShare();
  const target = size();
  const holdout = Math.floor((target * share) / (1 - share) + 1e-9);
  $("campaign-split").textContent = t("audience.split", { target, holdout });
}

function segmentQuery(audience, people) {
  const query = new URLSearchParams({ size: String(people), buyers: audience.buyers });
  if (audience.interest) query.set("interest", audience.interest);
  if (audience.price_band) query.set("price_band", audience.price_band);
  return query.toString();
}

function mixList(segment) {
  const list = el("ul", { class: "audience-mix" });
  for (const interest of segment.interests) {
    list.append(
      el(
        "li",
        {},
        el("span", { class: "audience-mix-name" }, interest.name),
        el("progress", { max: "1", value: String(interest.score), "aria-label": interest.name }),
        el("span", { class: "audience-mix-share" }, percent(interest.score)),
      ),
    );
  }
  return list;
}

function renderPreview(segment) {
  const box = clear($("audience-preview"));
  box.append(el("p", { class: "audience-size", id: "audience-size-line" }, t("audience.size_line", { n: segment.size })));
  if (!segment.size) {
    box.append(el("p", { class: "empty" }, t("audience.empty")));
    return;
  }
  if (segment.interests.length) {
    box.append(el("h3", {}, t("audience.mix")), mixList(segment));
  }
  const bands = Object.entries(segment.price_bands);
  if (bands.length) {
    box.append(
      el("h3", {}, t("audience.bands")),
      el("p", {}, bands.map(([band, count]) => `${bandName(band)} ${count}`).join(lang === "zh" ? "、" : ", ")),
    );
  }
  box.append(el("p", { class: "muted" }, t("audience.new_returning", { new: segment.new, returning: segment.returning })));
}

async function preview() {
  if (!subjectSelect.value) return;
  const segment = await api("GET", `${subjectPath()}/segment?${segmentQuery(filters(), size())}`);
  renderPreview(segment);
}

// The interests to filter on: those of the likeliest people (the whole audience).
async function loadInterests() {
  const keep = interestSelect.value;
  clear(interestSelect).append(el("option", { value: "" }, t("audience.any")));
  if (!subjectSelect.value) return;
  const everyone = await api("GET", `${subjectPath()}/segment?size=500`);
  for (const interest of everyone.interests) {
    interestSelect.append(el("option", { value: interest.name }, interest.name));
  }
  if ([...interestSelect.options].some((option) => option.value === keep)) interestSelect.value = keep;
}

function filterText(audience) {
  const parts = [];
  if (audience.interest) parts.push(`${t("audience.interest")} ${audience.interest}`);
  if (audience.price_band) parts.push(`${t("audience.price_band")} ${bandName(audience.price_band)}`);
  if (audience.buyers && audience.buyers !== "all") parts.push(t(`audience.buyers.${audience.buyers}`));
  return parts.length ? t("audience.filters", { text: parts.join(" · ") }) : t("audience.no_filters");
}

function groupRow(label, converted, groupSize, rate, className, campaign) {
  // A session's campaign converts people who reserved or came in; a product's, who viewed or bought.
  const figure = campaign.session_id ? "audience.converted_session" : "audience.converted";
  return el(
    "div",
    { class: `campaign-group ${className}` },
    el("span", { class: "campaign-group-name" }, label),
    el("progress", { max: "1", value: String(rate), "aria-label": label }),
    el("span", { class: "campaign-group-figure" }, t(figure, { converted, size: groupSize, rate: percent(rate) })),
  );
}

function campaignItem(campaign) {
  const uplift = campaign.uplift;
  const points = (uplift.uplift * 100).toFixed(1);
  const signed = uplift.uplift > 0 ? `+${points}` : points;
  const verdict = uplift.uplift > 0 ? "badge-ok" : uplift.uplift < 0 ? "badge-danger" : "";
  return el(
    "li",
    { class: "campaign-item", dataset: { id: campaign.id } },
    el(
      "div",
      { class: "campaign-top" },
      el("strong", { class: "campaign-product" }, campaign.title),
      campaign.coupon_id ? el("span", { class: "badge" }, t("audience.with_coupon")) : null,
      el("span", { class: `badge campaign-uplift ${verdict}` }, t("audience.uplift", { pp: signed })),
    ),
    el("p", { class: "campaign-message" }, campaign.message),
    el(
      "p",
      { class: "muted small" },
      `${filterText(campaign.audience)} · ${t("audience.holdout")} ${percent(campaign.holdout_share)} · `,
      `${t("audience.reached", { n: campaign.reached })} · ${t("audience.since", { when: formatTime(campaign.created_at) })}`,
    ),
    groupRow(t("audience.targeted"), uplift.target_converted, uplift.target_size, uplift.target_rate, "is-target", campaign),
    groupRow(t("audience.held_out"), uplift.holdout_converted, uplift.holdout_size, uplift.holdout_rate, "is-holdout", campaign),
    uplift.relative === null ? null : el("p", { class: "muted small" }, t("audience.relative", { pct: `${(uplift.relative * 100).toFixed(0)}%` }).trim()),
  );
}

async function loadCampaigns(more = false) {
  const list = $("campaign-list");
  const query = more && nextCursor ? `?cursor=${encodeURIComponent(nextCursor)}` : "";
  const page = await api("GET", `/api/v1/campaigns${query}`);
  if (!more) clear(list);
  for (const campaign of page.items) list.append(campaignItem(campaign));
  if (!list.children.length) list.append(el("li", { class: "empty" }, t("audience.no_campaigns")));
  nextCursor = page.next_cursor;
  $("campaigns-more").hidden = !nextCursor;
}

async function loadProducts() {
  const products = (await api("GET", "/api/v1/products?mine=true&limit=100")).items;
  products.sort((a, b) => (a.status === "on_sale" ? 0 : 1) - (b.status === "on_sale" ? 0 : 1));
  return products.map((product) => ({ id: product.id, label: product.title }));
}

// A host's sessions that can still be promoted: live now first, then upcoming, soonest first.
async function loadSessions() {
  let room;
  try {
    room = await api("GET", "/api/v1/rooms/mine");
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return [];
    throw error;
  }
  const of = async (status) => (await api("GET", `/api/v1/rooms/${room.id}/sessions?status=${status}&limit=100`)).items;
  const live = await of("live");
  const upcoming = (await of("scheduled")).sort((a, b) => String(a.planned_start_at).localeCompare(String(b.planned_start_at)));
  return [
    ...live.map((item) => ({ id: item.id, label: t("audience.session_live", { title: item.title }) })),
    ...upcoming.map((item) => ({ id: item.id, label: t("audience.session_option", { title: item.title, when: formatTime(item.planned_start_at) }) })),
  ];
}

async function loadChoices() {
  const choices = forSessions ? await loadSessions() : await loadProducts();
  clear(subjectSelect);
  for (const choice of choices) subjectSelect.append(el("option", { value: choice.id }, choice.label));
  $("audience-no-subjects").hidden = choices.length > 0;
  const query = new URLSearchParams(location.search);
  const wanted = query.get(forSessions ? "session" : "product");
  if (wanted && choices.some((choice) => choice.id === wanted)) subjectSelect.value = wanted;
  const coupons = (await api("GET", "/api/v1/coupons/issued")).items;
  for (const coupon of coupons.filter((c) => c.active)) {
    $("campaign-coupon").append(el("option", { value: coupon.id }, coupon.title));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  busy($("audience-preview-button"), preview);
});
subjectSelect.addEventListener("change", () => busy(null, async () => {
  await loadInterests();
  await preview();
}));
for (const input of [$("audience-size"), $("campaign-holdout")]) {
  input.addEventListener("input", describeSplit);
  input.addEventListener("change", describeSplit);
}
campaignForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!subjectSelect.value) {
    $("audience-no-subjects").hidden = false;
    return;
  }
  const message = $("campaign-message").value.trim();
  if (!message) {
    $("campaign-message").focus();
    return;
  }
  busy($("campaign-launch"), async () => {
    const body = {
      size: size(),
      message,
      holdout_share: holdoutShare(),
      audience: filters(),
    };
    const coupon = $("campaign-coupon").value;
    if (coupon) body.coupon_id = coupon;
    const campaign = await api("POST", `${subjectPath()}/campaigns`, body);
    toast(t("audience.launched", { target: campaign.size, reached: campaign.reached }), "ok");
    $("campaign-message").value = "";
    await loadCampaigns();
  });
});
$("campaigns-refresh").addEventListener("click", (event) => busy(event.currentTarget, () => loadCampaigns()));
$("campaigns-more").addEventListener("click", (event) => busy(event.currentTarget, () => loadCampaigns(true)));

describeSplit();
busy(null, async () => {
  await loadChoices();
  await loadCampaigns();
  if (subjectSelect.value) {
    await loadInterests();
    await preview();
  }
}).catch(showError);
