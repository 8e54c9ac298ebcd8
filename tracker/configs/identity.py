"""The config of a result row (docs/configs.md): the identity of what was measured, and its key.

A series is one config's history. Values held by a `Config` are already normalised: build one
through `tracker.ingest.formats` (which validates and normalises submissions) or from stored
values with `Config.from_dict`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from tracker.configs.fields import CONFIG_KEY_FIELDS, STORED_FIELDS, ConfigValue

_GPUS_PER_NODE = 8


@dataclass(frozen=True, kw_only=True)
class Config:
    """The identity of what was measured (docs/configs.md), with normalised values.

    Field groups that a row shape lacks are null: the single-node group (`tp` … `dp_attention`)
    when there is no `tp`, the prefill/decode groups when there is no `prefill_tp`. Two derived
    values are properties: `gpus` and `wide_ep`.
    """

    hardware: str
    prefill_hardware: str | None = None
    decode_hardware: str | None = None
    framework: str
    model: str
    model_prefix: str | None = None
    precision: str
    spec_method: str = "none"
    disagg: bool = False
    is_multinode: bool = False
    tp: int | None = None
    ep: int | None = None
    pp: int | None = None
    dcp_size: int | None = None
    pcp_size: int | None = None
    dp_attention: bool | None = None
    prefill_tp: int | None = None
    prefill_ep: int | None = None
    prefill_pp: int | None = None
    prefill_dcp_size: int | None = None
    prefill_pcp_size: int | None = None
    prefill_dp_attention: bool | None = None
    prefill_num_workers: int | None = None
    decode_tp: int | None = None
    decode_ep: int | None = None
    decode_pp: int | None = None
    decode_dcp_size: int | None = None
    decode_pcp_size: int | None = None
    decode_dp_attention: bool | None = None
    decode_num_workers: int | None = None
    num_prefill_gpu: int | None = None
    num_decode_gpu: int | None = None
    isl: int
    osl: int
    scenario: str = "fixed-seq-len"

    # Configs key the dicts of ingest (one lookup per row), so their 33 fields are hashed once,
    # into an instance attribute set by __post_init__ (declared ClassVar: not a field).
    _hash: ClassVar[int]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_hash", hash(tuple(getattr(self, name) for name in STORED_FIELDS))
        )

    def __hash__(self) -> int:
        return self._hash

    @property
    def gpus(self) -> int | None:
        """GPUs the config runs on: prefill + decode GPUs, else tp × pp × pcp_size (null if
        the config has neither topology; `tracker.ingest.formats` always gives one)."""
        if self.num_prefill_gpu is not None and self.num_decode_gpu is not None:
            return self.num_prefill_gpu + self.num_decode_gpu
        if self.tp is not None:
            return self.tp * (self.pp or 1) * (self.pcp_size or 1)
        return None

    @property
    def wide_ep(self) -> bool:
        """Whether expert parallelism spans data-parallel attention ranks or more than one
        8-GPU node, on the side that holds the experts: decode when it has experts, else
        prefill (a multinode aggregated run holds everything there), else the single node."""
        for ep, dp_attention in (
            (self.decode_ep, self.decode_dp_attention),
            (self.prefill_ep, self.prefill_dp_attention),
            (self.ep, self.dp_attention),
        ):
            if ep:
                return ep > _GPUS_PER_NODE or bool(dp_attention and ep > 1)
        return False

    def key_digest(self) -> str:
        """Stable sha256 hex digest of the key: the non-null key fields as compact JSON with
        sorted keys. Null fields are left out so that a field added later (null in old configs)
        keeps old digests; `model_prefix` and the derived fields are not part of it."""
        key = {name: getattr(self, name) for name in CONFIG_KEY_FIELDS}
        canonical = json.dumps(
            {name: value for name, value in key.items() if value is not None},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    def as_dict(self) -> dict[str, ConfigValue]:
        """The canonical field names → values, derived `gpus` and `wide_ep` included."""
        fields: dict[str, ConfigValue] = {name: getattr(self, name) for name in STORED_FIELDS}
        fields["gpus"] = self.gpus
        fields["wide_ep"] = self.wide_ep
        return fields

    @classmethod
    def from_dict(cls, fields: Mapping[str, Any]) -> Config:
        """Rebuild a config from stored, already normalised values (e.g. `as_dict()` output);
        derived and unknown names are ignored."""
        return cls(**{name: fields[name] for name in STORED_FIELDS if name in fields})
