"""compose.yaml runs the production shape; no Docker engine here, so the file itself is checked."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tests.support.data import ROOT
from tracker.runtime.cli import app as cli_app
from tracker.settings import Settings

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
LONG_RUNNING = ("postgres", "redis", "api", "worker", "beat")


def test_services_of_the_production_shape() -> None:
    assert set(SERVICES) == {"postgres", "redis", "migrate", "api", "worker", "beat"}


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_have_health_checks(name: str) -> None:
    healthcheck = SERVICES[name]["healthcheck"]
    assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}
    assert len(healthcheck["test"]) >= 2


@pytest.mark.parametrize(
    ("name", "needs"),
    [
        ("migrate", {"postgres": "service_healthy"}),
        (
            "api",
            {
                "postgres": "service_healthy",
                "redis": "service_healthy",
                "migrate": "service_completed_successfully",
            },
        ),
        (
            "worker",
            {
                "postgres": "service_healthy",
                "redis": "service_healthy",
                "migrate": "service_completed_successfully",
            },
        ),
        ("beat", {"redis": "service_healthy", "migrate": "service_completed_successfully"}),
    ],
)
def test_services_start_after_their_dependencies_are_ready(
    name: str, needs: dict[str, str]
) -> None:
    depends_on = SERVICES[name]["depends_on"]
    assert {dep: spec["condition"] for dep, spec in depends_on.items()} == needs


def _assert_cli_accepts(arguments: list[str]) -> None:
    """The command exists (its --help works) and lists every option the compose file passes."""
    words = [word for word in arguments if not word.startswith("-")]
    options = [word for word in arguments if word.startswith("--")]
    subcommands = words[: len(words) - len(options)]  # option values follow their options
    result = CliRunner().invoke(cli_app, [*subcommands, "--help"])
    assert result.exit_code == 0, result.output
    for option in options:
        assert option in result.output, f"{option} is not an option of tracker {subcommands}"


@pytest.mark.parametrize("name", ["migrate", "api", "worker", "beat"])
def test_tracker_commands_exist(name: str) -> None:
    command = SERVICES[name]["command"]
    assert command[0] == "tracker"
    assert SERVICES[name]["build"] == "."
    _assert_cli_accepts(command[1:])


def test_settings_in_the_environment_exist() -> None:
    environment = COMPOSE["x-tracker-environment"]
    fields = {f"TRACKER_{name.upper()}" for name in Settings.model_fields}
    assert set(environment) <= fields
    settings = Settings(**{k.removeprefix("TRACKER_").lower(): v for k, v in environment.items()})
    assert settings.database_url and settings.database_url.startswith("postgresql+psycopg://")
    assert settings.broker_url == "redis://redis:6379/0"


def test_api_health_check_probes_the_served_port() -> None:
    port = SERVICES["api"]["command"][SERVICES["api"]["command"].index("--port") + 1]
    assert f"127.0.0.1:{port}/healthz" in " ".join(SERVICES["api"]["healthcheck"]["test"])
    assert SERVICES["api"]["ports"] == [f"{port}:{port}"]


def test_worker_health_check_names_the_celery_app_module() -> None:
    test = shlex.split(SERVICES["worker"]["healthcheck"]["test"][1])
    module = test[test.index("-A") + 1]
    assert (ROOT / Path(*module.split("."))).with_suffix(".py").is_file()


def test_dockerfile_installs_every_package_the_commands_import() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+) \1$", dockerfile, flags=re.MULTILINE))
    assert {"tracker", "workers", "alerts", "migrations"} <= copied
    assert "pip install" in dockerfile
