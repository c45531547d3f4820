"""Class-conditional DDPMs (diffusers UNet2DModel + DDPMScheduler) for MNIST and Fashion-MNIST.

Images are padded from 28x28 to 32x32 (2 black pixels each side) and scaled to [-1, 1].
The UNet predicts the noise (epsilon) added at a random timestep of a 1000-step cosine
schedule; its class embedding is added to the timestep embedding. Weights are an exponential
moving average of the trained ones, saved with `DDPMPipeline.save_pretrained` (safetensors) as
a pipeline folder: model_index.json, unet/, scheduler/ (plus this hub's config.json,
metrics.json and model card). Sampling runs our own loop over the scheduler (DDPM, or DDIM
built from the same config) so every step can be streamed and class labels passed.

    python -m models train ddpm-mnist        # ~30 min on one CPU core
    python -m models evaluate diffusion      # both datasets, 10,000 samples each: FID, confidence, class histogram

`diffusers` is imported only inside functions, so importing this module stays cheap.
"""
from __future__ import annotations

import functools
import json
import math
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F

DATASETS = {
    # name -> (weights name, data folder, train split, description)
    "mnist": ("ddpm-mnist", "mnist", "train-10k", "mnist train-10k (10,000 images)"),
    "fashion": ("ddpm-fashion", "fashion-mnist", "train", "fashion-mnist train (60,000 images)"),
}
UNET_CONFIG = {
    "sample_size": 32, "in_channels": 1, "out_channels": 1, "layers_per_block": 1,
    "block_out_channels": [32, 64, 64], "norm_num_groups": 8, "num_class_embeds": 10,
    "down_block_types": ["DownBlock2D", "DownBlock2D", "AttnDownBlock2D"],
    "up_block_types": ["AttnUpBlock2D", "UpBlock2D", "UpBlock2D"],
}
SCHEDULER_CONFIG = {"num_train_timesteps": 1000, "beta_schedule": "squaredcos_cap_v2", "prediction_type": "epsilon",
                    "clip_sample": True}

BATCH_SIZE = 64
LR = 1e-3
WARMUP = 100
EMA_DECAY = 0.999
TRAIN_STEPS = {"mnist": 2000, "fashion": 2000}
MAX_MINUTES = float(os.environ.get("DLHUB_DDPM_MINUTES", "0") or 0)  # >0: stop (and save) after this long
CHECKPOINT_EVERY = 50
EVAL_STEPS = 50  # DDIM steps used by `python -m models evaluate diffusion`
# DDIM's eta: 0 = deterministic DDIM, 1 = DDPM's amount of fresh noise per step. Measured on ddpm-mnist (1,250
# training steps, 50 samples, 50 steps): eta 0 leaves grey noisy backgrounds and ignores the class far more often
# (requested-class accuracy 0.24, eta 0.5: 0.44) than eta 1 (0.82) or the DDPM scheduler (0.80): with a briefly
# trained network the fresh noise of a stochastic sampler washes out its errors. So the tab defaults to eta 1.
DEFAULT_ETA = 1.0
EVAL_N = 10_000  # samples per dataset for `evaluate` (~50 min per dataset on 2 CPU cores; DLHUB_DDPM_EVAL_N=2000 for a
                 # quicker, noisier estimate)


def pad32(images_01: torch.Tensor) -> torch.Tensor:
    """[N,28,28] in [0,1] -> [N,1,32,32] in [-1,1] (black border)."""
    return F.pad(images_01.float().unsqueeze(1) * 2 - 1, (2, 2, 2, 2), value=-1.0)


def crop28(x: torch.Tensor) -> torch.Tensor:
    """[N,1,32,32] in [-1,1] -> [N,28,28] in [0,1]."""
    return ((x[:, 0, 2:30, 2:30] + 1) / 2).clamp(0, 1)


def new_unet():
    from diffusers import UNet2DModel

    return UNet2DModel(**UNET_CONFIG)


def make_scheduler(kind: str = "ddpm", config: dict | None = None):
    from diffusers import DDIMScheduler, DDPMScheduler

    cls = {"ddpm": DDPMScheduler, "ddim": DDIMScheduler}[kind]
    return cls.from_config(config or SCHEDULER_CONFIG)


# A DDPM pipeline folder (or hub repo) comes in two layouts: unet/ and scheduler/ subfolders (DDPMPipeline.
# save_pretrained, ours) or flat, the UNet and scheduler_config.json at the top (google/ddpm-cifar10-32). The loaders
# take a folder or a hub id, safetensors only, and raise OSError when the files are not there (offline: not in the
# local HF cache).
def load_unet_from(source, local_only: bool = True):
    from diffusers import UNet2DModel

    options = {"use_safetensors": True, "local_files_only": local_only, "low_cpu_mem_usage": False}
    with torch.random.fork_rng(devices=[]):  # building the layers draws initial weights: keep the global RNG as it was
        try:
            unet = UNet2DModel.from_pretrained(source, subfolder="unet", **options)
        except OSError:
            unet = UNet2DModel.from_pretrained(source, **options)
    return unet.eval().requires_grad_(False)


def load_scheduler_config_from(source, local_only: bool = True) -> dict:
    from diffusers import DDPMScheduler

    try:
        scheduler = DDPMScheduler.from_pretrained(source, subfolder="scheduler", local_files_only=local_only)
    except OSError:
        scheduler = DDPMScheduler.from_pretrained(source, local_files_only=local_only)
    return dict(scheduler.config)


def load_pipeline_from(source, local_only: bool = True):
    """(unet, scheduler config) of a DDPM pipeline folder or hub id."""
    return load_unet_from(source, local_only), load_scheduler_config_from(source, local_only)


def load_pipeline(dataset: str):
    """(unet, scheduler config) from the weights/ddpm-DATASET pipeline folder."""
    from .persistence import weights_dir

    return load_pipeline_from(weights_dir(DATASETS[dataset][0]))


@torch.inference_mode()
def sample_steps(unet, scheduler_config: dict, labels: torch.Tensor, generator: torch.Generator,
                 kind: str = "ddim", steps: int = 50, device=None, eta: float = DEFAULT_ETA):
    """Yield (step index, total steps, x_t [N,C,H,W], predicted x_0) while denoising pure noise."""
    scheduler = make_scheduler(kind, scheduler_config)
    scheduler.set_timesteps(steps)
    size = unet.config.sample_size
    x = torch.randn(len(labels), unet.config.in_channels, size, size, generator=generator).to(device or "cpu")
    labels = labels if unet.config.num_class_embeds else None  # an unconditional UNet (a hub one) takes no class
    total = len(scheduler.timesteps)
    for i, t in enumerate(scheduler.timesteps):
        eps = unet(x, t, class_labels=labels).sample
        kwargs = {"eta": eta} if kind == "ddim" else {}
        out = scheduler.step(eps, t, x, generator=generator, **kwargs)
        x = out.prev_sample
        yield i + 1, total, x, out.pred_original_sample


def generate(unet, scheduler_config, labels, generator, kind="ddim", steps=50, eta=DEFAULT_ETA):
    x = None
    for *_, x, _ in sample_steps(unet, scheduler_config, labels, generator, kind, steps, eta=eta):
        pass
    return crop28(x)


@functools.lru_cache(maxsize=8)
def _forward_scheduler(config_json: str):
    """One DDPM scheduler per config for the forward process (it only reads its noise schedule): building one
    costs ~5 ms of Python per request."""
    return make_scheduler("ddpm", json.loads(config_json))


def add_noise(images_01: torch.Tensor, t: int, generator: torch.Generator, scheduler_config: dict | None = None):
    """The forward process: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps. Returns (x_t [N,28,28] in [0,1], abar_t)."""
    scheduler = _forward_scheduler(json.dumps(dict(scheduler_config or SCHEDULER_CONFIG), sort_keys=True, default=str))
    x0 = pad32(images_01)
    noise = torch.randn(x0.shape, generator=generator)
    xt = scheduler.add_noise(x0, noise, torch.full((len(x0),), int(t), dtype=torch.long))
    return crop28(xt.clamp(-1, 1)), float(scheduler.alphas_cumprod[int(t)])


# --- training -------------------------------------------------------------------------
def train_ddpm(dataset: str, data_dir=None, epochs=None, seed=0, steps=None, log=print) -> dict:
    from diffusers import DDPMPipeline

    from .cards import write_model_card
    from .data import load_images
    from .persistence import MAX_FILE_BYTES, weights_dir, write_metrics

    name, folder, split, train_desc = DATASETS[dataset]
    torch.manual_seed(seed)  # training script, not a request handler
    gen = torch.Generator().manual_seed(seed)
    images, labels = load_images(folder, split, data_dir)
    x_all = pad32(torch.from_numpy(images).float() / 255)
    y_all = torch.from_numpy(labels)
    total_steps = steps or (epochs * len(x_all) // BATCH_SIZE if epochs else TRAIN_STEPS[dataset])

    unet = new_unet()
    ema = new_unet().requires_grad_(False)
    ema.load_state_dict(unet.state_dict())
    scheduler = make_scheduler("ddpm")
    opt = torch.optim.AdamW(unet.parameters(), lr=LR, weight_decay=0.0)

    def lr_at(step):
        """Warm-up, then cosine decay to 10% over the planned steps or the time budget, whichever ends first."""
        if step < WARMUP:
            return LR * (step + 1) / WARMUP
        progress = (step - WARMUP) / max(1, total_steps - WARMUP)
        if MAX_MINUTES:
            progress = max(progress, (time.time() - t0) / (MAX_MINUTES * 60))
        return LR * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))

    ckpt = Path(os.environ.get("DLHUB_CKPT_DIR", "/tmp")) / f"{name}.ckpt.pt"
    step, elapsed, history, resumed = 0, 0.0, [], []
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=True)
        unet.load_state_dict(state["unet"]), ema.load_state_dict(state["ema"]), opt.load_state_dict(state["opt"])
        gen.set_state(state["gen"])
        step, elapsed, history = state["step"], state["elapsed"], json.loads(state["history"])
        resumed = json.loads(state.get("resumed", "[]")) + [step]
        log(f"resumed {name} at step {step}")
    t0 = time.time() - elapsed
    order, pos = torch.randperm(len(x_all), generator=gen), 0
    running = 0.0
    while step < total_steps:
        if MAX_MINUTES and time.time() - t0 > MAX_MINUTES * 60:
            log(f"time budget of {MAX_MINUTES} min reached at step {step}")
            break
        if pos + BATCH_SIZE > len(order):
            order, pos = torch.randperm(len(x_all), generator=gen), 0
        idx = order[pos:pos + BATCH_SIZE]
        pos += BATCH_SIZE
        x0, y = x_all[idx], y_all[idx]
        noise = torch.randn(x0.shape, generator=gen)
        t = torch.randint(0, scheduler.config.num_train_timesteps, (len(x0),), generator=gen)
        pred = unet(scheduler.add_noise(x0, noise, t), t, class_labels=y).sample
        loss = F.mse_loss(pred, noise)
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        decay = min(EMA_DECAY, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), unet.parameters()):
                pe.lerp_(p, 1 - decay)
        step += 1
        running += loss.item()
        if step % 50 == 0:
            history.append({"step": step, "loss": round(running / 50, 5)})
            log(f"step {step}/{total_steps}  loss {running / 50:.4f}  lr {lr_at(step):.2e}  ({time.time() - t0:.0f}s)",
                flush=True)
            running = 0.0
        if step % CHECKPOINT_EVERY == 0:
            torch.save({"unet": unet.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
                        "gen": gen.get_state(), "step": step, "elapsed": time.time() - t0,
                        "history": json.dumps(history),
                        "resumed": json.dumps(resumed)}, ckpt)
    train_seconds = round(time.time() - t0)
    out = weights_dir(name)
    DDPMPipeline(unet=ema, scheduler=scheduler).save_pretrained(out, safe_serialization=True)
    size = (out / "unet" / "diffusion_pytorch_model.safetensors").stat().st_size
    if size >= MAX_FILE_BYTES:
        raise ValueError(f"{out}/unet weights are {size} bytes; Spaces needs < 10 MB")
    (out / "config.json").write_text(json.dumps({"dataset": dataset, "image_size": 32, "crop": 28,
                                                 "unet": UNET_CONFIG, "scheduler": SCHEDULER_CONFIG}, indent=2) + "\n")
    metrics = {
        "model": name, "parameters": sum(p.numel() for p in ema.parameters()),
        "command": (f"DLHUB_DDPM_MINUTES={MAX_MINUTES:g} " if MAX_MINUTES else "") + f"python -m models train {name}"
                   + (f" --epochs {epochs}" if epochs else "") + (f" --seed {seed}" if seed else ""),
        "epochs": round(step * BATCH_SIZE / len(x_all), 1), "seed": seed, "train_seconds": train_seconds,
        "train_data": train_desc + ", padded to 32x32",
        "method": (f"class-conditional DDPM (diffusers UNet2DModel + DDPMScheduler, cosine schedule, 1000 steps, "
                   f"epsilon prediction), {step} steps of batch {BATCH_SIZE}, AdamW lr {LR} with warmup and cosine "
                   f"decay to 10% (over the planned steps or the {MAX_MINUTES or '-'} min time budget), "
                   f"grad-norm clip 1, weight EMA {EMA_DECAY}; sampled with DDPM or DDIM"
                   + (f"; interrupted and resumed from checkpoints at steps {', '.join(map(str, resumed))} "
                      f"(the schedule follows the budget in force when resumed)" if resumed else "")),
    }
    write_metrics(name, {**metrics, "history": history})
    write_model_card(name)
    return metrics


# --- evaluation -------------------------------------------------------------------------
def evaluate_one(dataset: str, data_dir=None, n: int | None = None, steps: int = EVAL_STEPS, batch: int = 500) -> dict:
    from .fid import sample_quality

    n = n or int(os.environ.get("DLHUB_DDPM_EVAL_N", EVAL_N))
    unet, config = load_pipeline(dataset)
    labels = torch.arange(n) % 10
    gen = torch.Generator().manual_seed(1234)
    t0 = time.time()
    images = torch.cat([generate(unet, config, labels[i:i + batch], gen, "ddim", steps) for i in range(0, n, batch)])
    seconds = time.time() - t0
    metrics = sample_quality(DATASETS[dataset][1], images, data_dir, requested=labels)
    metrics.update({"model": DATASETS[dataset][0], "samples": n, "sampler": f"DDIM {steps} steps, eta {DEFAULT_ETA:g}",
                    "sample_seconds": round(seconds, 1)})
    return metrics


def train_ddpm_mnist(data_dir=None, epochs=None, seed=0) -> dict:
    return train_ddpm("mnist", data_dir, epochs, seed)


def train_ddpm_fashion(data_dir=None, epochs=None, seed=0) -> dict:
    return train_ddpm("fashion", data_dir, epochs, seed)


def evaluate_ddpm_mnist(data_dir=None) -> dict:
    return evaluate_one("mnist", data_dir)


def evaluate_ddpm_fashion(data_dir=None) -> dict:
    return evaluate_one("fashion", data_dir)


def evaluate_all(data_dir=None) -> dict:
    """Both datasets (those whose weights exist), flat keys like mnist_fid; also records them in each model card."""
    from .cards import update_metrics
    from .persistence import weights_dir

    out = {"model": "diffusion"}
    for dataset, spec in DATASETS.items():
        if (weights_dir(spec[0]) / "model_index.json").exists():
            metrics = evaluate_one(dataset, data_dir)
            update_metrics(spec[0], metrics)
            out.update({f"{dataset}_{k}": v for k, v in metrics.items() if k != "model"})
    return out


def train_all(data_dir=None, epochs=None, seed=0) -> dict:
    return {d: train_ddpm(d, data_dir, epochs, seed) for d in DATASETS}
