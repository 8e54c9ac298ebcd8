"""Delivery: the outbox loop (`outbox`), posting an alert's parent, thread and edits (`post`),
the `Notifier` protocol with its log implementation (`notifier`) and Slack's (`slack`, the only
module that imports slack_sdk), and the chart (`chart`, the only one that imports matplotlib)."""
