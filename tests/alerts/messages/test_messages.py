"""Block Kit of alerts and digests: golden files, Slack's limits, escaping, tone."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from alerts.messages import alert as alert_message
from alerts.messages import blocks, rollup
from alerts.messages import digest as digest_message
from alerts.messages.blocks import Message
from alerts.messages.model import Digest, RelatedAlert
from tests.alerts.alert_samples import (
    alert,
    change,
    config,
    improvement_alert,
    many_series_alert,
    month_digest,
    thirty_regressions,
    trade_changes,
    two_gains,
)
from tests.alerts.conftest import GoldenCheck

FIX_OF_41 = RelatedAlert(41, "fixes", "sglang 0be11f2…4f2c1e9: 6 series gained")


def mixed_alert() -> Any:
    return alert(thirty_regressions() + two_gains(), related=(FIX_OF_41,))


def assert_within_slack_limits(message: Message) -> None:
    assert len(message["blocks"]) <= blocks.MAX_BLOCKS
    for block in message["blocks"]:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= blocks.MAX_HEADER_CHARS
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= blocks.MAX_SECTION_CHARS
        if block["type"] == "context":
            assert len(block["elements"]) <= blocks.MAX_CONTEXT_ELEMENTS


def mrkdwn_of(message: Message) -> str:
    texts = []
    for block in message["blocks"]:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts.extend(element["text"] for element in block["elements"])
    return "\n".join(texts)


def test_parent_and_thread_match_golden_files(golden: GoldenCheck) -> None:
    alert_ = mixed_alert()

    golden("parent_mixed", alert_message.parent_message(alert_))
    golden("thread_mixed", alert_message.detail_messages(alert_))


def test_improvement_parent_is_glad_without_fanfare(golden: GoldenCheck) -> None:
    parent = alert_message.parent_message(improvement_alert())

    golden("parent_improvement", parent)
    header = parent["blocks"][0]["text"]["text"]
    assert header == "📈 Improvement in dynamo-trt 1a2b3c4…7f8e9d0"
    assert "No regressions in this commit range — nice work." in parent["text"]
    assert "!" not in parent["text"]


def test_retracted_parent_says_so_and_strikes_the_old_description(golden: GoldenCheck) -> None:
    parent = alert_message.parent_message(alert(thirty_regressions(), state="retracted"))

    golden("parent_retracted", parent)
    assert parent["blocks"][0]["text"]["text"].startswith("↩️ Retracted: regression in sglang")
    first_section = parent["blocks"][1]["text"]["text"]
    assert first_section.startswith("*Retracted:* later runs did not confirm these changes.")
    assert "~*6 series regressed*~" in first_section


def test_retracted_alert_without_remaining_changes_still_has_a_parent() -> None:
    parent = alert_message.parent_message(alert((), state="retracted"))

    assert "Retracted:" in parent["text"]
    assert "No confirmed changes remain in this alert." in parent["text"]


def test_triage_state_shows_in_the_header() -> None:
    acknowledged = alert_message.parent_message(alert(thirty_regressions(), state="acknowledged"))

    assert acknowledged["blocks"][0]["text"]["text"] == (
        "👀 Regression in sglang 4f2c1e9…9a1b7c3 · acknowledged"
    )


def test_late_changes_are_a_thread_reply_and_the_parent_edit_says_so(golden: GoldenCheck) -> None:
    first_night = thirty_regressions()
    joined = two_gains()
    grown = alert(first_night + joined)

    replies = alert_message.late_change_messages(grown, joined)
    edited = alert_message.parent_message(grown, joined_late=len(joined))

    golden("late_changes", {"replies": replies, "edited_parent": edited})
    assert replies[0]["text"].startswith("2 change points joined alert #42 after it was posted")
    assert "Updated: 2 change points joined after the first posting" in edited["text"]
    assert "2 series gained" in edited["text"]


def test_fallback_text_says_what_the_blocks_say() -> None:
    alert_ = mixed_alert()
    parent = alert_message.parent_message(alert_)

    for summary in rollup.summaries(alert_.changes, engine="sglang"):
        assert summary.sentence() in parent["text"]
    # Same words: the mrkdwn without its markup is the fallback text, line for line.
    unmarked = re.sub(r"<([^|>]+)\|([^>]+)>", r"\2 (\1)", mrkdwn_of(parent))
    unmarked = unmarked.replace("*", "").replace("&amp;", "&")
    assert unmarked in parent["text"]


def test_two_hundred_change_alert_stays_within_limits_and_drops_nothing() -> None:
    big = many_series_alert(200)

    parent = alert_message.parent_message(big)
    thread = alert_message.detail_messages(big)

    assert_within_slack_limits(parent)
    assert len(thread) > 1, "the detail list is split across thread messages"
    for message in thread:
        assert_within_slack_limits(message)
        assert len(message["text"]) <= blocks.MAX_MESSAGE_CHARS
    listed = re.findall(r"\(series (\d+)\)", "\n".join(m["text"] for m in thread))
    assert sorted(map(int, listed)) == list(range(2000, 2200)), "every series exactly once"
    assert "(continued)" in thread[1]["text"]
    assert "more series" not in thread[-1]["text"]
    assert "Top regressions (3 of 171 series, all in the thread):" in parent["text"]


def test_an_alert_too_big_for_the_thread_says_how_many_more() -> None:
    huge = many_series_alert(2000)

    thread = alert_message.detail_messages(huge)

    assert len(thread) == alert_message.MAX_THREAD_MESSAGES
    for message in thread:
        assert_within_slack_limits(message)
    listed = len(re.findall(r"\(series \d+\)", "\n".join(m["text"] for m in thread)))
    more = re.search(r"…and ([\d,]+) more series \(([\d,]+) regressions", thread[-1]["text"])
    assert more is not None
    assert listed + int(more.group(1).replace(",", "")) == 2000
    assert "see the alert page (https://tracker.example/alerts/99)" in thread[-1]["text"]


def test_user_controlled_strings_are_escaped_in_mrkdwn() -> None:
    hostile = replace(
        alert(thirty_regressions(), engine="sglang<!channel>&co"),
        components_changed={"<https://evil.example|click>": ("1.0", "2.0 & more")},
    )

    parent = alert_message.parent_message(hostile)
    mrkdwn = mrkdwn_of(parent)

    assert "<!channel>" not in mrkdwn
    assert "<https://evil.example|click>" not in mrkdwn
    assert "&lt;https://evil.example|click&gt; 1.0 → 2.0 &amp; more" in mrkdwn
    # The fallback is plain words (the Slack notifier escapes it on the way out).
    assert "sglang<!channel>&co" in parent["text"]


def test_digest_lists_gains_first_when_they_lead(golden: GoldenCheck) -> None:
    digest = month_digest()

    (message,) = digest_message.digest_messages(digest)

    golden("digest_month", message)
    text = message["text"]
    assert message["blocks"][0]["text"]["text"] == "📊 Month over month: Oct 28 – Nov 27"
    assert (
        "• dynamo-trt on GB200 dsr1 fp4 1k/1k disagg wide-EP mtp: +20.6 % over the month in 4 steps"
        in text
    )
    assert "steps: Nov 3 +5.2 %, Nov 10 +6.1 %, Nov 17 +4.4 %, Nov 24 +3.5 %" in text
    assert text.index("Gains") < text.index("Regressions") < text.index("Steady")
    assert "2 families gained, 1 regressed, 1 held steady and 1 not comparable over the month." in (
        text
    )


def test_digest_lists_regressions_first_when_they_lead() -> None:
    sglang, dynamo, _vllm, atom, _trt = month_digest().lines
    atom_fell = replace(atom, now_35=1260.0)  # 1,400 → 1,260: −10.0 %
    weekly = Digest(
        title="Weekly digest",
        days=7,
        generated_at=month_digest().generated_at,
        lines=(dynamo, sglang, atom_fell),
    )

    (message,) = digest_message.digest_messages(weekly)

    text = message["text"]
    assert text.index("Regressions") < text.index("Gains")
    assert (
        "• atom on MI355X dsr1 fp4 8k/1k: −10.0 % over the week with no single confirmed step"
        in text
    )


def test_long_digest_continues_in_further_messages_within_limits() -> None:
    digest = month_digest()
    many = replace(digest, lines=digest.lines * 120)

    pages = digest_message.digest_messages(many)

    assert len(pages) > 1
    for page in pages:
        assert_within_slack_limits(page)
    total_items = sum(page["text"].count("\n• ") for page in pages)
    assert total_items == len(many.lines)


def test_many_related_alerts_are_counted_not_listed_without_end() -> None:
    related = tuple(RelatedAlert(n, "fixed_by", f"sglang fix {n}") for n in range(100, 130))

    parent = alert_message.parent_message(alert(thirty_regressions(), related=related))

    assert_within_slack_limits(parent)
    assert "alert #100 looks like the fix of this one (sglang fix 100)" in parent["text"]
    assert "alert #105 looks like" not in parent["text"]
    assert "Related: and 25 more alerts" in parent["text"]


def test_a_monstrous_component_name_is_cut_visibly_not_sent_over_the_limit() -> None:
    monstrous = alert(thirty_regressions(), components={"&" * 5000: ("1", "2")})

    parent = alert_message.parent_message(monstrous)

    assert_within_slack_limits(parent)
    (components,) = [row for row in parent["text"].splitlines() if row.startswith("Components:")]
    assert components.startswith("Components: &&&")
    assert components.endswith("…")


def test_a_commit_that_bought_throughput_with_latency_is_a_trade(golden: GoldenCheck) -> None:
    parent = alert_message.parent_message(alert(trade_changes()))

    golden("parent_trade", parent)
    assert parent["blocks"][0]["text"]["text"] == "⚖️ Trade in sglang 4f2c1e9…9a1b7c3 · untriaged"
    text = parent["text"]
    assert "Trade: +6.1 % tput/GPU at 35 tok/s/user, p99 TTFT +38.0 % — not an improvement" in text
    # a higher TTFT reads as a regression, with its unit, named before its values
    assert "1 series regressed, dsr1 FP8 1k/1k single-node on H200, +38.0 % at 35 tok/s/user " in (
        text
    )
    assert "(p99 TTFT)" in text
    assert "p99 TTFT 74 ms → 104 ms (+41.0 %)" in text
    assert "nice work" not in text


def test_the_thread_lists_latency_beside_throughput_with_units() -> None:
    (thread,) = alert_message.detail_messages(alert(trade_changes()))

    assert (
        "p99 TTFT at 35: 91 ms → 126 ms (+38.0 %), 50: 74 ms → 104 ms (+41.0 %); "
        in (thread["text"])
    )
    assert "median TTFT at 35: 67 ms → 75 ms (+12.0 %)" in thread["text"]
    assert "tok/s/GPU at 35: 2,400 → 2,546 (+6.1 %)" in thread["text"]


def test_latency_and_throughput_moving_the_same_way_for_people_is_no_trade() -> None:
    better_latency = [
        change(
            800,
            301,
            config(hardware="h200"),
            interactivity=35.0,
            before=0.09,
            relative_change=-0.2,
            metric="p99_ttft",
        )
    ]
    both_better = alert((*two_gains(), *better_latency))

    assert rollup.trade(both_better.changes) is None
    header = alert_message.parent_message(both_better)["blocks"][0]["text"]["text"]
    assert header.startswith("📈 Improvement in sglang")


def test_a_trade_within_a_wider_alert_is_a_line_of_its_own_and_the_alert_no_trade() -> None:
    wider = alert((*thirty_regressions(), *trade_changes()))

    parent = alert_message.parent_message(wider)
    header = parent["blocks"][0]["text"]["text"]
    assert header.startswith("🔴 Regression in sglang")
    (trade_line,) = [row for row in parent["text"].splitlines() if row.startswith("Trade:")]
    assert trade_line == (
        "Trade: H200 · dsr1 FP8 1k/1k · TP8 (series 301): +6.1 % tput/GPU at 35 tok/s/user, "
        "p99 TTFT +38.0 % — not an improvement"
    )
    assert rollup.trade(wider.changes) is None
    assert "; 1 series traded (+6.1 % tput/GPU at 35 tok/s/user, p99 TTFT +38.0 %)" in (
        rollup.headline(wider)
    )


def test_one_config_gaining_while_another_slows_down_is_no_trade() -> None:
    slower = [
        replace(latency, series_id=302, config=config(hardware="h200", tp=4))
        for latency in trade_changes()
        if latency.metric.value != "tput_per_gpu"
    ]
    gains = [gain for gain in trade_changes() if gain.metric.value == "tput_per_gpu"]
    mixed = alert((*gains, *slower))

    assert rollup.trade(mixed.changes) is None
    assert rollup.series_trades(mixed.changes) == ()
    assert "Trade" not in alert_message.parent_message(mixed)["text"]
