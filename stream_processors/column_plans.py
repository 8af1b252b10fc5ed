"""How each column of a dataset is validated under a reading locale, worked out once per
(dataset, locale) rather than per batch: its fast-path regex, its per-value parser, its words,
its pattern and enum."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from schemas.arrow_types import MAX_PRECISION, arrow_type
from schemas.dataset import Column, Dataset
from schemas.locales import Locale, NumberFormat, resolve_locale
from stream_processors import converters as conv
from stream_processors.text_columns import number_re
from stream_processors.text_rules import DEFAULT_RULES, TextRules, rules_for

PLAIN_NUMBERS = NumberFormat(".", ())


@dataclass
class ColumnPlan:
    """What one column needs, worked out once per dataset and locale rather than per batch."""

    column: Column
    type: pa.DataType
    rules: TextRules = DEFAULT_RULES
    fast_re: str | None = None  # numbers matching this cast straight to ``type``
    parse: Callable[[str], Any] | None = None
    int_digits: int = 0  # decimal columns: digits before the point
    re2_pattern: str | None = None  # the column pattern, when Arrow's RE2 can run it
    py_pattern: re.Pattern[str] | None = None
    enum_values: pa.Array | None = None
    enum_canonical: dict[str, str] = field(default_factory=dict)
    true_words: pa.Array | None = None
    false_words: pa.Array | None = None


def _number_plan(plan: ColumnPlan, col: Column, rules: TextRules) -> None:
    # without a locale the fast path takes plain numbers only; grouped ones go the slow way
    numbers = rules.numbers if rules.local_numbers else PLAIN_NUMBERS
    if col.type == "integer":
        # 18 digits always fit int64; longer ones go the slow way to get "too large"
        plan.fast_re = number_re(numbers, 18, "")
        plan.parse = lambda text: conv.parse_integer(text, rules)
    elif col.type == "decimal":
        scale = plan.type.scale
        int_digits = min(col.precision or MAX_PRECISION, MAX_PRECISION) - scale
        frac = rf"({{dec}}\d{{{{1,{scale}}}}})?" if scale else ""
        plan.fast_re = number_re(numbers, int_digits, frac)
        plan.parse = lambda text: conv.parse_decimal(text, scale, int_digits, rules)
        plan.int_digits = int_digits
    else:
        plan.fast_re = number_re(numbers, 300, r"({dec}\d{{1,300}})?")
        plan.parse = lambda text: conv.parse_float(text, rules)


def make_plan(col: Column, locale: Locale | None) -> ColumnPlan:
    rules = rules_for(col, locale)
    plan = ColumnPlan(col, arrow_type(col), rules)
    if col.type in ("integer", "decimal", "float"):
        _number_plan(plan, col, rules)
    elif col.type == "boolean":
        plan.parse = lambda text: conv.parse_boolean(text, rules)
        plan.true_words = pa.array(sorted(rules.true_words), pa.string())
        plan.false_words = pa.array(sorted(rules.false_words), pa.string())
    elif col.type == "date":
        plan.parse = lambda text: conv.parse_date(text, col.excel_serial, rules)
    elif col.type == "datetime":
        plan.parse = lambda text: conv.parse_datetime(text, col.excel_serial, rules)
    if col.pattern and col.type in ("string", "email"):
        full = f"^(?:{col.pattern})$"
        try:  # RE2 lacks look-arounds and back-references; Python's re covers those
            pc.match_substring_regex(pa.array([""]), full)
            plan.re2_pattern = full
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            plan.py_pattern = re.compile(col.pattern)
    if col.enum:
        if col.type in ("string", "email"):
            plan.enum_values = pa.array(col.enum, pa.string())
            plan.enum_canonical = {v.casefold(): v for v in col.enum}
        elif plan.parse is not None:  # the dataset writes its members without a locale
            parse = plan.parse if locale is None else make_plan(col, None).parse
            assert parse is not None
            members = [_try(parse, v) for v in col.enum]
            plan.enum_values = pa.array([m for m in members if m is not None], plan.type)
    return plan


def _try(parse: Callable[[str], Any], text: str) -> Any:
    try:
        return parse(text)
    except conv.ConversionError:
        return None


@lru_cache(maxsize=128)
def plans_for(dataset: Dataset, locale: str | None) -> tuple[ColumnPlan, ...]:
    reading = resolve_locale(locale) if locale else None
    return tuple(make_plan(c, reading) for c in dataset.columns)
