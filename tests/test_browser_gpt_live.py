"""A real browser on the Transformer tab's "Train a GPT on your own text": pick an example text, train for the
shortest budget, see the curves, a sample and the verdict, then let the trained GPT write.

Screenshots land in test-artifacts/. Skips where Chromium or Playwright is missing.
"""
from test_browser import ARTIFACTS, page, pytestmark  # noqa: F401  (the same Chromium page fixture and skips)


def test_train_a_gpt_on_an_example_text_and_let_it_write(page):
    page.get_by_role("tab", name="Transformer").click()
    panel = page.locator("[role=tabpanel]:visible").first
    panel.get_by_text("Nursery rhymes · 童谣").click()
    text = panel.get_by_label("Your text", exact=False).first
    page.wait_for_function("el => el.value.startsWith('Twinkle, twinkle')", arg=text.element_handle(),
                           timeout=10_000)
    budget = panel.get_by_label("Training budget (seconds)", exact=False).and_(panel.locator("input[type=number]"))
    budget.fill("3")
    budget.press("Enter")
    panel.get_by_role("button", name="Train my GPT").click()
    panel.get_by_text("nats/char against the unigram baseline", exact=False).first.wait_for(timeout=90_000)
    status = panel.get_by_text("nats/char against the unigram baseline", exact=False).first.inner_text()
    assert "Done" in status and "3,919 characters" in panel.inner_text()
    samples = panel.get_by_label("Samples while it learns", exact=False).first
    assert "8-character runs found in your text" in samples.input_value()
    plot = panel.locator(".block", has_text="Loss per character").first
    assert plot.locator("canvas, svg").count() >= 1  # the curves are drawn

    panel.get_by_label("Prompt (empty: start from scratch)", exact=True).last.fill("Humpty")
    panel.get_by_role("button", name="Write with my GPT").click()
    output = panel.get_by_label("Your GPT's text", exact=False).first
    page.wait_for_function("el => el.value.length > 150", arg=output.element_handle(), timeout=30_000)
    assert output.input_value().startswith("Humpty")
    panel.locator(".block", has_text="Loss per character").first.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "transformer_own_text.png", full_page=True)
