// The login form sets the page cookie; the same token goes to sessionStorage so that the
// pages' calls to /api/v1 carry it too.
import { storeToken } from "./api.js";

document.getElementById("login-form").addEventListener("submit", (event) => {
  storeToken(event.target.elements.token.value.trim());
});
