// One session in the host console: start/end, live stats, showcase with live prices and
// the pinned item, chat moderation and the blocked-word list. A member of the room's team
// (page.console.actions) gets only the parts their role may use: a 场控 pins and moderates,
// a 选品 manages the showcase; the server renders only those sections.
import {
  api,
  busy,
  clear,
  el,
  formatMoney,
  formatNumber,
  formData,
  parseMoney,
  centsToInput,
  specText,
  page,
  showError,
  t,
  thumb,
  toast,
} from "./core.js";
import "./interactions_console.js";

const detail = page.session;
const sessionId = detail.id;
const roomId = detail.room.id;
const state = { status: detail.status, showcase: detail.showcase || [], pinnedId: detail.pinned ? detail.pinned.id : null };
const $ = (id) => document.getElementById(id);
const consoleInfo = page.console || { role: "host", actions: null };
const isHost = consoleInfo.role === "host";
const may = (action) => isHost || consoleInfo.actions.includes(action);

// ---------- state and start / end ----------

function renderStatus() {
  const badge = $("session-status");
  badge.textContent = t(`status.${state.status}`);
  badge.dataset.status = state.status;
  badge.className = state.status === "live" ? "badge badge-live" : "badge";
  if (isHost) {
    $("start-session").hidden = !["scheduled", "interrupted"].includes(state.status);
    $("end-session").hidden = !["live", "interrupted"].includes(state.status);
  }
  renderShowcase();
}

if (isHost) $("start-session").addEventListener("click", (event) =>
  busy(event.currentTarget, async () => {
    const result = await api("POST", `/api/v1/live-sessions/${sessionId}/start`);
    state.status = result.status;
    renderStatus();
  }),
);

if (isHost) $("end-session").addEventListener("click", (event) => {
  if (!confirm(t("host.confirm_end"))) return;
  busy(event.currentTarget, async () => {
    const result = await api("POST", `/api/v1/live-sessions/${sessionId}/end`);
    state.status = result.status;
    state.pinnedId = null;
    renderStatus();
  });
});

if (isHost) $("cover-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const coverForm = event.currentTarget;
  const file = coverForm.elements.file.files[0];
  if (!file) return;
  const upload = new FormData();
  upload.append("file", file);
  busy(coverForm.querySelector("button"), async () => {
    await api("POST", `/api/v1/live-sessions/${sessionId}/cover`, upload);
    coverForm.reset();
    toast(t("common.saved"), "ok");
  });
});

// ---------- stats: polled every 2 s, nudged by the WebSocket ----------

const stats = {};

function renderStats() {
  if (!isHost) return;
  const set = (key, text) => {
    $(`stat-${key}`).textContent = text;
  };
  for (const key of ["online", "peak_online", "viewers", "likes", "chats", "orders"]) {
    if (key in stats) set(key, formatNumber(stats[key]));
  }
  if ("gmv_cents" in stats) set("gmv", formatMoney(stats.gmv_cents, (state.showcase[0] && state.showcase[0].currency) || "CNY"));
}

// The reservations (预约) grow before the start: re-read them while the session is upcoming.
let reservationPolls = 0;

async function pollReservations() {
  if (state.status !== "scheduled" || reservationPolls++ % 5 !== 0) return;
  const detail = await api("GET", `/api/v1/live-sessions/${sessionId}`);
  $("stat-reservations").textContent = formatNumber(detail.reservation_count);
}

async function pollStats() {
  if (!isHost) return;
  pollReservations().catch(() => {});
  try {
    Object.assign(stats, await api("GET", `/api/v1/live-sessions/${sessionId}/stats`));
    renderStats();
  } catch (error) {
    // The next poll tries again.
  }
}

// ---------- showcase ----------

// What the host has typed but not saved, by SKU: a re-render (a pin, a showcase update from
// the WebSocket, the session going live) keeps it instead of wiping the field.
const priceDrafts = new Map();

function renderShowcase() {
  const list = $("showcase-list");
  if (!list) return;
  clear(list);
  if (!state.showcase.length) list.append(el("li", { class: "empty" }, t("live.bag_empty")));
  const canPin = state.status === "live";
  state.showcase.forEach((item, index) => {
    const pinned = item.id === state.pinnedId;
    // One live price per SKU; an empty field sells that SKU at its catalog price.
    const priceInputs = item.skus.map((sku) => {
      const label = item.skus.length > 1 ? `${specText(sku.spec)} · ${t("host.live_price_yuan")}` : t("host.live_price_yuan");
      const input = el("input", {
        class: "live-price",
        inputmode: "decimal",
        placeholder: label,
        "aria-label": label,
        title: label,
        value: priceDrafts.has(sku.id) ? priceDrafts.get(sku.id) : sku.live_price_cents ? centsToInput(sku.live_price_cents) : "",
      });
      input.addEventListener("input", () => priceDrafts.set(sku.id, input.value));
      return { sku, input };
    });
    const savePrice = el("button", { type: "button", class: "button button-small" }, t("common.save"));
    savePrice.addEventListener("click", () => {
      const livePrices = [];
      for (const { sku, input } of priceInputs) {
        const text = input.value.trim();
        const cents = text ? parseMoney(text) : null;
        if (text && !cents) {
          toast(input.getAttribute("aria-label"), "error");
          return;
        }
        if (cents) livePrices.push({ sku_id: sku.id, live_price_cents: cents });
      }
      busy(savePrice, async () => {
        await api("PATCH", `/api/v1/live-sessions/${sessionId}/showcase/${item.id}`, { live_prices: livePrices });
        for (const { sku } of priceInputs) priceDrafts.delete(sku.id);
        toast(t("common.saved"), "ok");
        await loadShowcase();
      });
    });
    const pin = el(
      "button",
      { type: "button", class: pinned ? "button button-small button-dark" : "button button-small button-primary", disabled: !canPin, dataset: { pin: item.id } },
      pinned ? t("host.unpin") : t("host.pin"),
    );
    pin.addEventListener("click", () =>
      busy(pin, async () => {
        const result = await api("POST", `/api/v1/live-sessions/${sessionId}/pin`, { item_id: pinned ? null : item.id });
        state.pinnedId = result.item ? result.item.id : null;
        renderShowcase();
      }),
    );
    const move = (delta) => async () => {
      const ids = state.showcase.map((entry) => entry.id);
      const target = index + delta;
      if (target < 0 || target >= ids.length) return;
      [ids[index], ids[target]] = [ids[target], ids[index]];
      try {
        const body = await api("PUT", `/api/v1/live-sessions/${sessionId}/showcase/order`, { item_ids: ids });
        state.showcase = body.items;
        renderShowcase();
      } catch (error) {
        showError(error);
      }
    };
    const remove = el("button", { type: "button", class: "button button-small button-danger" }, t("host.remove"));
    remove.addEventListener("click", () =>
      busy(remove, async () => {
        await api("DELETE", `/api/v1/live-sessions/${sessionId}/showcase/${item.id}`);
        await loadShowcase();
      }),
    );
    const edits = may("showcase");
    list.append(
      el(
        "li",
        { class: "row-item", dataset: { itemId: item.id } },
        thumb(item.image_url, item.title),
        el(
          "div",
          { class: "grow" },
          el("div", { class: "ellipsis" }, `#${index + 1} `, item.title, " ", pinned ? el("span", { class: "badge badge-live" }, t("live.pinned")) : null),
          el("div", { class: "price" }, formatMoney(item.price_cents, item.currency)),
          edits ? el("div", { class: "actions" }, ...priceInputs.map(({ input }) => input), savePrice) : null,
          el(
            "div",
            { class: "actions" },
            may("pin") ? pin : null,
            edits ? el("button", { type: "button", class: "button button-small", "aria-label": "up", onclick: move(-1) }, "↑") : null,
            edits ? el("button", { type: "button", class: "button button-small", "aria-label": "down", onclick: move(1) }, "↓") : null,
            edits ? remove : null,
          ),
        ),
      ),
    );
  });
}

async function loadShowcase() {
  try {
    const body = await api("GET", `/api/v1/live-sessions/${sessionId}/showcase`);
    state.showcase = body.items;
    renderShowcase();
  } catch (error) {
    showError(error);
  }
}

if ($("product-search")) $("product-search").addEventListener("submit", (event) => {
  event.preventDefault();
  const { q } = formData(event.currentTarget);
  searchProducts(q);
});

async function searchProducts(query) {
  const results = $("search-results");
  try {
    const params = new URLSearchParams({ status: "on_sale", limit: "20" });
    if (query) params.set("q", query);
    const body = await api("GET", `/api/v1/products?${params}`);
    clear(results);
    const inShowcase = new Set(state.showcase.map((item) => item.product_id));
    if (!body.items.length) results.append(el("li", { class: "empty" }, t("common.none")));
    for (const product of body.items) {
      const priceInput = el("input", { inputmode: "decimal", placeholder: t("host.live_price_yuan"), "aria-label": t("host.live_price_yuan") });
      const add = el("button", { type: "button", class: "button button-small button-primary", disabled: inShowcase.has(product.id) }, t("host.add_to_showcase"));
      add.addEventListener("click", () => {
        const text = priceInput.value.trim();
        const cents = text ? parseMoney(text) : null;
        if (text && !cents) {
          toast(t("host.live_price_yuan"), "error");
          return;
        }
        busy(add, async () => {
          // One price fits a single-SKU product; several SKUs get theirs in the showcase list.
          const skus = cents ? (await api("GET", `/api/v1/products/${product.id}`)).skus : [];
          const single = skus.length === 1;
          await api("POST", `/api/v1/live-sessions/${sessionId}/showcase`, { product_id: product.id, live_price_cents: single ? cents : null });
          if (cents && !single) toast(t("host.live_price_per_sku"), "info");
          add.disabled = true;
          await loadShowcase();
        });
      });
      results.append(
        el(
          "li",
          { class: "row-item", dataset: { productId: product.id } },
          thumb(product.cover_url, product.title),
          el(
            "div",
            { class: "grow" },
            el("div", { class: "ellipsis" }, product.title),
            el("div", { class: "muted small" }, product.price_cents !== null ? formatMoney(product.price_cents, product.currency) : "", ` · ${t("live.stock", { n: product.stock })}`),
            el("div", { class: "actions" }, priceInput, add),
          ),
        ),
      );
    }
  } catch (error) {
    showError(error);
  }
}

// ---------- moderation ----------

const modChat = $("mod-chat");

function addModChat(message) {
  if (!modChat) return;
  const muteMinutes = () => {
    const value = Number.parseInt($("mute-minutes").value, 10);
    return Number.isFinite(value) && value > 0 ? value : null;
  };
  const remove = el("button", { type: "button", class: "button button-small" }, t("live.delete_chat"));
  remove.addEventListener("click", () =>
    busy(remove, () => api("DELETE", `/api/v1/live-sessions/${sessionId}/chat/${message.id}`)),
  );
  const mute = el("button", { type: "button", class: "button button-small button-danger" }, t("live.mute_user"));
  mute.addEventListener("click", () =>
    busy(mute, async () => {
      await api("POST", `/api/v1/rooms/${roomId}/mutes`, { user_id: message.user_id, minutes: muteMinutes() });
      toast(t("live.muted_user", { name: message.display_name }), "ok");
    }),
  );
  const node = el(
    "li",
    { dataset: { id: message.id } },
    el("span", { class: "grow" }, el("strong", {}, message.display_name), ": ", message.text),
    remove,
    mute,
  );
  modChat.append(node);
  while (modChat.children.length > 200) modChat.firstElementChild.remove();
  modChat.scrollTop = modChat.scrollHeight;
}

async function loadWords() {
  try {
    const body = await api("GET", `/api/v1/rooms/${roomId}/blocked-words`);
    const list = clear($("word-list"));
    for (const word of body.items) {
      const remove = el("button", { type: "button", "aria-label": t("common.delete") }, "×");
      remove.addEventListener("click", () =>
        busy(remove, async () => {
          await api("DELETE", `/api/v1/rooms/${roomId}/blocked-words/${word.id}`);
          await loadWords();
        }),
      );
      list.append(el("li", {}, word.word, remove));
    }
  } catch (error) {
    showError(error);
  }
}

if ($("word-form")) $("word-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const { word } = formData(form);
  if (!word) return;
  busy(form.querySelector("button"), async () => {
    await api("POST", `/api/v1/rooms/${roomId}/blocked-words`, { word });
    form.reset();
    await loadWords();
  });
});

// ---------- realtime ----------

function revoked() {
  const main = document.querySelector("main");
  clear(main);
  main.append(
    el(
      "section",
      { class: "card", id: "console-revoked" },
      el("h1", {}, t("teamtools.revoked")),
      el("p", {}, el("a", { href: "/team" }, `← ${t("teamtools.title")}`)),
    ),
  );
}

function connect(attempt = 0) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/live/${sessionId}`);
  let opened = false;
  socket.addEventListener("open", () => {
    opened = true;
  });
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    switch (message.type) {
      case "hello":
        document.body.dataset.console = "ready";
        if (modChat) clear(modChat);
        for (const chat of message.recent_chat || []) addModChat(chat);
        state.status = message.status;
        state.pinnedId = message.pinned ? message.pinned.id : null;
        renderStatus();
        break;
      case "chat":
        addModChat(message);
        stats.chats = (stats.chats || 0) + 1;
        renderStats();
        break;
      case "chat_deleted": {
        const node = modChat && modChat.querySelector(`[data-id="${CSS.escape(message.id)}"]`);
        if (node) node.remove();
        break;
      }
      case "online":
        stats.online = message.online;
        renderStats();
        break;
      case "likes":
        stats.likes = message.total;
        renderStats();
        break;
      case "purchase":
        toast(t("live.purchase", { buyer: message.buyer, title: message.product_title, n: message.quantity }), "purchase");
        pollStats();
        break;
      case "pinned":
        state.pinnedId = message.item ? message.item.id : null;
        renderShowcase();
        break;
      case "showcase":
        state.showcase = message.items || [];
        renderShowcase();
        break;
      case "session_state":
        state.status = message.status;
        renderStatus();
        break;
      case "privileges":
        // A member removed from the team (or given another role) loses these tools at once.
        if (!isHost && message.role !== consoleInfo.role) revoked();
        break;
      default:
        break;
    }
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4404) return;
    const next = opened ? 0 : attempt + 1;
    setTimeout(() => connect(next), Math.min(15000, 1000 * 2 ** Math.min(next, 4)));
  });
}

renderStatus();
if (may("chat.moderate")) loadWords();
if (may("showcase")) searchProducts("");
if (isHost) {
  pollStats();
  setInterval(pollStats, 2000);
}
connect();
