"""The DNN playground: live training streams frames, learns, and refuses absurd settings."""
import math

import gradio as gr
import numpy as np
import pytest
import torch

from demos.dnn import train_playground
from models.playground import DATASETS, make_dataset


def run(**kwargs):
    return list(train_playground(**kwargs))


def test_streams_frames_and_learns_moons():
    frames = run(dataset="moons", layers=2, width=16, activation="relu", learning_rate=0.03,
                 epochs=300, points=300, noise=1.0, seed=0)
    assert len(frames) >= 2  # the first epoch and the last, at least
    image, curves, status = frames[-1]
    assert image.ndim == 3 and image.shape[2] == 3
    assert set(curves["series"]) == {"training loss · 训练损失", "train accuracy · 训练准确率", "test accuracy · 测试准确率"}
    assert curves["epoch"].max() == 300 and curves["epoch"].min() == 1
    assert "epoch 300/300" in status
    english, chinese = status.split("\n\n")  # the browser cannot translate it: English, then Chinese
    assert "test accuracy" in english and "**第 300/300 轮**" in chinese and "测试准确率" in chinese
    assert english.split("test accuracy ")[1].split("%")[0] == chinese.split("测试准确率 ")[1].split("%")[0]
    test_acc = float(status.split("test accuracy ")[1].split("%")[0])
    assert test_acc >= 90


def test_spiral_needs_depth():
    status = run(dataset="spiral", layers=3, width=32, activation="relu", learning_rate=0.02,
                 epochs=800, points=400, noise=0.5, seed=1)[-1][2]
    assert float(status.split("train accuracy ")[1].split("%")[0]) >= 90


def test_same_seed_same_run():
    a = run(dataset="xor", epochs=20, seed=7)[-1]
    b = run(dataset="xor", epochs=20, seed=7)[-1]
    assert a[2] == b[2] and (a[0] == b[0]).all()


def test_a_long_run_streams_a_bounded_number_of_frames():
    """2,000 epochs still send ~40 frames (speed: python -m demos.bench, not a test)."""
    frames = run(dataset="xor", layers=1, width=4, epochs=2000, points=40, seed=2)
    epochs = [int(status.split("epoch ")[1].split("/")[0]) for _, _, status in frames]
    assert 20 <= len(frames) <= 45 and epochs[0] == 1 and epochs[-1] == 2000 and epochs == sorted(epochs)


@pytest.mark.parametrize("name", DATASETS)
def test_datasets_are_balanced_and_bounded(name):
    x, y = make_dataset(name, 301, 1.0, torch.Generator().manual_seed(0))
    assert x.shape == (301, 2) and set(y.tolist()) == {0, 1}
    assert abs(y.float().mean().item() - 0.5) < 0.1
    assert (x.abs() < 2.0).all(1).float().mean() > 0.97  # the plot shows [-2, 2]^2


@pytest.mark.parametrize("kwargs, message", [
    (dict(dataset="galaxy"), "Dataset"),
    (dict(dataset=None), "Dataset"),
    (dict(layers=0), "Hidden layers"),
    (dict(layers=100), "Hidden layers"),
    (dict(layers=2.5), "whole number"),
    (dict(width=10_000), "Neurons"),
    (dict(epochs=10**9), "Epochs"),
    (dict(epochs=-5), "Epochs"),
    (dict(points=10**7), "Points"),
    (dict(learning_rate=math.nan), "Learning rate"),
    (dict(learning_rate=float("inf")), "Learning rate"),
    (dict(learning_rate="fast"), "Learning rate"),
    (dict(noise=-1), "Noise"),
    (dict(activation="softmax"), "Activation"),
    (dict(seed=-1), "Seed"),
    (dict(seed=None), "Seed"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(gr.Error, match=message):
        run(**kwargs)


def test_divergence_is_reported_not_crashed():
    # sigmoid nets rarely diverge; a huge LR on relu may or may not: either it finishes or says why
    try:
        frames = run(dataset="circles", layers=6, width=64, learning_rate=1.0, epochs=200, seed=3)
        assert np.isfinite(frames[-1][0]).all()
    except gr.Error as exc:
        assert "learning rate" in str(exc.message)
