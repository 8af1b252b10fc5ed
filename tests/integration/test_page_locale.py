"""The upload page's locale choice in headless Chromium against the running stack: a person
picks how the file writes numbers and dates, and the upload says it was read that way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from tests.integration import test_page as page
from tests.integration.test_page import by_id, card_job, final_card, shoot, sign_in
from tests.support.browser import MISSING, PAGE_CHANGING
from tests.support.office_corpus import REPO_ROOT
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(MISSING is not None, reason=MISSING or ""),
]

# the page test's fixtures: the whole stack as `bulkflow serve` runs it, and the browser
stack_settings, stack, browser = page.stack_settings, page.stack, page.browser
GERMAN = REPO_ROOT / "tests" / "data" / "locales" / "de-DE_excel_semicolon.csv"
# amounts typed the German way beside number cells; row 8's amount has three decimals
MIXED = REPO_ROOT / "tests" / "data" / "locales" / "de-DE_mixed_amounts.xlsx"


def test_a_person_chooses_the_locale_and_sees_it_in_the_outcome(
    stack: str, browser: tuple[WebDriver, Path], tmp_path: Path
) -> None:
    driver, _downloads = browser
    driver.get(stack)
    wait_until(
        lambda: by_id(driver, "api-key").is_displayed(),
        "the sign-in form",
        15,
        ignoring=PAGE_CHANGING,
    )
    sign_in(driver, "key-a")
    wait_until(
        lambda: by_id(driver, "app").is_displayed(),
        "the signed-in page",
        15,
        ignoring=PAGE_CHANGING,
    )
    choice = Select(by_id(driver, "locale"))
    wait_until(lambda: len(choice.options) > 20, "the locales", 15)
    assert choice.first_selected_option.text == "Detect it from each file"
    choice.select_by_value("de-DE")
    assert "decimal comma, day-first dates" in choice.first_selected_option.text

    chosen = shutil.copy(GERMAN, tmp_path / "bestellungen.csv")
    by_id(driver, "files").send_keys(str(chosen))
    card = final_card(driver, "bestellungen.csv")
    assert card.get_attribute("data-state") == "completed"
    assert card.find_element(By.CLASS_NAME, "outcome").text == "Completed: 100 rows saved."
    reading = card.find_element(By.CLASS_NAME, "reading").text
    assert reading == "read as de-DE: decimal comma, day-first dates (chosen)"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", card)
    shoot(driver, "07-locale-chosen")

    # the upload's own page names it among its facts
    card.find_element(By.LINK_TEXT, "bestellungen.csv").click()

    def read_as() -> str | None:
        facts = by_id(driver, "upload-facts").find_elements(
            By.XPATH, "./dt[.='Read as']/following-sibling::dd[1]"
        )
        return facts[0].text if facts else None

    assert wait_until(read_as, "the upload page's facts", 15, ignoring=PAGE_CHANGING) == reading

    # rows to fix are checked as the upload was read: a German amount passes in a file read
    # as de-DE (detected), and is refused in the same file read as en-US (chosen)
    for locale, name in (("", "gemischt.xlsx"), ("en-US", "mixed.xlsx")):
        driver.execute_script("location.hash = '#/'")
        Select(by_id(driver, "locale")).select_by_value(locale)
        by_id(driver, "files").send_keys(str(shutil.copy(MIXED, tmp_path / name)))
        assert final_card(driver, name).get_attribute("data-state") == "completed_with_errors"
    checks = {}
    for name in ("gemischt.xlsx", "mixed.xlsx"):
        driver.execute_script(f"location.hash = '#/uploads/{card_job(driver, name)}'")

        def typed() -> str:
            # the table may be drawn again as the job's status arrives: then type anew
            amount = driver.find_element(By.ID, "fix-8-amount")
            amount.clear()
            amount.send_keys("1,23")
            return str(amount.find_element(By.XPATH, "following-sibling::span").text)

        checks[name] = wait_until(typed, f"row 8 of {name} to fix", 30, ignoring=PAGE_CHANGING)
        if name == "gemischt.xlsx":
            assert by_id(driver, "fix-locale").text == (
                "Corrections are read as de-DE, as this upload was."
            )
            shoot(driver, "10-locale-corrections")
    assert checks["gemischt.xlsx"] == "Looks right"
    assert checks["mixed.xlsx"].startswith("expected a number written like 1,234.56")
