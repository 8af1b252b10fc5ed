"""The public topics as an AsyncAPI 3.0 document, generated from the code that writes them:
topic names (names.py), the records' pydantic models, the result schemas and the headers
of docs/topics.md. Pure: settings and datasets in, a JSON-ready dict out.

Served by ``bulkflow topics asyncapi`` and ``GET /v1/asyncapi.json``; the test suite
validates it with the official parser (@asyncapi/parser).
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

from messaging.names import TopicNames, declared_topics
from schemas.dataset import Dataset
from schemas.events import JOB_EVENT_MODELS
from schemas.headers import ARROW_STREAM_CONTENT_TYPE, JSON_CONTENT_TYPE, RESULTS_SCHEMA_VERSION
from schemas.records import UploadStatus
from schemas.replay_events import ReplayEvent
from schemas.result_schema import arrow_schema_description, result_row_json_schema
from schemas.settings import Settings

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING = "0.5.0"
TEXT = {"type": "string"}

RESULT_HEADERS: dict[str, str] = {
    "job_id": "the upload (job) the rows come from",
    "chunk_no": "the chunk of the job, from 0 in file order",
    "tenant": "the tenant who uploaded the file",
    "dataset": "the dataset, also in the topic name",
    "schema_version": f"this contract's version ({RESULTS_SCHEMA_VERSION})",
    "content-type": "how to read the value",
    "replay_id": "only on a replay or a re-parse: which one sent it",
}
ARROW_HEADERS = {
    "first_row_no": "the first __row__ of this record",
    "row_count": "the rows in this record",
    "compression": "IPC buffer compression: none",
}
JSON_HEADERS = {"row": "the spreadsheet row number"}
DLQ_HEADERS = {
    "job_id": "the job",
    "chunk_no": "the chunk",
    "first_row_no": "the chunk's first spreadsheet row",
    "row_count": "rows in the chunk",
    "dataset": "the dataset",
    "tenant": "the tenant",
    "schema_version": "the chunk format's version",
    "typed_columns": "the columns holding typed cells, comma-separated (absent: all text)",
    "locale": "the reading locale of the chunk's text cells (absent: none)",
    "corrects": "the job whose invalid rows these rows correct (absent: not a correction)",
    "error": "why the chunk can never succeed",
    "error_stage": "headers or process",
    "source_topic": "the chunk topic it came from",
}


def _headers(described: dict[str, str], required: tuple[str, ...] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: {**TEXT, "description": why} for name, why in described.items()},
    }
    if required:
        schema["required"] = list(required)
    return schema


def _key(description: str) -> dict[str, Any]:
    return {"kafka": {"key": {**TEXT, "description": description}, "bindingVersion": KAFKA_BINDING}}


def _model_schema(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON Schema, its nested models moved to components/schemas."""
    body = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, nested in body.pop("$defs", {}).items():
        schemas[name] = nested
    schemas[model.__name__] = body
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json_message(
    model: type[BaseModel], title: str, key: str, schemas: dict[str, Any]
) -> dict[str, Any]:
    return {
        "name": model.__name__,
        "title": title,
        "contentType": JSON_CONTENT_TYPE,
        "payload": _model_schema(model, schemas),
        "bindings": _key(key),
    }


def _row_schema(dataset: Dataset) -> dict[str, Any]:
    body = copy.deepcopy(result_row_json_schema(dataset))
    body.pop("$schema", None)
    body.pop("$id", None)
    return body


def _channel(address: str, description: str, messages: list[str], spec: Any) -> dict[str, Any]:
    config = spec.config if spec is not None else {}
    topic_config: dict[str, Any] = {"cleanup.policy": [config.get("cleanup.policy", "delete")]}
    if "retention.ms" in config:
        topic_config["retention.ms"] = int(config["retention.ms"])
    binding: dict[str, Any] = {"topic": address, "bindingVersion": KAFKA_BINDING}
    if spec is not None:
        binding["partitions"] = spec.partitions
    binding["topicConfiguration"] = topic_config
    return {
        "address": address,
        "description": description,
        "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in messages},
        "bindings": {"kafka": binding},
    }


def asyncapi_document(settings: Settings, datasets: list[Dataset]) -> dict[str, Any]:
    names = TopicNames(settings.topic_prefix)
    specs = {s.name: s for s in declared_topics(settings, [d.results_name for d in datasets])}
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}

    for d in datasets:
        address = names.results(d.results_name)
        ident = f"results_{d.results_name.replace('.', '_')}"
        if d.results.encoding == "arrow":
            messages[ident] = {
                "name": f"{d.name} result chunk",
                "title": f"{d.name}: one chunk's valid rows as an Arrow IPC stream",
                "contentType": ARROW_STREAM_CONTENT_TYPE,
                "headers": _headers(
                    {**RESULT_HEADERS, **ARROW_HEADERS},
                    ("job_id", "chunk_no", "first_row_no", "row_count"),
                ),
                "payload": {
                    "type": "string",
                    "format": "binary",
                    "description": "an Arrow IPC stream (schema, one record batch, end); its "
                    "fields are in x-arrow-schema, then __row__ (int64, the spreadsheet row)",
                },
                "x-arrow-schema": arrow_schema_description(d),
                "bindings": _key("<job_id>:<chunk_no>"),
            }
        else:
            schemas[f"{ident}_row"] = _row_schema(d)
            key = f"<tenant>:<{'>:<'.join(d.key)}>" if d.key else "<job_id>:<row>"
            messages[ident] = {
                "name": f"{d.name} result row",
                "title": f"{d.name}: one valid row as JSON",
                "contentType": JSON_CONTENT_TYPE,
                "headers": _headers({**RESULT_HEADERS, **JSON_HEADERS}, ("job_id", "row")),
                "payload": {"$ref": f"#/components/schemas/{ident}_row"},
                "bindings": _key(key),
            }
        channels[ident] = _channel(
            address,
            f"the valid typed rows of dataset {d.name} ({d.results.encoding})",
            [ident],
            specs.get(address),
        )

    job_events = []
    for model in JOB_EVENT_MODELS:
        job_events.append(model.__name__)
        types = model.model_fields["type"].annotation.__args__  # type: ignore[union-attr]
        messages[model.__name__] = _json_message(model, ", ".join(types), "the job id", schemas)
    channels["events"] = _channel(
        names.events,
        "each job's outcomes (keep the highest revision per job) and delivery notices",
        job_events,
        specs.get(names.events),
    )
    messages["UploadStatus"] = _json_message(
        UploadStatus, "a job's whole status (the latest per job wins)", "the job id", schemas
    )
    channels["progress"] = _channel(
        names.progress,
        "compacted: each job's latest status",
        ["UploadStatus"],
        specs.get(names.progress),
    )
    messages["ReplayEvent"] = _json_message(
        ReplayEvent, "replay.started, replay.completed", "the replay id", schemas
    )
    channels["replays"] = _channel(
        names.replays, "operators' replay runs", ["ReplayEvent"], specs.get(names.replays)
    )
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "title": "a chunk that can never succeed, as it came",
        "contentType": ARROW_STREAM_CONTENT_TYPE,
        "headers": _headers(DLQ_HEADERS, ("job_id", "chunk_no", "error")),
        "payload": {
            "type": "string",
            "format": "binary",
            "description": "the chunk's Arrow IPC stream (LZ4-compressed buffers, text columns)",
        },
        "bindings": _key("<job_id>:<chunk_no>"),
    }
    channels["dlq"] = _channel(
        names.dlq, "dead-lettered chunks, for operators", ["DeadLetter"], specs.get(names.dlq)
    )

    operations = {
        f"send_{ident}": {
            "action": "send",
            "channel": {"$ref": f"#/channels/{ident}"},
            "messages": [{"$ref": f"#/channels/{ident}/messages/{m}"} for m in channel["messages"]],
        }
        for ident, channel in channels.items()
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "bulkflow topics",
            "version": f"{RESULTS_SCHEMA_VERSION}.0.0",
            "description": "What bulkflow publishes for downstream systems (docs/topics.md). "
            f"Topic names are under the prefix {settings.topic_prefix!r}.",
        },
        "defaultContentType": JSON_CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": settings.kafka_bootstrap.split(",")[0],
                "protocol": "kafka",
                "description": "the deployment's Kafka cluster (BULKFLOW_KAFKA_BOOTSTRAP); "
                "a secured cluster takes one of the security schemes",
                "security": [{"$ref": f"#/components/securitySchemes/{name}"} for name in SECURITY],
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": schemas,
            "securitySchemes": SECURITY,
        },
    }


# placeholders for a secured cluster: SASL over TLS, or TLS with a client certificate
SECURITY: dict[str, Any] = {
    "saslScram": {
        "type": "scramSha512",
        "description": "SASL/SCRAM-SHA-512 over TLS (SASL_SSL)",
    },
    "saslPlain": {"type": "plain", "description": "SASL/PLAIN over TLS (SASL_SSL)"},
    "mutualTls": {"type": "X509", "description": "TLS with a client certificate (SSL)"},
}
