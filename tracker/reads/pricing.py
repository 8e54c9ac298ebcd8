"""Cost per million tokens from throughput per GPU and a GPU-hour price (docs/frontier.md)."""

from __future__ import annotations

import enum
from typing import Protocol


class PriceSet(enum.StrEnum):
    """InferenceX's public TCO table: three prices per GPU-hour."""

    HYPERSCALER = "hyperscaler"
    NEOCLOUD = "neocloud"
    RENTAL = "rental"


# USD per GPU-hour: hyperscaler, neocloud, 3-year rental; one row per GPU of
# tracker.configs.hardware.KNOWN_GPUS.
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


class PricedConfig(Protocol):
    """What pricing reads of a config (a stored config or a `Config`)."""

    @property
    def hardware(self) -> str: ...
    @property
    def prefill_hardware(self) -> str | None: ...
    @property
    def decode_hardware(self) -> str | None: ...
    @property
    def num_prefill_gpu(self) -> int | None: ...
    @property
    def num_decode_gpu(self) -> int | None: ...


def _gpu_price(gpu: str, price_set: PriceSet) -> float | None:
    prices = PRICE_PER_GPU_HOUR.get(gpu)
    return None if prices is None else prices[_PRICE_SET_COLUMN[price_set]]


def price_per_gpu_hour(config: PricedConfig, price_set: PriceSet) -> float | None:
    """USD per GPU-hour of the config's GPUs: its GPU's price, or, for a heterogeneous config
    (prefill and decode on different GPUs), each side's price weighted by its GPU count. None
    when a GPU has no price (or a heterogeneous config gives no GPU counts)."""
    if config.prefill_hardware is None or config.decode_hardware is None:
        return _gpu_price(config.hardware, price_set)
    prefill_price = _gpu_price(config.prefill_hardware, price_set)
    decode_price = _gpu_price(config.decode_hardware, price_set)
    prefill_gpus, decode_gpus = config.num_prefill_gpu, config.num_decode_gpu
    if prefill_price is None or decode_price is None or not prefill_gpus or decode_gpus is None:
        return None
    total = prefill_gpus * prefill_price + decode_gpus * decode_price
    return total / (prefill_gpus + decode_gpus)


def cost_per_mtok(tput_per_gpu: float, config: PricedConfig, price_set: PriceSet) -> float | None:
    """USD per million tokens: price per GPU-hour / (tokens per GPU-hour / 1e6).

    None for hardware without a published price.
    """
    price = price_per_gpu_hour(config, price_set)
    if price is None or tput_per_gpu <= 0:
        return None
    return price / (tput_per_gpu * 3600 / 1e6)


def costs_per_mtok(
    tput_per_gpu_by_target: dict[str, float], config: PricedConfig
) -> dict[str, dict[str, float]]:
    """Cost per million tokens for every price set, keyed like the throughput it came from."""
    costs: dict[str, dict[str, float]] = {}
    for price_set in PriceSet:
        per_target = {
            label: cost
            for label, tput in tput_per_gpu_by_target.items()
            if (cost := cost_per_mtok(tput, config, price_set)) is not None
        }
        costs[price_set.value] = per_target
    return costs
