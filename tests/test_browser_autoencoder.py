"""The Autoencoder tab in a real browser (Chromium via Playwright): draw a digit and see the reconstructions and
the maps, move the map point, click a map, train the live autoencoder. Screenshots land in test-artifacts/."""
import re

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

# the browser, the page fixture (imported to be used), the skip without Chromium and the mouse-drawing helper are
# test_browser.py's
from test_browser import ARTIFACTS, draw, page, pytestmark  # noqa: E402,F401

THREE = [[(0.3, 0.22), (0.5, 0.15), (0.68, 0.25), (0.66, 0.4), (0.48, 0.5), (0.7, 0.6), (0.68, 0.8), (0.5, 0.87),
          (0.3, 0.8)]]


def open_tab(page):
    page.get_by_role("tab", name="Autoencoder").click()
    page.wait_for_timeout(800)


def image_src(page, label: str) -> str:
    img = page.locator(".block", has_text=label).locator("img").first
    img.wait_for(timeout=30_000)
    return img.get_attribute("src")


def test_draw_rebuild_and_move_the_map_point(page):
    open_tab(page)
    draw(page, -1, THREE)
    page.get_by_role("button", name="Rebuild my drawing").click()
    page.get_by_text("PCA-2").first.wait_for(timeout=30_000)
    page.get_by_text("Its 2-D codes").wait_for(timeout=30_000)
    assert image_src(page, "Input and reconstructions")
    before = image_src(page, "VAE map")
    page.get_by_label("VAE", exact=True).check()  # the map radio
    page.wait_for_timeout(500)
    z1 = page.get_by_label("number input for z1 (horizontal)")
    z1.fill("1.5")
    z1.press("Enter")
    page.get_by_text("VAE code (1.50").wait_for(timeout=30_000)
    assert image_src(page, "Decoded image")
    page.wait_for_timeout(500)
    assert image_src(page, "VAE map") != before  # the crosshair moved onto the map
    # a click on the AE map picks that point for the AE
    ae_map = page.locator(".block", has_text="AE map").locator("img").first
    box = ae_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
    page.get_by_text(re.compile(r"^AE code \(")).wait_for(timeout=30_000)
    page.screenshot(path=ARTIFACTS / "autoencoder_maps.png", full_page=True)


def test_live_training_streams_the_map(page):
    open_tab(page)
    button = page.get_by_role("button", name="Train", exact=True)
    button.scroll_into_view_if_needed()
    seconds = page.get_by_label("number input for Time budget (seconds)")
    seconds.fill("3")
    seconds.press("Enter")
    button.click()
    page.get_by_text("5-nearest-neighbour accuracy").first.wait_for(timeout=60_000)
    page.get_by_text("done", exact=True).wait_for(timeout=60_000)
    assert image_src(page, "Your map, decoded")
    page.screenshot(path=ARTIFACTS / "autoencoder_live.png", full_page=True)
