"""The slice that moved: descriptions, band, top series, cost impact, number formatting."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alerts.messages import formatting, rollup
from alerts.messages.model import InvalidAlertData
from tests.alerts.alert_samples import (
    alert,
    change,
    config,
    mi355x_fp8_configs,
    thirty_regressions,
    two_gains,
)


def test_thirty_change_points_of_one_commit_read_as_one_slice() -> None:
    changes = thirty_regressions()

    assert len(changes) == 30
    assert rollup.headline(alert(changes)) == (
        "sglang 4f2c1e9…9a1b7c3: 6 series regressed, all dsr1 FP8 on MI355X "
        "(single-node and disagg; 1k/1k and 8k/1k), −6.0 … −7.5 % at 35 tok/s/user, "
        "strongest at high interactivity"
    )
    summary = rollup.summarise(changes, engine="sglang")
    assert (summary.series_count, summary.change_count) == (6, 30)
    assert summary.band == "35–125 tok/s/user"


def test_regressions_and_gains_of_one_commit_are_described_apart_regressions_first() -> None:
    mixed = two_gains() + thirty_regressions()  # gains first in the input

    description = rollup.describe_slice(mixed, engine="sglang")

    regressions, gains = description.split("; 2 series gained")
    assert regressions.startswith("6 series regressed, all dsr1 FP8 on MI355X")
    assert gains == ", all gptoss BF16 1k/1k single-node on H200, +3.1 … +4.1 % at 35 tok/s/user"


def test_strongest_end_of_the_band_is_named() -> None:
    series = config()
    stronger_low = [
        change(i, 1, series, interactivity=target, before=1000, relative_change=-0.2 + 0.03 * i)
        for i, target in enumerate((10.0, 35.0, 75.0, 125.0))
    ]
    stronger_middle = [
        change(i, 1, series, interactivity=target, before=1000, relative_change=rc)
        for i, (target, rc) in enumerate(((10.0, -0.03), (75.0, -0.12), (150.0, -0.04)))
    ]
    one_target = stronger_low[1:2]

    assert rollup.strongest_interactivity(stronger_low) == "strongest at low interactivity"
    assert rollup.strongest_interactivity(stronger_middle) == "strongest around 75 tok/s/user"
    assert rollup.strongest_interactivity(one_target) is None


def test_top_series_are_one_change_per_series_strongest_first() -> None:
    top = rollup.top_series(thirty_regressions())

    assert [c.series_id for c in top] == [106, 105, 104, 103, 102, 101]
    assert top[0].interactivity == 125.0
    assert formatting.signed_percent(top[0].relative_change) == "−13.5 %"
    assert [c.series_id for c in rollup.top_series(thirty_regressions(), 2)] == [106, 105]


def test_dimensions_with_many_values_are_counted_and_nothing_shared_reads_across() -> None:
    configs = [
        config(hardware="mi355x", model_prefix="dsr1", precision="fp8", isl=1024),
        config(hardware="h200", model_prefix="gptoss", precision="fp4", isl=8192),
        config(
            hardware="b200",
            model_prefix="qwen3",
            precision="fp8",
            disagg=True,
            prefill_gpus=4,
            decode_gpus=4,
        ),
    ]

    assert rollup.describe_configs(configs, engine="sglang") == (
        "across 3 GPUs (single-node and disagg; 1k/1k and 8k/1k; 3 models; FP4 and FP8)"
    )
    assert rollup.describe_configs(configs[:2], engine="sglang") == (
        "all single-node on H200 and MI355X (1k/1k and 8k/1k; dsr1 and gptoss; FP4 and FP8)"
    )
    assert rollup.describe_configs(configs[:1], engine="sglang") == (
        "dsr1 FP8 1k/1k single-node on MI355X"
    )


def test_spec_decoding_and_framework_are_named_when_they_tell_something() -> None:
    with_and_without = [config(spec_method="mtp"), config(spec_method="none", tp=4)]
    other_framework = [config(framework="trt"), config(framework="trt", tp=4)]

    assert "(with and without MTP)" in rollup.describe_configs(with_and_without, engine="sglang")
    assert rollup.describe_configs(other_framework, engine="dynamo-trt").startswith(
        "all dsr1 FP8 1k/1k single-node trt on MI355X"
    )


def test_range_is_quoted_at_35_else_at_the_most_common_target_and_names_output_metric() -> None:
    series = mi355x_fp8_configs()
    at_50_output = [
        change(
            10 + i,
            10 + i,
            series[i],
            interactivity=50.0,
            before=900.0,
            relative_change=-0.05 - 0.01 * i,
            metric="output_tput_per_gpu",
        )
        for i in range(3)
    ] + [
        change(
            19,
            19,
            series[4],
            interactivity=125.0,
            before=300.0,
            relative_change=-0.2,
            metric="output_tput_per_gpu",
        )
    ]

    summary = rollup.summarise(at_50_output)

    assert summary.reference == rollup.ReferenceTrack("output_tput_per_gpu", 50.0)
    assert summary.range_phrase == "−5.0 … −7.0 % at 50 tok/s/user (output tok/s/GPU)"


def test_cost_impact_uses_hyperscaler_prices_of_the_top_series() -> None:
    cost = rollup.cost_impact(thirty_regressions())

    assert cost is not None
    assert cost.price_set == "hyperscaler"
    assert cost.series.series_id == 106
    # Cost per token moves as 1 / throughput: a 13.5 % drop costs 15.6 % more.
    assert cost.relative_change == pytest.approx(1 / (1 - 0.135) - 1)
    assert min(cost.relative_changes) == pytest.approx(1 / (1 - 0.06) - 1)


def test_cost_impact_is_absent_for_gpus_without_a_price() -> None:
    unpriced = [replace(c, cost_before=None, cost_after=None) for c in thirty_regressions()]

    assert rollup.cost_impact(unpriced) is None
    assert rollup.summarise(unpriced).cost is None


def test_summarise_refuses_mixed_directions_and_empty_input() -> None:
    with pytest.raises(ValueError, match="one direction"):
        rollup.summarise(thirty_regressions() + two_gains())
    with pytest.raises(ValueError, match="at least one"):
        rollup.summarise(())


def test_inputs_that_would_make_a_message_lie_are_refused() -> None:
    good = thirty_regressions()[0]
    with pytest.raises(InvalidAlertData, match="direction"):
        replace(good, direction="sideways")
    with pytest.raises(InvalidAlertData, match="timezone-aware"):
        replace(good, run_timestamp=good.run_timestamp.replace(tzinfo=None))
    with pytest.raises(InvalidAlertData, match="state"):
        alert((good,), state="snoozed")


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(-0.0724, "−7.2 %"), (0.21, "+21.0 %"), (0.00004, "0.0 %"), (-1.0, "−100.0 %")],
)
def test_percentages_have_one_decimal_and_a_real_minus_sign(fraction: float, expected: str) -> None:
    assert formatting.signed_percent(fraction) == expected


def test_numbers_commits_and_lengths_read_as_people_write_them() -> None:
    assert formatting.throughput(12345.6) == "12,346"
    assert formatting.throughput(87.44) == "87.4"
    assert formatting.usd(0.20555) == "$0.206"
    assert formatting.usd(4.111) == "$4.11"
    assert formatting.usd(1234.4) == "$1,234"
    assert formatting.percent_range([-0.114, -0.072, -0.09]) == "−7.2 … −11.4 %"
    assert formatting.commit_range("4f2c1e9b7d", "9a1b7c3e55") == "4f2c1e9…9a1b7c3"
    assert formatting.commit_range(None, "9a1b7c3e55") == "…9a1b7c3"
    assert formatting.commit_range(None, None) == "unknown commits"
    assert formatting.sequence_lengths(8192, 1024) == "8k/1k"
    assert formatting.sequence_lengths(1000, 300) == "1k/300"
    assert formatting.interactivity_band([125.0, 35.0, 10.0]) == "10–125 tok/s/user"
