// Earnings: what the platform owes me, statements with CSV, recent ledger lines;
// hosts also manage tracked links to external products and answer agency invitations.
import { actionButtons, api, clear, el, formatMoney, formatTime, formData, parseMoney, showError, t, toast } from "./core.js";

const $ = (id) => document.getElementById(id);

async function loadEarnings() {
  const earnings = await api("GET", "ledger/earnings");
  const accounts = clear($("account-list"));
  if (!earnings.accounts.length) accounts.append(el("li", { class: "empty" }, t("common.none")));
  for (const account of earnings.accounts) {
    accounts.append(
      el(
        "li",
        { class: "row-item", dataset: { kind: account.kind } },
        el(
          "div",
          { class: "grow" },
          el("strong", {}, t(`account_kind.${account.kind}`)),
          el(
            "div",
            { class: "muted small" },
            `${t("partners.earned")} ${formatMoney(account.earned_cents, account.currency)} · ${t("partners.clawed_back")} ${formatMoney(account.clawed_back_cents, account.currency)}`,
          ),
        ),
        el("strong", { class: "owed" }, `${t("partners.owed")} ${formatMoney(account.owed_cents, account.currency)}`),
      ),
    );
  }
  const lines = clear($("line-list"));
  for (const line of earnings.lines) {
    lines.append(
      el(
        "li",
        { class: "row-item" },
        el(
          "div",
          { class: "grow" },
          el("strong", {}, t(`entry_kind.${line.entry_kind}`)),
          el("div", { class: "muted small" }, `${formatTime(line.at)} · ${line.memo}`),
        ),
        el("span", {}, formatMoney(line.amount_cents)),
      ),
    );
  }
  const statements = clear($("statement-list"));
  const list = await api("GET", "ledger/statements");
  if (!list.items.length) statements.append(el("li", { class: "empty" }, t("common.none")));
  for (const statement of list.items) {
    statements.append(
      el(
        "li",
        { class: "row-item" },
        el(
          "div",
          { class: "grow" },
          el("strong", {}, `${t(`account_kind.${statement.kind}`)} · ${formatTime(statement.period_end)}`),
          el(
            "div",
            { class: "muted small" },
            `${t("partners.opening")} ${formatMoney(statement.opening_cents, statement.currency)} → ${t("partners.closing")} ${formatMoney(statement.closing_cents, statement.currency)} · ${t(`partners.payout.${statement.payout_status}`)}`,
          ),
        ),
        el("a", { class: "button button-small", href: `/api/v1/ledger/statements/${statement.id}/csv`, download: "" }, t("partners.download_csv")),
      ),
    );
  }
}

async function loadLinks() {
  const list = clear($("link-list"));
  const links = await api("GET", "mcn/affiliate-links");
  for (const link of links.items) {
    const url = `${location.origin}/go/${link.code}`;
    list.append(
      el(
        "li",
        { class: "row-item" },
        el(
          "div",
          { class: "grow" },
          el("strong", {}, `${link.title} · ${link.store_name}`),
          el("div", { class: "muted small" }, `${url} · ${t("partners.clicks", { count: link.clicks })} · ${t("partners.conversions", { count: link.conversions })}`),
        ),
      ),
    );
  }
}

async function loadContracts() {
  const list = clear($("contract-list"));
  const contracts = await api("GET", "mcn/contracts");
  if (!contracts.items.length) list.append(el("li", { class: "empty" }, t("common.none")));
  for (const contract of contracts.items) {
    const actions =
      contract.status === "invited"
        ? actionButtons(["accept", "decline"], `mcn/contracts/${contract.id}`, loadContracts)
        : [];
    list.append(
      el(
        "li",
        { class: "row-item" },
        el(
          "div",
          { class: "grow" },
          el("strong", {}, contract.agency_name),
          el("div", { class: "muted small" }, `${(contract.share_bp / 100).toFixed(2)}% · ${formatTime(contract.starts_at)}`),
        ),
        el("span", { class: "badge" }, t(`partners.contract_status.${contract.status}`)),
        ...actions,
      ),
    );
  }
}

const linkForm = $("link-form");
if (linkForm) {
  linkForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = formData(linkForm);
    try {
      await api("POST", "mcn/affiliate-links", {
        title: values.title,
        store_name: values.store_name,
        target_url: values.target_url,
        commission_bp: parseMoney(values.commission),
      });
      linkForm.reset();
      toast(t("common.saved"), "ok");
      await loadLinks();
    } catch (error) {
      showError(error);
    }
  });
  Promise.all([loadLinks(), loadContracts()]).catch(showError);
}
loadEarnings().catch(showError);
