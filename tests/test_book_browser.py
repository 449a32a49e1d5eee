"""Open every page of the built book in headless Chromium, offline, and check it renders.

Fails on console errors, failed or external requests, broken images, TeX that MathJax
left unrendered, and widget areas that stayed empty.  Saves a screenshot per page in
_build/screenshots/.  Build the book first (`make book`); without _build/html the
test is skipped.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGES = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
               if not p.relative_to(HTML).parts[0].startswith("_")) if HTML.is_dir() else []

pytestmark = pytest.mark.skipif(not HTML.is_dir(), reason="no built book in _build/html: run `make book` first")

# In the page: TeX delimiters still in the visible text (code blocks aside) once MathJax has run.
RAW_TEX_JS = """() => {
  const body = document.querySelector('main') || document.body;
  const copy = body.cloneNode(true);
  copy.querySelectorAll('pre, code, script, style, mjx-container, .highlight').forEach(e => e.remove());
  const text = copy.textContent;
  return ['$$', '\\\\(', '\\\\)', '\\\\[', '\\\\]', '\\\\frac', '\\\\sum'].filter(d => text.includes(d));
}"""
EMPTY_WIDGETS_JS = """() => Array.from(document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]')).filter(s => {
  const area = s.parentElement;
  const view = area.querySelector('.jupyter-widgets, .widget-subarea, .lm-Widget');
  return !view || view.getBoundingClientRect().height < 5;
}).length"""
BROKEN_IMAGES_JS = """() => Array.from(document.images)
  .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'))"""


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        subprocess.run(["bash", str(ROOT / "tools" / "ensure-chromium.sh")], check=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def test_the_book_has_its_chapters():
    chapters = [p for p in PAGES if p.startswith("book/")]
    assert len(chapters) >= 11, chapters


@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_offline(browser, server, page_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []

    def route(r):
        # The book must not need the network: anything not served by the book itself fails.
        if r.request.url.startswith(server):
            r.continue_()
        else:
            problems.append(f"external request: {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))

    page.goto(f"{server}/{page_path}", wait_until="networkidle")
    if page.locator(".math").count():
        page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=20_000)
        page.wait_for_timeout(300)
        raw = page.evaluate(RAW_TEX_JS)
        if raw:
            problems.append(f"unrendered TeX: {raw}")
    if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
        try:
            page.wait_for_function(f"({EMPTY_WIDGETS_JS})() === 0", timeout=20_000)
        except Exception:  # noqa: BLE001 - reported below with the count
            problems.append(f"{page.evaluate(EMPTY_WIDGETS_JS)} empty widget area(s)")
    broken = page.evaluate(BROKEN_IMAGES_JS)
    if broken:
        problems.append(f"broken images: {broken}")

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (page_path.replace("/", "_").removesuffix(".html") + ".png")), full_page=True)
    context.close()
    assert not problems, "\n".join(problems)
