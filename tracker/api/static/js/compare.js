// Compare: a bar per config at the slider's interactivity, values re-read from /api/v1/compare
// as the slider moves, and a tput/GPU sparkline per row at the nearest target.
import { apiFetch } from "./api.js";
import { createChart, OKABE_ITO, readPageData, valueAxis } from "./charts.js";
import { enhanceFilterForm } from "./filter-form.js";
import { throughput, usd } from "./format.js";
import { drawSparkline } from "./sparkline.js";

const data = readPageData();
enhanceFilterForm(document.getElementById("compare-form"));
const slider = document.getElementById("interactivity");
const table = document.getElementById("compare-table");

function barOption(items) {
  const labels = items.map((item) => data.labels[item.series_id]);
  return {
    yAxis: { type: "category", data: labels, inverse: true },
    series: [{
      name: "tput/GPU",
      type: "bar",
      data: items.map((item) => item.tput_per_gpu),
      itemStyle: { color: OKABE_ITO.blue },
      label: { show: true, position: "right", formatter: (bar) => throughput(bar.value) },
    }],
  };
}

// Outside every config's latest front the bars are empty: say why, and where the data is.
function outsideNote(interactivity, items) {
  const missing = items.filter((item) => item.tput_per_gpu === null);
  if (missing.length === 0) return "";
  const spans = Object.values(data.fronts);
  const reach = spans.length
    ? ` Their latest fronts span ${Math.round(Math.min(...spans.map((s) => s[0])))}–${Math.round(Math.max(...spans.map((s) => s[1])))} tok/s/user.`
    : "";
  if (missing.length === items.length) {
    return `No config in this slice reaches ${interactivity} tok/s/user on its latest front, so there is nothing to draw.${reach}`;
  }
  return `${missing.length} of ${items.length} configs do not reach ${interactivity} tok/s/user on their latest front (out of range below).`;
}

function showNote(interactivity, items) {
  const note = outsideNote(interactivity, items);
  document.getElementById("compare-note").textContent = note;
  const empty = items.every((item) => item.tput_per_gpu === null);
  chart.setOption({
    title: {
      show: empty && items.length > 0,
      text: `no config reaches ${interactivity} tok/s/user`,
      left: "center",
      top: "middle",
      textStyle: { fontSize: 14, fontWeight: "normal", color: "#5b636e" },
    },
  });
}

function setCell(row, field, text) {
  const cell = row.querySelector(`[data-field="${field}"]`);
  if (cell) cell.textContent = text;
}

function showValues(items) {
  for (const item of items) {
    const row = table.querySelector(`tr[data-series-id="${item.series_id}"]`);
    if (!row) continue;
    setCell(row, "tput_per_gpu", item.tput_per_gpu === null ? "out of range" : throughput(item.tput_per_gpu));
    setCell(row, "output_tput_per_gpu", throughput(item.output_tput_per_gpu));
    for (const [priceSet, cost] of Object.entries(item.cost_per_mtok)) {
      setCell(row, `cost_per_mtok.${priceSet}`, usd(cost));
    }
  }
  chart.setOption(barOption(items));
  showNote(Number(slider.value), items);
}

function showSparklines(lines) {
  for (const [seriesId, points] of Object.entries(lines)) {
    const svg = table.querySelector(`tr[data-series-id="${seriesId}"] svg.sparkline`);
    if (svg) drawSparkline(svg, points);
  }
}

function nearestTarget(interactivity) {
  return data.targets.reduce((best, t) => (Math.abs(t - interactivity) < Math.abs(best - interactivity) ? t : best));
}

let latestRequest = 0;

async function loadValues(interactivity) {
  const request = ++latestRequest;
  const query = new URLSearchParams({ ...data.apiFilters, interactivity, limit: 1000 });
  const response = await apiFetch(`/api/v1/compare?${query}`);
  // A slower answer to an older slider position must not overwrite a newer one.
  if (!response.ok || request !== latestRequest) return;
  const items = (await response.json()).items;
  const byId = new Map(items.map((item) => [item.series_id, item]));
  showValues(data.items.map((item) => byId.get(item.series_id) ?? item));
  table.dataset.interactivity = String(interactivity);
}

async function loadSparklines(target) {
  const lines = {};
  await Promise.all(data.items.map(async (item) => {
    const response = await apiFetch(`/api/v1/series/${item.series_id}/trend?metric=tput_per_gpu&interactivity=${target}`);
    if (response.ok) {
      lines[item.series_id] = (await response.json()).points.map((p) => [Date.parse(p.timestamp), p.value]);
    }
  }));
  showSparklines(lines);
  document.querySelector(".sparkline-target").textContent = String(target);
}

const chart = table ? createChart(document.getElementById("compare-chart"), {
  grid: { left: 10, right: 70, top: 10, bottom: 40, containLabel: true },
  tooltip: { trigger: "item", formatter: (bar) => `${bar.name}: <b>${throughput(bar.value)}</b> tok/s/GPU` },
  xAxis: valueAxis("throughput per GPU (tok/s/GPU)", { nameGap: 28, scale: false }),
  ...barOption(data.items),
}) : null;

if (table) {
  showNote(data.interactivity, data.items);
  showSparklines(data.sparklines);
  let sparklineTarget = data.sparklineTarget;
  let pending;
  slider.addEventListener("input", () => {
    const interactivity = Number(slider.value);
    document.getElementById("interactivity-value").textContent = String(interactivity);
    const url = new URL(window.location.href);
    url.searchParams.set("interactivity", String(interactivity));
    window.history.replaceState(null, "", url);
    document.querySelector('#compare-form [name="interactivity"]').value = String(interactivity);
    clearTimeout(pending);
    pending = setTimeout(() => {
      loadValues(interactivity);
      const target = nearestTarget(interactivity);
      if (target !== sparklineTarget) {
        sparklineTarget = target;
        loadSparklines(target);
      }
    }, 120);
  });
}
