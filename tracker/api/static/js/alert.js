// An alert's page: a trend chart per affected series, and triage through the API's PATCH with
// a triage-scope token kept in this tab's sessionStorage.
import { apiFetch, askForToken, storedToken } from "./api.js";
import { readPageData } from "./charts.js";
import { drawTrend } from "./trend-chart.js";

const data = readPageData();
data.trends.forEach((view, index) => {
  const element = document.getElementById(`alert-trend-${index}`);
  drawTrend(element, view, () => {}, { dataZoom: [{ type: "inside" }], grid: { left: 80, right: 40, top: 40, bottom: 30 } });
});

const form = document.getElementById("triage-form");
const status = document.getElementById("triage-status");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!storedToken() && !(await askForToken("Triage needs a token with the triage scope."))) return;
  const body = { state: form.elements.state.value, note: form.elements.note.value.trim() || null };
  status.textContent = "saving…";
  const response = await apiFetch(`/api/v1/alerts/${data.alertId}`, {
    method: "PATCH",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.ok) {
    // The server renders the history: reload to show the new entry as everyone will see it.
    window.location.reload();
  } else {
    const detail = (await response.json().catch(() => ({}))).detail;
    status.textContent = `not saved (${response.status}): ${typeof detail === "string" ? detail : JSON.stringify(detail)}`;
  }
});
