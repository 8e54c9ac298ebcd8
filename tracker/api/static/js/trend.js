// The trend page: the chart, and a details panel for the night or change point clicked.
import { readPageData } from "./charts.js";
import { enhanceFilterForm } from "./filter-form.js";
import { day, escapeHtml, shortCommit, webLink } from "./format.js";
import { drawTrend, trendText } from "./trend-chart.js";

const data = readPageData();
const text = trendText(data);
const points = data.trend.points;
const panel = document.getElementById("trend-details");

function showPoint(point, index) {
  const previous = points[index - 1];
  panel.innerHTML = text.point(point)
    + (previous ? `<br>previous run ${day(previous.timestamp)}: ${text.formatValue(previous.value)}, commit ${escapeHtml(shortCommit(previous.commit))}` : "")
    + `<br><a href="/sweeps/${point.sweep_id}${previous ? `?overlay=${previous.sweep_id}` : ""}">this night's Pareto front</a>`;
}

function showChange(change) {
  const compare = webLink(change.commit_range.compare_url);
  const components = Object.entries(change.components_changed)
    .map(([name, [before, after]]) => `${escapeHtml(name)} ${escapeHtml(before ?? "—")} → ${escapeHtml(after ?? "—")}`);
  panel.innerHTML = text.change(change)
    + `<br>p-value ${change.p_value.toExponential(1)}`
    + (components.length ? `<br>components: ${components.join(", ")}` : "")
    + (compare ? `<br><a href="${escapeHtml(compare)}" rel="noopener">compare the commits</a>` : "")
    + `<br><a href="/sweeps/${change.sweep_id}?overlay=before:${encodeURIComponent(change.run_timestamp)}">front before vs after</a>`
    + (change.alert_id ? `<br><a href="/alerts/${change.alert_id}">alert #${change.alert_id}</a>` : "<br>no alert yet");
}

drawTrend(document.getElementById("trend-chart"), data, (selected) => {
  if (selected.change) showChange(selected.change);
  else if (selected.suspect) panel.innerHTML = text.suspect(selected.suspect);
  else if (selected.withheld) {
    panel.innerHTML = text.withheld(selected.withheld)
      + `<br><a href="/sweeps/${selected.withheld.sweep_id}">this night's Pareto front</a>`;
  }
  else showPoint(selected.point, selected.index);
});

enhanceFilterForm(document.getElementById("trend-form"));
