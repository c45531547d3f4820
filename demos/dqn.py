"""DQN tab: a deep Q-network balancing the pole of CartPole, its Q-values step by step, and a
short training run from scratch with a live learning curve."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np

from .common import check_choice, check_number, model_card

POLICIES = {"trained": "trained (greedy)", "epsilon-greedy": "ε-greedy", "random": "random"}
LIMITS = {"seed": (0, 2**31 - 1), "epsilon": (0.0, 1.0), "steps": (1_000, 20_000), "lr": (1e-5, 0.05)}
MAX_TRAIN_SECONDS = 30     # the live training stops after this, whatever the step budget
UPDATE_SECONDS = 0.5       # how often the live curve is redrawn
RENDER_EVERY = 2           # GIF: every 2nd frame at half size, shown in real time (CartPole steps are 20 ms)
GIF_KEEP_SECONDS = 600     # episode GIFs older than this are deleted from the temp folder


def load_agent():
    from models.cache import load_model
    from models.dqn import QNetwork
    from models.persistence import from_pretrained, weights_dir

    try:
        return load_model("dqn", lambda: from_pretrained(QNetwork, weights_dir("dqn")))
    except FileNotFoundError:
        raise gr.Error("The DQN weights are missing: run `python -m models train dqn`.") from None


# --- the episode as a GIF ---------------------------------------------------------------
def _gif_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "dlhub-dqn"
    folder.mkdir(exist_ok=True)
    now = time.time()
    for old in folder.glob("*.gif"):
        try:
            if now - old.stat().st_mtime > GIF_KEEP_SECONDS:
                old.unlink()
        except OSError:
            pass  # another request removed it first
    return folder


def episode_gif(frames: list[np.ndarray], actions: np.ndarray, explored: np.ndarray) -> str:
    """Frames (every RENDER_EVERY-th step) -> an animated GIF file, half size, with the step and action."""
    from PIL import Image, ImageDraw

    from .gnn import label_font

    font = label_font(15)
    images = []
    for k, frame in enumerate(frames):
        img = Image.fromarray(frame).reduce(2)
        t = min(k * RENDER_EVERY, len(actions))
        draw = ImageDraw.Draw(img)
        if t < len(actions):
            move = "push left" if actions[t] == 0 else "push right"
            draw.text((6, 4), f"t = {t}   {move}{'  (random)' if explored[t] else ''}",
                      fill=(200, 0, 0) if explored[t] else (0, 0, 0), font=font)
        else:
            draw.text((6, 4), f"t = {len(actions)}   end", fill=(0, 0, 0), font=font)
        images.append(img)
    palette = images[0].quantize(colors=32, dither=Image.Dither.NONE)
    frames_p = [img.quantize(palette=palette, dither=Image.Dither.NONE) for img in images]
    fd, path = tempfile.mkstemp(suffix=".gif", prefix="cartpole-", dir=_gif_dir())
    os.close(fd)
    durations = [20 * RENDER_EVERY] * (len(frames_p) - 1) + [1000]  # hold the last frame a second
    frames_p[0].save(path, save_all=True, append_images=frames_p[1:], duration=durations, loop=0)
    return path


def q_value_plot(q: np.ndarray, actions: np.ndarray, explored: np.ndarray) -> np.ndarray:
    """Both actions' Q-values over the episode (top); below, their difference as bars coloured by the
    action taken (blue left, orange right; red dots: random actions). An RGB image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2), dpi=100)
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    t = np.arange(len(actions))
    top.plot(t, q[:, 0], color="#4e79a7", lw=1.4, label="Q(s, push left)")
    top.plot(t, q[:, 1], color="#f28e2b", lw=1.4, label="Q(s, push right)")
    top.set_ylabel("Q-value")
    top.legend(loc="lower left", fontsize=8, frameon=False)
    top.grid(alpha=0.3)
    gap = q[:, 1] - q[:, 0]  # > 0: the network prefers pushing right
    bottom.bar(t, gap, width=1.0, color=np.where(actions == 1, "#f28e2b", "#4e79a7"))
    if explored.any():
        bottom.scatter(t[explored], gap[explored], s=6, color="#d62728", zorder=3, label="random action")
        bottom.legend(loc="upper right", fontsize=8, frameon=False)
    bottom.axhline(0, color="#555555", lw=0.6)
    bottom.set_ylabel("Q(right)−Q(left)\nbar = action", fontsize=8)
    bottom.set_xlabel("time step")
    fig.tight_layout()
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def play_episode(seed=0, policy="trained", epsilon=0.1):
    """(env seed, policy: trained | epsilon-greedy | random, ε) -> (episode GIF path, Q-value plot, summary)."""
    from models.dqn import run_episode

    seed = check_number(seed, "Seed", *LIMITS["seed"], integer=True)
    policy = check_choice(policy, "Policy", list(POLICIES))
    epsilon = check_number(epsilon, "ε", *LIMITS["epsilon"])
    epsilon = {"trained": 0.0, "random": 1.0}.get(policy, epsilon)
    episode = run_episode(load_agent(), seed, epsilon, render_every=RENDER_EVERY)
    steps = len(episode["actions"])
    outcome = ("the pole stayed up for all 500 steps, CartPole-v1's maximum" if not episode["terminated"]
               else f"the pole fell (or the cart left the track) after {steps} steps")
    random_share = f" · {episode['random'].mean():.0%} of the actions were random" if epsilon > 0 else ""
    summary = f"**Return {episode['return']:.0f}**: {outcome}{random_share}."
    return (episode_gif(episode["frames"], episode["actions"], episode["random"]),
            q_value_plot(episode["q"], episode["actions"], episode["random"]), summary)


# --- training from scratch, live -------------------------------------------------------------
def curve_frame(steps: list[int], returns: list[float]):
    import pandas as pd

    smooth = [float(np.mean(returns[max(0, i - 9): i + 1])) for i in range(len(returns))]
    return pd.concat([pd.DataFrame({"step": steps, "return": returns, "series": "episode return"}),
                      pd.DataFrame({"step": steps, "return": smooth, "series": "mean of last 10"})],
                     ignore_index=True)


def train_from_scratch(steps=20_000, learning_rate=0.002, seed=0):
    """Train a fresh DQN for `steps` environment steps (at most MAX_TRAIN_SECONDS); streams
    (learning curve, status, GIF of the final greedy policy — None until the end)."""
    from models.dqn import LIVE_CONFIG, dqn_training, run_episode

    steps = check_number(steps, "Training steps", *LIMITS["steps"], integer=True)
    learning_rate = check_number(learning_rate, "Learning rate", *LIMITS["lr"])
    seed = check_number(seed, "Seed", *LIMITS["seed"], integer=True)
    config = dict(LIVE_CONFIG, total_steps=steps, learning_rate=learning_rate, buffer_size=steps)
    at, returns, last, model = [], [], 0.0, None
    status = ""
    for step, episode_return, epsilon, model, loss in dqn_training(config, seed, max_seconds=MAX_TRAIN_SECONDS):
        at.append(step)
        returns.append(episode_return)
        status = (f"**step {step:,}/{steps:,}** · episode {len(returns)} · return {episode_return:.0f} · "
                  f"mean of last 10: {np.mean(returns[-10:]):.0f} · ε {epsilon:.2f} · TD loss {loss:.3f}")
        if time.monotonic() - last > UPDATE_SECONDS:
            yield curve_frame(at, returns), status, None
            last = time.monotonic()
    if model is None:
        raise gr.Error("No episode finished within the training budget.")
    model.eval()
    episode = run_episode(model, seed, 0.0, render_every=RENDER_EVERY)
    done = "stopped at the time limit" if at[-1] < steps - 500 else "done"
    status = (f"{status}\n\n**{done}** after {len(returns)} episodes. The GIF shows the network just trained, "
              f"acting greedily (env seed {seed}): return **{episode['return']:.0f}**.")
    yield curve_frame(at, returns), status, episode_gif(episode["frames"], episode["actions"], episode["random"])


EXPLANATION = """
**Deep Q-learning** (Mnih et al. 2015) learns to act from reward alone. The network estimates `Q(s, a)`: the
total future reward of taking action `a` (push the cart left or right) in state `s` (cart position and velocity,
pole angle and angular velocity). It learns from its own play: transitions `(s, a, r, s')` go into a
**replay buffer**, and random batches of them pull `Q(s, a)` towards `r + γ·max_a' Q_target(s', a')` (γ = 0.99)
with a Huber loss; the **target network** `Q_target` is a frozen copy refreshed every few hundred steps, which
keeps the target from chasing itself. While training it acts **ε-greedily**: a random action with probability ε,
otherwise the action with the larger Q. CartPole gives +1 for every step the pole stays up, at most 500.

- **Episode**: the cart as gymnasium renders it, the return, and both Q-values at every step: the agent pushes
  towards the larger one (bars: their difference, coloured by the action taken). A high, steady Q means "I expect
  to keep the pole up for a long time"; it drops when a fall is coming. Try the random policy or a large ε and
  watch Q fall before the pole does.
- **Train from scratch**: a fresh network, a small budget; the curve shows the return per episode rising.
"""


def build() -> None:
    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1, min_width=240):
            policy = gr.Radio([(label, key) for key, label in POLICIES.items()], value="trained", label="Policy")
            epsilon = gr.Slider(*LIMITS["epsilon"], value=0.2, step=0.01, label="ε (for ε-greedy)")
            seed = gr.Number(value=0, precision=0, minimum=0, label="Episode seed (start state)")
            play_btn = gr.Button("Run an episode", variant="primary")
            gr.Examples([[0, "trained", 0.2], [3, "epsilon-greedy", 0.3], [7, "random", 0.2]],
                        [seed, policy, epsilon], label="Try",
                        example_labels=["trained, seed 0", "ε-greedy, ε = 0.3", "random, seed 7"])
            summary = gr.Markdown()
        with gr.Column(scale=2):
            with gr.Row():
                video = gr.Image(label="Episode (GIF, real time)", type="filepath", interactive=False)
                q_plot = gr.Image(label="Q-values and actions", interactive=False)
    play_btn.click(play_episode, [seed, policy, epsilon], [video, q_plot, summary], api_name="dqn_episode")

    gr.Markdown("### Train from scratch\nA new network with a small budget (at most "
                f"{LIMITS['steps'][1]:,} steps or {MAX_TRAIN_SECONDS} s). The shipped agent trained the same way "
                "for 100,000 steps; short runs are often unstable, a property of DQN.")
    with gr.Row():
        with gr.Column(scale=1, min_width=240):
            steps = gr.Slider(*LIMITS["steps"], value=20_000, step=1_000, label="Training steps")
            learning_rate = gr.Slider(0.0001, 0.01, value=0.002, step=0.0001, label="Learning rate (Adam)")
            train_seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
            train_btn = gr.Button("Train from scratch", variant="primary")
        with gr.Column(scale=2):
            curve = gr.LinePlot(x="step", y="return", color="series", title="Learning curve",
                                y_title="episode return", height=300)
            train_status = gr.Markdown()
            trained_video = gr.Image(label="The freshly trained agent", type="filepath", interactive=False)
    train_btn.click(train_from_scratch, [steps, learning_rate, train_seed], [curve, train_status, trained_video],
                    api_name="dqn_train", concurrency_limit=2)
    model_card("dqn")
