// The host's live poll (投票) in the session console: start one, watch its counts, close it.
import { api, busy, clear, el, showError, t } from "./core.js";

const root = document.getElementById("poll-console");
if (root) {
  const sessionId = root.dataset.sessionId;
  const form = document.getElementById("poll-form");
  const results = document.getElementById("poll-results");

  async function refresh() {
    const polls = await api("GET", `/api/v1/live-sessions/${encodeURIComponent(sessionId)}/polls`);
    clear(results);
    for (const poll of polls.items.slice(0, 3)) {
      const counts = poll.options.map((option, index) => `${option} ${t("c2b.votes", { n: poll.counts[index] || 0 })}`).join(" · ");
      const item = el("li", { class: "row-item", dataset: { pollId: poll.id } }, el("span", { class: "grow" }, el("strong", {}, poll.question), el("br"), el("span", { class: "muted small" }, counts)));
      if (poll.status === "open") {
        const close = el("button", { type: "button", class: "button button-small" }, t("c2b.poll_close"));
        close.addEventListener("click", () => busy(close, async () => {
          await api("POST", `/api/v1/polls/${poll.id}/close`);
          await refresh();
        }).catch(showError));
        item.append(close);
      } else {
        item.append(el("span", { class: "muted small" }, t("c2b.poll_closed")));
      }
      results.append(item);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const options = form.elements.options.value.split(/[,，、\n]/).map((part) => part.trim()).filter(Boolean);
    busy(form.querySelector("button"), async () => {
      await api("POST", `/api/v1/live-sessions/${encodeURIComponent(sessionId)}/polls`, { question: form.elements.question.value.trim(), options });
      form.reset();
      await refresh();
    }).catch(showError);
  });
  refresh().catch(() => {});
  setInterval(() => refresh().catch(() => {}), 4000);
}
