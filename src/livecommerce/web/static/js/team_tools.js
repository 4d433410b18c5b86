// The team tools page: each room the user works for, with its role's tools.
// 客服 (service): the room's orders, a message to a buyer, a refund request for the
// merchant. 选品 (selection): the marketplace as the room's host sees it, sample requests.
import { api, busy, clear, el, formatMoney, formatTime, page, showError, t, toast } from "./core.js";

const root = document.getElementById("team-tools");
const empty = document.getElementById("team-tools-empty");

function inlineForm(placeholder, submitText, send) {
  const text = el("textarea", { rows: "2", maxlength: "300", placeholder });
  const submit = el("button", { type: "submit", class: "button button-primary button-small" }, submitText);
  const form = el("form", { class: "team-inline" }, text, el("div", { class: "row-actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, async () => {
      try {
        await send(text.value.trim());
        form.remove();
      } catch (error) {
        showError(error);
      }
    });
  });
  return form;
}

function orderRow(order, requested) {
  const title = order.items.map((item) => `${item.title} ×${item.quantity}`).join("，");
  const state = el("span", { class: "refund-state small" }, requested ? t(`teamtools.refund.${requested}`) : "");
  const message = el("button", { type: "button", class: "button button-small", dataset: { action: "message" } }, t("teamtools.message_buyer"));
  const refund = el("button", { type: "button", class: "button button-small", dataset: { action: "refund" } }, t("teamtools.request_refund"));
  refund.hidden = requested === "pending" || !["paid", "shipped"].includes(order.status);
  const row = el(
    "li",
    { class: "row-item team-row", dataset: { orderId: order.id } },
    el(
      "div",
      { class: "meta" },
      el("div", {}, title),
      order.shipping_address ? el("div", { class: "small team-buyer" }, t("teamtools.buyer", { name: order.shipping_address.recipient })) : null,
      el("div", { class: "muted small" }, `${t(`order_status.${order.status}`)} · ${formatMoney(order.total_cents, order.currency)} · ${formatTime(order.created_at)}`),
      state,
    ),
    el("div", { class: "row-actions" }, message, refund),
  );
  message.addEventListener("click", () => {
    if (row.querySelector("form")) return;
    row.append(
      inlineForm(t("teamtools.message_placeholder"), t("teamtools.send"), async (body) => {
        await api("POST", `/api/v1/orders/${order.id}/buyer-messages`, { body });
        toast(t("teamtools.message_sent"), "ok");
      }),
    );
  });
  refund.addEventListener("click", () => {
    if (row.querySelector("form")) return;
    row.append(
      inlineForm(t("teamtools.refund_reason"), t("teamtools.request_refund"), async (reason) => {
        await api("POST", `/api/v1/orders/${order.id}/refund-requests`, { reason });
        state.textContent = t("teamtools.refund.pending");
        refund.hidden = true;
        toast(t("teamtools.refund_sent"), "ok");
      }),
    );
  });
  return row;
}

async function ordersCard(room) {
  const [orders, requests] = await Promise.all([
    api("GET", `/api/v1/rooms/${room.room_id}/orders?limit=20`),
    api("GET", `/api/v1/rooms/${room.room_id}/refund-requests?limit=50`),
  ]);
  const latest = {};
  for (const request of requests.items) if (!(request.order_id in latest)) latest[request.order_id] = request.status;
  const list = el("ol", { class: "table-list", id: `orders-${room.room_id}` });
  for (const order of orders.items) list.append(orderRow(order, latest[order.id]));
  if (!orders.items.length) list.append(el("li", { class: "muted" }, t("teamtools.no_orders")));
  return el("div", {}, el("h3", {}, t("teamtools.orders")), list);
}

function offerRow(room, offer) {
  const state = el("span", { class: "refund-state small" });
  const ask = el("button", { type: "button", class: "button button-small", dataset: { action: "sample" } }, t("teamtools.request_sample"));
  ask.hidden = offer.sample_policy === "none";
  ask.addEventListener("click", () =>
    busy(ask, async () => {
      try {
        await api("POST", `/api/v1/mcn/offers/${offer.id}/samples`, { room_id: room.room_id, note: "" });
        ask.hidden = true;
        state.textContent = t("teamtools.sample_sent");
        toast(t("teamtools.sample_sent"), "ok");
      } catch (error) {
        showError(error);
      }
    }),
  );
  return el(
    "li",
    { class: "row-item team-row", dataset: { offerId: offer.id } },
    el(
      "div",
      { class: "meta" },
      el("div", {}, offer.product_title),
      el("div", { class: "muted small" }, t("teamtools.offer_terms", { price: formatMoney(offer.price_cents, offer.currency), rate: (offer.commission_bp / 100).toFixed(1) })),
      state,
    ),
    el("div", { class: "row-actions" }, ask),
  );
}

async function marketplaceCard(room) {
  const offers = await api("GET", `/api/v1/mcn/offers?room_id=${encodeURIComponent(room.room_id)}&limit=20`);
  const list = el("ol", { class: "table-list", id: `offers-${room.room_id}` });
  for (const offer of offers.items) list.append(offerRow(room, offer));
  if (!offers.items.length) list.append(el("li", { class: "muted" }, t("teamtools.no_offers")));
  return el("div", {}, el("h3", {}, t("teamtools.marketplace")), list);
}

// Where each role works: the session console shows a member only their role's parts.
const CONSOLE_TOOL = { moderator: "teamtools.open_console", service: "teamtools.open_qa", selection: "teamtools.open_showcase" };

function roleLinks(room) {
  const links = el("div", { class: "team-links" });
  if (room.session_id) {
    links.append(
      el("a", { class: "button button-primary button-small", href: `/console/host/sessions/${room.session_id}`, dataset: { tool: "console" } }, t(CONSOLE_TOOL[room.role])),
      el("a", { class: "button button-small", href: `/live/${room.session_id}`, dataset: { tool: "room" } }, t("teamtools.open_live")),
    );
  }
  if (room.actions.includes("orders.view")) {
    links.append(el("a", { class: "button button-small", href: `#orders-${room.room_id}`, dataset: { tool: "orders" } }, t("teamtools.orders")));
  }
  if (room.actions.includes("marketplace")) {
    links.append(el("a", { class: "button button-small", href: `#offers-${room.room_id}`, dataset: { tool: "marketplace" } }, t("teamtools.marketplace")));
  }
  links.append(el("a", { class: "button button-small", href: `/hosts/${room.room_id}`, dataset: { tool: "host" } }, t("team.open_room")));
  const session = room.session_id
    ? el("p", { class: "muted small team-session" }, `${t(`status.${room.session_status}`)} · ${room.session_title}`)
    : el("p", { class: "muted small team-session" }, t("teamtools.no_session"));
  return [session, links];
}

// A host's own room: who is on its team, and where to manage it.
async function hostCard() {
  let room;
  try {
    room = await api("GET", "/api/v1/rooms/mine");
  } catch (error) {
    return null; // no room yet
  }
  const team = await api("GET", `/api/v1/rooms/${room.id}/team`);
  const list = el("ol", { class: "table-list", id: "own-team" });
  for (const member of team.items) {
    list.append(
      el(
        "li",
        { class: "row-item team-row", dataset: { staffId: member.id } },
        el(
          "div",
          { class: "meta" },
          el("div", {}, member.display_name || member.email || t("team.link")),
          el("div", { class: "muted small" }, `${t(`team.role.${member.role}`)} · ${t(`team.status.${member.status}`)}`),
        ),
      ),
    );
  }
  if (!team.items.length) list.append(el("li", { class: "muted" }, t("team.empty")));
  return el(
    "section",
    { class: "card", id: "own-team-card" },
    el("h2", {}, t("teamtools.own_team", { room: room.name })),
    list,
    el("div", { class: "team-links" }, el("a", { class: "button button-primary button-small", href: "/console/host#team-card", id: "manage-team" }, t("teamtools.manage_team"))),
  );
}

(async () => {
  let rooms;
  let own = null;
  try {
    rooms = await api("GET", "/api/v1/team/rooms");
    if (page.user && page.user.role === "host") own = await hostCard();
  } catch (error) {
    showError(error);
    return;
  }
  clear(root);
  if (own) root.append(own);
  empty.hidden = rooms.items.length > 0 || own !== null;
  for (const room of rooms.items) {
    const card = el(
      "section",
      { class: "card", dataset: { roomId: room.room_id, role: room.role } },
      el("h2", {}, room.room_name),
      el("p", { class: "muted small" }, `${t(`team.role.${room.role}`)} · ${t(`team.role_does.${room.role}`)}`),
      ...roleLinks(room),
    );
    root.append(card);
    try {
      if (room.actions.includes("orders.view")) card.append(await ordersCard(room));
      if (room.actions.includes("marketplace")) card.append(await marketplaceCard(room));
    } catch (error) {
      showError(error);
    }
  }
})();
