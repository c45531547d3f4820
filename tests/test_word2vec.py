"""Word2Vec tab: neighbours, similarity, analogies, the PCA map, training on your own text, bad input,
and the shipped vectors' files and metrics."""
import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
import numpy as np
import pytest

from conftest import ROOT
from demos.word2vec import (COLUMNS, MAX_UPLOAD_BYTES, SOURCES, lookup, nearest_words, train_word2vec_on_text,
                            word_analogy, word_similarity)
from models.data import data_dir

WEIGHTS = ROOT / "weights" / "word2vec"
WORD, COSINE = COLUMNS["word"], COLUMNS["cosine"]
HAS_TEXT = (data_dir() / "text" / "nltk" / "brown.zip").exists()
needs_text = pytest.mark.skipif(not HAS_TEXT, reason="text corpora not in the data dir (../shared/data or $DLHUB_DATA_DIR)")


def test_nearest_neighbours_table_and_map():
    table, scatter, note = nearest_words("movie", 10)
    assert list(table.columns) == ["word · 词", "cosine · 余弦相似度"] and len(table) == 10
    assert "film" in set(table[WORD][:3])
    assert list(table[COSINE]) == sorted(table[COSINE], reverse=True)
    assert len(scatter) == 11 and scatter["word"][0] == "movie" and scatter["group"][0] == "your word · 你的词"
    assert list(scatter["cosine"][1:]) == list(table[COSINE])
    assert np.isfinite(scatter[["x", "y"]].to_numpy()).all()
    english, chinese = note.split("\n\n")  # the browser cannot translate it: English, then Chinese
    assert english.startswith("The 10 words whose vectors point most nearly the same way as **movie**")
    assert "向量方向与 **movie** 最接近（余弦相似度最高）的 10 个词" in chinese


def test_lookup_is_case_insensitive_and_trims():
    table = nearest_words("  Movie ", 3)[0]
    assert len(table) == 3


def test_similarity_orders_related_above_unrelated():
    def cosine(a, b):
        return float(word_similarity(a, b).split("=")[1].split()[0])

    assert cosine("car", "truck") > cosine("car", "philosophy") + 0.3
    assert "1.000" in word_similarity("king", "king")
    heading, english, chinese = word_similarity("king", "queen").replace("\n\n", "\n").split("\n")
    assert heading.startswith("### cos(king, queen) = ") and english.endswith("nearest word to **king**.")
    assert chinese.startswith("在这个语料中两者") and "在与 **king** 最接近的词中，**queen** 排第" in chinese


def test_analogies():
    table, text = word_analogy("king", "man", "woman", 10)
    assert len(table) == 10 and "king − man + woman" in text
    assert "queen" in set(table[WORD])
    assert "the word nearest to the vector" in text and "与向量 `v(king) − v(man) + v(woman)` 最接近的词" in text
    for (a, b, c), answer in [(("father", "man", "woman"), "mother"), (("london", "england", "france"), "paris")]:
        table, text = word_analogy(a, b, c, 3)
        assert table[WORD][0] == answer and f"**{answer}**" in text


def test_unknown_word_suggests_spellings():
    with pytest.raises(gr.Error, match="Closest known spellings: movie, "):
        nearest_words("moive", 5)
    with pytest.raises(gr.Error, match="spellings: beautiful"):
        word_analogy("king", "man", "beautifull")
    with pytest.raises(gr.Error, match="not among"):
        word_similarity("car", "qqqzzzxx")


@pytest.mark.parametrize("args, message", [
    ((None, 5), "one English word"),
    (("", 5), "one English word"),
    (("   ", 5), "one English word"),
    (("two words", 5), "single word"),
    (("x" * 200, 5), "characters long"),
    ((42, 5), "one English word"),
    (("movie", None), "Number of neighbours"),
    (("movie", float("nan")), "Number of neighbours"),
    (("movie", 10**12), "Number of neighbours"),
    (("movie", "ten"), "Number of neighbours"),
    (("movie", 2.5), "whole number"),
    (("movie", 5, "wikipedia"), "Vectors must be one of"),
    (("movie", 5, None), "Vectors must be one of"),
    (("movie", 5, SOURCES[1], None), "not trained a model"),
    (("😀", 5), "no letters"),
    (("#!?", 5), "no letters"),
])
def test_bad_input_gets_a_clear_error(args, message):
    with pytest.raises(gr.Error, match=message):
        nearest_words(*args)


def test_analogy_needs_three_different_words():
    with pytest.raises(gr.Error, match="three different"):
        word_analogy("king", "king", "woman")


def test_concurrent_queries_agree():
    expected = nearest_words("music", 5)[0]
    with ThreadPoolExecutor(6) as pool:  # an exception in any thread fails the test
        results = list(pool.map(nearest_words, ["music"] * 6, [5] * 6))
    assert all(r[0].equals(expected) for r in results)


# --- train on your own text ---------------------------------------------------
def _lee_text() -> str:
    from gensim.test.utils import datapath

    with open(datapath("lee_background.cor"), encoding="utf-8") as f:
        return f.read()


def _run(gen):
    updates = list(gen)
    return updates


def test_train_on_text_streams_progress_then_queries_the_user_model():
    updates = _run(train_word2vec_on_text(_lee_text(), None, 5, 5, 2))
    assert len(updates) >= 1 + 5 + 1
    assert "Epoch 5/5" in updates[-2][0] and "第 5/5 轮" in updates[-2][0]
    status, kv, source = updates[-1]
    assert "Trained on your text" in status and source == SOURCES[1]
    assert status.index("Trained on your text") < status.index("**已用你的文本训练完成**") and "× 50 维，共训练 5 轮" in status
    assert len(kv) > 1000 and kv.vector_size == 50
    table = nearest_words("government", 5, SOURCES[1], kv)[0]
    assert len(table) == 5
    assert word_similarity("government", "minister", SOURCES[1], kv).startswith("### cos(")


def test_train_on_uploaded_file(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(_lee_text()[:60_000], encoding="utf-8")
    status, kv, _ = _run(train_word2vec_on_text("", str(path), 2, 5, 2))[-1]
    assert "Trained on your text" in status and "police" in kv.key_to_index


@pytest.mark.parametrize("text, message", [
    ("", "at least 200"),
    (None, "at least 200"),
    ("   \n  ", "at least 200"),
    ("😀 " * 500, "at least 200"),
    ("word " * 300, "distinct words"),
    (12, "must be a string"),
])
def test_train_rejects_too_little_text(text, message):
    with pytest.raises(gr.Error, match=message):
        _run(train_word2vec_on_text(text, None, 5, 5, 2))


@pytest.mark.parametrize("epochs, window, min_count, message", [
    (0, 5, 2, "Epochs"), (10**9, 5, 2, "Epochs"), (None, 5, 2, "Epochs"), (float("nan"), 5, 2, "Epochs"),
    (5, 0, 2, "Window"), (5, 5, -1, "Minimum count"),
])
def test_train_rejects_bad_settings(epochs, window, min_count, message):
    with pytest.raises(gr.Error, match=message):
        _run(train_word2vec_on_text(_lee_text(), None, epochs, window, min_count))


def test_train_rejects_binary_and_oversized_files(tmp_path):
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\0\1\2" * 1000)
    with pytest.raises(gr.Error, match="not plain text"):
        _run(train_word2vec_on_text("", str(binary)))
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(MAX_UPLOAD_BYTES + 1)
    with pytest.raises(gr.Error, match="MB"):
        _run(train_word2vec_on_text("", str(big)))
    with pytest.raises(gr.Error, match="could not be read"):
        _run(train_word2vec_on_text("", str(tmp_path / "missing.txt")))


def test_long_text_is_truncated_and_said_so(monkeypatch):
    import demos.word2vec as w2v

    monkeypatch.setattr(w2v, "MAX_TRAIN_CHARS", 50_000)
    status = _run(train_word2vec_on_text(_lee_text(), None, 1, 5, 2))[-1][0]
    assert "training uses the first 50,000" in status and "训练只使用前 50,000 个" in status


# --- persistence, shipped files and metrics -----------------------------------
def test_save_and_load_vectors_without_pickle(tmp_path):
    from models.word2vec import load_vectors, save_vectors, vectors_from_arrays

    rng = np.random.default_rng(0)
    kv = vectors_from_arrays(["a", "b", "c"], rng.normal(size=(3, 4)).astype(np.float32), [5, 3, 1])
    save_vectors(kv, tmp_path, {"vector_size": 4})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors", "vocab.json"]
    loaded = load_vectors(tmp_path)
    assert loaded.index_to_key == ["a", "b", "c"] and loaded.nbytes == 3 * 4 * 4
    assert np.allclose(loaded.vectors, kv.vectors, atol=1e-2)
    assert int(loaded.get_vecattr("b", "count")) == 3


def test_shipped_vectors_meet_targets():
    metrics = json.loads((WEIGHTS / "metrics.json").read_text())
    assert metrics["wordsim353_spearman"] >= 0.45 and metrics["wordsim353_pairs_covered"] >= 0.9
    assert 0 < metrics["analogy_questions_covered"] <= 1 and metrics["accuracy"] > 0.05
    assert {"parameters", "epochs", "seed", "train_data", "method"} <= set(metrics)
    for path in WEIGHTS.iterdir():
        assert path.stat().st_size < 10 * 1024 * 1024
        assert path.suffix not in (".pkl", ".model", ".npy", ".bin")


def test_evaluate_command_prints_json_last_line():
    """The evaluation data ships with gensim, so this runs without ../shared/data."""
    out = subprocess.run([sys.executable, "-m", "models", "evaluate", "word2vec"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    metrics = json.loads(out.strip().splitlines()[-1])
    shipped = json.loads((WEIGHTS / "metrics.json").read_text())
    assert metrics["model"] == "word2vec"
    for key in ("wordsim353_spearman", "wordsim353_pairs_covered", "accuracy", "analogy_questions_covered"):
        assert math.isclose(metrics[key], shipped[key], abs_tol=1e-4), key


@needs_text
def test_corpus_readers_and_the_mr_test_split_stays_out():
    from models.text import CORPORA, mr_split, tokenize, word2vec_sentences

    sentences, counts = word2vec_sentences(corpora=["brown", "conll2000", "mr-train"])
    assert counts["brown"] > 900_000 and counts["conll2000"] > 200_000
    assert all(w == w.lower() and "/" not in w for s in sentences[:2000] for w in s)
    joined = {" ".join(s) for s in sentences}
    test_texts = mr_split()[1][0]
    assert not any(" ".join(tokenize(t, punctuation=False)) in joined for t in test_texts[:200])
    assert set(CORPORA) >= {"brown", "abc", "movie_reviews", "state_union", "webtext", "inaugural", "conll2000",
                            "subjectivity", "mr-train", "tinyshakespeare"}


def test_batched_analogy_accuracy_agrees_with_gensim(tmp_path):
    """models.word2vec.analogy_accuracy is gensim's evaluate_word_analogies rule, only faster."""
    from gensim.test.utils import datapath

    from demos.word2vec import load_hub_vectors
    from models.word2vec import analogy_accuracy

    lines, keep = [], False
    for line in open(datapath("questions-words.txt"), encoding="utf-8"):
        if line.startswith(":"):
            keep = line.strip() in (": family", ": capital-common-countries")
        if keep:
            lines.append(line)
    path = tmp_path / "some-analogies.txt"
    path.write_text("".join(lines), encoding="utf-8")
    kv = load_hub_vectors()
    correct, covered, total = analogy_accuracy(kv, str(path))
    score, sections = kv.evaluate_word_analogies(str(path))
    assert covered == len(sections[-1]["correct"]) + len(sections[-1]["incorrect"]) and total == len(lines) - 2
    assert correct == len(sections[-1]["correct"]) > 0


def test_tab_builds_with_api_names_and_model_card():
    from demos import word2vec as tab
    from demos.i18n import plain

    with gr.Blocks() as demo:
        tab.build()
    assert {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"} == {
        "word2vec_neighbors", "word2vec_similarity", "word2vec_analogy"}
    # training fills the session's gr.State: callable by scripts (they keep a session), not an MCP tool
    assert {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "undocumented"} >= {"word2vec_train"}
    rho = json.loads((WEIGHTS / "metrics.json").read_text())["wordsim353_spearman"]
    texts = [plain(b.value) for b in demo.blocks.values() if isinstance(b, gr.Markdown) and b.value]
    assert any("(`word2vec`)" in t and f"| wordsim353_spearman | {rho} |" in t for t in texts)
