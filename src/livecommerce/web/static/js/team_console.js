// The host console's messages to fans (with the audience's size first) and the team:
// invitations (by e-mail or link), members, removal, and what each member did.
import { api, busy, clear, el, formatTime, showError, t, toast } from "./core.js";

const messageCard = document.getElementById("message-card");
const messageForm = document.getElementById("message-form");
const preview = document.getElementById("message-preview");
const teamCard = document.getElementById("team-card");
const teamForm = document.getElementById("team-form");
const teamLink = document.getElementById("team-link");
const teamList = document.getElementById("team-list");
const teamLog = document.getElementById("team-log");
let roomId = null;

function target() {
  const data = new FormData(messageForm);
  const body = { audience: String(data.get("audience")) };
  const level = String(data.get("min_level") || "").trim();
  if (level && body.audience === "members") body.min_level = Number(level);
  const product = String(data.get("product_id") || "");
  if (body.audience === "product_buyers" && product) body.product_id = product;
  return body;
}

const productField = document.getElementById("message-product-field");
const productSelect = document.getElementById("message-product");

async function loadProducts() {
  const sold = await api("GET", `/api/v1/rooms/${roomId}/fan-messages/products`);
  clear(productSelect);
  if (!sold.items.length) productSelect.append(el("option", { value: "" }, t("fanmsg.no_products")));
  for (const item of sold.items) {
    productSelect.append(el("option", { value: item.product_id }, t("fanmsg.product_option", { title: item.title, n: item.buyers })));
  }
}

messageForm.elements.namedItem("audience").addEventListener("change", async (event) => {
  const wanted = event.currentTarget.value === "product_buyers";
  productField.hidden = !wanted;
  if (wanted) {
    try {
      await loadProducts();
    } catch (error) {
      showError(error);
    }
  }
});

async function showSizes() {
  const sizes = await api("POST", `/api/v1/rooms/${roomId}/fan-messages/preview`, target());
  preview.textContent = t("fanmsg.sizes", {
    audience: sizes.audience,
    reachable: sizes.reachable,
    sent: sizes.sent_today,
    limit: sizes.limit_per_day,
  });
}

document.getElementById("message-preview-button").addEventListener("click", (event) =>
  busy(event.currentTarget, async () => {
    try {
      await showSizes();
    } catch (error) {
      showError(error);
    }
  }),
);

messageForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const data = new FormData(messageForm);
  busy(messageForm.querySelector("button[type=submit]"), async () => {
    try {
      const sent = await api("POST", `/api/v1/rooms/${roomId}/fan-messages`, {
        ...target(),
        title: String(data.get("title") || ""),
        body: String(data.get("body") || ""),
      });
      toast(t("fanmsg.sent", { n: sent.delivered }), "ok");
      await showSizes();
    } catch (error) {
      showError(error);
    }
  });
});

function memberNode(member) {
  const remove = el("button", { type: "button", class: "button" }, t("team.remove"));
  remove.addEventListener("click", () =>
    busy(remove, async () => {
      try {
        await api("DELETE", `/api/v1/rooms/${roomId}/team/${member.id}`);
        await loadTeam();
      } catch (error) {
        showError(error);
      }
    }),
  );
  return el(
    "li",
    { class: "row-item", dataset: { staffId: member.id } },
    el(
      "div",
      { class: "grow" },
      el("div", { class: "ellipsis" }, member.display_name || member.email || t("team.link")),
      el("div", { class: "muted small" }, `${t(`team.role.${member.role}`)} · ${t(`team.status.${member.status}`)}`),
    ),
    remove,
  );
}

// One page of the team, with "load more" while there is a next one.
function appendTeam(team) {
  teamList.querySelector(".list-more")?.remove();
  for (const member of team.items) teamList.append(memberNode(member));
  if (team.next_cursor) {
    const more = el("button", { type: "button", class: "button button-small" }, t("common.load_more"));
    more.addEventListener("click", () =>
      busy(more, async () => appendTeam(await api("GET", `/api/v1/rooms/${roomId}/team?cursor=${encodeURIComponent(team.next_cursor)}`))),
    );
    teamList.append(el("li", { class: "list-more" }, more));
  }
}

async function loadTeam() {
  const [team, log] = await Promise.all([
    api("GET", `/api/v1/rooms/${roomId}/team`),
    api("GET", `/api/v1/rooms/${roomId}/team/log?limit=20`),
  ]);
  clear(teamList);
  appendTeam(team);
  if (!team.items.length) teamList.append(el("li", { class: "muted" }, t("team.empty")));
  clear(teamLog);
  for (const item of log.items) {
    teamLog.append(
      el(
        "li",
        { class: "row-item small" },
        el("span", { class: "grow" }, `${item.display_name || ""} · ${t(`team.role.${item.role}`)} · ${t(`team.action.${item.action}`)}`),
        el("span", { class: "muted" }, formatTime(item.created_at)),
      ),
    );
  }
}

teamForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const data = new FormData(teamForm);
  const email = String(data.get("email") || "").trim();
  busy(teamForm.querySelector("button[type=submit]"), async () => {
    try {
      const invited = await api("POST", `/api/v1/rooms/${roomId}/team`, {
        role: String(data.get("role")),
        ...(email ? { email } : {}),
      });
      teamLink.value = invited.invite_url;
      teamLink.hidden = false;
      await loadTeam();
    } catch (error) {
      showError(error);
    }
  });
});

(async () => {
  try {
    const room = await api("GET", "/api/v1/rooms/mine");
    roomId = room.id;
  } catch (error) {
    return; // no room yet
  }
  messageCard.hidden = false;
  teamCard.hidden = false;
  await loadTeam();
  // Arriving from the team page's "manage" link (/console/host#team-card).
  if (location.hash === "#team-card") teamCard.scrollIntoView({ block: "start" });
})();
