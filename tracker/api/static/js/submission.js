// A candidate's page: per series, the candidate's front over the baseline run's (dashed).
import { readPageData } from "./charts.js";
import { drawFronts } from "./front-chart.js";

for (const series of readPageData().series) {
  drawFronts(document.getElementById(`front-${series.id}`), series.current, series.earlier);
}
