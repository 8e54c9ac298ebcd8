"""Delivery through the real slack-sdk against the local Slack stand-in (nothing patched)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from alerts.delivery.notifier import PermanentDeliveryError, TransientDeliveryError, file_part_name
from alerts.delivery.post import deliver_alert, deliver_digest, deliver_late_changes, refresh_parent
from alerts.delivery.slack import SlackNotifier, build_slack_client
from alerts.messages.alert import parent_message
from tests.alerts.alert_samples import (
    alert,
    alert_chart,
    month_digest,
    thirty_regressions,
    two_gains,
)
from tests.support.slack_stand_in import SlackStandIn

CHANNEL = "C0ALERTS"
TOKEN = "xoxb-stand-in"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn(token=TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def notifier(slack: SlackStandIn) -> SlackNotifier:
    # Short backoff keeps the 500s test fast; Retry-After is honoured as sent.
    return SlackNotifier(build_slack_client(TOKEN, slack.base_url, backoff_s=0.01))


def test_parent_carries_metadata_and_find_parent_finds_it(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    ts = notifier.post_parent(
        channel=CHANNEL, alert_id=42, message=parent_message(alert(thirty_regressions()))
    )

    (parent,) = slack.parents(CHANNEL)
    assert parent.ts == ts
    assert parent.metadata == {"event_type": "tracker_alert", "event_payload": {"alert_id": 42}}
    assert parent.blocks[0]["type"] == "header"
    assert notifier.find_parent(channel=CHANNEL, alert_id=42) == ts
    assert notifier.find_parent(channel=CHANNEL, alert_id=43) is None
    assert notifier.find_parent(channel="C0OTHER", alert_id=42) is None


def test_find_parent_reads_past_the_first_page_of_history(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    ts = notifier.post_parent(channel=CHANNEL, alert_id=7, message={"text": "p", "blocks": []})
    for number in range(150):
        notifier.post_digest(channel=CHANNEL, message={"text": f"chatter {number}", "blocks": []})

    assert notifier.find_parent(channel=CHANNEL, alert_id=7) == ts
    assert len(slack.calls("conversations.history")) == 2


def test_rate_limit_with_retry_after_ends_in_exactly_one_message(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    slack.plan("chat.postMessage", status=429, headers={"Retry-After": "1"}, times=1)

    started = time.monotonic()
    notifier.post_parent(channel=CHANNEL, alert_id=42, message={"text": "p", "blocks": []})

    assert time.monotonic() - started >= 1.0, "waited for Retry-After"
    assert len(slack.calls("chat.postMessage")) == 2
    assert len(slack.messages(CHANNEL)) == 1


def test_a_run_of_server_errors_ends_in_exactly_one_message(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    slack.plan("chat.postMessage", status=500, times=3)

    notifier.post_parent(channel=CHANNEL, alert_id=42, message={"text": "p", "blocks": []})

    assert len(slack.calls("chat.postMessage")) == 4
    assert len(slack.messages(CHANNEL)) == 1


def test_server_errors_beyond_the_retries_are_retryable_with_unknown_outcome(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    slack.plan("chat.postMessage", status=500, times=20)

    with pytest.raises(TransientDeliveryError) as raised:
        notifier.post_parent(channel=CHANNEL, alert_id=42, message={"text": "p", "blocks": []})

    assert raised.value.retryable and raised.value.outcome_unknown
    assert slack.messages(CHANNEL) == []


def test_refusals_that_retrying_cannot_fix_are_permanent(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    slack.plan("chat.postMessage", error="channel_not_found")

    with pytest.raises(PermanentDeliveryError, match="channel_not_found") as raised:
        notifier.post_parent(channel="C0GONE", alert_id=42, message={"text": "p", "blocks": []})

    assert not raised.value.retryable
    assert len(slack.calls("chat.postMessage")) == 1


def test_crash_between_send_and_mark_does_not_send_a_second_parent(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    regression = alert(thirty_regressions())
    slack.plan("chat.postMessage", drop_connection_after_recording=True)

    with pytest.raises(TransientDeliveryError) as raised:
        deliver_alert(notifier, channel=CHANNEL, alert=regression)
    assert raised.value.outcome_unknown
    assert len(slack.calls("chat.postMessage")) == 1, "a post that may have landed is not retried"

    delivery = deliver_alert(notifier, channel=CHANNEL, alert=regression, resume=True)

    (parent,) = slack.parents(CHANNEL)
    assert delivery.reused_parent and delivery.parent_ts == parent.ts
    assert [reply.thread_ts for reply in slack.replies(CHANNEL, parent.ts)] == [parent.ts]


def test_resuming_a_complete_delivery_posts_nothing_new(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    regression = alert(thirty_regressions())
    first = deliver_alert(notifier, channel=CHANNEL, alert=regression, chart=alert_chart())
    posted = len(slack.messages(CHANNEL))

    again = deliver_alert(
        notifier, channel=CHANNEL, alert=regression, chart=alert_chart(), resume=True
    )

    assert again.parent_ts == first.parent_ts
    assert again.parts_posted == ()
    assert len(slack.messages(CHANNEL)) == posted


def test_chart_upload_lands_in_the_alert_thread(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    chart = alert_chart()

    delivery = deliver_alert(
        notifier, channel=CHANNEL, alert=alert(thirty_regressions()), chart=chart
    )

    assert file_part_name(chart.title) in delivery.parts_posted
    (file_message,) = [m for m in slack.replies(CHANNEL, delivery.parent_ts) if m.files]
    (uploaded,) = file_message.files
    assert uploaded["title"] == chart.title
    assert slack.uploaded(uploaded["id"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_late_changes_reply_in_the_thread_and_edit_the_parent(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    first_night = alert(thirty_regressions())
    delivery = deliver_alert(notifier, channel=CHANNEL, alert=first_night)
    grown = replace(first_night, changes=first_night.changes + two_gains())

    deliver_late_changes(
        notifier, channel=CHANNEL, parent_ts=delivery.parent_ts, alert=grown, joined=two_gains()
    )

    (parent,) = slack.parents(CHANNEL)
    assert parent.edits == 1
    assert "2 series gained" in parent.text
    assert "Updated: 2 change points joined after the first posting" in parent.text
    assert parent.metadata == {"event_type": "tracker_alert", "event_payload": {"alert_id": 42}}
    late = slack.replies(CHANNEL, parent.ts)[-1]
    assert late.text.startswith("2 change points joined alert #42 after it was posted")


def test_retraction_edits_the_parent_in_place(slack: SlackStandIn, notifier: SlackNotifier) -> None:
    delivery = deliver_alert(notifier, channel=CHANNEL, alert=alert(thirty_regressions()))

    refresh_parent(
        notifier,
        channel=CHANNEL,
        parent_ts=delivery.parent_ts,
        alert=alert(thirty_regressions(), state="retracted"),
    )

    (parent,) = slack.parents(CHANNEL)
    assert parent.blocks[0]["text"]["text"].startswith("↩️ Retracted")


def test_fallback_text_is_escaped_for_slack(slack: SlackStandIn, notifier: SlackNotifier) -> None:
    notifier.post_parent(
        channel=CHANNEL,
        alert_id=1,
        message=parent_message(alert(thirty_regressions(), engine="a<b>&c")),
    )

    (parent,) = slack.parents(CHANNEL)
    assert "a&lt;b&gt;&amp;c" in parent.text
    assert "a<b>&c" not in parent.text


def test_digest_is_posted_to_its_channel(slack: SlackStandIn, notifier: SlackNotifier) -> None:
    ts = deliver_digest(notifier, channel="C0DIGEST", digest=month_digest())

    (posted,) = slack.messages("C0DIGEST")
    assert posted.ts == ts
    assert posted.text.startswith("📊 Month over month")


def test_client_rejects_a_missing_token() -> None:
    with pytest.raises(ValueError, match="token"):
        build_slack_client("", "http://127.0.0.1:1/api/")


def test_reads_are_retried_after_a_lost_connection_but_posts_are_not(
    slack: SlackStandIn, notifier: SlackNotifier
) -> None:
    ts = notifier.post_parent(channel=CHANNEL, alert_id=5, message={"text": "p", "blocks": []})
    slack.plan("conversations.history", drop_connection_after_recording=True)

    assert notifier.find_parent(channel=CHANNEL, alert_id=5) == ts
    assert len(slack.calls("conversations.history")) == 2
