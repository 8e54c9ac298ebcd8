"""Every input gets a 4xx that names the problem: integers past their columns, text the database
cannot store (one rule: URLs and JSON bodies alike), a method the path does not take; and the
OpenAPI document says what validation accepts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import make_token
from tests.support.builders import gpt_oss_body
from tracker import models
from tracker.settings import Settings
from tracker.vocabulary import TokenScope


def locs(response: Any) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("/api/v1/alerts/29140960793474129519968256", ["path", "alert_id"]),
        ("/api/v1/series/9223372036854775808/trend?interactivity=35", ["path", "series_id"]),
        ("/api/v1/series/2147483648/sweeps", ["path", "series_id"]),
        ("/api/v1/sweeps/9223372036854775808", ["path", "sweep_id"]),
        ("/api/v1/submissions/0", ["path", "submission_id"]),
        ("/api/v1/series?tp=2147483648", ["query", "tp"]),
        ("/api/v1/changes?isl=-2147483649", ["query", "isl"]),
        ("/api/v1/series?cursor=abc", ["query", "cursor"]),
        ("/api/v1/changes?until=0.5", ["query", "until"]),
        ("/api/v1/series?disagg=", ["query", "disagg"]),
        ("/api/v1/series?tp=8&tp=4", ["query", "tp"]),
    ],
)
def test_numbers_past_their_columns_are_refused_by_name(
    client: TestClient, path: str, loc: list[str]
) -> None:
    response = client.get(path)
    assert response.status_code == 422, response.text
    assert loc in locs(response)


def test_a_cursor_past_the_end_is_an_empty_page(client: TestClient) -> None:
    for path in (
        "/api/v1/series?cursor=9999999999999999999",
        "/api/v1/changes?cursor=999999999999999999_9999999999999999999",
        "/api/v1/alerts?cursor=-999999999999999999_1",
    ):
        response = client.get(path)
        assert response.status_code == 200, response.text
        assert response.json() == {"items": [], "next": None}


@pytest.mark.parametrize(
    ("url", "loc"),
    [
        ("/api/v1/alerts?engine=%C3%95y%27%00", ["query", "engine"]),
        ("/api/v1/series?hardware=b200%00", ["query", "hardware"]),
        ("/api/v1/sweeps/1%00", ["path"]),
        ("/series/1?target=%00", ["query", "target"]),
        ("/healthz?probe=%00", ["query", "probe"]),
    ],
)
def test_nul_in_a_url_is_refused_before_any_route(
    client: TestClient, url: str, loc: list[str]
) -> None:
    response = client.get(url)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, "string_unstorable")
    assert "NUL" in error["msg"]


@pytest.mark.parametrize(
    ("sent", "loc", "what"),
    [
        ('"engine": "dynamo-trt\\u0000"', ["body", "source", "engine"], "NUL"),
        ('"engine": "dynamo\\ud800-trt"', ["body", "source", "engine"], "surrogate"),
    ],
)
def test_unstorable_text_in_a_submission_is_refused_and_nothing_stored(
    client: TestClient,
    auth: dict[str, str],
    db_session: Session,
    sent: str,
    loc: list[str],
    what: str,
) -> None:
    body = gpt_oss_body()
    text = json.dumps(body).replace('"engine": "dynamo-trt"', sent, 1)
    assert text != json.dumps(body)
    response = client.post(
        "/api/v1/submissions",
        content=text.encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert locs(response) == [loc]
    assert what in response.json()["detail"][0]["msg"]
    assert db_session.scalar(select(func.count()).select_from(models.SourceRun)) == 0


def test_unstorable_text_in_a_result_row_key_is_refused(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = gpt_oss_body()
    body["results"][2]["odd\x00key"] = 1
    response = client.post("/api/v1/submissions", json=body, headers=auth)
    assert response.status_code == 422
    assert locs(response) == [["body", "results", 2, "odd\x00key"]]


def test_unstorable_text_in_a_triage_note_is_refused(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    token = make_token(session_factory, TokenScope.TRIAGE)
    response = client.patch(
        "/api/v1/alerts/1",
        json={"state": "acknowledged", "note": "bisect\x00ing"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    assert locs(response) == [["body", "note"]]
    assert "NUL" in response.json()["detail"][0]["msg"]


def test_a_body_that_is_not_json_is_invalid_input(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    token = make_token(session_factory, TokenScope.TRIAGE)
    response = client.patch(
        "/api/v1/alerts/1",
        content=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert locs(response)[0][0] == "body"


def test_a_method_the_path_does_not_take_names_every_method_it_does(client: TestClient) -> None:
    response = client.put("/api/v1/alerts/1/bisect")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, POST"


def test_the_document_states_what_validation_accepts(
    client: TestClient, settings: Settings
) -> None:
    document = client.get("/openapi.json").json()
    operations = {
        (path, method): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    for (path, method), operation in operations.items():
        responses = operation["responses"]
        assert {"422", "503"} <= set(responses), (path, method)
        assert "Retry-After" in responses["503"]["headers"], (path, method)
        if "{" in path and path != "/healthz":
            assert "404" in responses, (path, method)
    invalid = document["components"]["schemas"]["InvalidInput"]
    assert invalid["required"] == ["detail"]
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in operations[("/api/v1/changes", "get")]["parameters"]
    }
    assert parameters["interactivity"]["enum"] == list(settings.interactivity_targets)
    assert parameters["tp"] == {**parameters["tp"], "type": "integer", "maximum": 2**31 - 1}
    assert parameters["disagg"]["type"] == "boolean"
    assert parameters["hardware"]["pattern"] == "^[^\\u0000]*$"
    assert parameters["cursor"]["pattern"] == r"^-?[0-9]{1,18}_[0-9]{1,19}$"
    alert_id = next(
        parameter["schema"]
        for parameter in operations[("/api/v1/alerts/{alert_id}", "get")]["parameters"]
    )
    assert alert_id["maximum"] == 2**63 - 1
    compare = {
        parameter["name"]: parameter
        for parameter in operations[("/api/v1/compare", "get")]["parameters"]
    }
    assert [name for name, parameter in compare.items() if parameter["required"]] == [
        "interactivity",
        "model",
        "precision",
        "isl",
        "osl",
    ]
    # Reads are public by default: a token is optional; writes need one.
    assert {} in operations[("/api/v1/series", "get")]["security"]
    assert {} not in operations[("/api/v1/submissions", "post")]["security"]
    triage = document["components"]["schemas"]["TriageState"]["properties"]["state"]
    assert "retracted" not in triage["enum"]
