// The live room: realtime chat, likes, online count, pinned product, showcase and buying.
// Every piece of user text (chat, names, product titles) goes in through textContent.
import { addressForm, addressLines, loadAddresses } from "./addresses.js";
import {
  api,
  busy,
  clear,
  el,
  formatMoney,
  formatNumber,
  formatTime,
  loginUrl,
  me,
  newKey,
  page,
  showError,
  t,
  thumb,
  toast,
} from "./core.js";
import { couponPicker } from "./interactions.js";
import { wireReserveButtons } from "./reserve.js";
import { openSheet } from "./sheet.js";

const detail = page.session;
const sessionId = detail.id;
const roomId = detail.room.id;

const state = {
  status: detail.status,
  pinned: detail.pinned,
  showcase: detail.showcase || [],
  you: null,
  likes: page.likes || 0,
  online: detail.online || 0,
  following: null,
  followers: detail.room.followers_count,
  club: null,
};

const $ = (id) => document.getElementById(id);
const chatList = $("chat-list");
const MAX_CHAT_ITEMS = 200;

// ---------- reporting (best effort) ----------

function report(kind, productId) {
  const body = { kind };
  if (productId) body.product_id = productId;
  api("POST", `/api/v1/live-sessions/${sessionId}/events`, body).catch(() => {});
}

// ---------- header: status, online, likes, follow ----------

function renderStatus() {
  const status = state.status;
  const badge = $("status-badge");
  badge.textContent = status === "live" ? t("live.badge") : t(`status.${status}`);
  badge.className = status === "live" ? "badge badge-live" : "badge";
  $("player").dataset.status = status;
  $("reserve-bar").hidden = status !== "scheduled";
  const banner = $("state-banner");
  banner.dataset.state = status;
  if (status === "live") {
    banner.hidden = true;
  } else {
    let text = t(`live.state_${status}`);
    if (status === "scheduled" && detail.planned_start_at) {
      text = `${text} · ${formatTime(detail.planned_start_at)}`;
    }
    banner.textContent = text;
    banner.hidden = false;
  }
}

function renderOnline() {
  $("online").textContent = t("live.online", { n: formatNumber(state.online) });
}

function renderLikes() {
  $("likes-text").textContent = t("live.likes", { n: formatNumber(state.likes) });
  const count = $("like-count");
  if (count) count.textContent = state.likes > 9999 ? `${Math.floor(state.likes / 1000)}k` : String(state.likes);
}

function renderFollow() {
  const button = $("follow");
  button.setAttribute("aria-pressed", state.following ? "true" : "false");
  button.textContent = state.following ? t("live.following") : t("live.follow");
  $("followers").textContent = t("live.followers", { n: formatNumber(state.followers) });
}

async function loadFollow() {
  if (!me) return;
  try {
    const room = await api("GET", `/api/v1/rooms/${roomId}`);
    state.following = Boolean(room.following);
    state.followers = room.followers_count;
    renderFollow();
  } catch (error) {
    // The button keeps its default state.
  }
}

$("follow").addEventListener("click", (event) => {
  if (!me) {
    location.href = loginUrl();
    return;
  }
  busy(event.currentTarget, async () => {
    const result = await api(state.following ? "DELETE" : "POST", `/api/v1/rooms/${roomId}/follow`);
    state.following = result ? Boolean(result.following) : !state.following;
    if (result && typeof result.followers_count === "number") state.followers = result.followers_count;
    renderFollow();
  });
});

wireReserveButtons($("reserve-bar"));

// ---------- host persona (人设) ----------

function badgeNode(badge) {
  return el(
    "span",
    { class: badge.lit ? "fan-badge" : "fan-badge fan-badge-dim", title: t("fans.badge_title", { level: badge.level }) },
    el("span", { class: "fan-badge-name" }, badge.name),
    el("span", { class: "fan-badge-level" }, String(badge.level)),
  );
}

async function loadClub() {
  try {
    state.club = await api("GET", `/api/v1/rooms/${roomId}/fan-club`);
  } catch (error) {
    state.club = null;
  }
  return state.club;
}

function clubSection(sheet) {
  const box = el("section", { class: "fan-club", id: "fan-club" });
  const render = () => {
    clear(box);
    const club = state.club;
    if (!club) return;
    box.append(
      el(
        "div",
        { class: "fan-club-head" },
        el("strong", {}, t("fans.club")),
        el("span", { class: "muted small" }, t("fans.members", { n: formatNumber(club.members_count) })),
      ),
    );
    const you = club.you;
    if (you) {
      box.append(
        el(
          "div",
          { class: "fan-club-you" },
          badgeNode(you.badge),
          el("span", { class: "small", id: "fan-intimacy" }, t("fans.intimacy", { n: formatNumber(you.intimacy) })),
          el(
            "span",
            { class: "muted small" },
            you.next_level_at === null ? t("fans.max_level") : t("fans.next_level", { n: formatNumber(you.next_level_at - you.intimacy) }),
          ),
        ),
        el("div", { class: "muted small" }, t("fans.today", { n: you.today.total, cap: you.today.caps.total })),
      );
      if (!you.badge.lit) box.append(el("div", { class: "muted small" }, t("fans.dimmed")));
      const leave = el("button", { type: "button", class: "button button-small", id: "fan-leave" }, t("fans.leave"));
      leave.addEventListener("click", () =>
        busy(leave, async () => {
          state.club = await api("DELETE", `/api/v1/rooms/${roomId}/fan-club`);
          render();
        }),
      );
      box.append(leave);
    } else {
      box.append(el("p", { class: "muted small" }, t("fans.how")));
      const join = el(
        "button",
        { type: "button", class: "button button-primary", id: "fan-join" },
        club.paid ? t("fans.buy_badge") : t("fans.join"),
      );
      join.addEventListener("click", () => {
        if (!me) {
          location.href = loginUrl();
          return;
        }
        busy(join, async () => {
          try {
            state.club = await api("POST", `/api/v1/rooms/${roomId}/fan-club`);
            toast(t("fans.joined"), "info");
            render();
          } catch (error) {
            if (error.code === "fan_club_badge_required") {
              sheet.close();
              const item = state.showcase.find((entry) => entry.product_id === error.details.product_id);
              if (item) openBuySheet(item);
              else showError(error);
              return;
            }
            throw error;
          }
        });
      });
      box.append(join);
    }
  };
  render();
  return { box, render };
}

// The online list: fan-club members watching now, badges first (the count stays the pill's).
$("online").addEventListener("click", async () => {
  const list = el("ol", { class: "fans-online", id: "fans-online" });
  openSheet({ title: t("fans.online_title"), body: list });
  try {
    const page = await api("GET", `/api/v1/live-sessions/${sessionId}/fans-online?limit=50`);
    if (!page.items.length) list.append(el("li", { class: "muted small" }, t("fans.online_none")));
    for (const item of page.items) {
      list.append(el("li", { dataset: { userId: item.user_id } }, badgeNode(item.badge), el("span", { class: "ellipsis" }, item.display_name)));
    }
  } catch (error) {
    showError(error);
  }
});

$("persona-button").addEventListener("click", () => {
  const room = detail.room;
  const follow = el(
    "button",
    { type: "button", class: "button button-primary", "aria-pressed": state.following ? "true" : "false" },
    state.following ? t("live.following") : t("live.follow"),
  );
  follow.addEventListener("click", () => {
    sheet.close();
    $("follow").click();
  });
  const catchphrases = room.catchphrases && room.catchphrases.length ? room.catchphrases : room.catchphrase ? [room.catchphrase] : [];
  const club = { render: () => {}, box: el("section", { class: "fan-club", id: "fan-club" }) };
  const body = el(
    "div",
    { class: "persona" },
    el(
      "div",
      { class: "buy-product" },
      thumb(room.avatar_url, room.name, "thumb persona-avatar"),
      el(
        "div",
        { class: "grow" },
        el("h3", {}, room.name),
        el("div", { class: "muted small" }, t("live.followers", { n: formatNumber(state.followers) })),
      ),
    ),
    ...catchphrases.map((line) => el("blockquote", { class: "catchphrase" }, line)),
    room.bio ? el("p", { class: "bio" }, room.bio) : null,
    room.tags && room.tags.length ? el("div", { class: "chips" }, room.tags.map((tag) => el("span", { class: "badge" }, `#${tag}`))) : null,
    club.box,
    el("div", { class: "persona-actions" }, follow, el("a", { class: "button", href: `/hosts/${roomId}`, id: "host-page-link" }, t("hostpage.link"))),
  );
  const sheet = openSheet({ title: t("live.persona"), body });
  loadClub().then(() => {
    const section = clubSection(sheet);
    club.box.replaceWith(section.box);
  });
});

// ---------- chat ----------

function nearBottom() {
  return chatList.scrollHeight - chatList.scrollTop - chatList.clientHeight < 60;
}

function appendChatNode(node) {
  const stick = nearBottom();
  chatList.append(node);
  while (chatList.children.length > MAX_CHAT_ITEMS) chatList.firstElementChild.remove();
  if (stick) chatList.scrollTop = chatList.scrollHeight;
}

function chatNode(message) {
  const mine = state.you && message.user_id === state.you.user_id;
  const item = el(
    "li",
    { class: mine ? "chat-item chat-mine" : "chat-item", dataset: { id: message.id, userId: message.user_id } },
    message.badge ? badgeNode(message.badge) : null,
    el("span", { class: "chat-name" }, message.display_name),
    el("span", { class: "chat-text" }, message.text),
  );
  if (state.you && state.you.can_moderate && !mine) {
    item.append(
      el(
        "span",
        { class: "chat-tools" },
        el("button", { type: "button", onclick: () => deleteChat(message.id) }, t("live.delete_chat")),
        el("button", { type: "button", onclick: () => muteUser(message) }, t("live.mute_user")),
      ),
    );
  }
  return item;
}

function systemLine(text, extraClass = "") {
  appendChatNode(el("li", { class: `chat-item chat-system ${extraClass}` }, text));
}

function renderRecentChat(messages) {
  clear(chatList);
  chatList.append(el("li", { class: "chat-item chat-system" }, t("live.welcome")));
  for (const message of messages || []) chatList.append(chatNode(message));
  chatList.scrollTop = chatList.scrollHeight;
}

async function deleteChat(messageId) {
  try {
    await api("DELETE", `/api/v1/live-sessions/${sessionId}/chat/${messageId}`);
  } catch (error) {
    showError(error);
  }
}

async function muteUser(message) {
  try {
    await api("POST", `/api/v1/rooms/${roomId}/mutes`, { user_id: message.user_id, minutes: 10 });
    toast(t("live.muted_user", { name: message.display_name }), "ok");
  } catch (error) {
    showError(error);
  }
}

const chatForm = $("chat-form");
if (chatForm) {
  const input = $("chat-input");
  chatForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (!connection.send({ type: "chat", text })) {
      toast(t("live.connecting"), "error");
      return;
    }
    input.value = "";
  });
}

// ---------- likes ----------

let pendingLikes = 0;
let likeTimer = null;

function floatHeart() {
  const hearts = $("hearts");
  const colours = ["#fe2c55", "#ffb020", "#ff7a45", "#b46cff", "#2fc0ff"];
  const heart = el("span", { class: "heart" }, "♥");
  heart.style.color = colours[Math.floor(Math.random() * colours.length)];
  heart.style.setProperty("--drift", `${Math.round(Math.random() * 40 - 20)}px`);
  hearts.append(heart);
  setTimeout(() => heart.remove(), 1700);
}

function flushLikes() {
  likeTimer = null;
  while (pendingLikes > 0) {
    const count = Math.min(pendingLikes, 20);
    if (!connection.send({ type: "like", count })) break;
    pendingLikes -= count;
  }
  pendingLikes = 0;
}

const likeButton = $("like-button");
if (likeButton) {
  likeButton.addEventListener("click", () => {
    floatHeart();
    pendingLikes += 1;
    if (!likeTimer) likeTimer = setTimeout(flushLikes, 400);
  });
}

// ---------- share ----------

// Signed in, the viewer shares their own link (/s/{code}): whoever comes through it
// and what they buy is counted for them, and the sheet shows how many.
async function openShareSheet() {
  const link = await api("POST", "/api/v1/share-links", { room_id: roomId, session_id: sessionId });
  const field = el("input", { class: "share-url", type: "text", readonly: "", value: link.url, "aria-label": t("share.link") });
  const copy = el("button", { type: "button", class: "btn primary" }, t("share.copy"));
  const stats = el(
    "p",
    { class: "share-stats", dataset: { visitors: String(link.visitors), follows: String(link.follows), buyers: String(link.buyers) } },
    t("share.stats_follows", { visitors: link.visitors, follows: link.follows, buyers: link.buyers }),
  );
  const body = el("div", { class: "share-sheet" }, el("p", { class: "muted" }, t("share.hint")), field, stats);
  const sheet = openSheet({ title: t("share.title"), body, foot: copy });
  copy.addEventListener("click", async () => {
    report("share");
    try {
      if (navigator.share) {
        await navigator.share({ title: detail.title, url: link.url });
      } else {
        await navigator.clipboard.writeText(link.url);
        toast(t("live.link_copied"), "ok");
      }
      sheet.close();
    } catch (error) {
      field.select(); // no clipboard here: the link is selected to copy by hand
    }
  });
}

$("share-button").addEventListener("click", async () => {
  if (me) {
    try {
      await openShareSheet();
    } catch (error) {
      showError(error);
    }
    return;
  }
  const url = location.href.split("#")[0];
  report("share");
  try {
    if (navigator.share) {
      await navigator.share({ title: detail.title, url });
      return;
    }
    await navigator.clipboard.writeText(url);
    toast(t("live.link_copied"), "ok");
  } catch (error) {
    // The user closed the share dialog.
  }
});

// ---------- pinned product and showcase ----------

function itemById(itemId) {
  return state.showcase.find((item) => item.id === itemId) || (state.pinned && state.pinned.id === itemId ? state.pinned : null);
}

function productImage(item) {
  return thumb(item.image_url, item.title);
}

function priceNode(item) {
  const node = el("div", { class: "price" }, formatMoney(item.price_cents, item.currency));
  return node;
}

function renderPinned() {
  const card = $("pinned");
  clear(card);
  const item = state.pinned;
  if (!item) {
    card.hidden = true;
    return;
  }
  card.dataset.itemId = item.id;
  card.append(
    el("span", { class: "badge badge-live pinned-tag" }, t("live.pinned")),
    productImage(item),
    el("div", { class: "pinned-title" }, item.title),
    priceNode(item),
    el("button", { type: "button", class: "button button-primary button-small", dataset: { buy: item.id } }, t("live.buy")),
  );
  card.hidden = false;
}

function renderBagCount() {
  $("bag-count").textContent = String(state.showcase.length);
}

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("[data-buy]") : null;
  if (!target) return;
  const item = itemById(target.dataset.buy);
  if (item) openBuySheet(item);
});

$("bag-button").addEventListener("click", () => openBag());

let bagSheet = null;

function bagList() {
  if (!state.showcase.length) return el("p", { class: "empty" }, t("live.bag_empty"));
  return el(
    "ol",
    { class: "showcase-list" },
    state.showcase.map((item, index) =>
      el(
        "li",
        { class: "showcase-item", dataset: { itemId: item.id } },
        productImage(item),
        el(
          "div",
          { class: "grow" },
          el(
            "div",
            { class: "showcase-index" },
            `#${index + 1}`,
            state.pinned && state.pinned.id === item.id ? el("span", { class: "badge badge-live" }, t("live.pinned")) : null,
          ),
          el("a", { class: "ellipsis showcase-title", href: `/products/${encodeURIComponent(item.product_id)}` }, item.title),
          el(
            "div",
            {},
            item.live_price_cents !== null && item.live_price_cents !== undefined
              ? el("span", { class: "badge badge-warn" }, t("live.live_price"))
              : null,
            " ",
            el("span", { class: "price" }, formatMoney(item.price_cents, item.currency)),
          ),
        ),
        el("button", { type: "button", class: "button button-primary button-small", dataset: { buy: item.id } }, t("live.buy")),
      ),
    ),
  );
}

function openBag() {
  const body = el("div", { id: "bag-list" }, bagList());
  bagSheet = openSheet({
    title: t("live.bag_title"),
    body,
    onClose: () => {
      bagSheet = null;
    },
  });
}

function refreshBag() {
  renderBagCount();
  if (bagSheet) {
    const box = bagSheet.body.querySelector("#bag-list");
    if (box) clear(box).append(bagList());
  }
}

// ---------- buy sheet ----------

function specDimensions(skus) {
  const names = [];
  const values = {};
  for (const sku of skus) {
    for (const [name, value] of Object.entries(sku.spec || {})) {
      if (!names.includes(name)) {
        names.push(name);
        values[name] = [];
      }
      if (!values[name].includes(String(value))) values[name].push(String(value));
    }
  }
  return names.map((name) => ({ name, values: values[name] }));
}

function skuMatches(sku, selection) {
  return Object.entries(selection).every(([name, value]) => String((sku.spec || {})[name]) === value);
}

let buySheet = null;

async function openBuySheet(item) {
  if (!me) {
    location.href = loginUrl();
    return;
  }
  if (buySheet) buySheet.close();
  if (bagSheet) bagSheet.close();
  report("product_click", item.product_id);

  const skus = item.skus || [];
  const dimensions = specDimensions(skus);
  const selection = {};
  const inStock = skus.filter((sku) => sku.stock > 0);
  if (inStock.length === 1) Object.assign(selection, Object.fromEntries(Object.entries(inStock[0].spec || {}).map(([k, v]) => [k, String(v)])));
  const idempotencyKey = newKey();
  let quantity = 1;
  let addresses = [];
  let addressId = null;

  const chosenSku = () => {
    if (dimensions.length === 0) return skus[0] || null;
    if (dimensions.some((dimension) => !(dimension.name in selection))) return null;
    return skus.find((sku) => skuMatches(sku, selection)) || null;
  };

  const priceLine = el("div", { class: "price" });
  const stockLine = el("div", { class: "muted small" });
  const specBox = el("div", { class: "spec-groups" });
  const quantityInput = el("input", { type: "number", min: 1, max: 99, value: 1, inputmode: "numeric", "aria-label": t("live.quantity") });
  const addressBox = el("div", { class: "address-list" });
  const addressFormBox = el("div", { hidden: true });
  const totalLine = el("div", { class: "price" });
  // A typed quantity out of range is refused, never silently changed.
  const quantityError = el("div", { class: "form-error small", role: "alert", hidden: true });
  let quantityInvalid = false;
  const placeButton = el("button", { type: "button", class: "button button-primary", id: "place-order" }, t("live.place_order"));
  const coupons = couponPicker(sessionId, item.currency, totalLine);

  function render() {
    const sku = chosenSku();
    clear(specBox);
    for (const dimension of dimensions) {
      const chips = dimension.values.map((value) => {
        const trial = { ...selection, [dimension.name]: value };
        const available = skus.some((candidate) => skuMatches(candidate, trial) && candidate.stock > 0);
        return el(
          "button",
          {
            type: "button",
            class: "chip",
            "aria-pressed": selection[dimension.name] === value ? "true" : "false",
            disabled: !available,
            onclick: () => {
              if (selection[dimension.name] === value) delete selection[dimension.name];
              else selection[dimension.name] = value;
              render();
            },
          },
          value,
        );
      });
      specBox.append(
        el("div", { class: "spec-group" }, el("div", { class: "spec-name" }, dimension.name), el("div", { class: "chips" }, chips)),
      );
    }
    const maxQuantity = sku ? Math.max(1, Math.min(99, sku.stock)) : 99;
    quantityInput.max = String(maxQuantity);
    if (quantity > maxQuantity) quantityInvalid = true;
    quantityError.hidden = !quantityInvalid;
    quantityError.textContent = quantityInvalid ? t("live.quantity_range", { max: maxQuantity }) : "";
    if (!quantityInvalid) quantityInput.value = String(quantity);
    if (sku) {
      priceLine.textContent = formatMoney(sku.price_cents, item.currency);
      stockLine.textContent = sku.stock > 0 ? t("live.stock", { n: sku.stock }) : t("live.sold_out");
      totalLine.textContent = `${t("live.total")} ${formatMoney(sku.price_cents * quantity, item.currency)}`;
      coupons.update(sku.id, quantity);
    } else {
      priceLine.textContent = formatMoney(item.price_cents, item.currency);
      const missing = dimensions.find((dimension) => !(dimension.name in selection));
      stockLine.textContent = missing ? t("live.choose", { name: missing.name }) : t("live.sold_out");
      totalLine.textContent = "";
    }
    placeButton.disabled = !sku || sku.stock < 1 || !addressId || quantityInvalid;
  }

  function renderAddresses() {
    clear(addressBox);
    if (!addresses.length) addressBox.append(el("p", { class: "muted small" }, t("live.no_address")));
    for (const address of addresses) {
      const radio = el("input", { type: "radio", name: "address_id", value: address.id });
      radio.checked = address.id === addressId;
      radio.addEventListener("change", () => {
        addressId = address.id;
        render();
      });
      const lines = addressLines(address);
      addressBox.append(
        el(
          "label",
          { class: "choice address-option" },
          radio,
          el("span", { class: "address-text" }, el("span", {}, lines[0], address.is_default ? el("span", { class: "badge" }, t("address.default")) : null), el("span", { class: "muted" }, lines[1])),
        ),
      );
    }
    addressBox.append(
      el(
        "button",
        {
          type: "button",
          class: "button button-small",
          id: "add-address-toggle",
          onclick: () => {
            addressFormBox.hidden = !addressFormBox.hidden;
          },
        },
        `+ ${t("live.add_address")}`,
      ),
    );
  }

  const step = (delta) => {
    const max = Number(quantityInput.max) || 99;
    quantity = Math.min(max, Math.max(1, quantity + delta));
    quantityInvalid = false;
    render();
  };
  quantityInput.addEventListener("change", () => {
    const text = quantityInput.value.trim();
    const value = Number(text);
    const max = Number(quantityInput.max) || 99;
    quantityInvalid = !/^[0-9]+$/.test(text) || value < 1 || value > max;
    if (!quantityInvalid) quantity = value;
    render();
  });

  addressFormBox.append(
    addressForm((address) => {
      addresses.push(address);
      addressId = address.id;
      addressFormBox.hidden = true;
      renderAddresses();
      render();
    }),
  );

  const body = el(
    "div",
    { class: "buy-sheet", dataset: { itemId: item.id } },
    el("div", { class: "buy-product" }, productImage(item), el("div", { class: "grow" }, el("div", { class: "pinned-title" }, item.title), priceLine, stockLine)),
    specBox,
    el(
      "div",
      { class: "spec-group" },
      el("div", { class: "spec-name" }, t("live.quantity")),
      el(
        "div",
        { class: "stepper" },
        el("button", { type: "button", "aria-label": "-", onclick: () => step(-1) }, "−"),
        quantityInput,
        el("button", { type: "button", "aria-label": "+", onclick: () => step(1) }, "+"),
      ),
      quantityError,
    ),
    el("div", { class: "spec-group" }, el("div", { class: "spec-name" }, t("live.address")), addressBox, addressFormBox),
    coupons.node,
  );

  placeButton.addEventListener("click", () =>
    busy(placeButton, async () => {
      const sku = chosenSku();
      if (!sku) {
        toast(t("live.choose_sku"), "error");
        return;
      }
      if (quantityInvalid) return;
      placeButton.textContent = t("live.placing");
      try {
        const order = await api(
          "POST",
          "/api/v1/orders",
          { sku_id: sku.id, quantity, address_id: addressId, session_id: sessionId, coupon_claim_ids: coupons.claimIds() },
          { headers: { "Idempotency-Key": idempotencyKey } },
        );
        const payment = await api("POST", `/api/v1/orders/${order.id}/pay`);
        const target = payment.pay_url && payment.pay_url.startsWith("/") && !payment.pay_url.startsWith("//")
          ? payment.pay_url
          : `/pay/sandbox/${encodeURIComponent(payment.payment_id)}`;
        location.href = target;
      } finally {
        placeButton.textContent = t("live.place_order");
      }
    }),
  );

  buySheet = openSheet({
    title: t("live.buy"),
    body,
    foot: [el("div", { class: "grow" }, totalLine), placeButton],
    onClose: () => {
      buySheet = null;
    },
  });
  render();
  try {
    addresses = await loadAddresses();
    const preferred = addresses.find((address) => address.is_default) || addresses[0];
    addressId = preferred ? preferred.id : null;
    if (!addresses.length) addressFormBox.hidden = false;
  } catch (error) {
    showError(error);
  }
  renderAddresses();
  render();
}

// ---------- realtime connection with back-off ----------

const connection = (() => {
  let socket = null;
  let attempt = 0;
  let pingTimer = null;
  let retryTimer = null;
  let countdownTimer = null;
  let stopped = false;
  const note = $("conn-note");

  function showNote(text) {
    if (text) {
      note.textContent = text;
      note.hidden = false;
    } else {
      note.hidden = true;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/live/${sessionId}`);
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      handle(message);
    });
    socket.addEventListener("open", () => {
      clearInterval(pingTimer);
      pingTimer = setInterval(() => send({ type: "ping" }), 25000);
    });
    socket.addEventListener("close", (event) => {
      clearInterval(pingTimer);
      socket = null;
      if (stopped || event.code === 4404) return;
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    attempt += 1;
    const base = Math.min(15, 2 ** Math.min(attempt - 1, 4));
    let seconds = Math.max(1, Math.round(base * (0.75 + Math.random() * 0.5)));
    showNote(t("live.reconnecting", { s: seconds }));
    clearInterval(countdownTimer);
    countdownTimer = setInterval(() => {
      seconds -= 1;
      if (seconds > 0) showNote(t("live.reconnecting", { s: seconds }));
    }, 1000);
    retryTimer = setTimeout(() => {
      clearInterval(countdownTimer);
      showNote(t("live.connecting"));
      connect();
    }, seconds * 1000);
  }

  function send(message) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  function connected() {
    attempt = 0;
    showNote(null);
  }

  function stop() {
    stopped = true;
    clearTimeout(retryTimer);
    clearInterval(pingTimer);
    if (socket) socket.close();
  }

  showNote(t("live.connecting"));
  return { connect, send, connected, stop, showNote };
})();

function handle(message) {
  document.dispatchEvent(new CustomEvent("lc:live-message", { detail: message }));
  switch (message.type) {
    case "hello":
      connection.connected();
      state.you = message.you || null;
      state.status = message.status;
      state.online = message.online;
      state.likes = message.likes;
      state.pinned = message.pinned || null;
      if (state.you && typeof state.you.unread === "number") {
        window.dispatchEvent(new CustomEvent("lc:unread", { detail: state.you.unread }));
      }
      renderStatus();
      renderOnline();
      renderLikes();
      renderPinned();
      renderRecentChat(message.recent_chat);
      document.body.dataset.realtime = "ready";
      break;
    case "chat":
      appendChatNode(chatNode(message));
      break;
    case "chat_deleted": {
      const node = chatList.querySelector(`[data-id="${CSS.escape(message.id)}"]`);
      if (node) node.remove();
      break;
    }
    case "likes":
      state.likes = message.total;
      renderLikes();
      break;
    case "online":
      state.online = message.online;
      renderOnline();
      break;
    case "pinned":
      state.pinned = message.item || null;
      renderPinned();
      refreshBag();
      break;
    case "showcase":
      state.showcase = message.items || [];
      if (state.pinned) {
        const fresh = state.showcase.find((item) => item.id === state.pinned.id);
        state.pinned = fresh || null;
        renderPinned();
      }
      refreshBag();
      break;
    case "purchase": {
      const text = t("live.purchase", { buyer: message.buyer, title: message.product_title, n: message.quantity });
      toast(text, "purchase", 4000);
      systemLine(text, "chat-purchase");
      break;
    }
    case "unread":
      window.dispatchEvent(new CustomEvent("lc:unread", { detail: message.unread }));
      break;
    case "privileges":
      if (state.you) {
        state.you.can_moderate = Boolean(message.can_moderate);
        for (const tools of chatList.querySelectorAll(".chat-tools")) {
          if (!state.you.can_moderate) tools.remove();
        }
      }
      break;
    case "fan_level_up":
      systemLine(t("fans.level_up", { name: message.display_name, level: message.level }), "chat-fan");
      break;
    case "session_state":
      state.status = message.status;
      if (message.status === "ended" || message.status === "cancelled") {
        state.pinned = null;
        renderPinned();
      }
      renderStatus();
      break;
    case "error":
      if (message.code === "live_session_not_found") {
        connection.stop();
        connection.showNote(messageFor(message));
      }
      toast(messageFor(message), "error");
      break;
    default:
      break;
  }
}

function messageFor(error) {
  const key = `err.${error.code}`;
  const translated = t(key);
  // The server's own sentence is English; an unknown code falls back to a sentence in
  // the page's language.
  return translated !== key ? translated : t("err.server_error");
}

renderStatus();
renderOnline();
renderLikes();
renderBagCount();
loadFollow();
connection.connect();
