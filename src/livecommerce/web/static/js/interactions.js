// Room interactions for viewers: the flash sale with a server-synchronised countdown,
// the verifiable lottery, coupon drops, the Q&A board, product FAQs and checkout coupons.
// live.js forwards every room message as a "lc:live-message" event; text goes in as text.
import { api, busy, clear, el, formatMoney, lang, me, newKey, page, showError, toast, loginUrl } from "./core.js";

const STRINGS = {
  zh: {
    flash: "限时抢购", starts_in: "距开抢", ends_in: "距结束", left: "剩余 {n} 件", sold_out: "已抢光",
    ended: "已结束", grab: "立即抢", grabbing: "抢购中…", got_it: "抢到了！请尽快支付", pay: "去支付",
    limit: "每人限购 {n} 件", limit_reached: "已达限购", lottery: "福袋", draw_in: "距开奖", enter: "参与抽奖", entered: "已参与",
    entrants: "{n} 人参与", hash: "种子哈希", seed: "开奖种子", winners: "中奖名单", no_winners: "无人中奖",
    you_won: "恭喜你中奖了！", claim: "领取奖品", claimed: "已领取", not_won: "很遗憾，未中奖",
    verify: "开奖详情与验证 ›", close: "关闭", need_follow: "关注主播", need_keyword: "发送口令「{k}」",
    need_watch: "观看满 {n} 分钟", missing: "还差：", coupon: "优惠券", claim_coupon: "领取",
    coupon_claimed: "已领取，结算时可用", off: "减 {a}", percent: "{p} 折", min_spend: "满 {a} 可用",
    qa: "问答", ask: "提问", ask_placeholder: "向主播提问…", answering: "主播正在回答：", answered: "已回答",
    faq: "常见问题", coupons_none: "暂无可用优惠券", discount: "优惠", to_pay: "实付",
    fans_only: "粉丝专享", my_questions: "我的提问", waiting: "待回答", host_answered: "主播回答了你的问题：",
    answer: "回答：", my_prizes: "我的奖品", need_fan_club: "加入粉丝团", need_fan_level: "粉丝团 {n} 级以上",
    fans_early: "粉丝团 {n} 级以上提前 {t}抢", fans_grab: "粉丝先抢", fan_club_only: "粉丝团",
    seconds: "{n} 秒", minutes: "{n} 分钟",
  },
  en: {
    flash: "Flash sale", starts_in: "Starts in", ends_in: "Ends in", left: "{n} left", sold_out: "Sold out",
    ended: "Ended", grab: "Grab it", grabbing: "Grabbing…", got_it: "Got it! Pay soon", pay: "Pay now",
    limit: "Limit {n} per buyer", limit_reached: "Limit reached", lottery: "Lucky bag", draw_in: "Draw in", enter: "Enter", entered: "Entered",
    entrants: "{n} entrants", hash: "Seed hash", seed: "Seed", winners: "Winners", no_winners: "No winners",
    you_won: "You won!", claim: "Claim prize", claimed: "Claimed", not_won: "Not this time",
    verify: "Draw details and verification ›", close: "Close", need_follow: "follow the host", need_keyword: "send “{k}” in chat",
    need_watch: "watch {n} min", missing: "Still needed: ", coupon: "Coupon", claim_coupon: "Claim",
    coupon_claimed: "Claimed: use it at checkout", off: "{a} off", percent: "{p}% off", min_spend: "on {a}+",
    qa: "Q&A", ask: "Ask", ask_placeholder: "Ask the host…", answering: "Answering now: ", answered: "Answered",
    faq: "FAQ", coupons_none: "No coupons apply", discount: "Discount", to_pay: "To pay",
    fans_only: "Fans only", my_questions: "My questions", waiting: "Waiting for an answer",
    host_answered: "The host answered your question: ", answer: "Answer: ", my_prizes: "My prizes",
    need_fan_club: "join the fan club", need_fan_level: "fan level {n}+",
    fans_early: "Fan club level {n}+ buys {t} early", fans_grab: "Fans first", fan_club_only: "Fan club",
    seconds: "{n} s", minutes: "{n} min",
  },
};
const S = STRINGS[lang] || STRINGS.zh;
const tr = (key, values) => {
  let text = S[key] || key;
  for (const [name, value] of Object.entries(values || {})) text = text.split(`{${name}}`).join(String(value));
  return text;
};

function loadStyles() {
  if (document.getElementById("ix-styles")) return;
  const link = el("link", { rel: "stylesheet", id: "ix-styles", href: "/static/interactions.css" });
  document.head.append(link);
}

// ---------- the server's clock ----------
// offset = server time − local time, from the midpoint of a /time round trip (best of 3).
export const serverClock = {
  offset: 0,
  now() {
    return Date.now() + this.offset;
  },
  async sync() {
    let best = null;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const sent = Date.now();
      try {
        const body = await api("GET", "/api/v1/time");
        const received = Date.now();
        const rtt = received - sent;
        const offset = Date.parse(body.server_now) - (sent + rtt / 2);
        if (!best || rtt < best.rtt) best = { rtt, offset };
      } catch (error) {
        break;
      }
    }
    if (best) this.offset = best.offset;
    document.documentElement.dataset.clockOffsetMs = String(Math.round(this.offset));
  },
};

function countdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return hours ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${pad(minutes)}:${pad(seconds)}`;
}

// ---------- checkout coupons (used by live.js's buy sheet) ----------

export function couponPicker(sessionId, currency, totalLine) {
  const chosen = new Set();
  const node = el("div", { class: "spec-group ix-checkout-coupons" });
  let latest = null;
  let timer = null;

  async function quote() {
    if (!latest || !me) return;
    const { skuId, quantity } = latest;
    try {
      const body = await api("POST", "/api/v1/coupons/quote", {
        sku_id: skuId,
        quantity,
        session_id: sessionId,
        coupon_claim_ids: [...chosen],
      });
      renderChoices(body);
      if (body.discount_cents > 0) {
        totalLine.textContent = `${tr("discount")} −${formatMoney(body.discount_cents, body.currency)} · ${tr("to_pay")} ${formatMoney(body.total_cents, body.currency)}`;
        totalLine.dataset.discount = String(body.discount_cents);
      } else {
        delete totalLine.dataset.discount;
      }
    } catch (error) {
      if (chosen.size) {
        chosen.clear();
        showError(error);
        quote();
      }
    }
  }

  let wallet = null;
  async function renderChoices(quoteBody) {
    if (!wallet) {
      try {
        wallet = (await api("GET", "/api/v1/coupons/mine?status=available")).items;
      } catch (error) {
        wallet = [];
      }
    }
    clear(node);
    node.append(el("div", { class: "spec-name" }, tr("coupon")));
    const usable = wallet.filter((claim) => quoteBody.usable_claim_ids.includes(claim.id));
    if (!usable.length) {
      node.append(el("p", { class: "muted small" }, tr("coupons_none")));
      return;
    }
    const list = el("div", { class: "ix-coupon-list" });
    for (const claim of usable) {
      const box = el("input", { type: "checkbox", value: claim.id, "data-claim": claim.id });
      box.checked = chosen.has(claim.id);
      box.addEventListener("change", () => {
        if (box.checked) chosen.add(claim.id);
        else chosen.delete(claim.id);
        quote();
      });
      list.append(el("label", { class: "choice" }, box, el("span", {}, claim.coupon.title, " · ", couponValue(claim.coupon))));
    }
    node.append(list);
  }

  return {
    node,
    update(skuId, quantity) {
      latest = { skuId, quantity };
      clearTimeout(timer);
      timer = setTimeout(quote, 150);
    },
    claimIds: () => [...chosen],
  };
}

function couponValue(coupon) {
  const value = coupon.discount_kind === "percent"
    ? tr("percent", { p: lang === "zh" ? (100 - coupon.percent_off) / 10 : coupon.percent_off })
    : tr("off", { a: formatMoney(coupon.amount_off_cents, coupon.currency) });
  return coupon.min_spend_cents ? `${value} (${tr("min_spend", { a: formatMoney(coupon.min_spend_cents, coupon.currency) })})` : value;
}

// ---------- the room panel ----------

function start() {
  const root = document.getElementById("live");
  if (!root) return;
  const detail = page.session;
  const sessionId = detail.id;
  loadStyles();

  const state = { sale: null, lottery: null, questions: [], mine: [], coupons: [], pinned: detail.pinned || null, buying: null };
  const closedLotteries = new Set(); // result cards this viewer closed
  const heldCoupons = new Set(); // coupons this viewer holds as many of as it may
  const bought = new Map(); // sale id → this viewer's order in it
  const held = new Map(); // sale id → units this viewer holds in it (its per-buyer limit caps them)
  const stack = el("div", { class: "ix-stack", id: "interactions" });
  const saleBox = el("div", { id: "flash-sale", hidden: true });
  const lotteryBox = el("div", { id: "lottery", hidden: true });
  const couponBox = el("div", { id: "coupon-drop", hidden: true });
  const answeringBox = el("div", { class: "ix-banner", id: "qa-answering", hidden: true });
  const faqBox = el("div", { id: "product-faq", hidden: true });
  const qaBox = el("div", { class: "ix-card", id: "qa-panel", hidden: true });
  stack.append(saleBox, lotteryBox, couponBox, answeringBox, faqBox, qaBox);
  const pinned = document.getElementById("pinned");
  const anchor = pinned || document.getElementById("chat-list");
  anchor.after(stack);
  const qaToggle = el("button", { type: "button", class: "round-button", id: "qa-button", title: tr("qa") }, "?", el("span", { class: "label" }, tr("qa")));
  qaToggle.addEventListener("click", () => {
    qaBox.hidden = !qaBox.hidden;
    renderQuestions();
  });
  const bottom = document.querySelector(".bottom-bar");
  if (bottom) bottom.append(qaToggle);

  // ---- flash sale ----
  const saleKey = new Map(); // sale id → the Idempotency-Key of this viewer's click
  function renderSale() {
    const sale = state.sale;
    saleBox.hidden = !sale;
    clear(saleBox);
    if (!sale) return;
    const now = serverClock.now();
    const startsAt = Date.parse(sale.starts_at);
    const endsAt = Date.parse(sale.ends_at);
    let status = sale.status;
    if (status !== "ended" && now >= endsAt) status = "ended";
    else if (status === "scheduled" && now >= startsAt) status = sale.units_left > 0 ? "running" : "sold_out";
    if (sale.units_left === 0 && status === "running") status = "sold_out";
    saleBox.dataset.status = status;
    const timerText = status === "scheduled"
      ? `${tr("starts_in")} ${countdown(startsAt - now)}`
      : status === "running" ? `${tr("ends_in")} ${countdown(endsAt - now)}` : "";
    const sold = sale.units_total - sale.units_left;
    // 粉丝优先购: before the start, fan-club members of the level buy early (the server
    // refuses anyone else with fan_club_level_required).
    const early = (sale.fans_early_s || 0) * 1000;
    const fansWindow = status === "scheduled" && early > 0 && now >= startsAt - early;
    saleBox.dataset.early = fansWindow ? "open" : "";
    const button = el("button", { type: "button", class: "button button-primary button-small", id: "flash-buy" }, fansWindow ? tr("fans_grab") : tr("grab"));
    const atLimit = (held.get(sale.id) || 0) >= sale.per_buyer_limit;
    button.disabled = (status !== "running" && !fansWindow) || state.buying === sale.id || atLimit;
    if (atLimit && status === "running") button.textContent = tr("limit_reached");
    if (status === "sold_out") button.textContent = tr("sold_out");
    if (status === "ended") button.textContent = tr("ended");
    // The page's Content-Security-Policy drops style attributes: the width goes through the CSSOM.
    const soldPart = el("span");
    soldPart.style.width = `${Math.round((100 * sold) / Math.max(1, sale.units_total))}%`;
    button.addEventListener("click", () => buy(sale, button));
    saleBox.append(
      el(
        "div",
        { class: "ix-card" },
        el("h3", {}, `⚡ ${tr("flash")}`, el("span", { class: "ix-countdown", id: "flash-countdown" }, timerText)),
        el(
          "div",
          { class: "ix-row" },
          el("div", { class: "ix-grow" }, el("div", { class: "ellipsis" }, sale.title), el("span", { class: "ix-price" }, formatMoney(sale.price_cents, sale.currency)), " ", el("span", { class: "ix-was" }, formatMoney(sale.original_price_cents, sale.currency))),
          button,
        ),
        early > 0 && status === "scheduled" ? el("div", { class: "small", id: "flash-early" }, tr("fans_early", { n: sale.fans_min_level || 1, t: sale.fans_early_s % 60 ? tr("seconds", { n: sale.fans_early_s }) : tr("minutes", { n: sale.fans_early_s / 60 }) })) : null,
        el("div", { class: "ix-bar", id: "flash-bar", "aria-hidden": "true" }, soldPart),
        el(
          "div",
          { class: "ix-row small" },
          status === "sold_out" || (status === "ended" && sale.units_left === 0)
            ? el("span", { class: "ix-soldout", id: "flash-left" }, tr("sold_out"))
            : el("span", { id: "flash-left" }, tr("left", { n: sale.units_left })),
          el("span", { class: "muted" }, tr("limit", { n: sale.per_buyer_limit })),
        ),
        payRow(bought.get(sale.id)),
      ),
    );
  }

  function payRow(order) {
    if (!order) return null;
    const pay = el("button", { type: "button", class: "button button-primary button-small", id: "flash-pay" }, tr("pay"));
    pay.addEventListener("click", () =>
      busy(pay, async () => {
        const payment = await api("POST", `/api/v1/orders/${order.id}/pay`);
        location.href = `/pay/sandbox/${encodeURIComponent(payment.payment_id)}`;
      }),
    );
    return el("div", { class: "ix-row" }, el("span", { class: "ix-grow" }, tr("got_it")), pay);
  }

  async function buy(sale, button) {
    if (!me) {
      location.href = loginUrl();
      return;
    }
    if (!saleKey.has(sale.id)) saleKey.set(sale.id, newKey());
    state.buying = sale.id;
    button.disabled = true;
    button.textContent = tr("grabbing");
    try {
      const order = await api("POST", `/api/v1/flash-sales/${sale.id}/buy`, { quantity: 1 }, { headers: { "Idempotency-Key": saleKey.get(sale.id) } });
      saleKey.delete(sale.id);
      toast(tr("got_it"), "purchase", 5000);
      bought.set(sale.id, order);
      held.set(sale.id, (held.get(sale.id) || 0) + order.items.reduce((sum, line) => sum + line.quantity, 0));
      state.buying = null;
      renderSale();
    } catch (error) {
      state.buying = null;
      if (error.code === "sold_out") {
        state.sale = { ...sale, units_left: 0 };
      } else if (error.code === "buyer_limit_reached" || error.code === "over_buyer_limit") {
        saleKey.delete(sale.id);
        held.set(sale.id, sale.per_buyer_limit);
        showError(error);
      } else if (error.status && error.status < 500) {
        saleKey.delete(sale.id);
        showError(error);
      } else {
        showError(error); // keep the key: a retry must not buy twice
      }
      renderSale();
    }
  }

  // ---- lottery ----
  function renderLottery() {
    const lottery = state.lottery;
    lotteryBox.hidden = !lottery || closedLotteries.has(lottery.id);
    clear(lotteryBox);
    if (!lottery || closedLotteries.has(lottery.id)) return;
    const now = serverClock.now();
    const drawAt = Date.parse(lottery.draw_at);
    const card = el("div", { class: "ix-card", dataset: { status: lottery.status } });
    let close = null;
    if (lottery.status !== "open") {
      // The result card leaves the video when the viewer closes it; a win stays under "my prizes".
      close = el("button", { type: "button", class: "ix-close", id: "lottery-close", title: tr("close"), "aria-label": tr("close") }, "×");
      close.addEventListener("click", () => {
        closedLotteries.add(lottery.id);
        renderLottery();
      });
    }
    card.append(
      el("h3", {}, el("span", { class: "ix-grow" }, `${tr("lottery")} · `, lottery.title), lottery.status === "open" ? el("span", { class: "ix-countdown", id: "lottery-countdown" }, `${tr("draw_in")} ${countdown(drawAt - now)}`) : null, close),
      el("div", { class: "ix-row small" }, el("span", { class: "ix-grow" }, lottery.prize_title, ` ×${lottery.winners_count}`), el("span", { class: "muted", id: "lottery-entrants" }, tr("entrants", { n: lottery.entrants_count }))),
    );
    const conditions = lottery.conditions || {};
    const tags = el("div", { class: "ix-tags" });
    const missing = (lottery.you && lottery.you.missing) || [];
    if (conditions.follow) tags.append(el("span", { class: `ix-tag${missing.includes("follow") ? " ix-missing" : ""}` }, tr("need_follow")));
    if (conditions.keyword) tags.append(el("span", { class: `ix-tag${missing.includes("keyword") ? " ix-missing" : ""}` }, tr("need_keyword", { k: conditions.keyword })));
    if (conditions.watch_minutes) tags.append(el("span", { class: `ix-tag${missing.includes("watch_minutes") ? " ix-missing" : ""}` }, tr("need_watch", { n: conditions.watch_minutes })));
    if (conditions.fan_level) tags.append(el("span", { class: `ix-tag${missing.some((m) => m.startsWith("fan_")) ? " ix-missing" : ""}` }, tr("need_fan_level", { n: conditions.fan_level })));
    else if (conditions.fan_club) tags.append(el("span", { class: `ix-tag${missing.includes("fan_club") ? " ix-missing" : ""}` }, tr("need_fan_club")));
    if (tags.childNodes.length) card.append(tags);
    card.append(el("div", { class: "ix-mono", title: tr("hash") }, `${tr("hash")}: ${lottery.seed_hash}`));
    if (lottery.status === "open") {
      const entered = lottery.you && lottery.you.entered;
      const button = el("button", { type: "button", class: "button button-primary button-small", id: "lottery-enter" }, entered ? tr("entered") : tr("enter"));
      button.disabled = Boolean(entered) || now >= drawAt;
      button.addEventListener("click", () => enterLottery(button));
      card.append(button);
    } else if (lottery.status === "drawn") {
      card.append(el("div", { class: "ix-mono", id: "lottery-seed" }, `${tr("seed")}: ${lottery.seed}`));
      const names = (lottery.winners || []).map((winner) => winner.display_name).join("、");
      card.append(el("div", { id: "lottery-winners" }, `${tr("winners")}: `, names || tr("no_winners")));
      const mine = me && (lottery.winners || []).some((winner) => winner.user_id === me.id);
      if (mine) {
        card.append(el("strong", { id: "lottery-you-won" }, tr("you_won")));
        if (lottery.prize_kind === "product") {
          const claimed = lottery.you && lottery.you.prize_order_id;
          const claim = el("button", { type: "button", class: "button button-primary button-small", id: "lottery-claim" }, claimed ? tr("claimed") : tr("claim"));
          claim.disabled = Boolean(claimed);
          claim.addEventListener("click", () =>
            busy(claim, async () => {
              await api("POST", `/api/v1/lotteries/${lottery.id}/claim`, {});
              await refreshLottery(lottery.id);
            }),
          );
          card.append(claim);
        }
        card.append(el("a", { class: "small", href: "/coupons", id: "lottery-my-prizes" }, tr("my_prizes")));
      } else if (lottery.you && lottery.you.entered) {
        card.append(el("span", { class: "muted small" }, tr("not_won")));
      }
      card.append(el("a", { class: "small ix-details", href: `/lotteries/${lottery.id}`, id: "lottery-details" }, tr("verify")));
    }
    lotteryBox.append(card);
  }

  // Only the newest refresh is shown: an older answer arriving late (one asked for by a
  // broadcast just before the viewer claimed) must not undo what the viewer sees.
  let lotteryRefreshes = 0;
  async function refreshLottery(lotteryId) {
    const ticket = ++lotteryRefreshes;
    let lottery;
    try {
      lottery = await api("GET", `/api/v1/lotteries/${lotteryId}`);
    } catch (error) {
      return;
    }
    if (ticket !== lotteryRefreshes) return;
    state.lottery = lottery;
    renderLottery();
  }

  // A broadcast says nothing of the viewer: keep what we know of them for this lottery.
  function withViewer(lottery) {
    if (state.lottery && state.lottery.id === lottery.id && state.lottery.you && !lottery.you) {
      return { ...lottery, you: state.lottery.you };
    }
    return lottery;
  }

  async function enterLottery(button) {
    if (!me) {
      location.href = loginUrl();
      return;
    }
    await busy(button, async () => {
      try {
        state.lottery = await api("POST", `/api/v1/lotteries/${state.lottery.id}/enter`);
      } catch (error) {
        if (error.code === "conditions_not_met") {
          state.lottery = { ...state.lottery, you: { entered: false, won: false, prize_order_id: null, missing: error.details.missing || [] } };
          renderLottery();
        }
        throw error;
      }
      renderLottery();
    });
  }

  // ---- room coupons: the ones handed out before this viewer arrived, and live drops ----
  function renderCoupons() {
    clear(couponBox);
    const shown = state.coupons.filter((coupon) => !heldCoupons.has(coupon.id) && coupon.claimed_count < coupon.total_limit);
    couponBox.hidden = !shown.length;
    shown.forEach((coupon, index) => {
      const button = el("button", { type: "button", class: "button button-primary button-small", id: index === 0 ? "coupon-claim" : null, "data-coupon": coupon.id }, tr("claim_coupon"));
      button.addEventListener("click", () => {
        if (!me) {
          location.href = loginUrl();
          return;
        }
        busy(button, async () => {
          try {
            await api("POST", `/api/v1/coupons/${coupon.id}/claim`);
          } catch (error) {
            if (error.code === "coupon_limit_reached" || error.code === "coupon_sold_out") {
              heldCoupons.add(coupon.id);
              renderCoupons();
            }
            throw error;
          }
          toast(tr("coupon_claimed"), "info");
          await loadWallet(coupon.id);
        });
      });
      const tags = coupon.audience === "fans"
        ? el("span", { class: "ix-tag" }, tr("fans_only"))
        : coupon.audience === "fan_club"
          ? el("span", { class: "ix-tag" }, (coupon.min_fan_level || 1) > 1 ? tr("need_fan_level", { n: coupon.min_fan_level }) : tr("fan_club_only"))
          : null;
      if (tags) tags.style.whiteSpace = "nowrap"; // a short tag never breaks inside
      couponBox.append(el("div", { class: "ix-card", dataset: { couponId: coupon.id } }, el("div", { class: "ix-row" }, el("div", { class: "ix-grow" }, el("strong", {}, coupon.title), " ", tags, el("div", { class: "small" }, couponValue(coupon))), button)));
    });
  }

  // Which room coupons this viewer already holds as many of as it may claim.
  async function loadWallet(justClaimed) {
    if (!me) return;
    let claims;
    try {
      claims = (await api("GET", "/api/v1/coupons/mine")).items;
    } catch (error) {
      if (justClaimed) heldCoupons.add(justClaimed);
      renderCoupons();
      return;
    }
    const counts = new Map();
    for (const claim of claims) counts.set(claim.coupon.id, (counts.get(claim.coupon.id) || 0) + 1);
    for (const coupon of state.coupons) {
      if ((counts.get(coupon.id) || 0) >= coupon.per_user_limit) heldCoupons.add(coupon.id);
    }
    if (justClaimed && !state.coupons.some((coupon) => coupon.id === justClaimed)) heldCoupons.add(justClaimed);
    renderCoupons();
  }

  async function loadCoupons() {
    try {
      state.coupons = (await api("GET", `/api/v1/rooms/${detail.room.id}/coupons`)).items;
    } catch (error) {
      return;
    }
    renderCoupons();
    await loadWallet();
  }

  function dropCoupon(coupon) {
    state.coupons = [coupon, ...state.coupons.filter((item) => item.id !== coupon.id)];
    renderCoupons();
    loadWallet();
  }

  // ---- Q&A ----
  function upsertQuestion(question) {
    const index = state.questions.findIndex((item) => item.id === question.id);
    const open = question.status === "open" || question.status === "answering";
    if (index >= 0) {
      if (open) state.questions[index] = question;
      else state.questions.splice(index, 1);
    } else if (open) {
      state.questions.push(question);
    }
    state.questions.sort((a, b) => {
      const ra = a.host_rank === null ? Infinity : a.host_rank;
      const rb = b.host_rank === null ? Infinity : b.host_rank;
      return ra - rb || b.upvotes - a.upvotes || a.created_at.localeCompare(b.created_at);
    });
  }

  function renderAnswering() {
    const current = state.questions.find((item) => item.status === "answering");
    answeringBox.hidden = !current;
    answeringBox.textContent = current ? `${tr("answering")}${current.text}` : "";
  }

  function upsertMine(question) {
    if (!me || question.user_id !== me.id) return null;
    const before = state.mine.find((item) => item.id === question.id);
    state.mine = [question, ...state.mine.filter((item) => item.id !== question.id)];
    return before;
  }

  // The asker is told in the room when the host answers, and keeps the answer in "my questions".
  function tellAsker(question) {
    const text = `${tr("host_answered")}${question.text}${question.answer ? ` · ${tr("answer")}${question.answer}` : ""}`;
    toast(text, "ok", 6000);
    const chat = document.getElementById("chat-list");
    if (chat) {
      chat.append(el("li", { class: "chat-item chat-system chat-answer", dataset: { questionId: question.id } }, text));
      chat.scrollTop = chat.scrollHeight;
    }
  }

  function myQuestionsNode() {
    const shown = state.mine.filter((question) => question.status !== "dismissed");
    if (!shown.length) return null;
    const list = el("ol", { class: "ix-qa-list", id: "qa-mine" });
    for (const question of shown) {
      const answered = question.status === "answered";
      list.append(
        el(
          "li",
          { dataset: { status: question.status, id: question.id } },
          el(
            "div",
            { class: "ix-grow" },
            el("div", {}, question.text),
            answered
              ? el("div", { class: "small ix-answer" }, `${tr("answer")}${question.answer || tr("answered")}`)
              : el("div", { class: "muted small" }, tr("waiting")),
          ),
        ),
      );
    }
    return el("div", {}, el("h4", { class: "ix-subhead" }, tr("my_questions")), list);
  }

  async function loadMine() {
    if (!me) return;
    try {
      state.mine = (await api("GET", `/api/v1/live-sessions/${sessionId}/questions/mine`)).items;
    } catch (error) {
      return;
    }
    renderQuestions();
  }

  function renderQuestions() {
    renderAnswering();
    if (qaBox.hidden) return;
    clear(qaBox);
    qaBox.append(el("h3", {}, `? ${tr("qa")}`));
    const list = el("ol", { class: "ix-qa-list", id: "qa-list" });
    for (const question of state.questions) {
      const vote = el("button", { type: "button", class: "button button-small ix-vote", "data-upvote": question.id }, `▲ ${question.upvotes}`);
      vote.addEventListener("click", () =>
        busy(vote, async () => {
          if (!me) {
            location.href = loginUrl();
            return;
          }
          upsertQuestion(await api("POST", `/api/v1/questions/${question.id}/upvote`));
          renderQuestions();
        }),
      );
      list.append(el("li", { dataset: { status: question.status, id: question.id } }, vote, el("div", { class: "ix-grow" }, el("div", {}, question.text), el("div", { class: "muted small" }, question.display_name))));
    }
    qaBox.append(list);
    const mine = myQuestionsNode();
    if (mine) qaBox.append(mine);
    if (me) {
      const input = el("input", { type: "text", maxlength: 500, placeholder: tr("ask_placeholder"), "aria-label": tr("ask_placeholder"), id: "qa-input" });
      const form = el("form", { class: "chat-form", autocomplete: "off" }, input, el("button", { type: "submit", class: "button button-small" }, tr("ask")));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (!text) return;
        const body = { text };
        if (state.pinned) body.product_id = state.pinned.product_id;
        busy(form.querySelector("button"), async () => {
          const asked = await api("POST", `/api/v1/live-sessions/${sessionId}/questions`, body);
          upsertQuestion(asked);
          upsertMine(asked);
          input.value = "";
          renderQuestions();
        });
      });
      qaBox.append(form);
    }
  }

  // ---- the pinned product's FAQ ----
  async function renderFaq() {
    clear(faqBox);
    faqBox.hidden = true;
    const item = state.pinned;
    if (!item) return;
    let faq;
    try {
      faq = await api("GET", `/api/v1/products/${item.product_id}/faq`);
    } catch (error) {
      return;
    }
    if (!faq.items.length || !state.pinned || state.pinned.product_id !== item.product_id) return;
    const list = el("dl", { class: "ix-faq" });
    for (const entry of faq.items.slice(0, 5)) list.append(el("dt", {}, entry.question), el("dd", {}, entry.answer));
    faqBox.append(el("details", { class: "ix-card" }, el("summary", {}, `${tr("faq")} (${faq.items.length})`), list));
    faqBox.hidden = false;
  }

  // ---- realtime ----
  document.addEventListener("lc:live-message", (event) => {
    const message = event.detail || {};
    switch (message.type) {
      case "flash_sale":
        state.sale = message.sale;
        renderSale();
        loadHoldings(message.sale);
        break;
      case "flash_sale_stock":
        if (state.sale && state.sale.id === message.sale_id) {
          state.sale = { ...state.sale, units_left: message.left, status: message.sold_out && state.sale.status !== "ended" ? "sold_out" : state.sale.status };
          renderSale();
        }
        break;
      case "lottery":
        state.lottery = withViewer(message.lottery);
        renderLottery();
        if (me) refreshLottery(message.lottery.id);
        break;
      case "lottery_result":
        state.lottery = withViewer(message.lottery);
        renderLottery();
        if (me) refreshLottery(message.lottery.id);
        break;
      case "coupon_drop":
        dropCoupon(message.coupon);
        break;
      case "qa_question":
      case "qa_answering":
      case "qa_answered": {
        upsertQuestion(message.question);
        const before = upsertMine(message.question);
        if (message.type === "qa_answered" && before && before.status !== "answered") tellAsker(message.question);
        renderQuestions();
        if (message.type === "qa_answered") renderFaq();
        break;
      }
      case "pinned":
        state.pinned = message.item || null;
        renderFaq();
        break;
      case "hello":
        load();
        break;
      default:
        break;
    }
  });

  // What this viewer already holds in the current sale (after a reload): the limit and "pay".
  async function loadHoldings(sale) {
    if (!me || !sale) return;
    let orders;
    try {
      orders = (await api("GET", "/api/v1/orders?limit=100")).items;
    } catch (error) {
      return;
    }
    let units = 0;
    for (const order of orders) {
      if (order.flash_sale_id !== sale.id || order.status === "cancelled" || order.status === "refunded") continue;
      units += order.items.reduce((sum, line) => sum + line.quantity, 0);
      if (order.status === "pending_payment" && !bought.has(sale.id)) bought.set(sale.id, order);
    }
    held.set(sale.id, units);
    if (state.sale && state.sale.id === sale.id) renderSale();
  }

  async function load() {
    try {
      const body = await api("GET", `/api/v1/live-sessions/${sessionId}/interactions`);
      state.sale = body.flash_sale;
      state.lottery = body.lottery;
      state.questions = [];
      for (const question of body.questions) upsertQuestion(question);
    } catch (error) {
      return;
    }
    renderSale();
    renderLottery();
    renderQuestions();
    loadHoldings(state.sale);
    loadMine();
  }

  setInterval(() => {
    if (state.sale) {
      const node = document.getElementById("flash-countdown");
      const status = saleBox.dataset.status;
      const now = serverClock.now();
      const startsAt = Date.parse(state.sale.starts_at);
      const endsAt = Date.parse(state.sale.ends_at);
      const early = (state.sale.fans_early_s || 0) * 1000;
      const opens = status === "scheduled" && early > 0 && now >= startsAt - early && saleBox.dataset.early !== "open";
      const flipped = opens || (status === "scheduled" && now >= startsAt) || (status === "running" && now >= endsAt);
      if (flipped) renderSale();
      else if (node) node.textContent = status === "scheduled" ? `${tr("starts_in")} ${countdown(startsAt - now)}` : status === "running" ? `${tr("ends_in")} ${countdown(endsAt - now)}` : "";
    }
    if (state.lottery && state.lottery.status === "open") {
      const node = document.getElementById("lottery-countdown");
      if (node) node.textContent = `${tr("draw_in")} ${countdown(Date.parse(state.lottery.draw_at) - serverClock.now())}`;
    }
  }, 250);

  serverClock.sync().then(() => {
    renderSale();
    renderLottery();
  });
  load();
  loadCoupons();
  renderFaq();
}

start();
