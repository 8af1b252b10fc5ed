"""Numbers as a spreadsheet shows them, and saves them to CSV: amounts with their currency
('$1,234.50', '1.234,50 €', 'CHF 12.00', '-€5', '(£5.00)', accounting's negative) and
percentages ('15%', '12,5 %'). Pure: it splits off the currency, the sign or the percent
sign; the number itself is read by the column's number format
(stream_processors/text_rules.py).
"""

from __future__ import annotations

import re
from collections import Counter

# Symbols and ISO 4217 codes, written before or after the number; the longer of two that
# both match wins (US$ before $, kr. before kr).
SYMBOLS = (
    *("$", "US$", "A$", "C$", "NZ$", "HK$", "S$", "R$", "€", "£", "¥", "￥", "₹", "₽", "₺"),
    *("₩", "₪", "₫", "₴", "₦", "฿", "₱", "zł", "Kč", "kr", "kr.", "Fr.", "Ft", "lei"),
    *("Rs", "Rs."),
)
CODES = (
    *("EUR", "USD", "GBP", "CHF", "JPY", "CNY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF"),
    *("RON", "BGN", "TRY", "RUB", "UAH", "INR", "BRL", "MXN", "CAD", "AUD", "NZD", "ZAR"),
    *("SGD", "HKD", "KRW", "ILS", "AED", "SAR"),
)
# a symbol and the code of the one currency it names, so that '€5' and 'EUR 5' are alike
_CODE_OF = {
    **{"€": "EUR", "£": "GBP", "US$": "USD", "A$": "AUD", "C$": "CAD", "NZ$": "NZD"},
    **{"HK$": "HKD", "S$": "SGD", "R$": "BRL", "₹": "INR", "₽": "RUB", "₺": "TRY", "₩": "KRW"},
    **{"₪": "ILS", "₴": "UAH", "zł": "PLN", "Kč": "CZK", "Ft": "HUF", "Fr.": "CHF"},
    **{"lei": "RON", "Rs": "INR", "Rs.": "INR"},
}
# the symbols that name several: '$5' and 'MXN 5' may be one currency, '$5' and '€5' not
_DOLLARS = frozenset({"USD", "AUD", "CAD", "NZD", "HKD", "SGD", "MXN"})
_MAY_BE = {"$": _DOLLARS, "kr": frozenset({"SEK", "NOK", "DKK"}), "kr.": frozenset({"DKK"})}
_MAY_BE |= {"¥": frozenset({"JPY", "CNY"}), "￥": frozenset({"JPY", "CNY"})}
_MARK = "|".join(re.escape(m) for m in sorted((*SYMBOLS, *CODES), key=len, reverse=True))
_DIGITS = r"\d[\d\s.,']*\d|\d"  # a number as written, its separators read later
# RE2: a character no bare number holds (a currency's, say)
NOT_A_NUMBER_CHARACTER = r"[^\d\s\x{00A0}\x{202F}.,'’+\-]"
_MONEY = re.compile(
    rf"(?P<open>\()?(?P<s1>[+-])?\s*(?P<pre>{_MARK})?\s*(?P<s2>[+-])?"
    rf"(?P<num>{_DIGITS}|[.,]\d+)\s*(?P<post>{_MARK})?(?P<s3>-)?(?P<close>\))?"
)
MINUS_SIGN = "\u2212"  # typographic minus, as some office suites write negatives
# a negative without a currency: accounting's (5.00), SAP's 5.00-
_NEGATIVE = re.compile(rf"\(({_DIGITS})\)|({_DIGITS})-")
_PERCENT = re.compile(rf"([+-]?(?:{_DIGITS}|[.,]\d+))\s*%")

# The same for Arrow's RE2 (pyarrow.compute.replace_substring_regex): an amount with its
# currency before or after it, replaced by AMOUNT_NUMBER, its number; RE2's \s is ASCII, so
# the no-break spaces French writes are named
_RE2_SPACE = r"[\s\x{00A0}\x{202F}]"
_RE2_NUMBER = r"(\d(?:[\d.,'\x{00A0}\x{202F} ]*\d)?)"
_RE2_MARK = f"(?:{_MARK})"
_RE2_BEFORE = rf"[+-]?{_RE2_SPACE}*{_RE2_MARK}{_RE2_SPACE}*[+-]?{_RE2_NUMBER}"
_RE2_AFTER = rf"[+-]?{_RE2_NUMBER}{_RE2_SPACE}*{_RE2_MARK}-?"
_RE2_FORMS = (
    _RE2_BEFORE,
    _RE2_AFTER,
    rf"\({_RE2_BEFORE}\)",
    rf"\({_RE2_AFTER}\)",
    rf"\({_RE2_NUMBER}\)",
    rf"[+-]?{_RE2_NUMBER}{_RE2_SPACE}*%",
    rf"{_RE2_NUMBER}-",
)
AMOUNT_RE2 = "|".join(f"^{form}$" for form in _RE2_FORMS)
AMOUNT_NUMBER = r"\1\2\3\4\5\6\7"


def split_money(text: str) -> tuple[str, str, str] | None:
    """(sign, number text, currency) of an amount with one currency before or after it and
    at most one sign ('-' before or after either, or parentheses), or of a negative
    without one, '(5.00)' or '5.00-' (currency ''); None for anything else.
    The currency is its code where a symbol names one currency ('€' -> 'EUR'); '$', '¥'
    and 'kr' name several and stay as written."""
    text = text.strip()
    bare = _NEGATIVE.fullmatch(text)
    if bare is not None:
        return "-", (bare[1] or bare[2]).strip(), ""
    match = _MONEY.fullmatch(text)
    if match is None:
        return None
    pre, post = match["pre"], match["post"]
    if (pre is None) == (post is None) or (match["open"] is None) != (match["close"] is None):
        return None
    signs = [s for s in (match["s1"], match["s2"], match["s3"]) if s]
    if len(signs) + (match["open"] is not None) > 1:
        return None
    negative = match["open"] is not None or signs == ["-"]
    mark = pre or post
    return ("-" if negative else ""), match["num"].strip(), _CODE_OF.get(mark, mark)


def split_percent(text: str) -> str | None:
    """The number of a percentage ('15%' -> '15', '-12,5 %' -> '-12,5'); None for anything
    else."""
    match = _PERCENT.fullmatch(text.strip())
    return None if match is None else match[1].strip()


def _codes(currency: str) -> frozenset[str]:
    return _MAY_BE.get(currency, frozenset({currency}))


def mixed_currencies(amounts: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(position, message) for the amounts among ``amounts`` (position, cell text) in
    another currency than most of them (all of them, when no one currency has the most): a
    column read as plain numbers must not add up euros and dollars."""
    currency = {i: found[2] for i, text in amounts if (found := split_money(text)) and found[2]}
    named = Counter(currency.values())
    if len(named) < 2 or frozenset.intersection(*(_codes(c) for c in named)):
        return []
    (first, most), *rest = named.most_common()
    usual = _codes(first) if most > rest[0][1] else frozenset()
    problems = []
    for i, text in amounts:
        if i in currency and not usual & _codes(currency[i]):
            others = ", ".join(sorted(set(named) - {currency[i]}))
            problems.append(
                (
                    i,
                    f"'{text}' is in {currency[i]}, where other rows of this column are in "
                    f"{others}: give the column's amounts in one currency",
                )
            )
    return problems
