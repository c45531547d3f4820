"""The hub in two languages (English, 简体中文) with Gradio's own i18n.

Every tab module defines `TEXT = {"en": {...}, "zh-CN": {...}}` whose keys start with the module's
name ("cnn.draw", "dqn.principle"). Components take `label=t("cnn.draw")`, `gr.Markdown(t(...))`,
`gr.Button(t(...))`; the browser picks the language (from its own locale, or Gradio's
Settings → Language), so one page serves both. `build_i18n` gathers all dictionaries into the one
`gr.I18n` that `app.build_app()` exposes and `launch(i18n=...)` receives.

Text computed by a handler at request time (error messages) cannot be translated by the browser:
see `demos.common.error`, which writes both languages. Import-light: no torch here.
"""
from __future__ import annotations

import functools
import importlib
import json
import re

import gradio as gr
from gradio.i18n import I18nData

LANGUAGES = ("en", "zh-CN")
# $$…$$ display and $…$ inline formulas in the principle sections
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
_MARKER = re.compile(r"__i18n__(\{.*?\})")

TEXT = {
    "en": {
        "app.intro": """
# Deep-Learning Top-10 Demo Hub
Try the most influential deep-learning algorithms on real models trained for this hub: each tab explains what you
see, shows the model's internals, and is callable from scripts (see *Use via API* at the bottom of the page).

🌐 **Language / 语言**: this page follows your browser's language; switch between English and 中文 under
**⚙ Settings → Language** at the very bottom of the page (页面最底部的 **⚙ 设置 → 语言**).
""",
    },
    "zh-CN": {
        "app.intro": """
# 深度学习十大算法演示
用专门为本站训练的真实模型，亲手试一试最有影响力的深度学习算法：每个标签页都会讲解你看到的结果，展示模型的内部状态，
并且可以用脚本调用（见页面底部的“通过 API 使用”）。

🌐 **语言 / Language**：页面默认跟随浏览器语言；可在页面最底部的 **⚙ 设置 → 语言** 中切换中文与 English
(**⚙ Settings → Language** at the very bottom of the page).
""",
    },
}

# modules whose TEXT is shared by several tabs (their keys start with "common." / "digits.")
SHARED_MODULES = ("demos.common", "demos.digits", "demos.live", "demos.detection", "demos.detection_photos",
                  "demos.image_classes")


class MissingTranslations(LookupError):
    """A tab module without a complete TEXT dictionary; the message says what to add."""


def t(key: str) -> I18nData:
    """The value to give a component (label=, value=, a Tab's or Accordion's title)."""
    return I18nData(key)


def module_text(module_name: str) -> dict[str, dict[str, str]]:
    """The TEXT dictionary of a module (`demos.cnn`), or MissingTranslations saying what to add."""
    module = importlib.import_module(module_name)
    text = getattr(module, "TEXT", None)
    short = module_name.rsplit(".", 1)[-1]
    if not isinstance(text, dict) or set(text) != set(LANGUAGES):
        raise MissingTranslations(
            f"{module_name} must define TEXT = {{'en': {{...}}, 'zh-CN': {{...}}}} with its user-visible strings, "
            f"keys prefixed '{short}.' (e.g. '{short}.title', '{short}.principle'), and pass "
            f"t('{short}.…') from demos.i18n as labels/values; see demos/cnn.py.")
    return text


def _card_text(key: str, lang: str) -> str:
    from models.cards import card_markdown

    return card_markdown(key.split(".", 1)[1], lang)


def lookup(key: str, lang: str = "en") -> str:
    """The text of a key in a language, found through the key's prefix (the module that owns it)."""
    prefix = key.split(".", 1)[0]
    if prefix == "card":  # model cards are generated from weights/NAME, never retyped
        return _card_text(key, lang)
    text = TEXT if prefix == "app" else module_text(f"demos.{prefix}")
    try:
        return text[lang][key]
    except KeyError:
        raise MissingTranslations(f"no {lang!r} text for {key!r} in demos/{prefix}.py TEXT") from None


def plain(value, lang: str = "en"):
    """A component value with every translation key replaced by its text in `lang` (others unchanged)."""
    if isinstance(value, I18nData):
        return lookup(value.key, lang)
    if isinstance(value, str) and "__i18n__" in value:
        return _MARKER.sub(lambda m: lookup(json.loads(m.group(1))["key"], lang), value)
    return value


def keys_in(value) -> set[str]:
    """Every translation key inside a component property (I18nData, marker strings, lists, tuples, dicts)."""
    if isinstance(value, I18nData):
        return {value.key}
    if isinstance(value, str):
        return {json.loads(m.group(1))["key"] for m in _MARKER.finditer(value)}
    if isinstance(value, (list, tuple)):
        return set().union(*(keys_in(v) for v in value)) if value else set()
    if isinstance(value, dict):
        return set().union(*(keys_in(v) for v in value.values())) if value else set()
    return set()


def tab_label(title: str, module_name: str):
    """The tab's translated title ('<tab>.title' in its TEXT), or the plain title while it has none."""
    short = module_name.rsplit(".", 1)[-1]
    text = getattr(importlib.import_module(module_name), "TEXT", None) or {}
    return t(f"{short}.title") if f"{short}.title" in text.get("en", {}) else title


def referenced_keys(demo: gr.Blocks) -> set[str]:
    """Every translation key a built app's components use (labels, values, titles, choices…)."""
    keys = set()
    for block in demo.blocks.values():
        for value in vars(block).values():
            keys |= keys_in(value)
    return keys


def translations(module_names, cards=()) -> dict[str, dict[str, str]]:
    """All strings of the app by language: the shared ones, each tab's TEXT and the model cards named.
    Tabs without TEXT are skipped here (the app still runs); tests/test_i18n.py fails for them."""
    table = {lang: dict(TEXT[lang]) for lang in LANGUAGES}
    for name in (*SHARED_MODULES, *module_names):
        try:
            text = module_text(name)
        except MissingTranslations:
            continue
        for lang in LANGUAGES:
            table[lang].update(text[lang])
    for name in cards:
        for lang in LANGUAGES:
            table[lang][f"card.{name}"] = _card_text(f"card.{name}", lang)
    return table


def build_i18n(module_names, demo: gr.Blocks | None = None) -> gr.I18n:
    """The gr.I18n for `launch(i18n=...)`: English and simplified Chinese, with the model cards `demo` shows."""
    cards = sorted(k.split(".", 1)[1] for k in referenced_keys(demo) if k.startswith("card.")) if demo else ()
    return gr.I18n(**translations(module_names, cards))


def english_api_info(demo: gr.Blocks) -> None:
    """The API page and gradio_client name parameters by their labels: give them the English text, not the
    translation keys (the browser translates the page, not the API description)."""
    original = demo.get_api_info

    @functools.wraps(original)
    def get_api_info(all_endpoints: bool = False, page: str | None = None):
        info = original(all_endpoints=all_endpoints, page=page)
        for endpoints in info.values():
            for endpoint in endpoints.values():
                for item in (*endpoint.get("parameters", []), *endpoint.get("returns", [])):
                    if "label" in item:
                        item["label"] = plain(item["label"], "en")
        return info

    demo.get_api_info = get_api_info
