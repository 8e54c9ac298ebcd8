// A track's trend chart: nightly values, outlier nights apart, the level before and after each
// change point, suspected changes dashed, runs whose value failed requests withheld dotted. Used
// by the trend page and by the alert page.
import { createChart, DIRECTION_COLOURS, OKABE_ITO, timeAxis, valueAxis } from "./charts.js";
import { day, escapeHtml, metricFormat, shortCommit, signedPercent, usd } from "./format.js";

// The arrow says which way the value moved; the colour and the word say whether that is a
// regression (a TTFT that rose is one: higher is worse for latency, energy and cost).
const arrow = (relativeChange) => (relativeChange > 0 ? "▲" : "▼");
const time = (iso) => Date.parse(iso);

export function trendText({ trend, isCost }) {
  const formatValue = isCost ? usd : metricFormat(trend.metric);
  return {
    formatValue,
    point: (point) => `${escapeHtml(point.timestamp.replace("T", " ").slice(0, 16))} UTC<br>`
      + `<b>${formatValue(point.value)}</b>${point.outlier ? " (outlier night)" : ""}<br>`
      + `commit ${escapeHtml(shortCommit(point.commit))} · ${escapeHtml(point.engine_version ?? "")}`
      + (point.front_lost_points.length
        ? `<br>failed requests took conc ${point.front_lost_points.join(", ")} off the front; this value does not depend on them`
        : ""),
    change: (change) => `<b>${arrow(change.relative_change)} ${signedPercent(change.relative_change)} ${change.direction}</b>`
      + ` from ${day(change.run_timestamp)}<br>level ${formatValue(change.before)} → ${formatValue(change.after)}`
      + `<br>most likely from ${day(change.run_timestamp)}; the cause is in runs after ${day(change.commit_range.runs_after)}`
      + ` up to ${day(change.commit_range.runs_through)}`
      + `<br>commits ${escapeHtml(shortCommit(change.commit_range.from))}…${escapeHtml(shortCommit(change.commit_range.to))}`
      + (change.alert_id ? `<br>alert #${change.alert_id}` : ""),
    suspect: (suspect) => `<b>? ${signedPercent(suspect.relative_change)} ${suspect.direction}</b> suspected from `
      + `${day(suspect.timestamp)}, not yet confirmed by enough later runs`,
    withheld: (run) => `<b>no value</b> on ${day(run.timestamp)}, commit ${escapeHtml(shortCommit(run.commit))}:`
      + ` failed requests (${run.reasons.map(escapeHtml).join("; ")}) took points off the front that this value depends on`,
    trend,
  };
}

// The level as a step: before the first change, then after each change until the next one.
function levelSteps(points, changes) {
  if (!changes.length || !points.length) return [];
  const steps = [[time(points[0].timestamp), changes[0].before]];
  changes.forEach((change, index) => {
    const at = time(change.run_timestamp);
    steps.push([at, index === 0 ? change.before : changes[index - 1].after], [at, change.after]);
  });
  steps.push([time(points[points.length - 1].timestamp), changes[changes.length - 1].after]);
  return steps;
}

// Draws `view` ({trend, metricLabel, isCost}) in `element`; `onSelect` gets
// {point, index} | {change} | {suspect} | {withheld} when a night or a marker is clicked.
export function drawTrend(element, view, onSelect, extra = {}) {
  const { points, changes, suspected, withheld } = view.trend;
  const text = trendText(view);
  const regular = [];
  const outliers = [];
  points.forEach((point, index) => {
    (point.outlier ? outliers : regular).push([time(point.timestamp), point.value, index]);
  });
  const markers = [
    ...changes.map((change, index) => ({
      name: `change:${index}`,
      xAxis: time(change.run_timestamp),
      lineStyle: { color: DIRECTION_COLOURS[change.direction], type: "solid", width: 2 },
      label: { formatter: `${arrow(change.relative_change)} ${signedPercent(change.relative_change)}` },
    })),
    ...suspected.map((suspect, index) => ({
      name: `suspected:${index}`,
      xAxis: time(suspect.timestamp),
      lineStyle: { color: OKABE_ITO.orange, type: "dashed", width: 2 },
      label: { formatter: `? ${signedPercent(suspect.relative_change)}` },
    })),
    ...withheld.map((run, index) => ({
      name: `withheld:${index}`,
      xAxis: time(run.timestamp),
      lineStyle: { color: OKABE_ITO.black, type: "dotted", width: 1.5, opacity: 0.6 },
      label: { formatter: "✕ failed requests", position: "insideEndBottom" },
    })),
  ];
  const markerOf = (name) => {
    const [kind, index] = name.split(":");
    if (kind === "change") return { change: changes[Number(index)] };
    if (kind === "withheld") return { withheld: withheld[Number(index)] };
    return { suspect: suspected[Number(index)] };
  };

  const chart = createChart(element, {
    legend: { top: 0 },
    grid: { left: 80, right: 40, top: 40, bottom: 70 },
    tooltip: {
      trigger: "item",
      formatter: (item) => {
        if (item.componentType === "markLine") {
          const marker = markerOf(item.name);
          if (marker.change) return text.change(marker.change);
          return marker.withheld ? text.withheld(marker.withheld) : text.suspect(marker.suspect);
        }
        if (item.seriesName === "level") return `level ${text.formatValue(item.value[1])}`;
        return text.point(points[item.value[2]]);
      },
    },
    dataZoom: [{ type: "slider", bottom: 10 }, { type: "inside" }],
    xAxis: timeAxis(""),
    yAxis: valueAxis(view.metricLabel),
    series: [
      {
        name: "nightly value",
        type: "line",
        data: regular,
        symbol: "circle",
        symbolSize: 4,
        lineStyle: { width: 1 },
        itemStyle: { color: OKABE_ITO.blue },
        markLine: { symbol: "none", data: markers },
        // Each change's commit range: the runs its cause may lie in (95 % by default).
        markArea: {
          silent: true,
          itemStyle: { color: OKABE_ITO.skyBlue, opacity: 0.18 },
          data: changes.map((change) => [
            { xAxis: time(change.commit_range.runs_after) },
            { xAxis: time(change.commit_range.runs_through) },
          ]),
        },
      },
      {
        name: "outlier night",
        type: "scatter",
        data: outliers,
        symbol: "triangle",
        symbolSize: 10,
        itemStyle: { color: "#ffffff", borderColor: OKABE_ITO.black, borderWidth: 1.5 },
      },
      {
        name: "level",
        type: "line",
        data: levelSteps(points, changes),
        symbol: "none",
        lineStyle: { color: OKABE_ITO.reddishPurple, width: 2.5, opacity: 0.85 },
        itemStyle: { color: OKABE_ITO.reddishPurple },
        z: 3,
      },
    ],
    ...extra,
  });
  chart.on("click", (item) => {
    if (item.componentType === "markLine") onSelect(markerOf(item.name));
    else if (item.seriesName !== "level") onSelect({ point: points[item.value[2]], index: item.value[2] });
  });
  return chart;
}
