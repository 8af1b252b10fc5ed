"""Dataset schemas: the YAML model, its loader and header matching."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from schemas.date_forms import FormError, check_forms
from schemas.errors import ConfigError, DatasetError
from schemas.locales import FALSE_WORDS, TRUE_WORDS, LocaleError, fold_words, resolve_locale

ColumnType = Literal[
    "string", "integer", "decimal", "float", "boolean", "date", "datetime", "email"
]
# the types whose text a reading locale reads as numbers (1.234,56 in de-DE)
NUMBER_TYPES = frozenset({"integer", "decimal", "float"})
ResultEncoding = Literal["arrow", "json"]
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def normalise_header(text: str) -> str:
    """Headers match case- and space-insensitively: 'Customer E-mail ' ~ 'customer e-mail'."""
    return re.sub(r"[\s_]+", "", str(text)).casefold()


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: ColumnType
    required: bool = False
    aliases: tuple[str, ...] = ()
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = Field(None, ge=1)
    enum: tuple[str, ...] | None = None
    scale: int | None = Field(None, ge=0, le=18)
    precision: int | None = Field(None, ge=1, le=38)
    # date/datetime only: a bare number is an Excel serial date (45352 = 2024-03-01), never
    # by default: a number where a date belongs is far more often a mistake
    excel_serial: bool = False
    # date/datetime only: the forms of its text besides ISO (DD.MM.YYYY HH:mm), in any locale
    formats: tuple[str, ...] = ()
    # boolean only: words for true and for false besides the English ones and the locale's
    true_values: tuple[str, ...] = ()
    false_values: tuple[str, ...] = ()
    # what the pattern asks for, in words ("two capital letters, like DE"); the page shows
    # it instead of the regular expression
    pattern_description: str | None = None
    # a value that passes every rule, shown beside the column (default: one made per type)
    example: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError(f"column name {value!r} must be lower_snake_case")
        return value

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern {value!r} is not a regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _serial_only_for_dates(self) -> Column:
        if self.excel_serial and self.type not in ("date", "datetime"):
            raise ValueError(f"excel_serial applies to date and datetime columns, not {self.type}")
        return self

    @model_validator(mode="after")
    def _formats(self) -> Column:
        if self.formats:
            if self.type not in ("date", "datetime"):
                raise ValueError(f"formats apply to date and datetime columns, not {self.type}")
            try:
                check_forms(self.formats, self.type)
            except FormError as exc:
                raise ValueError(f"formats: {exc}") from None
        return self

    @model_validator(mode="after")
    def _words(self) -> Column:
        if not (self.true_values or self.false_values):
            return self
        if self.type != "boolean":
            raise ValueError(
                f"true_values and false_values apply to boolean columns, not {self.type}"
            )
        if any(not w.strip() for w in (*self.true_values, *self.false_values)):
            raise ValueError("true_values and false_values cannot hold an empty word")
        true, false = fold_words(self.true_values), fold_words(self.false_values)
        clash = sorted((true & (false | FALSE_WORDS)) | (false & TRUE_WORDS))
        if clash:
            raise ValueError(f"{', '.join(clash)} would mean both true and false")
        return self


class ResultsConfig(BaseModel):
    """How the valid rows go out on the results topic of the dataset (docs/topics.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    encoding: ResultEncoding = "arrow"
    # the topic's major version: 1 publishes on results.<name>, N on results.<name>.vN; a
    # change that is not FULL compatible for consumers needs the next one (compatibility.py)
    major: int = Field(default=1, ge=1)


class RetentionConfig(BaseModel):
    """How long the dataset's bookkeeping is kept, in days: bulkflow gc removes it after
    that (docs/operations.md). The rows themselves are kept for good."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # a finished job's row errors (its error report); its status and counts stay
    row_errors_days: float = Field(default=30.0, gt=0)
    # dead letters, by their last failure (the DLQ topic keeps their records 30 days)
    dead_letters_days: float = Field(default=30.0, gt=0)


class Dataset(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int = 1
    key: tuple[str, ...] = ()
    columns: tuple[Column, ...]
    results: ResultsConfig = ResultsConfig()
    retention: RetentionConfig = RetentionConfig()
    # the reading locale of its uploads when an upload names none (else: detected)
    locale: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError(f"dataset name {value!r} must be lower_snake_case")
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return resolve_locale(value).tag
        except LocaleError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _check(self) -> Dataset:
        if not self.columns:
            raise ValueError("a dataset needs at least one column")
        names = [c.name for c in self.columns]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"duplicate column names: {sorted(dupes)}")
        unknown = [k for k in self.key if k not in names]
        if unknown:
            raise ValueError(f"key names unknown columns: {unknown}")
        seen: dict[str, str] = {}
        for col in self.columns:
            for label in (col.name, *col.aliases):
                norm = normalise_header(label)
                if norm in seen and seen[norm] != col.name:
                    raise ValueError(f"header {label!r} matches both {seen[norm]} and {col.name}")
                seen[norm] = col.name
        return self

    @property
    def table_name(self) -> str:
        return f"ds_{self.name}"

    @property
    def results_name(self) -> str:
        """The dataset's part of its results topic name: ``orders``, or ``orders.v2``."""
        major = self.results.major
        return self.name if major == 1 else f"{self.name}.v{major}"

    @cached_property
    def header_lookup(self) -> dict[str, str]:
        """Normalised header text -> column name."""
        return {
            normalise_header(label): col.name
            for col in self.columns
            for label in (col.name, *col.aliases)
        }

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def parse_dataset(data: Any, source: str = "<dataset>") -> Dataset:
    if not isinstance(data, dict):
        raise DatasetError(f"{source}: a dataset file must be a YAML mapping")
    try:
        return Dataset.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'dataset'}: {err['msg']}"
            for err in exc.errors()
        )
        raise DatasetError(f"{source}: {problems}") from exc


def load_dataset_file(path: Path) -> Dataset:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read dataset file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise DatasetError(f"{path}: not valid YAML: {exc}") from exc
    dataset = parse_dataset(data, str(path))
    if dataset.name != path.stem:
        raise DatasetError(f"{path}: dataset name {dataset.name!r} must match the file name")
    return dataset


class DatasetRegistry:
    """The datasets of one directory, loaded on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, Dataset] = {}

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            # a folder that is not there is a mistake in BULKFLOW_DATASETS_DIR, never "no
            # datasets": saying so beats every upload failing with "unknown dataset"
            raise ConfigError(
                f"the datasets folder {self.directory} does not exist: point "
                "BULKFLOW_DATASETS_DIR at a folder of dataset YAML files, or unset it to use "
                "the datasets shipped with bulkflow"
            )
        return sorted(p.stem for p in self.directory.glob("*.yaml"))

    def get(self, name: str) -> Dataset:
        if name not in self._cache:
            if not NAME_RE.match(name):
                raise DatasetError(f"unknown dataset {name!r}")
            path = self.directory / f"{name}.yaml"
            if not path.is_file():
                known = ", ".join(self.names()) or "none"
                raise DatasetError(f"unknown dataset {name!r} (known: {known})")
            self._cache[name] = load_dataset_file(path)
        return self._cache[name]

    def all(self) -> list[Dataset]:
        return [self.get(n) for n in self.names()]

    def results_names(self) -> list[str]:
        """Each dataset's results topic name part (``orders``, ``orders.v2``)."""
        return [d.results_name for d in self.all()]
