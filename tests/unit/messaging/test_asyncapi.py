"""The AsyncAPI document of the public topics is valid for the official parser
(@asyncapi/parser, installed by `make asyncapi-parser`), in both result encodings, and the
CLI and the API serve the same document."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from messaging.asyncapi import asyncapi_document
from schemas.column_mapping import MappingPreview
from schemas.dataset import Dataset, DatasetRegistry, parse_dataset
from schemas.headers import DLQ_HEADERS, ChunkHeaders
from schemas.settings import Settings, load_settings, packaged_datasets_dir

PARSER = Path(__file__).resolve().parents[2] / "support" / "asyncapi"


def _datasets(folder: Path) -> list[Dataset]:
    """orders as shipped (arrow), and a copy of it published as JSON."""
    orders = DatasetRegistry(packaged_datasets_dir()).get("orders")
    as_json = {**orders.model_dump(mode="json"), "name": "orders_json"}
    as_json["results"] = {"encoding": "json"}
    folder.mkdir(exist_ok=True)
    for d in (orders, parse_dataset(as_json)):
        (folder / f"{d.name}.yaml").write_text(json.dumps(d.model_dump(mode="json")))
    return DatasetRegistry(folder).all()


def _validate(document: dict, tmp_path: Path) -> tuple[int, list[str]]:
    assert shutil.which("node"), "node is needed to run the AsyncAPI parser"
    assert (PARSER / "node_modules" / "@asyncapi" / "parser").is_dir(), (
        "the AsyncAPI parser is not installed: run `make asyncapi-parser`"
    )
    path = tmp_path / "asyncapi.json"
    path.write_text(json.dumps(document))
    done = subprocess.run(
        ["node", str(PARSER / "validate.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stdout.strip().splitlines()
    return done.returncode, lines


def _settings(tmp_path: Path) -> Settings:
    return load_settings(
        home=tmp_path / "home", datasets_dir=tmp_path / "datasets", api_keys="acme:k"
    )


def test_the_document_is_valid_for_the_official_parser(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    document = asyncapi_document(settings, _datasets(tmp_path / "datasets"))
    code, lines = _validate(document, tmp_path)
    summary = json.loads(lines[-1])
    assert code == 0 and summary["errors"] == 0, lines
    # results in both encodings, events, progress, replays, dlq
    assert (summary["parsed"], summary["channels"], summary["messages"]) == (True, 6, 8)
    channels = document["channels"]
    assert channels["results_orders"]["address"] == "bulkflow.results.orders"
    arrow = document["components"]["messages"]["results_orders"]
    assert arrow["contentType"] == "application/vnd.apache.arrow.stream"
    assert arrow["bindings"]["kafka"]["key"]["description"] == "<job_id>:<chunk_no>"
    row = document["components"]["schemas"]["results_orders_json_row"]
    assert "additionalProperties" not in row
    assert channels["progress"]["bindings"]["kafka"]["topicConfiguration"]["cleanup.policy"] == [
        "compact"
    ]
    # what the importer and the locales added is in the payloads and the headers
    schemas = document["components"]["schemas"]
    status = schemas["UploadStatus"]["properties"]
    assert {"warning", "corrects", "locale", "locale_source", "reading", "mapping"} <= set(status)
    assert set(MappingPreview.model_fields) <= set(schemas["MappingPreview"]["properties"])
    assert {"warning", "corrects"} <= set(schemas["JobOutcomeEvent"]["properties"])
    every = ChunkHeaders("j", 0, 2, 1, "orders", "acme", 1, ("amount",), "de-DE", "j0")
    chunk_headers = {name for name, _ in every.to_kafka()}
    dlq = document["components"]["messages"]["DeadLetter"]["headers"]["properties"]
    assert chunk_headers | DLQ_HEADERS <= set(dlq)


def test_a_broken_document_is_reported(tmp_path: Path) -> None:
    document = asyncapi_document(_settings(tmp_path), _datasets(tmp_path / "datasets"))
    document["operations"]["send_events"]["channel"] = {"$ref": "#/channels/nowhere"}
    code, lines = _validate(document, tmp_path)
    assert code == 1 and json.loads(lines[-1])["errors"] > 0


def test_the_api_serves_the_document(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    datasets = _datasets(tmp_path / "datasets")
    client = TestClient(create_app(settings))  # no lifespan: no broker needed
    assert client.get("/v1/asyncapi.json").status_code == 401
    served = client.get("/v1/asyncapi.json", headers={"Authorization": "Bearer k"})
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(asyncapi_document(settings, datasets)))
