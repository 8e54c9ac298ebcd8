"""Engines' source repositories and compare links between two commits (docs/configs.md)."""

from __future__ import annotations

from tracker.configs.normalise import normalise_framework

_KNOWN_REPOSITORIES = {
    "vllm": "https://github.com/vllm-project/vllm",
    "sglang": "https://github.com/sgl-project/sglang",
    "mori-sglang": "https://github.com/sgl-project/sglang",
    "trt": "https://github.com/NVIDIA/TensorRT-LLM",
    "atom": "https://github.com/ROCm/ATOM",
}
_DYNAMO_REPOSITORY = "https://github.com/ai-dynamo/dynamo"


def known_repository(engine: str) -> str | None:
    """The source repository of a known engine (folded like `framework`), for compare links;
    None when unknown. A submission's `source.repo` overrides it."""
    name = normalise_framework(engine)
    if name == "dynamo" or name.startswith("dynamo-"):
        return _DYNAMO_REPOSITORY
    return _KNOWN_REPOSITORIES.get(name)


def compare_url(repo: str, from_commit: str, to_commit: str) -> str:
    """GitHub-style compare link `{repo}/compare/{from}...{to}`."""
    base = repo.strip().rstrip("/").removesuffix(".git")
    return f"{base}/compare/{from_commit}...{to_commit}"


def same_commit(posted: str | None, asked: str) -> bool:
    """A posted commit names the asked one (full sha, or an abbreviation of 7+ characters)."""
    if not posted or len(posted) < 7:
        return False
    posted, asked = posted.lower(), asked.lower()
    return asked.startswith(posted) or posted.startswith(asked)
