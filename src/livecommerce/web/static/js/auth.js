// Log-in and sign-up forms: JSON to the accounts API, then on to where the user was going.
import { api, errorText, formData, lang } from "./core.js";

function wire(form, submit) {
  if (!form) return;
  const errorBox = form.querySelector(".form-error");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    button.disabled = true;
    try {
      const result = await submit(formData(form));
      location.href = result;
    } catch (error) {
      errorBox.textContent = errorText(error);
      errorBox.hidden = false;
      button.disabled = false;
    }
  });
}

// Only a path on this site, parsed as the browser will follow it.
function safeNext(value) {
  if (!value || !value.startsWith("/")) return "/";
  try {
    const url = new URL(value, location.origin);
    if (url.origin === location.origin) return url.pathname + url.search + url.hash;
  } catch (cause) {
    return "/";
  }
  return "/";
}

const loginForm = document.getElementById("login-form");
wire(loginForm, async (values) => {
  await api("POST", "/api/v1/auth/login", { email: values.email, password: values.password });
  return safeNext(loginForm.dataset.next);
});

const signupForm = document.getElementById("signup-form");
wire(signupForm, async (values) => {
  const body = await api("POST", "/api/v1/auth/signup", {
    email: values.email,
    password: values.password,
    display_name: values.display_name,
    role: values.role || "viewer",
    locale: lang,
  });
  const next = safeNext(signupForm.dataset.next);
  if (next !== "/") return next;
  if (body.user.role === "host") return "/console/host";
  if (body.user.role === "merchant") return "/console/merchant";
  return "/";
});
