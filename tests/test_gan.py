"""GAN tab handlers: samples, discriminator scores, latent walk, input validation, and the model itself."""

import gradio as gr
import numpy as np
import pytest
import torch

from conftest import ROOT
from demos.gan import DATASET_CHOICES, MAX_COUNT, MAX_FRAMES, gan_latent_walk, sample_gan_grid, gan_walk_frame
from models.gan import GAN, Generator

WEIGHTS = ROOT / "weights"
MNIST, FASHION = "Digits (MNIST)", "Clothes (Fashion-MNIST)"
needs_gan = pytest.mark.skipif(not (WEIGHTS / "gan-mnist" / "model.safetensors").exists(),
                               reason="weights/gan-mnist not trained")
needs_fashion_gan = pytest.mark.skipif(not (WEIGHTS / "gan-fashion" / "model.safetensors").exists(),
                                       reason="weights/gan-fashion not trained")


def test_generator_shapes_and_range():
    model = GAN(latent_dim=8, g_base=8, d_base=8).eval()
    images, score = model.sample(torch.randn(3, 8), torch.tensor([0, 5, 9]))
    assert images.shape == (3, 28, 28) and images.min() >= 0 and images.max() <= 1
    assert score.shape == (3,) and ((score >= 0) & (score <= 1)).all()
    assert Generator(8, 10, 8)(torch.randn(2, 8), torch.eye(10)[:2]).shape == (2, 1, 28, 28)


@needs_gan
def test_sample_grid_has_a_score_per_sample_and_is_seeded():
    before = torch.random.get_rng_state()
    grid, rows, status = sample_gan_grid(MNIST, "all", 20, 7)
    assert torch.equal(before, torch.random.get_rng_state())  # the global RNG is never touched
    assert grid.ndim == 3 and grid.shape[2] == 3 and grid.dtype == np.uint8
    assert len(rows) == 20 and [r["class"] for r in rows[:10]] == [str(i) for i in range(10)]
    assert all(0 <= r["d_real"] <= 1 for r in rows)
    assert "20 samples" in status
    again = sample_gan_grid(MNIST, "all", 20, 7)
    assert np.array_equal(grid, again[0]) and rows == again[1]
    assert not np.array_equal(grid, sample_gan_grid(MNIST, "all", 20, 8)[0])


@needs_gan
def test_requested_digits_are_recognised_by_the_cnn():
    from models.digits import DigitCNN
    from models.gan import generate, load_gan
    from models.persistence import from_pretrained

    cnn = from_pretrained(DigitCNN, WEIGHTS / "cnn")
    images, labels = generate(load_gan("mnist"), 200, torch.Generator().manual_seed(0))
    with torch.inference_mode():
        pred = cnn(images[:, None]).argmax(1)
    assert (pred == labels).float().mean() >= 0.9


@needs_gan
def test_one_class_and_the_largest_grid():
    grid, rows, _ = sample_gan_grid(MNIST, "3", MAX_COUNT, 1)
    assert len(rows) == MAX_COUNT and {r["class"] for r in rows} == {"3"}
    # its speed: python -m demos.bench (tests check behaviour only)
    grids = [sample_gan_grid(MNIST, "all", MAX_COUNT, seed)[0] for seed in range(2)]
    assert grids[0].shape == grids[1].shape and not np.array_equal(grids[0], grids[1])


@needs_fashion_gan
def test_fashion_samples_use_clothes_names():
    _, rows, _ = sample_gan_grid(FASHION, "all", 10, 0)
    assert rows[0]["class"] == "T-shirt/top" and rows[9]["class"] == "Ankle boot"


@needs_gan
def test_latent_walk_strip_and_point():
    strip = gan_latent_walk(MNIST, 0, 1, "3", "8", 6)
    assert strip.ndim == 3 and strip.shape[1] > strip.shape[0] * 5  # one row of 6 tiles
    a, text_a = gan_walk_frame(MNIST, 0, 1, "3", "8", 0.0)
    b, _ = gan_walk_frame(MNIST, 0, 1, "3", "8", 1.0)
    again, _ = gan_walk_frame(MNIST, 0, 1, "3", "8", 0.0)
    assert a.shape == (280, 280) and np.array_equal(a, again) and not np.array_equal(a, b)
    assert "t = 0.00" in text_a and "P(real)" in text_a
    # 'all' derives the class from the seed, so the walk is still fully determined by its inputs
    assert np.array_equal(gan_latent_walk(MNIST, 5, 9, "all", "all", 3), gan_latent_walk(MNIST, 5, 9, "all", "all", 3))


@pytest.mark.parametrize("args, match", [
    ((MNIST, "all", 0, 0), "Count"),
    ((MNIST, "all", MAX_COUNT + 1, 0), "Count"),
    ((MNIST, "all", 2.5, 0), "whole number"),
    ((MNIST, "all", "many", 0), "Count"),
    ((MNIST, "all", None, 0), "Count"),
    ((MNIST, "all", 4, -1), "Seed"),
    ((MNIST, "all", 4, 2**31), "Seed"),
    ((MNIST, "all", 4, float("nan")), "Seed"),
    (("CIFAR", "all", 4, 0), "Dataset"),
    ((MNIST, "10", 4, 0), "Class"),
    ((MNIST, None, 4, 0), "Class"),
])
def test_sample_grid_rejects_bad_input(args, match):
    with pytest.raises(gr.Error, match=match):
        sample_gan_grid(*args)


@pytest.mark.parametrize("kwargs, match", [
    (dict(frames=1), "Frames"),
    (dict(frames=MAX_FRAMES + 1), "Frames"),
    (dict(seed_a=-5), "Seed"),
    (dict(class_b="x"), "Class B"),
    (dict(dataset="faces"), "Dataset"),
])
def test_latent_walk_rejects_bad_input(kwargs, match):
    with pytest.raises(gr.Error, match=match):
        gan_latent_walk(**{"dataset": MNIST, **kwargs})


@pytest.mark.parametrize("t", [-0.1, 1.5, "half", None])
def test_walk_point_rejects_bad_position(t):
    with pytest.raises(gr.Error, match="Position"):
        gan_walk_frame(MNIST, 0, 1, "all", "all", t)


def test_dataset_choices_cover_both_models_and_tab_samples_like_the_evaluation():
    from demos.gan import DEFAULT_PSI
    from models.gan import SAMPLE_TEMPERATURE

    assert set(DATASET_CHOICES.values()) == {"mnist", "fashion"}
    assert DEFAULT_PSI == SAMPLE_TEMPERATURE


@pytest.mark.parametrize("psi", [0.0, 2.0, "hot"])
def test_sample_grid_rejects_bad_temperature(psi):
    with pytest.raises(gr.Error, match="temperature"):
        sample_gan_grid(MNIST, "all", 4, 0, psi)


def test_frechet_distance_basics():
    from models.fid import frechet_distance

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4000, 4)), rng.normal(size=(4000, 4))
    assert frechet_distance(a, b) < 0.05
    assert abs(frechet_distance(a, b + 2) - 16) < 0.5  # a mean shift of 2 in each of 4 dimensions


@needs_gan
def test_shipped_mnist_gan_meets_the_issue_targets():
    import json

    metrics = json.loads((WEIGHTS / "gan-mnist" / "metrics.json").read_text())
    assert metrics["samples"] == 10000 and metrics["mean_top1_prob"] >= 0.90
    assert 0.07 <= metrics["class_hist_min"] and metrics["class_hist_max"] <= 0.13
    assert metrics["fid"] >= metrics["fid_floor_real_test_vs_train"]


@pytest.mark.parametrize("call, english", [
    (lambda: sample_gan_grid(MNIST, "all", MAX_COUNT + 1, 0), "Count must be between"),
    (lambda: sample_gan_grid(MNIST, "all", 4, 0, 2.0), "Latent temperature must be between"),
    (lambda: sample_gan_grid("CIFAR", "all", 4, 0), "Dataset must be one of"),
    (lambda: gan_latent_walk(MNIST, class_b="x"), "Class B must be one of"),
    (lambda: gan_walk_frame(MNIST, 0, 1, "all", "all", 1.5), "Position t must be between"),
])
def test_errors_carry_english_and_chinese(call, english):
    import re

    with pytest.raises(gr.Error) as info:
        call()
    en, zh = info.value.message.split("\n")
    assert english in en and not re.search(r"[\u4e00-\u9fff]", en)
    assert re.search(r"[\u4e00-\u9fff]", zh), zh


def test_missing_weights_error_carries_both_languages(monkeypatch, tmp_path):
    import models.persistence
    from demos.gan import load_gan

    monkeypatch.setattr(models.persistence, "weights_dir", lambda name: tmp_path / name)
    with pytest.raises(gr.Error) as info:
        load_gan("fashion")
    en, zh = info.value.message.split("\n")
    assert "weights are missing" in en and "python -m models train gan-fashion" in en
    assert "缺少" in zh and "python -m models train gan-fashion" in zh


def test_text_has_title_and_principle_in_both_languages_matching_the_code():
    from demos.gan import STATUS, TEXT
    from demos.i18n import lookup
    from models.gan import BATCH_SIZE, EMA_DECAY, REAL_TARGET, SAMPLE_TEMPERATURE, TRAIN_STEPS

    assert set(TEXT) == {"en", "zh-CN"} and set(TEXT["en"]) == set(TEXT["zh-CN"])
    assert "GAN" in TEXT["en"]["gan.title"] and "生成对抗" in TEXT["zh-CN"]["gan.title"]
    assert lookup("gan.title", "zh-CN") == TEXT["zh-CN"]["gan.title"]
    for lang in ("en", "zh-CN"):
        principle = TEXT[lang]["gan.principle"]
        assert "$$" in principle and "128×7×7" in principle and str(BATCH_SIZE) in principle
        assert f"{TRAIN_STEPS['mnist']:,}" in principle and f"{TRAIN_STEPS['fashion']:,}" in principle
        assert str(REAL_TARGET) in principle and str(EMA_DECAY) in principle and str(SAMPLE_TEMPERATURE) in principle
        for metrics in ("gan-mnist", "gan-fashion"):  # the epochs quoted are the shipped ones
            path = WEIGHTS / metrics / "metrics.json"
            if path.exists():
                import json

                assert str(json.loads(path.read_text())["epochs"]) in principle, (lang, metrics)
    assert "\n" in STATUS["sample"] and "P(real)" in STATUS["point"]
