"""Golden files for Block Kit: compared exactly, regenerated with UPDATE_GOLDEN=1."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"

GoldenCheck = Callable[[str, object], None]


@pytest.fixture
def golden() -> GoldenCheck:
    """`golden(name, payload)`: payload must equal tests/alerts/golden/<name>.json.

    With UPDATE_GOLDEN=1 in the environment the file is (re)written instead; read the diff
    before committing it.
    """

    def check(name: str, payload: object) -> None:
        path = GOLDEN_DIR / f"{name}.json"
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
            return
        if not path.exists():
            pytest.fail(f"no golden file {path.name}: run with UPDATE_GOLDEN=1 and review it")
        assert payload == json.loads(path.read_text()), f"differs from golden/{path.name}"

    return check
