"""The streaming path's SAX handlers: where the time goes, so the common cell kinds are
inlined here rather than a call per element (cells.py holds the general rules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from producer.readers.xlsx.cells import (
    MISSING,
    OTHER,
    Cells,
    GenericCell,
    boolean_text,
    number_text,
)
from producer.readers.xlsx.constants import CACHE_MAX
from producer.readers.xlsx.refs import DIGITS, row_number
from producer.readers.xlsx.text import format_text

Place = Callable[[int, list[GenericCell]], None]


def install_handlers(
    parser: Any,
    cells: Cells,
    rows: list[list[str | None]],
    others: list[str | None],
    numbers: list[int],
    found: list[tuple[int, list[GenericCell]]],
) -> Callable[[dict[int, int]], Place]:
    """Set the parser's handlers; returns ``activate(slots)``, which switches from keeping
    whole rows in ``found`` (while the header is looked for) to filling the dataset's slots:
    each kept row's cell texts in ``rows``, whether it has text outside the dataset's
    columns in ``others`` and its sheet row number in ``numbers``."""
    strings = cells.strings
    date_styles = cells.date_styles
    columns = cells.columns
    floats: dict[str, str | None] = {}  # number text -> cell text, for repeated values
    date_style, column_of = cells.date_style, cells.column
    serial, convert = cells.serial, cells.convert
    parts: list[str] = []  # character data since the last <v> or <t>
    inline: list[str] = []  # the <t> texts of the current cell
    slots: dict[int, int] | None = None
    template: list[str | None] = []
    tag_c, tag_v, tag_t, tag_row, tag_is, tag_rph = "c", "v", "t", "row", "is", "rPh"
    text_tags = (tag_v, tag_t)
    cell: dict[str, str] = {}
    raw: str | None = None
    has_inline = phonetic = generic = False
    number = column = 0
    values: list[str | None] = []
    other: str | None = None
    kept: list[GenericCell] = []

    def place(at: int, row: list[GenericCell]) -> None:
        assert slots is not None
        filled = template.copy()
        mark = None
        for col, _, text in row:
            if text is not None:
                slot = slots.get(col)
                if slot is not None:
                    filled[slot] = text
                else:
                    mark = OTHER
        if mark is not None or filled != template:
            rows.append(filled)
            others.append(mark)
            numbers.append(at)

    def activate(new_slots: dict[int, int]) -> Place:
        nonlocal slots, template
        slots, template = new_slots, [None] * len(new_slots)
        return place

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal cell, raw, has_inline, phonetic, number, column, values, other, generic
        nonlocal kept
        if name == tag_c:
            cell = attrs
            raw = None
            has_inline = False
        elif name in text_tags:  # <v>, <t>
            parts.clear()
        elif name == tag_is:
            has_inline = True
            inline.clear()  # only the <t> of this <is> count
        elif name == tag_row:
            r = attrs.get("r")
            number = number + 1 if r is None else row_number(r)
            column = 0
            other = None
            if slots is None:
                generic = True
                kept = []
            else:
                generic = False
                values = template.copy()
        elif name == tag_rph:
            phonetic = True

    def end(name: str) -> None:
        nonlocal raw, phonetic, column, other
        if name == tag_c:
            ref = cell.get("r")
            if ref:
                found_column = columns.get(ref.rstrip(DIGITS))
                column = column_of(ref) if found_column is None else found_column
            else:
                column += 1
            kind = cell.get("t")
            text: str | None
            if generic:
                joined = "".join(inline) if has_inline else None
                kept.append((column, *convert(kind, cell.get("s"), raw, joined)))
                return
            if kind == "n" or kind is None:
                if raw:
                    s = cell.get("s")
                    style = date_styles.get(s, MISSING)
                    if style == MISSING:
                        style = date_style(s)
                    if style is not None:
                        text = serial(raw, style)
                    elif "." in raw or "E" in raw or "e" in raw:
                        text = floats.get(raw)
                        if text is None:
                            text = number_text(raw)
                            if len(floats) < CACHE_MAX:  # amounts, prices: few values
                                floats[raw] = text
                    else:
                        try:
                            text = str(int(raw))
                        except ValueError:  # one odd <v> is one odd cell
                            text = number_text(raw)
                else:
                    text = None
            elif kind == "inlineStr":
                if has_inline:
                    text = "".join(inline)
                    # format_text changes only blanks, 4-5 letter words ('true') and
                    # 'YYYY-MM-DD hh:mm:ss' dates; anything else is kept as typed
                    size = len(text)
                    if size in (0, 4, 5) or (size >= 19 and text[10] == " ") or text.isspace():
                        text = format_text(text)
                else:
                    text = None
            elif kind == "s":
                text = strings[int(raw)] if raw else None
            elif kind == "b":
                text = boolean_text(raw) if raw else None
            else:
                joined = "".join(inline) if has_inline else None
                text = convert(kind, cell.get("s"), raw, joined)[1]
            if text is not None:
                slot = slots.get(column)  # type: ignore[union-attr]
                if slot is not None:
                    values[slot] = text
                else:
                    other = OTHER
        elif name == tag_v:
            raw = "".join(parts)
        elif name == tag_t:
            if not phonetic:
                inline.append("".join(parts))
        elif name == tag_is:
            pass  # the most frequent end tag with nothing to do
        elif name == tag_row:
            if generic:
                if slots is None:
                    found.append((number, kept))
                else:  # the row the header search stopped in
                    place(number, kept)
            elif other is not None or values != template:
                rows.append(values)
                others.append(other)
                numbers.append(number)
            parts.clear()
        elif name == tag_rph:
            phonetic = False

    def root(name: str, attrs: dict[str, str]) -> None:
        # some writers prefix the main namespace ('x:row'): match the root's prefix
        nonlocal tag_c, tag_v, tag_t, tag_row, tag_is, tag_rph, text_tags
        prefix = name[: name.index(":") + 1] if ":" in name else ""
        tag_c, tag_v, tag_t, tag_row, tag_is, tag_rph = (
            prefix + tag for tag in ("c", "v", "t", "row", "is", "rPh")
        )
        text_tags = (tag_v, tag_t)
        parser.StartElementHandler = start
        start(name, attrs)

    parser.StartElementHandler = root
    parser.EndElementHandler = end
    parser.CharacterDataHandler = parts.append
    return activate
