"""A real browser (Debian's Chromium via Playwright) on the CNN tab's "Teach it your own symbols": draw with the
mouse, add to a class, load the example set, train, and read both accuracies; then test a drawing.

Screenshots land in test-artifacts/. Skips where Chromium or Playwright is missing.
"""
import re
import shutil

import pytest

from test_browser import ARTIFACTS, draw, page  # noqa: F401 (page: the module-scoped Chromium page fixture)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
CIRCLE = [[(0.5, 0.2), (0.3, 0.3), (0.25, 0.5), (0.3, 0.7), (0.5, 0.8), (0.7, 0.7), (0.75, 0.5), (0.7, 0.3),
           (0.5, 0.2)]]
CROSS = [[(0.25, 0.25), (0.75, 0.75)], [(0.75, 0.25), (0.25, 0.75)]]


def test_draw_add_train_and_test(page):
    page.get_by_role("tab", name="CNN").click()
    page.get_by_text("Teach it your own symbols").wait_for(timeout=30_000)
    # the section renders after its heading: wait for its own canvas, or "the last canvas" is the tab's first one
    page.locator(".digit-canvas", has_text="Draw a symbol").locator("canvas").first.wait_for(state="visible",
                                                                                       timeout=60_000)
    # the section's canvas is the tab's last one; the first stroke draws (brush preselected); Add files the
    # drawing under the chosen class and clears the canvas (the brush stays selected: the second drawing below)
    draw(page, -1, CIRCLE)
    page.get_by_role("button", name="Add to class").click()
    page.get_by_text("1 drawing(s): ✓ 1").wait_for(timeout=20_000)
    page.get_by_text("✓ · #1").wait_for(timeout=10_000)
    page.screenshot(path=ARTIFACTS / "cnn_symbols_added.png", full_page=True)

    page.get_by_role("button", name="Load the example set").click()
    page.get_by_text("Loaded the example set: 20 drawings").wait_for(timeout=20_000)
    page.get_by_role("button", name="Train (transfer vs scratch)").click()
    done = page.get_by_text(re.compile(r"Transfer \d+% leave-one-out vs scratch \d+% \d-fold"))
    done.wait_for(timeout=90_000)
    transfer, scratch = map(int, re.search(r"Transfer (\d+)% leave-one-out vs scratch (\d+)%", done.inner_text()).groups())
    assert transfer >= 80 and transfer >= scratch

    draw(page, -1, CROSS)
    page.get_by_role("button", name="Test this drawing").click()
    block = page.locator(".block", has_text="Your classes: prediction").filter(has=page.locator("h2")).first
    block.locator("h2").wait_for(timeout=20_000)
    assert block.locator("h2").inner_text().strip() == "✗"
    page.screenshot(path=ARTIFACTS / "cnn_symbols_trained.png", full_page=True)
