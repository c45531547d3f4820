"""The live sections of the ResNet (plain vs residual) and LSTM (RNN vs LSTM memory) tabs in Chromium: set a tiny
budget, train, see the curves and the gradient plot, upload a trained pair. Screenshots land in test-artifacts/."""
import shutil

import pytest

from conftest import ROOT

sync_api = pytest.importorskip("playwright.sync_api")
from test_browser import page  # noqa: E402,F401  (the same Chromium page fixture as the other browser tests)

pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
ARTIFACTS = ROOT / "test-artifacts"


def set_slider(panel, label: str, value) -> None:
    """Type a value into a slider's number box (Gradio labels it "number input for <label>")."""
    box = panel.get_by_label(f"number input for {label}", exact=True)
    box.scroll_into_view_if_needed()
    box.fill(str(value))
    box.press("Enter")


def plot_drawn(page, elem_id: str) -> bool:
    """A gr.LinePlot with data draws a Vega chart (a canvas or an SVG) inside its block."""
    return page.locator(f"#{elem_id}").locator("canvas, svg").count() > 0


def test_resnet_trains_plain_and_residual_side_by_side(page, tmp_path):
    page.get_by_role("tab", name="ResNet").click()
    panel = page.locator("[role=tabpanel]:visible").first
    set_slider(panel, "Depth (weight layers)", 8)
    set_slider(panel, "Width (channels of the first stage)", 4)
    set_slider(panel, "Max steps (both networks do the same number)", 20)
    panel.get_by_role("button", name="Train plain and residual").click()
    panel.get_by_text("step 20", exact=False).first.wait_for(timeout=90_000)
    panel.get_by_text("done", exact=False).first.wait_for(timeout=30_000)
    page.locator("#resnet-depth-grads").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    page.screenshot(path=ARTIFACTS / "resnet_depth.png", full_page=False)
    assert all(plot_drawn(page, p) for p in ("resnet-depth-loss", "resnet-depth-accuracy", "resnet-depth-grads"))
    assert page.locator("#resnet-depth-download a").first.get_attribute("href").endswith("plain-vs-residual-8.zip")

    # a pair made by the same handler, uploaded: the gradient flow of the uploaded networks on a fresh batch
    from demos.resnet.depth import resnet_depth_train

    *_, pair_zip, _ = list(resnet_depth_train(depth=8, width=4, max_steps=3))[-1]
    page.locator("#resnet-depth-upload input[type=file]").set_input_files(pair_zip)
    panel.get_by_text("uploaded pair", exact=False).first.wait_for(timeout=30_000)


def test_lstm_memory_trains_rnn_and_lstm_against_chance(page):
    page.get_by_role("tab", name="LSTM").click()
    panel = page.locator("[role=tabpanel]:visible").first
    set_slider(panel, "Distance T (distractor steps)", 8)
    set_slider(panel, "Hidden units (both networks)", 16)
    set_slider(panel, "Max steps (both networks do the same number)", 60)
    panel.get_by_role("button", name="Train RNN and LSTM").click()
    panel.get_by_text("step 60", exact=False).first.wait_for(timeout=90_000)
    panel.get_by_text("done", exact=False).first.wait_for(timeout=30_000)
    assert plot_drawn(page, "lstm-memory-curves") and plot_drawn(page, "lstm-memory-grads")
    assert page.locator("#lstm-memory-download a").first.get_attribute("href").endswith("rnn-vs-lstm-T8.zip")
    panel.get_by_role("button", name="Test on fresh sequences of distance T").click()
    panel.get_by_text("trained in this session", exact=False).first.wait_for(timeout=30_000)
    page.locator("#lstm-memory-curves").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    page.screenshot(path=ARTIFACTS / "lstm_memory.png", full_page=False)
