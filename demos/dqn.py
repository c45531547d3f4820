"""DQN tab: a deep Q-network balancing the pole of CartPole, its Q-values step by step, and a
short training run from scratch with a live learning curve."""
from __future__ import annotations

import functools
import os
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np

from .common import (check_choice, check_number, error, fill, missing_weights, model_card, picture_text,
                     principle, text_font)
from .i18n import t
from .live import HEAVY

POLICIES = ("trained", "epsilon-greedy", "random")  # shown as dqn.trained, dqn.epsilon-greedy, dqn.random
LIMITS = {"seed": (0, 2**31 - 1), "epsilon": (0.0, 1.0), "steps": (1_000, 20_000), "lr": (1e-5, 0.05)}
MAX_TRAIN_SECONDS = 30     # the live training stops after this, whatever the step budget
UPDATE_SECONDS = 0.5       # how often the live curve is redrawn
RENDER_EVERY = 2           # GIF: every 2nd frame at half size, shown in real time (CartPole steps are 20 ms)
GIF_KEEP_SECONDS = 600     # episode GIFs older than this are deleted from the temp folder

# Text made at request time, (English, Chinese): the server does not know the language picked in the browser, so
# a status shows both, English first (API clients and tests match it), then a blank line and the Chinese.
STATUS = {
    "episode": ("**Return {ret:.0f}**: {outcome}{random}.", "**回报 {ret:.0f}**：{outcome}{random}。"),
    "stayed_up": ("the pole stayed up for all 500 steps, CartPole-v1's maximum",
                  "杆在全部 500 步中都没有倒下，达到了 CartPole-v1 的上限"),
    "fell": ("the pole fell (or the cart left the track) after {steps} steps",
             "杆在 {steps} 步后倒下了（或小车驶出了轨道）"),
    "random": (" · {share:.0%} of the actions were random", " · {share:.0%} 的动作是随机的"),
    "training": ("**step {step:,}/{steps:,}** · episode {episode} · return {ret:.0f} · mean of last 10: {mean:.0f} · "
                 "ε {epsilon:.2f} · TD loss {loss:.3f}",
                 "**第 {step:,}/{steps:,} 步** · 第 {episode} 个回合 · 回报 {ret:.0f} · 最近 10 个回合的平均回报 "
                 "{mean:.0f} · ε {epsilon:.2f} · TD 损失 {loss:.3f}"),
    "done": ("**done** after {episodes} episodes. The GIF shows the network just trained, acting greedily "
             "(env seed {seed}): return **{ret:.0f}**.",
             "**完成**，共训练了 {episodes} 个回合。GIF 展示的是刚训练好的网络按贪心策略行动（环境随机种子 {seed}）："
             "回报 **{ret:.0f}**。"),
    "stopped": ("**stopped at the time limit** after {episodes} episodes. The GIF shows the network just trained, "
                "acting greedily (env seed {seed}): return **{ret:.0f}**.",
                "**已到时间上限，训练停止**，共训练了 {episodes} 个回合。GIF 展示的是刚训练好的网络按贪心策略行动"
                "（环境随机种子 {seed}）：回报 **{ret:.0f}**。"),
}


def load_agent():
    from models.cache import load_model
    from models.dqn import QNetwork
    from models.persistence import from_pretrained, weights_dir

    try:
        return load_model("dqn", lambda: from_pretrained(QNetwork, weights_dir("dqn")))
    except FileNotFoundError:
        raise missing_weights("dqn") from None


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


# the live curve's series names (shown as text by the browser's plot, so both languages whatever the fonts)
CURVES = ("episode return · 回合回报", "mean of last 10 · 最近 10 回合的平均")
MOVES = {0: picture_text("push left", "向左推"), 1: picture_text("push right", "向右推"),
         "random": "  " + picture_text("(random)", "（随机）", ""), "end": picture_text("end", "结束")}


CAPTION_HEIGHT, CAPTION_SIZE = 22, 15


@functools.lru_cache(maxsize=64)
def _caption_piece(text: str) -> tuple[np.ndarray, float]:
    """A piece of a caption drawn once (coverage 0..255 [CAPTION_HEIGHT, w]) and its advance in pixels:
    drawing the whole caption anew for each of 251 frames took 0.6 s (the Chinese glyphs)."""
    from PIL import Image, ImageDraw

    font = text_font(CAPTION_SIZE)
    advance = font.getlength(text)
    mask = Image.new("L", (int(advance) + 4, CAPTION_HEIGHT))
    ImageDraw.Draw(mask).text((0, 2), text, fill=255, font=font)
    return np.asarray(mask), advance


def caption_coverage(pieces: list[str], width: int) -> np.ndarray:
    """The pieces written one after the other from x = 6: coverage in [0, 1], [CAPTION_HEIGHT, width]."""
    strip = np.zeros((CAPTION_HEIGHT, width), np.uint8)
    x = 6.0
    for piece in pieces:
        mask, advance = _caption_piece(piece)
        left = int(round(x))
        w = max(0, min(mask.shape[1], width - left))
        np.maximum(strip[:, left:left + w], mask[:, :w], out=strip[:, left:left + w])
        x += advance
    return strip / 255


def episode_gif(frames: np.ndarray, actions: np.ndarray, explored: np.ndarray) -> str:
    """Frames (every RENDER_EVERY-th step, models.dqn.PALETTE indices) -> an animated GIF file with the step and
    action written on each."""
    from PIL import Image

    from models.dqn import PALETTE, shade

    palette = [value for colour in PALETTE for value in colour]
    images = []
    for k, frame in enumerate(frames):
        t = min(k * RENDER_EVERY, len(actions))
        if t < len(actions):
            move = "   " + MOVES[int(actions[t])] + (MOVES["random"] if explored[t] else "")
            colour = "red" if explored[t] else "black"
        else:
            move, colour = "   " + MOVES["end"], "black"
        frame = frame.copy()
        # digits drawn one by one, so that each is drawn only once per process
        caption = shade(caption_coverage(["t = ", *str(t), move], frame.shape[1]), colour)
        frame[:CAPTION_HEIGHT] = np.maximum(frame[:CAPTION_HEIGHT], caption)
        image = Image.fromarray(frame, "P")
        image.putpalette(palette)
        images.append(image)
    fd, path = tempfile.mkstemp(suffix=".gif", prefix="cartpole-", dir=_gif_dir())
    os.close(fd)
    durations = [20 * RENDER_EVERY] * (len(images) - 1) + [1000]  # hold the last frame a second
    # optimize=False: Pillow's palette optimisation per frame cost 0.3 s an episode and saved 8% of the size
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=False)
    return path


def nice_ticks(lo: float, hi: float, count: int = 5) -> np.ndarray:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]."""
    raw = max(hi - lo, 1e-9) / count
    power = 10 ** np.floor(np.log10(raw))
    step = power * min((m for m in (1, 2, 5, 10) if m * power >= raw), default=10)
    return np.arange(np.ceil(lo / step) * step, hi + step * 0.001, step)


PLOT_SIZE, PLOT_SCALE = (640, 420), 2  # drawn at twice the size, then shrunk: smooth lines and text
BLUE, ORANGE, RED_DOT, GRID, INK = (78, 121, 167), (242, 142, 43), (214, 39, 40), (225, 225, 225), (40, 40, 40)


def q_value_plot(q: np.ndarray, actions: np.ndarray, explored: np.ndarray) -> np.ndarray:
    """Both actions' Q-values over the episode (top); below, their difference as bars coloured by the
    action taken (blue left, orange right; red dots: random actions). An RGB image, drawn with Pillow
    (matplotlib took 0.4-0.6 s of CPU per episode, more than the episode itself)."""
    from PIL import Image, ImageDraw

    k = PLOT_SCALE
    width, height = PLOT_SIZE[0] * k, PLOT_SIZE[1] * k
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small = text_font(11 * k), text_font(9 * k)
    n = len(actions)
    left, right, x_axis = 78 * k, width - 12 * k, height - 40 * k
    panels = {"top": (8 * k, int(x_axis * 0.58)), "bottom": (int(x_axis * 0.58) + 8 * k, x_axis)}
    gap = q[:, 1] - q[:, 0]  # > 0: the network prefers pushing right
    x_of = lambda step: left + (step + 0.5) / max(n, 1) * (right - left)  # noqa: E731

    def panel(name, values, label_lines):
        """Frame, grid and y ticks of a panel; returns its value -> row mapping."""
        top, bottom = panels[name]
        lo, hi = float(np.min(values)), float(np.max(values))
        pad = 0.06 * (hi - lo or 1.0)
        lo, hi = lo - pad, hi + pad
        y_of = lambda v: bottom - (v - lo) / (hi - lo) * (bottom - top)  # noqa: E731
        for tick in nice_ticks(lo, hi, 4):
            y = y_of(tick)
            draw.line([(left, y), (right, y)], fill=GRID, width=k)
            draw.text((left - 6 * k, y), f"{tick:g}", fill=INK, font=small, anchor="rm")
        draw.rectangle([left, top, right, bottom], outline=(150, 150, 150), width=k)
        label = Image.new("RGB", (bottom - top, 30 * k), "white")  # the y label, written sideways
        ImageDraw.Draw(label).multiline_text(((bottom - top) // 2, 15 * k), "\n".join(label_lines), fill=INK,
                                             font=small, anchor="mm", align="center")
        image.paste(label.rotate(90, expand=True), (4 * k, top))
        return y_of

    y_top = panel("top", q, [picture_text("Q-value", "Q 值")])
    points = [x_of(i) for i in range(n)]
    for column, colour in ((0, BLUE), (1, ORANGE)):
        draw.line([(x, y_top(v)) for x, v in zip(points, q[:, column])], fill=colour, width=3 * k // 2 + 1,
                  joint="curve")
    legend_y = panels["top"][1] - 14 * k  # lower left, as before
    for row, (colour, text) in enumerate(((BLUE, picture_text("Q(s, push left)", "向左推")),
                                          (ORANGE, picture_text("Q(s, push right)", "向右推")))):
        y = legend_y - (1 - row) * 14 * k
        draw.line([(left + 8 * k, y), (left + 26 * k, y)], fill=colour, width=2 * k)
        draw.text((left + 32 * k, y), text, fill=INK, font=small, anchor="lm")

    y_bottom = panel("bottom", np.append(gap, 0.0), ["Q(right) - Q(left)",
                                                     picture_text("bar = action", "柱色 = 动作", "\n")])
    zero, bar = y_bottom(0.0), (right - left) / max(n, 1)
    for i, value in enumerate(gap):  # one bar per step, coloured by the action taken
        x0, x1, y = int(left + i * bar), int(left + (i + 1) * bar), y_bottom(value)  # touching, no gaps
        draw.rectangle([x0, min(y, zero), max(x0, x1 - 1), max(y, zero)], fill=ORANGE if actions[i] == 1 else BLUE)
    draw.line([(left, zero), (right, zero)], fill=(85, 85, 85), width=k)
    for i in np.flatnonzero(explored):
        x, y = points[i], y_bottom(gap[i])
        draw.ellipse([x - 2 * k, y - 2 * k, x + 2 * k, y + 2 * k], fill=RED_DOT)
    if explored.any():
        x, y = right - 120 * k, panels["bottom"][0] + 12 * k
        draw.ellipse([x - 3 * k, y - 3 * k, x + 3 * k, y + 3 * k], fill=RED_DOT)
        draw.text((x + 8 * k, y), picture_text("random action", "随机动作"), fill=INK, font=small, anchor="lm")

    for tick in nice_ticks(0, max(n - 1, 1), 6):  # the shared time axis
        if tick <= n - 1:
            x = x_of(tick)
            draw.line([(x, x_axis), (x, x_axis + 4 * k)], fill=INK, width=k)
            draw.text((x, x_axis + 6 * k), f"{tick:g}", fill=INK, font=small, anchor="mt")
    draw.text(((left + right) // 2, height - 4 * k), picture_text("time step", "时间步"), fill=INK, font=font,
              anchor="mb")
    return np.asarray(image.resize(PLOT_SIZE, Image.Resampling.BOX))


def play_cartpole_episode(seed=0, policy="trained", epsilon=0.1):
    """Play one CartPole episode (balance a pole on a cart, up to 500 steps) with the trained DQN agent or a baseline.

    Args:
        seed: Environment seed (the start position).
        policy: "trained" (the DQN's greedy actions), "epsilon-greedy" (random actions with probability epsilon) or "random".
        epsilon: Probability of a random action for "epsilon-greedy" (0-1).

    Returns:
        The episode as an animated GIF, a plot of the agent's Q-values (left/right) over the episode, and a
        summary (return, whether the pole fell).
    """
    from models.dqn import run_episode

    seed = check_number(seed, "Seed", *LIMITS["seed"], integer=True)
    policy = check_choice(policy, "Policy", list(POLICIES))
    epsilon = check_number(epsilon, "ε", *LIMITS["epsilon"])
    epsilon = {"trained": 0.0, "random": 1.0}.get(policy, epsilon)
    episode = run_episode(load_agent(), seed, epsilon, render_every=RENDER_EVERY)
    steps = len(episode["actions"])
    outcome = fill(STATUS["fell"], steps=steps) if episode["terminated"] else STATUS["stayed_up"]
    random_share = fill(STATUS["random"], share=episode["random"].mean()) if epsilon > 0 else ("", "")
    summary = "\n\n".join(template.format(ret=episode["return"], outcome=text, random=share)
                          for template, text, share in zip(STATUS["episode"], outcome, random_share))
    return (episode_gif(episode["frames"], episode["actions"], episode["random"]),
            q_value_plot(episode["q"], episode["actions"], episode["random"]), summary)


# --- training from scratch, live -------------------------------------------------------------
def curve_frame(steps: list[int], returns: list[float]):
    import pandas as pd

    smooth = [float(np.mean(returns[max(0, i - 9): i + 1])) for i in range(len(returns))]
    return pd.concat([pd.DataFrame({"step": steps, "return": returns, "series": CURVES[0]}),
                      pd.DataFrame({"step": steps, "return": smooth, "series": CURVES[1]})],
                     ignore_index=True)


def train_dqn_from_scratch(steps=20_000, learning_rate=0.002, seed=0):
    """Train a fresh DQN agent on CartPole for a number of environment steps (at most 30 s), streaming the learning curve.

    Args:
        steps: Environment steps to train for (1,000-20,000).
        learning_rate: Adam learning rate (0.00001-0.05).
        seed: Random seed: the same seed gives the same run.

    Returns:
        Streamed about every 0.5 s: the learning curve (episode returns), a status, and at the end a GIF of one
        episode played by the trained agent (empty until then).
    """
    from models.dqn import LIVE_CONFIG, dqn_training, run_episode

    steps = check_number(steps, "Training steps", *LIMITS["steps"], integer=True)
    learning_rate = check_number(learning_rate, "Learning rate", *LIMITS["lr"])
    seed = check_number(seed, "Seed", *LIMITS["seed"], integer=True)
    config = dict(LIVE_CONFIG, total_steps=steps, learning_rate=learning_rate, buffer_size=steps)
    at, returns, last, model = [], [], 0.0, None
    line = ("", "")
    for step, episode_return, epsilon, model, loss in dqn_training(config, seed, max_seconds=MAX_TRAIN_SECONDS):
        at.append(step)
        returns.append(episode_return)
        line = fill(STATUS["training"], step=step, steps=steps, episode=len(returns), ret=episode_return,
                       mean=np.mean(returns[-10:]), epsilon=epsilon, loss=loss)
        if time.monotonic() - last > UPDATE_SECONDS:
            yield curve_frame(at, returns), f"{line[0]}\n\n{line[1]}", None
            last = time.monotonic()
    if model is None:
        raise error("No episode finished within the training budget.", "在训练预算内没有完成任何一个回合。")
    model.eval()
    episode = run_episode(model, seed, 0.0, render_every=RENDER_EVERY)
    done = fill(STATUS["stopped" if at[-1] < steps - 500 else "done"], episodes=len(returns), seed=seed,
                   ret=episode["return"])
    status = f"{line[0]}\n\n{done[0]}\n\n{line[1]}\n\n{done[1]}"
    yield curve_frame(at, returns), status, episode_gif(episode["frames"], episode["actions"], episode["random"])


TEXT = {
    "en": {
        "dqn.title": "DQN",
        "dqn.intro": """
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
""",
        "dqn.principle": r"""
**What it computes.** The optimal action value obeys the Bellman equation
$Q^*(s,a) = \mathbb{E}\big[r + \gamma \max_{a'} Q^*(s', a')\big]$. A network $Q_\theta$ (here 4 → 120 → 84 → 2, ReLU)
approximates it and the agent picks $a = \arg\max_a Q_\theta(s, a)$. For a transition $(s, a, r, s')$ the
*temporal-difference* (TD) target and loss are
$$y = r + \gamma\,(1 - \text{done})\,\max_{a'} Q_{\bar\theta}(s', a'), \qquad
\mathcal{L}(\theta) = \mathrm{Huber}\big(Q_\theta(s,a) - y\big),\quad
\mathrm{Huber}(\delta) = \begin{cases}\tfrac12\delta^2 & |\delta| \le 1\\ |\delta| - \tfrac12 & \text{otherwise}\end{cases}$$
with $\gamma = 0.99$. $Q_{\bar\theta}$ is the **target network**, a copy of $Q_\theta$ refreshed every 250 steps,
so the target does not move with every update; the Huber loss keeps large TD errors from producing huge gradients.

**How it is trained.** The agent plays CartPole ε-greedily (ε falls from 1 to 0.02 over the first 10% of the
100,000 steps) and stores every transition in a **replay buffer** of 50,000; every 4 steps Adam takes a gradient
step on a random batch of 128, which breaks the correlation between consecutive steps. The checkpoint with the best
greedy return on held-out start states is kept.

**Strengths and weaknesses.** Learns from reward alone and reuses experience efficiently; but it only handles
discrete actions, the max over noisy estimates over-estimates Q, and training is unstable and sensitive to
hyper-parameters (try a few seeds below).

**Where it is used.** Atari games (its famous debut), and as the basis of Double/Dueling DQN and Rainbow; value-based
RL for recommendation, scheduling and control. The Q-value plot below shows $Q_\theta(s_t, \text{left})$ and
$Q_\theta(s_t, \text{right})$ at every step of the episode.
""",
        "dqn.policy": "Policy",
        "dqn.trained": "trained (greedy)",
        "dqn.epsilon-greedy": "ε-greedy",
        "dqn.random": "random",
        "dqn.epsilon": "ε (for ε-greedy)",
        "dqn.seed": "Episode seed (start state)",
        "dqn.play": "Run an episode",
        "dqn.examples": "Try",
        "dqn.video": "Episode (GIF, real time)",
        "dqn.q_plot": "Q-values and actions",
        "dqn.train_intro": "### Train from scratch\nA new network with a small budget (at most "
                           f"{LIMITS['steps'][1]:,} steps or {MAX_TRAIN_SECONDS} s). The shipped agent trained the "
                           "same way for 100,000 steps; short runs are often unstable, a property of DQN.",
        "dqn.steps": "Training steps",
        "dqn.lr": "Learning rate (Adam)",
        "dqn.train_seed": "Seed",
        "dqn.train": "Train from scratch",
        "dqn.curve": "Learning curve",
        "dqn.trained_video": "The freshly trained agent",
    },
    "zh-CN": {
        "dqn.title": "DQN 深度Q网络",
        "dqn.intro": """
**深度 Q 学习**（Mnih 等，2015）只凭奖励学会行动。网络估计 `Q(s, a)`：在状态 `s`（小车的位置和速度、杆的角度和角速度）
下采取动作 `a`（把小车向左推或向右推）之后能得到的未来总奖励。它从自己的试玩中学习：状态转移 `(s, a, r, s')` 被存进
**经验回放**缓冲区，再随机取出一批，用 Huber 损失把 `Q(s, a)` 拉向 `r + γ·max_a' Q_target(s', a')`（γ = 0.99）；
**目标网络** `Q_target` 是一份冻结的副本，每隔几百步更新一次，免得目标追着自己跑。训练时它按 **ε-贪心** 行动：以概率 ε
随机选动作，否则选 Q 值较大的动作。CartPole 中杆每多立住一步得 +1 分，最多 500 分。

- **回合**：gymnasium 渲染的小车画面、总回报，以及每一步两个动作的 Q 值：智能体朝 Q 值较大的方向推（柱状图：两者之差，
  颜色表示实际采取的动作）。Q 值高而平稳表示“我预计能让杆立很久”；杆快要倒时它会下降。试试随机策略或较大的 ε，
  看 Q 值如何先于杆倒下而下降。
- **从零开始训练**：一个全新的网络、很小的训练预算；曲线显示每个回合的回报逐渐上升。
""",
        "dqn.principle": r"""
**计算什么。** 最优动作价值满足贝尔曼方程 $Q^*(s,a) = \mathbb{E}\big[r + \gamma \max_{a'} Q^*(s', a')\big]$。
网络 $Q_\theta$（这里是 4 → 120 → 84 → 2，ReLU）去逼近它，智能体选择 $a = \arg\max_a Q_\theta(s, a)$。
对一次状态转移 $(s, a, r, s')$，**时序差分**（TD）目标和损失为
$$y = r + \gamma\,(1 - \text{done})\,\max_{a'} Q_{\bar\theta}(s', a'), \qquad
\mathcal{L}(\theta) = \mathrm{Huber}\big(Q_\theta(s,a) - y\big),\quad
\mathrm{Huber}(\delta) = \begin{cases}\tfrac12\delta^2 & |\delta| \le 1\\ |\delta| - \tfrac12 & \text{否则}\end{cases}$$
其中 $\gamma = 0.99$。$Q_{\bar\theta}$ 是**目标网络**，即 $Q_\theta$ 的副本，每 250 步同步一次，这样目标不会随每次更新而移动；
Huber 损失则避免很大的 TD 误差产生过大的梯度。

**怎样训练。** 智能体以 ε-贪心的方式玩 CartPole（在 10 万步的前 10% 中，ε 从 1 降到 0.02），把每次状态转移存入容量为
5 万的**经验回放**缓冲区；每 4 步用 Adam 在随机抽取的 128 条经验上做一次梯度更新，从而打破相邻步骤之间的相关性。
最后保留在留出的初始状态上贪心回报最高的检查点。

**优点与不足。** 只凭奖励就能学习，并能高效地重复利用经验；但只适用于离散动作，对有噪声的估计取最大值会高估 Q 值，
而且训练不稳定、对超参数敏感（可以在下方多试几个随机种子）。

**应用场景。** Atari 游戏（它一举成名的地方），也是 Double DQN、Dueling DQN 和 Rainbow 的基础；基于价值的强化学习还用于
推荐、调度和控制。下方的 Q 值图显示回合中每一步的 $Q_\theta(s_t, \text{左})$ 和 $Q_\theta(s_t, \text{右})$。
""",
        "dqn.policy": "策略",
        "dqn.trained": "训练好的（贪心）",
        "dqn.epsilon-greedy": "ε-贪心",
        "dqn.random": "随机",
        "dqn.epsilon": "ε（用于 ε-贪心）",
        "dqn.seed": "回合随机种子（初始状态）",
        "dqn.play": "运行一个回合",
        "dqn.examples": "试一试",
        "dqn.video": "回合画面（GIF，实时速度）",
        "dqn.q_plot": "Q 值与动作",
        "dqn.train_intro": "### 从零开始训练\n一个全新的网络，训练预算很小（最多 "
                           f"{LIMITS['steps'][1]:,} 步或 {MAX_TRAIN_SECONDS} 秒）。本站提供的智能体用同样的方法训练了 "
                           "100,000 步；短时间的训练常常不稳定，这是 DQN 本身的特点。",
        "dqn.steps": "训练步数",
        "dqn.lr": "学习率（Adam）",
        "dqn.train_seed": "随机种子",
        "dqn.train": "从零开始训练",
        "dqn.curve": "学习曲线",
        "dqn.trained_video": "刚训练好的智能体",
    },
}


def build() -> None:
    gr.Markdown(t("dqn.intro"))
    principle("dqn.principle")
    with gr.Row():
        with gr.Column(scale=1, min_width=240):
            policy = gr.Radio([(t(f"dqn.{key}"), key) for key in POLICIES], value="trained", label=t("dqn.policy"))
            epsilon = gr.Slider(*LIMITS["epsilon"], value=0.2, step=0.01, label=t("dqn.epsilon"))
            seed = gr.Number(value=0, precision=0, minimum=0, label=t("dqn.seed"))
            play_btn = gr.Button(t("dqn.play"), variant="primary")
            # example labels are shown as they are (Gradio does not translate them): both languages
            gr.Examples([[0, "trained", 0.2], [3, "epsilon-greedy", 0.3], [7, "random", 0.2]],
                        [seed, policy, epsilon], label=t("dqn.examples"),
                        example_labels=["trained, seed 0 · 训练好的，种子 0", "ε-greedy, ε = 0.3 · ε-贪心",
                                        "random, seed 7 · 随机，种子 7"])
            summary = gr.Markdown()
        with gr.Column(scale=2):
            with gr.Row():
                video = gr.Image(label=t("dqn.video"), type="filepath", interactive=False)
                q_plot = gr.Image(label=t("dqn.q_plot"), interactive=False)
    play_btn.click(play_cartpole_episode, [seed, policy, epsilon], [video, q_plot, summary], api_name="dqn_episode", **HEAVY)

    gr.Markdown(t("dqn.train_intro"))
    with gr.Row():
        with gr.Column(scale=1, min_width=240):
            steps = gr.Slider(*LIMITS["steps"], value=20_000, step=1_000, label=t("dqn.steps"))
            learning_rate = gr.Slider(0.0001, 0.01, value=0.002, step=0.0001, label=t("dqn.lr"))
            train_seed = gr.Number(value=0, precision=0, minimum=0, label=t("dqn.train_seed"))
            train_btn = gr.Button(t("dqn.train"), variant="primary")
        with gr.Column(scale=2):
            curve = gr.LinePlot(x="step", y="return", color="series", title=t("dqn.curve"),
                                y_title="episode return · 回合回报", height=300)
            train_status = gr.Markdown()
            trained_video = gr.Image(label=t("dqn.trained_video"), type="filepath", interactive=False)
    train_btn.click(train_dqn_from_scratch, [steps, learning_rate, train_seed], [curve, train_status, trained_video],
                    api_name="dqn_train", **HEAVY)
    model_card("dqn")
