"""Train a GPT on your own text (Transformer tab): the loop in models/gpt_live.py learns and is reproducible,
memorisation is measured correctly, bad text and bad zips are refused in both languages, and a trained GPT
survives download -> upload -> generate."""
import json
import zipfile

import gradio as gr
import numpy as np
import pytest
import torch

from demos.transformer import (download_trained_gpt, generate_with_trained_gpt, train_gpt_on_text,
                               upload_trained_gpt)
from demos.transformer.own import EXAMPLE_TEXTS, example_text
from models import gpt_live
from models.gpt_live import (UNKNOWN, memorised_share, new_model, ngram_hashes, prepare_corpus, tokenizer_for,
                             train_live)

SMALL = {"n_layer": 1, "n_head": 2, "n_embd": 32}  # the loop's behaviour, at a fraction of the cost
REPETITIVE = "the cat sat on the mat. the dog sat on the log. " * 60  # 2,940 characters


def run(text=REPETITIVE, steps=40, seed=0, config=SMALL, seconds=600, **kwargs):
    corpus = prepare_corpus(text)
    gen = torch.Generator().manual_seed(seed)
    model = new_model(len(corpus.vocab), gen, config)
    return corpus, model, list(train_live(model, corpus, seconds, gen, max_steps=steps, **kwargs))


# --- the text ---------------------------------------------------------------------------------
def test_vocabulary_keeps_the_most_frequent_characters_and_maps_the_rest_to_unknown():
    text = "a" * 50 + "b" * 40 + "c" * 30 + "xyz"
    vocab = gpt_live.build_vocab(text, max_vocab=4)
    assert vocab == [UNKNOWN, "a", "b", "c"]
    ids = gpt_live.encode("abcx中", vocab)
    assert ids.tolist() == [1, 2, 3, 0, 0]
    tokenizer = tokenizer_for(vocab, 64)
    assert tokenizer("abcx", add_special_tokens=False)["input_ids"] == [1, 2, 3, 0]
    assert tokenizer.decode([1, 0, 3]) == "a" + UNKNOWN + "c"  # the unknown token is shown, not dropped


def test_unigram_baseline_is_the_entropy_of_the_characters():
    corpus = prepare_corpus("ab" * 1500)  # two characters, equally often: ln 2 nats
    assert corpus.baseline == pytest.approx(np.log(2))
    assert corpus.distinct == 2 and len(corpus.vocab) == 3 and corpus.unknown == 0
    assert len(corpus.train_ids) == 2700 and len(corpus.val_ids) == 300  # the last 10 % validates


def test_chinese_example_fits_the_vocabulary():
    corpus = prepare_corpus(example_text("tang_poems.txt"))
    assert corpus.unknown == 0 and len(corpus.vocab) == corpus.distinct + 1 > 500


# --- memorisation ---------------------------------------------------------------------------------
def test_memorised_share_counts_runs_found_verbatim():
    train = gpt_live.encode("abcdefghijklmnopqrstuvwxyz", [UNKNOWN, *"abcdefghijklmnopqrstuvwxyz"])
    known = np.unique(ngram_hashes(train))
    copied = train[3:15]                                   # 12 characters: 5 runs of 8, all in the text
    assert memorised_share(copied, known) == 1.0
    assert memorised_share(copied[::-1].copy(), known) == 0.0
    mixed = np.concatenate([train[0:8], train[::-1][:8]])  # 9 runs: only the first is in the text
    assert memorised_share(mixed, known) == pytest.approx(1 / 9)
    assert memorised_share(train[:7], known) is None       # no 8-character run at all


def test_hashed_runs_agree_with_a_set_of_tuples():
    rng = np.random.default_rng(0)
    text = rng.integers(0, 3, 5000)   # a 3-letter alphabet: about half of all 8-runs occur
    other = rng.integers(0, 3, 600)
    known = {tuple(text[i:i + 8]) for i in range(len(text) - 7)}
    expected = np.mean([tuple(other[i:i + 8]) in known for i in range(len(other) - 7)])
    assert memorised_share(other, np.unique(ngram_hashes(text))) == pytest.approx(expected)
    assert 0.2 < expected < 1.0


# --- training -------------------------------------------------------------------------------------
def test_loss_falls_below_the_unigram_baseline_on_a_repetitive_text():
    corpus, _, updates = run(steps=60)
    last = updates[-1]
    assert last["done"] and last["step"] == 60
    assert last["history"]["val"][0] > corpus.baseline          # untrained: worse than counting characters
    assert last["val_loss"] < 0.8 * corpus.baseline, (last["val_loss"], corpus.baseline)
    assert last["train_loss"] < corpus.baseline
    assert last["samples"] and all(0 <= s["memorised"] <= 1 for s in last["samples"])
    assert len(last["samples"][-1]["text"]) == gpt_live.SAMPLE_CHARS


def test_same_seed_same_curves_and_the_global_rng_is_left_alone():
    state = torch.random.get_rng_state()
    a = run(steps=30, seed=5)[2][-1]["history"]
    b = run(steps=30, seed=5)[2][-1]["history"]
    c = run(steps=30, seed=6)[2][-1]["history"]
    assert a == b
    assert a["train"] != c["train"]
    assert torch.equal(torch.random.get_rng_state(), state)


def test_the_budget_ends_a_run_and_progress_streams():
    _, _, updates = run(steps=10**6, seconds=1.5)
    assert updates[-1]["done"] and 1.4 < updates[-1]["seconds"] < 30
    assert sum(not u["done"] for u in updates) >= 1


# --- the handlers: bad input ------------------------------------------------------------------------
@pytest.mark.parametrize("text, seconds, message", [
    ("x" * 1999, 3, "1,999 characters; paste or upload at least 2,000"),
    ("x" * 1_000_001, 3, "1,000,001 characters; the limit is 1,000,000"),
    (None, 3, "0 characters"),
    (42, 3, "must be a string"),
    (REPETITIVE, float("nan"), "Training budget"),
    (REPETITIVE, 121, "Training budget"),
    (REPETITIVE, None, "Training budget"),
])
def test_bad_training_input_gets_a_clear_error(text, seconds, message):
    with pytest.raises(gr.Error, match=message) as info:
        next(train_gpt_on_text(text, None, seconds, 0))
    assert "\n" in str(info.value.message)  # English, then Chinese


def test_uploaded_text_must_be_utf8_and_size_capped(tmp_path):
    binary = tmp_path / "picture.txt"
    binary.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(gr.Error, match="not UTF-8") as info:
        next(train_gpt_on_text("", str(binary), 3, 0))
    assert "不是 UTF-8" in str(info.value.message)
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"abc\0" * 1000)
    with pytest.raises(gr.Error, match="binary data"):
        next(train_gpt_on_text("", str(nul), 3, 0))
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (gpt_live.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(gr.Error, match="the limit is"):
        next(train_gpt_on_text("", str(big), 3, 0))


def test_generate_and_download_need_a_model():
    with pytest.raises(gr.Error, match="Train a GPT on your text first"):
        next(generate_with_trained_gpt("Hello", 10, 0.8, 40, 0.95, 0, None))
    with pytest.raises(gr.Error, match="Train a GPT on your text first"):
        download_trained_gpt(None)


# --- the handlers: train, generate, download, upload ------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The nursery rhymes uploaded as a file, trained for the minimum budget through the handler."""
    path = tmp_path_factory.mktemp("text") / "rhymes.txt"
    path.write_text(example_text("nursery_rhymes.txt"), encoding="utf-8")
    updates = list(train_gpt_on_text("ignored: a file is given", str(path), 3, 0))
    return updates


def test_training_streams_curves_samples_and_keeps_the_model(trained):
    curves, samples, status, lm = trained[0]
    assert lm.choice == "your GPT (trained in this tab)"  # kept from the first update: Stop keeps it
    assert all(u[3] is not lm for u in trained[1:-1])     # in between, the state is not resent
    assert trained[-1][3] is lm
    curves, samples, status, _ = trained[-1]
    assert set(curves["series"]) == {"training loss · 训练损失", "validation loss (last 10 %) · 验证损失（最后 10%）",
                                     "unigram baseline · 一元基线"}
    assert "**Done** after" in status and "unigram baseline" in status and "**完成**" in status
    assert "(from rhymes.txt)" in status and "3,919 characters" in status
    assert "8-character runs" in samples and len(samples) > gpt_live.SAMPLE_CHARS


def test_download_upload_generate_round_trip(trained, tmp_path):
    lm = trained[-1][3]
    first = list(generate_with_trained_gpt("Humpty", 60, 0.8, 40, 0.95, 3, lm))
    assert len(first) == 61 and first[-1][0].startswith("Humpty") and len(first[-1][0]) == 66
    zipped = download_trained_gpt(lm)
    names = set(zipfile.ZipFile(zipped).namelist())
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    assert not any(n.endswith((".bin", ".pt", ".pkl")) for n in names)
    loaded, status = upload_trained_gpt(zipped)
    assert "Loaded **" in status and "2 layers × 4 heads" in status and "已加载" in status
    again = list(generate_with_trained_gpt("Humpty", 60, 0.8, 40, 0.95, 3, loaded))
    assert again[-1][0] == first[-1][0]  # the same weights and tokenizer: the same text
    assert loaded.model.config._attn_implementation == "eager"  # the tab's from_pretrained loader


def _rezip(source, dest, change=None, extra=None):
    """A copy of a downloaded zip with one file changed (name -> bytes or None to drop) and extra files."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(dest, "w") as out:
        for name in src.namelist():
            data = src.read(name)
            if change and name in change:
                data = change[name](data)
            if data is not None:
                out.writestr(name, data)
        for name, data in (extra or {}).items():
            out.writestr(name, data)
    return str(dest)


def _config(**values):
    def edit(data):
        config = json.loads(data)
        config.update(values)
        return json.dumps(config).encode()
    return edit


def test_bad_zips_are_refused(trained, tmp_path):
    import pickle

    good = download_trained_gpt(trained[-1][3])
    cases = {
        "pickle": (_rezip(good, tmp_path / "a.zip", extra={"pytorch_model.bin": pickle.dumps({"x": 1})}),
                   "Unexpected files in the zip: pytorch_model.bin"),
        "huge config": (_rezip(good, tmp_path / "b.zip", {"config.json": _config(n_embd=100_000)}),
                        "n_embd must be a number in"),
        "huge vocabulary": (_rezip(good, tmp_path / "c.zip", {"config.json": _config(vocab_size=10**7)}),
                            "vocab_size must be a number in"),
        "shapes": (_rezip(good, tmp_path / "d.zip", {"config.json": _config(n_layer=3)}), "missing"),
        "code": (_rezip(good, tmp_path / "e.zip", {"config.json": _config(auto_map={"AutoModel": "x.Y"})}),
                 "custom code"),
        "no weights": (_rezip(good, tmp_path / "f.zip", {"model.safetensors": lambda d: None}),
                       "lacks model.safetensors"),
        "not gpt2": (_rezip(good, tmp_path / "g.zip", {"config.json": _config(model_type="llama")}), "GPT-2"),
    }
    not_zip = tmp_path / "h.zip"
    not_zip.write_bytes(b"PK not really")
    cases["not a zip"] = (str(not_zip), "not a model file")
    for case, (path, message) in cases.items():
        with pytest.raises(gr.Error, match=message) as info:
            upload_trained_gpt(path)
        assert "上传被拒绝" in str(info.value.message), case


def test_example_texts_are_within_the_limits():
    for name, label in EXAMPLE_TEXTS:
        text = example_text(name)
        assert gpt_live.MIN_CHARS <= len(text) <= 30_000, name
        assert "·" in label


def test_status_says_when_it_over_fits_and_when_it_recites():
    from demos.transformer.own import _status

    def progress(val, memorised, done=True):
        return {"step": 300, "seconds": 30.0, "done": done, "baseline": 3.0, "val_overlap": 0.1,
                "train_loss": 1.0, "val_loss": val[-1], "history": {"val": val, "val_step": [0, 100, 200][:len(val)]},
                "samples": [{"step": 300, "seconds": 30.0, "text": "x", "memorised": memorised}]}

    head = ("2,000 characters", "2,000 个字符")
    fine = _status(progress([4.0, 2.0], 0.12), head, 30)
    assert "33% below the baseline" in fine and "over-fitting" not in fine and "not reciting" in fine
    assert "比基线低 33%" in fine and fine.index("not reciting") < fine.index("2,000 characters") < fine.index("完成")
    overfit = _status(progress([4.0, 2.0, 3.2], 0.8), head, 30)
    assert "above it." in overfit and "best, 2.000 at step 100: **over-fitting**" in overfit
    assert "**memorising**" in overfit and "**过拟合**" in overfit and "**死记硬背**" in overfit
    running = _status(progress([4.0, 3.5], None, done=False), head, 30)
    assert "**Training** · step 300 · 30 of 30 s · training loss 1.000" in running and "**训练中**" in running
