"""What a dataset table stores, and which changes to it a migration may make (pure, no I/O).

A ``TableSpec`` is the part of a dataset YAML that shapes its table or names its headers:
column names, their storage, aliases and the business key; and what its result records'
readers depend on (each column's Arrow type and nullability, the encoding and the topic's
major version). Comparing the spec recorded for a table with the one its YAML gives now
says what to do: nothing, record it (an alias or a validation-only type change such as
string -> email), add columns, or refuse: a change that would lose data, or one that is
not FULL compatible for result consumers on the same major version (result_verdict).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from database.column_types import storage_label
from schemas.compatibility import ResultField, ResultShape, Verdict, compatibility
from schemas.dataset import Dataset
from schemas.errors import ConfigError

VERSIONS_TABLE = "bulkflow_schema_versions"


class SchemaChangeRefused(ConfigError):
    """A dataset YAML differs from its table in a way that would lose data."""


class SchemaNotCurrent(SchemaChangeRefused):
    """The tables need a change (a new table, a column) that this role may not make: the
    migration role must run ``bulkflow datasets migrate`` first."""


@dataclass(frozen=True)
class StoredColumn:
    name: str
    type: str  # the dataset type, as the YAML says it
    storage: str  # storage_label: what the table holds
    aliases: tuple[str, ...] = ()
    # for result consumers; None in a spec recorded before they were kept
    result_type: str | None = None  # the Arrow type, as text
    required: bool | None = None


@dataclass(frozen=True)
class TableSpec:
    key: tuple[str, ...]
    columns: tuple[StoredColumn, ...]
    encoding: str | None = None
    major: int | None = None

    @classmethod
    def of(cls, dataset: Dataset) -> TableSpec:
        shape = {f.name: f for f in ResultShape.of(dataset).fields}
        columns = tuple(
            StoredColumn(
                c.name,
                c.type,
                storage_label(c),
                tuple(c.aliases),
                shape[c.name].type,
                c.required,
            )
            for c in dataset.columns
        )
        results = dataset.results
        return cls(tuple(dataset.key), columns, results.encoding, results.major)

    def to_json(self) -> str:
        body: dict[str, object] = {
            "key": list(self.key),
            "columns": [
                {"name": c.name, "type": c.type, "storage": c.storage, "aliases": list(c.aliases)}
                | ({"result_type": c.result_type} if c.result_type is not None else {})
                | ({"required": c.required} if c.required is not None else {})
                for c in self.columns
            ],
        }
        if self.encoding is not None:
            body["results"] = {"encoding": self.encoding, "major": self.major}
        return json.dumps(body, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TableSpec:
        body = json.loads(text)
        columns = tuple(
            StoredColumn(
                c["name"],
                c["type"],
                c["storage"],
                tuple(c["aliases"]),
                c.get("result_type"),
                c.get("required"),
            )
            for c in body["columns"]
        )
        results = body.get("results") or {}
        return cls(tuple(body["key"]), columns, results.get("encoding"), results.get("major"))

    def result_shape(self, now: ResultShape) -> ResultShape:
        """What the recorded spec's readers depend on; what a spec recorded before these
        were kept lacks is taken from ``now`` (so it counts as unchanged)."""
        types = {f.name: f.type for f in now.fields}
        fields = tuple(
            ResultField(
                c.name,
                c.result_type if c.result_type is not None else types.get(c.name, c.storage),
                None if c.required is None else not c.required,
            )
            for c in self.columns
            if c.type != "unknown"
        )
        encoding = self.encoding if self.encoding is not None else now.encoding
        major = self.major if self.major is not None else 1
        return ResultShape(encoding, self.key, fields, major)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def only(self, names: set[str]) -> TableSpec:
        """The spec cut down to the named columns (a table made before versions were kept)."""
        return TableSpec(self.key, tuple(c for c in self.columns if c.name in names))


def added_columns(dataset: str, source: str, stored: TableSpec, wanted: TableSpec) -> list[str]:
    """The columns ``wanted`` adds to ``stored``; raises SchemaChangeRefused for a change that
    would lose data (a column dropped or retyped, the business key changed)."""
    before = {c.name: c for c in stored.columns}
    after = {c.name: c for c in wanted.columns}
    problems = [
        f"column {name!r} is in the table but not in {source}; dropping it would lose data"
        for name in before
        if name not in after
    ]
    for name, old in before.items():
        new = after.get(name)
        if new is not None and new.storage != old.storage:
            problems.append(
                f"column {name!r} is {old.storage} in the table but {new.storage} in {source};"
                " a type change would lose data"
            )
    if stored.key != wanted.key:
        problems.append(
            f"the business key is {_key(stored.key)} in the table but {_key(wanted.key)} in"
            f" {source}; a key change would merge or split stored rows"
        )
    if problems:
        raise SchemaChangeRefused(
            f"dataset {dataset!r}: {'; '.join(problems)}. Create a new dataset name, or migrate"
            f" the table by hand and delete its rows in {VERSIONS_TABLE}"
        )
    return [name for name in after if name not in before]


def result_verdict(stored: TableSpec, dataset: Dataset) -> Verdict:
    """How the dataset's change since the recorded spec reads for result consumers."""
    now = ResultShape.of(dataset)
    return compatibility(stored.result_shape(now), now)


def _key(key: tuple[str, ...]) -> str:
    return f"({', '.join(key)})" if key else "none"
