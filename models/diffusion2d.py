"""Diffusion on a plane, trained live (the Diffusion tab's plane section). No gradio here.

Forward process: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, eps ~ N(0, I), over T steps of a linear beta
schedule; at t = T-1 almost nothing of x_0 is left (abar ~ 0.006). A small MLP eps_theta(x_t, t) (the point and a
sinusoidal embedding of t) learns to predict the noise: loss = ||eps - eps_theta(x_t, t)||^2 at random t.
Sampling runs the process backwards from pure noise, with DDPM (ancestral: all T steps, fresh noise each step)
or DDIM (deterministic for eta = 0; any number of steps on a subsequence of the T).

`train_diffusion` is a generator: it yields a progress dict when `models.live.Budget.due()` says so and at the
end. Curves and the live sample quality are recorded at fixed steps, so a seed gives the same curves whatever the
machine's speed.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from .live import Budget
from .toy2d import mmd, plane_grid, seeded_mlp

T = 100                 # diffusion steps
BETA_START, BETA_END = 1e-4, 0.1
EMBED = 32              # sinusoidal time-embedding size
FOURIER = 6             # sines and cosines of each coordinate at frequencies 2^k * pi/2, k < FOURIER
WIDTH = 128
DEPTH = 3
BATCH = 256
REPORT_MIN_STEPS = 25  # steps between two progress reports, at least
LOG_EVERY = 50
EVAL_EVERY = 500        # steps between live measurements of sample quality
EVAL_SAMPLES = 500
EVAL_DDIM_STEPS = 20
SAMPLERS = ("DDPM", "DDIM")


def schedule() -> dict:
    betas = torch.linspace(BETA_START, BETA_END, T)
    alphas = 1 - betas
    return {"betas": betas, "alphas": alphas, "abar": torch.cumprod(alphas, 0)}


SCHEDULE = schedule()


def time_embedding(t: torch.Tensor, size: int = EMBED) -> torch.Tensor:
    """[n] integer steps -> [n, size] sines and cosines at geometric frequencies (as a transformer's positions)."""
    half = size // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half) / half)
    angle = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(angle), torch.cos(angle)], 1)


def fourier_features(x: torch.Tensor, count: int = FOURIER) -> torch.Tensor:
    """[n, 2] -> [n, 4 * count]: a plain MLP on (x, y) learns smooth functions first and a thin swiss roll needs
    sharp ones; these features make them easy (measured: the samples' MMD after 2,000 steps fell from 9.9 to 3.3)."""
    angle = x[:, :, None] * (2.0 ** torch.arange(count) * (math.pi / 2))
    return torch.cat([torch.sin(angle).flatten(1), torch.cos(angle).flatten(1)], 1)


class Denoiser(nn.Module):
    """eps_theta(x_t, t): an MLP on the point, its Fourier features and its step's embedding."""

    def __init__(self, generator: torch.Generator, width: int = WIDTH, depth: int = DEPTH, embed: int = EMBED,
                 fourier: int = FOURIER):
        super().__init__()
        self.width, self.depth, self.embed, self.fourier = width, depth, embed, fourier
        self.net = seeded_mlp([2 + 4 * fourier + embed] + [width] * depth + [2], nn.SiLU, generator)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([x, fourier_features(x, self.fourier), time_embedding(t, self.embed)], 1))


def shapes(width: int = WIDTH, depth: int = DEPTH, embed: int = EMBED, fourier: int = FOURIER) -> dict:
    model = Denoiser(torch.Generator().manual_seed(0), width, depth, embed, fourier)
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def noised(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    abar = SCHEDULE["abar"][t][:, None]
    return abar.sqrt() * x0 + (1 - abar).sqrt() * noise


def forward_process(x0: torch.Tensor, steps, generator: torch.Generator) -> list[torch.Tensor]:
    """The cloud x0 noised to each step in `steps` (one noise draw per point, shared by all steps)."""
    noise = torch.randn(x0.shape, generator=generator)
    return [noised(x0, torch.full((len(x0),), int(t)), noise) for t in steps]


@torch.no_grad()
def sample(model: Denoiser, n: int, generator: torch.Generator, sampler: str = "DDIM", steps: int = 50,
           eta: float = 0.0) -> tuple[torch.Tensor, list[int]]:
    """Reverse process from x_T ~ N(0, I). Returns (trajectory [k+1, n, 2] from noise to samples, the steps t
    visited). DDPM takes all T steps (`steps` is ignored); DDIM `steps` evenly spaced ones."""
    betas, alphas, abar = SCHEDULE["betas"], SCHEDULE["alphas"], SCHEDULE["abar"]
    x = torch.randn(n, 2, generator=generator)
    path = [x]
    if sampler == "DDPM":
        ts = list(range(T - 1, -1, -1))
        for t in ts:
            eps = model(x, torch.full((n,), t))
            mean = (x - betas[t] / (1 - abar[t]).sqrt() * eps) / alphas[t].sqrt()
            x = mean + (betas[t].sqrt() * torch.randn(n, 2, generator=generator) if t > 0 else 0)
            path.append(x)
    elif sampler == "DDIM":
        ts = torch.linspace(T - 1, 0, max(1, steps)).round().long().unique_consecutive().tolist()
        for i, t in enumerate(ts):
            eps = model(x, torch.full((n,), t))
            x0 = (x - (1 - abar[t]).sqrt() * eps) / abar[t].sqrt()
            prev = abar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
            sigma = eta * ((1 - prev) / (1 - abar[t]) * (1 - abar[t] / prev)).clamp_min(0).sqrt()
            x = prev.sqrt() * x0 + (1 - prev - sigma ** 2).clamp_min(0).sqrt() * eps
            if eta > 0 and i + 1 < len(ts):
                x = x + sigma * torch.randn(n, 2, generator=generator)
            path.append(x)
    else:
        raise ValueError(f"unknown sampler {sampler!r}; choose from {SAMPLERS}")
    return torch.stack(path), ts


@torch.no_grad()
def denoising_field(model: Denoiser, t: int, steps: int = 17) -> tuple[torch.Tensor, torch.Tensor]:
    """(grid points [steps^2, 2], -eps_theta(x, t) there): the direction the model moves a point at step t
    (proportional to the learned score, grad log p_t(x) = -eps / sqrt(1 - abar_t))."""
    grid = plane_grid(steps, 1.8)
    return grid, -model(grid, torch.full((len(grid),), int(t)))


def reference_mmds(train: torch.Tensor, held_out: torch.Tensor, generator: torch.Generator,
                   n: int = EVAL_SAMPLES) -> dict:
    """The two ends of the scale: pure noise N(0, I) (the prior; what an untrained model's samples resemble)
    and real training points (the floor a perfect model reaches), both against the held-out points."""
    return {"noise": mmd(torch.randn(n, 2, generator=generator), held_out[:n]),
            "floor": mmd(train[:n], held_out[:n])}


def train_diffusion(data: torch.Tensor, generator: torch.Generator, lr: float = 3e-3, steps: int = 3000,
                    seconds: float = 20.0, held_out: torch.Tensor | None = None, jitter: float = 0.0,
                    model: Denoiser | None = None):
    """Train eps_theta on the cloud `data` [n, 2]. Stops after `steps` steps or `seconds`.

    Yields dicts: step, steps, elapsed, model, history (step / loss every LOG_EVERY; eval_step / mmd every
    EVAL_EVERY: DDIM-20 samples of a fixed noise against `held_out`), done."""
    model = model or Denoiser(generator)
    reference = held_out if held_out is not None else data
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    # a cosine decay to a tenth over the step cap: the noise-prediction loss is noisy, a late small lr settles it
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    eval_gen = torch.Generator().manual_seed(int(torch.randint(2**31 - 1, (1,), generator=generator)))
    eval_state = eval_gen.get_state()
    history = {"step": [], "loss": [], "eval_step": [], "mmd": []}
    budget = Budget(seconds)
    total, count = 0.0, 0

    def record_eval(at):
        eval_gen.set_state(eval_state)  # the same noise each time: the curve shows the model, not the draw
        samples = sample(model, EVAL_SAMPLES, eval_gen, "DDIM", EVAL_DDIM_STEPS)[0][-1]
        history["eval_step"].append(at)
        history["mmd"].append(mmd(samples, reference[:EVAL_SAMPLES]))

    record_eval(0)
    step = reported = 0
    while step < steps and not budget.expired():
        step += 1
        with torch.enable_grad():  # per thread; closed before any yield
            x0 = data[torch.randint(len(data), (BATCH,), generator=generator)]
            if jitter:
                x0 = x0 + torch.randn(x0.shape, generator=generator) * jitter
            t = torch.randint(T, (BATCH,), generator=generator)
            noise = torch.randn(x0.shape, generator=generator)
            loss = (model(noised(x0, t, noise), t) - noise).square().mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        value = loss.item()
        if not math.isfinite(value):
            raise FloatingPointError("the loss diverged (became NaN or infinite): lower the learning rate")
        total, count = total + value, count + 1
        if step % LOG_EVERY == 0 or step == 1:  # step 1 too: a plot whose first frame is empty stays blank
            history["step"].append(step)
            history["loss"].append(total / count)
            total, count = 0.0, 0
        if step % EVAL_EVERY == 0:
            record_eval(step)
        # a frame at most every REPORT_MIN_STEPS steps: on a busy CPU drawing a frame can take longer than the
        # report interval, and the run would draw instead of train
        if step - reported >= REPORT_MIN_STEPS and budget.due():
            reported = step
            yield {"step": step, "steps": steps, "elapsed": budget.elapsed(), "model": model, "history": history,
                   "done": False}
    if count:
        history["step"].append(step)
        history["loss"].append(total / count)
    if history["eval_step"][-1] != step:
        record_eval(step)
    yield {"step": step, "steps": steps, "elapsed": budget.elapsed(), "model": model, "history": history,
           "done": True}
