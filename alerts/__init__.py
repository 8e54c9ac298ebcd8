"""Alerts: the slice that moved, Slack messages, the chart, and delivery.

- `model`: what the builders read (alert, change, chart and digest summaries).
- `rollup`: an alert's changes summarised in configuration terms; `dimensions`, `formatting`.
- `messages`, `digest_messages`: Block Kit builders (pure), on `markup` and `blocks`.
- `chart`: the PNG of the most affected series (matplotlib, Agg).
- `notifier`: the `Notifier` protocol, its errors and `LogNotifier`; `delivery`: parents exactly
  once, thread details, late changes, digests; `slack`: the only module importing slack_sdk.

Importing the package imports none of its modules, so a worker pays for matplotlib and
slack_sdk only when it uses them.
"""
