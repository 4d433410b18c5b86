// Bottom sheets on phones, centred dialogs on wide screens.
import { el, t } from "./core.js";

let openCount = 0;

export function openSheet({ title, body, foot, label, onClose }) {
  const backdrop = el("div", { class: "sheet-backdrop" });
  const closeButton = el("button", { type: "button", class: "close-x", "aria-label": t("common.close") }, "×");
  const sheet = el(
    "section",
    { class: "sheet", role: "dialog", "aria-modal": "true", "aria-label": label || title },
    el("div", { class: "sheet-head" }, el("h2", {}, title), closeButton),
    el("div", { class: "sheet-body" }, body),
    foot ? el("div", { class: "sheet-foot" }, foot) : null,
  );
  let closed = false;
  const onKey = (event) => {
    if (event.key === "Escape") close();
  };
  function close() {
    if (closed) return;
    closed = true;
    openCount -= 1;
    backdrop.remove();
    sheet.remove();
    document.removeEventListener("keydown", onKey);
    if (onClose) onClose();
  }
  closeButton.addEventListener("click", close);
  backdrop.addEventListener("click", close);
  document.addEventListener("keydown", onKey);
  document.body.append(backdrop, sheet);
  openCount += 1;
  return { sheet, close, body: sheet.querySelector(".sheet-body") };
}

export function anySheetOpen() {
  return openCount > 0;
}
