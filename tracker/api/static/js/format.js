// Numbers as the server-rendered pages write them (alerts/formatting.py): thousands
// separators, one decimal for percentages, a real minus sign.

const MINUS = "\u2212";

export function throughput(value) {
  if (value === null || value === undefined) return "—";
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  return value.toFixed(1);
}

// A latency in seconds: "91 ms" below a second (one decimal below 10 ms), "1.24 s" from one.
export function seconds(value) {
  if (value === null || value === undefined) return "—";
  if (value >= 1) return value.toFixed(2) + " s";
  const milliseconds = value * 1000;
  return (milliseconds < 10 ? milliseconds.toFixed(1) : Math.round(milliseconds).toString()) + " ms";
}

// An energy per token with three significant digits: "3.71 J".
export function joules(value) {
  if (value === null || value === undefined) return "—";
  if (value <= 0) return value.toFixed(2) + " J";
  return value.toFixed(Math.max(2 - Math.floor(Math.log10(value)), 0)) + " J";
}

// How a value of each metric is written; throughput by default.
const METRIC_FORMATS = { median_ttft: seconds, p99_ttft: seconds, joules_per_token: joules, cost_per_mtok: usd };

export function metricFormat(metric) {
  return METRIC_FORMATS[metric] ?? throughput;
}

export function usd(amount) {
  if (amount === null || amount === undefined) return "—";
  if (amount >= 100) return "$" + Math.round(amount).toLocaleString("en-US");
  if (amount <= 0) return "$" + amount.toFixed(2);
  const decimals = Math.max(2 - Math.floor(Math.log10(amount)), 0);
  return "$" + amount.toFixed(decimals);
}

export function signedPercent(fraction) {
  const rounded = Math.round(fraction * 1000) / 10;
  if (rounded === 0) return "0.0 %";
  return (rounded > 0 ? "+" : MINUS) + Math.abs(rounded).toFixed(1) + " %";
}

export function day(isoTimestamp) {
  return isoTimestamp.slice(0, 10);
}

export function shortCommit(commit) {
  return commit ? commit.slice(0, 7) : "—";
}

// Tooltips are HTML; config values come from submissions, so they are escaped.
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Links come from submitted data: only http(s) addresses become links.
export function webLink(url) {
  return url && /^https?:\/\//i.test(url) ? url : null;
}
