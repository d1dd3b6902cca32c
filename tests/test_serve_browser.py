"""The page in a real headless Chromium (Debian's `chromium` + `chromium-driver`, driven by selenium).

It types a query into the search box of a real `textemb serve` on the shipped Wikipedia sample,
reads the ranked results, uses the words tab (neighbours, analogy, PCA scatter) and saves two
screenshots (serve-search.png, serve-words.png) to $TEXTEMB_SERVE_OUT or the test's tmp folder.
It also searches for a crafted document whose title is HTML and checks the page shows it as text.
Install the browser with `make browser`; without it the test is skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.serve_fixtures import (
    CRAFTED_TITLE,
    artefact_dir,
    running_server,
    wiki_index_for,
)

CHROMIUM = os.environ.get("TEXTEMB_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
DRIVER = os.environ.get("TEXTEMB_CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1200,1000"]
HOW = "run 'make browser' (apt-get installs Debian's chromium and chromium-driver)"


def no_browser() -> str | None:
    """Why no headless browser can be had here (one line), or ``None`` when chromium, its driver and selenium are."""
    import importlib.util

    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", DRIVER)) if not Path(path).is_file()]
    if missing:
        return f"no headless browser: {' and '.join(missing)} not found ({CHROMIUM}, {DRIVER}); {HOW}"
    if importlib.util.find_spec("selenium") is None:
        return "no headless browser: selenium is not installed (pip install 'textemb[dev]')"
    return None


# checked before any fixture: without a browser nothing is built (the Wikipedia index takes a while)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(no_browser() is not None, reason=no_browser() or "")]


def start_browser(profile: Path):
    """A headless Chromium driven by selenium; skips the test, saying why in one line, when it cannot start."""
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    try:
        driver = webdriver.Chrome(options=opts, service=Service(DRIVER))
    except (WebDriverException, OSError) as exc:  # installed but cannot run here (driver/browser mismatch, libraries)
        text = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        pytest.skip(f"no headless browser: {CHROMIUM} with {DRIVER} did not start ({text.strip().splitlines()[0][:200]})")
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture(scope="session")
def browser_starts(tmp_path_factory) -> None:
    """Chromium starts here (checked once, before the Wikipedia index is built for nothing)."""
    start_browser(tmp_path_factory.mktemp("chromium-check")).quit()


@pytest.fixture(scope="session")
def wiki_index(tmp_path_factory, browser_starts):
    return wiki_index_for(tmp_path_factory)


@pytest.fixture
def browser(tmp_path, browser_starts):
    driver = start_browser(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, seconds: float = 60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(condition)


def _search(driver, query: str) -> list:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element(By.ID, "query")
    box.clear()
    box.send_keys(query, Keys.ENTER)
    _wait(driver, lambda d: d.find_element(By.ID, "results").get_attribute("data-query") == query)
    return driver.find_elements(By.CSS_SELECTOR, "#results li")


def test_search_and_words_tabs_in_chromium(browser, wiki_index, tmp_path):
    from selenium.webdriver.common.by import By

    out = artefact_dir(tmp_path)
    with running_server(wiki_index, "--words", "glove-6b-50d") as url:
        browser.get(url + "/")
        _wait(browser, lambda d: "generation" in d.find_element(By.ID, "status").text)
        hits = _search(browser, "apollo moon landing astronauts")
        titles = [h.find_element(By.CLASS_NAME, "title").text for h in hits]
        assert {"Apollo 11", "Apollo 8", "Astronaut"} & set(titles[:3]), titles
        scores = [float(h.find_element(By.CLASS_NAME, "score").text) for h in hits]
        assert scores == sorted(scores, reverse=True) and len(hits) == 10
        assert hits[0].find_element(By.CLASS_NAME, "source").text.startswith("corpus.jsonl")
        marks = [m.text.lower() for m in hits[0].find_elements(By.TAG_NAME, "mark")]
        assert marks and set(marks) <= {"apollo", "moon", "landing", "astronauts"}, marks
        browser.save_screenshot(str(out / "serve-search.png"))

        # a document whose title and text are HTML is shown as text; none of it runs or renders
        found = _search(browser, "zebrafish xylophone")
        crafted = next(h for h in found if h.find_element(By.CLASS_NAME, "source").text.startswith("crafted.jsonl"))
        assert crafted.find_element(By.CLASS_NAME, "title").text == CRAFTED_TITLE
        assert "<script>" in crafted.find_element(By.CLASS_NAME, "passage").text
        assert not browser.find_elements(By.CSS_SELECTOR, "#results img, #results b, #results script")
        assert browser.title == "textemb"

        browser.set_window_size(1200, 1250)  # room for the whole scatter in the screenshot
        browser.find_element(By.ID, "tab-words").click()
        browser.find_element(By.ID, "nb-word").send_keys("frog")
        browser.find_element(By.CSS_SELECTOR, "#neighbors-form button").click()
        _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#neighbors li"))
        neighbours = [li.text.split()[0] for li in browser.find_elements(By.CSS_SELECTOR, "#neighbors li")]
        assert "toad" in neighbours, neighbours
        for field, word in (("an-a", "man"), ("an-b", "king"), ("an-c", "woman")):
            browser.find_element(By.ID, field).send_keys(word)
        browser.find_element(By.CSS_SELECTOR, "#analogy-form button").click()
        _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#analogies li"))
        assert browser.find_elements(By.CSS_SELECTOR, "#analogies li")[0].text.startswith("queen")
        browser.find_element(By.CSS_SELECTOR, "#pca-form button").click()
        _wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#scatter circle")) >= 10)
        labels = {t.text for t in browser.find_elements(By.CSS_SELECTOR, "#scatter g text")}
        assert {"king", "queen", "paris", "france"} <= labels
        browser.save_screenshot(str(out / "serve-words.png"))
        severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe  # no script error, no CSP violation, no failed request
    assert (out / "serve-search.png").stat().st_size > 10_000


def test_page_asks_for_the_token_and_uses_it(browser, wiki_index, monkeypatch):
    from selenium.webdriver.common.by import By

    token = "browser-test-token-0123456789abcdef"
    monkeypatch.setenv("TEXTEMB_SERVE_TOKEN", token)
    with running_server(wiki_index, "--words", "glove-6b-50d", token=token) as url:
        browser.get(url + "/")
        _wait(browser, lambda d: d.find_element(By.ID, "token-box").is_displayed())
        browser.find_element(By.ID, "token").send_keys(token + "\n")
        _wait(browser, lambda d: "generation" in d.find_element(By.ID, "status").text)
        assert not browser.find_element(By.ID, "token-box").is_displayed()
        assert _search(browser, "apollo moon landing astronauts")
