"""`tracker demo` on the embedded default: the README's first command, end to end."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.services import TRACKER
from tracker.api.app import create_app
from tracker.demo.simulation import DEMO, generate_history
from tracker.settings import Settings

pytestmark = pytest.mark.slow


def test_demo_ingests_six_months_and_summarises(tmp_path: Path) -> None:
    history = generate_history(seed=7, scale=DEMO)
    result = subprocess.run(
        [TRACKER, "demo", "--no-serve"],
        cwd=tmp_path,
        env={"PATH": str(Path(TRACKER).parent), "COLUMNS": "160", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    assert f"{len(history.configs)} series" in output
    assert f"{history.submission_count:,} submissions ({history.row_count:,} rows)" in output
    assert f"{history.submission_count:,} processed" in output
    assert "Latest throughput per GPU" in output and "@35" in output and "@125" in output
    assert "Engines on" in output

    database = tmp_path / ".tracker" / "tracker.db"
    assert database.is_file()
    app = create_app(Settings(database_url=f"sqlite:///{database}"))
    with TestClient(app) as client:
        series = client.get("/api/v1/series?limit=1000").json()["items"]
        assert len(series) == len(history.configs)
        engines = {item["config"]["framework"] for item in series}
        assert engines == {
            "trt",
            "sglang",
            "vllm",
            "atom",
            "dynamo-trt",
            "dynamo-sglang",
            "mori-sglang",
        }
        hardware = {item["config"]["hardware"] for item in series}
        assert len(hardware) == 9
        with_35 = [item for item in series if "35" in item["latest"]["values"]["tput_per_gpu"]]
        trend = client.get(f"/api/v1/series/{with_35[0]['id']}/trend?interactivity=35").json()
        assert len(trend["points"]) > 150  # six months of nights, a few missing
