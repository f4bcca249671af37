"""The course book: it builds, it is complete, it renders offline, it leaks nothing.

One session fixture builds the book from the repository's ``_config.yml`` and
``_toc.yml`` into a temporary folder, with warnings as errors and every note
executed, exactly as ``make book`` does. The tests then check the HTML files,
open pages in headless Chromium served from 127.0.0.1 (math typeset by the
local MathJax, every figure loaded), and search the whole site for solution
text with ``autograder.leaks``.

Chromium: the Debian packages ``chromium`` and ``chromium-driver`` (``make
browser`` installs them as root). Without them the browser test fails when
the environment variable ``CI`` is set and is skipped otherwise.
Set ``BOOK_SCREENSHOTS=<folder>`` to keep a PNG of every page the browser
opens.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,1600",
)
MATHJAX = "_static/mathjax/tex-chtml.js"
# Notes whose text has math; every note (these, the introduction and the guide to
# Assignment 2) has a figure.
MATH_PAGES = ["book/knn", "book/linear_classifiers", "book/optimization", "book/backprop", "book/features",
              "book/neural_networks", "book/initialization", "book/optimizers", "book/normalization",
              "book/dropout", "book/convolution", "book/cnn_architectures", "book/pytorch",
              "book/transfer_learning", "book/rnn", "book/lstm", "book/word_embeddings",
              "book/language_models", "book/text_classification", "book/attention",
              "book/transformers", "book/gans", "book/self_supervised"]
FIGURE_PAGES = ["book/intro", "book/assignment2", "book/assignment3"] + MATH_PAGES
BUILD_TIMEOUT = 900  # seconds; the build takes about 2 minutes on 2 cores

pytestmark = pytest.mark.e2e


def toc_pages() -> list[str]:
    """Every document of ``_toc.yml`` (without suffix), root first."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [str(Path(p).with_suffix("")) for p in pages]


@pytest.fixture(scope="session")
def html_dir(tmp_path_factory) -> Path:
    """Build the book once, as ``make book`` does; fail if the build fails."""
    out = tmp_path_factory.mktemp("book")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jupyter_book), "build", str(REPO), "--path-output", str(out),
           "--builder", "html", "-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    log = (proc.stdout + proc.stderr)[-6000:]
    assert proc.returncode == 0, f"book build failed (exit {proc.returncode}):\n{log}"
    site = out / "_build" / "html"
    assert (site / "index.html").is_file(), f"no index.html in {site}:\n{log}"
    return site


def page_files(site: Path) -> list[Path]:
    """The built content pages (not the search and index pages)."""
    skip = {"search.html", "genindex.html", "index.html", "py-modindex.html"}
    return sorted(p for p in site.rglob("*.html")
                  if p.name not in skip and "_static" not in p.parts and "_sources" not in p.parts)


def test_every_toc_page_is_built_and_nothing_else(html_dir):
    expected = {f"{page}.html" for page in toc_pages()}
    built = {p.relative_to(html_dir).as_posix() for p in page_files(html_dir)}
    missing = expected - built
    assert not missing, f"pages in _toc.yml without HTML: {sorted(missing)}"
    # only_build_toc_files: the nbgrader sources (with solutions), the package
    # and anything else outside the toc must never become pages.
    extra = built - expected
    assert not extra, f"pages built that are not in _toc.yml: {sorted(extra)}"
    for folder in ("assignments", "cs231n", "autograder", "tests"):
        assert not (html_dir / folder).exists(), f"{folder}/ was built into the site"
    # Cells that run assignment code show only their output (remove-input);
    # the page sources, which hold that code, must not be published.
    assert not (html_dir / "_sources").exists(), "page sources were copied into the site"


def test_local_mathjax_is_in_the_build(html_dir):
    assert (html_dir / MATHJAX).is_file()
    fonts = html_dir / "_static/mathjax/output/chtml/fonts/woff-v2"
    assert fonts.is_dir() and any(fonts.glob("*.woff")), "MathJax's CHTML fonts were not copied"
    for page in MATH_PAGES:
        text = (html_dir / f"{page}.html").read_text()
        assert re.search(r'<script[^>]+src="(\.\./)*' + re.escape(MATHJAX), text), \
            f"{page}.html does not load the local MathJax"


def test_no_page_loads_anything_from_the_network(html_dir):
    """No CDN MathJax, and no script, stylesheet or image from another host."""
    remote = re.compile(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="(?:https?:)?//[^"]*"', re.I)
    for path in page_files(html_dir) + [html_dir / "index.html"]:
        text = path.read_text()
        for url in re.findall(r'(?:https?:)?//[^"\'\s)]*mathjax[^"\'\s)]*', text, re.I):
            pytest.fail(f"{path.name} refers to a remote MathJax: {url}")
        assert "cdn.jsdelivr.net/npm/mathjax" not in text and "cdnjs.cloudflare.com/ajax/libs/mathjax" not in text
        found = remote.findall(text)
        assert not found, f"{path.name} loads from the network: {found[:3]}"


def test_book_contains_no_solution_text(html_dir):
    from autograder.leaks import find_leaks

    leaks = find_leaks(REPO, [html_dir])
    assert leaks == [], "solution text in the built book:\n" + "\n".join(map(str, leaks[:20]))


# --------------------------------------------------------------------------
# In the browser
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(html_dir):
    """Serve the built site on 127.0.0.1 from a background thread."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(QuietHandler, directory=str(html_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=10)


def _no_browser(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser test may not be skipped)")
    pytest.skip(f"{reason}; install Debian's chromium and chromium-driver (make browser) to run it")


@pytest.fixture(scope="module")
def browser():
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        _no_browser(f"headless Chromium is not installed: {', '.join(missing)} missing")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _no_browser("selenium is not installed")

    profile = tempfile.mkdtemp(prefix="book-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


WAIT_FOR_MATHJAX = """
const done = arguments[arguments.length - 1];
const start = Date.now();
(function poll() {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => done("ok"), (err) => done("error: " + err));
  } else if (Date.now() - start > 30000) {
    done("MathJax did not start");
  } else {
    setTimeout(poll, 100);
  }
})();
"""

MATH_STATE = r"""
const math = Array.from(document.querySelectorAll("span.math, div.math"));
return {
  math: math.length,
  typeset: math.filter((el) => el.querySelector("mjx-container")).length,
  containers: document.querySelectorAll("mjx-container").length,
  errors: document.querySelectorAll("mjx-merror").length,
  raw: math.map((el) => el.textContent).filter((t) => /\\\(|\\\[|\$\$/.test(t)).slice(0, 3),
};
"""

IMAGES = """
return Array.from(document.images).map((img) => ({
  src: img.getAttribute("src"), complete: img.complete, width: img.naturalWidth,
  figure: img.closest(".cell_output") !== null,
}));
"""


@pytest.mark.parametrize("page", FIGURE_PAGES)
def test_page_renders_math_and_figures(page, server, browser):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/{page}.html")
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return document.readyState") == "complete")

    if page in MATH_PAGES:
        assert browser.execute_async_script(WAIT_FOR_MATHJAX) == "ok"
        state = browser.execute_script(MATH_STATE)
        assert state["math"] > 0, f"{page}: no math found in the page"
        assert state["containers"] > 0, f"{page}: MathJax produced no mjx-container"
        assert state["typeset"] == state["math"], \
            f"{page}: only {state['typeset']} of {state['math']} formulas typeset"
        assert not state["raw"], f"{page}: raw TeX left in the page: {state['raw']}"
        assert state["errors"] == 0, f"{page}: {state['errors']} MathJax errors (bad TeX)"

    WebDriverWait(browser, 60).until(
        lambda d: all(img["complete"] for img in d.execute_script(IMAGES)))
    images = browser.execute_script(IMAGES)
    broken = [img["src"] for img in images if img["width"] == 0]
    assert not broken, f"{page}: images that did not load: {broken}"
    figures = [img for img in images if img["figure"]]
    assert figures, f"{page}: no figure drawn by a code cell"

    # Resources that failed to load (a MathJax font, a figure) and uncaught
    # JavaScript errors; the theme's console chatter is not the book's concern.
    failed = [entry["message"] for entry in browser.get_log("browser")
              if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
              and re.search(r"Failed to load resource|net::ERR_|Uncaught", entry["message"])]
    assert not failed, f"{page}: browser errors: {failed[:5]}"

    shots = os.environ.get("BOOK_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(shots) / f"{Path(page).name}.png"))


def test_toc_lists_the_notes():
    """The table of contents is what the book promises (a cheap check, no build)."""
    pages = toc_pages()
    assert pages[0] == "book/intro"
    for page in ["book/knn", "book/linear_classifiers", "book/optimization", "book/backprop",
                 "book/features", "book/neural_networks", "book/initialization", "book/optimizers",
                 "book/normalization", "book/dropout", "book/convolution", "book/cnn_architectures",
                 "book/pytorch", "book/transfer_learning", "book/rnn", "book/lstm", "book/word_embeddings",
                 "book/language_models", "book/text_classification", "book/attention", "book/transformers", "book/gans", "book/self_supervised",
                 "book/assignment1", "book/assignment2", "book/assignment3"]:
        assert page in pages
        assert (REPO / f"{page}.md").is_file()
