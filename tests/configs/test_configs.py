"""The config of docs/configs.md: normalisation, derived values, key digest, filters, links."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys

import pytest

from tests.support.data import ROOT
from tracker.configs.fields import CONFIG_FIELD_TYPES, CONFIG_KEY_FIELDS, STORED_FIELDS
from tracker.configs.hardware import KNOWN_GPUS, fold_runner_label, is_known_gpu
from tracker.configs.identity import Config
from tracker.configs.normalise import (
    framework_runs_engine,
    normalise_framework,
    normalise_model,
    parse_bool,
    parse_config_filter,
)
from tracker.configs.repositories import compare_url, known_repository
from tracker.reads.pricing import PRICE_PER_GPU_HOUR


def make_config(**fields: object) -> Config:
    base: dict[str, object] = {
        "hardware": "mi355x",
        "framework": "vllm",
        "model": "moonshotai/kimi-k2.5",
        "precision": "int4",
        "isl": 1024,
        "osl": 1024,
        "tp": 8,
        "ep": 1,
        "pp": 1,
        "dcp_size": 1,
        "pcp_size": 1,
        "dp_attention": False,
    }
    return Config(**{**base, **fields})  # type: ignore[arg-type]


# Every runner label form InferenceX has used: group labels (RUNNER_TYPE, written as `hw`),
# `cluster:` labels, and the node names older rows carried.
RUNNER_LABELS = [
    # GPU alone, any case
    ("mi355x", "mi355x"),
    ("H200", "h200"),
    # node index
    ("mi355x_0", "mi355x"),
    ("B200-DGXC_13", "b200"),
    ("h100-cw_00", "h100"),
    # site suffixes
    ("b200-dgxc", "b200"),
    ("h200-nv", "h200"),
    ("gb200-nv_2", "gb200"),
    ("b200-nb_1", "b200"),
    ("h100-cr_0", "h100"),
    ("b300-cw_01", "b300"),
    ("mi300x-oci_0", "mi300x"),
    ("mi300x-amds", "mi300x"),
    ("mi325x-amd", "mi325x"),
    ("gb300-nvd", "gb300"),
    ("mi325x-tw_3", "mi325x"),
    # slurm node names
    ("b200-dgxc-slurm_7", "b200"),
    ("b200-nscale-slurm_0", "b200"),
    ("h100-dgxc-slurm_19", "h100"),
    # group and variant labels
    ("h100-multinode-slurm", "h100"),
    ("h200-multinode", "h200"),
    ("b200-multinode", "b200"),
    ("b200-trt", "b200"),
    ("h200-nvs", "h200"),
    ("mi355x-disagg", "mi355x"),
    ("b200-dsv4", "b200"),
    ("b200-nscale", "b200"),
    ("b200-new", "b200"),
    ("b300-p1", "b300"),
    ("mi355x-exp", "mi355x"),
    # cluster labels
    ("cluster:b300-nv", "b300"),
    ("cluster:mi325x-tw", "mi325x"),
    ("cluster:b200-dgxc", "b200"),
    ("cluster:h200-nb", "h200"),
    ("cluster:gb300-nv", "gb300"),
    ("cluster:mi355x-amds", "mi355x"),
    # a GPU the tracker does not know keeps its name, without the runner suffix
    ("rtx6000pro-lat", "rtx6000pro"),
    ("cluster:rtx6000pro-lat", "rtx6000pro"),
    ("rtx6000pro-lat_00", "rtx6000pro"),
    ("rtx6000pro", "rtx6000pro"),
]


@pytest.mark.parametrize(("runner", "hardware"), RUNNER_LABELS)
def test_runner_labels_fold_to_the_gpu(runner: str, hardware: str) -> None:
    assert fold_runner_label(runner) == hardware
    assert is_known_gpu(hardware) is (hardware != "rtx6000pro")


def test_a_name_starting_with_a_known_gpu_is_that_gpu_whatever_follows() -> None:
    assert fold_runner_label("h200-nv-nv") == "h200"
    assert fold_runner_label("b200-somewhere-new_3") == "b200"


def test_every_known_gpu_has_a_price() -> None:
    assert tuple(PRICE_PER_GPU_HOUR) == KNOWN_GPUS
    assert is_known_gpu("b300+gb300")
    assert not is_known_gpu("b300+rtx6000pro")


@pytest.mark.parametrize(
    ("framework", "engine", "runs"),
    [
        ("sglang", "sglang", True),
        ("dynamo-sglang", "sglang", True),
        ("dynamo-sglang", "dynamo", True),
        ("mori-sglang", "sglang", True),
        ("dynamo-trt", "trt", True),
        ("sglang", "vllm", False),
        ("dynamo-trt", "vllm", False),
        ("trt", "dynamo", False),
    ],
)
def test_which_engines_run_a_framework(framework: str, engine: str, runs: bool) -> None:
    assert framework_runs_engine(framework, engine) is runs


@pytest.mark.parametrize(
    ("name", "framework"),
    [
        ("trtllm", "trt"),
        ("TensorRT-LLM", "trt"),
        ("trt-llm", "trt"),
        ("dynamo-trtllm", "dynamo-trt"),
        ("sglang-disagg", "mori-sglang"),
        (" vLLM ", "vllm"),
        ("dynamo-sglang", "dynamo-sglang"),
        ("atom", "atom"),
    ],
)
def test_framework_and_engine_names_fold(name: str, framework: str) -> None:
    assert normalise_framework(name) == framework


@pytest.mark.parametrize(
    ("model", "normalised"),
    [
        (
            "/models/models--openai--gpt-oss-120b/snapshots/b5c939de8f754692c1647ca79fbf85e8c1e70f8a/",
            "openai/gpt-oss-120b",
        ),
        (
            "/models/models--MiniMaxAI--MiniMax-M2.5/snapshots/f710177d938eff80b684d42c5aa84b38/",
            "minimaxai/minimax-m2.5",
        ),
        ("models--zai-org--GLM-5-FP8", "zai-org/glm-5-fp8"),
        ("moonshotai/Kimi-K2.5", "moonshotai/kimi-k2.5"),
        ("/data/my-local-model", "/data/my-local-model"),
    ],
)
def test_model_cache_paths_become_hugging_face_ids(model: str, normalised: str) -> None:
    assert normalise_model(model) == normalised


@pytest.mark.parametrize(
    ("value", "folded"),
    [(True, True), (False, False), ("true", True), ("FALSE", False), (" True ", True)],
)
def test_booleans_fold_from_json_and_strings(value: object, folded: bool) -> None:
    assert parse_bool(value) is folded


@pytest.mark.parametrize("value", [1, 0, "yes", "", None, "t"])
def test_other_values_are_not_booleans(value: object) -> None:
    with pytest.raises(ValueError, match="expected true or false"):
        parse_bool(value)


def test_single_node_gpus_are_tp_times_pp_times_pcp() -> None:
    assert make_config(tp=8, pp=2, pcp_size=2).gpus == 32


def test_multinode_gpus_are_prefill_plus_decode() -> None:
    config = make_config(
        tp=None,
        ep=None,
        pp=None,
        dcp_size=None,
        pcp_size=None,
        dp_attention=None,
        prefill_tp=8,
        decode_tp=8,
        num_prefill_gpu=8,
        num_decode_gpu=24,
    )
    assert config.gpus == 32


@pytest.mark.parametrize(
    ("fields", "wide_ep"),
    [
        ({"ep": 8, "dp_attention": False}, False),
        ({"ep": 16, "dp_attention": False}, True),
        ({"ep": 8, "dp_attention": True}, True),
        ({"ep": 1, "dp_attention": True}, False),
        ({"decode_ep": 16, "decode_dp_attention": False}, True),
        ({"decode_ep": 8, "decode_dp_attention": True}, True),
        ({"decode_ep": 8, "decode_dp_attention": False}, False),
        # The decode group decides when there is one (v1 multinode rows also carry tp/ep).
        ({"ep": 16, "decode_ep": 4, "decode_dp_attention": False}, False),
        # Multinode aggregated: no decode GPUs, every expert on the prefill side.
        ({"decode_ep": 0, "prefill_ep": 16, "prefill_dp_attention": True}, True),
        ({"decode_ep": 0, "prefill_ep": 8, "prefill_dp_attention": True}, True),
        ({"decode_ep": 0, "prefill_ep": 8, "prefill_dp_attention": False}, False),
        ({"prefill_ep": 16, "prefill_dp_attention": False}, True),
    ],
)
def test_wide_ep_rules(fields: dict[str, object], wide_ep: bool) -> None:
    assert make_config(**fields).wide_ep is wide_ep


def test_key_fields_are_every_stored_field_but_model_prefix() -> None:
    assert "model_prefix" not in CONFIG_KEY_FIELDS
    assert not {"gpus", "wide_ep"} & set(CONFIG_KEY_FIELDS)
    assert set(CONFIG_KEY_FIELDS) == set(STORED_FIELDS) - {"model_prefix"}
    assert [field.name for field in dataclasses.fields(Config)] == list(STORED_FIELDS)
    assert list(CONFIG_FIELD_TYPES) == [*STORED_FIELDS, "gpus", "wide_ep"]


def test_key_digest_is_pinned_so_it_stays_stable_across_versions() -> None:
    # sha256 of the non-null key fields as compact JSON with sorted keys; null fields are left
    # out so that a key field added later keeps the digests of the configs stored before it.
    canonical_key = (
        '{"dcp_size":1,"disagg":false,"dp_attention":false,"ep":1,"framework":"vllm",'
        '"hardware":"mi355x","is_multinode":false,"isl":1024,"model":"moonshotai/kimi-k2.5",'
        '"osl":1024,"pcp_size":1,"pp":1,"precision":"int4","scenario":"fixed-seq-len",'
        '"spec_method":"none","tp":8}'
    )
    digest = make_config().key_digest()
    assert digest == hashlib.sha256(canonical_key.encode()).hexdigest()
    assert digest == "faf49cb25bdac9757ac0086cb5fadfcf906b85e62927be0725a7deb61bcc0cd0"


def test_key_digest_is_the_same_in_another_process() -> None:
    code = (
        "from tracker.configs.identity import Config; "
        "print(Config(hardware='mi355x', framework='vllm', "
        "model='moonshotai/kimi-k2.5', precision='int4', isl=1024, osl=1024, tp=8, ep=1, pp=1, "
        "dcp_size=1, pcp_size=1, dp_attention=False).key_digest())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PYTHONHASHSEED": "12345"},
    )
    assert other.stdout.strip() == make_config().key_digest()


def test_key_digest_ignores_model_prefix_but_not_key_fields() -> None:
    config = make_config()
    assert make_config(model_prefix="kimik2.5").key_digest() == config.key_digest()
    assert make_config(spec_method="mtp").key_digest() != config.key_digest()
    assert make_config(dp_attention=True).key_digest() != config.key_digest()


def test_as_dict_has_every_field_and_the_derived_ones() -> None:
    shown = make_config(ep=16).as_dict()
    assert list(shown) == list(CONFIG_FIELD_TYPES)
    assert shown["gpus"] == 8
    assert shown["wide_ep"] is True
    assert Config.from_dict(shown) == make_config(ep=16)


def test_equal_configs_hash_equal() -> None:
    assert hash(make_config()) == hash(dataclasses.replace(make_config(tp=4), tp=8))
    assert len({make_config(), make_config(), make_config(tp=4)}) == 2


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("hardware", "b200-dgxc", "b200"),
        ("hardware", "MI355X", "mi355x"),
        ("framework", "trtllm", "trt"),
        ("model", "MoonshotAI/Kimi-K2.5", "moonshotai/kimi-k2.5"),
        ("disagg", "true", True),
        ("disagg", "False", False),
        ("wide_ep", "TRUE", True),
        ("tp", "8", 8),
        ("gpus", " 16 ", 16),
        ("spec_method", "MTP", "mtp"),
        ("scenario", "fixed-seq-len", "fixed-seq-len"),
    ],
)
def test_query_filters_parse_to_stored_values(name: str, raw: str, value: object) -> None:
    assert parse_config_filter(name, raw) == value


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("hw", "b200", "unknown config field 'hw'"),
        ("tp", "eight", "tp must be an integer, got 'eight'"),
        ("tp", "8.5", "tp must be an integer, got '8.5'"),
        ("disagg", "yes", "disagg must be true or false, got 'yes'"),
        ("hardware", " ", "hardware must not be empty"),
    ],
)
def test_bad_query_filters_say_field_value_and_why(name: str, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_config_filter(name, raw)


@pytest.mark.parametrize(
    ("engine", "repository"),
    [
        ("vllm", "https://github.com/vllm-project/vllm"),
        ("sglang", "https://github.com/sgl-project/sglang"),
        ("mori-sglang", "https://github.com/sgl-project/sglang"),
        ("sglang-disagg", "https://github.com/sgl-project/sglang"),
        ("TRTLLM", "https://github.com/NVIDIA/TensorRT-LLM"),
        ("trt", "https://github.com/NVIDIA/TensorRT-LLM"),
        ("atom", "https://github.com/ROCm/ATOM"),
        ("dynamo-trtllm", "https://github.com/ai-dynamo/dynamo"),
        ("dynamo-sglang", "https://github.com/ai-dynamo/dynamo"),
        ("llama.cpp", None),
    ],
)
def test_known_repositories(engine: str, repository: str | None) -> None:
    assert known_repository(engine) == repository


def test_compare_url() -> None:
    assert (
        compare_url("https://github.com/vllm-project/vllm/", "abc123", "def456")
        == "https://github.com/vllm-project/vllm/compare/abc123...def456"
    )
    assert (
        compare_url("https://github.com/sgl-project/sglang.git", "a", "b")
        == "https://github.com/sgl-project/sglang/compare/a...b"
    )
