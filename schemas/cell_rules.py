"""A dataset's rules as a person reads them and as a page checks them: each column's rules in
words, an example value, and a JSON Schema of one row as typed into a sheet (every cell text),
which the upload page uses to check corrections before it sends them.

The workers' validation (stream_processors/validation.py) stays the judge: these checks are
the same rules in a form a browser can run, so that a correction rarely comes back invalid.
"""

from __future__ import annotations

from typing import Any

from schemas.dataset import NUMBER_TYPES, Column, Dataset
from schemas.locales import DEFAULT_NUMBERS, Locale, NumberFormat, resolve_locale

# ECMAScript's \s has the no-break space and U+FEFF; the zero-width ones are named
_NOT_IN_EMAIL = r'\s\u200B-\u200F\u2060@,;:<>()\[\]\\"'
# the shape of a cell's text per type, as ECMAScript regular expressions (JSON Schema's)
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+|\d{1,3}(?:,\d{3})+(?:\.\d*)?)"
TYPE_PATTERNS: dict[str, str] = {
    "integer": r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.0*)?$",
    "decimal": f"^{_NUMBER}$",
    "float": rf"^(?:{_NUMBER}|[+-]?(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+)$",
    "boolean": r"^(?:[Tt](?:[Rr][Uu][Ee])?|[Ff](?:[Aa][Ll][Ss][Ee])?|[Yy](?:[Ee][Ss])?|"
    r"[Nn][Oo]?|1|0)$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "datetime": r"^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
    r"\s*(?:[Zz]|[Uu][Tt][Cc]|[Gg][Mm][Tt]|[+-]\d{2}(?::?\d{2})?)?$",
    "email": rf"^[^{_NOT_IN_EMAIL}]+@(?:[^{_NOT_IN_EMAIL}.]+\.)+[^{_NOT_IN_EMAIL}.]{{2,}}$",
}
TYPE_WORDS: dict[str, str] = {
    "string": "text",
    "integer": "a whole number",
    "decimal": "a number",
    "float": "a number",
    "boolean": "yes or no (true/false, yes/no or 1/0)",
    "date": "a date, YYYY-MM-DD",
    "datetime": "a date and time, YYYY-MM-DD HH:MM, with Z or +HH:MM for the time zone",
    "email": "an e-mail address",
}


def _js(sep: str) -> str:
    """A separator in an ECMAScript pattern with the u flag (which refuses ``\\ ``)."""
    return r"\." if sep == "." else sep


def local_number_patterns(numbers: NumberFormat) -> dict[str, str]:
    """TYPE_PATTERNS of the number types as ``numbers`` writes them (1.234,56 in de-DE): one
    grouping separator throughout, in groups of three, as the workers read them."""
    dec = _js(numbers.decimal)
    groups = "|".join(_js(g) for g in numbers.groups)
    whole = rf"(?:\d+|\d{{1,3}}({groups})\d{{3}}(?:\1\d{{3}})*"
    if numbers.lakh:  # 12,34,567: the last three digits, then pairs
        g = _js(numbers.groups[0])
        whole += rf"|\d{{1,2}}(?:{g}\d{{2}})+{g}\d{{3}}"
    whole += ")"
    number = rf"[+-]?(?:{whole}(?:{dec}\d*)?|{dec}\d+)"
    return {
        "integer": rf"^[+-]?{whole}(?:{dec}0*)?$",
        "decimal": f"^{number}$",
        "float": rf"^(?:{number}|[+-]?(?:\d+{dec}?\d*|{dec}\d+)[eE][+-]?\d+)$",
    }


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def rules_in_words(column: Column, locale: Locale | None = None) -> str:
    """What a cell of the column must hold, as a sentence part: 'a whole number, at least 1';
    a number as ``locale`` writes it: 'a number written like 1.234,56'."""
    parts = [TYPE_WORDS[column.type]]
    if locale is not None and column.type in NUMBER_TYPES:
        example = locale.example_number  # 1.234,56; a whole number without the fraction
        parts[0] += f" written like {example[:-3] if column.type == 'integer' else example}"
    if column.pattern:
        parts.append(column.pattern_description or f"matching the pattern {column.pattern}")
    if column.min is not None and column.max is not None:
        parts.append(f"between {_number(column.min)} and {_number(column.max)}")
    elif column.min is not None:
        parts.append(f"at least {_number(column.min)}")
    elif column.max is not None:
        parts.append(f"at most {_number(column.max)}")
    if column.scale is not None:
        places = "decimal place" if column.scale == 1 else "decimal places"
        parts.append(f"up to {column.scale} {places}")
    if column.precision is not None:
        parts.append(f"up to {column.precision} digits in all")
    if column.max_length is not None:
        parts.append(f"up to {column.max_length} characters")
    if column.enum:
        parts.append(f"one of {', '.join(column.enum)}")
    if column.excel_serial:
        parts.append("or an Excel serial date")
    if column.formats:
        parts.append(f"or written {' or '.join(column.formats)}")
    if column.true_values or column.false_values:
        words = [
            *(f"{w} for yes" for w in column.true_values),
            *(f"{w} for no" for w in column.false_values),
        ]
        parts.append(f"or {', '.join(words)}")
    return ", ".join(parts)


def example_value(column: Column) -> str | None:
    """A value that passes the column's rules: the dataset's own example when it has one,
    else one made for its type (None for a pattern, which no made-up text can be sure of)."""
    if column.example is not None:
        return column.example
    if column.enum:
        return column.enum[0]
    if column.pattern:
        return None
    low = column.min if column.min is not None else None
    if column.type == "integer":
        value = 42 if low is None or low <= 42 else int(low)
        if column.max is not None and value > column.max:
            value = int(column.max)
        return str(value)
    if column.type in ("decimal", "float"):
        places = column.scale if column.scale is not None else 2
        whole = 19 if low is None or low <= 19 else int(low)
        return f"{whole}.{'9' * places}" if places else str(whole)
    return {
        "boolean": "true",
        "date": "2024-03-01",
        "datetime": "2024-03-01 14:30:00Z",
        "email": "ana@example.com",
    }.get(column.type, "some text")


def _type_pattern(locale: Locale | None, column: Column) -> str | None:
    """The shape of the column's text: a number's as the reading locale writes it; the other
    types' when they do not depend on a locale, nor on the column's own forms and words (then
    the workers alone judge it)."""
    if column.formats or column.true_values or column.false_values:
        return None
    if locale is None:
        return TYPE_PATTERNS.get(column.type)
    if column.type in NUMBER_TYPES:
        return local_number_patterns(locale.numbers)[column.type]
    return TYPE_PATTERNS[column.type] if column.type == "email" else None


def _example(column: Column, locale: Locale | None) -> str | None:
    """example_value, a made-up number written with the locale's decimal separator."""
    value = example_value(column)
    if value is None or locale is None or column.example is not None:
        return value
    return value.replace(".", locale.numbers.decimal) if column.type in NUMBER_TYPES else value


def cell_json_schema(dataset: Dataset, locale: str | None = None) -> dict[str, Any]:
    """JSON Schema (2020-12) of one row as cell text, written as the reading locale ``locale``
    (a supported tag; default: the dataset's) writes it. Besides the standard keywords, each
    property has ``x-bulkflow-type`` (the column's type) and, for numbers, ``x-decimal`` and
    ``x-groups`` (the separators the text writes), ``x-minimum``, ``x-maximum`` and
    ``x-scale``, which apply to the number the text holds. Raises LocaleError for a tag no
    locale has."""
    tag = locale or dataset.locale
    reading = resolve_locale(tag) if tag else None
    numbers = reading.numbers if reading else DEFAULT_NUMBERS
    properties: dict[str, Any] = {}
    for column in dataset.columns:
        patterns = [p for p in (_type_pattern(reading, column), column.pattern) if p]
        prop: dict[str, Any] = {
            "type": "string" if column.required else ["string", "null"],
            "title": column.name,
            "description": rules_in_words(column, reading),
            "examples": [e for e in [_example(column, reading)] if e is not None],
            "x-bulkflow-type": column.type,
            "allOf": [{"pattern": p} for p in patterns],
        }
        if column.type in NUMBER_TYPES:
            prop["x-decimal"], prop["x-groups"] = numbers.decimal, list(numbers.groups)
        if column.required:
            prop["minLength"] = 1
        if column.max_length is not None:
            prop["maxLength"] = column.max_length
        if column.enum:
            prop["enum"] = list(column.enum)
        for keyword, value in (("x-minimum", column.min), ("x-maximum", column.max)):
            if value is not None:
                prop[keyword] = value
        if column.scale is not None:
            prop["x-scale"] = column.scale
        properties[column.name] = prop
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"a row of {dataset.name}, as cell text",
        "type": "object",
        "properties": properties,
        "required": [c.name for c in dataset.columns if c.required],
    }
