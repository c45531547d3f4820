"""The GAN tab's live plane section: the metrics mean what they say, a short run learns (coverage and quality beat the
untrained generator), one seed gives one set of curves, bad input gets a bilingual gr.Error, and a trained GAN
survives download -> upload."""
import math
import zipfile

import gradio as gr
import numpy as np
import pytest
import torch

from demos.gan import load_gan_plane, train_gan_plane
from demos.gan.toy import PRESETS, apply_preset
from demos.plane import drawing_to_points
from demos.plane import LIM, SIZE, arrows, blank, splat, to_pixels, to_plane
from models import toy2d
from models.gan2d import GAN2D, LOSSES, measure, train_gan
from models.toy2d import make_points, mmd, mode_centres, mode_stats, parse_points


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_plane_limits_agree():
    assert LIM == toy2d.LIM
    corners = np.array([[-LIM, LIM], [LIM, -LIM], [0.0, 0.0]])
    assert np.allclose(to_plane(to_pixels(corners)), corners, atol=1e-5)
    assert np.allclose(to_pixels(corners)[:2], [[0, 0], [SIZE - 1, SIZE - 1]])  # top-left is (-LIM, +LIM)


@pytest.mark.parametrize("name", toy2d.DATASETS)
def test_datasets_fit_the_plane_and_follow_the_seed(name):
    a, b = make_points(name, 500, gen(1)), make_points(name, 500, gen(1))
    assert a.shape == (500, 2) and torch.equal(a, b)
    assert (a.abs() < LIM).all(1).float().mean() > 0.99


def test_mode_stats_counts_modes_by_their_share():
    centres = mode_centres("ring8")
    real = make_points("ring8", 2000, gen())
    stats = mode_stats(real, centres, toy2d.MODE_STD["ring8"])
    assert stats["covered"] == 8 and stats["high_quality"] > 0.97
    # all samples on 3 modes, one stray sample on a 4th: 3 covered (one sample is below 10 % of the fair share)
    collapsed = torch.cat([centres[[0, 1, 2]].repeat(333, 1), centres[[3]]])
    stats = mode_stats(collapsed, centres, toy2d.MODE_STD["ring8"])
    assert stats["covered"] == 3 and stats["high_quality"] == 1.0
    # samples between the modes are low quality and cover nothing
    stats = mode_stats(torch.zeros(1000, 2), centres, toy2d.MODE_STD["ring8"])
    assert stats["covered"] == 0 and stats["high_quality"] == 0.0


def test_mmd_is_zero_ish_for_the_same_distribution_and_large_for_noise():
    real, held = make_points("ring8", 500, gen(0)), make_points("ring8", 500, gen(1))
    noise = torch.randn(500, 2, generator=gen(2))
    assert abs(mmd(real, held)) < 2 and mmd(noise, held) > 20 * max(abs(mmd(real, held)), 0.5)


def test_short_run_beats_the_untrained_generator():
    data, held = make_points("ring8", 1000, gen(0)), make_points("ring8", 1000, gen(1))
    untrained = measure(GAN2D(gen(3)), torch.randn(1000, 2, generator=gen(4)), "ring8", held)
    *_, last = train_gan(data, "ring8", gen(3), "nonsaturating", 2e-3, 2e-3, steps=400, seconds=120, held_out=held)
    assert last["done"] and last["step"] == 400
    trained = last["metrics"]
    assert trained["covered"] >= untrained["covered"] + 3
    assert trained["high_quality"] > untrained["high_quality"] + 0.05
    assert trained["mmd"] < untrained["mmd"] / 2


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains_and_streams(loss):
    frames = list(train_gan_plane("grid25", "", loss, 1e-3, 1e-3, 2 if loss == "wgan-gp" else 1, 1, 50, 30, 0))
    picture, losses, quality, status, session, file = frames[-1]
    assert picture.shape == (SIZE, SIZE, 3) and picture.dtype == np.uint8
    assert set(losses["series"]) == {"D loss · 判别器损失", "G loss · 生成器损失"}
    assert quality["value"].between(0, 1.5).all() and "/25 modes covered" in status and "个模式" in status
    assert session["model"] is not None and file.endswith(".zip")


def test_same_seed_same_curves_and_picture():
    a = list(train_gan_plane("ring8", "", "nonsaturating", 2e-3, 2e-3, 1, 1, 150, 30, 5))[-1]
    b = list(train_gan_plane("ring8", "", "nonsaturating", 2e-3, 2e-3, 1, 1, 150, 30, 5))[-1]
    assert a[1].equals(b[1]) and a[2].equals(b[2]) and np.array_equal(a[0], b[0])
    c = list(train_gan_plane("ring8", "", "nonsaturating", 2e-3, 2e-3, 1, 1, 150, 30, 6))[-1]
    assert not a[1].equals(c[1])


def test_own_points_train_with_the_mmd_as_quality():
    text = "\n".join(f"{x:.2f},{y:.2f}" for x, y in [(-1, -1), (1, 1), (-1, 1), (1, -1), (0, 0)])
    picture, losses, quality, status, session, file = list(
        train_gan_plane("own", text, "leastsquares", 2e-3, 2e-3, 1, 1, 50, 30, 0))[-1]
    assert len(set(quality["series"])) == 3 and "MMD²" in status
    assert session["config"]["points"][0] == [-1.0, -1.0]


@pytest.mark.parametrize("kwargs, message", [
    (dict(dataset="galaxy"), "Dataset"), (dict(dataset=None), "Dataset"), (dict(loss="hinge"), "Loss"),
    (dict(lr_g=math.nan), "Generator learning rate"), (dict(lr_d=1.0), "Discriminator learning rate"),
    (dict(lr_g=None), "Generator learning rate"), (dict(d_steps=9), "Discriminator steps"),
    (dict(g_steps=1.5), "whole number"), (dict(steps=10**9), "Training steps"), (dict(seconds=600), "Time budget"),
    (dict(seconds=float("inf")), "Time budget"), (dict(seed=-1), "Seed"), (dict(seed=None), "Seed"),
    (dict(dataset="own", points=""), "No points"), (dict(dataset="own", points="1,2\n3"), "Line 2"),
    (dict(dataset="own", points="0,0\n5,0\n1,1"), "outside the plane"), (dict(dataset="own", points="0,0\n1,1"), "at least 3"),
    (dict(dataset="own", points="0,0\n" * 2001), "limit is 2000"), (dict(dataset="own", points="x" * 70_000), "characters"),
    (dict(dataset="own", points=None), "No points"),
])
def test_bad_settings_are_refused_in_both_languages(kwargs, message):
    with pytest.raises(gr.Error) as info:
        next(train_gan_plane(**kwargs))
    en, zh = info.value.message.split("\n")
    assert message in en and any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_download_upload_round_trip(tmp_path):
    *_, session, file = list(train_gan_plane("moons", "", "nonsaturating", 2e-3, 2e-3, 1, 1, 60, 30, 2))[-1]
    picture, status, restored = load_gan_plane(file)
    assert picture.shape == (SIZE, SIZE, 3) and "60 steps on two moons" in status and "双月牙" in status
    for name, tensor in session["model"].state_dict().items():
        assert torch.equal(tensor, restored["model"].state_dict()[name])
    # a file of another kind, a damaged one and a missing one are refused with a reason
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(file) as src, zipfile.ZipFile(other, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data.replace(b'"gan2d"', b'"diffusion2d"') if item.filename == "config.json" else data)
    for bad, message in [(str(other), "not one of this section"), (str(tmp_path / "none.zip"), "No file"),
                         (None, "No file")]:
        with pytest.raises(gr.Error, match=message):
            load_gan_plane(bad)


def test_presets_fill_the_settings():
    assert apply_preset("collapse")[:2] == ["ring8", "minimax"]
    assert apply_preset("nonsense") == apply_preset("default")
    assert all(set(p) == {"dataset", "loss", "lr_g", "lr_d", "d_steps", "g_steps", "steps", "seed"} for p in PRESETS.values())


def test_a_drawing_becomes_points_where_it_was_drawn():
    canvas = np.full((SIZE, SIZE, 4), 255, np.uint8)  # an opaque white background, as the browser's canvas sends
    canvas[20:40, 20:40] = [0, 0, 0, 255]  # top-left: x < 0, y > 0
    text, dataset, note = drawing_to_points({"background": None, "layers": [], "composite": canvas})
    points = parse_points(text)
    assert dataset == "own" and len(points) == 400 and "400 points" in note
    assert (points[:, 0] < -1.5).all() and (points[:, 1] > 1.5).all()
    with pytest.raises(gr.Error, match="Nothing drawn"):
        drawing_to_points({"background": None, "layers": [], "composite": np.zeros((SIZE, SIZE, 4), np.uint8)})


def test_rendering_is_vectorised_and_exact():
    canvas = splat(blank(), np.array([[0.0, 0.0], [9.0, 9.0]]), (255, 0, 0), radius=0)  # the second is off the plane
    row, col = to_pixels(np.zeros((1, 2)))[0, ::-1].round().astype(int)
    assert tuple(canvas[row, col]) == (255, 0, 0) and (canvas == [255, 0, 0]).all(2).sum() == 1
    many = arrows(blank(), np.zeros((5000, 2)), np.ones((5000, 2)))
    assert (many.sum(2) < 200).any()  # drawn; 5,000 arrows cost a few numpy operations
