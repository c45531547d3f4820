"""2-D point clouds for the generative models trained live on a plane (the GAN and Diffusion tabs), and the
numbers that say how good a generated cloud is.

Every point lives in the plane [-LIM, LIM]^2 that the tabs draw. Everything random takes a torch.Generator.

Metrics:
- `mode_stats`: for the mixtures of Gaussians (ring of 8, grid of 25). A sample is *high quality* when it lies
  within 3 sigma of the nearest mode's centre. A mode is *covered* when at least COVER_SHARE of its fair share
  of the samples (COVER_SHARE * n / modes) are high-quality samples of it: 10 % of 1/8 of the samples for the
  ring, 10 % of 1/25 for the grid. One stray sample does not cover a mode; a mode the generator visits at a
  tenth of the rate the data does, does.
- `mmd`: the squared maximum mean discrepancy (unbiased estimate, x 1000) between two clouds, with RBF kernels at
  several widths, for any dataset (also the learner's own points): about 0 for two samples of one distribution
  (real held-out points give this floor), large for pure Gaussian noise (the reference of a model that learned
  nothing).
"""
from __future__ import annotations

import math
import re

import torch

LIM = 2.0                    # the plane the tabs draw: [-LIM, LIM]^2
DATASETS = ("ring8", "grid25", "moons", "spiral", "swissroll")
MODE_STD = {"ring8": 0.05, "grid25": 0.04}   # each Gaussian's standard deviation
RING_RADIUS = 1.5
GRID_SPACING = 0.8
COVER_SHARE = 0.1
MMD_WIDTHS = (0.05, 0.1, 0.2, 0.5, 1.0)      # RBF kernel widths (plane units): from one mode to the whole cloud
MAX_POINTS = 2000            # a learner's own cloud
OWN_JITTER = 0.03            # training on a learner's points samples them with this much Gaussian jitter


def mode_centres(name: str) -> torch.Tensor | None:
    """[K, 2] centres of a mixture dataset, None for the others."""
    if name == "ring8":
        angle = torch.arange(8) * (2 * math.pi / 8)
        return torch.stack([torch.cos(angle), torch.sin(angle)], 1) * RING_RADIUS
    if name == "grid25":
        axis = (torch.arange(5) - 2) * GRID_SPACING
        yy, xx = torch.meshgrid(axis, axis, indexing="ij")
        return torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)
    return None


def make_points(name: str, n: int, generator: torch.Generator) -> torch.Tensor:
    """n points [n, 2] of a named dataset, inside the plane."""
    rand = lambda *shape: torch.rand(*shape, generator=generator)  # noqa: E731
    randn = lambda *shape: torch.randn(*shape, generator=generator)  # noqa: E731
    if name in MODE_STD:
        centres = mode_centres(name)
        which = torch.randint(len(centres), (n,), generator=generator)
        return centres[which] + randn(n, 2) * MODE_STD[name]
    if name == "moons":
        upper = rand(n) < 0.5
        angle = rand(n) * math.pi
        x = torch.where(upper, torch.cos(angle), 1 - torch.cos(angle))
        y = torch.where(upper, torch.sin(angle), 0.5 - torch.sin(angle))
        points = (torch.stack([x, y], 1) - torch.tensor([0.5, 0.25])) * 1.2
        return points + randn(n, 2) * 0.05
    if name == "spiral":  # one arm, three quarters of a turn to two turns out from the centre
        s = rand(n).sqrt()
        angle = s * 3.5 * math.pi + 0.5
        radius = 0.15 + 1.55 * s
        return torch.stack([torch.cos(angle), torch.sin(angle)], 1) * radius[:, None] + randn(n, 2) * 0.04
    if name == "swissroll":  # sklearn's swiss roll seen from above, scaled into the plane
        angle = 1.5 * math.pi * (1 + 2 * rand(n))
        points = torch.stack([angle * torch.cos(angle), angle * torch.sin(angle)], 1) / 8.0
        return points + randn(n, 2) * 0.04
    raise ValueError(f"unknown dataset {name!r}; choose from {DATASETS}")


def jittered(points: torch.Tensor, n: int, generator: torch.Generator, jitter: float = OWN_JITTER) -> torch.Tensor:
    """n draws from a learner's cloud: a random point each, plus a little Gaussian noise (so a few dozen clicked
    points are a distribution, not a list to memorise)."""
    which = torch.randint(len(points), (n,), generator=generator)
    return (points[which] + torch.randn(n, 2, generator=generator) * jitter).clamp(-LIM, LIM)


class PointsError(ValueError):
    """Points text that cannot be used; `en` and `zh` say why."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.en, self.zh = en, zh


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_LINE = re.compile(rf"^\s*({_NUMBER})\s*[,;\s]\s*({_NUMBER})\s*$")


def parse_points(text: str, max_points: int = MAX_POINTS, min_points: int = 3) -> torch.Tensor:
    """'x,y' lines (a comma, semicolon or spaces between; blank lines skipped) -> [n, 2] inside the plane."""
    if not isinstance(text, str) or not text.strip():
        raise PointsError("No points: draw some, or give one 'x,y' pair per line.",
                          "没有点：请画一些点，或每行输入一个“x,y”坐标。")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > max_points:
        raise PointsError(f"{len(lines)} points; the limit is {max_points}.", f"共 {len(lines)} 个点，上限是 {max_points} 个。")
    values = []
    for number, line in enumerate(lines, 1):
        match = _LINE.match(line)
        if not match:
            raise PointsError(f"Line {number} is not an 'x,y' pair: {line.strip()[:40]!r}.",
                              f"第 {number} 行不是“x,y”坐标：{line.strip()[:40]!r}。")
        x, y = float(match.group(1)), float(match.group(2))
        if not (math.isfinite(x) and math.isfinite(y) and abs(x) <= LIM and abs(y) <= LIM):
            raise PointsError(f"Line {number}: ({x:g}, {y:g}) is outside the plane [-{LIM:g}, {LIM:g}]².",
                              f"第 {number} 行：({x:g}, {y:g}) 超出了平面范围 [-{LIM:g}, {LIM:g}]²。")
        values.append((x, y))
    if len(values) < min_points:
        raise PointsError(f"Only {len(values)} points: give at least {min_points}.",
                          f"只有 {len(values)} 个点：至少需要 {min_points} 个。")
    return torch.tensor(values, dtype=torch.float32)


def format_points(points) -> str:
    """[n, 2] -> 'x,y' lines (what parse_points reads)."""
    return "\n".join(f"{float(x):.3f},{float(y):.3f}" for x, y in points)


def mode_stats(samples: torch.Tensor, centres: torch.Tensor, std: float, cover_share: float = COVER_SHARE) -> dict:
    """Mode coverage and high-quality share of generated samples [n, 2] (see the module docstring).

    Returns covered (int), modes (K), high_quality (share of samples within 3 sigma of a mode), per_mode (list of
    the share of samples that are high-quality samples of each mode)."""
    samples = samples.float()
    distance, nearest = torch.cdist(samples, centres.float()).min(1)
    good = distance <= 3 * std
    counts = torch.bincount(nearest[good], minlength=len(centres)).float()
    needed = cover_share * len(samples) / len(centres)
    return {"covered": int((counts >= needed).sum()), "modes": len(centres),
            "high_quality": float(good.float().mean()), "per_mode": (counts / len(samples)).tolist()}


def mmd(x: torch.Tensor, y: torch.Tensor, widths=MMD_WIDTHS) -> float:
    """The unbiased estimate of the squared MMD between clouds x [n, 2] and y [m, 2] (n, m >= 2), x 1000, with
    the mean of RBF kernels of the `widths`. About 0 (it may dip just below) for two samples of one distribution."""
    x, y = x.double(), y.double()

    def kernel(a, b):
        d2 = torch.cdist(a, b).square()
        return sum(torch.exp(-d2 / (2 * w * w)) for w in widths) / len(widths)

    def within(a):  # the mean over pairs of distinct points
        k = kernel(a, a)
        return (k.sum() - k.diagonal().sum()) / (len(a) * (len(a) - 1))

    return float(within(x) + within(y) - 2 * kernel(x, y).mean()) * 1000


def seeded_mlp(sizes, activation: type[torch.nn.Module], generator: torch.Generator) -> torch.nn.Sequential:
    """Linear layers of `sizes` with `activation` between them, initialised from the request's generator
    (PyTorch's default Kaiming-uniform bound, drawn from `generator`, so a seed fixes the weights)."""
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = torch.nn.Linear(fan_in, fan_out)
        bound = 1 / math.sqrt(fan_in)
        with torch.no_grad():
            linear.weight.copy_(torch.rand(fan_out, fan_in, generator=generator) * 2 * bound - bound)
            linear.bias.copy_(torch.rand(fan_out, generator=generator) * 2 * bound - bound)
        layers.append(linear)
        if i < len(sizes) - 2:
            layers.append(activation())
    return torch.nn.Sequential(*layers)


def plane_grid(steps: int, lim: float = LIM) -> torch.Tensor:
    """[steps*steps, 2] points of a steps x steps grid over the plane, rows from the top (y = lim) down, as an
    image is stored."""
    axis = torch.linspace(-lim, lim, steps)
    yy, xx = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)


def training_clouds(name: str, n: int, generator: torch.Generator, own: torch.Tensor | None = None):
    """(training cloud, held-out cloud, jitter) for a live training run. A named dataset: two independent draws of
    n points, trained on as they are. The learner's own points ("own"): trained on with OWN_JITTER noise (a few
    dozen clicked points are a distribution, not a list to memorise), held out = n fresh jittered draws."""
    if name == "own":
        if own is None:
            raise ValueError("the 'own' dataset needs the learner's points")
        return own.float(), jittered(own.float(), n, generator), OWN_JITTER
    return make_points(name, n, generator), make_points(name, n, generator), 0.0
