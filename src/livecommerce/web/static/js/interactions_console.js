// The host console's interaction tools: launch a flash sale or a lottery, issue and drop
// coupons, and run the Q&A queue. session_console.js imports this module.
import { api, busy, clear, el, formatMoney, lang, page, parseMoney, toast } from "./core.js";

const STRINGS = {
  zh: {
    title: "互动", flash: "限时抢购", product: "商品规格", price: "秒杀价（元）", units: "库存", limit: "每人限购",
    starts_in: "倒计时（秒，0 为立即开始）", duration: "持续（秒）", launch: "发布", end: "结束", results: "结果",
    left: "剩余", sold: "已付款", buyers: "买家", gmv: "成交额", sellout: "售罄用时", lottery: "福袋抽奖",
    lottery_title: "标题", prize: "奖品", winners: "中奖人数", countdown: "倒计时（秒）", follow: "需关注",
    keyword: "口令（可选）", watch: "观看分钟（可选）", fan_level: "粉丝团等级（可选）", draw: "立即开奖", seed: "种子", hash: "哈希",
    entrants: "参与人数", coupons: "优惠券", coupon_title: "名称", amount: "立减（元）", min_spend: "门槛（元）",
    total: "总量", per_user: "每人", hours: "有效（小时）", audience: "对象", room: "直播间", fans: "仅粉丝",
    issue: "创建", drop: "发放到直播间", dropped: "已发放", qa: "问答队列", answering: "正在回答",
    answered: "已回答", dismiss: "忽略", top: "置顶", answer_placeholder: "回答（会进入商品 FAQ）",
    none: "暂无", launched: "已发布", coupon_prize: "优惠券：", status_scheduled: "倒计时中",
    status_running: "抢购中", status_sold_out: "已售罄", status_ended: "已结束", status_open: "进行中",
    status_drawn: "已开奖", fans_early: "粉丝团提前抢（秒，0 为不提前）", fans_min_level: "提前抢的粉丝团等级",
    fan_club: "粉丝团", coupon_fan_level: "粉丝团最低等级",
  },
  en: {
    title: "Interactions", flash: "Flash sale", product: "Product / SKU", price: "Sale price", units: "Units",
    limit: "Per buyer", starts_in: "Countdown (s, 0 = now)", duration: "Duration (s)", launch: "Launch", end: "End",
    results: "Results", left: "Left", sold: "Paid", buyers: "Buyers", gmv: "GMV", sellout: "Sold out in",
    lottery: "Lottery", lottery_title: "Title", prize: "Prize", winners: "Winners", countdown: "Countdown (s)",
    follow: "Must follow", keyword: "Keyword (optional)", watch: "Watched minutes (optional)", fan_level: "Fan level (optional)", draw: "Draw now",
    seed: "Seed", hash: "Hash", entrants: "Entrants", coupons: "Coupons", coupon_title: "Title",
    amount: "Amount off", min_spend: "Minimum spend", total: "Total", per_user: "Per user", hours: "Valid (hours)",
    audience: "For", room: "Room", fans: "Fans only", issue: "Create", drop: "Drop in room", dropped: "Dropped",
    qa: "Question queue", answering: "Answering", answered: "Answered", dismiss: "Dismiss", top: "Top",
    answer_placeholder: "Answer (goes into the product FAQ)", none: "None yet", launched: "Launched",
    coupon_prize: "Coupon: ", status_scheduled: "counting down", status_running: "on sale",
    status_sold_out: "sold out", status_ended: "ended", status_open: "open", status_drawn: "drawn",
    fans_early: "Fan club early access (s, 0 = none)", fans_min_level: "Early access from fan level",
    fan_club: "Fan club", coupon_fan_level: "Lowest fan-club level",
  },
};
const S = STRINGS[lang] || STRINGS.zh;

function field(label, input) {
  return el("label", {}, label, input);
}

function start() {
  const detail = page.session;
  if (!detail) return;
  const sessionId = detail.id;
  // A team member (page.console) gets the tools of their role only; the host gets all.
  const consoleInfo = page.console || { role: "host", actions: null };
  const isHost = consoleInfo.role === "host";
  const may = (action) => isHost || consoleInfo.actions.includes(action);
  if (!["flash_sale", "lottery", "coupon", "question"].some(may)) return;
  if (!document.getElementById("ix-styles")) {
    document.head.append(el("link", { rel: "stylesheet", id: "ix-styles", href: "/static/interactions.css" }));
  }
  const saleStatus = el("div", { id: "console-flash-status" });
  const lotteryStatus = el("div", { id: "console-lottery-status" });
  const couponList = el("ol", { class: "table-list", id: "console-coupons" });
  const qaList = el("ol", { class: "table-list", id: "console-questions" });
  const skuSelect = el("select", { name: "sku", required: true, id: "flash-sku" });
  const prizeSelect = el("select", { name: "prize", required: true, id: "lottery-prize" });
  let showcase = [];
  let issued = [];
  let currentSale = null;
  let currentLottery = null;

  // ---- flash sale ----
  const saleForm = el(
    "form",
    { id: "flash-form" },
    el("h3", {}, `⚡ ${S.flash}`),
    field(S.product, skuSelect),
    field(S.price, el("input", { name: "price", inputmode: "decimal", required: true, value: "9.9" })),
    field(S.units, el("input", { name: "units", type: "number", min: 1, value: 10, required: true })),
    field(S.limit, el("input", { name: "limit", type: "number", min: 1, max: 99, value: 1, required: true })),
    field(S.starts_in, el("input", { name: "starts_in", type: "number", min: 0, value: 10, required: true })),
    field(S.duration, el("input", { name: "duration", type: "number", min: 5, value: 120, required: true })),
    field(S.fans_early, el("input", { name: "fans_early", type: "number", min: 0, max: 3600, value: 0, required: true })),
    field(S.fans_min_level, el("input", { name: "fans_min_level", type: "number", min: 1, max: 20, value: 1, required: true })),
    el("button", { type: "submit", class: "button button-primary", id: "flash-launch" }, S.launch),
    saleStatus,
  );
  saleForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const [productId, skuId] = skuSelect.value.split(":");
    const data = new FormData(saleForm);
    busy(saleForm.querySelector("button[type=submit]"), async () => {
      currentSale = await api("POST", `/api/v1/live-sessions/${sessionId}/flash-sales`, {
        product_id: productId,
        sku_id: skuId,
        price_cents: parseMoney(String(data.get("price"))),
        units: Number(data.get("units")),
        per_buyer_limit: Number(data.get("limit")),
        starts_in_s: Number(data.get("starts_in")),
        duration_s: Number(data.get("duration")),
        fans_early_s: Number(data.get("fans_early")),
        fans_min_level: Number(data.get("fans_min_level")),
      });
      toast(S.launched, "info");
      renderSale();
    });
  });

  async function renderSale() {
    clear(saleStatus);
    if (!currentSale) return;
    let results = null;
    try {
      currentSale = await api("GET", `/api/v1/flash-sales/${currentSale.id}`);
      results = await api("GET", `/api/v1/flash-sales/${currentSale.id}/results`);
    } catch (error) {
      return;
    }
    const sale = currentSale;
    const end = el("button", { type: "button", class: "button button-small button-danger" }, S.end);
    end.hidden = sale.status === "ended";
    end.addEventListener("click", () =>
      busy(end, async () => {
        currentSale = await api("POST", `/api/v1/flash-sales/${sale.id}/end`);
        renderSale();
      }),
    );
    saleStatus.append(
      el("p", { class: "small", dataset: { status: sale.status } }, `${sale.title} · ${S[`status_${sale.status}`] || sale.status} · ${S.left} ${sale.units_left}/${sale.units_total}`),
      el(
        "p",
        { class: "small muted" },
        `${S.sold} ${results.units_sold} · ${S.buyers} ${results.buyers}`,
        results.gmv_cents !== null ? ` · ${S.gmv} ${formatMoney(results.gmv_cents, results.currency)}` : "",
        results.sell_out_seconds !== null ? ` · ${S.sellout} ${results.sell_out_seconds}s` : "",
      ),
      end,
    );
  }

  // ---- lottery ----
  const lotteryForm = el(
    "form",
    { id: "lottery-form" },
    el("h3", {}, S.lottery),
    field(S.lottery_title, el("input", { name: "title", maxlength: 120, required: true, value: lang === "zh" ? "福袋" : "Lucky bag" })),
    field(S.prize, prizeSelect),
    field(S.winners, el("input", { name: "winners", type: "number", min: 1, value: 1, required: true })),
    field(S.countdown, el("input", { name: "countdown", type: "number", min: 5, value: 60, required: true })),
    el("label", { class: "choice choice-inline" }, el("input", { type: "checkbox", name: "follow" }), S.follow),
    field(S.keyword, el("input", { name: "keyword", maxlength: 30 })),
    field(S.watch, el("input", { name: "watch", type: "number", min: 1 })),
    field(S.fan_level, el("input", { name: "fan_level", type: "number", min: 1, max: 20 })),
    el("button", { type: "submit", class: "button button-primary", id: "lottery-launch" }, S.launch),
    lotteryStatus,
  );
  lotteryForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(lotteryForm);
    const [kind, id] = prizeSelect.value.split(":");
    const keyword = String(data.get("keyword") || "").trim();
    const watch = Number(data.get("watch") || 0);
    const fanLevel = Number(data.get("fan_level") || 0);
    busy(lotteryForm.querySelector("button[type=submit]"), async () => {
      currentLottery = await api("POST", `/api/v1/live-sessions/${sessionId}/lotteries`, {
        title: String(data.get("title")),
        prize_kind: kind,
        prize_sku_id: kind === "product" ? id : null,
        prize_coupon_id: kind === "coupon" ? id : null,
        winners: Number(data.get("winners")),
        countdown_s: Number(data.get("countdown")),
        conditions: {
          follow: data.get("follow") === "on",
          keyword: keyword || null,
          watch_minutes: watch || null,
          fan_club: fanLevel > 0,
          fan_level: fanLevel || null,
        },
      });
      toast(S.launched, "info");
      renderLottery();
    });
  });

  async function renderLottery() {
    clear(lotteryStatus);
    if (!currentLottery) return;
    try {
      currentLottery = await api("GET", `/api/v1/lotteries/${currentLottery.id}`);
    } catch (error) {
      return;
    }
    const lottery = currentLottery;
    const draw = el("button", { type: "button", class: "button button-small" }, S.draw);
    draw.hidden = lottery.status !== "open";
    draw.addEventListener("click", () =>
      busy(draw, async () => {
        currentLottery = await api("POST", `/api/v1/lotteries/${lottery.id}/draw`);
        renderLottery();
      }),
    );
    const parts = [
      el("p", { class: "small", dataset: { status: lottery.status } }, `${lottery.title} · ${S[`status_${lottery.status}`] || lottery.status} · ${S.entrants} ${lottery.entrants_count}`),
      el("p", { class: "ix-mono" }, `${S.hash}: ${lottery.seed_hash}`),
      lottery.seed ? el("p", { class: "ix-mono" }, `${S.seed}: ${lottery.seed}`) : null,
      lottery.winners ? el("p", { class: "small", id: "console-lottery-winners" }, `${S.winners}: ${lottery.winners.map((w) => w.display_name).join("、") || S.none}`) : null,
      draw,
    ];
    lotteryStatus.append(...parts.filter(Boolean));
  }

  // ---- coupons ----
  const couponForm = el(
    "form",
    { id: "coupon-form" },
    el("h3", {}, S.coupons),
    field(S.coupon_title, el("input", { name: "title", maxlength: 60, required: true, value: lang === "zh" ? "直播间专享券" : "Room coupon" })),
    field(S.audience, el("select", { name: "audience" }, el("option", { value: "room" }, S.room), el("option", { value: "fans" }, S.fans), el("option", { value: "fan_club" }, S.fan_club))),
    field(S.coupon_fan_level, el("input", { name: "min_fan_level", type: "number", min: 1, max: 20, value: 1 })),
    field(S.amount, el("input", { name: "amount", inputmode: "decimal", required: true, value: "5" })),
    field(S.min_spend, el("input", { name: "min_spend", inputmode: "decimal", value: "0" })),
    field(S.total, el("input", { name: "total", type: "number", min: 1, value: 100, required: true })),
    field(S.per_user, el("input", { name: "per_user", type: "number", min: 1, value: 1, required: true })),
    field(S.hours, el("input", { name: "hours", type: "number", min: 1, value: 24, required: true })),
    el("button", { type: "submit", class: "button", id: "coupon-create" }, S.issue),
    couponList,
  );
  // The host issues coupons; the 场控 hands out (drops) the ones the host issued.
  if (!isHost) for (const part of couponForm.querySelectorAll("label, #coupon-create")) part.hidden = true;
  couponForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(couponForm);
    busy(couponForm.querySelector("button[type=submit]"), async () => {
      await api("POST", "/api/v1/coupons", {
        title: String(data.get("title")),
        audience: String(data.get("audience")),
        discount_kind: "amount",
        amount_off_cents: parseMoney(String(data.get("amount"))),
        min_spend_cents: parseMoney(String(data.get("min_spend") || "0")) || 0,
        currency: (showcase[0] && showcase[0].currency) || "CNY",
        ends_at: new Date(Date.now() + Number(data.get("hours")) * 3600 * 1000).toISOString(),
        total_limit: Number(data.get("total")),
        per_user_limit: Number(data.get("per_user")),
        min_fan_level: Number(data.get("min_fan_level") || 1),
      });
      await loadCoupons();
    });
  });

  async function loadCoupons() {
    try {
      const path = isHost ? "/api/v1/coupons/issued" : `/api/v1/coupons/issued?room_id=${encodeURIComponent(detail.room.id)}`;
      issued = (await api("GET", path)).items.filter((coupon) => coupon.room_id);
    } catch (error) {
      issued = [];
    }
    clear(couponList);
    for (const coupon of issued.slice(0, 10)) {
      const drop = el("button", { type: "button", class: "button button-small", "data-drop": coupon.id }, S.drop);
      drop.addEventListener("click", () =>
        busy(drop, async () => {
          await api("POST", `/api/v1/live-sessions/${sessionId}/coupons/${coupon.id}/drop`);
          toast(S.dropped, "info");
          await loadCoupons();
        }),
      );
      // Viewers see (and may claim) a room coupon only once it has been handed out.
      const state = coupon.dropped_at ? el("span", { class: "badge badge-ok", "data-dropped": coupon.id }, S.dropped) : null;
      couponList.append(el("li", { class: "row" }, el("span", { class: "grow" }, `${coupon.title} · −${formatMoney(coupon.amount_off_cents, coupon.currency)} · ${coupon.claimed_count}/${coupon.total_limit} `, state), drop));
    }
    fillPrizes();
  }

  function fillPrizes() {
    const chosen = prizeSelect.value;
    clear(prizeSelect);
    for (const item of showcase) {
      for (const sku of item.skus || []) {
        const spec = Object.values(sku.spec || {}).join(" / ");
        prizeSelect.append(el("option", { value: `product:${sku.id}` }, `${item.title}${spec ? ` (${spec})` : ""}`));
      }
    }
    for (const coupon of issued) prizeSelect.append(el("option", { value: `coupon:${coupon.id}` }, `${S.coupon_prize}${coupon.title}`));
    if (chosen) prizeSelect.value = chosen;
  }

  async function loadShowcase() {
    try {
      showcase = (await api("GET", `/api/v1/live-sessions/${sessionId}`)).showcase || [];
    } catch (error) {
      showcase = [];
    }
    const chosen = skuSelect.value;
    clear(skuSelect);
    for (const item of showcase) {
      for (const sku of item.skus || []) {
        const spec = Object.values(sku.spec || {}).join(" / ");
        skuSelect.append(el("option", { value: `${item.product_id}:${sku.id}` }, `${item.title}${spec ? ` (${spec})` : ""} · ${formatMoney(sku.price_cents, item.currency)} · ${sku.stock}`));
      }
    }
    if (chosen) skuSelect.value = chosen;
    fillPrizes();
  }

  // ---- Q&A queue ----
  async function loadQuestions() {
    let questions;
    try {
      questions = (await api("GET", `/api/v1/live-sessions/${sessionId}/questions`)).items;
    } catch (error) {
      return;
    }
    if (qaList.contains(document.activeElement)) return; // the host is typing an answer
    clear(qaList);
    if (!questions.length) qaList.append(el("li", { class: "muted small" }, S.none));
    for (const question of questions) {
      const answer = el("input", { type: "text", maxlength: 2000, placeholder: S.answer_placeholder, "aria-label": S.answer_placeholder });
      const act = (label, path, body) => {
        const button = el("button", { type: "button", class: "button button-small" }, label);
        button.addEventListener("click", () =>
          busy(button, async () => {
            await api(path === "rank" ? "PUT" : "POST", `/api/v1/questions/${question.id}/${path}`, typeof body === "function" ? body() : body);
            await loadQuestions();
          }),
        );
        return button;
      };
      qaList.append(
        el(
          "li",
          { dataset: { status: question.status, id: question.id } },
          el("div", { class: "grow" }, el("strong", {}, `▲${question.upvotes} `), question.text, el("span", { class: "muted small" }, ` · ${question.display_name}${question.status === "answering" ? ` · ${S.answering}` : ""}`)),
          el(
            "div",
            { class: "actions" },
            act(S.top, "rank", { rank: 0 }),
            act(S.answering, "answering"),
            answer,
            act(S.answered, "answered", () => ({ answer: answer.value.trim() || null })),
            act(S.dismiss, "dismiss"),
          ),
        ),
      );
    }
  }

  const section = el(
    "section",
    { class: "card", id: "interactions-console" },
    el("h2", {}, S.title),
    el("div", { class: "ix-console-grid" }, may("flash_sale") ? saleForm : null, may("lottery") ? lotteryForm : null, may("coupon") ? couponForm : null),
    may("question") ? el("h3", {}, `? ${S.qa}`) : null,
    may("question") ? qaList : null,
  );
  const stats = document.getElementById("stats");
  const anchor = stats ? stats.closest("section") : document.getElementById("console-scope");
  if (anchor) anchor.after(section);
  else document.querySelector("main").append(section);

  loadShowcase();
  if (may("coupon") || may("lottery")) loadCoupons();
  if (may("question")) loadQuestions();
  (async () => {
    try {
      if (may("flash_sale")) currentSale = (await api("GET", `/api/v1/live-sessions/${sessionId}/flash-sales`)).items[0] || null;
      if (may("lottery")) currentLottery = (await api("GET", `/api/v1/live-sessions/${sessionId}/lotteries`)).items[0] || null;
    } catch (error) {
      return;
    }
    renderSale();
    renderLottery();
  })();
  setInterval(() => {
    if (may("question")) loadQuestions();
    if (currentSale && currentSale.status !== "ended") renderSale();
    if (currentLottery && currentLottery.status === "open") renderLottery();
  }, 3000);
  setInterval(loadShowcase, 15000);
}

start();
