// Shared helpers for every page: translations, API calls with the CSRF token,
// toasts, money and time formatting, and a DOM builder that only ever sets text.

const readJson = (id) => {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent || "null") : null;
};

export const messages = readJson("lc-i18n") || {};
export const page = readJson("lc-page") || {};
export const lang = page.lang || document.documentElement.lang.slice(0, 2) || "zh";
export const me = page.user || null;

export function t(key, values) {
  let text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
  if (values) {
    for (const [name, value] of Object.entries(values)) {
      text = text.split(`{${name}}`).join(String(value));
    }
  }
  return text;
}

export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

// A human sentence for an error: our translation of its code, else the API's message.
export function errorText(error) {
  if (error instanceof ApiError) {
    const key = `err.${error.code}`;
    if (Object.prototype.hasOwnProperty.call(messages, key)) return messages[key];
    return error.message || error.code;
  }
  return t("common.network_error");
}

export async function api(method, path, body, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") {
    const csrf = cookie("lc_csrf");
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined && body !== null) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path.startsWith("/") ? path : `/api/v1/${path}`, init);
  } catch (cause) {
    throw new ApiError(0, "network_error", t("common.network_error"));
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (cause) {
      data = null;
    }
  }
  if (!response.ok) {
    const code = (data && data.code) || `http_${response.status}`;
    const message = (data && data.message) || response.statusText || code;
    throw new ApiError(response.status, code, message, data && data.details);
  }
  return data;
}

// el("div", {class: "x", onclick: fn}, "text", child) — strings become text nodes.
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (value === true) node.setAttribute(name, "");
    else node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

const SYMBOLS = { CNY: "¥", USD: "$", EUR: "€", JPY: "¥", GBP: "£" };
const ZERO_DECIMAL = new Set(["JPY", "KRW"]);

export function formatMoney(cents, currency = "CNY") {
  const symbol = Object.prototype.hasOwnProperty.call(SYMBOLS, currency)
    ? SYMBOLS[currency]
    : `${currency} `;
  if (ZERO_DECIMAL.has(currency)) return `${symbol}${cents}`;
  const sign = cents < 0 ? "-" : "";
  const whole = Math.floor(Math.abs(cents) / 100);
  const rest = String(Math.abs(cents) % 100).padStart(2, "0");
  return `${sign}${symbol}${whole}.${rest}`;
}

// "12.5" → 1250 without floating point; returns null for anything else.
export function parseMoney(text) {
  const match = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(String(text));
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
}

export function centsToInput(cents) {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}

const locale = lang === "zh" ? "zh-CN" : "en-GB";

export function formatTime(iso, options) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(
    locale,
    options || { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" },
  ).format(date);
}

export function formatNumber(value) {
  return new Intl.NumberFormat(locale).format(value || 0);
}

export function specText(spec) {
  const values = Object.values(spec || {});
  return values.length ? values.join(" / ") : t("live.spec");
}

let toastBox = null;

const MAX_TOASTS = 2;

export function toast(text, kind = "info", ms = 3500) {
  if (!toastBox) toastBox = document.getElementById("toasts");
  if (!toastBox) return;
  const item = el("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  toastBox.append(item);
  // Two at a time: a burst of purchases must not pile up over the page.
  while (toastBox.children.length > MAX_TOASTS) toastBox.firstElementChild.remove();
  setTimeout(() => item.classList.add("toast-leaving"), ms);
  setTimeout(() => item.remove(), ms + 400);
}

export function showError(error) {
  toast(errorText(error), "error", 5000);
}

// Run an async action from a button: disable it meanwhile, show errors as toasts.
export async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

export function newKey() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function loginUrl() {
  return `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
}

export function formData(form) {
  const out = {};
  for (const [name, value] of new FormData(form).entries()) {
    if (typeof value === "string") out[name] = value.trim();
  }
  return out;
}

// A product picture, or the title's first character on a tinted tile when there is none.
export function thumb(url, title, className = "thumb") {
  if (url) return el("img", { class: className, src: url, alt: "" });
  return el("span", { class: `${className} thumb-placeholder`, "aria-hidden": "true" }, Array.from(title || "?")[0]);
}

// Small buttons that POST `${basePath}/${action}` for each action, then call `reload`
// (accept / decline an invitation, approve / decline a request…).
export function actionButtons(actions, basePath, reload) {
  return actions.map((action) => {
    const button = el("button", { type: "button", class: "button button-small" }, t(`partners.${action}`));
    button.addEventListener("click", () =>
      busy(button, async () => {
        await api("POST", `${basePath}/${action}`);
        await reload();
      }),
    );
    return button;
  });
}
