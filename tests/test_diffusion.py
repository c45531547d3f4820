"""Diffusion tab handlers: streamed sampling (DDIM and DDPM), the forward process, input validation (errors in
English and 简体中文), only trained datasets offered, and that the app does not import diffusers until a model is used."""
import time
import subprocess
import sys

import gradio as gr
import numpy as np
import pytest
import re
import torch

from conftest import ROOT
from demos.diffusion import (HUB_CHOICE, HUB_DATASETS, MAX_COUNT, MAX_FRAMES, MAX_STEPS, available_datasets,
                             diffusion_forward_process, sample_diffusion)

WEIGHTS = ROOT / "weights"
MNIST, FASHION = "Digits (MNIST)", "Clothes (Fashion-MNIST)"
needs_ddpm = pytest.mark.skipif(not (WEIGHTS / "ddpm-mnist" / "model_index.json").exists(),
                                reason="weights/ddpm-mnist not trained")
FASHION_TRAINED = (WEIGHTS / "ddpm-fashion" / "model_index.json").exists()
CJK = re.compile(r"[\u3400-\u9fff]")


def test_importing_the_app_does_not_import_diffusers():
    code = "import sys, app; app.build_app(); assert 'diffusers' not in sys.modules, 'diffusers imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_padding_roundtrip():
    from models.diffusion import crop28, pad32

    x = torch.rand(3, 28, 28)
    padded = pad32(x)
    assert padded.shape == (3, 1, 32, 32) and padded[:, :, :2].eq(-1).all()
    assert torch.allclose(crop28(padded), x, atol=1e-6)


@needs_ddpm
def test_ddim_stream_shows_noise_becoming_digits():
    before = torch.random.get_rng_state()
    frames = list(sample_diffusion(MNIST, "all", "DDIM", 10, 4, 3))
    assert torch.equal(before, torch.random.get_rng_state())
    assert len(frames) == 10
    xt, x0, status = frames[-1]
    assert xt.dtype == np.uint8 and xt.shape == x0.shape and xt.shape[2] == 3
    assert status.startswith("**Done**") and "step 10/10" in status and "first frame after" in status
    assert "**完成**" in status and "第 10/10 步" in status  # the status is in both languages, English first
    assert "DDIM η=1" in status
    # the first frame is still mostly noise; the last is a clean picture (mostly black background)
    assert frames[0][0].std() > frames[-1][0].std() * 0.5 or frames[0][0].mean() > frames[-1][0].mean()
    again = list(sample_diffusion(MNIST, "all", "DDIM", 10, 4, 3))[-1]
    assert np.array_equal(xt, again[0])  # stochastic sampling, but from the request's own generator
    deterministic = list(sample_diffusion(MNIST, "all", "DDIM", 10, 4, 3, 0.0))[-1]
    assert "η=0" in deterministic[2] and not np.array_equal(xt, deterministic[0])


@needs_ddpm
def test_ddpm_scheduler_and_frame_cap():
    frames = list(sample_diffusion(MNIST, "7", "DDPM", 120, 1, 0))
    assert len(frames) <= MAX_FRAMES + 1 and "step 120/120" in frames[-1][2]


@needs_ddpm
def test_first_frame_comes_before_the_last_step():  # its time: python -m demos.bench, not a test
    stream = sample_diffusion(MNIST, "all", "DDIM", 50, 16, 0)
    assert "step 1/50" in next(stream)[2]
    stream.close()


@pytest.mark.parametrize("args, match", [
    ((MNIST, "all", "DDIM", 0, 4, 0), "Steps"),
    ((MNIST, "all", "DDIM", MAX_STEPS + 1, 4, 0), "Steps"),
    ((MNIST, "all", "DDIM", 10.5, 4, 0), "whole number"),
    ((MNIST, "all", "DDIM", 10, 0, 0), "Count"),
    ((MNIST, "all", "DDIM", 10, MAX_COUNT + 1, 0), "Count"),
    ((MNIST, "all", "DDIM", 10, 4, -1), "Seed"),
    ((MNIST, "all", "PNDM", 10, 4, 0), "Scheduler"),
    ((MNIST, "all", "DDIM", 10, 4, 0, 1.5), "eta"),
    ((MNIST, "all", "DDIM", 10, 4, 0, None), "eta"),
    ((MNIST, "eleven", "DDIM", 10, 4, 0), "Class"),
    (("CIFAR-10", "all", "DDIM", 10, 4, 0), "Dataset"),
])
def test_sample_rejects_bad_input(args, match):
    with pytest.raises(gr.Error, match=match):
        next(sample_diffusion(*args))


def test_forward_process_noises_more_as_t_grows():  # the data dir's test set, else the bundled 100 images
    clean, strip, status = diffusion_forward_process(MNIST, 0, 0, 0)
    noisy, _, status_late = diffusion_forward_process(MNIST, 0, 999, 0)
    assert clean.shape == (280, 280) and strip.ndim == 3
    assert "t = 0" in status and "t = 999" in status_late
    from demos.diffusion import real_test_image

    original = np.kron(real_test_image("mnist", 0), np.ones((10, 10)))
    assert np.abs(clean / 255 - original).mean() < 0.02
    assert np.corrcoef(noisy.ravel(), original.ravel())[0, 1] < 0.3
    assert np.array_equal(noisy, diffusion_forward_process(MNIST, 0, 999, 0)[0])


def test_forward_process_without_a_data_dir_uses_the_bundled_sample(tmp_path, monkeypatch):
    monkeypatch.setenv("DLHUB_DATA_DIR", str(tmp_path))
    status = diffusion_forward_process(MNIST, 99, 100, 0)[2]
    assert "test image 99 of the 100-image sample shipped with the app" in status and "应用自带的 100 张样本" in status
    with pytest.raises(gr.Error, match="Test image index must be between 0 and 99"):
        diffusion_forward_process(MNIST, 100, 100, 0)


@pytest.mark.parametrize("args, match", [
    ((MNIST, -1, 10, 0), "index"),
    ((MNIST, 10000, 10, 0), "index"),
    ((MNIST, 0, 1000, 0), "Timestep"),
    ((MNIST, 0, -1, 0), "Timestep"),
    ((MNIST, 0, 10, "x"), "Seed"),
    (("nope", 0, 10, 0), "Dataset"),
])
def test_forward_rejects_bad_input(args, match):
    with pytest.raises(gr.Error, match=match):
        diffusion_forward_process(*args)


@needs_ddpm
def test_shipped_pipeline_folder_is_safetensors_and_small():
    folder = WEIGHTS / "ddpm-mnist"
    files = [p for p in folder.rglob("*") if p.is_file()]
    names = {p.relative_to(folder).as_posix() for p in files}
    assert {"model_index.json", "unet/config.json", "unet/diffusion_pytorch_model.safetensors",
            "scheduler/scheduler_config.json", "config.json", "metrics.json", "README.md"} <= names
    assert not any(p.suffix in (".bin", ".pt", ".pth", ".ckpt", ".pkl") for p in files)
    assert all(p.stat().st_size < 10 * 1024 * 1024 for p in files)


def test_only_trained_datasets_are_offered():
    """The Dataset radio (decided when the tab is built) lists the datasets whose weights exist, values unchanged."""
    from demos.i18n import plain

    import app

    offered = available_datasets()
    expected = [MNIST] * (WEIGHTS / "ddpm-mnist" / "model_index.json").exists() + [FASHION] * FASHION_TRAINED
    assert list(offered) == expected
    demo = app.build_app()
    radios = [b for b in demo.blocks.values() if isinstance(b, gr.Radio)
              and plain(b.label) == "Dataset" and any(value == MNIST for _, value in b.choices)
              and "diffusion_sample" in str([fn.api_name for fn in demo.fns.values() if b in fn.inputs])]
    assert len(radios) == 1
    assert [value for _, value in radios[0].choices] == (expected or [MNIST, FASHION]) + [HUB_CHOICE]
    assert (FASHION in [value for _, value in radios[0].choices]) == FASHION_TRAINED


@pytest.fixture
def weights_without_fashion(tmp_path, monkeypatch):
    """A weights folder where every model but ddpm-fashion is present (a server that has not trained it)."""
    for folder in WEIGHTS.iterdir():
        if folder.name != "ddpm-fashion":
            (tmp_path / folder.name).symlink_to(folder)
    monkeypatch.setenv("DLHUB_WEIGHTS_DIR", str(tmp_path))


def test_an_untrained_dataset_is_not_offered(weights_without_fashion):
    from demos.i18n import plain

    import app

    assert list(available_datasets()) == [MNIST]
    demo = app.build_app()
    radios = [b for b in demo.blocks.values() if isinstance(b, gr.Radio) and plain(b.label) == "Dataset"
              and "diffusion_sample" in str([fn.api_name for fn in demo.fns.values() if b in fn.inputs])]
    assert [value for _, value in radios[0].choices] == [MNIST, HUB_CHOICE]


def test_untrained_dataset_through_the_api_says_how_to_train_it(weights_without_fashion):
    """Not offered in the page, but an API call naming it reaches the handler (not Gradio's bare choice check)."""
    import asyncio

    import app
    from gradio.state_holder import SessionState

    def check(message):
        en, zh = message.split("\n")
        assert en == "The DDPM-FASHION weights are missing: run `python -m models train ddpm-fashion`."
        assert "python -m models train ddpm-fashion" in zh and CJK.search(zh)

    with pytest.raises(gr.Error) as info:
        next(sample_diffusion(FASHION, "all", "DDIM", 10, 4, 0))
    check(info.value.message)
    demo = app.build_app()
    fn = next(fn for fn in demo.fns.values() if fn.api_name == "diffusion_sample")
    with pytest.raises(gr.Error) as info:
        asyncio.run(demo.process_api(block_fn=fn, inputs=[FASHION, "all", "DDIM", 10, 4, 0, 1.0],
                                     state=SessionState(demo)))
    check(info.value.message)


@pytest.mark.parametrize("call, english", [
    (lambda: next(sample_diffusion(MNIST, "all", "DDIM", 0, 4, 0)), "Steps must be between 1 and"),
    (lambda: next(sample_diffusion(MNIST, "all", "DDIM", 10, 4, 0, 1.5)), "DDIM eta must be between 0 and 1"),
    (lambda: next(sample_diffusion(MNIST, "all", "PNDM", 10, 4, 0)), "Scheduler must be one of: DDIM, DDPM"),
    (lambda: next(sample_diffusion("CIFAR-10", "all", "DDIM", 10, 4, 0)), "Dataset must be one of"),
    (lambda: diffusion_forward_process(MNIST, 0, 1000, 0), "Timestep t must be between 0 and 999"),
])
def test_errors_carry_both_languages(call, english):
    with pytest.raises(gr.Error) as info:
        call()
    en, zh = info.value.message.split("\n")
    assert english in en and not CJK.search(en)
    assert CJK.search(zh), zh


# --- the optional online upgrade: google/ddpm-cifar10-32 through the same code -----------------------------------
def _tiny_colour_ddpm(folder, safetensors=True):
    """A tiny unconditional colour DDPM saved flat, as google/ddpm-cifar10-32 is laid out (the UNet and
    scheduler_config.json at the top): offline it stands in for the hub repo, loaded by the same code."""
    from diffusers import DDPMScheduler, UNet2DModel

    unet = UNet2DModel(sample_size=16, in_channels=3, out_channels=3, layers_per_block=1, block_out_channels=(8, 16),
                       norm_num_groups=4, down_block_types=("DownBlock2D", "AttnDownBlock2D"),
                       up_block_types=("AttnUpBlock2D", "UpBlock2D"))
    unet.save_pretrained(folder, safe_serialization=safetensors)
    DDPMScheduler(beta_schedule="linear", variance_type="fixed_large").save_pretrained(folder)
    return folder


def test_hub_ddpm_streams_colour_images_through_the_same_code(tmp_path, monkeypatch):
    monkeypatch.setitem(HUB_DATASETS, "cifar10", str(_tiny_colour_ddpm(tmp_path)))
    before = torch.random.get_rng_state()
    frames = list(sample_diffusion(HUB_CHOICE, "all", "DDIM", 4, 3, 5))
    assert torch.equal(before, torch.random.get_rng_state())
    xt, x0, status = frames[-1]
    assert len(frames) == 4 and xt.shape == x0.shape == (48, 3 * 48 + 2 * 2, 3)  # 16 px x 3 zoom, 3 columns
    assert not np.array_equal(xt[..., 0], xt[..., 1])  # colour, not grey repeated
    assert status.startswith("**Done**") and "unconditional" in status and "无条件" in status
    assert np.array_equal(xt, list(sample_diffusion(HUB_CHOICE, "all", "DDIM", 4, 3, 5))[-1][0])
    assert not np.array_equal(xt, list(sample_diffusion(HUB_CHOICE, "all", "DDIM", 4, 3, 6))[-1][0])
    assert len(list(sample_diffusion(HUB_CHOICE, "all", "DDPM", 3, 1, 0))) == 3


def test_hub_ddpm_refuses_pickle_weights(tmp_path):
    from models.diffusion import load_pipeline_from

    _tiny_colour_ddpm(tmp_path, safetensors=False)
    assert (tmp_path / "diffusion_pytorch_model.bin").exists()
    with pytest.raises(OSError):
        load_pipeline_from(tmp_path)


def test_hub_ddpm_offline_says_it_needs_the_internet(tmp_path, monkeypatch):
    import asyncio

    import app
    from gradio.state_holder import SessionState

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path))
    t0 = time.monotonic()
    with pytest.raises(gr.Error) as info:
        next(sample_diffusion(HUB_CHOICE, "all", "DDIM", 10, 4, 0))
    en, zh = info.value.message.split("\n")
    assert "google/ddpm-cifar10-32" in en and "needs the internet" in en and "Digits (MNIST)" in en
    assert CJK.search(zh)
    demo = app.build_app()
    fn = next(fn for fn in demo.fns.values() if fn.api_name == "diffusion_sample")
    with pytest.raises(gr.Error, match="needs the internet"):
        asyncio.run(demo.process_api(block_fn=fn, inputs=[HUB_CHOICE, "all", "DDIM", 10, 4, 0, 1.0],
                                     state=SessionState(demo)))
    assert time.monotonic() - t0 < 120  # offline answers at once; only a safety net against waiting on a network


@pytest.mark.parametrize("call, english", [
    (lambda: next(sample_diffusion(HUB_CHOICE, "3", "DDIM", 10, 4, 0)), "is unconditional"),
    (lambda: diffusion_forward_process(HUB_CHOICE, 0, 100, 0), "no CIFAR-10 images"),
])
def test_hub_ddpm_bad_requests_are_explained(call, english):
    with pytest.raises(gr.Error) as info:
        call()
    en, zh = info.value.message.split("\n")
    assert english in en and CJK.search(zh)


def test_hub_ddpm_hides_the_class_choice():
    from demos.diffusion import _update_classes

    hub = _update_classes(HUB_CHOICE)
    assert hub.visible is False and hub.value == "all"  # unconditional: nothing to choose
    digits = _update_classes(MNIST)
    assert digits.visible is True and len(digits.choices) == 11


@pytest.mark.skipif(not FASHION_TRAINED, reason="weights/ddpm-fashion not trained")
def test_status_names_every_class_asked_for():
    status = list(sample_diffusion(FASHION, "all", "DDIM", 1, 10, 0))[-1][2]
    assert status.split("\n\n")[0].endswith("Sneaker, T-shirt/top, Trouser") and "裤子" in status
