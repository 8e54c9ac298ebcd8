"""The explorer over more series than one page shows: pages in the chosen order, a chart capped
at its first series with the count of the rest and links that narrow the filter."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, text

from tests.support.builders import synthetic_body, synthetic_rows
from tracker.api.dashboard.explorer import CHART_SERIES, ROWS_PER_PAGE

GPUS = ("mi355x", "h200", "b200")
SERIES = CHART_SERIES + 1


def post_fleet(client: TestClient, auth: dict[str, str]) -> None:
    """``SERIES`` configs in one backfill (their values and latest pointers, no detection),
    each one's level set by its ISL so that the throughput order is known."""
    body = synthetic_body(engine="sglang", night=0)
    body["backfill"] = True
    body["results"] = [
        row
        for index in range(SERIES)
        for row in synthetic_rows(
            hardware=GPUS[index % len(GPUS)], isl=1024 + index, level=1.0 + index / 1000
        )
    ]
    answer = client.post("/api/v1/submissions", json=body, headers=auth)
    assert answer.status_code == 202, answer.text


@contextmanager
def statements(connection: Connection) -> Iterator[list[tuple[str, Any]]]:
    """The SQL the app sends on ``connection`` meanwhile, with its parameters."""
    sent: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        sent.append((args[2], args[3]))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", record)


def scanned_tables(connection: Connection, statement: str, parameters: Any) -> set[str]:
    """The tables a statement's plan reads whole (sequential scans)."""
    (plan,) = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).one()
    found: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if node["Node Type"] == "Seq Scan":
            found.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return found


def table_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-series-id="(\d+)"', html)]


def test_explorer_pages_through_more_series_than_a_page_and_caps_its_chart(
    client: TestClient, auth: dict[str, str]
) -> None:
    post_fleet(client, auth)
    first = client.get("/").text
    assert f"{SERIES} series. The chart draws the first {CHART_SERIES}" in first
    pages = -(-SERIES // ROWS_PER_PAGE)
    assert f"page 1 of {pages}" in first
    assert f'data-rows="{ROWS_PER_PAGE}" data-total="{SERIES}"' in first
    assert f'data-points="{CHART_SERIES}"' in first
    assert f"({CHART_SERIES} with a tput_per_gpu value at 35 tok/s/user); 1 more match" in first

    seen: list[int] = []
    for number in range(1, pages + 1):
        seen += table_ids(client.get(f"/?page={number}").text)
    ids = {item["id"] for item in client.get("/api/v1/series?limit=1000").json()["items"]}
    assert sorted(seen) == sorted(ids) and len(seen) == SERIES  # every series on one page
    highest_isl_first = [
        item["id"]
        for item in sorted(
            client.get("/api/v1/series?limit=1000").json()["items"],
            key=lambda item: -item["config"]["isl"],
        )
    ]
    assert seen == highest_isl_first  # throughput, highest first, across the pages
    assert table_ids(client.get("/?page=99").text) == seen[-(SERIES % ROWS_PER_PAGE) :]
    by_id = table_ids(client.get("/?sort=id&page=2").text)
    assert by_id == sorted(ids)[ROWS_PER_PAGE : 2 * ROWS_PER_PAGE]

    links = re.findall(r'<a href="(/\?hardware=([a-z0-9]+)[^"]*)">\2 \((\d+)\)</a>', first)
    assert {gpu for _, gpu, _ in links} == set(GPUS)
    href, gpu, count = links[0]
    narrowed = client.get(href.replace("&amp;", "&")).text
    assert f"{count} series; {count} with a tput_per_gpu value" in narrowed
    assert f'data-points="{count}"' in narrowed
    assert int(count) == sum(1 for index in range(SERIES) if GPUS[index % len(GPUS)] == gpu)


def test_the_explorer_looks_latest_values_up_by_key_not_by_scanning_the_history(
    client: TestClient, auth: dict[str, str], pg_connection: Connection
) -> None:
    """Frontier values grow with every night of every series: the explorer's sort by value
    must look each series' latest value up, not scan (and hash) the whole table, which a join
    is planned as once the table is large next to the configs."""
    post_fleet(client, auth)
    for night in (1, 2):  # more values per series than the explorer reads
        body = synthetic_body(engine="sglang", night=night)
        body["backfill"] = True
        body["results"] = [
            row
            for index in range(SERIES)
            for row in synthetic_rows(hardware=GPUS[index % len(GPUS)], isl=1024 + index)
        ]
        assert client.post("/api/v1/submissions", json=body, headers=auth).status_code == 202
    pg_connection.execute(text("ANALYZE"))
    with statements(pg_connection) as sent:
        assert client.get("/?sort=-value").status_code == 200
    reads = [(sql, parameters) for sql, parameters in sent if sql.lstrip().startswith("SELECT")]
    assert any("frontier_values" in sql for sql, _ in reads)
    for sql, parameters in reads:
        assert "frontier_values" not in scanned_tables(pg_connection, sql, parameters), sql
