"""Headless Chromium through Selenium for the page tests: setup, waits, screenshots, the
network log and axe-core's accessibility checks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from tests.conftest import REPO_ROOT
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
# installed by `make browser` (deploy/ensure-browser.sh, a pinned version from npm); the tests
# inject it, the page itself never loads it
AXE_SCRIPT = REPO_ROOT / ".bulkflow" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] })
  .then((r) => done(r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }))))
  .catch((e) => done([{ id: "axe-error", impact: "critical", help: String(e), nodes: [] }]));
"""


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
    # every request the browser makes, read back with network_requests()
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
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


def network_requests(driver: WebDriver) -> list[str]:
    """The URLs the browser asked for since the last call (Chromium's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def axe_violations(
    driver: WebDriver, impacts: tuple[str, ...] = ("serious", "critical")
) -> list[str]:
    """axe-core's violations of the page as it is now, of the given impacts."""
    if not AXE_SCRIPT.is_file():
        raise AssertionError(f"axe-core is not installed at {AXE_SCRIPT}: run make browser")
    if not driver.execute_script("return Boolean(window.axe)"):
        driver.execute_script(AXE_SCRIPT.read_text(encoding="utf-8"))
    found = driver.execute_async_script(AXE_RUN)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}"
        for v in found
        if v["impact"] in impacts
    ]


def tab_to(
    driver: WebDriver, target: WebElement, limit: int = 400, backwards: bool = False
) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus: it is reachable by keyboard."""
    for _ in range(limit):
        if driver.switch_to.active_element == target:
            return
        keys = ActionChains(driver)
        if backwards:
            keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            keys.send_keys(Keys.TAB).perform()
    raise AssertionError(f"{limit} presses of Tab never reached {target.tag_name} {target.text!r}")


def keys(driver: WebDriver, *typed: str) -> None:
    """Type on the keyboard, into whatever has the focus."""
    ActionChains(driver).send_keys(*typed).perform()
