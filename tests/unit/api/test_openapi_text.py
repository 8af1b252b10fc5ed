"""The OpenAPI document is what client authors read: no docstring markup, honest schemas."""

from __future__ import annotations

import re

from api.app import create_app
from schemas.settings import load_settings

MARKUP = re.compile(r"``|:(?:func|class|meth|mod|attr):`|\n {2,}\S")


def _spec() -> dict:
    return create_app(load_settings(api_keys="t:k")).openapi()


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def test_no_docstring_markup_leaks_into_the_openapi_text() -> None:
    leaks = [s for s in _strings(_spec()) if MARKUP.search(s)]
    assert not leaks, f"docstring markup in the OpenAPI document: {leaks[:3]}"


def test_an_empty_dataset_is_refused_by_the_schema() -> None:
    form = _spec()["paths"]["/v1/uploads"]["post"]["requestBody"]["content"]
    dataset = form["multipart/form-data"]["schema"]["properties"]["dataset"]
    # optional for a correction (the corrected upload's dataset), never empty when given
    text = next(branch for branch in dataset["anyOf"] if branch.get("type") == "string")
    assert text["minLength"] == 1


def test_the_event_route_is_declared_as_an_event_stream() -> None:
    content = _spec()["paths"]["/v1/uploads/{job_id}/events"]["get"]["responses"]["200"]
    assert list(content["content"]) == ["text/event-stream"]
