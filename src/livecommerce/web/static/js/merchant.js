// Merchant console: products with SKUs and images, and the orders to ship.
import {
  api,
  busy,
  centsToInput,
  clear,
  el,
  formatMoney,
  formatTime,
  formData,
  parseMoney,
  showError,
  specText,
  t,
  thumb,
  toast,
} from "./core.js";

const $ = (id) => document.getElementById(id);
const form = $("product-form");
const skuRows = $("sku-rows");
let products = [];
let editing = null; // the product being edited, or null for a new one

// "colour=red, size=M" ⇄ {colour: "red", size: "M"}
function parseSpec(text) {
  const spec = {};
  for (const part of text.split(/[,，;；]/)) {
    const [name, ...rest] = part.split(/[=:：]/);
    const key = (name || "").trim();
    const value = rest.join("=").trim();
    if (key && value) spec[key] = value;
  }
  return spec;
}

function specInput(spec) {
  return Object.entries(spec || {})
    .map(([name, value]) => `${name}=${value}`)
    .join(", ");
}

function addSkuRow(sku) {
  const row = el(
    "div",
    { class: "sku-row", dataset: { skuId: sku ? sku.id : "" } },
    el("input", { class: "sku-spec", name: "spec", placeholder: t("merchant.spec"), "aria-label": t("merchant.spec"), value: sku ? specInput(sku.spec) : "" }),
    el("input", { name: "price", inputmode: "decimal", placeholder: t("merchant.price_yuan"), "aria-label": t("merchant.price_yuan"), value: sku ? centsToInput(sku.price_cents) : "" }),
    el("input", { name: "stock", type: "number", min: 0, placeholder: t("merchant.stock"), "aria-label": t("merchant.stock"), value: sku ? sku.stock : "" }),
    sku
      ? el("span", { class: "muted small" }, "#")
      : el("button", { type: "button", class: "button button-small", "aria-label": t("common.delete"), onclick: () => row.remove() }, "×"),
  );
  skuRows.append(row);
}

function readSkus() {
  const rows = [];
  for (const row of skuRows.querySelectorAll(".sku-row")) {
    const spec = parseSpec(row.querySelector("[name=spec]").value);
    const priceText = row.querySelector("[name=price]").value.trim();
    const stockText = row.querySelector("[name=stock]").value.trim();
    if (!priceText && !stockText && !Object.keys(spec).length && !row.dataset.skuId) continue;
    const price = parseMoney(priceText);
    const stock = Number.parseInt(stockText || "0", 10);
    if (!price || !Number.isFinite(stock) || stock < 0) {
      throw new Error(t("merchant.price_yuan"));
    }
    rows.push({ id: row.dataset.skuId || null, spec, price_cents: price, stock });
  }
  return rows;
}

function edit(product) {
  editing = product;
  $("editor-heading").textContent = product ? t("merchant.edit_product") : t("merchant.new_product");
  form.reset();
  clear(skuRows);
  if (product) {
    form.elements.title.value = product.title;
    form.elements.description.value = product.description;
    form.elements.category.value = product.category;
    form.elements.currency.value = product.currency;
    form.elements.status.value = product.status;
    for (const sku of product.skus) addSkuRow(sku);
  } else {
    addSkuRow(null);
  }
  renderImages();
}

function renderImages() {
  const strip = clear($("image-strip"));
  $("image-form").hidden = !editing;
  $("images-note").hidden = Boolean(editing);
  if (!editing) return;
  for (const image of editing.images || []) {
    const remove = el("button", { type: "button", "aria-label": t("common.delete") }, "×");
    remove.addEventListener("click", () =>
      busy(remove, async () => {
        await api("DELETE", `/api/v1/products/${editing.id}/images/${image.id}`);
        await reload(editing.id);
      }),
    );
    strip.append(el("figure", {}, el("img", { src: image.url, alt: "" }), remove));
  }
}

async function reload(selectId) {
  try {
    const body = await api("GET", "/api/v1/products?mine=true&limit=100");
    products = body.items;
    renderProducts();
    if (selectId) edit(products.find((product) => product.id === selectId) || null);
  } catch (error) {
    showError(error);
  }
}

const STATUS_BADGE = { on_sale: "badge-ok", draft: "", off_sale: "badge-danger" };

function renderProducts() {
  const list = clear($("product-list"));
  if (!products.length) list.append(el("li", { class: "empty" }, t("merchant.no_products")));
  for (const product of products) {
    list.append(
      el(
        "li",
        { class: "row-item", dataset: { productId: product.id } },
        thumb(product.cover_url, product.title),
        el(
          "div",
          { class: "grow" },
          el("div", { class: "ellipsis" }, product.title),
          el(
            "div",
            { class: "muted small" },
            el("span", { class: `badge ${STATUS_BADGE[product.status] || ""}` }, t(`product_status.${product.status}`)),
            " ",
            product.price_cents !== null ? formatMoney(product.price_cents, product.currency) : "",
            ` · ${t("live.stock", { n: product.stock })}`,
          ),
        ),
        el("button", { type: "button", class: "button button-small", onclick: () => edit(product) }, t("common.edit")),
      ),
    );
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const values = formData(form);
  let skus;
  try {
    skus = readSkus();
  } catch (error) {
    toast(error.message, "error");
    return;
  }
  busy($("save-product"), async () => {
    let product;
    if (!editing) {
      product = await api("POST", "/api/v1/products", {
        title: values.title,
        description: values.description,
        category: values.category,
        currency: values.currency,
        status: values.status,
        skus: skus.map(({ spec, price_cents, stock }) => ({ spec, price_cents, stock })),
      });
    } else {
      product = await api("PATCH", `/api/v1/products/${editing.id}`, {
        title: values.title,
        description: values.description,
        category: values.category,
        currency: values.currency,
      });
      for (const sku of skus) {
        const body = { spec: sku.spec, price_cents: sku.price_cents, stock: sku.stock };
        if (sku.id) await api("PATCH", `/api/v1/products/${editing.id}/skus/${sku.id}`, body);
        else await api("POST", `/api/v1/products/${editing.id}/skus`, body);
      }
      if (values.status !== editing.status) {
        product = await api("POST", `/api/v1/products/${editing.id}/status`, { status: values.status });
      }
    }
    toast(t("common.saved"), "ok");
    await reload(product.id);
  });
});

$("new-product").addEventListener("click", () => edit(null));
$("add-sku").addEventListener("click", () => addSkuRow(null));

$("image-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const file = event.currentTarget.elements.file.files[0];
  if (!file || !editing) return;
  const upload = new FormData();
  upload.append("file", file);
  const imageForm = event.currentTarget;
  busy(imageForm.querySelector("button"), async () => {
    await api("POST", `/api/v1/products/${editing.id}/images`, upload);
    imageForm.reset();
    await reload(editing.id);
  });
});

// ---------- orders ----------

let orderStatus = "paid";

function orderRow(order) {
  const address = order.shipping_address || {};
  const row = el(
    "li",
    { class: "order-card", dataset: { orderId: order.id, status: order.status } },
    el(
      "div",
      { class: "order-head" },
      el("span", {}, `${t("orders.number")} ${order.id.slice(0, 8).toUpperCase()} · ${formatTime(order.created_at)}`),
      el("span", { class: "badge" }, t(`order_status.${order.status}`)),
    ),
    order.items.map((item) =>
      el(
        "div",
        { class: "order-line" },
        el("span", {}, item.title, el("span", { class: "muted small" }, ` · ${specText(item.spec)} ×${item.quantity}`)),
        el("span", {}, formatMoney(item.line_total_cents, order.currency)),
      ),
    ),
    el("div", { class: "muted small" }, `${t("orders.ship_to")}: ${address.recipient || ""} ${address.phone || ""} ${address.region || ""} ${address.line1 || ""}`),
    order.carrier ? el("div", { class: "small" }, `${t("orders.tracking")}: ${order.carrier} ${order.tracking_number || ""}`) : null,
    el("div", { class: "order-total" }, el("span", { class: "price" }, formatMoney(order.total_cents, order.currency))),
  );
  if (order.status === "paid") {
    const shipForm = el(
      "form",
      { class: "ship-form" },
      el("input", { name: "carrier", required: true, maxlength: 40, placeholder: t("merchant.carrier"), "aria-label": t("merchant.carrier") }),
      el("input", { name: "tracking_number", required: true, maxlength: 60, placeholder: t("merchant.tracking_number"), "aria-label": t("merchant.tracking_number") }),
      el("button", { type: "submit", class: "button button-primary button-small" }, t("merchant.ship")),
    );
    shipForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = formData(shipForm);
      busy(shipForm.querySelector("button"), async () => {
        await api("POST", `/api/v1/orders/${order.id}/ship`, values);
        toast(t("common.saved"), "ok");
        await loadOrders();
      });
    });
    row.append(shipForm);
  }
  return row;
}

// cursor: the next_cursor of the last page shown, to append the page after it.
async function loadOrders(cursor = null) {
  try {
    const params = new URLSearchParams();
    if (orderStatus) params.set("status", orderStatus);
    if (cursor) params.set("cursor", cursor);
    const query = params.toString() ? `?${params}` : "";
    const body = await api("GET", `/api/v1/merchant/orders${query}`);
    const list = cursor ? $("merchant-orders") : clear($("merchant-orders"));
    list.querySelector(".list-more")?.remove();
    if (!cursor && !body.items.length) list.append(el("li", { class: "empty" }, t("merchant.no_orders")));
    for (const order of body.items) list.append(orderRow(order));
    if (body.next_cursor) {
      const more = el("button", { type: "button", class: "button button-small" }, t("common.load_more"));
      more.addEventListener("click", () => busy(more, () => loadOrders(body.next_cursor)));
      list.append(el("li", { class: "list-more" }, more));
    }
  } catch (error) {
    showError(error);
  }
}

$("merchant-order-filters").addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-status]") : null;
  if (!button) return;
  orderStatus = button.dataset.status;
  for (const other of event.currentTarget.querySelectorAll("button")) {
    other.setAttribute("aria-pressed", other === button ? "true" : "false");
  }
  loadOrders();
});

edit(null);
reload(null);
loadOrders();
