"""The OpenAPI document: what FastAPI derives from the routes, completed with what validation
knows and the routes cannot say by their types — so the document states exactly what is accepted.

- the submission body (`SubmissionIn`; the route reads it raw for the size limit);
- the interactivity targets of the settings, as the `enum` of a track's `interactivity`;
- config filters typed as they parse (32-bit integers, booleans, text), and those `compare`
  requires marked required and not blank;
- the text rule (`tracker.storable`) as a pattern on every string a request carries;
- reads that need no token while `TRACKER_PUBLIC_READS` is true (an empty security requirement).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI

from tracker.configs.fields import CONFIG_FIELD_TYPES, CONFIG_INT_MAX, CONFIG_INT_MIN
from tracker.ingest.body import SubmissionIn
from tracker.reads.compare import REQUIRED_FIELDS
from tracker.settings import Settings
from tracker.storable import STORABLE_TEXT_PATTERN

TARGET_PARAMETERS = {("/api/v1/series/{series_id}/trend", "get"), ("/api/v1/changes", "get")}
"""Operations whose `interactivity` must be one of the settings' targets."""
COMPARE = ("/api/v1/compare", "get")
NOT_BLANK_PATTERN = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
"""Storable text with at least one character that is not white space."""


def install_openapi(app: FastAPI, settings: Settings) -> None:
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_document(build_openapi(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete_document(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
    components = document.setdefault("components", {}).setdefault("schemas", {})
    body_schema = SubmissionIn.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(body_schema.pop("$defs", {}))
    components["SubmissionIn"] = body_schema
    targets = [float(target) for target in settings.interactivity_targets]
    for path, method, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            _complete_parameter(parameter, (path, method), targets)
        if settings.public_reads and method == "get" and operation.get("security"):
            operation["security"] = [*operation["security"], {}]
    for name in _request_body_components(document):
        _each_string_schema(components[name], _add_text_rule)
    return document


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            yield path, method, operation


def _complete_parameter(
    parameter: dict[str, Any], operation: tuple[str, str], targets: list[float]
) -> None:
    schema = parameter["schema"]
    variants = [variant for variant in schema.pop("anyOf", []) if variant.get("type") != "null"]
    if len(variants) == 1:  # an optional parameter: absent, not null, when not given
        schema.update(variants[0])
    name = parameter["name"]
    if parameter["in"] == "query" and name in CONFIG_FIELD_TYPES:
        field_type = CONFIG_FIELD_TYPES[name]
        if field_type is int:
            schema.update(type="integer", minimum=CONFIG_INT_MIN, maximum=CONFIG_INT_MAX)
        elif field_type is bool:
            schema.update(type="boolean")
        if operation == COMPARE and name in REQUIRED_FIELDS:
            parameter["required"] = True
            if field_type is str:
                schema.update(pattern=NOT_BLANK_PATTERN)
    if schema.get("format") == "date-time":  # a date alone is its midnight UTC
        del schema["format"], schema["type"]
        schema["anyOf"] = [
            {"type": "string", "format": "date-time"},
            {"type": "string", "format": "date"},
        ]
    if name == "interactivity" and operation in TARGET_PARAMETERS:
        schema["enum"] = targets
    _add_text_rule(schema)


def _request_body_components(document: dict[str, Any]) -> set[str]:
    """The component schemas request bodies reach, through references."""
    seen: set[str] = set()
    pending = [
        content["schema"]
        for _, _, operation in _operations(document)
        for content in operation.get("requestBody", {}).get("content", {}).values()
    ]
    components = document["components"]["schemas"]
    while pending:
        schema = pending.pop()
        if isinstance(schema, dict):
            reference = schema.get("$ref")
            if isinstance(reference, str):
                name = reference.rsplit("/", 1)[-1]
                if name not in seen:
                    seen.add(name)
                    pending.append(components[name])
            pending.extend(schema.values())
        elif isinstance(schema, list):
            pending.extend(schema)
    return seen


def _each_string_schema(schema: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(schema, dict):
        if schema.get("type") == "string":
            visit(schema)
        for value in schema.values():
            _each_string_schema(value, visit)
    elif isinstance(schema, list):
        for value in schema:
            _each_string_schema(value, visit)


def _add_text_rule(schema: dict[str, Any]) -> None:
    if schema.get("type") == "string" and not {"enum", "const", "format", "pattern"} & set(schema):
        schema["pattern"] = STORABLE_TEXT_PATTERN
