"""Class-conditional DCGANs for MNIST digits and Fashion-MNIST clothes (the GAN tab).

Generator: [z, one-hot class] -> dense 7x7 map -> two stride-2 transposed convolutions
(batch norm + ReLU) -> 28x28 tanh image. Discriminator: strided convolutions with
LeakyReLU and spectral norm, and a projection head (the class embedding dotted with the
features) so it judges "is this a real image *of this class*". The usual tricks that make
it train stably: Adam(2e-4, beta1=0.5), one-sided label smoothing (real target 0.9),
spectral norm in D, and an exponential moving average of the generator's weights
(the EMA copy is what is saved and sampled).

    python -m models train gan-mnist      # ~10 min on one CPU core
    python -m models train gan-fashion
    python -m models evaluate gan         # both: FID, classifier confidence, class histogram
"""
from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

DATASETS = {
    # name -> (registry/weights name, data folder, train split, human description, class names)
    "mnist": ("gan-mnist", "mnist", "train-10k", "mnist train-10k (10,000 images)",
              [str(i) for i in range(10)]),
    "fashion": ("gan-fashion", "fashion-mnist", "train", "fashion-mnist train (60,000 images)",
                ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"]),
}

# --- hyperparameters ---------------------------------------------------------
BATCH_SIZE = 64
LR = 2e-4
BETAS = (0.5, 0.999)
REAL_TARGET = 0.9          # one-sided label smoothing
EMA_DECAY = 0.999
TRAIN_STEPS = {"mnist": 6500, "fashion": 12187}  # 41.6 and 13 epochs
CHECKPOINT_EVERY = 250
# sampling: z ~ N(0, psi^2 I). psi < 1 is the "truncation trick" (BigGAN): samples nearer the mode of the
# latent distribution are cleaner at a small cost in diversity. Used by the tab and by `evaluate`.
SAMPLE_TEMPERATURE = 0.8


class Generator(nn.Module):
    """(z [B,latent], y one-hot [B,classes]) -> images [B,1,28,28] in [-1, 1]."""

    def __init__(self, latent_dim: int = 64, num_classes: int = 10, base: int = 64):
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.fc = nn.Linear(latent_dim + num_classes, 2 * base * 7 * 7, bias=False)
        self.bn0 = nn.BatchNorm2d(2 * base)
        self.up1 = nn.ConvTranspose2d(2 * base, base, 4, 2, 1, bias=False)   # 7 -> 14
        self.bn1 = nn.BatchNorm2d(base)
        self.up2 = nn.ConvTranspose2d(base, 1, 4, 2, 1)                     # 14 -> 28
        self.base = base

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.fc(torch.cat([z, y], 1)).view(-1, 2 * self.base, 7, 7)
        h = F.relu(self.bn0(h))
        h = F.relu(self.bn1(self.up1(h)))
        return torch.tanh(self.up2(h))


class Discriminator(nn.Module):
    """(images [B,1,28,28] in [-1,1], labels [B]) -> realness logit [B] (projection discriminator)."""

    def __init__(self, num_classes: int = 10, base: int = 64):
        super().__init__()
        sn = nn.utils.spectral_norm
        self.conv1 = sn(nn.Conv2d(1, base, 4, 2, 1))              # 28 -> 14
        self.conv2 = sn(nn.Conv2d(base, 2 * base, 4, 2, 1))       # 14 -> 7
        self.conv3 = sn(nn.Conv2d(2 * base, 2 * base, 3, 2, 1))   # 7 -> 4
        self.out = sn(nn.Linear(2 * base * 16, 1))
        self.embed = sn(nn.Embedding(num_classes, 2 * base * 16))

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.conv2(h), 0.2)
        h = F.leaky_relu(self.conv3(h), 0.2).flatten(1)
        return self.out(h).squeeze(1) + (self.embed(labels) * h).sum(1)


class GAN(nn.Module):
    """Generator + discriminator saved together (one safetensors file per dataset)."""

    def __init__(self, latent_dim: int = 64, num_classes: int = 10, g_base: int = 64, d_base: int = 64):
        super().__init__()
        self.generator = Generator(latent_dim, num_classes, g_base)
        self.discriminator = Discriminator(num_classes, d_base)

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    @torch.inference_mode()
    def sample(self, z: torch.Tensor, labels: torch.Tensor | None = None, onehot: torch.Tensor | None = None):
        """-> (images [B,28,28] float in [0,1], discriminator probability 'real' [B])."""
        if onehot is None:
            onehot = F.one_hot(labels, self.generator.num_classes).float()
        x = self.generator(z, onehot)
        if labels is None:
            labels = onehot.argmax(1)
        score = torch.sigmoid(self.discriminator(x, labels))
        return ((x[:, 0] + 1) / 2).clamp(0, 1), score


def config_for(dataset: str) -> dict:
    return {"latent_dim": 64, "num_classes": 10, "g_base": 64, "d_base": 64}


# --- training -----------------------------------------------------------------
def _real_batches(images: torch.Tensor, labels: torch.Tensor, gen: torch.Generator):
    while True:
        for idx in torch.randperm(len(images), generator=gen).split(BATCH_SIZE):
            if len(idx) == BATCH_SIZE:
                yield images[idx], labels[idx]


def train_gan(dataset: str, data_dir=None, epochs=None, seed=0, steps=None, log=print) -> dict:
    """Train (resuming from /tmp checkpoints if present), save weights/gan-DATASET, evaluate, write the card."""
    from .cards import write_model_card
    from .data import load_images
    from .persistence import save_pretrained, weights_dir, write_metrics

    name, folder, split, train_desc, _ = DATASETS[dataset]
    torch.manual_seed(seed)  # training script, not a request handler
    gen = torch.Generator().manual_seed(seed)
    images, labels = load_images(folder, split, data_dir)
    x = torch.from_numpy(images).float().div_(127.5).sub_(1).unsqueeze(1)
    y = torch.from_numpy(labels)
    total_steps = steps or (epochs * len(x) // BATCH_SIZE if epochs else TRAIN_STEPS[dataset])

    config = config_for(dataset)
    model = GAN(**config)
    G, D = model.generator, model.discriminator
    ema = copy.deepcopy(G).requires_grad_(False)
    opt_g = torch.optim.Adam(G.parameters(), lr=LR, betas=BETAS)
    opt_d = torch.optim.Adam(D.parameters(), lr=LR, betas=BETAS)
    ckpt = Path(os.environ.get("DLHUB_CKPT_DIR", "/tmp")) / f"{name}.ckpt.pt"
    step, elapsed = 0, 0.0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=True)
        G.load_state_dict(state["G"]), D.load_state_dict(state["D"]), ema.load_state_dict(state["ema"])
        opt_g.load_state_dict(state["opt_g"]), opt_d.load_state_dict(state["opt_d"])
        gen.set_state(state["gen"])
        step, elapsed = state["step"], state["elapsed"]
        log(f"resumed {name} at step {step}")
    batches = _real_batches(x, y, gen)
    t0 = time.time() - elapsed
    history = []
    while step < total_steps:
        real, real_y = next(batches)
        fake_y = torch.randint(0, 10, (BATCH_SIZE,), generator=gen)
        z = torch.randn(BATCH_SIZE, config["latent_dim"], generator=gen)
        fake = G(z, F.one_hot(fake_y, 10).float())
        # discriminator: real -> 0.9, fake -> 0
        d_real, d_fake = D(real, real_y), D(fake.detach(), fake_y)
        loss_d = (F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, REAL_TARGET))
                  + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # generator: non-saturating loss
        d_gen = D(fake, fake_y)
        loss_g = F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        decay = min(EMA_DECAY, (1 + step) / (10 + step))  # warm-up: early on the average follows G closely
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), G.parameters()):
                pe.lerp_(p, 1 - decay)
            for be, b in zip(ema.buffers(), G.buffers()):
                be.copy_(b)
        step += 1
        if step % 100 == 0:
            history.append({"step": step, "loss_d": round(loss_d.item(), 4), "loss_g": round(loss_g.item(), 4)})
            log(f"step {step}/{total_steps}  loss_d {loss_d.item():.3f}  loss_g {loss_g.item():.3f}  "
                f"({time.time() - t0:.0f}s)", flush=True)
        if step % CHECKPOINT_EVERY == 0 or step == total_steps:
            torch.save({"G": G.state_dict(), "D": D.state_dict(), "ema": ema.state_dict(),
                        "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "gen": gen.get_state(),
                        "step": step, "elapsed": time.time() - t0}, ckpt)
    train_seconds = round(time.time() - t0)
    G.load_state_dict(ema.state_dict())  # ship the EMA generator
    save_pretrained(model, weights_dir(name), config)
    metrics = {
        "model": name, "parameters": sum(p.numel() for p in model.generator.parameters()),
        "command": f"python -m models train {name}" + (f" --epochs {epochs}" if epochs else "")
                   + (f" --seed {seed}" if seed else ""),
        "epochs": round(total_steps * BATCH_SIZE / len(x), 1), "seed": seed, "train_seconds": train_seconds,
        "train_data": train_desc,
        "method": (f"class-conditional DCGAN, {total_steps} steps of batch {BATCH_SIZE}, Adam(lr {LR}, betas {BETAS}), "
                   f"non-saturating loss, one-sided label smoothing {REAL_TARGET}, spectral-norm projection "
                   f"discriminator, generator EMA {EMA_DECAY}; parameters = generator only"),
    }
    write_metrics(name, {**metrics, "history": history})
    write_model_card(name)
    return metrics


def load_gan(dataset: str) -> GAN:
    from .persistence import from_pretrained, weights_dir

    with torch.random.fork_rng(devices=[]):  # building the layers draws initial weights: keep the global RNG as it was
        return from_pretrained(GAN, weights_dir(DATASETS[dataset][0]))


@torch.inference_mode()
def generate(model: GAN, n: int, generator: torch.Generator, labels: torch.Tensor | None = None, batch: int = 500,
             temperature: float = SAMPLE_TEMPERATURE):
    """n samples with classes cycling 0..9 (or the given labels): (images [n,28,28] in [0,1], labels)."""
    if labels is None:
        labels = torch.arange(n) % model.generator.num_classes
    out = []
    for i in range(0, n, batch):
        z = torch.randn(len(labels[i:i + batch]), model.latent_dim, generator=generator) * temperature
        out.append(model.sample(z, labels[i:i + batch])[0])
    return torch.cat(out), labels


# --- evaluation -------------------------------------------------------------------
def evaluate_one(dataset: str, data_dir=None, n: int = 10_000) -> dict:
    from .fid import sample_quality

    model = load_gan(dataset)
    t0 = time.time()
    images, labels = generate(model, n, torch.Generator().manual_seed(1234))
    seconds = time.time() - t0
    metrics = sample_quality(DATASETS[dataset][1], images, data_dir, requested=labels)
    metrics.update({"model": DATASETS[dataset][0], "samples": n, "latent_temperature": SAMPLE_TEMPERATURE,
                    "sample_seconds": round(seconds, 2)})
    return metrics


def evaluate_gan_mnist(data_dir=None) -> dict:
    return evaluate_one("mnist", data_dir)


def evaluate_gan_fashion(data_dir=None) -> dict:
    return evaluate_one("fashion", data_dir)


def train_gan_mnist(data_dir=None, epochs=None, seed=0) -> dict:
    return train_gan("mnist", data_dir, epochs, seed)


def train_gan_fashion(data_dir=None, epochs=None, seed=0) -> dict:
    return train_gan("fashion", data_dir, epochs, seed)


def train_all(data_dir=None, epochs=None, seed=0) -> dict:
    return {d: train_gan(d, data_dir, epochs, seed) for d in DATASETS}


def evaluate_all(data_dir=None) -> dict:
    """Both datasets (those whose weights exist), flat keys like mnist_fid; also records them in each model card."""
    from .cards import update_metrics
    from .persistence import weights_dir

    out = {"model": "gan"}
    for dataset, spec in DATASETS.items():
        if (weights_dir(spec[0]) / "model.safetensors").exists():
            metrics = evaluate_one(dataset, data_dir)
            update_metrics(spec[0], metrics)
            out.update({f"{dataset}_{k}": v for k, v in metrics.items() if k != "model"})
    return out
