// The merchant's pre-sale console: pre-sales with progress, state and production; the
// decision rules with their switches; the log of what the rules decided and why.
import { api, clear, el, formatMoney, formatTime, me, page, parseMoney, showError, t, toast } from "./core.js";
import { clearErrors, intValue, showErrors, showProblems } from "./c2b_forms.js";

const products = page.products || [];
const suppliers = page.suppliers || [];
const productById = new Map(products.map((product) => [product.id, product]));
const skuLabel = new Map();
for (const product of products) {
  for (const sku of product.skus) skuLabel.set(sku.id, sku.label || product.title);
}
const productTitle = (id) => (productById.has(id) ? productById.get(id).title : id);

// ---- pre-sales ---------------------------------------------------------------------

const campaignList = document.getElementById("campaign-list");
const campaignsMore = document.getElementById("campaigns-more");
let campaignCursor = null;
let productionByCampaign = new Map();

function progressBar(campaign) {
  const share = Math.min(100, Math.round((campaign.units_paid / Math.max(campaign.moq, 1)) * 100));
  return el(
    "div",
    {
      class: "c2b-progress",
      role: "progressbar",
      "aria-label": t("c2b.progress_label"),
      "aria-valuemin": "0",
      "aria-valuemax": String(campaign.moq),
      "aria-valuenow": String(campaign.units_paid),
    },
    el("span", { style: null, dataset: { share: String(share) } }),
  );
}

function productionLine(orders) {
  if (!orders || !orders.length) return el("span", { class: "muted" }, t("c2b.no_production"));
  return orders.map((order) =>
    el(
      "span",
      { class: "c2b-production", dataset: { status: order.status } },
      el("span", { class: "badge" }, t(`c2b.prod_${order.status}`)),
      " ",
      order.lines.map((line) => `${line.variant} × ${line.quantity}`).join(" · "),
      " · ",
      t("c2b.delivered", { n: order.units_delivered, total: order.units_total }),
    ),
  );
}

function campaignItem(campaign) {
  const product = productById.get(campaign.product_id);
  const currency = campaign.currency || (product ? product.currency : "CNY");
  const bar = progressBar(campaign);
  const item = el(
    "li",
    { class: "c2b-campaign", id: campaign.id, dataset: { campaignId: campaign.id, status: campaign.status } },
    el(
      "div",
      { class: "c2b-line" },
      el("a", { class: "c2b-grow", href: `/presales/${campaign.id}` }, el("strong", {}, campaign.title)),
      el("span", { class: `badge c2b-state-${campaign.status}`, "data-role": "state" }, t(`c2b.campaign_${campaign.status}`)),
    ),
    bar,
    el(
      "div",
      { class: "c2b-line muted small" },
      el("span", { "data-role": "booked" }, t("c2b.booked", { n: campaign.units_paid, moq: campaign.moq })),
      el("span", {}, t("c2b.max", { n: campaign.max_units })),
      el(
        "span",
        {},
        campaign.deposit_cents
          ? t("c2b.deposit", {
              d: formatMoney(campaign.deposit_cents, currency),
              b: formatMoney(campaign.price_cents - campaign.deposit_cents, currency),
            })
          : t("c2b.full", { p: formatMoney(campaign.price_cents, currency) }),
      ),
      el("span", {}, t("c2b.deadline", { d: formatTime(campaign.deadline) })),
    ),
    el(
      "div",
      { class: "c2b-line small" },
      el("span", { class: "muted" }, t("c2b.variants_label")),
      (campaign.variants.length
        ? campaign.variants.map((variant) => variant.label)
        : [skuLabel.get(campaign.sku_id) || productTitle(campaign.product_id)]
      ).map((label) => el("span", { class: "c2b-chip" }, label || campaign.title)),
    ),
    el("div", { class: "c2b-line small", "data-role": "production" }, el("span", { class: "muted" }, t("c2b.production_label")), productionLine(productionByCampaign.get(campaign.id))),
    el(
      "div",
      { class: "c2b-line" },
      campaign.status === "open"
        ? el("a", { class: "button button-small", href: `/console/presales/${campaign.id}/edit`, "data-role": "edit" }, t("c2b.edit"))
        : null,
      el("a", { class: "button button-small", href: "/factory" }, t("c2b.pledges_link")),
    ),
  );
  const fill = bar.firstElementChild;
  fill.style.width = `${fill.dataset.share}%`;
  return item;
}

async function loadProduction() {
  try {
    const found = await api("GET", "production-orders?limit=100");
    productionByCampaign = new Map();
    for (const order of found.items) {
      if (!order.campaign_id) continue;
      if (!productionByCampaign.has(order.campaign_id)) productionByCampaign.set(order.campaign_id, []);
      productionByCampaign.get(order.campaign_id).push(order);
    }
  } catch (error) {
    showError(error);
  }
}

async function loadCampaigns(more = false) {
  const query = new URLSearchParams({ merchant_id: me ? me.id : "", limit: "20" });
  if (more && campaignCursor) query.set("cursor", campaignCursor);
  try {
    const found = await api("GET", `presales?${query}`);
    if (!more) clear(campaignList);
    for (const campaign of found.items) campaignList.append(campaignItem(campaign));
    if (!campaignList.children.length) campaignList.append(el("li", { class: "empty" }, t("c2b.no_presales")));
    campaignCursor = found.next_cursor;
    campaignsMore.hidden = !campaignCursor;
    if (!more && location.hash) {
      const target = document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView({ block: "center" });
    }
  } catch (error) {
    clear(campaignList).append(el("li", { class: "empty" }, error.message || t("common.network_error")));
  }
}

campaignsMore.addEventListener("click", () => loadCampaigns(true));

// ---- rules -------------------------------------------------------------------------

const ruleList = document.getElementById("rule-list");
const ruleForm = document.getElementById("rule-form");
const ruleEditor = document.getElementById("rule-editor");
let rules = [];

function paramsText(rule) {
  const p = rule.params;
  const product = productById.get(rule.product_id);
  const currency = product ? product.currency : "CNY";
  if (rule.kind === "auto_launch") {
    return [
      `${t("c2b.p_threshold")} ${p.threshold}`,
      p.variant ? `${t("c2b.f_variant")} ${p.variant}` : null,
      skuLabel.get(p.sku_id) || null,
      formatMoney(Number(p.price_cents), currency),
      `${t("c2b.f_moq")} ${p.moq}`,
      `${t("c2b.f_max")} ${p.max_units}`,
      `${t("c2b.p_days")} ${p.days}`,
    ].filter(Boolean).join(" · ");
  }
  return [`${t("c2b.p_forecast")} ${p.forecast_units}`, p.lead_days ? `${t("c2b.p_lead_days")} ${p.lead_days}` : null]
    .filter(Boolean)
    .join(" · ");
}

function ruleItem(rule) {
  const toggle = el("input", {
    type: "checkbox",
    role: "switch",
    checked: rule.enabled,
    "aria-label": `${t(`c2b.rule_${rule.kind}`)} · ${productTitle(rule.product_id)}`,
  });
  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    try {
      const saved = await api("PUT", `products/${rule.product_id}/c2b-rules`, {
        kind: rule.kind,
        enabled: toggle.checked,
        params: rule.params,
      });
      Object.assign(rule, saved);
      toast(t("c2b.saved"), "success");
    } catch (error) {
      toggle.checked = !toggle.checked;
      showError(error);
    } finally {
      toggle.disabled = false;
    }
  });
  return el(
    "li",
    { class: "c2b-rule", dataset: { kind: rule.kind, productId: rule.product_id } },
    el(
      "div",
      { class: "c2b-line" },
      el("label", { class: "c2b-switch" }, toggle, el("span", {}, t("c2b.rule_on"))),
      el("strong", { class: "c2b-grow" }, t(`c2b.rule_${rule.kind}`)),
      el("button", { type: "button", class: "button button-small", onclick: () => editRule(rule) }, t("c2b.edit")),
    ),
    el("div", { class: "muted small" }, `${productTitle(rule.product_id)} · ${paramsText(rule)}`),
  );
}

async function loadRules() {
  try {
    rules = [];
    let cursor = null;
    do {
      const found = await api("GET", `c2b-rules?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      rules.push(...found.items);
      cursor = found.next_cursor;
    } while (cursor);
    clear(ruleList);
    for (const rule of rules) ruleList.append(ruleItem(rule));
    if (!rules.length) ruleList.append(el("li", { class: "empty" }, t("c2b.no_rules")));
  } catch (error) {
    clear(ruleList).append(el("li", { class: "empty" }, error.message));
  }
}

function fillRuleSkus(selected) {
  const select = ruleForm.elements.sku_id;
  clear(select);
  const product = productById.get(ruleForm.elements.product_id.value);
  for (const sku of product ? product.skus : []) select.append(el("option", { value: sku.id }, sku.label || product.title));
  if (selected) select.value = selected;
}

function syncKind() {
  const kind = ruleForm.elements.kind.value;
  for (const row of ruleForm.querySelectorAll("[data-kind]")) row.hidden = row.dataset.kind !== kind;
}

function setUpRuleForm() {
  const productSelect = ruleForm.elements.product_id;
  for (const product of products) productSelect.append(el("option", { value: product.id }, product.title));
  const supplierSelect = ruleForm.elements.supplier_id;
  supplierSelect.append(el("option", { value: "" }, t("c2b.supplier_none")));
  for (const supplier of suppliers) supplierSelect.append(el("option", { value: supplier.id }, supplier.name));
  productSelect.addEventListener("change", () => fillRuleSkus());
  ruleForm.elements.kind.addEventListener("change", syncKind);
  fillRuleSkus();
  syncKind();
}

function editRule(rule) {
  const f = ruleForm.elements;
  f.kind.value = rule.kind;
  f.product_id.value = rule.product_id;
  fillRuleSkus(rule.params.sku_id);
  const p = rule.params;
  for (const name of ["threshold", "variant", "moq", "max_units", "days", "ship_days", "forecast_units", "lead_days"]) {
    f[name].value = p[name] === undefined ? "" : String(p[name]);
  }
  f.price.value = p.price_cents ? (Number(p.price_cents) / 100).toFixed(2) : "";
  f.deposit.value = p.deposit_cents ? (Number(p.deposit_cents) / 100).toFixed(2) : "";
  f.supplier_id.value = p.supplier_id || "";
  f.enabled.checked = rule.enabled;
  syncKind();
  clearErrors(ruleForm);
  ruleEditor.open = true;
  ruleEditor.scrollIntoView({ block: "start" });
}

ruleForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(ruleForm);
  const f = ruleForm.elements;
  const kind = f.kind.value;
  const problems = [];
  const params = {};
  const put = (name, value) => {
    if (value !== undefined && value !== "") params[name] = value;
  };
  if (kind === "auto_launch") {
    put("threshold", intValue(f.threshold.value));
    put("variant", f.variant.value.trim());
    put("sku_id", f.sku_id.value);
    for (const [name, field] of [["price", "price_cents"], ["deposit", "deposit_cents"]]) {
      const text = f[name].value.trim();
      if (!text) continue;
      const cents = parseMoney(text);
      if (cents === null) problems.push([`params.${field}`, t("c2b.money_format")]);
      else params[field] = cents;
    }
    put("moq", intValue(f.moq.value));
    put("max_units", intValue(f.max_units.value));
    put("days", intValue(f.days.value));
    put("ship_days", intValue(f.ship_days.value));
  } else {
    put("forecast_units", intValue(f.forecast_units.value));
    put("lead_days", intValue(f.lead_days.value));
  }
  put("supplier_id", f.supplier_id.value);
  if (!f.product_id.value) problems.push(["product_id", t("c2b.choose_product")]);
  if (problems.length) {
    showProblems(ruleForm, problems);
    return;
  }
  const button = ruleForm.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api("PUT", `products/${f.product_id.value}/c2b-rules`, { kind, enabled: f.enabled.checked, params });
    toast(t("c2b.saved"), "success");
    ruleEditor.open = false;
    await loadRules();
  } catch (error) {
    showErrors(ruleForm, error);
  } finally {
    button.disabled = false;
  }
});

// ---- the decision log --------------------------------------------------------------

const decisionList = document.getElementById("decision-list");
const decisionsMore = document.getElementById("decisions-more");
let decisionCursor = null;

function figureValue(name, value) {
  if (name === "share_bp") return `${Number(value) / 100}%`;
  if ((name === "deadline" || name === "new_deadline") && typeof value === "string") return formatTime(value);
  return String(value);
}

function decisionItem(decision) {
  const figures = Object.entries(decision.figures || {}).map(([name, value]) =>
    el("span", { class: "c2b-chip" }, `${t(`c2b.f_${name}`) === `c2b.f_${name}` ? name : t(`c2b.f_${name}`)} ${figureValue(name, value)}`),
  );
  return el(
    "li",
    { class: "c2b-decision", dataset: { rule: decision.rule, decision: decision.decision } },
    el(
      "div",
      { class: "c2b-line" },
      el("strong", { class: "c2b-grow" }, `${t(`c2b.rule_${decision.rule}`)} → ${t(`c2b.d_${decision.decision}`)}`),
      el("span", { class: "muted small" }, formatTime(decision.created_at)),
    ),
    el(
      "div",
      { class: "c2b-line small" },
      decision.product_id ? el("span", {}, productTitle(decision.product_id)) : null,
      figures,
      decision.campaign_id ? el("a", { href: `/presales/${decision.campaign_id}` }, t("c2b.presale")) : null,
    ),
  );
}

async function loadDecisions(more = false) {
  const query = new URLSearchParams({ limit: "20" });
  if (more && decisionCursor) query.set("cursor", decisionCursor);
  try {
    const found = await api("GET", `c2b-decisions?${query}`);
    if (!more) clear(decisionList);
    for (const decision of found.items) decisionList.append(decisionItem(decision));
    if (!decisionList.children.length) decisionList.append(el("li", { class: "empty" }, t("c2b.no_decisions")));
    decisionCursor = found.next_cursor;
    decisionsMore.hidden = !decisionCursor;
  } catch (error) {
    clear(decisionList).append(el("li", { class: "empty" }, error.message));
  }
}

decisionsMore.addEventListener("click", () => loadDecisions(true));

setUpRuleForm();
await loadProduction();
await Promise.all([loadCampaigns(), loadRules(), loadDecisions()]);
