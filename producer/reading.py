"""The reading locale of one job: the upload's choice (for a correction, the corrected job's
unless it names its own), else the dataset's, else detected from the file's first rows. A detected locale is written into the job's plan beside the spooled
file, so a re-parse reads the file exactly as the first parse did."""

from __future__ import annotations

import codecs
import itertools
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa

from files.private import write_private_text
from files.spool import Spool
from files.text_encoding import WESTERN, encoding_name, locale_code_page
from producer.locale_detect import DETECT_ROWS, Detection, detect_locale
from schemas.dataset import Dataset
from schemas.locales import LocaleSource, describe_reading, resolve_locale
from schemas.records import UploadRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    locale: str | None
    source: LocaleSource | None
    text: str  # for a person: "read as de-DE: decimal comma, day-first dates (detected)"


def with_encoding(reading: Reading, encoding: str | None) -> Reading:
    """The reading of a text file in a legacy code page says which one it was read in, so a
    person who sees odd letters knows why (and can re-save the file as UTF-8); Windows-1252,
    what western spreadsheet apps write, goes without saying."""
    name = codecs.lookup(encoding).name if encoding else "utf-8"
    if name.startswith("utf") or name == WESTERN:
        return reading
    return replace(reading, text=f"{reading.text}; text in {encoding_name(name)}")


def default_encoding(reader: object) -> str | None:
    """The code page a text file's reader chose for want of evidence, else None."""
    return (
        getattr(reader, "encoding", None) if getattr(reader, "encoding_by_default", False) else None
    )


def read_again_in_code_page(reader: object, reading: Reading) -> bool:
    """Whether to read a text file again once its locale is detected: its encoding was the
    western default for want of evidence (a Croatian CSV's 'TOČNO' read 'TOÈNO'), and the
    detected locale's language writes another code page."""
    encoding = default_encoding(reader)
    page = locale_code_page(reading.locale)
    if reading.source != "detected" or encoding is None or page is None:
        return False
    return codecs.lookup(page).name != codecs.lookup(encoding).name


def _made(locale: str | None, source: LocaleSource | None, note: str | None = None) -> Reading:
    return Reading(locale, source if locale else None, describe_reading(locale, source, note))


def _planned(plan: Path) -> Detection | None:
    try:
        found = json.loads(plan.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict) or "locale" not in found:
        return None
    return Detection(found["locale"], found.get("locale_note"))


def _remember(plan: Path, detection: Detection) -> None:
    try:
        found = json.loads(plan.read_text())
    except (OSError, ValueError):
        found = {}
    found = found if isinstance(found, dict) else {}
    found.update(locale=detection.locale, locale_note=detection.note)
    try:
        write_private_text(plan, json.dumps(found))
    except OSError as exc:  # a read-only spool still works; only a re-parse detects anew
        log.warning("cannot record the detected locale in %s: %s", plan, exc)


def choose_reading(
    upload: UploadRecord,
    dataset: Dataset,
    batches: Iterable[pa.RecordBatch],
    misread_as: str | None = None,
) -> tuple[Reading, Iterator[pa.RecordBatch]]:
    """The job's reading, and the batches to publish (the ones detection looked at first).
    ``misread_as``: the code page a text file was read in for want of evidence
    (default_encoding). Raises LocaleError for an upload record naming an unsupported locale."""
    batches = iter(batches)
    if upload.locale:
        return _made(resolve_locale(upload.locale).tag, upload.locale_source or "chosen"), batches
    if dataset.locale:
        return _made(dataset.locale, "dataset"), batches
    plan = Spool.chunk_plan_path(upload.spool_path)
    detection = _planned(plan)
    if detection is not None:
        return _made(detection.locale, "detected", detection.note), batches
    sample: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        sample.append(batch)
        rows += batch.num_rows
        if rows >= DETECT_ROWS:
            break
    try:
        detection = detect_locale(sample, dataset, misread_as)
    except Exception:  # a bug in detection must not fail the upload: read it without one
        log.exception("job %s: locale detection failed", upload.job_id)
        detection = Detection(None, "locale detection failed; choose one with the locale field")
    _remember(plan, detection)
    return _made(detection.locale, "detected", detection.note), itertools.chain(sample, batches)
