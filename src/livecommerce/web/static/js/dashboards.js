// Dashboards: a session's live dashboard and report, the platform dashboard and
// selection insight. Charts are drawn with the vendored ECharts (window.echarts);
// a session's figures arrive over /ws/dashboards/sessions/{id} as they move.
import {
  api,
  busy,
  clear,
  el,
  formatMoney,
  formatNumber,
  formatTime,
  page,
  parseMoney,
  showError,
  t,
  toast,
} from "./core.js";

const charts = new Map();

function chart(id) {
  const node = document.getElementById(id);
  if (!node || !window.echarts) return null;
  if (!charts.has(id)) charts.set(id, window.echarts.init(node, null, { renderer: "canvas" }));
  return charts.get(id);
}

window.addEventListener("resize", () => {
  for (const instance of charts.values()) instance.resize();
});

const percent = (bp) => `${(bp / 100).toFixed(2)}%`;

function formatValue(key, value) {
  if (key.endsWith("_cents")) return formatMoney(value);
  if (key.endsWith("_bp")) return percent(value);
  if (key.endsWith("_seconds")) {
    const minutes = Math.floor(value / 60);
    return minutes ? `${minutes}′${String(value % 60).padStart(2, "0")}″` : `${value}″`;
  }
  return formatNumber(value);
}

const hhmm = (iso) => formatTime(iso, { hour: "2-digit", minute: "2-digit" });

// ---- a session's dashboard and report ------------------------------------------------

function renderTiles(container, figures, keys) {
  clear(container);
  for (const key of keys) {
    container.append(
      el(
        "div",
        { class: "stat", dataset: { metric: key } },
        el("div", { class: "stat-label" }, t(`metric.${key}`)),
        el("div", { class: "stat-value", id: `metric-${key}` }, formatValue(key, figures[key] || 0)),
      ),
    );
  }
}

function renderCurve(dashboard, moments) {
  const instance = chart("chart-curve");
  if (!instance) return;
  const minutes = dashboard.minutes.map((point) => hhmm(point.minute));
  const marks = (moments || []).map((moment) => ({
      name: t(`dash.moment.${moment.kind}`),
      xAxis: hhmm(moment.at),
      label: { formatter: t(`dash.moment.${moment.kind}`), fontSize: 10 },
    }));
  instance.setOption({
    animation: false,
    grid: { left: 40, right: 48, top: 36, bottom: 28 },
    tooltip: { trigger: "axis" },
    legend: { data: [t("dash.online_curve"), t("dash.gmv_curve")], top: 0 },
    xAxis: { type: "category", data: minutes },
    yAxis: [
      { type: "value", minInterval: 1 },
      { type: "value", axisLabel: { formatter: (v) => formatMoney(v) } },
    ],
    series: [
      {
        name: t("dash.online_curve"),
        type: "line",
        data: dashboard.minutes.map((point) => point.online),
        markLine: marks.length ? { symbol: "none", data: marks } : undefined,
      },
      {
        name: t("dash.gmv_curve"),
        type: "bar",
        yAxisIndex: 1,
        data: dashboard.minutes.map((point) => point.gmv_cents),
      },
    ],
  });
}

function renderFunnel(dashboard) {
  const list = document.getElementById("dash-funnel");
  clear(list);
  for (const step of dashboard.funnel) {
    list.append(
      el(
        "li",
        { class: "dash-row", dataset: { step: step.step } },
        el("span", {}, t(`dash.funnel.${step.step}`)),
        el("strong", {}, formatNumber(step.value)),
        el("span", { class: "muted small" }, step.rate_bp ? percent(step.rate_bp) : ""),
      ),
    );
  }
  const instance = chart("chart-funnel");
  if (!instance) return;
  instance.setOption({
    animation: false,
    tooltip: { trigger: "item" },
    series: [
      {
        type: "funnel",
        sort: "none",
        left: 10,
        right: 10,
        top: 10,
        bottom: 10,
        label: { position: "inside", fontSize: 11 },
        data: dashboard.funnel
          .filter((step) => step.step !== "exposures" || step.value > 0)
          .map((step) => ({ name: t(`dash.funnel.${step.step}`), value: step.value })),
      },
    ],
  });
}

function renderSegments(dashboard) {
  const list = document.getElementById("dash-segments");
  clear(list);
  const segments = dashboard.segments;
  const rows = [
    ["dash.fans", segments.fans.viewers, segments.fans.gmv_cents],
    ["dash.non_fans", segments.non_fans.viewers, segments.non_fans.gmv_cents],
    ["dash.first_time_buyers", segments.first_time_buyers.buyers, segments.first_time_buyers.gmv_cents],
  ];
  for (const [key, people, gmv] of rows) {
    list.append(
      el(
        "li",
        { class: "dash-row" },
        el("span", {}, t(key)),
        el("span", {}, t("dash.people", { n: formatNumber(people) })),
        el("strong", {}, formatMoney(gmv)),
      ),
    );
  }
  const sources = document.getElementById("dash-sources");
  clear(sources);
  for (const source of dashboard.sources) {
    sources.append(
      el(
        "li",
        { class: "dash-row" },
        el("span", {}, t(`source.${source.source}`)),
        el("span", {}, t("dash.people", { n: formatNumber(source.viewers) })),
        el("strong", {}, formatMoney(source.gmv_cents)),
      ),
    );
  }
  if (!dashboard.sources.length) sources.append(el("li", { class: "muted" }, t("dash.no_items")));
}

function renderProducts(tableId, products) {
  const table = document.getElementById(tableId);
  if (!table) return;
  clear(table);
  table.append(
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", {}, t("dash.product")),
        el("th", {}, t("dash.explain")),
        el("th", {}, t("dash.clicks")),
        el("th", {}, t("metric.paid_orders")),
        el("th", {}, t("dash.conversion")),
        el("th", {}, t("metric.gmv_cents")),
      ),
    ),
  );
  const body = el("tbody");
  for (const product of products) {
    body.append(
      el(
        "tr",
        { dataset: { product: product.product_id } },
        el("td", {}, product.title),
        el("td", {}, formatValue("explain_seconds", product.explain_seconds)),
        el("td", {}, formatNumber(product.clicks)),
        el("td", {}, formatNumber(product.paid_orders)),
        el("td", {}, percent(product.conversion_bp)),
        el("td", {}, formatMoney(product.gmv_cents)),
      ),
    );
  }
  if (!products.length) body.append(el("tr", {}, el("td", { colspan: "6", class: "muted" }, t("dash.no_items"))));
  table.append(body);
}

function renderDashboard(dashboard, moments) {
  renderTiles(document.getElementById("dash-tiles"), dashboard.figures, page.metrics);
  renderCurve(dashboard, moments);
  renderFunnel(dashboard);
  renderSegments(dashboard);
  renderProducts("dash-products", dashboard.products);
  const status = document.getElementById("dash-status");
  if (status && status.dataset.status !== dashboard.session.status) {
    status.dataset.status = dashboard.session.status;
    status.textContent = t(`status.${dashboard.session.status}`);
  }
  document.getElementById("dash-updated").textContent = t("dash.updated", {
    time: formatTime(new Date().toISOString(), { hour: "2-digit", minute: "2-digit", second: "2-digit" }),
  });
}

function renderReport(report) {
  renderDashboard(report.dashboard, report.moments);
  renderProducts("dash-products", report.top_products);
  const table = document.getElementById("dash-comparison");
  clear(table);
  const previous = report.comparison.length ? report.comparison[0].previous_sessions : 0;
  table.append(
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", {}, ""),
        el("th", {}, t("dash.this_session")),
        el("th", {}, t("dash.previous_average", { n: previous })),
      ),
    ),
  );
  const body = el("tbody");
  for (const row of report.comparison) {
    const better = row.value >= row.previous_average;
    body.append(
      el(
        "tr",
        { dataset: { metric: row.metric } },
        el("th", {}, t(`metric.${row.metric}`)),
        el("td", { class: better ? "dash-up" : "dash-down" }, formatValue(row.metric, row.value)),
        el("td", {}, formatValue(row.metric, row.previous_average)),
      ),
    );
  }
  table.append(body);
  const moments = document.getElementById("dash-moments");
  clear(moments);
  for (const moment of report.moments) {
    moments.append(
      el(
        "li",
        { class: "dash-row", dataset: { kind: moment.kind } },
        el("span", { class: "muted small" }, hhmm(moment.at)),
        el("strong", {}, t(`dash.moment.${moment.kind}`)),
        el("span", {}, moment.label),
      ),
    );
  }
  if (!report.moments.length) moments.append(el("li", { class: "muted" }, t("dash.no_items")));
}

function connectSession(sessionId) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let retry = 1000;
  const open = () => {
    const socket = new WebSocket(`${scheme}://${location.host}/ws/dashboards/sessions/${sessionId}`);
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "dashboard") {
        retry = 1000;
        renderDashboard(message.dashboard);
      } else if (message.type === "error") {
        toast(message.message, "error");
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code >= 4400 && event.code < 4500) return;
      document.getElementById("dash-updated").textContent = t("dash.disconnected");
      setTimeout(open, retry);
      retry = Math.min(retry * 2, 30000);
    });
  };
  open();
}

// ---- the platform dashboard ----------------------------------------------------------

function rankedList(id, rows, value) {
  const list = document.getElementById(id);
  clear(list);
  rows.forEach((row, index) => {
    list.append(
      el(
        "li",
        { class: "dash-row" },
        el("span", { class: "dash-rank" }, String(index + 1)),
        el("span", { class: "dash-name" }, row.name || row.id),
        el("strong", {}, value(row)),
      ),
    );
  });
  if (!rows.length) list.append(el("li", { class: "muted" }, t("dash.no_items")));
}

async function loadPlatform() {
  const data = await api("GET", "/api/v1/dashboards/platform");
  const tiles = document.getElementById("platform-tiles");
  clear(tiles);
  const items = [
    ["dash.rooms_on_air", formatNumber(data.rooms_on_air)],
    ["metric.online", formatNumber(data.online)],
    ["metric.gmv_cents", formatMoney(data.today.gmv_cents)],
    ["metric.paid_orders", formatNumber(data.today.paid_orders)],
    ["metric.viewers", formatNumber(data.today.viewers)],
    ["metric.gpm_cents", formatMoney(data.today.gpm_cents)],
    ["metric.net_gmv_cents", formatMoney(data.today.net_gmv_cents)],
  ];
  for (const [key, value] of items) {
    tiles.append(
      el("div", { class: "stat" }, el("div", { class: "stat-label" }, t(key)), el("div", { class: "stat-value" }, value)),
    );
  }
  const minutes = chart("chart-platform-minutes");
  if (minutes) {
    minutes.setOption({
      animation: false,
      grid: { left: 36, right: 12, top: 12, bottom: 24 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.per_minute.map((p) => hhmm(p.minute)) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: t("metric.paid_orders"), type: "bar", data: data.per_minute.map((p) => p.paid_orders) }],
    });
  }
  const days = chart("chart-platform-days");
  if (days) {
    days.setOption({
      animation: false,
      grid: { left: 56, right: 12, top: 12, bottom: 24 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.days.map((p) => p.day.slice(5)) },
      yAxis: { type: "value", axisLabel: { formatter: (v) => formatMoney(v) } },
      series: [{ name: t("metric.gmv_cents"), type: "line", data: data.days.map((p) => p.gmv_cents) }],
    });
  }
  rankedList("platform-top-rooms", data.top_rooms, (r) => formatMoney(r.gmv_cents));
  rankedList("platform-top-gpm", data.top_rooms_by_gpm, (r) => formatMoney(r.gpm_cents));
  rankedList("platform-top-products", data.top_products, (r) => formatMoney(r.gmv_cents));
  rankedList("platform-hosts", data.host_ranking, (r) => formatMoney(r.gmv_cents));
  rankedList(
    "platform-categories",
    data.by_category.map((r) => ({ ...r, name: r.id || "—" })),
    (r) => formatMoney(r.gmv_cents),
  );
  rankedList(
    "platform-sources",
    data.by_source.map((s) => ({ id: s.source, name: t(`source.${s.source}`), gmv_cents: s.gmv_cents })),
    (r) => formatMoney(r.gmv_cents),
  );
}

// ---- selection insight ---------------------------------------------------------------

let mySessions = null;

async function pickSession() {
  if (mySessions === null) {
    mySessions = (await api("GET", "/api/v1/dashboards/sessions")).filter((s) =>
      ["scheduled", "live", "interrupted"].includes(s.status),
    );
  }
  return mySessions[0] || null;
}

function selectionRow(item) {
  const actions = el("div", { class: "actions" });
  if (item.offer_id && page.role !== "merchant") {
    if (item.sample_policy && item.sample_policy !== "none") {
      const sample = el("button", { type: "button", class: "button button-small", dataset: { action: "sample" } }, t("dash.request_sample"));
      sample.addEventListener("click", () =>
        busy(sample, async () => {
          await api("POST", `/api/v1/mcn/offers/${item.offer_id}/samples`, { note: "" });
          sample.textContent = t("dash.sample_requested");
          sample.disabled = true;
          toast(t("dash.sample_requested"), "success");
        }),
      );
      actions.append(sample);
    }
    if (page.role === "host" || page.role === "platform_admin") {
      const add = el("button", { type: "button", class: "button button-small", dataset: { action: "showcase" } }, t("dash.add_to_showcase"));
      add.addEventListener("click", () =>
        busy(add, async () => {
          const target = await pickSession();
          if (!target) {
            toast(t("dash.no_sessions"), "error");
            return;
          }
          await api("POST", `/api/v1/mcn/offers/${item.offer_id}/showcase`, { session_id: target.id });
          toast(t("dash.added"), "success");
        }),
      );
      actions.append(add);
    }
  }
  const trend = el("div", { class: "dash-spark", role: "img", "aria-label": t("dash.curve") });
  const node = el(
    "li",
    { class: "dash-selection-item", dataset: { product: item.product_id } },
    el(
      "div",
      { class: "dash-selection-head" },
      el("strong", {}, item.title),
      item.rising ? el("span", { class: "badge dash-rising" }, t("dash.rising")) : null,
    ),
    el(
      "div",
      { class: "muted small dash-selection-facts" },
      el("span", {}, item.category || "—"),
      el("span", {}, formatMoney(item.min_price_cents, item.currency)),
      el("span", {}, t("dash.velocity", { n: (item.velocity_per_day_x100 / 100).toFixed(2) })),
      el("span", {}, `${t("dash.conversion")} ${percent(item.conversion_bp)}`),
      el("span", {}, `GPM ${formatMoney(item.gpm_cents)}`),
      el("span", {}, `${t("dash.returns")} ${percent(item.return_rate_bp)}`),
      el("span", {}, t("dash.growth", { rate: percent(item.growth_bp) })),
      el("span", {}, item.commission_bp === null ? t("dash.no_offer") : t("dash.commission", { rate: percent(item.commission_bp) })),
    ),
    el("div", { class: "dash-selection-gmv" }, el("strong", {}, formatMoney(item.gmv_cents, item.currency))),
    trend,
    actions,
  );
  requestAnimationFrame(() => {
    if (!window.echarts) return;
    const spark = window.echarts.init(trend, null, { renderer: "canvas" });
    charts.set(`spark-${item.product_id}`, spark);
    spark.setOption({
      animation: false,
      grid: { left: 0, right: 0, top: 2, bottom: 2 },
      xAxis: { type: "category", show: false, data: item.trend.map((_, i) => i) },
      yAxis: { type: "value", show: false },
      series: [{ type: "line", data: item.trend, symbol: "none", areaStyle: {} }],
    });
  });
  return node;
}

async function loadSelection(form) {
  const params = new URLSearchParams();
  params.set("days", form.elements.days.value);
  if (form.elements.category.value) params.set("category", form.elements.category.value);
  const low = parseMoney(form.elements.min.value);
  const high = parseMoney(form.elements.max.value);
  if (low !== null) params.set("min_price_cents", String(low));
  if (high !== null) params.set("max_price_cents", String(high));
  const data = await api("GET", `/api/v1/dashboards/selection?${params}`);
  for (const instance of [...charts.keys()].filter((key) => key.startsWith("spark-"))) {
    charts.get(instance).dispose();
    charts.delete(instance);
  }
  const select = document.getElementById("selection-category");
  const chosen = select.value;
  for (const row of data.categories) {
    if (row.id && ![...select.options].some((option) => option.value === row.id)) {
      select.append(el("option", { value: row.id }, row.id));
    }
  }
  select.value = chosen;
  rankedList(
    "selection-categories",
    data.categories.map((r) => ({ ...r, name: r.id || "—" })),
    (r) => formatMoney(r.gmv_cents),
  );
  const list = document.getElementById("selection-items");
  clear(list);
  for (const item of data.items) list.append(selectionRow(item));
  if (!data.items.length) list.append(el("li", { class: "muted" }, t("dash.no_items")));
}

async function loadMerchantProducts(table) {
  const rows = await api("GET", "/api/v1/dashboards/merchant/products");
  clear(table);
  table.append(
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", {}, t("dash.product")),
        el("th", {}, t("dash.room")),
        el("th", {}, t("dash.clicks")),
        el("th", {}, t("metric.paid_orders")),
        el("th", {}, t("dash.conversion")),
        el("th", {}, t("metric.gmv_cents")),
      ),
    ),
  );
  const body = el("tbody");
  for (const row of rows) {
    body.append(
      el(
        "tr",
        {},
        el("td", {}, row.title),
        el("td", {}, `${row.room_name} · ${t("dash.sessions_count", { n: row.sessions })}`),
        el("td", {}, formatNumber(row.clicks)),
        el("td", {}, formatNumber(row.paid_orders)),
        el("td", {}, percent(row.conversion_bp)),
        el("td", {}, formatMoney(row.gmv_cents)),
      ),
    );
  }
  if (!rows.length) body.append(el("tr", {}, el("td", { colspan: "6", class: "muted" }, t("dash.no_items"))));
  table.append(body);
}

// ---- start -----------------------------------------------------------------------------

async function start() {
  try {
    if (page.view === "session") {
      connectSession(page.session_id);
    } else if (page.view === "report") {
      renderReport(await api("GET", `/api/v1/dashboards/sessions/${page.session_id}/report`));
    } else if (page.view === "platform") {
      await loadPlatform();
    } else if (page.view === "selection") {
      const form = document.getElementById("selection-filter");
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        loadSelection(form).catch(showError);
      });
      await loadSelection(form);
    }
    const merchant = document.getElementById("merchant-products");
    if (merchant) await loadMerchantProducts(merchant);
  } catch (error) {
    showError(error);
  }
}

start();
