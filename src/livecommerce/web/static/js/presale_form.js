// The merchant's pre-sale form: create one from a product or a demanded variant, or edit
// an open one. Every check is the server's; its 4xx sentence shows next to the field.
import { api, centsToInput, clear, el, page, parseMoney, t, toast } from "./core.js";
import { clearErrors, intValue, showErrors, showProblems } from "./c2b_forms.js";

const form = document.getElementById("presale-form");
const products = page.products || [];
const suppliers = page.suppliers || [];
const campaign = page.campaign || null;
const locked = Boolean(page.locked);
const prefill = page.prefill || {};
const MAX_FIELDS = 5;
const OTHER = "__email";

const productSelect = form.elements.product;
const variantBox = document.getElementById("variant-list");
const customRows = document.getElementById("custom-rows");

const pad = (n) => String(n).padStart(2, "0");
const localDateTime = (date) =>
  `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
const localDate = (date) => localDateTime(date).slice(0, 10);

function currentProduct() {
  return products.find((product) => product.id === productSelect.value) || null;
}

function checkedVariants() {
  return Array.from(variantBox.querySelectorAll("input[name=variant]:checked"), (box) => box.value);
}

function skuMatches(sku, wanted) {
  return sku.label === wanted || sku.label.split(" / ").includes(wanted);
}

function renderVariants(selected) {
  clear(variantBox);
  const product = currentProduct();
  form.elements.title.placeholder = product ? product.title : "";
  const missing = document.getElementById("variant-missing");
  missing.hidden = true;
  if (!product) return;
  for (const sku of product.skus) {
    variantBox.append(
      el(
        "label",
        { class: "choice c2b-variant" },
        el("input", {
          type: "checkbox",
          name: "variant",
          value: sku.id,
          checked: selected.includes(sku.id),
          disabled: locked,
        }),
        sku.label || product.title,
      ),
    );
  }
  const wanted = prefill.variant;
  if (!campaign && wanted && product.id === prefill.product_id) {
    if (!product.skus.some((sku) => skuMatches(sku, wanted))) {
      document.getElementById("variant-missing-text").textContent = t("c2b.variant_missing", { v: wanted });
      missing.hidden = false;
    }
  }
}

function initialVariants() {
  const product = currentProduct();
  if (!product) return [];
  if (campaign) return campaign.sku_ids;
  const wanted = prefill.variant;
  const match = wanted ? product.skus.find((sku) => skuMatches(sku, wanted)) : null;
  if (match) return [match.id];
  return product.skus.length === 1 ? [product.skus[0].id] : [];
}

function addCustomRow(name = "", maxLength = 20) {
  const index = customRows.children.length;
  if (index >= MAX_FIELDS) return;
  const row = el(
    "div",
    { class: "c2b-custom-row" },
    el(
      "label",
      { class: "c2b-custom-name" },
      t("c2b.custom_name"),
      el("input", { name: "custom_name", maxlength: "30", value: name, disabled: locked }),
      el("span", { class: "c2b-field-error", "data-error-for": `customisation_fields.${index}.name`, hidden: true }),
    ),
    el(
      "label",
      { class: "c2b-custom-max" },
      t("c2b.custom_max"),
      el("input", { name: "custom_max", type: "number", min: "1", max: "200", inputmode: "numeric", value: String(maxLength), disabled: locked }),
      el("span", { class: "c2b-field-error", "data-error-for": `customisation_fields.${index}.max_length`, hidden: true }),
    ),
    el(
      "button",
      {
        type: "button",
        class: "button button-small",
        disabled: locked,
        onclick: () => {
          row.remove();
          renumberCustomRows();
        },
      },
      t("c2b.remove"),
    ),
  );
  customRows.append(row);
}

function renumberCustomRows() {
  Array.from(customRows.children).forEach((row, index) => {
    const [name, max] = row.querySelectorAll(".c2b-field-error");
    name.dataset.errorFor = `customisation_fields.${index}.name`;
    max.dataset.errorFor = `customisation_fields.${index}.max_length`;
  });
}

function fillSuppliers(selected) {
  const select = form.elements.supplier;
  clear(select);
  select.append(el("option", { value: "" }, t("c2b.supplier_none")));
  for (const supplier of suppliers) select.append(el("option", { value: supplier.id }, supplier.name));
  select.append(el("option", { value: OTHER }, t("c2b.supplier_other")));
  select.value = selected || "";
  syncSupplier();
}

function syncSupplier() {
  document.getElementById("supplier-email-box").hidden = form.elements.supplier.value !== OTHER;
}

function syncPayment() {
  document.getElementById("deposit-row").hidden = form.elements.payment.value !== "deposit";
}

// ---- set up ------------------------------------------------------------------------

if (!products.length) productSelect.append(el("option", { value: "" }, t("c2b.no_products")));
for (const product of products) productSelect.append(el("option", { value: product.id }, product.title));
if (prefill.product_id && products.some((product) => product.id === prefill.product_id)) {
  productSelect.value = prefill.product_id;
}
productSelect.disabled = Boolean(campaign);
renderVariants(initialVariants());
productSelect.addEventListener("change", () => renderVariants(initialVariants()));
form.elements.payment.addEventListener("change", syncPayment);
form.elements.supplier.addEventListener("change", syncSupplier);
document.getElementById("custom-add").addEventListener("click", () => addCustomRow());

const initial = {};
if (campaign) {
  form.elements.title.value = campaign.title;
  form.elements.price.value = centsToInput(campaign.price_cents);
  form.elements.payment.value = campaign.deposit_cents ? "deposit" : "full";
  form.elements.deposit.value = campaign.deposit_cents ? centsToInput(campaign.deposit_cents) : "";
  form.elements.balance_hours.value = String(campaign.balance_hours);
  form.elements.on_balance_default.value = campaign.on_balance_default;
  form.elements.moq.value = String(campaign.moq);
  form.elements.max_units.value = String(campaign.max_units);
  form.elements.per_buyer_limit.value = String(campaign.per_buyer_limit);
  form.elements.deadline.value = localDateTime(new Date(campaign.deadline));
  form.elements.expected_ship_at.value = localDate(new Date(campaign.expected_ship_at));
  for (const field of campaign.customisation_fields) addCustomRow(field.name, field.max_length);
  form.elements.session_id.value = campaign.session_id || "";
  form.elements.extend_share.value = String(campaign.extend_share_bp / 100);
  form.elements.extend_hours.value = String(campaign.extend_hours);
  form.elements.production_at_moq.checked = campaign.production_at_moq;
  fillSuppliers(campaign.supplier_id);
} else {
  const deadline = new Date(Date.now() + 7 * 86400_000);
  deadline.setHours(20, 0, 0, 0);
  form.elements.deadline.value = localDateTime(deadline);
  form.elements.expected_ship_at.value = localDate(new Date(deadline.getTime() + 14 * 86400_000));
  const product = currentProduct();
  const sku = product ? product.skus.find((item) => initialVariants().includes(item.id)) || product.skus[0] : null;
  if (sku) form.elements.price.value = centsToInput(sku.price_cents);
  fillSuppliers(suppliers.length ? suppliers[0].id : "");
}
initial.deadline = form.elements.deadline.value;
initial.expected_ship_at = form.elements.expected_ship_at.value;
syncPayment();
if (locked) {
  document.getElementById("locked-note").hidden = false;
  for (const node of form.querySelectorAll("[data-term]")) node.disabled = true;
}

// A demanded variant the product does not have yet becomes one of its SKUs (stock 0:
// the pre-sale makes it).
document.getElementById("variant-add").addEventListener("click", async (event) => {
  const product = currentProduct();
  if (!product || !prefill.variant) return;
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const price = parseMoney(form.elements.price.value);
    const sku = await api("POST", `products/${product.id}/skus`, {
      spec: { [product.spec_key]: prefill.variant },
      price_cents: price || (product.skus[0] ? product.skus[0].price_cents : 100),
      stock: 0,
    });
    product.skus.push({ id: sku.id, label: Object.values(sku.spec).join(" / "), price_cents: sku.price_cents });
    renderVariants([...checkedVariants(), sku.id]);
    toast(t("c2b.variant_added", { v: prefill.variant }), "success");
  } catch (error) {
    showErrors(form, error);
  } finally {
    button.disabled = false;
  }
});

// ---- the body ----------------------------------------------------------------------

function money(name, field, problems) {
  const text = form.elements[name].value.trim();
  if (!text) return undefined;
  const cents = parseMoney(text);
  if (cents === null) problems.push([field, t("c2b.money_format")]);
  return cents === null ? undefined : cents;
}

function isoOf(value, suffix = "") {
  if (!value) return undefined;
  const date = new Date(value + suffix);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

function body(problems) {
  const data = {};
  const variants = checkedVariants();
  const deposit = form.elements.payment.value === "deposit";
  if (!campaign) {
    if (!variants.length) problems.push(["sku_ids", t("c2b.choose_variant")]);
    data.sku_id = variants[0] || "";
    data.more_sku_ids = variants.slice(1);
  }
  if (!locked) {
    if (campaign) {
      if (!variants.length) problems.push(["sku_ids", t("c2b.choose_variant")]);
      data.sku_ids = variants;
    }
    data.price_cents = money("price", "price_cents", problems);
    data.deposit_cents = deposit ? money("deposit", "deposit_cents", problems) : 0;
    if (deposit && !form.elements.deposit.value.trim()) {
      problems.push(["deposit_cents", t("c2b.money_format")]);
    }
    data.moq = intValue(form.elements.moq.value);
    data.customisation_fields = Array.from(customRows.children, (row) => ({
      name: row.querySelector("input[name=custom_name]").value,
      max_length: intValue(row.querySelector("input[name=custom_max]").value),
    }));
  }
  data.title = form.elements.title.value.trim() || null;
  data.max_units = intValue(form.elements.max_units.value);
  data.per_buyer_limit = intValue(form.elements.per_buyer_limit.value);
  if (!campaign || form.elements.deadline.value !== initial.deadline) {
    data.deadline = isoOf(form.elements.deadline.value);
  }
  if (!campaign || form.elements.expected_ship_at.value !== initial.expected_ship_at) {
    data.expected_ship_at = isoOf(form.elements.expected_ship_at.value, "T12:00");
  }
  if (deposit) {
    data.balance_hours = intValue(form.elements.balance_hours.value);
    data.on_balance_default = form.elements.on_balance_default.value;
  }
  const supplier = form.elements.supplier.value;
  if (supplier === OTHER) data.supplier_email = form.elements.supplier_email.value.trim() || null;
  else data.supplier_id = supplier || null;
  data.session_id = form.elements.session_id.value.trim() || null;
  const share = intValue(form.elements.extend_share.value);
  data.extend_share_bp = typeof share === "number" ? share * 100 : share;
  data.extend_hours = intValue(form.elements.extend_hours.value);
  data.production_at_moq = form.elements.production_at_moq.checked;
  if (!campaign) {
    for (const key of ["title", "supplier_id", "session_id"]) if (data[key] === null) delete data[key];
  }
  return data;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(form);
  const problems = [];
  const data = body(problems);
  if (problems.length) {
    showProblems(form, problems);
    return;
  }
  const button = document.getElementById("presale-submit");
  button.disabled = true;
  try {
    if (campaign) {
      await api("PATCH", `presales/${campaign.id}`, data);
      toast(t("c2b.saved"), "success");
    } else {
      const created = await api("POST", "presales", data);
      toast(t("c2b.created"), "success");
      location.assign(`/console/presales#${created.id}`);
      return;
    }
    location.assign(`/console/presales#${campaign.id}`);
  } catch (error) {
    showErrors(form, error);
  } finally {
    button.disabled = false;
  }
});
