"""A real browser on the GAN and Diffusion tabs' live plane sections: train a GAN on the ring and on a drawing,
train a denoiser and sample from it. Screenshots land in test-artifacts/. Skips where Chromium or Playwright is
missing."""
import math
import shutil

import pytest

from test_browser import ARTIFACTS, page  # noqa: F401 (page: the module-scoped Chromium page fixture)

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
CIRCLE = [[(0.5 + 0.3 * math.cos(k * math.pi / 6), 0.5 + 0.3 * math.sin(k * math.pi / 6)) for k in range(13)]]


def panel(page):
    return page.locator("[role=tabpanel]:visible").first


def set_number(page, label: str, value: int) -> None:
    box = panel(page).locator(f"input[type=number][aria-label*='{label}']").first
    box.scroll_into_view_if_needed()
    box.fill(str(value))
    box.press("Enter")


def draw(page, strokes):
    canvas = [c for c in panel(page).locator(".digit-canvas canvas").all() if c.is_visible()][-1]
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=8)
        page.mouse.up()


def test_gan_learns_the_ring_and_a_drawing(page):
    page.get_by_role("tab", name="GAN").click()
    page.wait_for_timeout(500)
    set_number(page, "Training steps", 300)
    panel(page).get_by_role("button", name="Train", exact=True).click()
    panel(page).get_by_text("step 300/300").wait_for(timeout=90_000)
    status = panel(page).get_by_text("modes covered").first.inner_text()
    assert "/8 modes covered" in status
    plane = panel(page).locator(".block:has-text('The plane: real') img").first
    plane.scroll_into_view_if_needed()
    assert plane.evaluate("img => img.naturalWidth") == 360
    page.screenshot(path=ARTIFACTS / "gan2d_ring.png", full_page=False)
    # a drawn circle becomes the training data
    panel(page).get_by_text("Your own points: draw, or type x,y lines").click()
    page.wait_for_timeout(500)
    draw(page, CIRCLE)
    panel(page).get_by_role("button", name="Use my drawing").click()
    panel(page).get_by_text("points from your drawing").wait_for(timeout=20_000)
    assert panel(page).get_by_label("your points").is_checked()
    panel(page).get_by_role("button", name="Train", exact=True).click()
    panel(page).get_by_text("MMD² ×10³ to held-out real points").first.wait_for(timeout=90_000)
    panel(page).get_by_text("step 300/300").wait_for(timeout=90_000)
    plane.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    page.screenshot(path=ARTIFACTS / "gan2d_drawing.png", full_page=False)
    losses = panel(page).locator(".block:has-text('Losses')").last
    losses.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "gan2d_curves.png", full_page=False)


def test_diffusion_trains_then_samples_step_by_step(page):
    page.get_by_role("tab", name="Diffusion").click()
    page.wait_for_timeout(500)
    set_number(page, "Training steps", 300)
    panel(page).get_by_role("button", name="Train the denoiser").click()
    panel(page).get_by_text("step 300/300").wait_for(timeout=90_000)
    panel(page).get_by_role("button", name="Sample points").click()
    panel(page).get_by_text("MMD² ×10³ to held-out real points").first.wait_for(timeout=60_000)
    field = panel(page).locator(".block:has-text('Learned denoising direction') img").first
    field.wait_for(timeout=20_000)
    field.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "diffusion2d.png", full_page=False)
