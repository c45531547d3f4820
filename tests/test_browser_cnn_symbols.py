"""A real browser (Debian's Chromium via Playwright) on the CNN tab's "Teach it your own symbols": draw with the
mouse, add to a class, load the example set, train, and read both accuracies; then test a drawing.

Screenshots land in test-artifacts/. Skips where Chromium or Playwright is missing.
"""
import re
import shutil

import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
ARTIFACTS = ROOT / "test-artifacts"
CIRCLE = [[(0.5, 0.2), (0.3, 0.3), (0.25, 0.5), (0.3, 0.7), (0.5, 0.8), (0.7, 0.7), (0.75, 0.5), (0.7, 0.3),
           (0.5, 0.2)]]
CROSS = [[(0.25, 0.25), (0.75, 0.75)], [(0.75, 0.25), (0.25, 0.75)]]


@pytest.fixture(scope="module")
def page(app_url):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url, wait_until="load")  # not "networkidle": gr.State keeps a heartbeat open
        page.get_by_role("tab", name="CNN").wait_for(timeout=30_000)
        page.get_by_role("tab", name="CNN").click()
        page.get_by_text("Teach it your own symbols").wait_for(timeout=10_000)
        yield page
        browser.close()


def symbol_canvas(page):
    """The section's Sketchpad: the last visible digit canvas of the CNN tab."""
    canvases = [c for c in page.locator(".digit-canvas canvas").all() if c.is_visible()]
    return canvases[-1]


def draw(page, strokes):
    canvas = symbol_canvas(page)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=10)
        page.mouse.up()


def status_text(page) -> str:
    return page.locator(".prose", has_text=re.compile(r"drawing\(s\)|Transfer|example set|No drawings")).last.inner_text()


def test_draw_add_train_and_test(page):
    # the first stroke draws (brush preselected); Add files it under the chosen class and clears the canvas
    draw(page, CIRCLE)
    page.get_by_role("button", name="Add to class").click()
    page.get_by_text("1 drawing(s): ✓ 1").wait_for(timeout=20_000)
    page.get_by_text("✓ · #1").wait_for(timeout=10_000)
    page.screenshot(path=ARTIFACTS / "cnn_symbols_added.png", full_page=True)

    page.get_by_role("button", name="Load the example set").click()
    page.get_by_text("Loaded the example set: 20 drawings").wait_for(timeout=20_000)
    page.get_by_role("button", name="Train (transfer vs scratch)").click()
    page.get_by_role("button", name="Stop").first.wait_for(timeout=10_000)
    done = page.get_by_text(re.compile(r"Transfer \d+% leave-one-out vs scratch \d+% \d-fold"))
    done.wait_for(timeout=90_000)
    transfer, scratch = map(int, re.search(r"Transfer (\d+)% leave-one-out vs scratch (\d+)%", done.inner_text()).groups())
    assert transfer >= 80 and transfer >= scratch

    draw(page, CROSS)
    page.get_by_role("button", name="Test this drawing").click()
    block = page.locator(".block", has_text="Your classes: prediction").filter(has=page.locator("h2")).first
    block.locator("h2").wait_for(timeout=20_000)
    assert block.locator("h2").inner_text().strip() == "✗"
    page.screenshot(path=ARTIFACTS / "cnn_symbols_trained.png", full_page=True)
