// A sweep's Pareto front (interactivity on x, throughput per GPU on y) with its dominated points
// and the points failed requests left out (crosses), and another run's front dashed beside it:
// drawn by the sweep page and, per series, by a candidate's page.
import { createChart, OKABE_ITO, valueAxis } from "./charts.js";
import { escapeHtml, throughput } from "./format.js";

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

export function drawFronts(element, current, earlier) {
  const series = sweepLayers(current, OKABE_ITO.blue,
    { symbol: "circle", hollowSymbol: "emptyCircle", line: "solid" });
  if (earlier) {
    series.push(...sweepLayers(earlier, OKABE_ITO.orange,
      { symbol: "rect", hollowSymbol: "emptyRect", line: "dashed" }));
  }
  return createChart(element, {
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
}
