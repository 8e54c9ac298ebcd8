// Calls to /api/v1 with the bearer token this tab holds (sessionStorage), asking for one when
// the API answers 401 or 403.

const TOKEN_KEY = "tracker.token";

export function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function askForToken(reason) {
  const dialog = document.getElementById("token-dialog");
  const form = dialog.querySelector("form");
  dialog.querySelector(".token-reason").textContent = reason;
  form.reset();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const token = form.elements.token.value.trim();
      if (dialog.returnValue === "ok" && token) {
        storeToken(token);
        resolve(token);
      } else {
        resolve(null);
      }
    }, { once: true });
    dialog.showModal();
  });
}

const REASONS = {
  401: "The tracker needs a valid token for this.",
  403: "This needs a token with more rights (triage scope).",
};

export async function apiFetch(path, options = {}) {
  let token = storedToken();
  for (let attempt = 0; ; attempt += 1) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(path, { ...options, headers });
    if (!(response.status in REASONS) || attempt > 0) return response;
    token = await askForToken(REASONS[response.status]);
    if (!token) return response;
  }
}
