"""Alerts: grouping change points, keeping alerts true to them, triage, digests, and delivery.

- `messages/`: pure builders (no ORM, no network): what an alert or a digest says, as Block Kit.
- `delivery/`: the outbox loop, the `Notifier` protocol with Slack and log implementations, and
  the chart; the only place that imports slack_sdk and matplotlib.
- `grouping`, `relations`, `lifecycle`, `triage`, `routing`: what becomes an alert and where it
  goes; `records`: the rows they write.
- `summaries`, `digests`, `reads`: the database read into what builders, digests and the API take;
  `jobs`: the transaction boundaries the runtimes call.
"""
