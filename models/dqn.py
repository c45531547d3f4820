"""A deep Q-network on gymnasium's CartPole-v1, in the spirit of cleanrl's single-file dqn.py.

Q(s, a) estimates the return of pushing the cart left/right in state s (cart position and
velocity, pole angle and angular velocity). The agent acts ε-greedily, stores transitions
in a replay buffer, and regresses Q(s, a) towards r + γ·max_a' Q_target(s', a') with the
Huber loss; the target network is a copy of the online one refreshed every few hundred steps.

    python -m models train dqn       # ~1 min on 1 core; keeps the best checkpoint on held-out seeds
    python -m models evaluate dqn    # 100 greedy episodes, seeds 0..99: mean and min return (max 500)

Everything takes a seed and its own generators (torch.Generator, numpy Generator, env seeds),
so the tab's live training never touches the global random state.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ENV_ID = "CartPole-v1"
ACTIONS = ("push left", "push right")
EVAL_EPISODES = 100          # seeds 0..99
SELECTION_SEEDS = range(10_000, 10_020)  # held-out seeds for picking the checkpoint (never 0..99)

# the shipped model's recipe; the checkpoint with the best greedy return on held-out seeds is kept
TRAIN_CONFIG = {
    "total_steps": 100_000, "learning_rate": 1e-3, "buffer_size": 50_000, "gamma": 0.99,
    "target_every": 250, "batch_size": 128, "start_epsilon": 1.0, "end_epsilon": 0.02,
    "exploration_fraction": 0.1, "learning_starts": 1_000, "train_every": 4, "hidden": [120, 84],
}
# the tab's "train from scratch": learns visibly within its small budget (~30 s on one core)
LIVE_CONFIG = {
    "total_steps": 20_000, "learning_rate": 2e-3, "buffer_size": 20_000, "gamma": 0.99,
    "target_every": 100, "batch_size": 128, "start_epsilon": 1.0, "end_epsilon": 0.05,
    "exploration_fraction": 0.2, "learning_starts": 500, "train_every": 4, "hidden": [64, 64],
}
CHECK_EVERY = 5_000  # steps between checkpoint evaluations in `python -m models train dqn`


def make_env():
    import gymnasium as gym

    return gym.make(ENV_ID)


class QNetwork(nn.Module):
    """observation (4) -> hidden layers (ReLU) -> one Q-value per action (2)."""

    def __init__(self, obs_dim: int = 4, actions: int = 2, hidden: list[int] = (120, 84),
                 generator: torch.Generator | None = None):
        super().__init__()
        sizes = [obs_dim, *hidden, actions]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        if generator is not None:  # PyTorch's default init, drawn from the caller's generator
            with torch.no_grad():
                for layer in self.layers:
                    bound = 1 / math.sqrt(layer.in_features)
                    layer.weight.copy_(torch.rand(layer.weight.shape, generator=generator) * 2 * bound - bound)
                    layer.bias.copy_(torch.rand(layer.bias.shape, generator=generator) * 2 * bound - bound)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            obs = F.relu(layer(obs))
        return self.layers[-1](obs)


class ReplayBuffer:
    """A ring buffer of transitions (s, a, r, s', terminated) in preallocated numpy arrays."""

    def __init__(self, size: int, obs_dim: int = 4):
        self.obs = np.zeros((size, obs_dim), np.float32)
        self.next_obs = np.zeros((size, obs_dim), np.float32)
        self.actions = np.zeros(size, np.int64)
        self.rewards = np.zeros(size, np.float32)
        self.dones = np.zeros(size, np.float32)
        self.size, self.pos, self.full = size, 0, False

    def __len__(self) -> int:
        return self.size if self.full else self.pos

    def add(self, obs, next_obs, action, reward, terminated) -> None:
        i = self.pos
        self.obs[i], self.next_obs[i], self.actions[i] = obs, next_obs, action
        self.rewards[i], self.dones[i] = reward, float(terminated)
        self.pos = (i + 1) % self.size
        self.full = self.full or self.pos == 0

    def sample(self, batch: int, rng: np.random.Generator):
        idx = rng.integers(0, len(self), batch)
        return (torch.from_numpy(self.obs[idx]), torch.from_numpy(self.actions[idx]),
                torch.from_numpy(self.rewards[idx]), torch.from_numpy(self.next_obs[idx]),
                torch.from_numpy(self.dones[idx]))


def epsilon_at(step: int, config: dict) -> float:
    """Linear decay from start to end epsilon over exploration_fraction of the steps, then flat."""
    duration = config["exploration_fraction"] * config["total_steps"]
    slope = (config["end_epsilon"] - config["start_epsilon"]) / duration
    return max(config["end_epsilon"], config["start_epsilon"] + slope * step)


def q_values(model: nn.Module, obs) -> np.ndarray:
    device = next(model.parameters()).device
    with torch.no_grad():
        return model(torch.as_tensor(np.asarray(obs, np.float32), device=device)).float().cpu().numpy()


def act(model: nn.Module, obs, epsilon: float, rng: np.random.Generator) -> tuple[int, np.ndarray, bool]:
    """ε-greedy: (action, Q-values of obs, whether the action was random)."""
    q = q_values(model, obs)
    if rng.random() < epsilon:
        return int(rng.integers(0, len(q))), q, True
    return int(q.argmax()), q, False


def dqn_training(config: dict, seed: int, max_seconds: float | None = None):
    """Train a fresh Q-network; a generator yielding after every episode:
    (step, episode return, epsilon, online network, last loss). Stops at total_steps or max_seconds."""
    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    hidden = list(config["hidden"])
    q_net = QNetwork(hidden=hidden, generator=gen)
    target = QNetwork(hidden=hidden)
    target.load_state_dict(q_net.state_dict())
    opt = torch.optim.Adam(q_net.parameters(), lr=config["learning_rate"])
    buffer = ReplayBuffer(config["buffer_size"])
    env = make_env()
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    episode_return, loss_value, start = 0.0, float("nan"), time.monotonic()
    try:
        for step in range(1, config["total_steps"] + 1):
            epsilon = epsilon_at(step, config)
            action = act(q_net, obs, epsilon, rng)[0]
            next_obs, reward, terminated, truncated, _ = env.step(action)
            buffer.add(obs, next_obs, action, reward, terminated)  # truncation is not a terminal state
            obs, episode_return = next_obs, episode_return + reward
            if step > config["learning_starts"] and step % config["train_every"] == 0:
                s, a, r, s2, done = buffer.sample(config["batch_size"], rng)
                # grad modes are per thread and a stream resumes on any worker thread:
                # set the mode for each update, never hold a `with` open across a yield
                with torch.no_grad():
                    td_target = r + config["gamma"] * target(s2).max(1).values * (1 - done)
                with torch.enable_grad():
                    predicted = q_net(s).gather(1, a[:, None]).squeeze(1)
                    loss = F.smooth_l1_loss(predicted, td_target)  # Huber
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                loss_value = loss.item()
            if step % config["target_every"] == 0:
                target.load_state_dict(q_net.state_dict())
            if terminated or truncated:
                yield step, episode_return, epsilon, q_net, loss_value
                obs, _ = env.reset()
                episode_return = 0.0
                if max_seconds is not None and time.monotonic() - start > max_seconds:
                    return
    finally:
        env.close()


# --- the picture: gymnasium's CartPole drawing (pygame, 600x400), redrawn at half size with numpy ----------
# Same geometry and colours as gymnasium's renderer, with antialiased edges; all frames of an episode at once,
# as palette indices (a GIF's own format), ~20x cheaper than rendering each step with pygame and shrinking it.
WIDTH, HEIGHT = 300, 200
SCALE = WIDTH / 4.8                   # pixels per metre: the track is 2 x 2.4 m wide
CART_HALF_W, CART_HALF_H = 12.5, 7.5
CART_Y = HEIGHT - 50                  # the cart's centre row (gymnasium: 100 px above the bottom at full size)
TRACK_ROW = int(CART_Y) - 1
POLE_HALF_W, POLE_LEN = 2.5, 60.0     # from the pivot to the tip
AXLE_Y = CART_Y - CART_HALF_H / 2     # the pivot, a quarter of the cart's height above its centre
AXLE_R = 2.5
LEVELS = 4                            # antialiasing: shades per colour, by how much of a pixel a shape covers
WHITE, BLACK, POLE, AXLE, RED = (255, 255, 255), (0, 0, 0), (202, 152, 101), (129, 132, 203), (200, 0, 0)


def _shades(colour) -> list[tuple[int, int, int]]:
    return [tuple(round(255 + (c - 255) * k / LEVELS) for c in colour) for k in range(1, LEVELS + 1)]


# palette index 0: white; then LEVELS shades (over white) of black, the pole's colour and red; then the axle
PALETTE = [WHITE, *_shades(BLACK), *_shades(POLE), *_shades(RED), AXLE]
SHADE_START = {"black": 1, "pole": 1 + LEVELS, "red": 1 + 2 * LEVELS}
AXLE_INDEX = 1 + 3 * LEVELS


def shade(coverage: np.ndarray, colour: str) -> np.ndarray:
    """Coverage in [0, 1] -> palette indices of that colour's shades (0, white, where nothing is covered)."""
    level = np.rint(np.clip(coverage, 0, 1) * LEVELS).astype(np.uint8)
    return np.where(level > 0, SHADE_START[colour] - 1 + level, 0).astype(np.uint8)


def cartpole_frames(states) -> np.ndarray:
    """CartPole states [N, 4] (x, x', θ, θ') -> frames [N, HEIGHT, WIDTH] of PALETTE indices."""
    states = np.asarray(states, np.float32).reshape(-1, 4)
    n = len(states)
    frames = np.zeros((n, HEIGHT, WIDTH), np.uint8)
    frames[:, TRACK_ROW, :] = SHADE_START["black"] + LEVELS // 2 - 1  # the track: a thin grey line
    cx = states[:, 0] * SCALE + WIDTH / 2  # the cart's centre column
    # the cart: an axis-aligned box, so its coverage is exact (overlap of each pixel with the box, x times y)
    cols = np.arange(WIDTH, dtype=np.float32)
    cover_x = np.clip(np.minimum(cols + 1, cx[:, None] + CART_HALF_W) - np.maximum(cols, cx[:, None] - CART_HALF_W), 0, 1)
    r0, r1 = int(CART_Y - CART_HALF_H), int(np.ceil(CART_Y + CART_HALF_H))
    rows = np.arange(r0, r1, dtype=np.float32)
    cover_y = np.clip(np.minimum(rows + 1, CART_Y + CART_HALF_H) - np.maximum(rows, CART_Y - CART_HALF_H), 0, 1)
    frames[:, r0:r1] = np.maximum(frames[:, r0:r1], shade(cover_y[None, :, None] * cover_x[:, None, :], "black"))
    # the pole, a rotated rectangle: coverage from each pixel centre's distance to its edges, in a window
    # around the pivot (the pole reaches at most POLE_LEN from it)
    reach = int(POLE_LEN) + 4
    top, bottom = int(AXLE_Y) - reach, int(AXLE_Y) + 5
    col_idx = np.clip(np.rint(cx).astype(int)[:, None] + np.arange(-reach, reach + 1), 0, WIDTH - 1)  # [n, w]
    dx = (col_idx + 0.5 - cx[:, None]).astype(np.float32)[:, None, :]               # [n, 1, w]
    dy = (np.arange(top, bottom) + 0.5 - AXLE_Y).astype(np.float32)[None, :, None]  # [1, h, 1]
    sin, cos = np.sin(states[:, 2])[:, None, None], np.cos(states[:, 2])[:, None, None]
    along, across = dx * sin - dy * cos, dx * cos + dy * sin  # θ > 0 leans right; rows grow downwards
    cover = (np.clip(POLE_HALF_W + 0.5 - np.abs(across), 0, 1)
             * np.clip(np.minimum(along + POLE_HALF_W, POLE_LEN - along) + 0.5, 0, 1))
    pole = np.where(dx ** 2 + dy ** 2 <= AXLE_R ** 2, np.uint8(AXLE_INDEX), shade(cover, "pole"))
    window = (np.arange(n)[:, None, None], np.arange(top, bottom)[None, :, None], col_idx[:, None, :])
    frames[window] = np.where(pole > 0, pole, frames[window])
    return frames


def run_episode(model: nn.Module, seed: int, epsilon: float = 0.0, render_every: int = 0,
                rng: np.random.Generator | None = None) -> dict:
    """One ε-greedy episode from env seed `seed` (ε = 1: a uniformly random policy; the model's
    Q-values are still recorded). Returns the return, per-step Q-values/actions/random flags and,
    with render_every, the picture of every render_every-th step and of the last state
    (frames [N, HEIGHT, WIDTH] of PALETTE indices)."""
    env = make_env()
    rng = rng if rng is not None else np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    total, qs, actions, explored, shown = 0.0, [], [], [], []
    try:
        for t in range(10_000):
            if render_every and t % render_every == 0:
                shown.append(obs)
            action, q, random_action = act(model, obs, epsilon, rng)
            qs.append(q)
            actions.append(action)
            explored.append(random_action)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += reward
            if terminated or truncated:
                if render_every:
                    shown.append(obs)
                break
    finally:
        env.close()
    frames = cartpole_frames(shown) if render_every else np.zeros((0, HEIGHT, WIDTH), np.uint8)
    return {"return": total, "q": np.array(qs), "actions": np.array(actions), "random": np.array(explored),
            "frames": frames, "terminated": bool(terminated)}


def evaluate_policy(model: nn.Module, seeds) -> list[float]:
    return [run_episode(model, int(s))["return"] for s in seeds]


# --- `python -m models train|evaluate dqn` ------------------------------------------
def evaluate_dqn(data_dir=None) -> dict:
    from .persistence import from_pretrained, weights_dir

    model = from_pretrained(QNetwork, weights_dir("dqn"))
    returns = evaluate_policy(model, range(EVAL_EPISODES))
    return {"model": "dqn", "env": ENV_ID, "episodes": EVAL_EPISODES, "env_seeds": f"0..{EVAL_EPISODES - 1}",
            "mean_return": round(float(np.mean(returns)), 2), "min_return": float(np.min(returns)),
            "max_return": float(np.max(returns))}


def train_dqn(data_dir=None, epochs=None, seed=0, log=print) -> dict:
    """Train with TRAIN_CONFIG (epochs, if given, overrides total steps in units of CHECK_EVERY); every
    CHECK_EVERY steps the greedy policy plays the held-out SELECTION_SEEDS and the best one is kept."""
    from .cards import write_model_card
    from .persistence import save_pretrained, weights_dir, write_metrics

    torch.set_num_threads(1)  # CPU etiquette: training shares the machine
    config = dict(TRAIN_CONFIG)
    if epochs:
        config["total_steps"] = epochs * CHECK_EVERY
    t0 = time.time()
    best, best_state, history, returns, next_check = -1.0, None, [], [], CHECK_EVERY
    for step, episode_return, epsilon, q_net, loss in dqn_training(config, seed):
        returns.append(episode_return)
        if step >= next_check:
            next_check += CHECK_EVERY
            selection = float(np.mean(evaluate_policy(q_net, SELECTION_SEEDS)))
            history.append({"step": step, "mean_train_return_last_20": round(float(np.mean(returns[-20:])), 1),
                            "epsilon": round(epsilon, 3), "loss": round(loss, 4), "selection_return": selection})
            log(f"step {step:7d}  train return {np.mean(returns[-20:]):6.1f}  eps {epsilon:.3f}  "
                f"held-out greedy return {selection:6.1f}  ({time.time() - t0:.0f}s)")
            if selection >= best:  # ties: the later, longer-trained checkpoint
                best, best_state = selection, {k: v.clone() for k, v in q_net.state_dict().items()}
                history[-1]["selected"] = True
    model = QNetwork(hidden=config["hidden"])
    model.load_state_dict(best_state)
    save_pretrained(model, weights_dir("dqn"), {"obs_dim": 4, "actions": 2, "hidden": config["hidden"]})
    metrics = evaluate_dqn()
    metrics.update({
        "parameters": sum(p.numel() for p in model.parameters()), "epochs": config["total_steps"] // CHECK_EVERY,
        "seed": seed, "train_seconds": round(time.time() - t0),
        "train_data": f"{config['total_steps']:,} environment steps of {ENV_ID} (its own experience; env seed {seed})",
        "method": f"DQN: replay buffer {config['buffer_size']:,}, target network every {config['target_every']} steps, "
                  f"epsilon {config['start_epsilon']} -> {config['end_epsilon']} over "
                  f"{config['exploration_fraction']:.0%} of the steps, Huber loss, Adam lr {config['learning_rate']}, "
                  f"batch {config['batch_size']}, gamma {config['gamma']}; 'epochs' = checks every {CHECK_EVERY:,} steps, "
                  f"the checkpoint with the best greedy return on held-out env seeds "
                  f"{SELECTION_SEEDS.start}..{SELECTION_SEEDS.stop - 1} is shipped",
        "history": history,
    })
    write_metrics("dqn", metrics)
    write_model_card("dqn")
    return metrics
