"""The package boundaries of CONTRIBUTING.md hold: the import contracts in pyproject.toml, and
what a process loads at start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.data import ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def loaded_by(statement: str, packages: tuple[str, ...]) -> list[str]:
    """Which of ``packages`` a fresh interpreter has loaded after ``statement``."""
    probe = (
        f"import sys, json; {statement}; "
        f"print(json.dumps(sorted(p for p in {list(packages)!r} if p in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def test_the_api_loads_neither_matplotlib_nor_slack_sdk() -> None:
    statement = "from tracker.api.app import create_app"
    assert loaded_by(statement, ("matplotlib", "slack_sdk")) == []


def test_the_message_builders_load_no_orm_and_no_delivery() -> None:
    statement = "import alerts.messages.alert, alerts.messages.digest"
    assert loaded_by(statement, ("sqlalchemy", "matplotlib", "slack_sdk")) == []


def test_the_import_contracts_hold() -> None:
    result = subprocess.run([LINT_IMPORTS], check=False, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
