// Error messages of the C2B console forms: the server's 4xx sentence (already in the
// page's language) shown next to the field it names, else above the form's buttons.
import { ApiError, errorText } from "./core.js";

// The slot for a field: "customisation_fields.0.name", else "customisation_fields.0", …
function slot(form, field) {
  let name = field || "";
  for (;;) {
    const node = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (node) return node;
    const cut = name.lastIndexOf(".");
    if (cut < 0) return name ? form.querySelector('[data-error-for=""]') : null;
    name = name.slice(0, cut);
  }
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll("[data-error-for]")) {
    node.hidden = true;
    node.textContent = "";
  }
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

function mark(node, message) {
  node.textContent = node.hidden ? message : `${node.textContent} ${message}`;
  node.hidden = false;
  node.setAttribute("role", "alert");
  const box = node.closest("label");
  const input = box ? box.querySelector("input, select, textarea") : null;
  if (input) input.setAttribute("aria-invalid", "true");
}

// Problems as [field, message]; a field with no slot of its own shows the whole sentence
// in the form's general slot.
export function showProblems(form, problems, summary) {
  clearErrors(form);
  let first = null;
  for (const [field, message] of problems) {
    let node = slot(form, field);
    let text = message;
    if (!node || node.dataset.errorFor === "") {
      node = form.querySelector('[data-error-for=""]');
      text = summary || message;
      if (!node || !node.hidden) continue;
    }
    mark(node, text);
    first = first || node;
  }
  if (first) first.scrollIntoView({ block: "center", behavior: "instant" });
}

export function showErrors(form, error) {
  if (!(error instanceof ApiError)) {
    showProblems(form, [["", errorText(error)]]);
    return;
  }
  const details = error.details || {};
  if (error.code === "validation_failed" && Array.isArray(details.errors)) {
    showProblems(
      form,
      details.errors.map((problem) => [problem.field || "", problem.message]),
      error.message,
    );
    return;
  }
  let field = details.field || "";
  if (!field && Array.isArray(details.missing) && details.missing.length) {
    field = `params.${details.missing[0]}`;
  }
  showProblems(form, [[field, error.message]], error.message);
}

// "12" → 12; "" → undefined (the server says it is required); anything else is sent as
// typed so the server names the problem.
export function intValue(text) {
  const value = String(text || "").trim();
  if (!value) return undefined;
  return /^-?\d{1,9}$/.test(value) ? Number(value) : value;
}
