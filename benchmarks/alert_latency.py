"""Submission → Slack parent message latency, with a real worker and the local Slack stand-in.

100 engines each post 24 nightly runs of one config, with a step at night 20; night 23 is the
run that confirms it (TRACKER_CONFIRM_RUNS = 3). Nights 0–22 are posted first; then each
engine's night-23 run is posted, paced, and the latency is the time from that POST to the
alert's parent message arriving at the Slack stand-in (found by its metadata). The settle
window is excluded (TRACKER_ALERT_SETTLE_SECONDS=0).

    python -m benchmarks.alert_latency [--engines 100] [--interval 0.5]

Target: p95 < 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx

from benchmarks.stack import running_stack
from tests.support.builders import nightly_levels, synthetic_body
from tests.support.services import wait_for
from tests.support.slack_stand_in import SlackStandIn
from tracker import jsonio

BROKER_DB = 14
NIGHTS = 24
STEP_NIGHT = 20
CHANNEL = "C0BENCH"
SLACK_TOKEN = "xoxb-bench"


def body(engine: str, night: int, level: float) -> bytes:
    submission = synthetic_body(engine=engine, night=night, engine_version="1.0", level=level)
    submission["source"]["run_key"] = f"{engine}:{night}"
    return jsonio.dumps(submission).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", type=int, default=100)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between engines")
    arguments = parser.parse_args()
    engines = [f"bench-{i:03d}" for i in range(arguments.engines)]
    levels = {
        e: nightly_levels(NIGHTS, steps={STEP_NIGHT: 0.88}, seed=i) for i, e in enumerate(engines)
    }

    with SlackStandIn(token=SLACK_TOKEN) as slack:
        environment = {
            "TRACKER_ALERT_SETTLE_SECONDS": "0",
            "TRACKER_SLACK_TOKEN": SLACK_TOKEN,
            "TRACKER_SLACK_API_URL": slack.base_url,
            "TRACKER_SLACK_CHANNEL": CHANNEL,
        }
        with (
            running_stack(
                name="alerts", redis_db=BROKER_DB, worker_concurrency=2, environment=environment
            ) as stack,
            httpx.Client(
                base_url=stack.url,
                headers={
                    "Authorization": f"Bearer {stack.token}",
                    "Content-Type": "application/json",
                },
                timeout=60,
            ) as http,
        ):
            logs = stack.logs
            status_urls = []
            for night in range(NIGHTS - 1):
                for name in engines:
                    answer = http.post(
                        "/api/v1/submissions", content=body(name, night, levels[name][night])
                    )
                    assert answer.status_code == 202, answer.text
                    status_urls.append(answer.json()["status_url"])
            wait_for(
                lambda: all(
                    http.get(u).json()["status"] == "processed"
                    for u in status_urls[-len(engines) :]
                ),
                900,
                "the history to be processed",
            )
            assert slack.parents(CHANNEL) == [], "no change is confirmed before night 23"
            print(f"history posted: {len(status_urls)} submissions; now the confirming runs")
            posted_at = {}
            for name in engines:
                posted_at[name] = time.perf_counter()
                answer = http.post(
                    "/api/v1/submissions",
                    content=body(name, NIGHTS - 1, levels[name][NIGHTS - 1]),
                )
                assert answer.status_code == 202, answer.text
                time.sleep(arguments.interval)
            wait_for(
                lambda: len(slack.parents(CHANNEL)) >= len(engines),
                300,
                f"every parent (logs {logs})",
            )
            alert_engines = {
                alert["id"]: alert["engine"]
                for alert in http.get("/api/v1/alerts?limit=1000").json()["items"]
            }
            latencies = []
            per_alert = {}
            for parent in slack.parents(CHANNEL):
                assert parent.metadata is not None
                alert_id = parent.metadata["event_payload"]["alert_id"]
                per_alert[alert_id] = parent
                latencies.append(parent.recorded_at - posted_at[alert_engines[alert_id]])
            assert len(per_alert) == len(slack.parents(CHANNEL)), "one parent per alert"
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(f"\n{len(latencies)} alerts, one parent each, submissions {arguments.interval} s apart")
    print(
        f"submission → Slack parent: p50 {statistics.median(latencies):.2f} s, "
        f"p95 {p95:.2f} s, max {latencies[-1]:.2f} s   (target p95 < 5 s; settle window 0)"
    )


if __name__ == "__main__":
    main()
