"""A GAN learning a 2-D distribution, trained live (the GAN tab's plane section). No gradio here.

The generator maps noise z ~ N(0, I_LATENT) to a point of the plane; the discriminator (the *critic* for WGAN-GP)
maps a point to a score (a logit). Both are small MLPs. Four losses, on the discriminator's logit d:

- minimax (Goodfellow et al. 2014): D minimises BCE (real -> 1, fake -> 0); G minimises log(1 - sigmoid(d)), whose
  gradient vanishes exactly when D confidently rejects the fakes (it *saturates*).
- non-saturating: same D; G minimises -log sigmoid(d): the same fixed point, strong gradients early.
- least-squares (Mao et al. 2017): D regresses real -> 1, fake -> 0; G pulls d(fake) to 1 (squared error).
- WGAN-GP (Gulrajani et al. 2017): the critic maximises E d(real) - E d(fake) with a gradient penalty
  lambda (||grad d(x_hat)|| - 1)^2 on random interpolates; G maximises E d(fake).

`train_gan` is a generator: it yields a progress dict when `models.live.Budget.due()` says so and at the end.
Curves and metrics are recorded at fixed steps (every LOG_EVERY / EVAL_EVERY), so one seed gives the same curves
whatever the machine's speed.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .live import Budget
from .toy2d import MODE_STD, jittered, mmd, mode_centres, mode_stats, plane_grid, seeded_mlp

LOSSES = ("minimax", "nonsaturating", "leastsquares", "wgan-gp")
LATENT = 2
WIDTH = 64
DEPTH = 3              # hidden layers of each player
BATCH = 256
GP_WEIGHT = 0.1        # WGAN-GP's lambda for 2-D toy data (the paper's toy experiments)
BETAS = {"wgan-gp": (0.5, 0.9)}
DEFAULT_BETAS = (0.5, 0.999)
REPORT_MIN_STEPS = 25  # steps between two progress reports, at least
LOG_EVERY = 50         # steps between points of the loss curves
EVAL_EVERY = 250       # steps between measurements of the samples
EVAL_SAMPLES = 1000
MMD_SAMPLES = 500


class GAN2D(nn.Module):
    def __init__(self, generator: torch.Generator, latent: int = LATENT, width: int = WIDTH, depth: int = DEPTH):
        super().__init__()
        self.latent, self.width, self.depth = latent, width, depth
        self.G = seeded_mlp([latent] + [width] * depth + [2], nn.ReLU, generator)
        self.D = seeded_mlp([2] + [width] * depth + [1], lambda: nn.LeakyReLU(0.2), generator)

    def sample(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z)

    def score(self, x: torch.Tensor) -> torch.Tensor:
        return self.D(x).squeeze(-1)


def shapes(latent: int = LATENT, width: int = WIDTH, depth: int = DEPTH) -> dict:
    """Tensor name -> shape of a GAN2D (what an uploaded file must hold)."""
    model = GAN2D(torch.Generator().manual_seed(0), latent, width, depth)
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def d_loss_fn(loss: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    if loss in ("minimax", "nonsaturating"):
        return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()  # BCE: -log D(x) - log(1 - D(G(z)))
    if loss == "leastsquares":
        return 0.5 * ((d_real - 1).square().mean() + d_fake.square().mean())
    return d_fake.mean() - d_real.mean()  # wgan-gp, the penalty is added by the caller


def g_loss_fn(loss: str, d_fake: torch.Tensor) -> torch.Tensor:
    if loss == "minimax":
        return -F.softplus(d_fake).mean()  # log(1 - sigmoid(d)): flat where D rejects confidently
    if loss == "nonsaturating":
        return F.softplus(-d_fake).mean()  # -log sigmoid(d)
    if loss == "leastsquares":
        return 0.5 * (d_fake - 1).square().mean()
    return -d_fake.mean()


def gradient_penalty(model: GAN2D, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator):
    mix = torch.rand(len(real), 1, generator=generator)
    x_hat = (mix * real + (1 - mix) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(model.score(x_hat).sum(), x_hat, create_graph=True)
    return GP_WEIGHT * (grad.norm(dim=1) - 1).square().mean()


def measure(model: GAN2D, z_eval: torch.Tensor, dataset: str, reference: torch.Tensor) -> dict:
    """Coverage and quality of G's samples of the fixed eval noise (modes only for the mixtures)."""
    with torch.no_grad():
        samples = model.sample(z_eval)
    result = {"mmd": mmd(samples[:MMD_SAMPLES], reference[:MMD_SAMPLES])}
    centres = mode_centres(dataset)
    if centres is not None:
        stats = mode_stats(samples, centres, MODE_STD[dataset])
        result.update(covered=stats["covered"], modes=stats["modes"], high_quality=stats["high_quality"])
    return result


def train_gan(data: torch.Tensor, dataset: str, generator: torch.Generator, loss: str = "nonsaturating",
              lr_g: float = 1e-3, lr_d: float = 1e-3, d_steps: int = 1, g_steps: int = 1, steps: int = 3000,
              seconds: float = 20.0, jitter: float = 0.0, held_out: torch.Tensor | None = None,
              model: GAN2D | None = None):
    """Train on the cloud `data` [n, 2] (batches drawn from it, with `jitter` noise for a learner's points).

    One step = d_steps discriminator updates, then g_steps generator updates. Stops after `steps` steps or
    `seconds`. Yields dicts: step, steps, elapsed, model, z_eval, history (step / d_loss / g_loss every LOG_EVERY
    steps; eval_step / covered / high_quality / mmd every EVAL_EVERY steps), metrics (the latest), done.
    `held_out` (real points the GAN never trains on) is what the samples' MMD is measured against."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose from {LOSSES}")
    model = model or GAN2D(generator)
    reference = held_out if held_out is not None else data
    betas = BETAS.get(loss, DEFAULT_BETAS)
    opt_g = torch.optim.Adam(model.G.parameters(), lr=lr_g, betas=betas)
    opt_d = torch.optim.Adam(model.D.parameters(), lr=lr_d, betas=betas)
    z_eval = torch.randn(EVAL_SAMPLES, model.latent, generator=generator)
    history = {"step": [], "d_loss": [], "g_loss": [], "eval_step": [], "covered": [], "high_quality": [], "mmd": []}
    d_sum = g_sum = 0.0
    count = 0
    metrics = {}
    budget = Budget(seconds)

    def record_eval(step):
        nonlocal metrics
        metrics = measure(model, z_eval, dataset, reference)
        history["eval_step"].append(step)
        for key in ("covered", "high_quality", "mmd"):
            history[key].append(metrics.get(key))

    record_eval(0)
    step = reported = 0
    while step < steps and not budget.expired():
        step += 1
        # grad mode is per thread and a stream resumes on any worker thread: set it every step, and close every
        # `with` before a yield
        with torch.enable_grad():
            for _ in range(d_steps):
                real = jittered(data, BATCH, generator, jitter) if jitter else data[
                    torch.randint(len(data), (BATCH,), generator=generator)]
                with torch.no_grad():
                    fake = model.sample(torch.randn(BATCH, model.latent, generator=generator))
                d_loss = d_loss_fn(loss, model.score(real), model.score(fake))
                if loss == "wgan-gp":
                    d_loss = d_loss + gradient_penalty(model, real, fake, generator)
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
            for _ in range(g_steps):
                fake = model.sample(torch.randn(BATCH, model.latent, generator=generator))
                g_loss = g_loss_fn(loss, model.score(fake))
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_g.step()
        d_value, g_value = d_loss.item(), g_loss.item()
        if not (math.isfinite(d_value) and math.isfinite(g_value)):
            raise FloatingPointError("the losses diverged (became NaN or infinite): lower the learning rates")
        d_sum, g_sum, count = d_sum + d_value, g_sum + g_value, count + 1
        if step % LOG_EVERY == 0 or step == 1:  # step 1 too: a plot whose first frame is empty stays blank
            history["step"].append(step)
            history["d_loss"].append(d_sum / count)
            history["g_loss"].append(g_sum / count)
            d_sum = g_sum = 0.0
            count = 0
        if step % EVAL_EVERY == 0:
            record_eval(step)
        # a frame at most every REPORT_MIN_STEPS steps: on a busy CPU drawing a frame can take longer than the
        # report interval, and the run would draw instead of train
        if step - reported >= REPORT_MIN_STEPS and budget.due():
            reported = step
            yield {"step": step, "steps": steps, "elapsed": budget.elapsed(), "model": model, "z_eval": z_eval,
                   "history": history, "metrics": metrics, "done": False}
    if count:
        history["step"].append(step)
        history["d_loss"].append(d_sum / count)
        history["g_loss"].append(g_sum / count)
    if not history["eval_step"] or history["eval_step"][-1] != step:
        record_eval(step)
    yield {"step": step, "steps": steps, "elapsed": budget.elapsed(), "model": model, "z_eval": z_eval,
           "history": history, "metrics": metrics, "done": True}


@torch.no_grad()
def discriminator_surface(model: GAN2D, loss: str, steps: int = 90) -> torch.Tensor:
    """D over the plane [steps, steps] (rows from the top): P(real) = sigmoid(d) for the BCE losses, d itself
    for least squares (its target for real points is 1) and the critic's raw score for WGAN-GP."""
    score = model.score(plane_grid(steps)).reshape(steps, steps)
    return torch.sigmoid(score) if loss in ("minimax", "nonsaturating") else score


def generator_push(model: GAN2D, loss: str, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(samples G(z) [n, 2], -dL_G/dx [n, 2]): where the generator's loss pushes each of its samples."""
    with torch.enable_grad():
        x = model.sample(z).detach().requires_grad_(True)
        # the sum, not the mean: each sample's own gradient, independent of how many are drawn
        g_loss = g_loss_fn(loss, model.score(x)) * len(x)
        grad, = torch.autograd.grad(g_loss, x)
    return x.detach(), -grad
