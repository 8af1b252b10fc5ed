"""Whether text decoded in one code page reads as words: how many of its characters no word is
written with.

A central European file read in Windows-1252 puts symbols where its letters were: Polish
'Białystok', 'ważne', 'Łódź' read 'Bia³ystok', 'wa¿ne', '£ódŸ', Slovak 'Poľsko' reads
'Po¾sko'. Counting such characters in each reading tells the code page a file was saved in
where too few bytes remain to judge by their statistics. Only what no western text writes
counts: a control character beside a letter; a symbol inside a word (not an apostrophe, a
dash or Catalan's middle dot); a capital that ends a word after a small letter ('£ódŸ'); a
word of two scripts (Latin letters read as Cyrillic or Greek ones); a word of two code pages'
letters (Croatian 'Božić' as 'Božiæ'). A symbol at a word's edge ('m³', 'Brand™', '£m', '°C')
does not.
"""

from __future__ import annotations

import re
import unicodedata

# written inside words of western text: apostrophes, dashes, Catalan's l·l
_INSIDE_WORDS = frozenset("’‘´ʼ·–—")
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
# Windows-1250 and Windows-1252 share š and ž; where Windows-1250 writes č ć đ ě ř ů ň ď,
# Windows-1252 reads è æ ð ì ø ù ò ï. No language writes both kinds in one word: 'Božiæ'
# (Božić), 'Pøíšerný' (Příšerný)
_SHARED = frozenset("šžŠŽ")
_TWO_PAGES_WORD = re.compile(r"[šžŠŽ]\w*[èæðìøùòïÈÆÐÌØÙÒÏ]|[èæðìøùòïÈÆÐÌØÙÒÏ]\w*[šžŠŽ]")


def misreadings(text: str, at_most: int | None = None) -> int:
    """How many non-ASCII characters of ``text`` no word is written with (see the module);
    counted up to ``at_most``, when given."""
    found = 0
    if not _SHARED.isdisjoint(text):
        for _word in _TWO_PAGES_WORD.finditer(text):
            found += 1
            if found == at_most:
                return found
    suspects = _suspects(text)
    if not suspects:
        return found
    last = len(text) - 1
    pattern = re.compile("[" + "".join(map(re.escape, sorted(suspects))) + "]")
    for match in pattern.finditer(text):
        at = match.start()
        before = text[at - 1] if at > 0 else " "
        after = text[at + 1] if at < last else " "
        if _misread(match.group(), before, after):
            found += 1
            if found == at_most:
                break
    return found


def _suspects(text: str) -> set[str]:
    """The distinct non-ASCII characters that may be misread where they stand: all but small
    letters, and those too when the text holds Cyrillic or Greek ones (a word of two scripts).
    Looking only at these keeps a long western text, rich in small accented letters, cheap."""
    foreign = {char for char in set(text) if char > "\x7f"}
    if any(_script(char) not in ("", "LATIN") for char in foreign):
        return foreign
    return {char for char in foreign if not char.islower()}


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
