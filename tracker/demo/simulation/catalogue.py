"""The static catalogue of the simulated fleet: GPUs, models, engines and their images.

Performance factors are relative to one H200 running the model at FP8 (or the model's only
precision) with tensor parallelism 8, ISL/OSL 1024/1024, aggregated serving. They are set so that
the usual ordering holds (GB300 > GB200 ≈ B300 > B200 > H200 > H100; MI355X close to B200 at FP8)
and absolute levels land where the InferenceX dashboard shows them (hundreds to a few thousand
tok/s/GPU).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Vendor = Literal["nvidia", "amd"]

SEQUENCE_LENGTHS: tuple[tuple[int, int], ...] = ((1024, 1024), (8192, 1024), (1024, 8192))
"""(ISL, OSL) pairs every engine sweeps."""

NVIDIA_COMPONENTS: dict[str, str] = {"cuda": "13.0", "driver": "580.82"}
AMD_COMPONENTS: dict[str, str] = {"rocm": "7.0.2"}


@dataclass(frozen=True)
class Gpu:
    """One accelerator type, as the tracker names it and as InferenceX runners report it."""

    name: str
    runner_name: str  # the row's `hw`: a runner label the tracker normalises back to `name`
    vendor: Vendor
    supports_fp4: bool
    memory_gb: int
    gpus_per_node: int  # 4 on a GB200/GB300 compute tray, 8 on an HGX/OAM node
    nvl72: bool  # one NVLink domain across 72 GPUs (wide expert parallelism is cheap)
    interactivity_factor: float  # per-user decode speed relative to H200 (memory bandwidth)
    capacity_factor: float  # saturated throughput per GPU relative to H200 (compute)


GPUS: dict[str, Gpu] = {
    gpu.name: gpu
    for gpu in (
        Gpu("h100", "h100", "nvidia", False, 80, 8, False, 0.75, 0.62),
        Gpu("h200", "h200-nv", "nvidia", False, 141, 8, False, 1.00, 1.00),
        Gpu("b200", "b200-dgxc", "nvidia", True, 180, 8, False, 1.60, 2.10),
        Gpu("b300", "b300", "nvidia", True, 288, 8, False, 1.70, 2.45),
        Gpu("gb200", "gb200-nv", "nvidia", True, 186, 4, True, 1.65, 2.30),
        Gpu("gb300", "gb300", "nvidia", True, 288, 4, True, 1.80, 2.80),
        Gpu("mi300x", "mi300x-amd", "amd", False, 192, 8, False, 0.95, 0.92),
        Gpu("mi325x", "mi325x", "amd", False, 256, 8, False, 1.05, 1.08),
        Gpu("mi355x", "mi355x", "amd", True, 288, 8, False, 1.52, 2.00),
    )
}


@dataclass(frozen=True)
class PrecisionLevel:
    """A model's reference performance at one precision (H200-equivalent, TP8, 1k/1k)."""

    weights_gb: float
    interactivity_tok_s: float  # per-user decode speed at very low load
    capacity_tok_s_per_gpu: float  # output tokens/s per GPU at saturation


@dataclass(frozen=True)
class Model:
    """One served model: Hugging Face id, InferenceX prefix and reference performance."""

    model_id: str
    prefix: str
    mixture_of_experts: bool
    supports_mtp: bool
    prefill_s_per_1k_tokens: float  # time to first token for 1,024 prompt tokens, H200, light load
    tensor_parallel_sizes: tuple[int, ...]  # single-node TP sizes that are worth sweeping
    levels: dict[str, PrecisionLevel]


MODELS: dict[str, Model] = {
    model.prefix: model
    for model in (
        Model(
            "deepseek-ai/DeepSeek-R1-0528",
            "dsr1",
            mixture_of_experts=True,
            supports_mtp=True,
            prefill_s_per_1k_tokens=0.13,
            tensor_parallel_sizes=(8,),
            levels={
                "fp8": PrecisionLevel(700, 55.0, 450.0),
                "fp4": PrecisionLevel(380, 74.0, 720.0),
            },
        ),
        Model(
            "moonshotai/Kimi-K2.5",
            "kimik2.5",
            mixture_of_experts=True,
            supports_mtp=True,
            prefill_s_per_1k_tokens=0.15,
            tensor_parallel_sizes=(8,),
            levels={"int4": PrecisionLevel(600, 50.0, 380.0)},
        ),
        Model(
            "openai/gpt-oss-120b",
            "gptoss",
            mixture_of_experts=True,
            supports_mtp=False,
            prefill_s_per_1k_tokens=0.035,
            tensor_parallel_sizes=(1, 2, 4, 8),
            levels={"fp4": PrecisionLevel(66, 170.0, 2600.0)},
        ),
        Model(
            "meta-llama/Llama-3.3-70B-Instruct",
            "llama70b",
            mixture_of_experts=False,
            supports_mtp=False,
            prefill_s_per_1k_tokens=0.06,
            tensor_parallel_sizes=(2, 4, 8),
            levels={
                "fp8": PrecisionLevel(72, 80.0, 1100.0),
                "fp4": PrecisionLevel(40, 96.0, 1650.0),
            },
        ),
    )
}

AMD_FP4_FACTOR = 0.93
"""MI355X gets a little less out of FP4 than Blackwell does (factor on speed and capacity)."""

AMD_PORT_FACTOR = 0.92
"""sglang and vLLM are tuned first on NVIDIA; their ROCm builds trail a little."""


@dataclass(frozen=True)
class Engine:
    """One inference engine as it appears in `source.engine`, with where and how it runs."""

    name: str
    repo: str
    hardware: tuple[str, ...]  # lead GPU first: the one its CI cares most about
    model_prefixes: tuple[str, ...]
    disaggregated: bool  # runs multinode prefill/decode disaggregation rather than single nodes
    version_template: str  # `{n}` is replaced by the release number
    first_release: int
    efficiency: float  # throughput multiplier relative to a well-tuned reference engine


_SGLANG_REPO = "https://github.com/sgl-project/sglang"
_DYNAMO_REPO = "https://github.com/ai-dynamo/dynamo"

ENGINES: tuple[Engine, ...] = (
    Engine(
        "trt",
        "https://github.com/NVIDIA/TensorRT-LLM",
        ("b200", "b300", "h200", "h100"),
        ("dsr1", "gptoss", "llama70b"),
        disaggregated=False,
        version_template="1.2.0rc{n}",
        first_release=2,
        efficiency=1.05,
    ),
    Engine(
        "dynamo-trt",
        _DYNAMO_REPO,
        ("gb200", "gb300", "b200", "b300", "h200", "h100"),
        ("dsr1", "gptoss", "kimik2.5"),
        disaggregated=True,
        version_template="0.6.{n}",
        first_release=1,
        efficiency=1.05,
    ),
    Engine(
        "dynamo-sglang",
        _DYNAMO_REPO,
        ("gb200", "gb300", "b200", "h200", "h100"),
        ("dsr1", "kimik2.5"),
        disaggregated=True,
        version_template="0.6.{n}",
        first_release=1,
        efficiency=1.0,
    ),
    Engine(
        "sglang",
        _SGLANG_REPO,
        ("mi355x", "b200", "h200", "b300", "mi300x", "mi325x", "h100"),
        ("dsr1", "kimik2.5", "gptoss", "llama70b"),
        disaggregated=False,
        version_template="0.5.{n}",
        first_release=4,
        efficiency=1.0,
    ),
    Engine(
        "vllm",
        "https://github.com/vllm-project/vllm",
        ("b200", "mi355x", "h200", "b300", "mi300x", "mi325x", "h100"),
        ("dsr1", "kimik2.5", "gptoss", "llama70b"),
        disaggregated=False,
        version_template="0.20.{n}",
        first_release=0,
        efficiency=0.95,
    ),
    Engine(
        "atom",
        "https://github.com/ROCm/ATOM",
        ("mi355x", "mi300x", "mi325x"),
        ("dsr1", "kimik2.5", "gptoss"),
        disaggregated=False,
        version_template="0.1.{n}",
        first_release=1,
        efficiency=1.04,
    ),
    Engine(
        "mori-sglang",
        _SGLANG_REPO,
        ("mi355x", "mi300x", "mi325x"),
        ("dsr1", "kimik2.5"),
        disaggregated=True,
        version_template="0.5.{n}",
        first_release=4,
        efficiency=1.0,
    ),
)

ENGINES_BY_NAME: dict[str, Engine] = {engine.name: engine for engine in ENGINES}


def engine_version(engine: Engine, release_index: int) -> str:
    """The engine's version string after `release_index` releases since the history began."""
    return engine.version_template.format(n=engine.first_release + release_index)


def row_image(engine: Engine, gpu: Gpu, version: str) -> str:
    """The container image a row reports: engine, version and the GPU family it was built for."""
    amd_family = "mi35x" if gpu.name == "mi355x" else "mi30x"
    if engine.name == "trt":
        return f"nvcr.io/nvidia/tensorrt-llm/release:{version}"
    if engine.name == "dynamo-trt":
        return f"nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime:{version}"
    if engine.name == "dynamo-sglang":
        return f"nvcr.io/nvidia/ai-dynamo/sglang-runtime:{version}"
    if engine.name == "atom":
        return f"rocm/atom:v{version}-rocm7.0.2-{amd_family}"
    if engine.name == "mori-sglang":
        return f"rocm/sgl-dev:v{version}-rocm700-{amd_family}-mori"
    if engine.name == "vllm":
        return (
            f"vllm/vllm-openai-rocm:v{version}"
            if gpu.vendor == "amd"
            else (f"vllm/vllm-openai:v{version}")
        )
    if gpu.vendor == "amd":
        return f"lmsysorg/sglang:v{version}-rocm700-{amd_family}"
    return f"lmsysorg/sglang:v{version}-cu130"


def source_image(engine: Engine, version: str) -> str:
    """The image named in a submission's `source`: the engine's build for its lead GPU."""
    return row_image(engine, GPUS[engine.hardware[0]], version)


def source_components(engine: Engine, version: str) -> dict[str, str]:
    """Component versions of a run: Dynamo for dynamo-*, CUDA and driver on NVIDIA, ROCm on AMD."""
    vendors = {GPUS[name].vendor for name in engine.hardware}
    components: dict[str, str] = {"dynamo": version} if engine.name.startswith("dynamo-") else {}
    if "nvidia" in vendors:
        components |= NVIDIA_COMPONENTS
    if "amd" in vendors:
        components |= AMD_COMPONENTS
    return components
