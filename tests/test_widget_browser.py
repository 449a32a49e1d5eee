"""The draw-a-digit pad in the built HTML book, in Chromium, offline.

Draws each digit with mouse strokes on the chapter "Draw a digit" and reads the
page: the predictions, the neutral state after Clear, the bars moving while a
stroke is still being drawn, and the latency from a pointer event to updated
bars.  Needs the built book (``make book``).
"""

from __future__ import annotations

import functools
import math
import statistics
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "_build" / "html"
CHAPTER = "book/playground.html"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LATENCY_LIMIT_MS = 30.0

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, stop: float, points: int = 16) -> Stroke:
    """Points on an elliptic arc, angles in degrees, screen axes (90 degrees is down)."""
    angles = (math.radians(start + (stop - start) * k / (points - 1)) for k in range(points))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


# Each digit as strokes in pad coordinates (0..1, y down), written the way MNIST's
# writers mostly wrote them: an open-topped 4, a 7 without a bar, a 1 without a flag.
DIGIT_STROKES: dict[int, list[Stroke]] = {
    0: [_arc(0.5, 0.5, 0.19, 0.3, -90, 280, 28)],
    1: [[(0.52, 0.18), (0.5, 0.5), (0.47, 0.82)]],
    2: [_arc(0.5, 0.36, 0.17, 0.16, 200, 380) + [(0.3, 0.8), (0.74, 0.8)]],
    3: [_arc(0.48, 0.35, 0.16, 0.15, 200, 450) + _arc(0.48, 0.65, 0.17, 0.15, 270, 520)[1:]],
    4: [[(0.34, 0.2), (0.31, 0.55), (0.72, 0.55)], [(0.64, 0.2), (0.64, 0.83)]],
    5: [[(0.68, 0.2), (0.4, 0.2), (0.38, 0.46)] + _arc(0.5, 0.62, 0.17, 0.16, 225, 510)],
    6: [[(0.62, 0.17), (0.5, 0.3), (0.4, 0.45)] + _arc(0.5, 0.65, 0.14, 0.15, 180, -180, 24)],
    7: [[(0.3, 0.22), (0.72, 0.22), (0.46, 0.83)]],
    8: [_arc(0.5, 0.34, 0.13, 0.14, 90, 450, 20), _arc(0.5, 0.64, 0.16, 0.16, -90, 270, 22)],
    9: [_arc(0.5, 0.34, 0.14, 0.14, 0, -360, 22) + [(0.62, 0.6), (0.6, 0.83)]],
}


def draw(page, pad, strokes: list[Stroke], steps: int = 3, on_move=None) -> None:
    """Draw strokes with the mouse on the pad element; ``on_move()`` runs after each move."""
    box = pad.bounding_box()
    for stroke in strokes:
        points = [(box["x"] + u * box["width"], box["y"] + v * box["height"]) for u, v in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=steps)
            if on_move is not None:
                on_move()
        page.mouse.up()


def distances(page) -> list[str]:
    """The ten bars' data-value attributes, in digit order."""
    bars = page.locator('[data-testid="rbf-distance"]')
    values = {int(b.get_attribute("data-digit")): b.get_attribute("data-value") for b in bars.all()}
    return [values[d] for d in range(10)]


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        """Keep the test output to what the tests print."""


@pytest.fixture(scope="module")
def book_url() -> Iterator[str]:
    if not (BOOK / CHAPTER).is_file():
        pytest.skip(f"{BOOK / CHAPTER} is missing: build the book first (make book)")
    handler = functools.partial(_QuietHandler, directory=str(BOOK))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def page(book_url: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1200, "height": 1000})
        # Offline: anything not served by the book's own server is refused.
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(book_url)
                      else route.abort())
        page = context.new_page()
        page.goto(book_url + CHAPTER)
        page.locator('[data-testid="digit-pad"]').first.wait_for(state="visible", timeout=20_000)
        yield page
        browser.close()


def test_one_pad_on_the_page(page) -> None:
    assert page.locator('[data-testid="digit-pad"]').count() == 1
    assert page.locator('[data-testid="rbf-distance"]').count() == 10


def test_draws_each_digit(page, tmp_path: Path) -> None:
    """At least 9 of the 10 digits drawn with the mouse are read right."""
    pad = page.locator('[data-testid="digit-pad"]')
    pad.scroll_into_view_if_needed()
    read = {}
    for digit, strokes in DIGIT_STROKES.items():
        page.locator('[data-testid="clear"]').click()
        draw(page, pad, strokes)
        read[digit] = page.locator('[data-testid="prediction"]').inner_text()
        page.locator(".ldp").screenshot(path=tmp_path / f"digit-{digit}.png")
    right = sum(read[d] == str(d) for d in read)
    print(f"drawn -> read: {read}; {right}/10 right; screenshots in {tmp_path}")
    assert right >= 9


def test_clear_returns_to_neutral(page) -> None:
    pad = page.locator('[data-testid="digit-pad"]')
    draw(page, pad, DIGIT_STROKES[7])
    assert page.locator('[data-testid="prediction"]').inner_text() != ""
    page.locator('[data-testid="clear"]').click()
    assert page.locator('[data-testid="prediction"]').inner_text() == ""
    assert distances(page) == [""] * 10
    assert "NaN" not in page.locator(".ldp").inner_text()


def test_bars_move_during_a_stroke_and_fast(page) -> None:
    """Bars change while the button is still down, each update within 30 ms of its event."""
    pad = page.locator('[data-testid="digit-pad"]')
    page.locator('[data-testid="clear"]').click()
    box = pad.bounding_box()
    points = [(box["x"] + u * box["width"], box["y"] + v * box["height"]) for u, v in DIGIT_STROKES[0][0]]
    latencies, seen = [], []

    def record() -> None:
        latencies.append(float(pad.get_attribute("data-latency-ms")))

    page.mouse.move(*points[0])
    page.mouse.down()
    half = len(points) // 2
    for x, y in points[1:half]:
        page.mouse.move(x, y, steps=2)
        record()
        seen.append(distances(page))
    for x, y in points[half:]:
        page.mouse.move(x, y, steps=2)
        record()
    seen.append(distances(page))
    page.mouse.up()
    assert all(v != "" for v in seen[0]), "no distances while drawing"
    assert len({tuple(s) for s in seen}) == len(seen), "the bars did not change at every move"
    # Four strokes more, for a steadier latency figure.
    for digit in (2, 5, 8, 9):
        page.locator('[data-testid="clear"]').click()
        draw(page, pad, DIGIT_STROKES[digit], steps=1, on_move=record)
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))]
    print(f"pointer event -> updated bars over {len(latencies)} moves: median {statistics.median(latencies):.2f} ms, "
          f"95th percentile {p95:.2f} ms, max {latencies[-1]:.2f} ms")
    assert p95 < LATENCY_LIMIT_MS
