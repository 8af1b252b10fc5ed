"""The locale table, locale tags, date forms and the dataset rules that use them."""

from __future__ import annotations

import re

import pytest

from schemas.dataset import parse_dataset
from schemas.date_forms import FormError, compile_form
from schemas.errors import DatasetError
from schemas.locales import (
    LANGUAGE_DEFAULTS,
    LOCALES,
    LocaleError,
    describe_reading,
    resolve_locale,
)
from tests.conftest import REPO_ROOT

REQUIRED = {"en-US", "en-GB", "de-DE", "de-AT", "de-CH", "fr-FR", "fr-CH", "pt-BR", "es-ES"}


def test_the_table_holds_the_locales_people_ask_for() -> None:
    assert REQUIRED | {"it-IT", "nl-NL", "pl-PL"} <= set(LOCALES)
    for loc in LOCALES.values():
        assert loc.numbers.decimal not in loc.numbers.groups, loc.tag
        assert len(loc.true_words) == len(set(loc.true_words)), loc.tag
        assert not (loc.words(True) & loc.words(False)), loc.tag  # no word means both


@pytest.mark.parametrize(
    ("tag", "found"),
    [("de-DE", "de-DE"), ("de_de", "de-DE"), (" DE-ch ", "de-CH"), ("de", "de-DE"),
     ("pt", "pt-BR"), ("en", "en-US"), ("fr", "fr-FR"), ("no", "nb-NO"), ("fr-CA", "fr-CA"),
     ("sr-Latn-RS", "sr-RS"), ("sr_Cyrl_RS", "sr-RS"), ("sl", "sl-SI"), ("et", "et-EE")],
)  # fmt: skip
def test_tags_in_any_case_and_languages_alone(tag: str, found: str) -> None:
    assert resolve_locale(tag).tag == found


def test_docs_locales_md_lists_every_locale_and_language() -> None:
    text = (REPO_ROOT / "docs" / "locales.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ")}
    assert set(LOCALES) <= rows
    joined = " ".join(text.split())
    for language, tag in LANGUAGE_DEFAULTS.items():
        assert f"`{language}`" in joined and tag in joined, language


def test_every_language_default_is_in_the_table() -> None:
    assert set(LANGUAGE_DEFAULTS.values()) <= set(LOCALES)


@pytest.mark.parametrize("tag", ["xx-YY", "de-LU", "german", ""])
def test_an_unknown_tag_lists_what_is_supported(tag: str) -> None:
    with pytest.raises(LocaleError) as caught:
        resolve_locale(tag)
    message = str(caught.value)
    assert message.startswith(f"unsupported locale {tag!r}: use one of ")
    assert "de-DE" in message and "en-US" in message and "\n" not in message


def test_the_reading_says_what_was_assumed_and_why() -> None:
    assert describe_reading("de-DE", "detected", None) == (
        "read as de-DE: decimal comma, day-first dates (detected)"
    )
    assert describe_reading("en-US", "chosen", None) == (
        "read as en-US: decimal point, month-first dates (chosen)"
    )
    assert describe_reading("ja-JP", "dataset", None).endswith(
        "year-first dates (the dataset's locale)"
    )
    assert describe_reading(None, None, "no locale detected: x") == (
        "read without a locale: decimal point, dates as YYYY-MM-DD; no locale detected: x"
    )


def test_date_forms_compile_to_strptime_and_a_pattern() -> None:
    form = compile_form("DD.MM.YYYY HH:mm", "datetime")
    assert form.strptime == "%d.%m.%Y %H:%M"
    match = form.regex.fullmatch("2.7.2024   9:05")
    assert match and match.group("day", "month", "year", "hour", "minute") == (
        "2", "7", "2024", "9", "05"
    )  # fmt: skip
    assert compile_form("MM/DD/YYYY hh:mm A", "datetime").strptime == "%m/%d/%Y %I:%M %p"
    assert compile_form("YYYY-MM-DDTHH:mm:ss", "datetime").strptime == "%Y-%m-%dT%H:%M:%S"
    assert compile_form("DD%MM%YYYY", "date").strptime == "%d%%%m%%%Y"


@pytest.mark.parametrize(
    ("form", "kind", "says"),
    [
        ("DD.MM.YY", "date", "two-digit years (YY) are not supported; use YYYY"),
        ("DD.MM.YYYY HH:mm", "date", "a date column's form has no time of day"),
        ("DD.MM", "date", "a date form needs the year"),
        ("DD.MM.YYYY.DD", "date", "the day appears more than once"),
        ("MMMM DD YYYY", "date", "'MMMM' is not a part of a date form"),
        ("DD.MM.YYYY hh:mm", "datetime", "hh (1-12) and A (AM/PM) go together"),
        ("DD.MM.YYYY HH", "datetime", "a time of day needs the minutes (mm)"),
        ("DD.MM.YYYY HH:mm A", "datetime", "hh (1-12) and A (AM/PM) go together"),
        ("Do MMM YYYY", "date", "'o' is not a part of a date form"),
        ("  ", "date", "cannot be empty"),
    ],
)
def test_a_bad_form_says_what_is_wrong(form: str, kind: str, says: str) -> None:
    with pytest.raises(FormError, match=says.replace("(", r"\(").replace(")", r"\)")):
        compile_form(form, kind)  # type: ignore[arg-type]


def _dataset(**extra: object) -> dict[str, object]:
    return {"name": "t", "columns": [{"name": "v", "type": "date"}], **extra}


def test_a_dataset_names_its_locale_and_columns_their_forms_and_words() -> None:
    dataset = parse_dataset(
        {
            "name": "t",
            "locale": "de",
            "columns": [
                {"name": "d", "type": "date", "formats": ["DD.MM.YYYY"]},
                {"name": "b", "type": "boolean", "true_values": ["X"], "false_values": ["-"]},
            ],
        }
    )
    assert dataset.locale == "de-DE"
    assert dataset.columns[0].formats == ("DD.MM.YYYY",)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (_dataset(locale="xx"), "locale: Value error, unsupported locale 'xx'"),
        (
            {"name": "t", "columns": [{"name": "v", "type": "date", "formats": ["DD.MM.YY"]}]},
            "formats: 'DD.MM.YY': two-digit years",
        ),
        (
            {"name": "t", "columns": [{"name": "v", "type": "string", "formats": ["DD"]}]},
            "formats apply to date and datetime columns, not string",
        ),
        (
            {"name": "t", "columns": [{"name": "v", "type": "integer", "true_values": ["x"]}]},
            "true_values and false_values apply to boolean columns, not integer",
        ),
        (
            {"name": "t", "columns": [{"name": "v", "type": "boolean", "true_values": ["no"]}]},
            "no would mean both true and false",
        ),
        (
            {
                "name": "t",
                "columns": [
                    {"name": "v", "type": "boolean", "true_values": ["X"], "false_values": ["x"]}
                ],
            },
            "x would mean both true and false",
        ),
    ],
)
def test_a_bad_locale_rule_stops_the_dataset_at_load(data: dict[str, object], says: str) -> None:
    with pytest.raises(DatasetError, match=says):
        parse_dataset(data)


def test_the_pages_check_of_a_cell_leaves_local_forms_to_the_workers() -> None:
    from schemas.cell_rules import cell_json_schema, rules_in_words

    plain = parse_dataset(
        {
            "name": "t",
            "columns": [
                {"name": "d", "type": "date", "formats": ["DD.MM.YYYY"]},
                {"name": "b", "type": "boolean", "true_values": ["X"], "false_values": ["-"]},
                {"name": "n", "type": "decimal"},
                {"name": "c", "type": "string", "pattern": "^[A-Z]{2}$"},
            ],
        }
    )
    assert rules_in_words(plain.columns[0]) == "a date, YYYY-MM-DD, or written DD.MM.YYYY"
    assert rules_in_words(plain.columns[1]).endswith("or X for yes, - for no")
    patterns = {
        name: [p["pattern"] for p in prop["allOf"]]
        for name, prop in cell_json_schema(plain)["properties"].items()
    }
    assert patterns["d"] == [] and patterns["b"] == []  # the column's own forms and words
    assert len(patterns["n"]) == 1  # without a locale the browser knows the number's shape
    german = plain.model_copy(update={"locale": "de-DE"})
    local = {n: p["allOf"] for n, p in cell_json_schema(german)["properties"].items()}
    assert local["c"] == [{"pattern": "^[A-Z]{2}$"}]
    assert re.search(local["n"][0]["pattern"], "1.234,5")  # a number as the locale writes it
