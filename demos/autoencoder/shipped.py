"""The shipped MNIST models of the Autoencoder tab: reconstruct a digit with PCA-2, the AE, the VAE and the
DAE; the maps of 2-D codes; decoding any point of a map; the VAE's decoded latent plane; denoising."""
from __future__ import annotations

import functools
import math

import numpy as np

from ..common import both, check_choice, check_number, missing_weights, picture_text, seed_generator, upscale
from ..digits import read_digit
from .plot import image_grid, scatter, strip, to_code, with_marks

MODELS = ("pca-mnist", "ae-mnist", "vae-mnist", "dae-mnist")
MAP_MODELS = {"AE": "ae-mnist", "VAE": "vae-mnist"}
DIGITS = [str(i) for i in range(10)]
TEST_DIGITS = 100          # the bundled MNIST test images (models/bundled)
VAE_BOUND = 3.0            # the VAE's plane is shown within +-3 sigma of its N(0, I) prior
GRID_SIZES = (5, 25)
NOISE_MAX = 1.0
DECODED_ZOOM = 8
MAP_FILE = "map.safetensors"  # = models.autoencoder.MAP_FILE (kept here: building the tab must not import torch)

# the error table's header carries both languages (a request-time table, like the status lines)
TABLE_HEAD = ("| model · 模型 | MSE per pixel · 每像素均方误差 | NELBO (nats) · 负 ELBO（奈特） |\n"
              "|---|---|---|")
STATUS = {
    "table_note": ("Lower is better. PCA-2 is the best any *linear* 2-number code can do; the AE and the VAE also keep "
                   "2 numbers, the DAE 32. The VAE's NELBO = reconstruction nats + KL: {recon:.1f} + {kl:.1f}.",
                   "越低越好。PCA-2 是任何*线性*二维编码能做到的最好结果；AE 和 VAE 同样只保留 2 个数，DAE 保留 32 个。"
                   "VAE 的负 ELBO = 重建项 + KL：{recon:.1f} + {kl:.1f} 奈特。"),
    "codes": ("Its 2-D codes (ringed on the maps): AE {ae}, VAE {vae} (the mean of q(z|x)).",
              "它的二维编码（地图上的圆圈）：AE {ae}，VAE {vae}（q(z|x) 的均值）。"),
    "decoded": ("{model} code ({z1:.2f}, {z2:.2f}) decoded: the picture the decoder puts at that point of the map.",
                "{model} 编码 ({z1:.2f}, {z2:.2f}) 解码后的图像：解码器在地图上这个位置画出的数字。"),
    "denoise": ("Noise σ = {noise:.2f}: the noisy input is {noisy:.4f} MSE from the clean digit, the denoising "
                "autoencoder's output {dae:.4f} ({gain:.0%} less); the plain AE on the same noisy input: {ae:.4f}.",
                "噪声 σ = {noise:.2f}：加噪输入与干净数字的均方误差为 {noisy:.4f}，去噪自编码器的输出为 {dae:.4f}"
                "（降低 {gain:.0%}）；普通 AE 对同一加噪输入的结果为 {ae:.4f}。"),
}


# --- models and shipped map points (no data dir needed) ------------------------------------------------
def load_autoencoder(name: str):
    from models.autoencoder import load
    from models.cache import load_model
    from models.persistence import weights_dir

    if not (weights_dir(name) / "model.safetensors").exists():
        raise missing_weights(name, train=name)
    return load_model(name, lambda: load(name))


@functools.lru_cache(maxsize=None)
def map_points(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes [N,2], labels [N]) of the shipped test digits, read with numpy (building the tab imports no torch)."""
    from safetensors.numpy import load_file

    from models.persistence import weights_dir

    try:
        data = load_file(weights_dir(name) / MAP_FILE)
    except FileNotFoundError:
        raise missing_weights(name, train=name) from None
    return data["codes"].astype(np.float64), data["labels"].astype(np.int64)


@functools.lru_cache(maxsize=None)
def map_bounds(name: str) -> tuple[float, float, float, float]:
    """The plotted range: +-3 sigma for the VAE; the AE's codes have no prior, so its points' 1-99 % range."""
    if name == "vae-mnist":
        return -VAE_BOUND, VAE_BOUND, -VAE_BOUND, VAE_BOUND
    try:
        codes, _ = map_points(name)
    except Exception:  # before training: any range, the handlers say what is missing
        return -1.0, 1.0, -1.0, 1.0
    lo, hi = np.percentile(codes, 1, axis=0), np.percentile(codes, 99, axis=0)
    pad = 0.06 * (hi - lo)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


def slider_range(model_key: str | None = None) -> tuple[float, float, float, float]:
    """One map's plotted range, rounded to the sliders' step; None: the range covering both maps (what the sliders
    are built with, so that an API call for either map passes Gradio's own range check)."""
    if model_key is None:
        ranges = np.array([slider_range(key) for key in MAP_MODELS])
        return ranges[:, 0].min(), ranges[:, 1].max(), ranges[:, 2].min(), ranges[:, 3].max()
    x0, x1, y0, y1 = map_bounds(MAP_MODELS[model_key])
    return math.floor(x0 * 100) / 100, math.ceil(x1 * 100) / 100, math.floor(y0 * 100) / 100, math.ceil(y1 * 100) / 100


@functools.lru_cache(maxsize=None)
def map_picture(name: str) -> np.ndarray:
    codes, labels = map_points(name)
    title = {"ae-mnist": "AE", "vae-mnist": "VAE"}[name]
    return scatter(codes, labels, map_bounds(name), DIGITS, title=title)


def render_map(name: str, marks=()) -> np.ndarray:
    return with_marks(map_picture(name), map_bounds(name), marks)


def both_maps(codes: dict | None, pick: tuple[str, float, float] | None = None):
    """The AE and VAE maps with the input's code (a ring) and the picked point (a crosshair)."""
    out = []
    for key, name in MAP_MODELS.items():
        marks = [(codes[key], "input")] if codes and key in codes else []
        if pick and pick[0] == key:
            marks.append(((pick[1], pick[2]), "pick"))
        out.append(render_map(name, marks))
    return out


def bundled_test_digits() -> tuple[np.ndarray, np.ndarray]:
    from models.data import load_bundled_images

    images, labels = load_bundled_images("mnist", "test")
    return images.astype(np.float32) / 255, labels


# --- reconstruct -----------------------------------------------------------------------------------------
def point_text(code) -> str:
    return f"({code[0]:.2f}, {code[1]:.2f})"


def _reconstruct(digit: np.ndarray):
    """-> (strip image, error table (Markdown), maps, the input's codes {"AE": [z1, z2], "VAE": [...]})."""
    import torch

    from models.autoencoder import ELBO_SAMPLES, PIXELS, kl_to_standard_normal, reconstruct, reconstruction_nats

    x = torch.from_numpy(np.ascontiguousarray(digit, np.float32)).view(1, 1, 28, 28)
    images, captions, rows, codes = [digit], [picture_text("input", "输入")], [], {}
    with torch.inference_mode():
        for name in MODELS:
            model = load_autoencoder(name)
            rebuilt = reconstruct(model, x)
            mse = float((rebuilt - x.view(1, PIXELS)).pow(2).mean())
            label = name.split("-")[0].upper() + ("-2" if name == "pca-mnist" else "")
            nelbo = ""
            if name == "vae-mnist":  # -ELBO: ELBO_SAMPLES draws of z in one batch, the KL in closed form
                mu, logvar = model.encode(x)
                eps = torch.randn(ELBO_SAMPLES, mu.shape[1], generator=torch.Generator().manual_seed(0))
                z = mu + torch.exp(0.5 * logvar) * eps
                recon = float(reconstruction_nats(model.decode(z), x.expand(ELBO_SAMPLES, -1, -1, -1)).mean())
                kl = float(kl_to_standard_normal(mu, logvar)[0])
                nelbo = f"{recon + kl:.1f}"
            if name in ("ae-mnist", "vae-mnist"):
                codes[label] = [round(float(v), 4) for v in model.encode(x)[0][0]]
            images.append(rebuilt.view(28, 28).numpy())
            captions.append(f"{label}\nMSE {mse:.4f}" + (f" · {nelbo}" if nelbo else ""))
            rows.append(f"| {label} | {mse:.4f} | {nelbo or '—'} |")
    table = "\n".join([TABLE_HEAD, *rows]) + "\n\n" + both(STATUS["codes"], ae=point_text(codes["AE"]),
                                                           vae=point_text(codes["VAE"]))
    table += "\n\n" + both(STATUS["table_note"], recon=recon, kl=kl)
    return (strip(images, captions), table, *both_maps(codes), codes)


def autoencoder_reconstruct(drawing):
    """Rebuild a drawn digit with PCA-2, the autoencoder, the VAE and the denoising autoencoder.

    Args:
        drawing: a Sketchpad value or an image of one handwritten digit (dark ink on light, or light on dark).

    Returns:
        The input and the four reconstructions side by side with their errors; a Markdown table of the per-image
        MSE (and the VAE's NELBO in nats) with the input's 2-D codes; the AE map and the VAE map of 2,000 test
        digits with the input's code ringed. (The page also keeps the codes, to ring them when you decode.)
    """
    return _reconstruct(read_digit(drawing))


def autoencoder_reconstruct_test(index=0):
    """Rebuild one of the 100 bundled MNIST test digits with PCA-2, the AE, the VAE and the DAE.

    Args:
        index: which bundled test digit, 0-99.

    Returns:
        The same as autoencoder_reconstruct: the strip, the error table with the codes, and the two maps.
    """
    index = check_number(index, ("Test digit", "测试数字"), 0, TEST_DIGITS - 1, integer=True)
    images, _ = bundled_test_digits()
    return _reconstruct(images[index])


# --- decode a point of a map ------------------------------------------------------------------------------
def read_point(model, z1, z2) -> tuple[str, float, float]:
    model = check_choice(model, ("Map", "地图"), list(MAP_MODELS))
    x0, x1, y0, y1 = slider_range(model)
    z1 = check_number(z1, ("z1", "z1"), x0, x1)
    z2 = check_number(z2, ("z2", "z2"), y0, y1)
    return model, z1, z2


def autoencoder_decode(model="VAE", z1=0.0, z2=0.0, codes=None):
    """Decode any point of the AE's or the VAE's 2-D code plane into an image.

    Args:
        model: "AE" or "VAE": whose decoder and map.
        z1: the first code coordinate, within the map's plotted range (the VAE's is +-3; the AE's is in the
            map's corner labels).
        z2: the second code coordinate.
        codes: the last input's codes, kept by the page to ring them on the maps (not an API parameter).

    Returns:
        The decoded 28x28 image (enlarged); the AE map and the VAE map with the point marked; a status line.
    """
    import torch

    model, z1, z2 = read_point(model, z1, z2)
    net = load_autoencoder(MAP_MODELS[model])
    with torch.inference_mode():
        image = torch.sigmoid(net.decode(torch.tensor([[z1, z2]], dtype=torch.float32))).view(28, 28).numpy()
    decoded = upscale((image * 255).astype(np.uint8), DECODED_ZOOM)
    codes = codes if isinstance(codes, dict) else None
    return (decoded, *both_maps(codes, (model, z1, z2)), both(STATUS["decoded"], model=model, z1=z1, z2=z2))


def pick_from_map(model_key: str, x: float, y: float) -> tuple[float, float]:
    """A click on a map (pixel x, y) -> the code there, rounded to the sliders' step."""
    z1, z2 = to_code(x, y, map_bounds(MAP_MODELS[model_key]))
    return round(z1, 2), round(z2, 2)


# --- the VAE's decoded plane ------------------------------------------------------------------------------
def autoencoder_vae_grid(size=15):
    """Decode a size x size grid over the VAE's latent plane, at evenly spaced quantiles of N(0, 1).

    Args:
        size: points per side, 5-25 (the grid spans the quantiles 0.5/size ... 1 - 0.5/size, within +-3 sigma).

    Returns:
        One image of size x size decoded digits (z1 grows to the right, z2 upwards).
    """
    import torch

    size = check_number(size, ("Grid size", "网格大小"), *GRID_SIZES, integer=True)
    net = load_autoencoder("vae-mnist")
    quantiles = (torch.arange(size, dtype=torch.float64) + 0.5) / size
    axis = (math.sqrt(2) * torch.erfinv(2 * quantiles - 1)).float().clamp(-VAE_BOUND, VAE_BOUND)
    z2, z1 = torch.meshgrid(axis.flip(0), axis, indexing="ij")  # rows from the top: z2 decreasing
    with torch.inference_mode():
        images = torch.sigmoid(net.decode(torch.stack([z1.reshape(-1), z2.reshape(-1)], 1))).view(-1, 28, 28)
    return upscale(image_grid(images.numpy(), size), 2 if size <= 15 else 1)


# --- denoising -------------------------------------------------------------------------------------------
def autoencoder_denoise(index=0, noise=0.5, seed=0):
    """Add Gaussian pixel noise to a bundled MNIST test digit and clean it with the denoising autoencoder.

    Args:
        index: which bundled test digit, 0-99.
        noise: the noise's standard deviation, 0-1 (pixels are clipped back to [0, 1]).
        seed: the noise's random seed.

    Returns:
        The strip noisy input | DAE output | plain AE output | clean digit, and a status line with their MSEs.
    """
    import torch

    from models.autoencoder import add_noise, per_image_mse, reconstruct

    index = check_number(index, ("Test digit", "测试数字"), 0, TEST_DIGITS - 1, integer=True)
    noise = check_number(noise, "Noise", 0, NOISE_MAX)
    gen = seed_generator(seed)
    images, _ = bundled_test_digits()
    x = torch.from_numpy(images[index]).view(1, 1, 28, 28)
    noisy = add_noise(x, noise, gen)
    dae, ae = load_autoencoder("dae-mnist"), load_autoencoder("ae-mnist")
    with torch.inference_mode():
        cleaned, ae_out = reconstruct(dae, noisy), reconstruct(ae, noisy)
        errors = {"noisy": float((noisy - x).pow(2).mean()), "dae": float(per_image_mse(dae, x, noisy)[0]),
                  "ae": float(per_image_mse(ae, x, noisy)[0])}
    picture = strip([noisy.view(28, 28).numpy(), cleaned.view(28, 28).numpy(), ae_out.view(28, 28).numpy(),
                     images[index]],
                    [f"noisy σ={noise:.2f}\nMSE {errors['noisy']:.4f}", f"DAE\nMSE {errors['dae']:.4f}",
                     f"AE\nMSE {errors['ae']:.4f}", "clean"])
    gain = 1 - errors["dae"] / errors["noisy"] if errors["noisy"] > 0 else 0.0
    return picture, both(STATUS["denoise"], noise=noise, gain=gain, **errors)
