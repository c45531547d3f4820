"""The ResNet tab's detection section in a real browser (Chromium via Playwright): draw "42" with the mouse on
the wide canvas and read it back. Screenshots land in test-artifacts/. Skips where Chromium or Playwright is
missing."""
import pytest

from conftest import ROOT

pytest.importorskip("playwright.sync_api")
from test_browser import draw, page, pytestmark  # noqa: E402,F401  (the same browser fixture and mouse strokes)

ARTIFACTS = ROOT / "test-artifacts"

# "4" then "2" in unit coordinates of the canvas element (x right, y down), like a person writes them; the
# 840x280 drawing area sits in its middle (zoomed to fit), so the strokes stay within y 0.3-0.7
FORTY_TWO = [
    [(0.47, 0.3), (0.41, 0.58), (0.53, 0.58)], [(0.5, 0.36), (0.5, 0.7)],
    [(0.56, 0.37), (0.585, 0.3), (0.625, 0.3), (0.645, 0.37), (0.63, 0.47), (0.56, 0.7), (0.66, 0.7)],
]


def test_draw_forty_two_and_read_it(page):
    page.get_by_role("tab", name="ResNet").click()
    canvas = page.locator(".detection-canvas canvas").last
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    box = canvas.bounding_box()
    assert box["width"] >= 600          # the wide canvas, not squeezed to the digit canvases' 480 px
    draw(page, -1, FORTY_TWO)  # the first stroke must draw: the brush is preselected
    page.get_by_role("button", name="Read the drawing").click()
    reading = page.locator("#detection-reading textarea")
    page.wait_for_function("() => document.querySelector('#detection-reading textarea').value.length > 0",
                           timeout=30_000)
    # both digits are found; which digits the shipped detector reads them as is in the screenshot (mouse strokes are
    # further from MNIST than handwriting: see the model card's numbers)
    page.get_by_text("Found 2 digit(s)").first.wait_for(timeout=10_000)
    assert len(reading.input_value().replace(" ", "")) == 2
    page.screenshot(path=ARTIFACTS / "detection_42.png", full_page=True)


def test_detr_panel_says_offline_that_it_needs_the_internet(page):
    """The optional DETR panel: open it, upload a photo, ask; offline (as here) the answer names the hub checkpoint,
    says it needs the internet and points back to the digit detector."""
    page.get_by_role("tab", name="ResNet").click()
    page.get_by_text("Photos: DETR", exact=False).first.click()
    panel = page.locator("#detection-photos")
    panel.scroll_into_view_if_needed()
    panel.locator("input[type=file]").first.set_input_files(str(ROOT / "demos/examples/fashion/sneaker.png"))
    page.get_by_role("button", name="Find the objects").click()
    # the error's own words (the panel's text says none of them, so only the error can match)
    page.get_by_text("facebook/detr-resnet-50 is not downloaded yet", exact=False).first.wait_for(timeout=60_000)
    page.screenshot(path=ARTIFACTS / "detection_detr_offline.png", full_page=False)
