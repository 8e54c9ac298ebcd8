"""Without a Slack token the same words go to the log."""

from __future__ import annotations

import logging

import pytest

from alerts.delivery.notifier import LogNotifier
from alerts.delivery.post import deliver_alert, deliver_digest
from alerts.messages.alert import detail_messages, parent_message
from alerts.messages.digest import digest_messages
from tests.alerts.alert_samples import alert, alert_chart, month_digest, thirty_regressions


def test_log_notifier_logs_the_fallback_text_of_parent_and_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    regression = alert(thirty_regressions())
    notifier = LogNotifier()

    with caplog.at_level(logging.INFO, logger="alerts.delivery.notifier"):
        delivery = deliver_alert(
            notifier, channel="C0ALERTS", alert=regression, chart=alert_chart()
        )

    logged = caplog.text
    assert parent_message(regression)["text"] in logged
    for message in detail_messages(regression):
        assert message["text"] in logged
    assert "chart 'sglang · MI355X · dsr1 FP8 8k/1k · TP8" in logged
    assert delivery.parent_ts.startswith("log-")


def test_log_notifier_remembers_parents_so_a_resume_does_not_log_twice(
    caplog: pytest.LogCaptureFixture,
) -> None:
    regression = alert(thirty_regressions())
    notifier = LogNotifier()
    first = deliver_alert(notifier, channel="C0ALERTS", alert=regression)

    with caplog.at_level(logging.INFO, logger="alerts.delivery.notifier"):
        again = deliver_alert(notifier, channel="C0ALERTS", alert=regression, resume=True)

    assert again.reused_parent and again.parent_ts == first.parent_ts
    assert again.parts_posted == ()
    assert f"parent {first.parent_ts} in C0ALERTS edited" in caplog.text
    assert "reply in thread" not in caplog.text


def test_log_ids_never_repeat_across_notifiers() -> None:
    """Each delivery pass builds its own notifier: one alert's thread must not be taken for
    another's because both were the first message of their pass."""
    firsts = {
        deliver_alert(
            LogNotifier(), channel="C0ALERTS", alert=alert(thirty_regressions())
        ).parent_ts
        for _ in range(3)
    }
    assert len(firsts) == 3


def test_log_notifier_logs_digests(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="alerts.delivery.notifier"):
        deliver_digest(LogNotifier(), channel="C0DIGEST", digest=month_digest())

    (message,) = digest_messages(month_digest())
    assert message["text"] in caplog.text
