"""A real browser (Debian's Chromium driven by Playwright): draw digits with the mouse, train the playground.

Screenshots land in test-artifacts/. Skips where Chromium or Playwright is missing.
"""
import shutil

import pytest

from conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
ARTIFACTS = ROOT / "test-artifacts"
SEVEN = [[(0.3, 0.25), (0.7, 0.25), (0.45, 0.8)]]
# waits for an answer: long enough for a slow, busy machine (a heavy request may queue behind others); a
# working tab answers in seconds, these only decide when a hang is declared
RESULT_MS = 180_000
UI_MS = 60_000
ZERO = [[(0.5, 0.2), (0.33, 0.3), (0.3, 0.55), (0.38, 0.78), (0.5, 0.82), (0.64, 0.75), (0.7, 0.5), (0.64, 0.28), (0.5, 0.2)]]


@pytest.fixture(scope="module")
def page(app_url):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(UI_MS)  # clicks and fills on a slow machine
        # not "networkidle": tabs with gr.State keep a heartbeat request open
        page.goto(app_url, wait_until="load")
        page.get_by_role("tab", name="CNN").wait_for(timeout=RESULT_MS)
        yield page
        browser.close()


def draw(page, canvas_index: int, strokes):
    """Mouse strokes in unit coordinates on the visible digit canvas number `canvas_index`."""
    for _ in range(UI_MS // 250):  # a tab just opened may still be rendering its canvases
        canvases = [c for c in page.locator(".digit-canvas canvas").all() if c.is_visible()]
        if len(canvases) > (canvas_index if canvas_index >= 0 else -canvas_index - 1):
            break
        page.wait_for_timeout(250)
    else:
        raise AssertionError(f"no visible digit canvas number {canvas_index}")
    canvases[canvas_index].scroll_into_view_if_needed()
    box = canvases[canvas_index].bounding_box()
    for stroke in strokes:
        page.mouse.move(box["x"] + stroke[0][0] * box["width"], box["y"] + stroke[0][1] * box["height"])
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
        page.mouse.up()


def top_label(page, label_title: str) -> str:
    block = page.locator(".block", has_text=label_title).filter(has=page.locator("h2")).first
    block.locator("h2").wait_for(timeout=RESULT_MS)
    return block.locator("h2").inner_text().strip()


def test_draw_a_seven_on_the_cnn_tab(page):
    page.get_by_role("tab", name="CNN").click()
    page.wait_for_timeout(800)
    draw(page, 0, SEVEN)  # the tab's first canvas (the symbols section has the last); the first stroke must draw
    page.get_by_role("button", name="Recognise drawing").click()
    assert top_label(page, "Prediction (top 3)") == "7"
    page.screenshot(path=ARTIFACTS / "cnn_seven.png", full_page=True)


def test_playground_trains_and_mlp_reads_a_zero(page):
    page.get_by_role("tab", name="DNN").click()
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Train").click()
    page.get_by_text("epoch 300/300").wait_for(timeout=RESULT_MS)
    draw(page, 0, ZERO)
    page.get_by_role("button", name="Recognise with the MLP").click()
    assert top_label(page, "MLP (DNN) prediction") == "0"
    assert top_label(page, "CNN prediction, same input") == "0"
    page.screenshot(path=ARTIFACTS / "dnn_playground.png", full_page=True)


def test_lstm_reads_a_sentence(page):
    page.get_by_role("tab", name="LSTM").click()
    box = page.get_by_label("An English sentence", exact=False).first
    box.fill("A gorgeous, moving and beautifully acted film.")
    page.get_by_role("button", name="Read it").click()
    assert top_label(page, "LSTM") == "positive"
    page.screenshot(path=ARTIFACTS / "lstm.png", full_page=True)


def test_transformer_streams_a_continuation(page):
    page.get_by_role("tab", name="Transformer").click()
    page.get_by_role("button", name="Generate").click()
    output = page.get_by_label("Generated text", exact=False).first
    page.wait_for_function("el => el.value.length > 200", arg=output.element_handle(), timeout=RESULT_MS)
    assert output.input_value().startswith("ROMEO:")
    page.screenshot(path=ARTIFACTS / "transformer.png", full_page=True)


def test_dqn_plays_an_episode(page):
    page.get_by_role("tab", name="DQN").click()
    page.get_by_role("button", name="Run an episode").click()
    page.get_by_text("Return 500").first.wait_for(timeout=RESULT_MS)
    page.screenshot(path=ARTIFACTS / "dqn.png", full_page=True)


def test_gnn_classifies_cora(page):
    page.get_by_role("tab", name="GNN").click()
    page.get_by_role("button", name="Classify the graph").click()
    page.get_by_text("test papers the GCN is right", exact=False).first.wait_for(timeout=RESULT_MS)
    page.screenshot(path=ARTIFACTS / "gnn.png", full_page=True)


def test_resnet_classifies_an_uploaded_garment(page):
    from conftest import ROOT

    page.get_by_role("tab", name="ResNet").click()
    panel = page.locator("[role=tabpanel]:visible").first
    panel.locator("input[type=file]").first.set_input_files(str(ROOT / "demos/examples/fashion/ankle_boot.png"))
    page.get_by_role("button", name="Classify", exact=True).click()
    assert top_label(page, "Prediction (top 5)") == "Ankle boot"
    page.screenshot(path=ARTIFACTS / "resnet.png", full_page=True)


def test_gan_generates_a_grid(page):
    page.get_by_role("tab", name="GAN").click()
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text("discriminator mean P(real)", exact=False).first.wait_for(timeout=RESULT_MS)
    # the floating label sits above the grid, not over its first row
    block = page.locator("[role=tabpanel]:visible .block:has(img)").first
    label, image = block.locator("[data-testid=block-label]").bounding_box(), block.locator("img").bounding_box()
    assert label["y"] + label["height"] <= image["y"] + 1, (label, image)
    page.screenshot(path=ARTIFACTS / "gan.png", full_page=True)


def test_diffusion_streams_a_sample(page):
    page.get_by_role("tab", name="Diffusion").click()
    page.get_by_role("button", name="Sample", exact=True).click()
    page.get_by_text("step 50/50", exact=False).first.wait_for(timeout=RESULT_MS)
    page.screenshot(path=ARTIFACTS / "diffusion.png", full_page=True)


def test_diffusion_online_choice_explains_itself_offline(page):
    """The CIFAR-10 hub choice hides the class (the model is unconditional); offline, Sample says it needs the
    internet and the tab keeps working with our models."""
    page.get_by_role("tab", name="Diffusion").click()
    panel = page.locator("[role=tabpanel]:visible").first
    klass = panel.get_by_label("Class", exact=True).first
    assert klass.is_visible()
    panel.get_by_label("CIFAR-10 photos (hub: google/ddpm-cifar10-32, online)").check()
    klass.wait_for(state="hidden", timeout=UI_MS)
    page.get_by_role("button", name="Sample", exact=True).click()
    page.get_by_text("needs the internet", exact=False).first.wait_for(timeout=RESULT_MS)
    page.screenshot(path=ARTIFACTS / "diffusion-online-choice.png", full_page=True)
    panel.get_by_label("Digits (MNIST)", exact=True).check()
    klass.wait_for(state="visible", timeout=UI_MS)
