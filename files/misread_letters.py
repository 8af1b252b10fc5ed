"""Whether text decoded in one code page reads as words: how many of its characters no word is
written with.

A central European file read in Windows-1252 puts symbols where its letters were: Polish
'Białystok', 'ważne', 'Łódź' read 'Bia³ystok', 'wa¿ne', '£ódŸ', Slovak 'Poľsko' reads
'Po¾sko'. Counting such characters in each reading tells the code page a file was saved in
where too few bytes remain to judge by their statistics. Only what no western text writes
counts: a control character beside a letter; a symbol inside a word (not an apostrophe, a
dash or Catalan's middle dot); a capital that ends a word after a small letter ('£ódŸ'); a
word of two scripts (Latin letters read as Cyrillic or Greek ones). A symbol at a word's edge
('m³', 'Brand™', '£m', '°C') does not.
"""

from __future__ import annotations

import re
import unicodedata

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# written inside words of western text: apostrophes, dashes, Catalan's l·l
_INSIDE_WORDS = frozenset("’‘´ʼ·–—")
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def misreadings(text: str) -> int:
    """How many non-ASCII characters of ``text`` no word is written with (see the module)."""
    found = 0
    last = len(text) - 1
    for match in _NON_ASCII.finditer(text):
        at = match.start()
        char = match.group()
        before = text[at - 1] if at > 0 else " "
        after = text[at + 1] if at < last else " "
        if _misread(char, before, after):
            found += 1
    return found


def _misread(char: str, before: str, after: str) -> bool:
    kind = unicodedata.category(char)
    if kind == "Cc":  # a C1 control: a byte the code page does not define as a character
        return before.isalpha() or after.isalpha()
    if not kind.startswith("L"):
        return before.isalpha() and after.isalpha() and char not in _INSIDE_WORDS
    if char.isupper() and before.islower() and not after.isalpha():
        return True
    script = _script(char)
    return bool(script) and any(_script(c) not in ("", script) for c in (before, after))


def _script(char: str) -> str:
    """LATIN, CYRILLIC or GREEK for a letter of one of them, else ''."""
    if not char.isalpha():
        return ""
    word = unicodedata.name(char, "").split(" ", 1)[0]
    return word if word in _SCRIPTS else ""
