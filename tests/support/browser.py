"""Headless Chromium through Selenium for the page tests: setup, waits and screenshots."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.support.waiting import wait_until

# what a page being redrawn raises while a check reads it (an element replaced): not yet
PAGE_CHANGING = (WebDriverException,)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = (
    None
    if CHROMIUM and CHROMEDRIVER
    else "headless Chromium is not installed (make browser: apt-get install chromium "
    "chromium-driver)"
)


@contextmanager
def chromium(download_dir: Path, width: int = 1280, height: int = 1000) -> Iterator[WebDriver]:
    """A headless Chromium that saves downloads in ``download_dir`` without asking."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--lang=en-US",
        f"--window-size={width},{height}",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(download_dir),
            "download.prompt_for_download": False,
            "intl.accept_languages": "en-US",
        },
    )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": str(download_dir), "eventsEnabled": False},
        )
        yield driver
    finally:
        driver.quit()


def wait_for_file(folder: Path, name: str, timeout_s: float = 20) -> Path:
    path = folder / name

    def done() -> Path | None:
        # Chromium writes <name>.crdownload first and renames it when complete
        return path if path.exists() and path.stat().st_size > 0 else None

    return wait_until(done, f"the download {name}", timeout_s)
