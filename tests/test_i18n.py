"""English and 简体中文 everywhere: each tab's TEXT, every key the built app uses, errors that carry both
languages, model cards in both languages with the shipped metrics, and (with Chromium) the page itself."""
import importlib
import inspect
import json
import re
import shutil

import gradio as gr
import pytest

import app
from demos.common import check_choice, check_number, error
from demos.i18n import LANGUAGES, MissingTranslations, lookup, module_text, plain, referenced_keys

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
TAB_MODULES = [module for _, module in app.TABS]
SHARED = ["demos.i18n", "demos.common", "demos.digits"]


@pytest.fixture(scope="module")
def demo():
    return app.build_app()


def _text(module: str) -> dict:
    try:
        return module_text(module)
    except MissingTranslations as exc:
        pytest.fail(str(exc))


def _check_dictionary(module: str, text: dict, prefix: str) -> None:
    en, zh = text["en"], text["zh-CN"]
    assert set(en) == set(zh), (f"{module}: keys only in 'en': {sorted(set(en) - set(zh))}; "
                                f"only in 'zh-CN': {sorted(set(zh) - set(en))}")
    for lang in LANGUAGES:
        for key, value in text[lang].items():
            assert key.startswith(prefix), f"{module}: key {key!r} must start with {prefix!r}"
            assert isinstance(value, str) and value.strip(), f"{module}: empty {lang} text for {key!r}"
    for key, value in zh.items():
        # Chinese text has Chinese characters; only names and symbols ("LSTM", "− b", "Top-k") may stay as they are
        assert CJK.search(value) or (value == en[key] and not re.search(r"[a-z]{3,}", value)), (
            f"{module}: the zh-CN text of {key!r} is not Chinese: {value[:80]!r}")


@pytest.mark.parametrize("module", TAB_MODULES)
def test_tab_has_complete_english_and_chinese_text(module):
    short = module.rsplit(".", 1)[-1]
    text = _text(module)
    _check_dictionary(module, text, f"{short}.")
    for required in ("title", "principle"):
        assert f"{short}.{required}" in text["en"], f"{module}: TEXT needs '{short}.{required}'"


@pytest.mark.parametrize("module", SHARED)
def test_shared_text_is_complete(module):
    text = _text(module)
    prefixes = {"demos.i18n": "app.", "demos.common": "common.", "demos.digits": "digits."}
    _check_dictionary(module, text, prefixes[module])


def test_every_key_the_app_uses_exists_in_both_languages(demo):
    table = demo.dlhub_i18n.translations_dict
    assert set(table) == set(LANGUAGES)
    used = referenced_keys(demo)
    assert len(used) > 100
    for key in sorted(used):
        for lang in LANGUAGES:
            assert table[lang].get(key, "").strip(), f"{key!r} has no {lang} text"
            assert table[lang][key] == lookup(key, lang)


@pytest.mark.parametrize("module", TAB_MODULES)
def test_every_text_of_a_tab_is_shown(demo, module):
    """No dead entries: each key of a tab's TEXT is used by a component of the built app."""
    text = _text(module)
    unused = set(text["en"]) - referenced_keys(demo)
    assert not unused, f"{module}: TEXT keys no component uses: {sorted(unused)}"


def _tab_of(block, tabs: dict):
    while block is not None:
        if block._id in tabs:
            return tabs[block._id]
        block = getattr(block, "parent", None)
    return None


def test_visible_labels_buttons_and_texts_are_translated(demo):
    """In a tab with TEXT, no label, button, accordion, tab or Markdown text is left as a plain string."""
    titles = {title.lower(): module for title, module in app.TABS}
    tabs = {b._id: titles[b.id] for b in demo.blocks.values() if isinstance(b, gr.Tab) and b.id in titles}
    plain_strings = []
    for block in demo.blocks.values():
        module = _tab_of(block, tabs)
        if module is None or getattr(importlib.import_module(module), "TEXT", None) is None:
            continue  # a tab without TEXT fails test_tab_has_complete_english_and_chinese_text
        props = {"label": getattr(block, "label", None)}
        if isinstance(block, (gr.Markdown, gr.Button)):
            props["value"] = block.value
        for prop, value in props.items():
            if isinstance(value, str) and value.strip() and "__i18n__" not in value:
                plain_strings.append(f"{module}: {type(block).__name__}.{prop} = {value[:60]!r}")
    assert not plain_strings, "give these a key in the tab's TEXT and pass t(key):\n" + "\n".join(plain_strings)


@pytest.mark.parametrize("title, module", app.TABS)
def test_tab_title_is_translated(demo, title, module):
    tab = next(b for b in demo.blocks.values() if isinstance(b, gr.Tab) and b.id == title.lower())
    english, chinese = plain(tab.label, "en"), plain(tab.label, "zh-CN")
    assert title in english, (title, english)  # the browser tests click "CNN", "DQN"…
    short = module.rsplit(".", 1)[-1]
    assert CJK.search(chinese), f"tab {title}: no Chinese title ({chinese!r}); add '{short}.title' to {module}.TEXT"


@pytest.mark.parametrize("module", TAB_MODULES + ["demos.common", "demos.digits"])
def test_errors_are_raised_in_both_languages(module):
    """Handlers raise demos.common.error(en, zh) (or the checks built on it), never a one-language gr.Error."""
    source = inspect.getsource(importlib.import_module(module))
    calls = [line.strip() for line in source.splitlines() if "gr.Error(" in line and "raise" in line]
    assert not calls, f"{module}: raise demos.common.error(english, chinese) instead of gr.Error: {calls}"


@pytest.mark.parametrize("call, english", [
    (lambda: check_number(None, "Seed", 0, 9), "Seed must be a number between 0 and 9"),
    (lambda: check_number(12, "Epochs", 1, 10), "Epochs must be between 1 and 10"),
    (lambda: check_number(1.5, "Hops", 1, 3, integer=True), "Hops must be a whole"),
    (lambda: check_choice("x", "Policy", ["a", "b"]), "Policy must be one of: a, b"),
    (lambda: check_number(-1, ("Size", "大小"), 0, 9), "Size must be between"),
    (lambda: error("Plain English.", "简体中文。"), "Plain English."),
])
def test_validator_errors_carry_both_languages(call, english):
    with pytest.raises(gr.Error) as info:
        result = call()
        if isinstance(result, gr.Error):
            raise result
    en, zh = info.value.message.split("\n")
    assert english in en and not CJK.search(en)
    assert CJK.search(zh), zh


# --- text a handler writes at request time (status lines, notes, table headers) --------------------------------
# The browser translates only what the layout declares; a handler's Markdown is made on the server, which does not
# know the language picked in Settings. So, like errors, it carries both languages, English first.
W2V_TEXT = "the king and the queen ruled the land while the man and the woman worked the farm . " * 20


def _last(result):
    """A handler's outputs (the last item a streaming handler yields)."""
    if inspect.isgenerator(result):
        last = None
        for last in result:
            pass
        return last
    return result


def _user_text(component, value):
    """The strings a user reads in one output: Markdown text and table column headers."""
    if isinstance(component, gr.Markdown) and isinstance(value, str):
        return [value]
    if isinstance(component, gr.Dataframe) and hasattr(value, "columns"):
        return [" ".join(map(str, value.columns))]
    return []


REQUEST_TIME_CALLS = {  # api_name: realistic arguments, as a first-time user sends them
    "dnn_train": ("moons", 2, 8, "relu", 0.03, 20, 100, 0.5, 0),
    "lstm_predict": ("A wonderful, moving film, though the zqxv ending drags.",),
    "word2vec_neighbors": ("king", 5),
    "word2vec_similarity": ("king", "queen"),
    "word2vec_analogy": ("king", "man", "woman", 3),
    "word2vec_train": (W2V_TEXT, None, 2, 3, 1),
    "gpt_generate": ("ROMEO:", 20, 0.8, 40, 0.95, 0),
    "gpt_inspect": ("To be, or not to be", 1, 1),
    "gan_sample": ("Digits (MNIST)", "all", 8, 0, 1.0),
    "gnn_predict": ("Cora",),
    "gnn_node": ("Cora", 0, 2),
    "gnn_karate_train": (20, 0.01, 0),
    "dqn_episode": (0, "trained", 0.1),
    "dqn_train": (1_000, 0.002, 0),
}


@pytest.mark.parametrize("api_name", sorted(REQUEST_TIME_CALLS))
def test_handler_text_is_in_both_languages(demo, api_name):
    pytest.importorskip("torch")
    if api_name.startswith(("dnn", "gan", "gnn")):
        from conftest import HAS_MNIST
        if not HAS_MNIST:
            pytest.skip("needs the data dir")
    fn = next(f for f in demo.fns.values() if f.api_name == api_name)
    outputs = _last(fn.fn(*REQUEST_TIME_CALLS[api_name]))
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    texts = [text for component, value in zip(fn.outputs, outputs) for text in _user_text(component, value)]
    assert texts, f"/{api_name} shows no text to check"
    for text in texts:
        if re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", text):  # English words: the Chinese must be there too
            assert CJK.search(text), f"/{api_name} answers in English only: {text[:200]!r}"


def test_input_decoding_errors_name_the_input_in_both_languages(demo):
    seeds = [b for b in demo.blocks.values() if isinstance(b, gr.Number) and b.label and "__i18n__" in str(b.label)]
    assert seeds
    block = seeds[0]
    with pytest.raises(gr.Error) as info:
        block.preprocess("not a number")
    en, zh = info.value.message.split("\n")
    assert en.startswith(plain(block.label, "en") + ": expected a number")
    assert zh.startswith(plain(block.label, "zh-CN") + "：") and CJK.search(zh)


def test_image_errors_are_translated():
    from demos.common import image_error
    from models.imaging import NOT_AN_IMAGE

    message = image_error(ValueError("The image is 5000x10; the limit is 4096x4096 pixels.")).message
    assert message.startswith("The image is 5000x10") and "5000×10" in message.split("\n")[1]
    assert CJK.search(image_error(ValueError(NOT_AN_IMAGE)).message.split("\n")[1])


def test_model_cards_show_the_shipped_metrics_in_both_languages(demo):
    from models.cards import headline_metrics
    from models.persistence import weights_dir

    table = demo.dlhub_i18n.translations_dict
    cards = sorted(k.split(".", 1)[1] for k in referenced_keys(demo) if k.startswith("card."))
    assert {"mlp", "cnn", "lstm", "rnn", "word2vec", "gpt", "gcn-cora", "dqn"} <= set(cards)
    for name in cards:
        metrics = json.loads((weights_dir(name) / "metrics.json").read_text())
        for lang in LANGUAGES:
            text = table[lang][f"card.{name}"]
            assert f"(`{name}`)" in text and f"python -m models evaluate {name}" in text
            for key, value in headline_metrics(metrics).items():
                assert f"| {key} | {value} |" in text, (name, lang, key)
        assert "实测指标" in table["zh-CN"][f"card.{name}"] and "Measured metrics" in table["en"][f"card.{name}"]
    titles = [plain(b.label, "zh-CN") for b in demo.blocks.values() if isinstance(b, gr.Accordion)]
    assert "模型卡: mlp" in titles


def test_words_in_pictures_carry_chinese_when_the_font_is_installed(monkeypatch):
    import demos.common as common
    from demos.lstm import predict_sentiment

    if common.cjk_font_file():  # Debian's fonts-noto-cjk (packages.txt on Spaces)
        assert "CJK" in common.text_font(12).getname()[0]
        assert common.picture_text("forget gate", "遗忘门") == "forget gate 遗忘门"
        assert "family" in common.plot_font()
    monkeypatch.setattr(common, "cjk_font_file", lambda: None)  # a host without it: English only, no empty boxes
    assert common.picture_text("forget gate", "遗忘门") == "forget gate"
    assert predict_sentiment("a wonderful film")[4].shape[2] == 3


def test_every_model_card_has_a_chinese_title_and_summary():
    from models.cards import card_markdown
    from models.persistence import weights_dir
    from models.registry import MODELS, describe

    for name in MODELS:
        title, summary = describe(name, "zh-CN")
        assert CJK.search(title) and CJK.search(summary), name
        assert describe(name) != (title, summary), name
    zh = card_markdown("cnn", "zh-CN")
    assert zh.startswith(f"# {describe('cnn', 'zh-CN')[0]} (`cnn`)") and describe("cnn", "zh-CN")[1] in zh
    assert (weights_dir("cnn") / "README.md").read_text().count(describe("cnn")[0]) == 1  # the shipped card: English


def test_api_description_uses_english_labels(demo):
    info = json.dumps(demo.get_api_info(), ensure_ascii=False)
    assert "__i18n__" not in info and '"label": "Episode seed (start state)"' in info
    assert "__i18n__" not in json.dumps(demo.get_api_info(all_endpoints=True, page=""), ensure_ascii=False)


# --- the page in a browser with a Chinese locale (Chromium + Playwright, as tests/test_browser.py) -------------
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
def test_a_chinese_browser_gets_the_chinese_page(app_url):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            for locale, lang in (("zh-CN", "zh-CN"), ("en-US", "en")):
                page = browser.new_page(locale=locale, viewport={"width": 1400, "height": 1000})
                page.goto(app_url, wait_until="load")
                for title, module in app.TABS:
                    if f"{module.rsplit('.', 1)[-1]}.title" in (getattr(importlib.import_module(module), "TEXT", None)
                                                                or {}).get("en", {}):
                        name = lookup(f"{module.rsplit('.', 1)[-1]}.title", lang)
                        # visible: the tab bar wraps (overflow_behavior="wrap"), no title hides in a "more" menu
                        page.get_by_role("tab", name=name, exact=True).first.wait_for(state="visible", timeout=30_000)
                page.get_by_role("tab", name=lookup("cnn.title", lang), exact=True).click()
                page.get_by_role("button", name=lookup("cnn.draw_button", lang), exact=True).wait_for(timeout=10_000)
                page.locator(f"text={lookup('common.principle', lang)} >> visible=true").first.wait_for(timeout=10_000)
                assert "__i18n__" not in page.inner_text("body")
                page.close()
        finally:
            browser.close()
