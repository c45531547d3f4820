"""Transformer tab: streamed, seeded generation; attention and next-token views; bad input; loading
checkpoints with from_pretrained offline; the shipped GPT's files and its evaluation contract."""
import json
import subprocess
import sys

import gradio as gr
import numpy as np
import pytest

from conftest import ROOT
from demos.transformer import (CHOICES, HUB_MODELS, OURS, LanguageModel, attention_matrix, generate_text,
                               inspect_gpt_attention, load_checkpoint, load_language_model, sample_next)
from models.data import data_dir

WEIGHTS = ROOT / "weights" / "gpt"
SHAKESPEARE = data_dir() / "text" / "tinyshakespeare" / "input.txt"
needs_text = pytest.mark.skipif(not SHAKESPEARE.exists(), reason="Tiny Shakespeare not in the data dir")


def run(prompt="ROMEO:", tokens=40, temperature=1.0, top_k=0, top_p=1.0, seed=0, model=OURS):
    return list(generate_text(prompt, tokens, temperature, top_k, top_p, seed, model))


# --- generation ----------------------------------------------------------------------
def test_generation_streams_growing_text():
    frames = run("ROMEO:", 40)
    texts = [text for text, _ in frames]
    assert len(frames) == 41  # one frame per token, then the final one
    assert all(t.startswith("ROMEO:") for t in texts)
    assert all(b.startswith(a) and len(b) >= len(a) for a, b in zip(texts, texts[1:]))
    assert len(texts[-1]) == len("ROMEO:") + 40  # one character per token
    assert "Writing" in frames[0][1] and "**Done**" in frames[-1][1] and "first token after" in frames[-1][1]
    # the status carries both languages, English first (the server does not know the reader's language)
    english, chinese = frames[-1][1].split("\n\n")
    assert "40 new token(s)" in english and "**完成** · 已生成 40 个新 token · 首个 token 用时" in chinese
    assert "生成中…" in frames[0][1]


def test_same_seed_same_text_different_seed_different_text():
    a, b, c = run(seed=7, tokens=80)[-1][0], run(seed=7, tokens=80)[-1][0], run(seed=8, tokens=80)[-1][0]
    assert a == b
    assert a != c


def test_the_model_has_learned_shakespeare():
    text = run("KING HENRY:\n", 200, temperature=0.6, top_k=20, seed=0)[-1][0]
    words = [w.strip(",.;:!?'").lower() for w in text.split()]
    common = {"the", "and", "to", "of", "i", "my", "you", "that", "a", "in", "is", "not", "me", "with", "your", "be"}
    assert sum(w in common for w in words) >= 5, text


def test_generation_runs_past_the_context_window():
    frames = run("x" * 127, 150, seed=1)  # 127 + 150 > 128 positions: the window slides
    assert len(frames[-1][0]) == 127 + 150


def test_sampling_filters():
    import torch

    logits = torch.tensor([0.0, 3.0, 1.0, 2.0])
    gen = torch.Generator().manual_seed(0)
    assert {sample_next(logits, 1.0, 1, 1.0, gen) for _ in range(20)} == {1}
    assert {sample_next(logits, 1.0, 0, 0.05, gen) for _ in range(20)} == {1}
    assert {sample_next(logits, 1.0, 2, 1.0, gen) for _ in range(200)} == {1, 3}


# --- prompts the tokenizer cannot read as they are --------------------------------------
def test_empty_prompt_starts_from_the_start_token():
    for prompt in ("", None):
        frames = run(prompt, 10)
        assert len(frames[-1][0]) == 11 and frames[-1][0][0] == "\n"


def test_unknown_characters_are_mapped_or_dropped_and_reported():
    text, status = run("“Héllo” 中文 😀", 5)[-1]
    assert text.startswith("'Hello'  ")
    assert "é→e" in status and "“→'" in status
    assert "Dropped 3 character(s)" in status and "中" in status and "😀" in status
    assert "删去了 3 个模型在训练中从未见过的字符" in status
    assert status.index("Dropped 3") < status.index("**完成**") < status.index("删去了 3")


def test_only_unknown_characters_starts_from_scratch():
    text, status = run("中文", 5)[-1]
    assert len(text) == 6 and "start token" in status


def test_a_huge_prompt_keeps_the_last_context_window():
    prompt = "To be, or not to be: that is the question.\n" * 2400  # ~100k characters
    text, status = run(prompt, 5)[-1]
    assert "last 127" in status and "context window" in status
    assert text.startswith("…") and len(text) == 1 + 127 + 5


@pytest.mark.parametrize("kwargs, message", [
    ({"tokens": 0}, "Max new tokens"),
    ({"tokens": 501}, "Max new tokens"),
    ({"tokens": None}, "Max new tokens"),
    ({"tokens": 2.5}, "whole number"),
    ({"tokens": "many"}, "Max new tokens"),
    ({"temperature": 0}, "Temperature"),
    ({"temperature": float("nan")}, "Temperature"),
    ({"temperature": float("inf")}, "Temperature"),
    ({"temperature": 3}, "Temperature"),
    ({"temperature": None}, "Temperature"),
    ({"top_k": -1}, "Top-k"),
    ({"top_k": 201}, "Top-k"),
    ({"top_p": 0}, "Top-p"),
    ({"top_p": 1.5}, "Top-p"),
    ({"top_p": None}, "Top-p"),
    ({"seed": -1}, "Seed"),
    ({"seed": None}, "Seed"),
    ({"model": "gpt-5"}, "Model must be one of"),
    ({"model": None}, "Model must be one of"),
    ({"prompt": 42}, "Prompt must be text"),
])
def test_bad_generation_input_gets_a_clear_error(kwargs, message):
    with pytest.raises(gr.Error, match=message):
        run(**kwargs)


# --- looking inside ----------------------------------------------------------------------
def test_attention_is_causal_and_rows_sum_to_one():
    prompt = "To be, or not"
    lm, labels, attention, probs, positions, notes = attention_matrix(prompt, 2, 3)
    n = len(prompt)
    assert labels[:3] == ["T", "o", "␣"] and len(labels) == n
    assert attention.shape == (n, n) and positions.shape == (n, n)
    assert np.all(np.triu(attention, 1) == 0)  # the causal mask: nothing above the diagonal
    assert np.allclose(attention.sum(1), 1, atol=1e-4)
    assert np.isclose(probs.sum(), 1, atol=1e-4) and not notes


def test_inspect_outputs_heatmap_top10_and_explanation():
    heat, top, positions, text = inspect_gpt_attention("To be, or not to be", 1, 1)
    assert heat.ndim == 3 and heat.shape[0] == heat.shape[1] > 19 * 15 and heat.dtype == np.uint8
    assert positions.shape == heat.shape
    values = list(top.values())
    assert len(top) == 10 and values == sorted(values, reverse=True) and 0 < sum(values) <= 1 + 1e-6
    assert "Layer 1, head 1" in text and "causal mask" in text
    assert "**第 1 层、第 1 个注意力头**" in text and "因果掩码" in text


def test_inspect_reads_only_the_last_tokens_of_a_long_input():
    lm, labels, attention, *_ , notes = attention_matrix("a long line of verse " * 20, 1, 1)
    assert attention.shape == (48, 48) and any("last 48" in en and "最后 48 个" in zh for en, zh in notes)


@pytest.mark.parametrize("layer, head, message", [
    (0, 1, "Layer"), (5, 1, "Layer"), (None, 1, "Layer"), (float("nan"), 1, "Layer"),
    (1, 0, "Head"), (1, 9, "Head"), (1, "two", "Head"),
])
def test_bad_layer_or_head_gets_a_clear_error(layer, head, message):
    with pytest.raises(gr.Error, match=message):
        inspect_gpt_attention("To be", layer, head)


# --- from_pretrained: our folder and (offline) the hub path ---------------------------------
def _tiny_gpt2(folder, byte_level: bool):
    """A random 1-layer GPT-2 with a char tokenizer (ours) or a byte-level BPE (like the hub's), saved."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    if byte_level:
        from tokenizers import ByteLevelBPETokenizer

        core = ByteLevelBPETokenizer()
        core.train_from_iterator(["To be, or not to be, that is the question."] * 20, vocab_size=300,
                                 special_tokens=["<|endoftext|>"])
        tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<|endoftext|>",
                                            eos_token="<|endoftext|>")
    else:
        from models.gpt import build_tokenizer

        tokenizer = build_tokenizer("To be, or not to be.\n")
    torch.manual_seed(0)
    start = tokenizer.convert_tokens_to_ids("<|endoftext|>") if byte_level else 0
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=32, n_embd=16, n_layer=1, n_head=2,
                        bos_token_id=start, eos_token_id=start)
    model = GPT2LMHeadModel(config).eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return model, tokenizer


@pytest.mark.parametrize("byte_level", [False, True])
def test_save_pretrained_round_trip_through_the_loader(tmp_path, monkeypatch, byte_level):
    import torch

    model, tokenizer = _tiny_gpt2(tmp_path, byte_level)
    assert (tmp_path / "model.safetensors").exists() and not list(tmp_path.glob("*.bin"))
    loaded, loaded_tok = load_checkpoint(tmp_path)
    ids = loaded_tok("To be, or not", add_special_tokens=False)["input_ids"]
    assert ids == tokenizer("To be, or not", add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        assert torch.allclose(loaded(torch.tensor([ids])).logits, model(torch.tensor([ids])).logits, atol=1e-5)
    assert loaded.config._attn_implementation == "eager"

    # the handlers run on it unchanged (this is how a hub checkpoint is used)
    lm = LanguageModel(OURS, loaded, loaded_tok)
    monkeypatch.setattr("demos.transformer.generate.load_language_model", lambda choice=OURS: lm)
    frames = run("To be", 40, seed=3)  # 5 + 40 tokens > 32 positions: the window slides
    assert frames[-1][0].startswith("To be") and len(frames) == 41
    assert run("To be", 10, seed=3)[-1][0] == run("To be", 10, seed=3)[-1][0]
    heat, top, positions, text = inspect_gpt_attention("To be, or", 1, 2)
    assert len(top) == 10 and heat.shape[0] == heat.shape[1]
    with pytest.raises(gr.Error, match="Layer"):
        inspect_gpt_attention("To be", 2, 1)


def test_hub_choice_offline_says_it_needs_the_internet(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    t0 = time.monotonic()
    with pytest.raises(gr.Error, match="needs the internet"):
        load_language_model(list(HUB_MODELS)[0])
    with pytest.raises(gr.Error, match="needs the internet"):
        next(generate_text("Hello", 5, 1.0, 0, 1.0, 0, list(HUB_MODELS)[1]))
    assert time.monotonic() - t0 < 120  # offline answers at once; only a safety net against waiting on a network
    assert set(CHOICES) == {OURS, *HUB_MODELS}


# --- the shipped model ---------------------------------------------------------------------
def test_shipped_weights_are_a_small_safetensors_save_pretrained_folder():
    names = {p.name for p in WEIGHTS.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "metrics.json",
            "README.md"} <= names
    assert not any(n.endswith((".bin", ".pt", ".pkl")) for n in names)
    assert all(p.stat().st_size < 10 * 1024 * 1024 for p in WEIGHTS.iterdir())
    config = json.loads((WEIGHTS / "config.json").read_text())
    assert config["model_type"] == "gpt2" and config["vocab_size"] == 65
    metrics = json.loads((WEIGHTS / "metrics.json").read_text())
    assert metrics["val_loss_nats_per_char"] <= 1.60
    assert f"| val_loss_nats_per_char | {metrics['val_loss_nats_per_char']} |" in (WEIGHTS / "README.md").read_text()


@needs_text
def test_evaluate_prints_val_loss_per_character_as_json(tmp_path):
    # a shortened copy of the corpus (in a temporary data dir) keeps this fast; the split rule is the same
    folder = tmp_path / "text" / "tinyshakespeare"
    folder.mkdir(parents=True)
    text = SHAKESPEARE.read_text(encoding="utf-8")
    (folder / "input.txt").write_text(text[:60_000], encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "models", "evaluate", "gpt", "--data-dir", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    metrics = json.loads(out.stdout.strip().splitlines()[-1])
    assert metrics["model"] == "gpt" and metrics["dataset"] == "tinyshakespeare-val-10pct"
    assert metrics["val_chars"] == 6_000 - 1
    assert 0.5 < metrics["val_loss_nats_per_char"] < 2.5
