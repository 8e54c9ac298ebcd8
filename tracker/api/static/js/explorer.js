// The explorer's chart: each series' latest value, grouped by GPU, engines side by side within
// a group (colour and symbol both name the engine). A click opens the series' trend.
import { createChart, readPageData, SERIES_COLOURS, SERIES_SYMBOLS, valueAxis } from "./charts.js";
import { enhanceFilterForm } from "./filter-form.js";
import { escapeHtml, metricFormat } from "./format.js";

const data = readPageData();
const { engines, gpus, labels, points } = data.chart;
const element = document.getElementById("explorer-chart");
const GROUP_WIDTH = 0.7;

function dodge(engineIndex) {
  if (engines.length === 1) return 0;
  return (engineIndex / (engines.length - 1) - 0.5) * GROUP_WIDTH;
}

const series = engines.map((engine, engineIndex) => ({
  name: engine,
  type: "scatter",
  symbol: SERIES_SYMBOLS[engineIndex % SERIES_SYMBOLS.length],
  symbolSize: 8,
  itemStyle: { color: SERIES_COLOURS[engineIndex % SERIES_COLOURS.length], opacity: 0.8 },
  large: true,
  // [x, value, index into points]: plain arrays keep ECharts' large mode fast.
  data: points.flatMap(([, pointEngine, gpuIndex, value], index) =>
    pointEngine === engineIndex ? [[gpuIndex + dodge(engineIndex), value, index]] : []),
}));

const chart = createChart(element, {
  legend: { top: 0, type: "scroll" },
  grid: { left: 80, right: 24, top: 40, bottom: 40 },
  tooltip: {
    trigger: "item",
    formatter: (item) => {
      const [seriesId, engine, gpu, value, label] = points[item.value[2]];
      return `#${seriesId} ${escapeHtml(engines[engine])} on ${escapeHtml(gpus[gpu])}<br>`
        + `${escapeHtml(labels[label])}<br><b>${metricFormat(data.metric)(value)}</b>`;
    },
  },
  xAxis: {
    // A value axis with one unit per GPU, so engines can sit side by side within a GPU.
    type: "value", min: -1, max: gpus.length, interval: 1,
    axisLabel: { formatter: (value) => gpus[value] ?? "" },
    splitLine: { show: false },
  },
  yAxis: valueAxis(`${data.metric} @ ${data.target} tok/s/user`, { axisLine: { onZero: false } }),
  series,
});
chart.on("click", (item) => {
  const seriesId = points[item.value[2]][0];
  window.location.href = `${data.seriesUrl}${seriesId}?target=${data.target}&metric=${data.metric}`;
});

enhanceFilterForm(document.getElementById("filter-form"));
