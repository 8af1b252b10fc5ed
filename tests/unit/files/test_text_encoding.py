"""A CSV saved in a legacy code page is read in it: Windows-1252 for western text (also when
other Latin code pages would decode it), central European, Cyrillic, Greek, Japanese,
Chinese and Korean pages by what reads as text, Mac Roman where Windows-1252 cannot decode,
and the code page of the upload's locale where the text alone cannot tell."""

from __future__ import annotations

from pathlib import Path

import pytest

from files.text_encoding import (
    Encoding,
    choose_encoding,
    decode_sample,
    detect_encoding,
    encoding_name,
)
from producer.readers import open_reader
from producer.reading import Reading, with_encoding
from schemas.dataset import DatasetRegistry
from schemas.settings import packaged_datasets_dir

HEADER = "order_id;customer_email;country;ordered_at;notes\n"
NOTES = {
    "fr": "Café crème, à côté de l'église; très bien, déjà livré",
    "es": "Peña, año, señor",
    "de": "Müller Straße, Größe XL, über Köln",
    "pl": "Łódź, ulica Żółkiewskiego, zamówienie świąteczne",
    "cs": "Příliš žluťoučký kůň úpěl ďábelské ódy",
    "ru": "Москва, улица Тверская, доставка завтра",
    "el": "Αθήνα, οδός Ερμού, παράδοση αύριο",
    "tr": "İstanbul, Şişli, teslimat yarın, güzel",
    "ja": "東京都渋谷区、明日配達予定",
    "zh": "北京市朝阳区，明天送货",
    "ko": "서울특별시 강남구, 내일 배송",
}


def _csv(language: str, rows: int = 2) -> str:
    body = "".join(
        f"{n};u{n}@example.com;DE;2026-01-0{n};{NOTES[language]}\n" for n in range(1, rows + 1)
    )
    return HEADER + body


@pytest.mark.parametrize(
    ("language", "code_page", "detected"),
    [
        ("fr", "cp1252", "cp1252"),
        ("es", "cp1252", "cp1252"),
        ("de", "cp1252", "cp1252"),
        ("pl", "cp1250", "cp1250"),
        ("cs", "cp1250", "cp1250"),
        ("ru", "cp1251", "cp1251"),
        ("el", "cp1253", "cp1253"),
        ("ja", "cp932", "cp932"),
        ("zh", "gbk", "gb18030"),
        ("ko", "cp949", "cp949"),
        ("fr", "mac_roman", "mac-roman"),
    ],
)
def test_a_legacy_code_page_is_told_by_what_reads_as_text(
    language: str, code_page: str, detected: str
) -> None:
    text = _csv(language)
    sample = text.encode(code_page)
    assert detect_encoding(sample) == detected
    assert sample.decode(detected) == text


def test_the_locale_names_the_code_page_the_text_cannot_tell() -> None:
    # Turkish in Windows-1254 decodes cleanly as Windows-1252 too ('Þiþli'): tr-TR says which
    turkish = _csv("tr").encode("cp1254")
    assert detect_encoding(turkish) == "cp1252"
    assert detect_encoding(turkish, locale="tr-TR") == "cp1254"
    assert detect_encoding(_csv("pl").encode("cp1250"), locale="pl") == "cp1250"
    taipei = "1;a@example.com;TW;2026/01/02;台北市信義區\n".encode("big5")
    assert detect_encoding(taipei, locale="zh-TW") == "big5"
    assert detect_encoding(_csv("ru").encode("cp1251"), locale="uk_UA") == "cp1251"
    assert detect_encoding(_csv("ru").encode("cp1251"), locale="bg-BG") == "cp1251"
    # a locale of a western language, or one whose page cannot decode the file, is no hint
    assert detect_encoding(_csv("ru").encode("cp1251"), locale="de-DE") == "cp1251"
    assert detect_encoding(_csv("fr").encode("cp1252"), locale="ja-JP") == "cp1252"
    # UTF-8 and a declaration still win
    assert detect_encoding(_csv("tr").encode(), locale="tr-TR") == "utf-8"
    assert detect_encoding(turkish, "iso8859-9", locale="pl-PL") == "iso8859-9"


def test_too_few_letters_to_judge_are_windows_1252() -> None:
    assert detect_encoding("a;b\nçé€\n".encode("cp1252")) == "cp1252"
    assert detect_encoding("a;b\nДа\n".encode("cp1251")) == "cp1252"  # two letters: a guess
    # but a short word no western text has ('Ìîñêâà') is judged
    assert detect_encoding("a;b\nМосква\n".encode("cp1251")) == "cp1251"
    assert detect_encoding("a;b\nGrößenÄnderung\n".encode("cp1252")) == "cp1252"
    assert detect_encoding(b"a,b\n\x81\x8d\n") == "latin-1"


def test_a_cyrillic_csv_reads_as_written_and_says_its_code_page(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(_csv("ru", rows=3).encode("cp1251"))
    orders = DatasetRegistry(packaged_datasets_dir()).get("orders")
    reader = open_reader(path, orders, 100)
    try:
        batch = next(iter(reader.batches()))
        assert batch.column("notes").to_pylist() == [NOTES["ru"]] * 3
    finally:
        reader.close()
    plain = Reading(None, None, "read without a locale: decimal point, dates as YYYY-MM-DD")
    assert with_encoding(plain, "cp1251").text == (
        "read without a locale: decimal point, dates as YYYY-MM-DD; text in Windows-1251 (Cyrillic)"
    )
    assert with_encoding(plain, "utf-8-sig") == plain == with_encoding(plain, None)
    assert with_encoding(plain, "windows-1252") == plain  # what western apps write
    assert encoding_name("mac_roman") == "Mac Roman"


def test_windows_1252_for_want_of_evidence_says_so() -> None:
    # a few central European letters: too few to judge, Windows-1252 by default
    assert choose_encoding("Čakovec;TOČNO\n".encode("cp1250")) == Encoding("cp1252", True)
    assert choose_encoding(_csv("fr").encode("cp1252")) == Encoding("cp1252", True)
    # evidence: a mark, a declaration, UTF-8, the upload's locale, a page judged by the text
    assert choose_encoding(b"\xef\xbb\xbfa;b\n") == Encoding("utf-8-sig")
    assert choose_encoding(b"a;\xe8\n", "cp1250") == Encoding("cp1250")
    assert choose_encoding("Čakovec\n".encode()) == Encoding("utf-8")
    assert choose_encoding("Čakovec\n".encode("cp1250"), locale="hr") == Encoding("cp1250")
    assert choose_encoding(_csv("ru").encode("cp1251")) == Encoding("cp1251")


@pytest.mark.parametrize(
    "text",
    [
        "3001;PL;1 234,56;Łódź\n3002;PL;99,90;Gdańsk\n",  # '£ódŸ': a capital after a small letter
        "1;Białystok\n",  # 'Bia³ystok': a symbol inside a word
        "1;Žluťoučký kůň\n",  # not Windows-1252 at all ('ť'): Latin-1 would put controls in it
        "1;Poľsko;ŁAŃCUCH\n",  # "Po¾sko", "£AÑCUCH"
        "1;Ivan Božić;Zagreb\n",  # 'Božiæ': Windows-1250's ž and Windows-1252's æ in a word
        "1;Příšerný;Brno\n",  # 'Pøíšerný'
    ],
)
def test_a_short_central_european_file_is_read_in_windows_1250_by_its_words(text: str) -> None:
    found = choose_encoding(text.encode("cp1250"))
    assert found == Encoding("cp1250")
    assert decode_sample(text.encode("cp1250"), found.name) == text


def test_german_text_from_an_old_mac_is_read_in_mac_roman() -> None:
    text = "1;Müller;Straße;Käse\n"  # 'MŸller;Stra§e;KŠse' in Windows-1252
    assert choose_encoding(text.encode("mac_roman")) == Encoding("mac_roman")


@pytest.mark.parametrize(
    "text",
    [
        "1;Revenue £m;50 m²;12 m³;Brand™;25°C;1¾\n",  # symbols at a word's edge
        "1;don’t;col·lecció;¿Qué?;¡Hola!;d´Artagnan\n",
        "1;crème brûlée;cœur;Œuvre;Ÿvelines;São Paulo Nº 5\n",
    ],
)
def test_western_text_with_symbols_stays_windows_1252(text: str) -> None:
    assert choose_encoding(text.encode("cp1252")) == Encoding("cp1252", True)
