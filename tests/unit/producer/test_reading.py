"""The order in which a job's reading is chosen (the upload's, the dataset's, detected; a
re-parse reads what the plan recorded), and a text file read again in the code page of the
locale detected from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from files.spool import Spool
from producer.locale_detect import DETECT_ROWS, Detection, detect_locale
from producer.locale_evidence import known_words
from producer.readers import open_reader
from producer.reading import choose_reading, default_encoding, read_again_in_code_page
from schemas.records import UploadRecord
from tests.integration.conftest import unchecked_upload
from tests.unit.producer.test_locale_detect import ORDERS, sample


def _upload(tmp_path: Path, locale: str | None = None) -> UploadRecord:
    spooled = tmp_path / "job.csv"
    spooled.write_text("x")
    upload = unchecked_upload(spooled, "j1", "orders", "acme", "orders.csv")
    return upload.model_copy(update={"locale": locale})


GERMAN = sample(ordered_at=["13.07.2024 09:30"], amount=["3,01"], express=["ja"])


def test_the_uploads_choice_comes_first_then_the_datasets(tmp_path: Path) -> None:
    reading, batches = choose_reading(_upload(tmp_path, "fr"), ORDERS, GERMAN)
    assert (reading.locale, reading.source) == ("fr-FR", "chosen")
    assert reading.text == "read as fr-FR: decimal comma, day-first dates (chosen)"
    assert list(batches) == GERMAN
    german_default = ORDERS.model_copy(update={"locale": "en-GB"})
    reading, _ = choose_reading(_upload(tmp_path), german_default, GERMAN)
    assert (reading.locale, reading.source) == ("en-GB", "dataset")
    assert "(the dataset's locale)" in reading.text


def test_detection_is_recorded_in_the_plan_for_a_reparse(tmp_path: Path) -> None:
    upload = _upload(tmp_path)
    reading, batches = choose_reading(upload, ORDERS, iter(GERMAN))
    assert (reading.locale, reading.source) == ("de-DE", "detected")
    assert reading.text == "read as de-DE: decimal comma, day-first dates (detected)"
    assert list(batches) == GERMAN  # the batches detection looked at are not lost
    plan = json.loads(Spool.chunk_plan_path(upload.spool_path).read_text())
    assert plan["locale"] == "de-DE"
    # a re-parse of the same job reads the plan, whatever the file says now
    again, _ = choose_reading(upload, ORDERS, sample(amount=["3.01"]))
    assert again == reading


CROATIAN = (
    "order_id;customer_email;country;ordered_at;amount;express;notes\n"
    "1;a@example.hr;HR;31.12.2024.;1.234,56;TOČNO;Čakovec\n"
)


@pytest.mark.parametrize(
    ("encoding", "locale", "again"),
    [
        ("cp1250", None, True),  # Windows-1252 by default, hr-HR detected: read in 1250
        ("cp1250", "hr-HR", False),  # the upload's locale named the page at once
        ("utf-8", None, False),  # UTF-8 is evidence
        ("cp1250", "de-DE", False),  # chosen, not detected: the person said how to read it
    ],
)
def test_a_text_file_is_read_again_in_the_code_page_of_its_detected_locale(
    tmp_path: Path, encoding: str, locale: str | None, again: bool
) -> None:
    upload = _upload(tmp_path, locale)
    Path(upload.spool_path).write_bytes(CROATIAN.encode(encoding))
    reader = open_reader(upload.spool_path, ORDERS, 100, locale=locale)
    reading, _ = choose_reading(upload, ORDERS, reader.batches())
    assert reading.source == ("detected" if locale is None else "chosen")
    assert read_again_in_code_page(reader, reading) is again
    reader.close()


def test_words_read_in_the_wrong_code_page_still_tell_their_locale(tmp_path: Path) -> None:
    # Turkish Excel's DOĞRU/YANLIŞ in Windows-1254, read in Windows-1252 for want of
    # evidence: 'DOÐRU', 'YANLIÞ', which only tr-TR's words misread so are; de-DE before
    misread = sample(ordered_at=["31.12.2024"], amount=["1.234,56"], express=["doðru", "yanliþ"])
    assert detect_locale(misread, ORDERS) == Detection("de-DE")
    assert detect_locale(misread, ORDERS, "cp1252") == Detection("tr-TR")
    assert {"doðru", "yanliþ", "yanlýþ"} <= known_words("tr-TR", "cp1252")
    assert known_words("de-DE", "cp1252") == known_words("de-DE")  # its page is Windows-1252
    upload = _upload(tmp_path)
    turkish = "order_id;customer_email;ordered_at;amount;express;notes\n"
    turkish += "1;a@example.tr;31.12.2024;1.234,56;DOĞRU;Şişli\n2;b@example.tr;13.02.2024;5,50;YANLIŞ;İzmir\n"
    Path(upload.spool_path).write_bytes(turkish.encode("cp1254"))
    reader = open_reader(upload.spool_path, ORDERS, 100)
    reading, _ = choose_reading(upload, ORDERS, reader.batches(), default_encoding(reader))
    assert (reading.locale, read_again_in_code_page(reader, reading)) == ("tr-TR", True)
    reader.close()


def test_detecting_a_western_locale_keeps_the_western_page(tmp_path: Path) -> None:
    upload = _upload(tmp_path)
    german = "order_id;customer_email;ordered_at;amount;express;notes\n"
    german += "1;a@example.de;13.07.2024;3,01;ja;Müller\n"
    Path(upload.spool_path).write_bytes(german.encode("cp1252"))
    reader = open_reader(upload.spool_path, ORDERS, 100)
    reading, _ = choose_reading(upload, ORDERS, reader.batches())
    assert (reading.locale, read_again_in_code_page(reader, reading)) == ("de-DE", False)
    reader.close()


def test_detection_looks_at_the_first_rows_only(tmp_path: Path) -> None:
    plain = sample(amount=["3.01"] * DETECT_ROWS)
    late_comma = sample(amount=["3,01"])
    reading, batches = choose_reading(_upload(tmp_path), ORDERS, iter(plain + late_comma))
    assert reading.locale is None and reading.source is None
    assert reading.text == "read without a locale: decimal point, dates as YYYY-MM-DD"
    assert len(list(batches)) == 2


def test_an_unknown_locale_on_an_upload_record_is_refused(tmp_path: Path) -> None:
    from schemas.locales import LocaleError

    with pytest.raises(LocaleError):
        choose_reading(_upload(tmp_path, "xx-YY"), ORDERS, GERMAN)
