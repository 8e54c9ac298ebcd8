"""Cost per million tokens from throughput per GPU and a GPU-hour price (docs/frontier.md)."""

from __future__ import annotations

import enum


class PriceSet(enum.StrEnum):
    """InferenceX's public TCO table: three prices per GPU-hour."""

    HYPERSCALER = "hyperscaler"
    NEOCLOUD = "neocloud"
    RENTAL = "rental"


# USD per GPU-hour: hyperscaler, neocloud, 3-year rental.
PRICE_PER_GPU_HOUR: dict[str, tuple[float, float, float]] = {
    "h100": (1.30, 1.69, 1.30),
    "h200": (1.41, 1.74, 1.60),
    "b200": (1.95, 2.34, 2.90),
    "b300": (2.34, 2.808, 3.48),
    "gb200": (2.21, 2.75, 3.30),
    "gb300": (2.652, 3.30, 3.96),
    "mi300x": (1.12, 1.40, 1.55),
    "mi325x": (1.28, 1.59, 1.80),
    "mi355x": (1.48, 1.90, 2.10),
}
_PRICE_SET_COLUMN = {PriceSet.HYPERSCALER: 0, PriceSet.NEOCLOUD: 1, PriceSet.RENTAL: 2}


def price_per_gpu_hour(hardware: str, price_set: PriceSet) -> float | None:
    prices = PRICE_PER_GPU_HOUR.get(hardware)
    return None if prices is None else prices[_PRICE_SET_COLUMN[price_set]]


def cost_per_mtok(tput_per_gpu: float, hardware: str, price_set: PriceSet) -> float | None:
    """USD per million tokens: price per GPU-hour / (tokens per GPU-hour / 1e6).

    None for hardware without a published price.
    """
    price = price_per_gpu_hour(hardware, price_set)
    if price is None or tput_per_gpu <= 0:
        return None
    return price / (tput_per_gpu * 3600 / 1e6)


def costs_per_mtok(
    tput_per_gpu_by_target: dict[str, float], hardware: str
) -> dict[str, dict[str, float]]:
    """Cost per million tokens for every price set, keyed like the throughput it came from."""
    costs: dict[str, dict[str, float]] = {}
    for price_set in PriceSet:
        per_target = {
            label: cost
            for label, tput in tput_per_gpu_by_target.items()
            if (cost := cost_per_mtok(tput, hardware, price_set)) is not None
        }
        costs[price_set.value] = per_target
    return costs
