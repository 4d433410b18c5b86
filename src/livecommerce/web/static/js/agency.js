// Agency console: create the agency, see each signed host's sessions, GMV and earnings, invite hosts.
import { api, busy, clear, el, formatMoney, formatTime, formData, parseMoney, showError, t, toast } from "./core.js";

const $ = (id) => document.getElementById(id);
const percent = (bp) => `${(bp / 100).toFixed(bp % 100 ? 2 : 0)}%`;

async function loadDashboard() {
  let dashboard;
  try {
    dashboard = await api("GET", "mcn/agency/dashboard");
  } catch (error) {
    if (error.code === "agency_not_found") {
      $("create-card").hidden = false;
      return;
    }
    throw error;
  }
  $("create-card").hidden = true;
  $("agency-body").hidden = false;
  $("agency-name").textContent = dashboard.agency.name;
  $("agency-earned").textContent = `${t("partners.agency_earned")} ${formatMoney(dashboard.agency_earned_cents)}`;
  const list = clear($("host-list"));
  if (!dashboard.hosts.length) list.append(el("li", { class: "empty" }, t("common.none")));
  for (const host of dashboard.hosts) {
    list.append(
      el(
        "li",
        { class: "row-item" },
        el(
          "div",
          { class: "grow" },
          el("strong", {}, host.display_name),
          el(
            "div",
            { class: "muted small" },
            `${t("partners.sessions")} ${host.sessions} · ${t("partners.gmv")} ${formatMoney(host.gmv_cents)} · ${t("partners.host_earned")} ${formatMoney(host.host_earned_cents)} · ${t("partners.agency_earned")} ${formatMoney(host.agency_earned_cents)} · ${percent(host.share_bp)}`,
          ),
        ),
        el("span", { class: "badge" }, t(`partners.contract_status.${host.contract_status}`)),
      ),
    );
  }
  await loadContracts(new Map(dashboard.hosts.map((host) => [host.host_id, host.display_name])));
}

async function loadContracts(names) {
  const list = clear($("contract-list"));
  const contracts = await api("GET", "mcn/contracts");
  for (const contract of contracts.items) {
    const end = el("button", { type: "button", class: "button button-small" }, t("partners.terminate"));
    end.hidden = !["active", "invited"].includes(contract.status);
    end.addEventListener("click", () =>
      busy(end, async () => {
        await api("POST", `mcn/contracts/${contract.id}/terminate`);
        await loadDashboard();
      }),
    );
    list.append(
      el(
        "li",
        { class: "row-item" },
        el(
          "div",
          { class: "grow" },
          el("strong", {}, contract.host_name || names.get(contract.host_id) || ""),
          el("div", { class: "muted small" }, `${percent(contract.share_bp)} · ${formatTime(contract.starts_at)}`),
        ),
        el("span", { class: "badge" }, t(`partners.contract_status.${contract.status}`)),
        end,
      ),
    );
  }
}

$("agency-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "mcn/agencies", { name: formData(event.target).name });
    await loadDashboard();
  } catch (error) {
    showError(error);
  }
});

$("invite-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = formData(event.target);
  try {
    await api("POST", "mcn/contracts", { host_email: values.host_email.trim(), share_bp: parseMoney(values.share) });
    toast(t("common.saved"), "ok");
    event.target.reset();
    await loadDashboard();
  } catch (error) {
    showError(error);
  }
});

loadDashboard().catch(showError);
