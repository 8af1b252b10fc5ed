"""The expat set-up of the XML the producer reads itself (an .ods sheet's error cells and
merged ranges, by ods_content.py): one parser that refuses DTDs, and the feeding of a zip
member through it."""

from __future__ import annotations

from typing import Any
from xml.parsers import expat

from schemas.errors import ParseError, ParseErrorKind

XML_BLOCK_BYTES = 1024 * 1024  # XML is fed to expat in blocks of this size
EXPAT_TEXT_BUFFER_BYTES = 64 * 1024
ENTITIES = "the workbook contains XML entity declarations, which are not allowed"


def _refuse_dtd(*_: Any) -> None:
    raise ParseError(ENTITIES, kind=ParseErrorKind.MALFORMED)


def new_parser(namespace_separator: str | None = None) -> Any:
    """An expat parser that buffers text and refuses any DTD (the guard already did).
    With ``namespace_separator`` names come as ``uri<sep>local``, as ElementTree's are."""
    parser = expat.ParserCreate(None, namespace_separator)
    parser.buffer_text = True
    parser.buffer_size = EXPAT_TEXT_BUFFER_BYTES
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def local(name: str) -> str:
    """'x:row' -> 'row': some writers prefix the main namespace."""
    return name.rpartition(":")[2]


def feed(parser: Any, member: Any) -> None:
    """The whole member through the parser, a block at a time."""
    while True:
        block = member.read(XML_BLOCK_BYTES)
        if not block:
            parser.Parse(b"", True)
            return
        parser.Parse(block, False)
