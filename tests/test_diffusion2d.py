"""The Diffusion tab's live plane section: the samplers are right (an exact denoiser recovers the data), a short
run learns (its samples' MMD falls well below pure noise), one seed gives one set of curves, bad input gets a
bilingual gr.Error, and a trained denoiser survives download -> upload."""
import math

import gradio as gr
import numpy as np
import pytest
import torch

from demos.diffusion import denoising_direction, load_diffusion_plane, sample_plane, train_diffusion_plane
from demos.diffusion.toy import DATASETS
from demos.plane import drawing_to_points
from demos.plane import SIZE
from models import diffusion2d
from models.diffusion2d import SCHEDULE, T, forward_process, sample
from models.toy2d import make_points, mmd, mode_centres, mode_stats


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


class ExactDenoiser(torch.nn.Module):
    """The optimal eps for the ring of 8 narrow Gaussians (treated as points): the samplers must recover it."""

    def forward(self, x, t):
        centres = mode_centres("ring8")
        abar = SCHEDULE["abar"][t][:, None]
        logits = -((x[:, None] - abar.sqrt()[:, None] * centres[None]) ** 2).sum(-1) / (2 * (1 - abar) + 1e-12)
        mean = abar.sqrt() * (logits.softmax(1) @ centres)
        return (x - mean) / (1 - abar).sqrt()


@pytest.mark.parametrize("sampler, steps", [("DDPM", 0), ("DDIM", 50), ("DDIM", 10)])
def test_samplers_recover_the_data_with_the_exact_denoiser(sampler, steps):
    path, ts = sample(ExactDenoiser(), 800, gen(), sampler, steps)
    assert path.shape == (len(ts) + 1, 800, 2) and ts[0] == T - 1 and ts[-1] == 0
    stats = mode_stats(path[-1], mode_centres("ring8"), 0.05)
    assert stats["covered"] == 8 and stats["high_quality"] > 0.95


def test_forward_process_ends_in_pure_noise():
    x0 = make_points("swissroll", 4000, gen())
    start, end = forward_process(x0, [0, T - 1], gen(1))
    assert torch.allclose(start, x0, atol=0.05)  # t = 0 is the first step: a trace of noise (beta_0 = 1e-4)
    assert end.mean(0).abs().max() < 0.1 and (end.std(0) - 1).abs().max() < 0.1
    assert SCHEDULE["abar"][-1] < 0.01


def test_short_run_samples_beat_pure_noise():
    frames = list(train_diffusion_plane("swissroll", "", 3e-3, 600, 30, 0))
    noising, loss, quality, status, session, file = frames[-1]
    final = quality[quality["series"].str.startswith("samples")]["value"].iloc[-1]
    noise = quality[quality["series"].str.startswith("pure noise")]["value"].iloc[0]
    floor = quality[quality["series"].str.startswith("held-out")]["value"].iloc[0]
    assert final < 0.7 * noise and floor < final and abs(floor) < 3
    assert loss["value"].iloc[-1] < loss["value"].iloc[0]
    assert "step 600/600" in status and "第 600/600 步" in status and session["model"] is not None
    # sampling from it streams frames and measures the samples the same way
    out = list(sample_plane("DDIM", 20, 500, 0, session))
    picture, snapshots, sample_status = out[-1]
    assert picture.shape == (SIZE, SIZE, 3) and snapshots.shape[0] > 100 and len(out) >= 10
    measured = float(sample_status.split("held-out real points ")[1].split(" ")[0])
    assert measured < 0.7 * noise


def test_same_seed_same_curves():
    a = list(train_diffusion_plane("moons", "", 3e-3, 100, 30, 4))[-1]
    b = list(train_diffusion_plane("moons", "", 3e-3, 100, 30, 4))[-1]
    assert a[1].equals(b[1]) and a[2].equals(b[2]) and np.array_equal(a[0], b[0])
    c = list(train_diffusion_plane("moons", "", 3e-3, 100, 30, 5))[-1]
    assert not a[1].equals(c[1])
    first = list(sample_plane("DDPM", 20, 100, 1, a[4]))[-1]
    again = list(sample_plane("DDPM", 20, 100, 1, a[4]))[-1]
    assert np.array_equal(first[0], again[0]) and first[2] == again[2]


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_dataset_trains_and_shows_its_field(dataset):
    points = "0,0\n1,1\n-1,1\n1,-1"
    *_, session, file = list(train_diffusion_plane(dataset, points, 3e-3, 50, 30, 0))[-1]
    field = denoising_direction(80, session)
    assert field.shape == (SIZE, SIZE, 3) and file.endswith(".zip")


@pytest.mark.parametrize("kwargs, message", [
    (dict(dataset="galaxy"), "Dataset"), (dict(dataset=None), "Dataset"), (dict(lr=math.nan), "Learning rate"),
    (dict(lr=None), "Learning rate"), (dict(lr=5.0), "Learning rate"), (dict(steps=10**8), "Training steps"),
    (dict(steps=250.5), "whole number"), (dict(seconds=-1), "Time budget"), (dict(seed=None), "Seed"),
    (dict(dataset="own", points="nope"), "Line 1"), (dict(dataset="own", points=""), "No points"),
])
def test_bad_training_settings_are_refused_in_both_languages(kwargs, message):
    with pytest.raises(gr.Error) as info:
        next(train_diffusion_plane(**kwargs))
    en, zh = info.value.message.split("\n")
    assert message in en and any("\u4e00" <= ch <= "\u9fff" for ch in zh)


@pytest.mark.parametrize("call, message", [
    (lambda: next(sample_plane("DDIM", 20, 100, 0, None)), "press Train first"),
    (lambda: denoising_direction(10, None), "press Train first"),
    (lambda: denoising_direction(500, None), "Step t"),
    (lambda: next(sample_plane("Euler", 20, 100, 0, None)), "Scheduler"),
    (lambda: next(sample_plane("DDIM", 0, 100, 0, None)), "Steps"),
    (lambda: next(sample_plane("DDIM", 20, 10**6, 0, None)), "Count"),
    (lambda: next(sample_plane("DDIM", 20, float("nan"), 0, None)), "Count"),
])
def test_sampling_needs_a_model_and_sane_values(call, message):
    with pytest.raises(gr.Error, match=message):
        call()


def test_download_upload_round_trip():
    *_, session, file = list(train_diffusion_plane("ring8", "", 3e-3, 60, 30, 3))[-1]
    field, status, restored = load_diffusion_plane(file)
    assert field.shape == (SIZE, SIZE, 3) and "60 steps on the ring of 8" in status
    for name, tensor in session["model"].state_dict().items():
        assert torch.equal(tensor, restored["model"].state_dict()[name])
    # the restored model samples exactly like the trained one
    assert np.array_equal(list(sample_plane("DDIM", 5, 50, 0, session))[-1][0],
                          list(sample_plane("DDIM", 5, 50, 0, restored))[-1][0])
    with pytest.raises(gr.Error, match="No file"):
        load_diffusion_plane(None)


def test_an_uploaded_gan_is_not_a_denoiser():
    from demos.gan import train_gan_plane

    gan_file = list(train_gan_plane("ring8", "", "nonsaturating", 2e-3, 2e-3, 1, 1, 50, 30, 0))[-1][-1]
    with pytest.raises(gr.Error, match="not one of this section"):
        load_diffusion_plane(gan_file)


def test_drawing_becomes_the_own_dataset():
    canvas = np.zeros((SIZE, SIZE, 4), np.uint8)
    canvas[300:320, 300:340] = [0, 0, 0, 255]  # bottom-right
    text, dataset, _ = drawing_to_points({"background": None, "layers": [], "composite": canvas})
    assert dataset == "own" and len(text.splitlines()) == 800
    x, y = np.array([[float(v) for v in line.split(",")] for line in text.splitlines()]).T
    assert (x > 1.2).all() and (y < -1.2).all()


def test_mmd_orders_noise_blur_and_real():
    real, held = make_points("swissroll", 500, gen(0)), make_points("swissroll", 500, gen(1))
    blurred = real + torch.randn(500, 2, generator=gen(2)) * 0.2
    noise = torch.randn(500, 2, generator=gen(3))
    assert mmd(real, held) < mmd(blurred, held) < mmd(noise, held)
    assert diffusion2d.reference_mmds(real, held, gen(4))["noise"] > 10
