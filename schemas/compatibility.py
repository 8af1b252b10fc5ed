"""Whether a dataset change keeps its result records readable, in a schema registry's terms.

Pure. Confluent's definitions, for the consumers of ``results.<dataset>``:

* BACKWARD: a consumer built from the new schema reads records written with the old one;
* FORWARD: a consumer built from the old schema reads records written with the new one;
* FULL: both; NONE: neither.

Readers follow the documented rule (docs/topics.md, "Schema evolution"): a field is found
by name, an unknown field is ignored, and a missing nullable field reads as null. So a
nullable column added or removed is FULL; a required one added is FORWARD only (older
records lack it), removed BACKWARD only; a column made required is FORWARD only, made
nullable BACKWARD only; a type, encoding or (under ``json``) record-key change is NONE.
On one major version a change must be FULL; anything else needs the next major version,
a topic of its own (``results.<dataset>.v2``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.arrow_types import arrow_type
from schemas.dataset import Dataset

Level = Literal["FULL", "BACKWARD", "FORWARD", "NONE"]
LEVELS: dict[tuple[bool, bool], Level] = {
    (True, True): "FULL",
    (True, False): "BACKWARD",
    (False, True): "FORWARD",
    (False, False): "NONE",
}


@dataclass(frozen=True)
class ResultField:
    name: str
    type: str  # the Arrow type, as text: the same for both encodings' readers
    nullable: bool | None  # None: not recorded (a table made before it was)


@dataclass(frozen=True)
class ResultShape:
    """What a result record's reader depends on."""

    encoding: str
    key: tuple[str, ...]
    fields: tuple[ResultField, ...]
    major: int = 1

    @classmethod
    def of(cls, dataset: Dataset) -> ResultShape:
        fields = tuple(
            ResultField(c.name, str(arrow_type(c)), not c.required) for c in dataset.columns
        )
        return cls(dataset.results.encoding, tuple(dataset.key), fields, dataset.results.major)


@dataclass(frozen=True)
class Verdict:
    level: Level
    changes: tuple[str, ...]  # each change with its own level
    old_major: int
    new_major: int

    @property
    def allowed(self) -> bool:
        """FULL on the same major version, or any change with the next one."""
        if self.new_major == self.old_major:
            return self.level == "FULL"
        return self.new_major > self.old_major

    def refusal(self, dataset: str) -> str:
        if self.new_major < self.old_major:
            return (
                f"dataset {dataset!r}: results.major goes down from {self.old_major} to "
                f"{self.new_major}; a major version is never reused"
            )
        return (
            f"dataset {dataset!r}: the change is {self.level} compatible for result "
            f"consumers ({'; '.join(self.changes)}), and one major version takes FULL changes "
            f"only. Make it compatible, or set results: {{major: {self.old_major + 1}}} in "
            f"its YAML to publish on results.{dataset}.v{self.old_major + 1} (docs/topics.md)"
        )


def compatibility(old: ResultShape, new: ResultShape) -> Verdict:
    found: list[tuple[bool, bool, str]] = []  # (backward, forward, what)
    if old.encoding != new.encoding:
        found.append((False, False, f"encoding {old.encoding} -> {new.encoding}"))
    elif new.encoding == "json" and old.key != new.key:
        found.append((False, False, f"record key ({', '.join(old.key)}) -> ({', '.join(new.key)})"))
    before = {f.name: f for f in old.fields}
    after = {f.name: f for f in new.fields}
    for name, field in after.items():
        if name not in before:
            optional = field.nullable is not False
            kind = "nullable" if optional else "required"
            found.append((optional, True, f"adds {kind} column {name}"))
    for name, field in before.items():
        if name not in after:
            optional = field.nullable is not False
            kind = "nullable" if optional else "required"
            found.append((True, optional, f"removes {kind} column {name}"))
    for name, was in before.items():
        now = after.get(name)
        if now is None:
            continue
        if now.type != was.type:
            found.append((False, False, f"column {name} {was.type} -> {now.type}"))
        elif was.nullable is not None and now.nullable is not None and was.nullable != now.nullable:
            if now.nullable:
                found.append((True, False, f"column {name} becomes nullable"))
            else:
                found.append((False, True, f"column {name} becomes required"))
    backward = all(b for b, _f, _w in found)
    forward = all(f for _b, f, _w in found)
    changes = tuple(f"{what}: {LEVELS[(b, f)]}" for b, f, what in found)
    return Verdict(LEVELS[(backward, forward)], changes, old.major, new.major)
