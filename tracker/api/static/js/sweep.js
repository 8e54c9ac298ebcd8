// The sweep page: its Pareto front, and an earlier run's front dashed beside it.
import { readPageData } from "./charts.js";
import { drawFronts } from "./front-chart.js";

const data = readPageData();
drawFronts(document.getElementById("sweep-chart"), data.current, data.earlier);
