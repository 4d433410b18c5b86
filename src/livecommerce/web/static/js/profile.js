// My profile: switch personalised recommendations, erase the behaviour history.
import { api, busy, t } from "./core.js";

const state = document.getElementById("personalised-state");
const toggle = document.getElementById("personalised-toggle");
if (state && toggle) {
  toggle.addEventListener("click", () => {
    busy(toggle, async () => {
      const on = state.dataset.on !== "true";
      const profile = await api("PUT", "/api/v1/me/profile/personalised", { on });
      state.dataset.on = profile.personalised ? "true" : "false";
      state.textContent = t(profile.personalised ? "profile.personalised_on" : "profile.personalised_off");
      toggle.textContent = t(profile.personalised ? "profile.turn_off" : "profile.turn_on");
    });
  });
}

const erase = document.getElementById("erase-button");
if (erase) {
  erase.addEventListener("click", () => {
    if (!window.confirm(t("profile.erase_confirm"))) return;
    busy(erase, async () => {
      const erased = await api("DELETE", "/api/v1/me/behaviour");
      const result = document.getElementById("erase-result");
      result.textContent = t("profile.erased", { n: erased.total });
      result.hidden = false;
      const summary = document.querySelector("#profile-summary .profile-lines");
      if (summary) summary.replaceWith(Object.assign(document.createElement("p"), {
        className: "empty", id: "profile-empty", textContent: t("profile.empty"),
      }));
    });
  });
}
