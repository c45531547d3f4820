"""Autoencoders on MNIST (the Autoencoder tab): a plain autoencoder and a VAE with 2-D codes, a denoising
autoencoder, and PCA with 2 components as the linear baseline.

Encoder 784 -> hidden... -> code, decoder code -> ...hidden -> 784 logits (sigmoid = pixel intensities).
Every loss is per image, SUMMED over the 784 pixels (and over the latent dimensions for the KL), then
averaged over the batch: averaging the pixel term but summing the KL (as some examples do) weights the KL
784 times too much and gives a blurry VAE whose "NELBO" is not the one papers report.

Only 10,000 MNIST training images are available, so training holds out 1,000 of them for early stopping
(the best held-out epoch is kept) and can show the network small random shifts/rotations/scalings of the rest.
The shipped AE and VAE trained 23 min with those warps (the time cap), then were resumed without them: a 2-number
code spends capacity on describing the warps (the VAE's held-out NELBO went from 159 to 144 nats without them).

    python -m models train autoencoder     # all four (pca, ae, vae, dae) in turn, each up to TIME_CAP_SECONDS
    python -m models train vae-mnist       # one of them
    DLHUB_AE_AUGMENT=0 DLHUB_RESUME=1 DLHUB_TIME_CAP=2700 python -m models train vae-mnist   # the second phase
    python -m models evaluate autoencoder  # NELBO and reconstruction MSEs on the official test set
"""
from __future__ import annotations

import copy
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PIXELS = 28 * 28

# --- hyperparameters -----------------------------------------------------
HIDDEN = (512, 256)
BATCH_SIZE = 128
LR = 2e-3
WARMUP_STEPS = 300
RESUME_LR = 1e-3          # DLHUB_RESUME=1: the peak of the second cycle
WEIGHT_DECAY = 1e-4       # AdamW, decoupled
EPOCHS = {"ae-mnist": 300, "vae-mnist": 300, "dae-mnist": 150}
PATIENCE = 25             # epochs without a better validation loss before stopping
TIME_CAP_SECONDS = 1380   # per model: the machine is shared; the learning rate decays to 0 by then
VALIDATION = 1000         # images of train-10k held out for early stopping
CODE = {"ae-mnist": 2, "vae-mnist": 2, "dae-mnist": 32}
DAE_TRAIN_NOISE = (0.0, 0.8)  # Gaussian noise std drawn per image while training the DAE
DAE_EVAL_NOISE = 0.5
ELBO_SAMPLES = 10         # z samples per test image for the reconstruction term of the ELBO
MAP_POINTS = 2000         # test digits whose codes the tab's map shows (shipped, so no data dir is needed)
MAP_FILE = "map.safetensors"


class AutoEncoder(nn.Module):
    """An MLP autoencoder; `variational` makes the encoder output a mean and a log-variance per code dim.
    Input [B,1,28,28] or [B,784] in [0,1]; `decode` returns logits [B,784]."""

    def __init__(self, hidden=HIDDEN, code: int = 2, variational: bool = False):
        super().__init__()
        self.code, self.variational = code, variational
        sizes = [PIXELS, *hidden]
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.encoder = nn.Sequential(*layers, nn.Linear(sizes[-1], 2 * code if variational else code))
        sizes = [code, *reversed(hidden)]
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.decoder = nn.Sequential(*layers, nn.Linear(sizes[-1], PIXELS))

    def encode(self, x: torch.Tensor):
        """(code mean [B,code], log-variance [B,code] or None for a plain autoencoder)."""
        h = self.encoder(x.reshape(len(x), PIXELS))
        if self.variational:
            mu, logvar = h.chunk(2, dim=1)
            return mu, logvar.clamp(-12, 8)
        return h, None

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        """(logits [B,784], mu, logvar): the VAE samples z = mu + sigma * eps (reparameterisation)."""
        mu, logvar = self.encode(x)
        z = mu
        if self.variational and self.training:
            eps = torch.randn(mu.shape, generator=generator)
            z = mu + torch.exp(0.5 * logvar) * eps
        return self.decode(z), mu, logvar


class PCA(nn.Module):
    """PCA as a linear autoencoder: code = W (x - mean), reconstruction = mean + W^T code (W: top components).
    Fitted with an SVD, stored as buffers so it saves and loads like the networks."""

    def __init__(self, code: int = 2):
        super().__init__()
        self.code = code
        self.register_buffer("mean", torch.zeros(PIXELS))
        self.register_buffer("components", torch.zeros(code, PIXELS))

    def fit(self, x: torch.Tensor) -> "PCA":
        import numpy as np

        data = x.reshape(len(x), PIXELS).double().numpy()
        mean = data.mean(0)
        _, _, vt = np.linalg.svd(data - mean, full_matrices=False)
        self.mean.copy_(torch.from_numpy(mean).float())
        self.components.copy_(torch.from_numpy(vt[:self.code]).float())
        return self

    def encode(self, x: torch.Tensor):
        return (x.reshape(len(x), PIXELS) - self.mean) @ self.components.T, None

    def reconstruct(self, code: torch.Tensor) -> torch.Tensor:
        return (self.mean + code @ self.components).clamp(0, 1)


# --- losses: per image, summed over pixels and latent dims ------------------------------------------------
def reconstruction_nats(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) of a Bernoulli decoder on intensities in [0,1]: binary cross-entropy summed over pixels, [B]."""
    return F.binary_cross_entropy_with_logits(logits, x.reshape(len(x), PIXELS), reduction="none").sum(1)


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, I)) summed over the latent dims, [B]."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)


def negative_elbo(logits, x, mu, logvar) -> torch.Tensor:
    """-ELBO = -E_q[log p(x|z)] + KL(q(z|x) || p(z)), in nats per image, [B]."""
    return reconstruction_nats(logits, x) + kl_to_standard_normal(mu, logvar)


def add_noise(x: torch.Tensor, std, generator: torch.Generator | None = None) -> torch.Tensor:
    """Gaussian pixel noise (std a number or a [B] tensor), clipped back to [0,1]."""
    std = torch.as_tensor(std, dtype=x.dtype).reshape(-1, *([1] * (x.dim() - 1)))
    return (x + std * torch.randn(x.shape, generator=generator)).clamp(0, 1)


def jitter(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Small random rotations (+-10 deg), scalings (0.9-1.1) and shifts (+-2 px) of a batch [B,1,28,28]."""
    b = len(x)

    def uniform(lo, hi):
        return torch.rand(b, generator=generator) * (hi - lo) + lo

    angle = uniform(-10, 10) * math.pi / 180
    scale = uniform(0.9, 1.1)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    tx, ty = uniform(-0.14, 0.14), uniform(-0.14, 0.14)  # grid units: 2/28 per pixel
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
    grid = F.affine_grid(theta, [b, 1, 28, 28], align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros").clamp(0, 1)


def squared_error(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Squared error of sigmoid(logits) against x, summed over the pixels, [B]."""
    return (torch.sigmoid(logits) - x.reshape(len(x), PIXELS)).pow(2).sum(1)


def ae_loss(logits: torch.Tensor, x: torch.Tensor, loss: str = "bce") -> torch.Tensor:
    return squared_error(logits, x) if loss == "mse" else reconstruction_nats(logits, x)


def batch_loss(model: AutoEncoder, x: torch.Tensor, generator: torch.Generator, noise=None,
               loss: str = "bce") -> torch.Tensor:
    """Mean over the batch of the per-image loss: NELBO for the VAE, summed BCE (or squared error) for the AEs."""
    inputs = x if noise is None else add_noise(x, noise, generator)
    logits, mu, logvar = model(inputs, generator)
    if model.variational:
        return negative_elbo(logits, x, mu, logvar).mean()
    return ae_loss(logits, x, loss).mean()


# --- evaluation --------------------------------------------------------------
@torch.no_grad()
def reconstruct(model, x: torch.Tensor) -> torch.Tensor:
    """Images [B,784] in [0,1] rebuilt from the code (the VAE decodes its mean code)."""
    code, _ = model.encode(x)
    if isinstance(model, PCA):
        return model.reconstruct(code)
    return torch.sigmoid(model.decode(code))


@torch.no_grad()
def per_image_mse(model, x: torch.Tensor, inputs: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared pixel error of each image's reconstruction (of `inputs`, default x itself) against x, [B]."""
    rebuilt = reconstruct(model, x if inputs is None else inputs)
    return (rebuilt - x.reshape(len(x), PIXELS)).pow(2).mean(1)


@torch.no_grad()
def per_image_nelbo(model: AutoEncoder, x: torch.Tensor, samples: int = ELBO_SAMPLES,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """-ELBO per image (nats): the KL in closed form, E_q[-log p(x|z)] averaged over `samples` draws of z."""
    mu, logvar = model.encode(x)
    sigma = torch.exp(0.5 * logvar)
    recon = torch.zeros(len(x))
    for _ in range(samples):
        z = mu + sigma * torch.randn(mu.shape, generator=generator)
        recon += reconstruction_nats(model.decode(z), x)
    return recon / samples + kl_to_standard_normal(mu, logvar)


def batched(fn, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    return torch.cat([fn(x[i:i + batch]) for i in range(0, len(x), batch)])


def _to_tensor(images) -> torch.Tensor:
    return torch.from_numpy(images).float().div_(255).unsqueeze(1)


# --- training of the shipped models -----------------------------------------------------------------------
def learning_rate(step: int, total_steps: int, elapsed: float, time_cap: float, peak: float = LR) -> float:
    """Linear warm-up, then cosine decay to zero over the epochs or the time cap, whichever ends first (on a
    shared machine the time cap decides, and the rate must still have decayed when it hits)."""
    warm = min(1.0, (step + 1) / WARMUP_STEPS)
    progress = min(1.0, max(step / total_steps, elapsed / time_cap))
    return peak * warm * 0.5 * (1 + math.cos(math.pi * progress))


def validation_loss(model: AutoEncoder, x_val: torch.Tensor, seed: int, denoising: bool, loss: str) -> float:
    """The training loss on un-jittered held-out images, with fixed noise draws (the same every epoch)."""
    model.eval()
    with torch.no_grad():
        vgen = torch.Generator().manual_seed(seed)
        if model.variational:
            return per_image_nelbo(model, x_val, samples=2, generator=vgen).mean().item()
        inputs = add_noise(x_val, DAE_EVAL_NOISE, vgen) if denoising else x_val
        return ae_loss(model.decode(model.encode(inputs)[0]), x_val, loss).mean().item()


def fit(model: AutoEncoder, x_train, x_val, epochs: int, seed: int, noise=None, log=print,
        time_cap: float = TIME_CAP_SECONDS, checkpoint=None, peak_lr: float = LR, augment: bool = True,
        loss: str = "bce"):
    """AdamW with warm-up + cosine decay on jittered images; keeps the weights of the best validation epoch."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    total_steps, step = epochs * math.ceil(len(x_train) / BATCH_SIZE), 0
    val_gen_seed = seed + 1
    # the starting weights are the ones to beat (a resumed run must not end worse than it began)
    best, best_state, best_epoch, history = validation_loss(model, x_val, val_gen_seed, noise is not None, loss), \
        copy.deepcopy(model.state_dict()), 0, []
    start = time.time()
    for epoch in range(1, epochs + 1):
        model.train()
        total, seen = 0.0, 0
        for idx in torch.randperm(len(x_train), generator=gen).split(BATCH_SIZE):
            xb = jitter(x_train[idx], gen) if augment else x_train[idx]
            level = None if noise is None else torch.rand(len(idx), generator=gen) * (noise[1] - noise[0]) + noise[0]
            value = batch_loss(model, xb, gen, level, loss)
            opt.zero_grad(set_to_none=True)
            value.backward()
            for group in opt.param_groups:
                group["lr"] = learning_rate(step, total_steps, time.time() - start, time_cap, peak_lr)
            opt.step()
            step += 1
            total += value.item() * len(idx)
            seen += len(idx)
        val = validation_loss(model, x_val, val_gen_seed, noise is not None, loss)
        history.append({"epoch": epoch, "train_loss": round(total / seen, 3), "val_loss": round(val, 3)})
        if val < best:
            best, best_epoch, best_state = val, epoch, copy.deepcopy(model.state_dict())
            if checkpoint:
                checkpoint(model)
        log(f"epoch {epoch:3d}  train {total / seen:8.3f}  val {val:8.3f}  best {best:8.3f} @ {best_epoch}  "
            f"({time.time() - start:.0f}s)")
        if epoch - best_epoch >= PATIENCE or time.time() - start >= time_cap:
            break
    model.load_state_dict(best_state)
    return {"history": history, "best_epoch": best_epoch, "epochs": epoch, "seconds": round(time.time() - start)}


def split_train(data_dir, seed: int):
    """train-10k as tensors: (training images, held-out validation images)."""
    from .data import load_images

    images, _ = load_images("mnist", "train-10k", data_dir)
    x = _to_tensor(images)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return x[order[VALIDATION:]], x[order[:VALIDATION]]


METHODS = {
    "ae-mnist": "MLP 784-512-256-2-256-512-784 (ReLU), summed binary cross-entropy, AdamW (lr 2e-3, weight decay "
                "1e-4, warm-up + cosine decay), batch 128, random rotations/scalings/shifts, early stopping on 1,000 held-out "
                "train-10k images",
    "vae-mnist": "the AE's architecture with a Gaussian encoder (mean and log-variance), Bernoulli decoder; loss = "
                 "negative ELBO (BCE summed over pixels + KL summed over the 2 latent dims, per image), same optimiser, "
                 "augmentation and early stopping",
    "dae-mnist": "MLP 784-512-256-32-256-512-784, trained to rebuild the clean image from a copy with Gaussian noise "
                 "(std uniform in [0, 0.8] per image, clipped to [0,1]); summed BCE, same optimiser and augmentation",
    "pca-mnist": "PCA with 2 components (numpy SVD of the centred train-10k images): the best linear autoencoder "
                 "with a 2-D code in squared error",
}
TRAIN_DATA = "mnist train-10k (9,000 images for training, 1,000 held out for early stopping)"


def build(name: str, config: dict):
    return PCA(**config) if name == "pca-mnist" else AutoEncoder(**config)


def config_for(name: str) -> dict:
    if name == "pca-mnist":
        return {"code": 2}
    return {"hidden": list(HIDDEN), "code": CODE[name], "variational": name == "vae-mnist"}


def train_one(name: str, data_dir=None, epochs=None, seed=0) -> dict:
    from .cards import write_model_card
    from .persistence import read_metrics, save_pretrained, weights_dir, write_metrics

    torch.manual_seed(seed)  # training script, not a request handler: global seeding (weight init) is fine
    torch.set_num_threads(1)  # a shared machine
    x_train, x_val = split_train(data_dir, seed)
    config = config_for(name)
    model = build(name, config)
    folder = weights_dir(name)
    # DLHUB_RESUME=1: continue from the weights in weights/NAME (a second warm-up + cosine cycle at RESUME_LR), for
    # when the shared machine's time cap stopped the first run early; the card records both runs
    resume = os.environ.get("DLHUB_RESUME") == "1" and name != "pca-mnist"
    previous = read_metrics(name) if resume else {}
    if resume:
        model = load(name).train()
        seed += 1  # a new batch order and new warps, same held-out split (split_train above)
    time_cap = float(os.environ.get("DLHUB_TIME_CAP", TIME_CAP_SECONDS))
    # DLHUB_AE_AUGMENT=0 trains on the images as they are; DLHUB_AE_LOSS=mse trains an AE on summed squared error
    augment = os.environ.get("DLHUB_AE_AUGMENT", "1") != "0"
    loss = os.environ.get("DLHUB_AE_LOSS", "bce") if name != "vae-mnist" else "nelbo"
    t0 = time.time()
    if name == "pca-mnist":
        model.fit(torch.cat([x_train, x_val]))
        info = {"history": [], "best_epoch": 0, "epochs": 0}
    else:
        noise = DAE_TRAIN_NOISE if name == "dae-mnist" else None
        info = fit(model, x_train, x_val, epochs or EPOCHS[name], seed, noise=noise, time_cap=time_cap,
                   checkpoint=lambda m: save_pretrained(m, folder, config), peak_lr=RESUME_LR if resume else LR,
                   augment=augment, loss=loss)
    save_pretrained(model.eval(), folder, config)
    metrics = evaluate_one(name, data_dir)
    kept = f"the weights of epoch {info['best_epoch']} (best on the held-out images) are kept"
    metrics.update({
        "parameters": sum(t.numel() for t in model.state_dict().values()),
        "epochs": info["epochs"], "seed": seed, "train_seconds": round(time.time() - t0),
        "train_data": "mnist train-10k (10,000 images)" if name == "pca-mnist" else TRAIN_DATA,
        "method": METHODS[name] + (f"; {kept}" if info["best_epoch"] else ""),
        "history": info["history"][-20:],
    })
    if resume:
        metrics.update({
            "epochs": previous.get("epochs", 0) + info["epochs"], "seed": seed - 1,
            "train_seconds": previous.get("train_seconds", 0) + metrics["train_seconds"],
            "method": previous.get("method", METHODS[name]) + f"; then resumed from those weights for {info['epochs']} "
                      f"more epochs (peak lr {RESUME_LR:g}, warm-up + cosine decay, new batch order"
                      + ("" if augment else ", no augmentation")
                      + (", loss: squared error summed over the pixels" if loss == "mse" else "") + f"), {kept}",
            "command": f"python -m models train {name}, then "
                       + ("" if augment else "DLHUB_AE_AUGMENT=0 ") + ("DLHUB_AE_LOSS=mse " if loss == "mse" else "")
                       + f"DLHUB_RESUME=1 python -m models train {name}",
        })
    write_metrics(name, metrics)
    write_model_card(name)
    return metrics


def load(name: str):
    from .persistence import from_pretrained, weights_dir

    return from_pretrained(PCA if name == "pca-mnist" else AutoEncoder, weights_dir(name))


@torch.no_grad()
def evaluate_one(name: str, data_dir=None) -> dict:
    """Test-set metrics of one model; the AE and VAE also (re)write their map points (weights/NAME/map.safetensors)."""
    from .data import load_images
    from .persistence import weights_dir

    images, labels = load_images("mnist", "test", data_dir)
    x = _to_tensor(images)
    model = load(name)
    out = {"model": name, "dataset": "mnist-test-10k", "code_dims": model.code}
    if name == "dae-mnist":
        noisy = add_noise(x, DAE_EVAL_NOISE, torch.Generator().manual_seed(0))
        out["mse_noise_0.5"] = round(batched(lambda i: per_image_mse(model, x[i], noisy[i]),
                                             torch.arange(len(x))).mean().item(), 5)
        out["mse_noisy_input_0.5"] = round((noisy - x).pow(2).mean().item(), 5)
        out["mse_clean"] = round(batched(lambda b: per_image_mse(model, b), x).mean().item(), 5)
    else:
        out["mse"] = round(batched(lambda b: per_image_mse(model, b), x).mean().item(), 5)
    if name == "ae-mnist" and (weights_dir("pca-mnist") / "model.safetensors").exists():
        # the target: at least 30 % below the best linear 2-D code's error
        out["pca2_mse"] = round(batched(lambda b: per_image_mse(load("pca-mnist"), b), x).mean().item(), 5)
        out["reduction_vs_pca2"] = round(1 - out["mse"] / out["pca2_mse"], 4)
    if name == "vae-mnist":
        gen = torch.Generator().manual_seed(0)
        out["nelbo_nats"] = round(batched(lambda b: per_image_nelbo(model, b, generator=gen), x).mean().item(), 2)
        out["kl_nats"] = round(batched(lambda b: kl_to_standard_normal(*model.encode(b)), x).mean().item(), 2)
    if name in ("ae-mnist", "vae-mnist"):
        write_map_points(name, model, x, labels)
    out["n"] = int(len(x))
    return out


MAP_SEED = 0


def write_map_points(name: str, model, x: torch.Tensor, labels) -> None:
    """The codes (the VAE: the means) of MAP_POINTS fixed test digits, with labels and test-set indices."""
    from safetensors.torch import save_file

    from .persistence import weights_dir

    index = torch.randperm(len(x), generator=torch.Generator().manual_seed(MAP_SEED))[:MAP_POINTS].sort().values
    codes = model.encode(x[index])[0]
    save_file({"codes": codes.float().contiguous(), "labels": torch.as_tensor(labels)[index].contiguous(),
               "index": index.contiguous()}, weights_dir(name) / MAP_FILE)


def load_map_points(name: str) -> dict:
    """{"codes" [N,2], "labels" [N], "index" [N]} shipped in weights/NAME/map.safetensors."""
    from safetensors.torch import load_file

    from .persistence import weights_dir

    return load_file(weights_dir(name) / MAP_FILE)


# --- `python -m models train|evaluate NAME` ------------------------------------------------------------
NAMES = ("pca-mnist", "ae-mnist", "vae-mnist", "dae-mnist")


def train_ae_mnist(data_dir=None, epochs=None, seed=0):
    return train_one("ae-mnist", data_dir, epochs, seed)


def train_vae_mnist(data_dir=None, epochs=None, seed=0):
    return train_one("vae-mnist", data_dir, epochs, seed)


def train_dae_mnist(data_dir=None, epochs=None, seed=0):
    return train_one("dae-mnist", data_dir, epochs, seed)


def train_pca_mnist(data_dir=None, epochs=None, seed=0):
    return train_one("pca-mnist", data_dir, epochs, seed)


def evaluate_ae_mnist(data_dir=None):
    return evaluate_one("ae-mnist", data_dir)


def evaluate_vae_mnist(data_dir=None):
    return evaluate_one("vae-mnist", data_dir)


def evaluate_dae_mnist(data_dir=None):
    return evaluate_one("dae-mnist", data_dir)


def evaluate_pca_mnist(data_dir=None):
    return evaluate_one("pca-mnist", data_dir)


def train_all(data_dir=None, epochs=None, seed=0) -> dict:
    return {name: train_one(name, data_dir, epochs, seed) for name in NAMES}


def evaluate_all(data_dir=None) -> dict:
    """All four: the VAE's NELBO, every reconstruction MSE and the AE's reduction vs PCA-2; records each card."""
    from .cards import update_metrics

    results = {name: evaluate_one(name, data_dir) for name in NAMES}
    for name, metrics in results.items():
        update_metrics(name, metrics)
    return {
        "model": "autoencoder", "dataset": "mnist-test-10k",
        "vae_nelbo_nats": results["vae-mnist"]["nelbo_nats"],
        "ae_mse": results["ae-mnist"]["mse"], "vae_mse": results["vae-mnist"]["mse"],
        "pca2_mse": results["pca-mnist"]["mse"], "dae_mse_noise_0.5": results["dae-mnist"]["mse_noise_0.5"],
        "ae_vs_pca2_reduction": round(1 - results["ae-mnist"]["mse"] / results["pca-mnist"]["mse"], 4),
    }
