// Pre-sales (预售) and demand polls (投票), in the live room and on product pages.
// The room's realtime messages arrive as "lc:live-message" events (live.js); on a
// product page the progress is read again every few seconds. All text goes in as text.
import { api, busy, clear, el, formatMoney, loginUrl, me, page, showError, t, toast } from "./core.js";

function loadStyles() {
  if (!document.getElementById("ix-styles")) {
    document.head.append(el("link", { rel: "stylesheet", id: "ix-styles", href: "/static/interactions.css" }));
  }
  if (document.getElementById("c2b-styles")) return;
  document.head.append(el("link", { rel: "stylesheet", id: "c2b-styles", href: "/static/c2b.css" }));
}

function timeLeft(deadline) {
  const ms = Date.parse(deadline) - Date.now();
  if (ms <= 0) return t("c2b.ended");
  const minutes = Math.floor(ms / 60000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const text = d > 0 ? t("c2b.days", { d, h }) : `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`;
  return t("c2b.time_left", { t: text });
}

// One pre-sale card; `update(progress)` moves its bar.
function presaleCard(campaign) {
  const state = { ...campaign };
  const bar = el("span", {});
  const count = el("span", { class: "c2b-count" });
  const togo = el("span", { class: "muted small" });
  const left = el("span", { class: "c2b-left" });
  const status = el("span", { class: "c2b-status small" });
  const fields = (campaign.customisation_fields || []).map((field) =>
    el("input", { type: "text", class: "c2b-field", maxlength: String(field.max_length), placeholder: field.name, "aria-label": field.name, dataset: { name: field.name } }),
  );
  // A pre-sale of several variants: the buyer picks one.
  const variants = campaign.variants || [];
  const variantSelect =
    variants.length > 1
      ? el(
          "select",
          { class: "c2b-field c2b-variant-select", "aria-label": t("c2b.choose_variant") },
          variants.map((variant) => el("option", { value: variant.sku_id }, variant.label || campaign.title)),
        )
      : null;
  const join = el("button", { type: "button", class: "button button-primary button-small c2b-join" }, t("c2b.join"));
  const price = campaign.deposit_cents
    ? t("c2b.deposit", { d: formatMoney(campaign.deposit_cents, campaign.currency), b: formatMoney(campaign.price_cents - campaign.deposit_cents, campaign.currency) })
    : t("c2b.full", { p: formatMoney(campaign.price_cents, campaign.currency) });
  const card = el(
    "div",
    { class: "ix-card c2b-card", dataset: { campaignId: campaign.id } },
    el("h3", {}, el("span", { class: "ix-grow ellipsis" }, `${t("c2b.presale")} · `, campaign.title), left),
    el("div", { class: "ix-row small" }, el("span", { class: "ix-grow" }, price), el("span", { class: "muted" }, t("c2b.max", { n: campaign.max_units }))),
    el("div", { class: "ix-bar c2b-bar", role: "progressbar", "aria-valuemin": "0" }, bar),
    el("div", { class: "ix-row" }, count, togo, status),
    ...(fields.length || variantSelect ? [el("div", { class: "ix-row c2b-fields" }, variantSelect, ...fields)] : []),
    join,
  );
  function render() {
    const booked = state.booked ?? state.units_paid;
    const moq = state.moq;
    bar.style.width = `${Math.min(100, Math.round((booked / Math.max(moq, 1)) * 100))}%`;
    card.querySelector(".c2b-bar").setAttribute("aria-valuenow", String(booked));
    card.querySelector(".c2b-bar").setAttribute("aria-valuemax", String(moq));
    count.textContent = t("c2b.booked", { n: booked, moq });
    togo.textContent = booked >= moq ? t("c2b.reached") : t("c2b.to_go", { n: moq - booked });
    left.textContent = state.status === "open" ? timeLeft(state.deadline) : "";
    status.textContent = state.status === "open" ? "" : t(`c2b.status_${state.status}`);
    join.hidden = state.status !== "open";
    card.dataset.status = state.status;
  }
  join.addEventListener("click", () =>
    busy(join, async () => {
      if (!me) {
        location.href = loginUrl();
        return;
      }
      const addresses = await api("GET", "/api/v1/addresses");
      if (!addresses.items.length) {
        toast(t("c2b.need_address"), "error");
        return;
      }
      const customisation = {};
      for (const input of fields) if (input.value.trim()) customisation[input.dataset.name] = input.value.trim();
      const body = { quantity: 1, address_id: addresses.items[0].id, customisation };
      if (variantSelect) body.sku_id = variantSelect.value;
      const joined = await api("POST", `/api/v1/presales/${campaign.id}/join`, body);
      toast(t("c2b.joined"), "purchase");
      const started = await api("POST", `/api/v1/orders/${joined.order_id}/pay`);
      const pay = el("a", { class: "button button-primary button-small c2b-pay", href: started.pay_url, target: "_blank", rel: "noopener" }, t("c2b.pay"));
      join.replaceWith(pay);
    }).catch(showError),
  );
  render();
  setInterval(() => {
    if (state.status === "open") left.textContent = timeLeft(state.deadline);
  }, 30000);
  return {
    card,
    update(progress) {
      Object.assign(state, progress);
      render();
    },
  };
}

// The host's poll: options with their counts, one vote per viewer.
function pollCard(poll, onVote) {
  const total = poll.counts.reduce((a, b) => a + b, 0);
  const list = el("div", { class: "c2b-poll-options" });
  poll.options.forEach((option, index) => {
    const n = poll.counts[index] || 0;
    const share = total ? Math.round((n / total) * 100) : 0;
    const fill = el("span", {});
    fill.style.width = `${share}%`;
    const button = el("button", { type: "button", class: "c2b-option", disabled: poll.status !== "open" || poll.voted ? true : null, dataset: { option: String(index) } },
      el("span", { class: "c2b-option-bar", "aria-hidden": "true" }, fill),
      el("span", { class: "ix-grow" }, option),
      el("span", { class: "c2b-votes" }, t(n === 1 ? "c2b.votes_one" : "c2b.votes", { n })),
    );
    button.addEventListener("click", () => onVote(index, button));
    list.append(button);
  });
  return el(
    "div",
    { class: "ix-card c2b-poll", dataset: { pollId: poll.id, status: poll.status } },
    el("h3", {}, el("span", { class: "ix-grow" }, `${t("c2b.poll")} · `, poll.question), poll.status === "open" ? null : el("span", { class: "muted small" }, t("c2b.poll_closed"))),
    list,
  );
}

async function initRoom(root) {
  loadStyles();
  const sessionId = root.dataset.sessionId;
  const box = el("div", { class: "ix-stack c2b-stack", id: "c2b" });
  const anchor = document.getElementById("interactions") || document.getElementById("pinned") || document.getElementById("chat-list");
  anchor.after(box);
  // The poll and pre-sale cards join the room's other cards in one box: on a phone two
  // boxes stacked over the video would rise over the host chip and its Follow button.
  const joinCards = () => {
    const stack = document.getElementById("interactions");
    if (!stack) return false;
    box.className = "c2b-cards";
    stack.append(box);
    return true;
  };
  if (!joinCards()) {
    const watcher = new MutationObserver(() => {
      if (joinCards()) watcher.disconnect();
    });
    watcher.observe(root, { childList: true, subtree: true });
  }
  const presaleBox = el("div", { id: "presale" });
  const pollBox = el("div", { id: "c2b-poll" });
  box.append(pollBox, presaleBox);
  const cards = new Map();
  let poll = null;
  const voted = new Set();

  function showPoll() {
    clear(pollBox);
    if (!poll) return;
    pollBox.append(
      pollCard({ ...poll, voted: voted.has(poll.poll_id || poll.id) }, (index, button) =>
        busy(button, async () => {
          if (!me) {
            location.href = loginUrl();
            return;
          }
          const id = poll.poll_id || poll.id;
          const fresh = await api("POST", `/api/v1/polls/${id}/vote`, { option: index });
          voted.add(id);
          poll = { ...fresh, poll_id: fresh.id };
          showPoll();
        }).catch(showError),
      ),
    );
  }
  function showPresale(campaign) {
    if (cards.has(campaign.id)) return;
    const card = presaleCard(campaign);
    cards.set(campaign.id, card);
    presaleBox.append(card.card);
  }

  document.addEventListener("lc:live-message", (event) => {
    const message = event.detail || {};
    if (message.type === "presale_progress") {
      const card = cards.get(message.campaign_id);
      if (card) card.update(message);
      else api("GET", `/api/v1/presales/${message.campaign_id}`).then(showPresale).catch(() => {});
    } else if (message.type === "c2b_poll") {
      poll = message;
      showPoll();
    }
  });
  try {
    const [presales, polls] = await Promise.all([
      api("GET", `/api/v1/presales?session_id=${encodeURIComponent(sessionId)}`),
      api("GET", `/api/v1/live-sessions/${encodeURIComponent(sessionId)}/polls`),
    ]);
    for (const campaign of presales.items.filter((item) => item.status === "open").slice(0, 1)) showPresale(campaign);
    const open = polls.items.find((item) => item.status === "open");
    if (open && !poll) {
      poll = { ...open, poll_id: open.id };
      showPoll();
    }
  } catch (error) {
    // The room works without its pre-sale cards.
  }
}

async function initProduct(root) {
  loadStyles();
  const productId = root.dataset.productId;
  const presaleBox = root.querySelector("#presales");
  const cards = new Map();
  async function refresh() {
    const presales = await api("GET", `/api/v1/presales?product_id=${encodeURIComponent(productId)}&limit=3`);
    for (const campaign of presales.items.slice(0, 3)) {
      const card = cards.get(campaign.id);
      if (card) card.update(campaign);
      else {
        const made = presaleCard(campaign);
        cards.set(campaign.id, made);
        presaleBox.append(made.card);
      }
    }
    presaleBox.closest("section").hidden = cards.size === 0;
  }
  await refresh().catch(() => {});
  setInterval(() => refresh().catch(() => {}), 10000);

  const demandList = root.querySelector("#demand-list");
  const form = root.querySelector("#demand-form");
  function renderDemand(demand) {
    clear(demandList);
    for (const variant of demand.variants.slice(0, 12)) {
      const button = el("button", { type: "button", class: "button button-small" }, t("c2b.want"));
      button.addEventListener("click", () => vote({ variant: variant.variant }, button));
      demandList.append(el("li", { class: "row-item" }, el("span", { class: "grow" }, variant.variant), el("span", { class: "muted small" }, t("c2b.wanted", { n: variant.votes })), button));
    }
  }
  async function vote(body, button) {
    await busy(button, async () => {
      if (!me) {
        location.href = loginUrl();
        return;
      }
      renderDemand(await api("POST", `/api/v1/products/${productId}/demand`, body));
      toast(t("c2b.thanks"));
    }).catch(showError);
  }
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const variant = form.elements.variant.value.trim();
      if (!variant) return;
      const yuan = Number.parseFloat(form.elements.price.value);
      const body = { variant, proposed: true };
      if (Number.isFinite(yuan) && yuan > 0) body.price_willing_cents = Math.round(yuan * 100);
      vote(body, form.querySelector("button"));
      form.reset();
    });
  }
  api("GET", `/api/v1/products/${productId}/demand`).then(renderDemand).catch(() => {});
}

const room = document.getElementById("live");
if (room) initRoom(room);
const product = document.getElementById("product-c2b");
if (product) initProduct(product);
