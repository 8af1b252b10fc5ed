"""Reading locales: how the text of an upload writes numbers, dates and true/false.

A locale is chosen per upload (the ``locale`` form field, ``--locale``, the page), set per
dataset (``locale:``) or detected by the producer from the file (producer/locale_detect.py);
it travels with the job (upload record, ``registered`` event, chunk headers) and the worker
parses cell text by it. Typed spreadsheet cells never depend on it. Without one, text is
read as before: a decimal point, ISO dates, English words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from schemas.date_forms import DateForm, FormKind, compile_form
from schemas.errors import ConfigError

DateOrder = Literal["DMY", "MDY", "YMD"]
# corrected: a correction's, taken from the job it corrects (api/accept_upload.py)
LocaleSource = Literal["chosen", "dataset", "detected", "corrected"]
NBSP, NNBSP = "\u00a0", "\u202f"
SPACES = (" ", NBSP, NNBSP)
# the words every reading takes, with or without a locale (compared case-insensitively)
TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})
ORDER_TEXT = {"DMY": "day-first", "MDY": "month-first", "YMD": "year-first"}


class LocaleError(ConfigError):
    """An unknown or unsupported locale tag."""


@dataclass(frozen=True)
class NumberFormat:
    decimal: str  # "," or "."
    groups: tuple[str, ...]  # thousands separators, one of them per number
    # Indian grouping besides: the last three digits, then pairs (12,34,567), by the first
    # of ``groups``
    lakh: bool = False

    @property
    def name(self) -> str:
        return "decimal comma" if self.decimal == "," else "decimal point"


# without a locale: 1,234.56 and 1 234.56, as before locales existed
DEFAULT_NUMBERS = NumberFormat(".", (",", *SPACES))


@dataclass(frozen=True)
class Locale:
    tag: str  # BCP 47, as shown
    name: str
    numbers: NumberFormat
    date_order: DateOrder
    # the separators of its dates, the usual one first ('. ' takes '.' with or without the
    # space: hu-HU writes 2024. 12. 31.)
    date_seps: tuple[str, ...]
    true_words: tuple[str, ...] = ()  # besides the English ones
    false_words: tuple[str, ...] = ()
    # a mark its dates may end in, before a time (the '.' of 2024. 12. 31., the ' г.' of
    # 31.12.2024 г.)
    date_end: str = ""

    @property
    def summary(self) -> str:
        """'decimal comma, day-first dates'."""
        return f"{self.numbers.name}, {ORDER_TEXT[self.date_order]} dates"

    @property
    def example_number(self) -> str:
        group = self.numbers.groups[0]
        return f"1{group}234{self.numbers.decimal}56"

    def date_forms(self, kind: FormKind) -> tuple[DateForm, ...]:
        """Its forms, the usual separator first; ISO dates are read by every locale besides."""
        return _date_forms(self.date_order, self.date_seps, self.date_end, kind)

    def words(self, value: bool) -> frozenset[str]:
        """Its words for ``value``, English included, in every case form compared."""
        return _words(self.true_words if value else self.false_words, value)


@lru_cache(maxsize=256)
def _words(own: tuple[str, ...], value: bool) -> frozenset[str]:
    return (TRUE_WORDS if value else FALSE_WORDS) | fold_words(own)


def fold_words(words: tuple[str, ...] | list[str]) -> frozenset[str]:
    """The words as a case-insensitive comparison meets them: lower case, and the lower case
    of their capitals (Excel writes WAHR, FAŁSZ, YANLIŞ)."""
    found: set[str] = set()
    for word in words:
        for form in (word, word.upper()):
            found.update({form.lower(), form.casefold()})
    return frozenset(found)


_DOT, _COMMA, _SWISS, _SPACE = (".",), (",",), ("'", "\u2019"), SPACES[:2]
_DE = (("ja", "wahr"), ("nein", "falsch"))
_FR = (("oui", "vrai"), ("non", "faux"))
_IT = (("sì", "si", "vero"), ("no", "falso"))
_ES = (("sí", "si", "verdadero"), ("no", "falso"))
_PT = (("sim", "verdadeiro"), ("não", "nao", "falso"))
_NL = (("ja", "waar"), ("nee", "onwaar"))
_PL = (("tak", "prawda"), ("nie", "fałsz"))
_DA = (("ja", "sand"), ("nej", "falsk"))
_NB = (("ja", "sann"), ("nei", "usann"))
_FI = (("kyllä", "tosi"), ("ei", "epätosi"))
_CS = (("ano", "pravda"), ("ne", "nepravda"))
_TR = (("evet", "doğru"), ("hayır", "yanlış"))
_RU = (("да", "истина"), ("нет", "ложь"))
_SV = (("ja", "sant"), ("nej", "falskt"))
_ZH = (("是", "真"), ("否", "假"))
_UK = (("так", "істина"), ("ні", "хибність"))
_EL = (("ναι", "αληθές", "αληθες"), ("όχι", "οχι", "ψευδές", "ψευδες"))
_RO = (("da", "adevărat", "adevarat"), ("nu", "fals"))
_KO = (("예", "참"), ("아니요", "거짓"))
_ID = (("ya", "benar"), ("tidak", "salah"))
_VI = (("có", "đúng"), ("không", "sai"))
_HE = (("כן", "אמת"), ("לא", "שקר"))
_HU = (("igen", "igaz"), ("nem", "hamis"))
_SK = (("áno", "pravda"), ("nie", "nepravda"))
_HR = (("da", "točno", "istina"), ("ne", "netočno", "laž"))
_BG = (("да", "истина"), ("не", "неистина"))
_SR = (("da", "tačno", "да", "тачно"), ("ne", "netačno", "не", "нетачно"))
_SL = (("da",), ("ne",))
_LT = (("taip",), ("ne",))
_LV = (("jā", "ja"), ("nē", "ne"))
_ET = (("jah",), ("ei",))
_NONE: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
Words = tuple[tuple[str, ...], tuple[str, ...]]

# tag, name, decimal, groups, date order, date separators (usual first), (true, false) words.
# Detection prefers the earlier of two locales that read a file alike.
_TABLE: tuple[
    tuple[str, str, str, tuple[str, ...], DateOrder, str | tuple[str, ...], Words], ...
] = (
    ("en-US", "English (United States)", ".", _COMMA, "MDY", "/-.", _NONE),
    ("en-GB", "English (United Kingdom)", ".", _COMMA, "DMY", "/.-", _NONE),
    ("de-DE", "German (Germany)", ",", _DOT, "DMY", "./-", _DE),
    ("fr-FR", "French (France)", ",", SPACES, "DMY", "/.-", _FR),
    ("es-ES", "Spanish (Spain)", ",", _DOT, "DMY", "/-.", _ES),
    ("it-IT", "Italian (Italy)", ",", _DOT, "DMY", "/.-", _IT),
    ("pt-BR", "Portuguese (Brazil)", ",", _DOT, "DMY", "/-.", _PT),
    ("nl-NL", "Dutch (Netherlands)", ",", _DOT, "DMY", "-/.", _NL),
    ("pl-PL", "Polish (Poland)", ",", _SPACE, "DMY", ".-/", _PL),
    ("de-AT", "German (Austria)", ",", (".", *_SPACE), "DMY", "./-", _DE),
    ("de-CH", "German (Switzerland)", ".", _SWISS, "DMY", "./-", _DE),
    ("fr-CH", "French (Switzerland)", ".", _SWISS, "DMY", "./-", _FR),
    ("it-CH", "Italian (Switzerland)", ".", _SWISS, "DMY", "./-", _IT),
    ("fr-BE", "French (Belgium)", ",", (".", *SPACES), "DMY", "/.-", _FR),
    ("nl-BE", "Dutch (Belgium)", ",", _DOT, "DMY", "/-.", _NL),
    ("es-MX", "Spanish (Mexico)", ".", _COMMA, "DMY", "/-.", _ES),
    ("pt-PT", "Portuguese (Portugal)", ",", _SPACE, "DMY", "/-.", _PT),
    ("en-AU", "English (Australia)", ".", _COMMA, "DMY", "/.-", _NONE),
    ("da-DK", "Danish (Denmark)", ",", _DOT, "DMY", "-./", _DA),
    ("nb-NO", "Norwegian Bokmål (Norway)", ",", _SPACE, "DMY", ".-/", _NB),
    ("fi-FI", "Finnish (Finland)", ",", _SPACE, "DMY", ".-/", _FI),
    ("cs-CZ", "Czech (Czechia)", ",", _SPACE, "DMY", "./-", _CS),
    ("tr-TR", "Turkish (Türkiye)", ",", _DOT, "DMY", "./-", _TR),
    ("ru-RU", "Russian (Russia)", ",", _SPACE, "DMY", "./-", _RU),
    ("ja-JP", "Japanese (Japan)", ".", _COMMA, "YMD", "/-.", _NONE),
    ("zh-CN", "Chinese (China)", ".", _COMMA, "YMD", "/-.", _ZH),
    ("sv-SE", "Swedish (Sweden)", ",", _SPACE, "YMD", "-/.", _SV),
    ("uk-UA", "Ukrainian (Ukraine)", ",", _SPACE, "DMY", "./-", _UK),
    ("el-GR", "Greek (Greece)", ",", _DOT, "DMY", "/.-", _EL),
    ("ro-RO", "Romanian (Romania)", ",", _DOT, "DMY", "./-", _RO),
    ("ko-KR", "Korean (South Korea)", ".", _COMMA, "YMD", "-./", _KO),
    ("zh-TW", "Chinese (Taiwan)", ".", _COMMA, "YMD", "/-.", _ZH),
    ("es-AR", "Spanish (Argentina)", ",", _DOT, "DMY", "/-.", _ES),
    ("es-CO", "Spanish (Colombia)", ",", _DOT, "DMY", "/-.", _ES),
    ("id-ID", "Indonesian (Indonesia)", ",", _DOT, "DMY", "/-.", _ID),
    ("vi-VN", "Vietnamese (Vietnam)", ",", _DOT, "DMY", "/-.", _VI),
    ("he-IL", "Hebrew (Israel)", ".", _COMMA, "DMY", "/.-", _HE),
    ("en-IE", "English (Ireland)", ".", _COMMA, "DMY", "/.-", _NONE),
    ("en-NZ", "English (New Zealand)", ".", _COMMA, "DMY", "/.-", _NONE),
    ("en-IN", "English (India)", ".", _COMMA, "DMY", "/-.", _NONE),
    # before hu-HU: an English file of 2024/12/31 and 1 234,56 is South Africa's
    ("en-ZA", "English (South Africa)", ",", SPACES, "YMD", "/-", _NONE),
    ("hu-HU", "Hungarian (Hungary)", ",", _SPACE, "YMD", (". ", "-", "/"), _HU),
    ("sk-SK", "Slovak (Slovakia)", ",", _SPACE, "DMY", (". ", "-", "/"), _SK),
    ("hr-HR", "Croatian (Croatia)", ",", _DOT, "DMY", (". ", "/", "-"), _HR),
    ("bg-BG", "Bulgarian (Bulgaria)", ",", _SPACE, "DMY", "./-", _BG),
    ("sr-RS", "Serbian (Serbia)", ",", _DOT, "DMY", (". ", "/", "-"), _SR),
    ("sl-SI", "Slovenian (Slovenia)", ",", _DOT, "DMY", (". ", "/", "-"), _SL),
    ("lt-LT", "Lithuanian (Lithuania)", ",", _SPACE, "YMD", "-./", _LT),
    ("lv-LV", "Latvian (Latvia)", ",", _SPACE, "DMY", "./-", _LV),
    ("et-EE", "Estonian (Estonia)", ",", _SPACE, "DMY", "./-", _ET),
    ("en-CA", "English (Canada)", ".", _COMMA, "YMD", "-/", _NONE),
    ("fr-CA", "French (Canada)", ",", SPACES, "YMD", "-/", _FR),
)
# the locales whose dates may end in a mark of their own, and the mark (bg-BG: 'г.', for
# година, the year: 31.12.2024 г.)
_DATE_ENDS = {"hu-HU": ".", "hr-HR": ".", "bg-BG": " г.", "sr-RS": ".", "lv-LV": "."}
# the locales that group digits in lakhs and crores too (12,34,567.89)
_LAKH = {"en-IN"}
LOCALES: dict[str, Locale] = {
    tag: Locale(
        tag,
        name,
        NumberFormat(decimal, groups, tag in _LAKH),
        order,
        tuple(seps),
        words[0],
        words[1],
        _DATE_ENDS.get(tag, ""),
    )
    for tag, name, decimal, groups, order, seps, words in _TABLE
}
# a language alone means its most common region
LANGUAGE_DEFAULTS = {
    "en": "en-US", "de": "de-DE", "fr": "fr-FR", "es": "es-ES", "it": "it-IT", "pt": "pt-BR",
    "nl": "nl-NL", "pl": "pl-PL", "da": "da-DK", "nb": "nb-NO", "no": "nb-NO", "fi": "fi-FI",
    "cs": "cs-CZ", "tr": "tr-TR", "ru": "ru-RU", "sv": "sv-SE", "ja": "ja-JP", "zh": "zh-CN",
    "uk": "uk-UA", "el": "el-GR", "ro": "ro-RO", "ko": "ko-KR", "id": "id-ID", "vi": "vi-VN",
    "he": "he-IL", "hu": "hu-HU", "sk": "sk-SK", "hr": "hr-HR", "bg": "bg-BG", "sr": "sr-RS",
    "sl": "sl-SI", "lt": "lt-LT", "lv": "lv-LV", "et": "et-EE",
}  # fmt: skip
_BY_KEY = {tag.casefold(): tag for tag in LOCALES}


def supported_tags() -> str:
    return ", ".join(sorted(LOCALES))


def resolve_locale(tag: str) -> Locale:
    """The locale a BCP 47 tag names (any case, ``_`` for ``-``, a script subtag ignored; a
    language alone maps to its usual region); LocaleError, listing what is supported, for
    anything else."""
    key = tag.strip().replace("_", "-").casefold()
    parts = key.split("-")
    if len(parts) == 3 and len(parts[1]) == 4:  # a script between (sr-Latn-RS): one reading
        key = f"{parts[0]}-{parts[2]}"
    found = _BY_KEY.get(key) or LANGUAGE_DEFAULTS.get(key)
    if found is None:
        raise LocaleError(
            f"unsupported locale {tag.strip()!r}: use one of {supported_tags()} "
            f"(or a language alone: {', '.join(sorted(LANGUAGE_DEFAULTS))})"
        )
    return LOCALES[found]


def describe_reading(tag: str | None, source: LocaleSource | None, note: str | None) -> str:
    """What a person reads on the status, the page, the CLI and the errors CSV."""
    if tag is None:
        text = "read without a locale: decimal point, dates as YYYY-MM-DD"
        return f"{text}; {note}" if note else text
    how = {
        "chosen": "chosen",
        "dataset": "the dataset's locale",
        "detected": "detected",
        "corrected": "from the corrected upload",
    }
    return f"read as {tag}: {LOCALES[tag].summary} ({how[source or 'chosen']})"


_FIELDS = {"DMY": ("DD", "MM", "YYYY"), "MDY": ("MM", "DD", "YYYY"), "YMD": ("YYYY", "MM", "DD")}
# a date-time column's usual shape first; a date alone is midnight
_TIMES = (" HH:mm", " HH:mm:ss", "", " hh:mm A", " hh:mm:ss A")


@lru_cache(maxsize=64)
def _date_forms(
    order: DateOrder, seps: tuple[str, ...], end: str, kind: FormKind
) -> tuple[DateForm, ...]:
    times = _TIMES if kind == "datetime" else ("",)
    days = [sep.join(_FIELDS[order]) + mark for sep in seps for mark in dict.fromkeys(("", end))]
    return tuple(compile_form(day + time, kind) for day in days for time in times)
