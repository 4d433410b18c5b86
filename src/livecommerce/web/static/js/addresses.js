// The address book form, shared by the buy sheet and the orders page.
import { api, el, formData, showError, t } from "./core.js";

export async function loadAddresses() {
  const body = await api("GET", "/api/v1/addresses");
  return body.items;
}

export function addressLines(address) {
  return [
    `${address.recipient} ${address.phone}`,
    `${address.region} ${address.line1}${address.postal_code ? ` ${address.postal_code}` : ""}`,
  ];
}

// A form that creates an address and hands it to onSaved.
export function addressForm(onSaved, { makeDefault = false } = {}) {
  const field = (name, key, attributes = {}) =>
    el("label", {}, t(key), el("input", { name, required: true, ...attributes }));
  const submit = el("button", { type: "submit", class: "button button-dark" }, t("address.save"));
  const form = el(
    "form",
    { class: "form address-form", novalidate: true },
    el(
      "div",
      { class: "form-row" },
      field("recipient", "address.recipient", { maxlength: 60, autocomplete: "name" }),
      field("phone", "address.phone", { maxlength: 30, autocomplete: "tel", inputmode: "tel" }),
    ),
    field("region", "address.region", { maxlength: 120, autocomplete: "address-level1" }),
    field("line1", "address.line1", { maxlength: 200, autocomplete: "street-address" }),
    el(
      "label",
      {},
      t("address.postal_code"),
      el("input", { name: "postal_code", maxlength: 20, autocomplete: "postal-code", required: false }),
    ),
    el("div", { class: "actions" }, submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = formData(form);
    submit.disabled = true;
    try {
      const address = await api("POST", "/api/v1/addresses", {
        recipient: values.recipient,
        phone: values.phone,
        region: values.region,
        line1: values.line1,
        postal_code: values.postal_code || "",
        is_default: makeDefault,
      });
      form.reset();
      onSaved(address);
    } catch (error) {
      showError(error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
