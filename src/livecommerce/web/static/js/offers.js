// Merchant: publish commission offers, answer sample requests, name own staff hosts.
import { actionButtons, api, busy, clear, el, formatMoney, formatTime, formData, parseMoney, showError, t, toast } from "./core.js";

const $ = (id) => document.getElementById(id);
const percent = (bp) => `${(bp / 100).toFixed(bp % 100 ? 2 : 0)}%`;

async function loadProducts() {
  const pick = $("product-pick");
  clear(pick);
  const products = await api("GET", "products?mine=true&limit=100");
  for (const product of products.items || []) pick.append(el("option", { value: product.id }, product.title));
}

async function loadOffers() {
  const list = clear($("offer-list"));
  const offers = await api("GET", "mcn/offers?mine=true&limit=100");
  if (!offers.items.length) list.append(el("li", { class: "empty" }, t("common.none")));
  for (const offer of offers.items) {
    const close = el("button", { type: "button", class: "button button-small" }, t("partners.close_offer"));
    close.hidden = offer.status !== "active";
    close.addEventListener("click", () =>
      busy(close, async () => {
        await api("PATCH", `mcn/offers/${offer.id}`, { status: "closed" });
        await loadOffers();
      }),
    );
    list.append(
      el(
        "li",
        { class: "row-item" },
        el(
          "div",
          { class: "grow" },
          el("strong", {}, offer.product_title),
          el(
            "div",
            { class: "muted small" },
            `${t("partners.commission")} ${percent(offer.commission_bp)} · ${t("partners.sold", { count: offer.sales_count })} · ${formatMoney(offer.sales_cents, offer.currency)} · ${t(`partners.offer_status.${offer.status}`)}`,
          ),
        ),
        close,
      ),
    );
  }
}

async function loadSamples() {
  const list = clear($("sample-list"));
  const samples = await api("GET", "mcn/samples");
  if (!samples.items.length) list.append(el("li", { class: "empty" }, t("common.none")));
  for (const sample of samples.items) {
    const actions =
      sample.status === "pending"
        ? actionButtons(["approve", "decline"], `mcn/samples/${sample.id}`, loadSamples)
        : [];
    list.append(
      el(
        "li",
        { class: "row-item" },
        el(
          "div",
          { class: "grow" },
          el("strong", {}, t(`partners.sample_status.${sample.status}`)),
          el("div", { class: "muted small" }, [sample.requester_name, formatTime(sample.created_at), sample.note].filter(Boolean).join(" · ")),
        ),
        ...actions,
      ),
    );
  }
}

async function loadStaff() {
  const list = clear($("staff-list"));
  const staff = await api("GET", "mcn/staff");
  for (const row of staff.items) {
    list.append(
      el(
        "li",
        { class: "row-item" },
        el("div", { class: "grow" }, row.host_name),
        el("span", { class: row.accepted ? "badge badge-ok" : "badge" }, t(row.accepted ? "partners.confirmed" : "partners.unconfirmed")),
      ),
    );
  }
}

$("offer-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = formData(event.target);
  const floor = values.min_live_price ? parseMoney(values.min_live_price) : null;
  if (values.min_live_price && !floor) {
    toast(t("partners.min_live_price"), "error");
    return;
  }
  const body = {
    product_id: values.product_id,
    commission_bp: parseMoney(values.commission),
    fixed_fee_cents: parseMoney(values.fixed_fee || "0") || 0,
    sample_policy: values.sample_policy,
    visibility: values.visibility,
    min_live_price_cents: floor,
    allow_flash_sales: values.allow_flash_sales === "on",
    allow_prizes: values.allow_prizes === "on",
    allow_room_coupons: values.allow_room_coupons === "on",
  };
  try {
    await api("POST", "mcn/offers", body);
    toast(t("common.saved"), "ok");
    await loadOffers();
  } catch (error) {
    showError(error);
  }
});

$("staff-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "mcn/staff", { host_email: formData(event.target).host_email.trim() });
    event.target.reset();
    await loadStaff();
  } catch (error) {
    showError(error);
  }
});

Promise.all([loadProducts(), loadOffers(), loadSamples(), loadStaff()]).catch(showError);
