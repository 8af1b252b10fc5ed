"""The upload page in a real headless Chromium against the whole running stack: API,
producer, chunk worker and aggregator on the real broker. What a person does: sign in, look
at a dataset, upload files, watch them finish, read and download the errors.

Screenshots land in .bulkflow/screenshots/ (the path is printed)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
import sqlalchemy as sa
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from ops.devservers.localhost import free_port
from ops.devservers.sample_data import write_orders_csv
from ops.supervisor import Supervisor
from schemas.settings import Settings
from tests.conftest import REPO_ROOT
from tests.support.browser import (
    MISSING,
    PAGE_CHANGING,
    axe_violations,
    chromium,
    keys,
    network_requests,
    tab_to,
    wait_for_file,
)
from tests.support.waiting import api_ready, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

SCREENSHOTS = REPO_ROOT / ".bulkflow" / "screenshots"
# the elements (outside scrolling table wrappers) that stick out past the window's right edge
WIDER_THAN_THE_WINDOW = """
const width = document.documentElement.clientWidth;
return [...document.querySelectorAll("body *")]
  .filter((e) => !e.closest(".table-wrap") && e.getBoundingClientRect().right > width + 1)
  .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
"""
FINAL_S = 240  # a pipeline on 2 shared cores: generous, but every wait ends


@pytest.fixture
def stack_settings(kafka_settings: Settings) -> Settings:
    return kafka_settings.model_copy(update={"api_keys": "acme:key-a,globex:key-b"})


@pytest.fixture
def stack(stack_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """The real stack as `bulkflow serve` runs it; yields the page's base URL."""
    settings = stack_settings
    port = free_port()
    supervisor = Supervisor(settings, tmp_path / "logs", restart=False)
    supervisor.add("producer", "producer")
    supervisor.add("worker", "worker", "--loglevel", "warning")
    supervisor.add("aggregator", "aggregator", "--loglevel", "warning")
    supervisor.add("api", "api", "--port", str(port))
    supervisor.start()
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_until(lambda: api_ready(base), "the API to be ready", 90, every_s=0.5)
        yield base
    finally:
        supervisor.stop()
        for name in supervisor.children:
            print(f"--- {name} log tail ---\n{supervisor.log_tail(name, 15)}")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[tuple[WebDriver, Path]]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {SCREENSHOTS}")
    with chromium(downloads) as driver:
        yield driver, downloads


def shoot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def by_id(driver: WebDriver, element_id: str) -> WebElement:
    return driver.find_element(By.ID, element_id)


def card_of(driver: WebDriver, filename: str) -> WebElement:
    return driver.find_element(
        By.XPATH, f"//li[contains(@class,'upload-card')][.//h4[normalize-space()='{filename}']]"
    )


def final_card(driver: WebDriver, filename: str) -> WebElement:
    def ended() -> WebElement | None:
        card = card_of(driver, filename)
        state = card.get_attribute("data-state")
        return card if state in ("completed", "completed_with_errors", "failed") else None

    return wait_until(ended, f"the upload of {filename} to end", FINAL_S, ignoring=PAGE_CHANGING)


def sign_in(driver: WebDriver, key: str) -> None:
    field = by_id(driver, "api-key")
    field.clear()
    field.send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "#sign-in-form button[type=submit]").click()


def test_a_person_uploads_files_and_reads_how_each_ended(
    stack: str, browser: tuple[WebDriver, Path], tmp_path: Path
) -> None:
    driver, downloads = browser
    # another tenant's upload, which acme must never see
    other = write_orders_csv(tmp_path / "globex-private.csv", 50)
    with other.open("rb") as f:
        answer = httpx.post(
            f"{stack}v1/uploads",
            files={"file": (other.name, f)},
            data={"dataset": "orders"},
            headers={"Authorization": "Bearer key-b"},
            timeout=30,
        )
    assert answer.status_code == 202, answer.text
    other_job = answer.json()["job_id"]

    driver.get(stack)
    wait_until(
        lambda: by_id(driver, "api-key").is_displayed(),
        "the sign-in form",
        15,
        ignoring=PAGE_CHANGING,
    )
    assert driver.switch_to.active_element.get_attribute("id") == "api-key"
    sign_in(driver, "not-a-key")
    wait_until(
        lambda: by_id(driver, "sign-in-error").text, "the sign-in error", 15, ignoring=PAGE_CHANGING
    )
    assert by_id(driver, "sign-in-error").text == "That API key is not valid."
    assert not by_id(driver, "app").is_displayed()
    shoot(driver, "01-sign-in-refused")

    sign_in(driver, "key-a")
    wait_until(
        lambda: by_id(driver, "app").is_displayed(),
        "the signed-in page",
        15,
        ignoring=PAGE_CHANGING,
    )
    assert driver.switch_to.active_element.get_attribute("id") == "dataset"
    columns = wait_until(
        lambda: driver.find_elements(By.CSS_SELECTOR, "#columns tbody tr"),
        "the dataset's columns",
        15,
        ignoring=PAGE_CHANGING,
    )
    table = {r.find_element(By.TAG_NAME, "th").text.split()[0]: r.text for r in columns}
    assert list(table)[:2] == ["order_id", "customer_email"]
    assert "Customer E-mail, email" in table["customer_email"]
    # rules in words, with an example
    assert "a two-letter country code in capitals, like DE or US" in table["country"]
    assert "2024-03-01 14:30:00Z" in table["ordered_at"]
    assert "key" in table["order_id"]

    by_id(driver, "template-xlsx").click()
    assert wait_for_file(downloads, "orders-template.xlsx").read_bytes()[:2] == b"PK"
    by_id(driver, "template-csv").click()
    template = wait_for_file(downloads, "orders-template.csv").read_text(encoding="utf-8-sig")
    assert template.splitlines()[0].startswith("order_id,customer_email,country")

    good = write_orders_csv(tmp_path / "good-orders.csv", 2_000)
    with_errors = write_orders_csv(tmp_path / "orders-with-errors.csv", 3_000, invalid_every=300)
    broken = tmp_path / "broken-orders.csv"
    broken.write_text("customer_email,ordered_at\na@b.co,2026-01-01T00:00:00Z\n")
    # a country merged down three rows, as a person lays out a sheet: in its first row only
    book = openpyxl.Workbook()
    book.active.append(["order_id", "customer_email", "ordered_at", "country"])
    for n in (1, 2, 3):
        book.active.append([n, f"m{n}@example.com", "2026-01-01", "DE" if n == 1 else None])
    book.active.merge_cells("D2:D4")
    book.save(merged := tmp_path / "merged-orders.xlsx")
    files = (good, with_errors, broken, merged)
    by_id(driver, "files").send_keys("\n".join(str(p) for p in files))
    wait_until(
        lambda: len(driver.find_elements(By.CSS_SELECTOR, ".upload-card")) == 4,
        "four upload cards",
        15,
        ignoring=PAGE_CHANGING,
    )
    driver.execute_script("arguments[0].scrollIntoView()", by_id(driver, "upload"))
    shoot(driver, "02-uploading")

    done = final_card(driver, good.name)
    assert done.get_attribute("data-state") == "completed"
    assert done.find_element(By.CLASS_NAME, "outcome").text == "Completed: 2,000 rows saved."
    assert done.find_element(By.TAG_NAME, "progress").get_attribute("value") == "100"
    assert "2,000 of 2,000 rows · 2,000 ok · 0 failed" in done.text

    warned = final_card(driver, merged.name)
    assert warned.get_attribute("data-state") == "completed"
    assert warned.find_element(By.CLASS_NAME, "outcome").text == (
        "Completed with a warning: 3 rows saved, but cells D2:D4 (country) are merged and "
        "hold their value in D2 only, so rows 3–4 read no country: unmerge the cells, put the "
        "value in each of them, and upload the file again."
    )

    failed = final_card(driver, broken.name)
    assert failed.get_attribute("data-state") == "failed"
    reason = failed.find_element(By.CLASS_NAME, "outcome").text
    assert reason.startswith("Failed: ") and "order_id" in reason

    partial = final_card(driver, with_errors.name)
    assert partial.get_attribute("data-state") == "completed_with_errors"
    assert partial.find_element(By.CLASS_NAME, "outcome").text == (
        "Completed with errors: 2,990 rows saved, 10 rows failed."
    )
    show = partial.find_element(By.CLASS_NAME, "show-errors")
    assert show.get_attribute("aria-expanded") == "false"
    show.click()
    error_rows = wait_until(
        lambda: partial.find_elements(By.CSS_SELECTOR, ".error-table tbody tr"),
        "the errors",
        15,
        ignoring=PAGE_CHANGING,
    )
    assert show.get_attribute("aria-expanded") == "true"
    caption = partial.find_element(By.CSS_SELECTOR, ".error-table caption").text
    assert caption == "All 10 errors, in 10 rows"
    cells = [[td.text for td in r.find_elements(By.TAG_NAME, "td")] for r in error_rows]
    assert len(cells) == 10
    # row 300 of the data is spreadsheet row 301 (after the header): its e-mail is bad
    assert cells[0][:3] == ["301", "customer_email", "not-an-email"]
    assert all(c[3] for c in cells)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", partial)
    shoot(driver, "03-finished-with-error-table")

    partial.find_element(By.CLASS_NAME, "download-errors").click()
    job_id = partial.get_attribute("data-job-id")
    report = wait_for_file(downloads, f"{job_id}-errors.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(report)))
    assert len(rows) == 10 and rows[0]["row"] == "301" and rows[0]["value"] == "not-an-email"

    # the list updates itself (the tenant's event stream): no refresh
    def listed() -> dict[str, str] | None:
        found = {
            r.find_element(By.TAG_NAME, "th").text: r.get_attribute("data-state") or ""
            for r in driver.find_elements(By.CSS_SELECTOR, "#recent-table tbody tr")
        }
        return found if len(found) == 4 and "queued" not in found.values() else None

    recent = wait_until(listed, "the four uploads in the recent list", 30, ignoring=PAGE_CHANGING)
    assert recent == {
        good.name: "completed",
        with_errors.name: "completed_with_errors",
        broken.name: "failed",
        merged.name: "completed",
    }
    job_ids = [
        r.get_attribute("data-job-id")
        for r in driver.find_elements(By.CSS_SELECTOR, "#recent-table tbody tr")
    ]
    assert other_job not in job_ids and other.name not in driver.page_source
    assert by_id(driver, "recent-range").text == "1–4 of 4"
    driver.set_window_size(1280, 2900)
    driver.execute_script("window.scrollTo(0, 0)")
    shoot(driver, "04-page")

    driver.set_window_size(390, 1600)
    wait_until(
        lambda: driver.execute_script("return window.innerWidth") <= 400,
        "a narrow window",
        10,
        ignoring=PAGE_CHANGING,
    )
    too_wide = driver.execute_script(WIDER_THAN_THE_WINDOW)
    assert not too_wide, f"on a narrow screen these stick out sideways: {too_wide}"
    shoot(driver, "05-narrow")

    by_id(driver, "sign-out").click()
    wait_until(
        lambda: by_id(driver, "sign-in").is_displayed(),
        "the sign-in form again",
        10,
        ignoring=PAGE_CHANGING,
    )
    assert driver.execute_script("return sessionStorage.length") == 0


def test_the_api_docs_render_without_internet(stack: str, browser: tuple[WebDriver, Path]) -> None:
    driver, _downloads = browser
    driver.get(f"{stack}docs")
    title = wait_until(
        lambda: driver.find_elements(By.CSS_SELECTOR, ".swagger-ui .info .title"),
        "Swagger UI to render",
        30,
        ignoring=PAGE_CHANGING,
    )
    assert title[0].text.startswith("bulkflow")
    wait_until(
        lambda: driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"),
        "the operations",
        15,
        ignoring=PAGE_CHANGING,
    )
    shoot(driver, "06-docs")
    driver.get(f"{stack}redoc")
    heading = wait_until(
        lambda: driver.find_elements(By.CSS_SELECTOR, "h1"),
        "ReDoc to render",
        30,
        ignoring=PAGE_CHANGING,
    )
    assert heading[0].text.startswith("bulkflow")


def press_enter_on(driver: WebDriver, target: WebElement) -> None:
    tab_to(driver, target)
    keys(driver, Keys.ENTER)


def type_into(driver: WebDriver, target: WebElement, text: str) -> None:
    """Replace a text field's value, or pick a select's option by typing its start."""
    tab_to(driver, target)
    if target.tag_name != "select":
        ActionChains(driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
    keys(driver, text)


def no_serious_violations(driver: WebDriver, view: str) -> None:
    found = axe_violations(driver)
    print(f"axe-core on {view}: {len(found)} serious or critical violations")
    assert not found, f"axe-core on {view}: {found}"


def stored_orders(settings: Settings, order_ids: list[int]) -> list[tuple[object, ...]]:
    engine = sa.create_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT order_id, customer_email, amount, row_no FROM ds_orders "
                    f"WHERE order_id IN ({', '.join(str(i) for i in order_ids)}) ORDER BY order_id"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(str(v) if k == 2 else v for k, v in enumerate(r)) for r in rows]


def test_a_person_maps_columns_and_fixes_rows_with_the_keyboard_only(
    stack: str, stack_settings: Settings, browser: tuple[WebDriver, Path], tmp_path: Path
) -> None:
    """One run without a mouse: sign in, upload, map a file's columns, reload, reach a past
    upload's errors, fix three rows in place; axe-core finds nothing serious on any view and
    the browser asks nothing of any other server."""
    driver, _downloads = browser
    with_errors = write_orders_csv(tmp_path / "orders-with-errors.csv", 30, invalid_every=10)
    mapped = tmp_path / "march-export.csv"
    mapped.write_text(
        "Order #,E-mail address,Date,Total\n"
        + "".join(
            f"{5000 + i},buyer{i}@example.com,2026-03-0{i}T10:00:00Z,{i}.50\n" for i in range(1, 5)
        )
    )
    requests: list[str] = []

    driver.get(stack)
    wait_until(
        lambda: by_id(driver, "api-key").is_displayed(),
        "the sign-in form",
        15,
        ignoring=PAGE_CHANGING,
    )
    no_serious_violations(driver, "the sign-in form")
    keys(driver, "key-a", Keys.ENTER)
    wait_until(
        lambda: by_id(driver, "app").is_displayed(),
        "the signed-in page",
        15,
        ignoring=PAGE_CHANGING,
    )
    assert by_id(driver, "who-text").text == "Signed in as acme"
    wait_until(
        lambda: driver.find_elements(By.CSS_SELECTOR, "#columns tbody tr"),
        "columns",
        15,
        ignoring=PAGE_CHANGING,
    )
    no_serious_violations(driver, "the uploads view")

    by_id(driver, "files").send_keys(f"{with_errors}\n{mapped}")
    final_card(driver, with_errors.name)

    form = open_mapping_step(driver, mapped.name, "mapping-form")
    suggested = {
        name: form.find_element(By.ID, f"map-{name}").get_attribute("value")
        for name in ("order_id", "customer_email", "ordered_at", "amount")
    }
    assert suggested == {
        "order_id": "Order #",
        "customer_email": "E-mail address",
        "ordered_at": "Date",
        "amount": "",
    }
    type_into(driver, form.find_element(By.ID, "map-amount"), "Total")
    assert form.find_element(By.ID, "map-amount").get_attribute("value") == "Total"
    no_serious_violations(driver, "the mapping step")
    driver.execute_script("arguments[0].scrollIntoView()", by_id(driver, "mapping-step"))
    shoot(driver, "07-mapping-step")
    press_enter_on(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))

    view = by_id(driver, "upload-view")
    wait_until(
        lambda: view.get_attribute("data-state") == "completed",
        "the mapped file",
        FINAL_S,
        ignoring=PAGE_CHANGING,
    )
    assert by_id(driver, "upload-view-outcome").text == "Completed: 4 rows saved."
    assert "Total" in by_id(driver, "mapping-used").text
    assert stored_orders(stack_settings, [5001, 5002, 5003, 5004]) == [
        (5000 + i, f"buyer{i}@example.com", f"{i}.50", i + 1) for i in range(1, 5)
    ]
    no_serious_violations(driver, "an upload's page")
    driver.execute_script("window.scrollTo(0, 0)")
    shoot(driver, "09-upload-page")

    # a reload keeps the tab signed in and on the upload's page; the past upload's errors are
    # one link away in the list
    driver.refresh()
    wait_until(
        lambda: by_id(driver, "upload-view-title").text == mapped.name,
        "the page again",
        20,
        ignoring=PAGE_CHANGING,
    )
    press_enter_on(driver, driver.find_element(By.LINK_TEXT, "All uploads"))
    link = wait_until(
        lambda: driver.find_elements(
            By.CSS_SELECTOR, f"#recent-table a[href$='{card_job(driver, with_errors.name)}']"
        ),
        "the upload with errors in the list",
        20,
        ignoring=PAGE_CHANGING,
    )[0]
    press_enter_on(driver, link)
    inputs = wait_until(
        lambda: driver.find_elements(By.CSS_SELECTOR, "#fix-rows .fix-table input"),
        "rows to fix",
        30,
        ignoring=PAGE_CHANGING,
    )
    assert [i.get_attribute("aria-label") for i in inputs] == [
        "customer_email of row 11",
        "amount of row 21",
        "order_id of row 31",
    ]
    assert "Rows still invalid: 1–3 of 3" in by_id(driver, "fix-rows").text
    type_into(driver, inputs[0], "not an email either")
    message = inputs[0].find_element(By.XPATH, "following-sibling::span")
    assert message.text.startswith("expected an e-mail address")
    for field, value in zip(inputs, ("customer10@example.com", "12.50", "30"), strict=True):
        type_into(driver, field, value)
    assert [i.find_element(By.XPATH, "following-sibling::span").text for i in inputs] == [
        "Looks right"
    ] * 3
    no_serious_violations(driver, "rows to fix")
    driver.execute_script(
        "arguments[0].scrollIntoView(); arguments[0].querySelector('.table-wrap').scrollLeft = 0",
        by_id(driver, "fix-rows"),
    )
    shoot(driver, "08-correction-step")
    submit = by_id(driver, "submit-corrections")
    assert submit.text == "Submit corrections (3 rows)"
    press_enter_on(driver, submit)
    corrected = wait_until(
        lambda: driver.find_elements(By.CSS_SELECTOR, "#fix-rows .corrected"),
        "the corrections",
        FINAL_S,
        ignoring=PAGE_CHANGING,
    )[0]
    assert corrected.text == "3 rows corrected by corrections-of-orders-with-errors.jsonl."
    assert "No rows left to fix" in by_id(driver, "fix-rows").text
    assert stored_orders(stack_settings, [10, 20, 30]) == [
        (10, "customer10@example.com", f"{float(row_amount(with_errors, 10)):.2f}", 11),
        (20, "customer20@example.com", "12.50", 21),
        (30, "customer30@example.com", f"{float(row_amount(with_errors, 30)):.2f}", 31),
    ]

    # the next file with these columns (and one more) is offered the saved mapping
    press_enter_on(driver, driver.find_element(By.LINK_TEXT, "All uploads"))
    again = tmp_path / "april-export.csv"
    again.write_text(
        "Order #,E-mail address,Date,Total,Gift wrap\n6001,x@example.com,2026-04-01,3.00,no\n"
    )
    by_id(driver, "files").send_keys(str(again))

    amount = open_mapping_step(driver, again.name, "map-amount")
    assert amount.get_attribute("value") == "Total"
    assert by_id(driver, "map-amount-hint").text == "Suggested by your saved mapping"

    driver.get(f"{stack}redoc")
    wait_until(
        lambda: driver.find_elements(By.CSS_SELECTOR, "h1"),
        "ReDoc to render",
        30,
        ignoring=PAGE_CHANGING,
    )
    driver.get(f"{stack}docs")
    wait_until(
        lambda: driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"),
        "Swagger UI",
        30,
        ignoring=PAGE_CHANGING,
    )
    requests += network_requests(driver)
    elsewhere = sorted({u for u in requests if not u.startswith((stack, "data:", "blob:"))})
    assert not elsewhere, f"the browser asked other servers: {elsewhere}"


def paused_card(driver: WebDriver, filename: str) -> WebElement:
    def paused() -> WebElement | None:
        card = card_of(driver, filename)
        return card if card.get_attribute("data-state") == "needs_mapping" else None

    return wait_until(
        paused, f"{filename} to pause for its columns", FINAL_S, ignoring=PAGE_CHANGING
    )


def open_mapping_step(driver: WebDriver, filename: str, element_id: str) -> WebElement:
    """Once the file's card pauses for its columns, "Map the columns" by keyboard; the
    element ``element_id`` of the mapping step."""
    card = paused_card(driver, filename)
    press_enter_on(driver, card.find_element(By.LINK_TEXT, "Map the columns"))
    found: list[WebElement] = wait_until(
        lambda: driver.find_elements(By.ID, element_id),
        "the mapping step",
        20,
        ignoring=PAGE_CHANGING,
    )
    return found[0]


def card_job(driver: WebDriver, filename: str) -> str:
    return card_of(driver, filename).get_attribute("data-job-id") or ""


def row_amount(path: Path, order_id: int) -> str:
    """The amount the sample file gives an order: order k is the file's k-th data row (a bad
    row may lack its id or its e-mail)."""
    return list(csv.reader(io.StringIO(path.read_text())))[order_id][4]
