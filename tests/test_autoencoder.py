"""The Autoencoder tab: the shipped models load and reconstruct, their shipped metrics meet the targets, the NELBO
sums its terms per image, the handlers answer good and bad input, and the live section learns, repeats with a
seed, and round-trips its download."""
import json
import math

import gradio as gr
import numpy as np
import pytest
import torch

from demos.autoencoder import live, shipped
from demos.samples import draw_digit, sketchpad_value
from models import autoencoder as ae
from models.autoencoder_live import live_data, seeded_autoencoder, train_live
from models.persistence import weights_dir

from conftest import needs_mnist


def metrics(name):
    return json.loads((weights_dir(name) / "metrics.json").read_text())


# --- the losses ---------------------------------------------------------------------------------------------
def test_nelbo_sums_pixels_and_latent_dims_per_image():
    """A known case: logits 0 (p = 0.5 everywhere) cost log 2 per pixel whatever x is; KL of N(mu, 1) is mu^2 / 2
    per dim. Per image: 784 log 2 + 0.5 * (1 + 4) with mu = (1, 2), not an average over pixels."""
    x = torch.rand(3, 1, 28, 28)
    logits = torch.zeros(3, 784)
    mu = torch.tensor([[1.0, 2.0]] * 3)
    logvar = torch.zeros(3, 2)
    nelbo = ae.negative_elbo(logits, x, mu, logvar)
    assert nelbo.shape == (3,)
    assert torch.allclose(nelbo, torch.full((3,), 784 * math.log(2) + 2.5), atol=1e-3)
    # a perfect posterior (the prior itself) costs no KL
    assert ae.kl_to_standard_normal(torch.zeros(2, 2), torch.zeros(2, 2)).abs().max() < 1e-7


def test_pca_is_the_best_linear_reconstruction_on_its_data():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(200, 1, 28, 28, generator=gen) * torch.linspace(0, 1, 784).view(1, 1, 28, 28)
    pca = ae.PCA(2).fit(x)
    err = ae.per_image_mse(pca, x).mean()
    # any other 2-D orthonormal projection through the mean does worse
    q, _ = torch.linalg.qr(torch.randn(784, 2, generator=gen))
    other = ae.PCA(2)
    other.mean.copy_(pca.mean)
    other.components.copy_(q.T)
    assert err < ae.per_image_mse(other, x).mean()


# --- the shipped models -------------------------------------------------------------------------------------
def test_shipped_metrics_meet_the_targets():
    vae, ae_m, pca = metrics("vae-mnist"), metrics("ae-mnist"), metrics("pca-mnist")
    assert vae["dataset"] == ae_m["dataset"] == pca["dataset"] == "mnist-test-10k" and vae["n"] == 10000
    assert vae["nelbo_nats"] <= 160
    assert ae_m["mse"] <= 0.7 * pca["mse"]
    dae = metrics("dae-mnist")
    assert dae["mse_noise_0.5"] < 0.5 * dae["mse_noisy_input_0.5"]


def test_map_points_ship_with_the_weights():
    for name in ("ae-mnist", "vae-mnist"):
        codes, labels = shipped.map_points(name)
        assert codes.shape == (ae.MAP_POINTS, 2) and np.isfinite(codes).all()
        assert sorted(set(labels.tolist())) == list(range(10))


def test_models_load_and_rebuild_a_bundled_digit_better_than_pca():
    images, _ = shipped.bundled_test_digits()
    x = torch.from_numpy(images[:50]).unsqueeze(1)
    errors = {name: ae.per_image_mse(shipped.load_autoencoder(name), x).mean().item() for name in shipped.MODELS}
    assert errors["ae-mnist"] < errors["pca-mnist"] and errors["vae-mnist"] < errors["pca-mnist"]
    assert errors["dae-mnist"] < errors["ae-mnist"]  # 32 numbers beat 2


@needs_mnist
def test_evaluate_reproduces_the_shipped_pca_metric():
    assert ae.evaluate_one("pca-mnist")["mse"] == metrics("pca-mnist")["mse"]


# --- handlers -----------------------------------------------------------------------------------------------
def test_reconstruct_a_drawing_rings_its_code_on_both_maps():
    picture, table, ae_map, vae_map, codes = shipped.autoencoder_reconstruct(sketchpad_value(draw_digit(7)))
    assert picture.shape[1] > 5 * 112 and ae_map.shape == vae_map.shape
    assert set(codes) == {"AE", "VAE"} and all(len(v) == 2 for v in codes.values())
    assert "| PCA-2 |" in table and "| VAE |" in table and "模型" in table
    assert float(table.split("| VAE | ")[1].split(" |")[1]) > 0  # the VAE's NELBO in nats


def test_reconstruct_test_digit_and_decode_and_grid_and_denoise():
    out = shipped.autoencoder_reconstruct_test(5)
    decoded, ae_map, vae_map, status = shipped.autoencoder_decode("VAE", 1.0, -1.0, out[4])
    assert decoded.shape == (28 * shipped.DECODED_ZOOM,) * 2 and "(1.00, -1.00)" in status
    assert not np.array_equal(vae_map, out[3])  # the crosshair was drawn
    grid = shipped.autoencoder_vae_grid(7)
    assert grid.shape[:2] == (7 * 28 * 2, 7 * 28 * 2)
    picture, status = shipped.autoencoder_denoise(3, 0.5, 0)
    assert "σ = 0.50" in status and "噪声" in status


def test_a_click_on_a_map_gives_the_code_under_it():
    from demos.autoencoder.plot import to_pixels

    bounds = shipped.map_bounds("vae-mnist")
    px, py = to_pixels(np.array([[1.5, -2.0]]), bounds)[0]
    assert shipped.pick_from_map("VAE", px, py) == pytest.approx((1.5, -2.0), abs=0.02)


@pytest.mark.parametrize("call", [
    lambda: shipped.autoencoder_reconstruct(None),
    lambda: shipped.autoencoder_reconstruct(sketchpad_value(np.zeros((360, 360, 4), np.uint8))),
    lambda: shipped.autoencoder_reconstruct_test(100),
    lambda: shipped.autoencoder_reconstruct_test(float("nan")),
    lambda: shipped.autoencoder_decode("VAE", float("nan"), 0.0),
    lambda: shipped.autoencoder_decode("VAE", 3.5, 0.0),
    lambda: shipped.autoencoder_decode("GAN", 0.0, 0.0),
    lambda: shipped.autoencoder_vae_grid(10**6),
    lambda: shipped.autoencoder_denoise(0, 7.0, 0),
    lambda: shipped.autoencoder_denoise(0, 0.5, -1),
    lambda: list(live.autoencoder_train(10**6, "128", 0.003, 0)),
    lambda: list(live.autoencoder_train(5, "4096", 0.003, 0)),
    lambda: list(live.autoencoder_train(5, "128", float("inf"), 0)),
    lambda: live.autoencoder_live_decode(None, 10, 10),
])
def test_bad_input_gets_a_bilingual_error(call):
    with pytest.raises(gr.Error) as info:
        call()
    english, chinese = str(info.value.message).split("\n", 1)
    assert english.isascii() and any("\u4e00" <= c <= "\u9fff" for c in chinese)


# --- live training ------------------------------------------------------------------------------------------
def _run(seed, steps=30):
    x_train, x_map, labels = live_data()
    gen = torch.Generator().manual_seed(seed)
    model = seeded_autoencoder(64, gen)
    return list(train_live(model, x_train[:512], x_map[::4], labels[::4], 60, 3e-3, gen, max_steps=steps))


def test_live_training_lowers_the_loss_and_repeats_with_a_seed():
    a, b = _run(3), _run(3)
    steps, losses = a[-1]["curve"]
    assert a[-1]["done"] and a[-1]["step"] == 30 and steps == [10, 20, 30]
    assert losses[-1] < 0.8 * losses[0]
    assert a[-1]["curve"] == b[-1]["curve"] and np.array_equal(a[-1]["codes"], b[-1]["codes"])
    assert _run(4, steps=10)[-1]["curve"][1][0] != losses[0]  # another seed, another run


def test_live_handler_beats_untrained_then_download_upload_round_trip(tmp_path):
    frames = list(live.autoencoder_train(2, "64", 0.003, 0))
    picture, curve, status, plane, trained, path = frames[-1]
    assert "**done**" in status and "完成" in status
    mse = float(status.split("reconstruction MSE **")[1].split("**")[0])
    untrained = float(status.split("untrained: ")[1].split(")")[0])
    assert mse < untrained and plane.shape[0] == live.PLANE * 28
    assert all(frame[5] is None for frame in frames[:-1])
    up_map, up_plane, up_status, up_trained = live.autoencoder_upload(path)
    assert f"MSE **{mse:.4f}**" in up_status and np.array_equal(up_map, picture)
    clicked, decoded = live.autoencoder_live_decode(up_trained, 100, 100)
    assert decoded.shape == (28 * 6, 28 * 6)


def test_upload_refuses_other_files(tmp_path):
    from models.live import save_trained

    bad = tmp_path / "x.zip"
    bad.write_bytes(b"not a zip")
    wrong_shapes = save_trained("autoencoder-live", {"hidden": 128, "code": 2}, {"w": torch.zeros(2)})
    for file in (str(bad), str(wrong_shapes), None):
        with pytest.raises(gr.Error, match="Upload refused|No file"):
            live.autoencoder_upload(file)
