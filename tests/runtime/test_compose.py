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
TRACKER_SERVICES = ("migrate", "api", "worker", "beat")
SETTING_NAMES = {f"TRACKER_{name.upper()}" for name in Settings.model_fields}


def interpolated(value: str, dotenv: dict[str, str] | None = None) -> str:
    """A compose value with ``${NAME:-default}`` resolved as compose does (from .env, else
    the default)."""
    return re.sub(
        r"\$\{(\w+):-([^}]*)\}",
        lambda match: (dotenv or {}).get(match[1], match[2]),
        value,
    )


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


@pytest.mark.parametrize("name", TRACKER_SERVICES)
def test_tracker_commands_exist(name: str) -> None:
    command = SERVICES[name]["command"]
    assert command[0] == "tracker"
    _assert_cli_accepts(command[1:])


def test_one_image_is_built_once_and_run_by_every_tracker_service() -> None:
    images = {SERVICES[name]["image"] for name in TRACKER_SERVICES}
    assert len(images) == 1
    builders = [name for name in SERVICES if "build" in SERVICES[name]]
    assert builders == ["migrate"]
    assert SERVICES["migrate"]["build"] == "." and SERVICES["migrate"]["pull_policy"] == "build"
    for name in ("api", "worker", "beat"):
        assert SERVICES[name]["pull_policy"] == "never", f"{name} would pull, not run the build"
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        ), f"{name} starts only once migrate (which builds the image) has run"


@pytest.mark.parametrize("name", TRACKER_SERVICES)
def test_every_setting_passes_through_from_a_dotenv_file(name: str) -> None:
    """An optional .env beside compose.yaml reaches the service whole (env_file), and the
    variables the compose file sets itself take their value from it first (interpolation)."""
    service = SERVICES[name]
    assert {"path": ".env", "required": False} in service["env_file"]
    dotenv = {"TRACKER_DATABASE_URL": "postgresql+psycopg://me@db.example/tracker"}
    environment = {
        key: interpolated(value, dotenv) for key, value in service["environment"].items()
    }
    assert environment["TRACKER_DATABASE_URL"] == dotenv["TRACKER_DATABASE_URL"]
    assert all("${" not in value for value in environment.values())


def test_the_dotenv_example_lists_every_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?(TRACKER_\w+)=", example, flags=re.MULTILINE))
    assert listed == SETTING_NAMES


def test_settings_in_the_environment_exist() -> None:
    environment = COMPOSE["x-tracker-environment"]
    assert set(environment) <= SETTING_NAMES
    settings = Settings(
        **{k.removeprefix("TRACKER_").lower(): interpolated(v) for k, v in environment.items()}
    )
    assert settings.database_url and settings.database_url.startswith("postgresql+psycopg://")
    assert settings.broker_url == "redis://redis:6379/0"


def test_the_readme_says_how_to_create_a_token_in_the_running_stack() -> None:
    (command,) = re.findall(
        r"docker compose exec -T (\w+) (tracker tokens create [^`\n]+)",
        (ROOT / "README.md").read_text(),
    )
    service, line = command
    assert service in SERVICES and service in TRACKER_SERVICES
    arguments = shlex.split(line)[1:]
    result = CliRunner().invoke(cli_app, [*arguments[:2], "--help"])
    assert result.exit_code == 0, result.output
    assert "--scope" in result.output and "--scope" in arguments


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
