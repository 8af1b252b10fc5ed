"""Detection's tie-break: of candidate locales that read every sampled value alike, the one
whose language writes the letters the file's text holds.

A Polish file of amounts like 1 234,56 and ISO dates reads alike in fr-FR, pl-PL and cs-CZ;
its names and notes ('Łódź', 'Gdańsk') say Polish. Only letters one language of the table
writes and its neighbours do not count (Polish ł, Czech ř, German ß); where none is found,
the first candidate of the table stands. The values read the same either way: the tie-break
names the locale a person recognises as theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from schemas.locales import Locale

# a language's own letters, lower case: written in its words, rarely in its neighbours'
OWN_LETTERS = {
    "pl": "ąćęłńśźż",
    "cs": "ěřů",
    "sk": "ľĺŕ",
    "hu": "őű",
    "ro": "ășțşţ",
    "hr": "đ",
    "tr": "ğı",
    "de": "ß",
    "fr": "èêëîïûùÿœ",
    "es": "ñ",
    "pt": "ãõ",
    "da": "æø",
    "nb": "æø",
    "uk": "ґєії",
    "ru": "ыэё",
    "vi": "ơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
    "lt": "ėįųū",
    "lv": "āēģīķļņ",
    "sr": "ђћџљњј",
}
# text cells looked at, at most: enough for a file's names and notes to show their letters
TEXT_CELLS = 2_000


def by_letters(candidates: Sequence[Locale], batches: Iterable[pa.RecordBatch]) -> Locale:
    """The candidate whose language's own letters the batches' text cells hold most; the
    first candidate when none holds any (or only one candidate is left)."""
    languages = {loc.tag.split("-")[0] for loc in candidates}
    letters = {lang: OWN_LETTERS[lang] for lang in languages if lang in OWN_LETTERS}
    if len(candidates) < 2 or not letters:
        return candidates[0]
    text = _text(batches)
    counts = {lang: sum(text.count(ch) for ch in own) for lang, own in letters.items()}
    best = max(counts.values())
    if best == 0:
        return candidates[0]
    return next(loc for loc in candidates if counts.get(loc.tag.split("-")[0]) == best)


def _text(batches: Iterable[pa.RecordBatch]) -> str:
    """The first TEXT_CELLS rows' text cells, lower case, as one string."""
    pieces: list[str] = []
    rows = 0
    for batch in batches:
        if rows >= TEXT_CELLS:
            break
        batch = batch.slice(0, TEXT_CELLS - rows)
        rows += batch.num_rows
        for column in batch.columns:
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                pieces += pc.utf8_lower(column).drop_null().to_pylist()
    return "\n".join(pieces)
