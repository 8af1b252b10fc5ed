"""Every event type and field the code can emit is in docs/topics.md, and the page names
no event type the code does not have."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from pydantic import BaseModel

from schemas.column_mapping import MappingPreview
from schemas.events import JOB_EVENT_MODELS
from schemas.records import DeadLetterRange, UploadStatus
from schemas.replay_events import ReplayEvent

TOPICS_MD = Path(__file__).resolve().parents[3] / "docs" / "topics.md"


def _section(topic: str) -> str:
    text = TOPICS_MD.read_text(encoding="utf-8")
    start = text.index(f"\n## `{topic}`")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _types(model: type[BaseModel]) -> tuple[str, ...]:
    field = model.model_fields.get("type")
    return get_args(field.annotation) if field is not None else ()


def _undocumented(model: type[BaseModel], text: str) -> list[str]:
    names = [*_types(model), *model.model_fields]
    return [name for name in names if f"`{name}`" not in text]


def test_every_event_type_and_field_is_documented_on_its_topic() -> None:
    events, replays = _section("events"), _section("replays")
    for model in JOB_EVENT_MODELS:
        assert _undocumented(model, events) == [], model.__name__
    assert _undocumented(DeadLetterRange, events) == []
    assert _undocumented(ReplayEvent, replays) == []
    progress = _section("progress")
    assert _undocumented(UploadStatus, progress) == []
    assert _undocumented(MappingPreview, progress) == []


def test_the_page_names_only_event_types_the_code_emits() -> None:
    emitted = {t for m in (*JOB_EVENT_MODELS, ReplayEvent) for t in _types(m)}
    named = re.findall(r"`((?:job|replay)\.[a-z_]+)`", TOPICS_MD.read_text(encoding="utf-8"))
    assert set(named) == emitted
