// The Pareto front of a sweep (interactivity on x, throughput per GPU on y) with its dominated
// points, the points failed requests left out (crosses), and an earlier run's front dashed
// beside it.
import { createChart, OKABE_ITO, readPageData, valueAxis } from "./charts.js";
import { escapeHtml, throughput } from "./format.js";

const data = readPageData();

function sweepLayers(sweep, colour, style) {
  const asPoint = (point) => [point.median_intvty, point.tput_per_gpu, point.conc];
  const front = sweep.points.filter((p) => p.on_front).map(asPoint).sort((a, b) => a[0] - b[0]);
  const dominated = sweep.points.filter((p) => !p.on_front && !p.degraded).map(asPoint);
  const leftOut = sweep.points.filter((p) => p.degraded).map(asPoint);
  const layers = [
    {
      name: `front ${sweep.label}`,
      type: "line",
      data: front,
      symbol: style.symbol,
      symbolSize: 8,
      lineStyle: { color: colour, type: style.line, width: 2 },
      itemStyle: { color: colour },
    },
    {
      name: `dominated ${sweep.label}`,
      type: "scatter",
      data: dominated,
      symbol: style.hollowSymbol,
      symbolSize: 8,
      itemStyle: { color: colour, opacity: 0.9 },
    },
  ];
  if (leftOut.length) {
    layers.push({
      name: `failed requests, left out ${sweep.label}`,
      type: "scatter",
      data: leftOut,
      symbol: "path://M0,0 L10,10 M10,0 L0,10",
      symbolSize: 9,
      itemStyle: { color: "none", borderColor: OKABE_ITO.vermillion, borderWidth: 2 },
    });
  }
  return layers;
}

const series = sweepLayers(data.current, OKABE_ITO.blue,
  { symbol: "circle", hollowSymbol: "emptyCircle", line: "solid" });
if (data.earlier) {
  series.push(...sweepLayers(data.earlier, OKABE_ITO.orange,
    { symbol: "rect", hollowSymbol: "emptyRect", line: "dashed" }));
}

createChart(document.getElementById("sweep-chart"), {
  legend: { top: 0 },
  grid: { left: 80, right: 30, top: 50, bottom: 50 },
  tooltip: {
    trigger: "item",
    formatter: (item) => `${escapeHtml(item.seriesName)}<br>concurrency ${item.value[2]}`
      + `<br>${item.value[0].toFixed(1)} tok/s/user · <b>${throughput(item.value[1])}</b> tok/s/GPU`,
  },
  xAxis: valueAxis("interactivity (tok/s/user)", { nameGap: 28 }),
  yAxis: valueAxis("throughput per GPU (tok/s/GPU)"),
  series,
});
