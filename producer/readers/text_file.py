"""What the text formats' readers (CSV, JSON Lines) share: the file with its dataset, chunk
size and limits, the encoding its text is read in, and the reason given for text that is
not in that encoding."""

from __future__ import annotations

from pathlib import Path

from files.sniff import SAMPLE_BYTES
from files.text_encoding import DECLARE, choose_encoding
from producer.readers.base import ReaderLimits
from schemas.dataset import Dataset
from schemas.errors import ParseError, ParseErrorKind


class TextFileReader:
    """The base of CsvReader and JsonlReader: ``encoding`` is a BOM's, else the declared
    one, else the one the head of the file reads in (files/text_encoding.py; ``locale``, the
    upload's reading locale, else the dataset's, names its code page). A reader's own
    set-up is ``find_header``, which maps the header row; the file is closed when it
    raises."""

    def __init__(
        self,
        path: Path | str,
        dataset: Dataset,
        chunk_rows: int,
        *,
        encoding: str | None = None,
        locale: str | None = None,
        limits: ReaderLimits | None = None,
    ) -> None:
        self.path = Path(path)
        self.dataset = dataset
        self.chunk_rows = chunk_rows
        self.limits = limits or ReaderLimits()
        with self.path.open("rb") as raw:
            sample = raw.read(SAMPLE_BYTES)
        found = choose_encoding(sample, encoding, locale or dataset.locale)
        self.encoding, self.encoding_by_default = found.name, found.by_default
        try:
            self.find_header()
        except BaseException:
            self.close()
            raise

    def find_header(self) -> None:
        """Read the head of the file and map its header row (``self.mapping``)."""
        raise NotImplementedError

    def warnings(self) -> list[str]:
        return []

    def close(self) -> None:
        raise NotImplementedError

    def not_in_encoding(self, where: str) -> ParseError:
        """The file holds bytes its encoding cannot decode, ``where`` says about where."""
        return ParseError(
            f"the file is not valid {self.encoding.upper()} text ({where}); save it as UTF-8 "
            f"or name its encoding ({DECLARE})",
            kind=ParseErrorKind.ENCODING,
        )
