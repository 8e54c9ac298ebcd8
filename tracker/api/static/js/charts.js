// Shared chart setup: the Okabe–Ito palette, symbols that tell series apart without colour,
// and the data-chart-ready flag that tests and the benchmark wait for.

export const OKABE_ITO = {
  blue: "#0072B2",
  orange: "#E69F00",
  bluishGreen: "#009E73",
  vermillion: "#D55E00",
  skyBlue: "#56B4E9",
  reddishPurple: "#CC79A7",
  yellow: "#F0E442",
  black: "#000000",
};

// Yellow is last: it has the least contrast on white.
export const SERIES_COLOURS = [
  OKABE_ITO.blue, OKABE_ITO.orange, OKABE_ITO.bluishGreen, OKABE_ITO.vermillion,
  OKABE_ITO.reddishPurple, OKABE_ITO.skyBlue, OKABE_ITO.black, OKABE_ITO.yellow,
];
export const SERIES_SYMBOLS = ["circle", "rect", "triangle", "diamond", "roundRect", "pin", "arrow", "emptyCircle"];

export const DIRECTION_COLOURS = { regression: OKABE_ITO.vermillion, gain: OKABE_ITO.bluishGreen };

export function readPageData() {
  return JSON.parse(document.getElementById("page-data").textContent);
}

// An ECharts instance on `element`; `element.dataset.chartReady` is set once it has drawn.
export function createChart(element, option) {
  const chart = echarts.init(element, null, { renderer: "canvas" });
  chart.on("finished", () => {
    if (!element.dataset.chartReady) {
      element.dataset.chartReady = String(Math.round(performance.now()));
    }
  });
  chart.setOption({
    animation: false,
    aria: { enabled: true },
    color: SERIES_COLOURS,
    textStyle: { fontFamily: "system-ui, sans-serif" },
    ...option,
  });
  window.addEventListener("resize", () => chart.resize());
  return chart;
}

export const timeAxis = (name) => ({ type: "time", name, nameLocation: "middle", nameGap: 28 });
export const valueAxis = (name, extra = {}) => ({
  type: "value", name, nameLocation: "middle", nameGap: 56, scale: true, ...extra,
});
