"""The built book in headless Chromium (Debian's chromium + chromium-driver, driven by selenium).

_build/html (built once per session by the `built_book` fixture of conftest.py) is served on
127.0.0.1; every page of the TOC must load without JavaScript console errors, with MathJax
rendered, all images loaded, and, on chapter pages, the Colab launch link pointing to that
chapter's Colab edition; the search page must find "perceptron"; at phone width (390 px) no page
scrolls sideways. A screenshot of every chapter is saved
to _build/screenshots/ (a CI artifact). In CI (env CI set) a missing browser is a failure.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT, code_cells, colab_url, read_nb, toc_docs

SCREENSHOTS = REPO_ROOT / "_build" / "screenshots"
# Debian's packages (installed by .ci/run); overridable, e.g. by the GitHub workflow on Ubuntu.
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")


@pytest.fixture(scope="session")
def server(built_book):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        msg = "chromium/chromedriver missing: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1280,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _wait(predicate, timeout=30.0, interval=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


VISIBLE_PROSE_JS = """
const root = document.querySelector('main') || document.body;
const c = root.cloneNode(true);
c.querySelectorAll('pre, code, script, style, .highlight, mjx-container, .cell_output').forEach(e => e.remove());
return c.textContent;
"""

MATHJAX_DONE_JS = """
const done = arguments[arguments.length - 1];
if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) { done('not loaded'); return; }
MathJax.startup.promise.then(() => done('ok')).catch(e => done('error: ' + e));
"""


def _severe_logs(driver):
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


@pytest.mark.parametrize("doc", toc_docs())
def test_page_in_browser(doc, server, browser):
    browser.get_log("browser")  # drop messages of the previous page
    browser.get(f"{server}/{doc}.html")
    assert _wait(lambda: browser.execute_script("return document.readyState") == "complete")
    assert browser.find_elements("css selector", "main, article"), f"{doc}: no page content"

    # MathJax: every math element of the source became an mjx-container, no TeX left in the prose.
    n_math = browser.execute_script("return document.querySelectorAll('.math').length")
    if n_math:
        _wait(lambda: browser.execute_script("return !!(window.MathJax && MathJax.startup && MathJax.startup.promise)"))
        browser.set_script_timeout(60)
        assert browser.execute_async_script(MATHJAX_DONE_JS) == "ok", f"{doc}: MathJax did not load"
        n_mjx = _wait(lambda: browser.execute_script("return document.querySelectorAll('mjx-container').length") >= n_math)
        assert n_mjx, f"{doc}: {n_math} math elements but fewer rendered mjx-containers"
        assert not browser.find_elements("css selector", "mjx-merror"), f"{doc}: MathJax reports a TeX error"
    prose = browser.execute_script(VISIBLE_PROSE_JS)
    raw = re.findall(r"\$\$|\\\[|\\\(|\\(?:frac|sum|mathrm|theta|begin|lambda|sigma|eta)\b", prose)
    assert not raw, f"{doc}: raw TeX in the rendered page: {raw[:5]}"

    # Images: all loaded (scroll down first so nothing is lazily pending).
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    broken = _wait(lambda: not browser.execute_script(
        "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).length"), timeout=15)
    missing = browser.execute_script(
        "return Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
    assert broken and not missing, f"{doc}: images not loaded: {missing}"

    if doc.startswith("chapters/"):
        nb = read_nb(REPO_ROOT / f"{doc}.ipynb")
        n_png = sum("image/png" in o.get("data", {}) for c in code_cells(nb) for o in c.outputs)
        n_img = browser.execute_script("return document.querySelectorAll('main img, article img').length")
        assert n_img >= n_png, f"{doc}: {n_png} stored plots but {n_img} images on the page"
        hrefs = browser.execute_script(
            "return Array.from(document.querySelectorAll('a[href*=\"colab.research.google.com\"]')).map(a => a.href)")
        assert colab_url(f"colab/{doc.split('/', 1)[1]}.ipynb") in hrefs, f"{doc}: Colab launch link missing or wrong: {hrefs}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.execute_script("window.scrollTo(0, 0)")
        browser.save_screenshot(str(SCREENSHOTS / f"{Path(doc).name}.png"))

    errors = _severe_logs(browser)
    assert not errors, f"{doc}: JavaScript console errors: {json.dumps(errors, indent=1)[:3000]}"


def test_search_page_finds_perceptron(server, browser):
    browser.get_log("browser")
    browser.get(f"{server}/search.html?q=perceptron")
    results = _wait(lambda: browser.execute_script(
        "return Array.from(document.querySelectorAll('#search-results li a')).map(a => a.getAttribute('href'))"))
    assert results, "search.html?q=perceptron returned no results"
    assert any("glossary" in r or "chapters/" in r for r in results), results
    assert not _severe_logs(browser)


PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}  # an iPhone-sized viewport


@pytest.mark.parametrize("doc", toc_docs())
def test_no_horizontal_scroll_on_a_phone(doc, server, browser):
    """At 390 px no page scrolls sideways: wide code, tables and math scroll inside their own box (_assets/dlbook.css)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        browser.get(f"{server}/{doc}.html")
        assert _wait(lambda: browser.execute_script("return document.readyState") == "complete")
        if browser.execute_script("return document.querySelectorAll('.math').length"):
            browser.set_script_timeout(60)
            browser.execute_async_script(MATHJAX_DONE_JS)
        width, page_width = browser.execute_script(
            "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]")
        assert width == PHONE["width"], f"viewport is {width} px, not {PHONE['width']}"
        if doc.startswith("chapters/"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(SCREENSHOTS / f"phone-{Path(doc).name}.png"))
        assert page_width <= width, f"{doc}: the page is {page_width} px wide at {width} px: it scrolls sideways"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
