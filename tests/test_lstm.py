"""LSTM tab: sentiment predictions of the LSTM and the plain RNN, the word-by-word colouring, the gate heatmap,
bad input, and the shipped classifiers' metrics and evaluation contract."""
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
import numpy as np
import pytest
import torch

from conftest import ROOT
from demos.lstm import BAND_COLORS, MAX_CHARS, MAX_WORDS, predict_sentiment
from models.data import data_dir
from models.text import Vocabulary, tokenize

HAS_MR = (data_dir() / "text" / "rt-polarity" / "rt-polarity.pos").exists()
needs_mr = pytest.mark.skipif(not HAS_MR, reason="MR (rt-polarity) not in the data dir (../shared/data or $DLHUB_DATA_DIR)")


def positive(label: dict) -> float:
    return label["positive"]


def test_prediction_outputs():
    lstm, rnn, lstm_words, rnn_words, gates, status = predict_sentiment(
        "The first hour is dull and predictable, but the ending is wonderful.")
    for label in (lstm, rnn):
        assert set(label) == {"positive", "negative"} and abs(sum(label.values()) - 1) < 1e-5
    tokens = tokenize("The first hour is dull and predictable, but the ending is wonderful.")
    for words in (lstm_words, rnn_words):
        assert [w.strip() for w, _ in words] == tokens
        assert all(band in BAND_COLORS for _, band in words)
    assert gates.dtype == np.uint8 and gates.ndim == 3 and gates.shape[1] > len(tokens) * 20
    assert "LSTM" in status and "test accuracy" in status
    english, chinese = status.split("\n\n")  # the browser cannot translate it: English, then Chinese
    assert english.startswith("**LSTM**: ") and "held-out snippets" in english
    assert chinese.startswith("**LSTM**：") and "**普通 RNN**：" in chinese
    assert "在 1,066 条留出短句上的测试准确率为" in chinese and ("（正面，" in chinese or "（负面，" in chinese)


@pytest.mark.parametrize("text, is_positive", [
    ("A gorgeous, witty and moving film.", True),
    ("Simplistic, silly and tedious.", False),
    ("Visually stunning but emotionally empty.", False),
    ("The cast is wonderful, but the film is boring.", False),
    ("An utterly charming and hilarious film that reminds us how good movies can be.", True),
    ("I expected to hate it, and I was not disappointed: it is every bit as tedious as the trailer promised.", False),
])
def test_lstm_reads_clear_reviews_and_contrast(text, is_positive):
    lstm = predict_sentiment(text)[0]
    assert (positive(lstm) > 0.5) == is_positive, lstm


def test_negation_lowers_the_positive_probability():
    assert positive(predict_sentiment("The acting is not superb.")[0]) < \
        positive(predict_sentiment("The acting is superb.")[0]) - 0.2


def test_running_prediction_turns_at_but():
    """After 'stunning' the LSTM leans positive; once it has read 'emotionally empty' it says negative."""
    bands = [band for _, band in predict_sentiment("Visually stunning but emotionally empty.")[2]]
    assert "positive" in bands[1] and "negative" not in bands[1]
    assert "negative" in bands[-1]


def test_long_input_is_truncated_and_said_so():
    text = "a wonderful , moving film . " * 20_000  # ~100k characters
    assert len(text) > 100_000
    start = time.perf_counter()
    lstm, _, words, _, gates, status = predict_sentiment(text)
    assert time.perf_counter() - start < 120  # only a safety net against a hang; speed: python -m demos.bench
    assert len(words) == MAX_WORDS and f"first {MAX_CHARS:,}" in status and f"first {MAX_WORDS}" in status
    assert f"只读取了前 {MAX_CHARS:,} 个" in status and f"中的前 {MAX_WORDS} 个" in status
    assert positive(lstm) > 0.5


@pytest.mark.parametrize("text, message", [
    (None, "Type an English sentence"),
    ("", "Type an English sentence"),
    ("   \n\t ", "Type an English sentence"),
    ("😀😀👍", "emoji"),
    ("🎬 🍿 !!!", "emoji"),
    ("... ?!", "no words"),
    ("zzqxv blorfle grmph", "vocabulary"),
    ("这部电影非常好看", "not look like English"),
    ("Это очень хороший фильм", "not look like English"),
    (12345, "must be a string"),
    (["a list"], "must be a string"),
])
def test_bad_input_gets_a_clear_message(text, message):
    with pytest.raises(gr.Error, match=message):
        predict_sentiment(text)


@pytest.mark.parametrize("text, warning", [
    ("Le film est vraiment magnifique et très émouvant", "not look like English"),
    ("La película es muy buena", "not look like English"),
    ("Der Film ist wirklich sehr gut", "not look like English"),
    ("a zzqxv blorfle grmph movie", "words are known"),
])
def test_other_languages_and_unknown_words_warn_in_the_status(text, warning):
    status = predict_sentiment(text)[-1]
    assert warning in status
    chinese = {"not look like English": "这看起来不是英文", "words are known": "个是模型认识的"}[warning]
    assert status.index(warning) < status.index(chinese) and status.count("⚠️") == 2


def test_plain_english_gets_no_warning():
    assert "⚠️" not in predict_sentiment("Gorgeous, witty, moving film.")[-1]


def test_warm_handler_is_fast_and_thread_safe():
    text = "An intelligent, funny and touching movie, but far too long."
    expected = predict_sentiment(text)
    for _ in range(3):  # warm calls give the same answer (speed: python -m demos.bench)
        assert predict_sentiment(text)[0] == pytest.approx(expected[0])
    with ThreadPoolExecutor(6) as pool:  # an exception in any thread fails the test
        results = list(pool.map(predict_sentiment, [text] * 6))
    for r in results:
        assert r[0] == pytest.approx(expected[0]) and r[2] == expected[2]


def test_manual_trace_matches_the_network():
    from demos.lstm import load_sentiment_model
    from models.sentiment import trace

    for name in ("lstm", "rnn"):
        bundle = load_sentiment_model(name)
        ids = bundle.vocab.encode(tokenize("not a bad movie , but not a great one either"))
        run = trace(bundle.model, ids)
        with torch.inference_mode():
            x = torch.tensor([ids])
            running = torch.softmax(bundle.model.running_logits(x)[0], 1).numpy()
            final = torch.softmax(bundle.model(x, torch.tensor([len(ids)]))[0], 0).numpy()
        assert np.allclose(run["probs"], running, atol=1e-5)
        assert np.allclose(run["probs"][-1], final, atol=1e-5)
        if name == "lstm":
            assert set(run["gates"]) == {"input", "forget", "output"}
            assert all(0 <= g.min() and g.max() <= 1 for g in run["gates"].values())


def test_tokenizer_and_vocabulary(tmp_path):
    assert tokenize("It's NOT good, isn’t it? 😀 well-made!") == ["it's", "not", "good", ",", "isn't", "it", "?",
                                                                  "well-made", "!"]
    vocab = Vocabulary.build([["b", "a", "b"], ["c"]])
    assert vocab.itos[:3] == ["<pad>", "<unk>", "b"] and vocab.encode(["a", "zz"]) == [vocab.stoi["a"], 1]
    vocab.save(tmp_path / "v.json")
    assert Vocabulary.load(tmp_path / "v.json").itos == vocab.itos


def test_shipped_metrics_meet_targets():
    metrics = {name: json.loads((ROOT / "weights" / name / "metrics.json").read_text()) for name in ("lstm", "rnn")}
    assert metrics["lstm"]["accuracy"] >= 0.78
    assert metrics["rnn"]["accuracy"] > 0.6
    for m in metrics.values():
        assert m["n"] == 1066 and "seed" in m["train_data"] and {"parameters", "epochs", "method"} <= set(m)
    card = (ROOT / "weights" / "lstm" / "README.md").read_text()
    assert "1,066 test" in card and "default_rng(0)" in card


@needs_mr
def test_mr_split_is_fixed_and_disjoint():
    from models.text import mr_split

    (train, ytr), (test, yte) = mr_split()
    assert len(train) == 9596 and len(test) == 1066 and len(set(train) & set(test)) < 5  # MR has a few duplicates
    assert mr_split()[1][0][:5] == test[:5]
    assert 0.45 < yte.mean() < 0.55


@needs_mr
@pytest.mark.parametrize("name", ["lstm", "rnn"])
def test_evaluate_command_prints_json_last_line(name):
    out = subprocess.run([sys.executable, "-m", "models", "evaluate", name], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    metrics = json.loads(out.strip().splitlines()[-1])
    shipped = json.loads((ROOT / "weights" / name / "metrics.json").read_text())
    assert metrics["model"] == name and metrics["n"] == 1066
    assert metrics["accuracy"] == shipped["accuracy"]


def test_tab_builds_with_api_name_and_model_cards():
    from demos import lstm as tab
    from demos.i18n import plain

    with gr.Blocks() as demo:
        tab.build()
    assert {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"} == {"lstm_predict", "lstm_memory_train"}
    texts = [plain(b.value) for b in demo.blocks.values() if isinstance(b, gr.Markdown) and b.value]
    for name in ("lstm", "rnn"):
        accuracy = json.loads((ROOT / "weights" / name / "metrics.json").read_text())["accuracy"]
        assert any(f"(`{name}`)" in t and f"| accuracy | {accuracy} |" in t for t in texts), name
