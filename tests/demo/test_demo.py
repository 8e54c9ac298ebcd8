"""`tracker demo` on the embedded default: the README's first command, end to end, at 80
columns, run again, and the README's examples against what it leaves."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.support.builders import synthetic_body
from tests.support.data import ROOT
from tests.support.services import TRACKER
from tests.support.stored import store_bodies
from tracker import models
from tracker.api.app import create_app
from tracker.db import migrations
from tracker.db.engine import create_db_engine, make_sessionmaker
from tracker.demo.simulation import DEMO, generate_history
from tracker.settings import Settings
from tracker.vocabulary import ChangeState

pytestmark = pytest.mark.slow

README_CURLS = re.findall(
    r"curl -s '(http://127\.0\.0\.1:8000[^']+)'", (ROOT / "README.md").read_text()
)


def run_demo(directory: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TRACKER, "demo", "--no-serve", *options],
        cwd=directory,
        env={"PATH": str(Path(TRACKER).parent), "COLUMNS": "80", "HOME": str(directory)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_demo_runs_fresh_summarises_everything_and_reruns_without_ingesting(
    tmp_path: Path,
) -> None:
    database = tmp_path / ".tracker" / "tracker.db"
    database_url = f"sqlite:///{database}"
    migrations.upgrade(database_url)
    engine = create_db_engine(database_url)
    store_bodies(make_sessionmaker(engine), [synthetic_body(engine="sglang", night=0)])
    engine.dispose()

    earlier = run_demo(tmp_path)
    assert earlier.returncode == 0, earlier.stdout + earlier.stderr
    assert f"Found an existing database, {database}, holding 1 submissions" in earlier.stdout
    assert "--fresh" in earlier.stdout and "this run ingested" not in earlier.stdout

    history = generate_history(seed=7, scale=DEMO)
    result = run_demo(tmp_path, "--fresh")
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    assert "Found an existing database" not in output
    assert f"{len(history.configs)} series" in output
    assert f"{history.submission_count:,} submissions ({history.row_count:,} rows)" in output
    assert f"{history.submission_count:,} submissions processed" in output
    assert "Latest tok/s/GPU" in output and "@35" in output and "@125" in output
    assert "Engines on" in output

    # At 80 columns the tables cut nothing: whole engine names, topology, one ellipsis a range.
    tables = output[output.index("Latest tok/s/GPU") : output.index("Alerts and digests went")]
    assert max(len(line) for line in tables.splitlines()) <= 80
    assert "……" not in tables and "dynamo-sglang" in tables and "mori-sglang" in tables
    assert "disagg 16P+32D wide-EP" in tables

    # Every alert the history produces is made and delivered before the summary.
    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as client, app.state.session_factory() as session:
        ungrouped = session.scalar(
            select(func.count())
            .select_from(models.ChangePoint)
            .where(
                models.ChangePoint.state == ChangeState.CONFIRMED,
                models.ChangePoint.alert_id.is_(None),
            )
        )
        assert ungrouped == 0
        undelivered = session.scalar(
            select(func.count())
            .select_from(models.AlertDelivery)
            .where(models.AlertDelivery.needs_refresh | (models.AlertDelivery.sent_at.is_(None)))
        )
        assert undelivered == 0

        # One alert and the digest as the log holds them; the alert's figures from one source.
        shown = re.search(r"The newest regression, alert #(\d+), in the log:", output)
        assert shown, output[-3000:]
        alert = client.get(f"/api/v1/alerts/{shown.group(1)}").json()
        logged = output[shown.end() : output.index("The digest, in the log:")]
        assert f"alert #{alert['id']} parent in log" in logged
        assert alert["summary"].split(": ", 1)[1] in logged
        assert f"Details of alert #{alert['id']}" in logged
        digest = output[output.index("The digest, in the log:") :]
        last_night = max(n.timestamp for n in history.nights).date().isoformat()
        assert f"up to the latest run ({last_night})" in digest
        assert re.search(r"\d+ families gained", digest)

        # The README's examples return data on the demo's history.
        assert len(README_CURLS) >= 5
        for url in README_CURLS:
            answer = client.get(url.removeprefix("http://127.0.0.1:8000"))
            assert answer.status_code == 200, (url, answer.text)
            body = answer.json()
            found = body.get("items") or body.get("points") or body.get("lines")
            assert found, f"{url} returns nothing on the demo"
            if "/digest" in url:
                assert any(line["relative_change"].get("35") for line in found)

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
        assert len({item["config"]["hardware"] for item in series}) == 9
        with_35 = [item for item in series if "35" in item["latest"]["values"]["tput_per_gpu"]]
        trend = client.get(f"/api/v1/series/{with_35[0]['id']}/trend?interactivity=35").json()
        assert len(trend["points"]) > 150  # six months of nights, a few missing

    again = run_demo(tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"holding {history.submission_count:,} submissions" in again.stdout
    assert "this run ingested" not in again.stdout
    assert f"{len(history.configs)} series" in again.stdout


def test_fresh_deletes_only_the_embedded_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [TRACKER, "demo", "--no-serve", "--fresh"],
        cwd=tmp_path,
        env={
            "PATH": str(Path(TRACKER).parent),
            "HOME": str(tmp_path),
            "TRACKER_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--fresh deletes the embedded SQLite file only" in result.stderr
    assert "Traceback" not in result.stderr
