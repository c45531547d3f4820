"""The ResNet tab's detection section in a real browser (Chromium via Playwright): draw "42" with the mouse on
the wide canvas and read it back. Screenshots land in test-artifacts/. Skips where Chromium or Playwright is
missing."""
import shutil

import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
ARTIFACTS = ROOT / "test-artifacts"

# "4" then "2", in unit coordinates of the 840x280 canvas (x right, y down), like a person writes them
FORTY_TWO = [
    [(0.47, 0.2), (0.4, 0.6), (0.52, 0.6)], [(0.5, 0.3), (0.5, 0.82)],
    [(0.56, 0.3), (0.59, 0.2), (0.63, 0.2), (0.65, 0.3), (0.63, 0.45), (0.56, 0.8), (0.67, 0.8)],
]


@pytest.fixture(scope="module")
def page(app_url):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url, wait_until="load")
        page.get_by_role("tab", name="ResNet").wait_for(timeout=30_000)
        yield page
        browser.close()


def test_draw_forty_two_and_read_it(page):
    page.get_by_role("tab", name="ResNet").click()
    canvas = page.locator(".detection-canvas canvas").last
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    box = canvas.bounding_box()
    assert box["width"] > 2 * box["height"]          # the wide canvas, not squeezed to the digit canvases' width
    for stroke in FORTY_TWO:  # the first stroke must draw: the brush is preselected
        page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
        page.mouse.up()
    page.get_by_role("button", name="Read the drawing").click()
    reading = page.locator("#detection-reading textarea")
    page.wait_for_function("() => document.querySelector('#detection-reading textarea').value.length > 0",
                           timeout=30_000)
    assert reading.input_value().replace(" ", "") == "42"
    page.get_by_text("Found 2 digit(s)").first.wait_for(timeout=10_000)
    page.screenshot(path=ARTIFACTS / "detection_42.png", full_page=True)
