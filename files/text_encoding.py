"""The text encoding of an uploaded CSV or JSON Lines file, from its first bytes.

A byte-order mark wins, then an encoding the upload declares, then UTF-8 when the sample
decodes as such. A file in none of those was saved by a spreadsheet app in its system's
legacy code page: Windows-1252 in western Europe and the Americas, Windows-1250 in central
Europe, Windows-1251 for Cyrillic, Shift-JIS in Japan, GBK in China, Mac Roman on old Macs.
The upload's reading locale names its language's code page; without one, charset-normalizer
judges which decoding reads as text, and Windows-1252 wins whenever it reads cleanly (or the
file holds too few non-ASCII bytes to judge): short Latin text decodes cleanly in several
code pages, and western files are the common case. Unless Windows-1252 puts symbols inside
words that another code page reads as letters: Polish 'Bia³ystok' is 'Białystok' in
Windows-1250, German 'Stra§e' is 'Straße' in Mac Roman. Windows-1252 chosen so, by default,
says so (``Encoding.by_default``): a locale detected from the file afterwards names its own
page.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from files.misread_letters import misreadings
from schemas.errors import ParseError, ParseErrorKind

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    # utf-16 (not -le/-be) so the decoder reads and drops the BOM itself
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# the legacy code page of a locale (by its tag, else its language), where not Windows-1252
CODE_PAGES = {
    "cs": "cp1250", "pl": "cp1250", "ro": "cp1250", "hu": "cp1250", "sk": "cp1250", "hr": "cp1250",
    "sl": "cp1250", "sr": "cp1250", "lt": "cp1257", "lv": "cp1257", "et": "cp1257",
    "ru": "cp1251", "uk": "cp1251", "bg": "cp1251",
    "el": "cp1253", "tr": "cp1254", "he": "cp1255", "vi": "cp1258",
    "ja": "cp932", "zh": "gb18030", "zh-tw": "big5", "ko": "cp949",
}  # fmt: skip
WESTERN = "cp1252"
# fewer non-ASCII bytes than this are too few to judge by, unless Windows-1252 reads them as a
# run of accented letters: Windows-1252 when it decodes them, else Latin-1 (any byte)
MIN_JUDGED = 8
_ASCII = bytes(range(128))
_FOREIGN_RUN = re.compile("[\u00c0-\u00ff]{4,}")
# how a person names a file's encoding
DECLARE = "the upload's encoding field, bulkflow upload --encoding"
# the code pages a sample read in Windows-1252 with symbols inside its words is tried in:
# central European first (the most common of them), old Macs' last ('Stra§e': Straße)
WORD_PAGES = ["cp1250", "cp1257", "cp1254", "cp1253", "cp1251", "mac_roman"]
# the code pages a file without a locale is judged among
SINGLE_BYTE = [WESTERN, "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "mac_roman"]
CANDIDATES = [*SINGLE_BYTE, "cp932", "gb18030", "cp949", "big5"]
# what a person reads in a status: the encodings by the names their apps give them
NAMES = {
    "cp1250": "Windows-1250 (central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1252": "Windows-1252 (western European)",
    "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1255": "Windows-1255 (Hebrew)",
    "cp1258": "Windows-1258 (Vietnamese)",
    "cp1257": "Windows-1257 (Baltic)",
    "mac-roman": "Mac Roman",
    "cp932": "Shift-JIS (Japanese)",
    "gb18030": "GBK (Chinese)",
    "cp949": "EUC-KR (Korean)",
    "big5": "Big5 (traditional Chinese)",
    "latin-1": "Latin-1",
}


def _decodes(sample: bytes, name: str) -> bool:
    try:
        # not final: the sample may end in the middle of a character
        codecs.getincrementaldecoder(name)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _judged(sample: bytes, candidates: list[str]) -> str | None:
    """The candidate code page charset-normalizer reads ``sample`` best in; Windows-1252
    whenever it is among the decodings that read as text."""
    from charset_normalizer import from_bytes

    matches = from_bytes(sample, cp_isolation=candidates)
    readable = {name for match in matches for name in match.could_be_from_charset}
    if WESTERN in readable:
        return WESTERN
    best = matches.best()
    return None if best is None else codecs.lookup(best.encoding).name


@dataclass(frozen=True)
class Encoding:
    name: str  # a Python codec name
    # the western default, chosen for want of evidence (no BOM, declaration, UTF-8 or
    # locale; Windows-1252 read cleanly, or too few bytes to judge): a locale detected from
    # the file afterwards names a better one (producer/reading.py)
    by_default: bool = False


def locale_code_page(locale: str | None) -> str | None:
    """The legacy code page a locale's language writes, where not Windows-1252."""
    tag = (locale or "").replace("_", "-").casefold()
    return CODE_PAGES.get(tag) or CODE_PAGES.get(tag.split("-")[0])


def choose_encoding(
    sample: bytes, declared: str | None = None, locale: str | None = None
) -> Encoding:
    """The encoding of ``sample``, the first bytes of a file (see the module)."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return Encoding(name)
    if declared:
        try:
            return Encoding(codecs.lookup(declared).name)
        except LookupError as exc:
            raise ParseError(
                f"unknown text encoding {declared!r}", kind=ParseErrorKind.ENCODING
            ) from exc
    if _decodes(sample, "utf-8"):
        return Encoding("utf-8")
    hinted = locale_code_page(locale)
    if hinted and _decodes(sample, hinted):
        return Encoding(codecs.lookup(hinted).name)
    western = _decodes(sample, WESTERN)
    fallback = Encoding(WESTERN if western else "latin-1", by_default=True)
    # a run of accented letters no western word has ('Ìîñêâà': Москва in Windows-1251)
    foreign = western and _FOREIGN_RUN.search(sample.decode(WESTERN)) is not None
    if len(sample.translate(None, _ASCII)) >= MIN_JUDGED:
        candidates = CANDIDATES
    elif foreign:  # worth judging even when short, among the pages of one byte a letter
        candidates = SINGLE_BYTE
    else:
        return _as_words(sample, fallback)
    if foreign:
        candidates = [name for name in candidates if name != WESTERN]
    judged = _judged(sample, candidates)
    if judged is None or judged == WESTERN:
        return _as_words(sample, fallback)
    return Encoding(judged)


def _as_words(sample: bytes, western: Encoding) -> Encoding:
    """``western``, unless it puts symbols inside words ('Bia³ystok') that another code page
    reads as letters ('Białystok'): then that page (files/misread_letters.py)."""
    if not misreadings(decode_sample(sample, western.name), at_most=1):
        return western
    for name in WORD_PAGES:
        if _decodes(sample, name) and not misreadings(decode_sample(sample, name), at_most=1):
            return Encoding(name)
    return western


def detect_encoding(sample: bytes, declared: str | None = None, locale: str | None = None) -> str:
    """A Python codec name for ``sample`` (choose_encoding's)."""
    return choose_encoding(sample, declared, locale).name


def encoding_name(encoding: str) -> str:
    """How a person knows ``encoding`` (a Python codec name)."""
    name = codecs.lookup(encoding).name
    return NAMES.get(name, name)


def decode_sample(sample: bytes, encoding: str) -> str:
    """Decode the start of a file, tolerating a character cut at the sample's end."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"the file is not valid {encoding} text (byte {exc.start + 1}); "
            f"save it as UTF-8 or name its encoding ({DECLARE})",
            kind=ParseErrorKind.ENCODING,
        ) from exc
