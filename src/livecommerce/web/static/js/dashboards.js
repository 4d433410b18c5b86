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

// A tile's figure: from 10,000 up, money and counts are shortened the way each language
// reads them (12.35万 / 1.2亿 in Chinese, 123.5K / 1.2M in English) so the figure stays
// on one line in a phone's tile; the exact figure is in the tile's title.
const COMPACT_FROM = 10_000;
const compact = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-US" : "zh-CN", {
  notation: "compact",
  maximumFractionDigits: 2,
});

export function tileValue(key, value) {
  const exact = formatValue(key, value);
  if (key.endsWith("_cents")) {
    if (Math.abs(value) < COMPACT_FROM * 100) return { text: exact, exact };
    const sign = value < 0 ? "-" : "";
    const symbol = formatMoney(0).replace(/[0-9.,\s-]/g, "");
    return { text: `${sign}${symbol}${compact.format(Math.abs(value) / 100)}`, exact };
  }
  if (key.endsWith("_bp") || key.endsWith("_seconds") || Math.abs(value) < COMPACT_FROM) {
    return { text: exact, exact };
  }
  return { text: compact.format(value), exact };
}

const hhmm = (iso) => formatTime(iso, { hour: "2-digit", minute: "2-digit" });

// ---- shared drawing: tiles, tables, time charts (dashboard, report, platform) ---------

// Tiles: [key, label, value] where key names the figure's kind (…_cents, …_bp, counts).
function renderTiles(container, tiles) {
  clear(container);
  for (const [key, label, value, id] of tiles) {
    const shown = tileValue(key, value || 0);
    container.append(
      el(
        "div",
        { class: "stat", dataset: { metric: key } },
        el("div", { class: "stat-label" }, label),
        el("div", { class: "stat-value", id: id || undefined, title: shown.exact }, shown.text),
      ),
    );
  }
}

// A table: header labels, then rows of cells; ``dataset`` per row is optional.
function fillTable(table, headers, rows) {
  if (!table) return;
  clear(table);
  table.append(el("thead", {}, el("tr", {}, ...headers.map((label) => el("th", {}, label)))));
  const body = el("tbody");
  for (const { cells, dataset } of rows) {
    body.append(el("tr", { dataset: dataset || {} }, ...cells));
  }
  if (!rows.length) {
    body.append(el("tr", {}, el("td", { colspan: String(headers.length), class: "muted" }, t("dash.no_items"))));
  }
  table.append(body);
}

// A chart over time: category labels on x, one or two value axes (the second for money),
// lines and bars; ``marks`` are vertical lines at labelled moments.
function timeChart(id, { labels, series, money = [], marks = [], grid, legend = false }) {
  const instance = chart(id);
  if (!instance) return;
  const axes = money.length && money.length < series.length ? 2 : 1;
  const yAxis = [];
  for (let index = 0; index < axes; index += 1) {
    const isMoney = axes === 2 ? index === 1 : money.length > 0;
    yAxis.push(
      isMoney
        ? { type: "value", axisLabel: { formatter: (v) => tileValue("gmv_cents", v).text } }
        : { type: "value", minInterval: 1 },
    );
  }
  instance.setOption(
    {
      animation: false,
      grid: grid || { left: 40, right: axes === 2 ? 48 : 12, top: legend ? 36 : 12, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: legend ? { data: series.map((s) => s.name), top: 0 } : undefined,
      xAxis: { type: "category", data: labels },
      yAxis,
      series: series.map((s, index) => ({
        name: s.name,
        type: s.type || "line",
        data: s.data,
        yAxisIndex: axes === 2 && money.includes(index) ? 1 : 0,
        markLine: index === 0 && marks.length ? { symbol: "none", data: marks } : undefined,
      })),
    },
    true,
  );
}

function sparkline(node, values) {
  if (!window.echarts) return null;
  const spark = window.echarts.init(node, null, { renderer: "canvas" });
  spark.setOption({
    animation: false,
    grid: { left: 0, right: 0, top: 2, bottom: 2 },
    xAxis: { type: "category", show: false, data: values.map((_, i) => i) },
    yAxis: { type: "value", show: false },
    series: [{ type: "line", data: values, symbol: "none", areaStyle: {} }],
  });
  return spark;
}

// ---- a session's dashboard and report ------------------------------------------------

function renderCurve(dashboard, moments) {
  timeChart("chart-curve", {
    labels: dashboard.minutes.map((point) => hhmm(point.minute)),
    legend: true,
    money: [1],
    series: [
      { name: t("dash.online_curve"), data: dashboard.minutes.map((point) => point.online) },
      { name: t("dash.gmv_curve"), type: "bar", data: dashboard.minutes.map((point) => point.gmv_cents) },
    ],
    marks: (moments || []).map((moment) => ({
      name: t(`dash.moment.${moment.kind}`),
      xAxis: hhmm(moment.at),
      label: { formatter: t(`dash.moment.${moment.kind}`), fontSize: 10 },
    })),
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
  fillTable(
    document.getElementById(tableId),
    [t("dash.product"), t("dash.explain"), t("dash.clicks"), t("metric.paid_orders"), t("dash.conversion"), t("metric.gmv_cents")],
    products.map((product) => ({
      dataset: { product: product.product_id },
      cells: [
        el("td", {}, product.title),
        el("td", {}, formatValue("explain_seconds", product.explain_seconds)),
        el("td", {}, formatNumber(product.clicks)),
        el("td", {}, formatNumber(product.paid_orders)),
        el("td", {}, percent(product.conversion_bp)),
        el("td", {}, formatMoney(product.gmv_cents)),
      ],
    })),
  );
}

function renderDashboard(dashboard, moments) {
  renderTiles(
    document.getElementById("dash-tiles"),
    page.metrics.map((key) => [key, t(`metric.${key}`), dashboard.figures[key], `metric-${key}`]),
  );
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
  const previous = report.comparison.length ? report.comparison[0].previous_sessions : 0;
  fillTable(
    document.getElementById("dash-comparison"),
    ["", t("dash.this_session"), t("dash.previous_average", { n: previous })],
    report.comparison.map((row) => ({
      dataset: { metric: row.metric },
      cells: [
        el("th", {}, t(`metric.${row.metric}`)),
        el(
          "td",
          { class: row.value >= row.previous_average ? "dash-up" : "dash-down" },
          formatValue(row.metric, row.value),
        ),
        el("td", {}, formatValue(row.metric, row.previous_average)),
      ],
    })),
  );
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
  renderTiles(document.getElementById("platform-tiles"), [
    ["rooms_on_air", t("dash.rooms_on_air"), data.rooms_on_air],
    ["online", t("metric.online"), data.online],
    ["gmv_cents", t("metric.gmv_cents"), data.today.gmv_cents],
    ["paid_orders", t("metric.paid_orders"), data.today.paid_orders],
    ["viewers", t("metric.viewers"), data.today.viewers],
    ["gpm_cents", t("metric.gpm_cents"), data.today.gpm_cents],
    ["net_gmv_cents", t("metric.net_gmv_cents"), data.today.net_gmv_cents],
  ]);
  timeChart("chart-platform-minutes", {
    labels: data.per_minute.map((p) => hhmm(p.minute)),
    grid: { left: 36, right: 12, top: 12, bottom: 24 },
    series: [{ name: t("metric.paid_orders"), type: "bar", data: data.per_minute.map((p) => p.paid_orders) }],
  });
  timeChart("chart-platform-days", {
    labels: data.days.map((p) => p.day.slice(5)),
    grid: { left: 56, right: 12, top: 12, bottom: 24 },
    money: [0],
    series: [{ name: t("metric.gmv_cents"), data: data.days.map((p) => p.gmv_cents) }],
  });
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

let mySession;

// The session a product goes to: the one on air, else the soonest planned one.
async function pickSession() {
  if (mySession === undefined) {
    const live = await api("GET", "/api/v1/dashboards/sessions?status=live&limit=1");
    const next = live.items.length
      ? live
      : await api("GET", "/api/v1/dashboards/sessions?status=scheduled&limit=1");
    mySession = next.items[0] || null;
  }
  return mySession;
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
    const spark = sparkline(trend, item.trend);
    if (spark) charts.set(`spark-${item.product_id}`, spark);
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

function merchantProductCells(row) {
  return {
    cells: [
      el("td", {}, row.title),
      el("td", {}, `${row.room_name} · ${t("dash.sessions_count", { n: row.sessions })}`),
      el("td", {}, formatNumber(row.clicks)),
      el("td", {}, formatNumber(row.paid_orders)),
      el("td", {}, percent(row.conversion_bp)),
      el("td", {}, formatMoney(row.gmv_cents)),
    ],
  };
}

// A list the page shows a page of at a time: ``more`` fetches the next one (the API's
// next_cursor) and hands its items to ``add``; the button hides on the last page.
function pager(button, path, cursor, add) {
  let next = cursor;
  if (!button) return;
  button.hidden = !next;
  button.addEventListener("click", () =>
    busy(button, async () => {
      const separator = path.includes("?") ? "&" : "?";
      const data = await api("GET", `${path}${separator}cursor=${encodeURIComponent(next)}`);
      add(data.items);
      next = data.next_cursor;
      button.hidden = !next;
    }),
  );
}

async function loadMerchantProducts(table) {
  const path = "/api/v1/dashboards/merchant/products";
  const data = await api("GET", path);
  fillTable(
    table,
    [t("dash.product"), t("dash.room"), t("dash.clicks"), t("metric.paid_orders"), t("dash.conversion"), t("metric.gmv_cents")],
    data.items.map(merchantProductCells),
  );
  pager(document.getElementById("merchant-products-more"), path, data.next_cursor, (items) => {
    const body = table.querySelector("tbody");
    for (const row of items) body.append(el("tr", {}, ...merchantProductCells(row).cells));
  });
}

function sessionRow(item) {
  return el(
    "li",
    { class: "dash-session-row" },
    el(
      "div",
      { class: "dash-session-main" },
      el("strong", {}, item.title),
      el("span", { class: "muted small" }, `${item.room_name} · ${t(`status.${item.status}`)}`),
      el(
        "span",
        { class: "muted small" },
        `${t("metric.viewers")} ${item.viewers} · ${t("metric.gmv_cents")} ${formatMoney(item.gmv_cents)}`,
      ),
    ),
    el(
      "div",
      { class: "actions" },
      el("a", { class: "button button-small", href: `/dashboards/sessions/${item.id}` }, t("dash.open")),
      el("a", { class: "button button-small", href: `/dashboards/sessions/${item.id}/report` }, t("dash.report")),
    ),
  );
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
    if (page.view === "list") {
      const list = document.getElementById("dash-sessions");
      pager(document.getElementById("sessions-more"), "/api/v1/dashboards/sessions", page.next_cursor, (items) => {
        for (const item of items) list.append(sessionRow(item));
      });
    }
    const merchant = document.getElementById("merchant-products");
    if (merchant) await loadMerchantProducts(merchant);
  } catch (error) {
    showError(error);
  }
}

start();
