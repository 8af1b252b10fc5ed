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
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from ops.devservers.localhost import free_port
from ops.devservers.sample_data import write_orders_csv
from ops.supervisor import Supervisor
from schemas.settings import Settings
from tests.conftest import REPO_ROOT
from tests.support.browser import MISSING, PAGE_CHANGING, chromium, wait_for_file
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
def stack(kafka_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """The real stack as `bulkflow serve` runs it; yields the page's base URL."""
    settings = kafka_settings.model_copy(update={"api_keys": "acme:key-a,globex:key-b"})
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
    assert "matches ^[A-Z]{2}$" in table["country"]
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
    by_id(driver, "files").send_keys("\n".join(str(p) for p in (good, with_errors, broken)))
    wait_until(
        lambda: len(driver.find_elements(By.CSS_SELECTOR, ".upload-card")) == 3,
        "three upload cards",
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
    assert partial.find_element(By.CSS_SELECTOR, ".error-table caption").text == "All 10 errors"
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

    by_id(driver, "recent-refresh").click()

    def listed() -> dict[str, str] | None:
        found = {
            r.find_element(By.TAG_NAME, "th").text: r.get_attribute("data-state") or ""
            for r in driver.find_elements(By.CSS_SELECTOR, "#recent-table tbody tr")
        }
        return found if len(found) == 3 and "queued" not in found.values() else None

    recent = wait_until(listed, "the three uploads in the recent list", 30, ignoring=PAGE_CHANGING)
    assert recent == {
        good.name: "completed",
        with_errors.name: "completed_with_errors",
        broken.name: "failed",
    }
    job_ids = [
        r.get_attribute("data-job-id")
        for r in driver.find_elements(By.CSS_SELECTOR, "#recent-table tbody tr")
    ]
    assert other_job not in job_ids and other.name not in driver.page_source
    assert by_id(driver, "recent-range").text == "1–3 of 3"
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
