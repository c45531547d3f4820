"""DQN tab: episodes with each policy, the live training stream, bad input, and the model's contract."""
import json
import subprocess
import sys
import time

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image

import demos.dqn as dqn
from conftest import ROOT
from demos.dqn import play_cartpole_episode, train_dqn_from_scratch
from models.dqn import LIVE_CONFIG, QNetwork, ReplayBuffer, epsilon_at
from models.persistence import from_pretrained, save_pretrained

WEIGHTS = ROOT / "weights" / "dqn"


def _gif_frames(path):
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        return gif.n_frames, gif.size


def test_trained_agent_balances_the_pole():
    gif, q_plot, summary = play_cartpole_episode(0, "trained", 0.5)  # ε is ignored by the trained policy
    assert summary.startswith("**Return 500**") and "random" not in summary
    assert summary.endswith("\n\n**回报 500**：杆在全部 500 步中都没有倒下，达到了 CartPole-v1 的上限。")
    frames, size = _gif_frames(gif)
    assert frames == 500 // dqn.RENDER_EVERY + 1 and size == (300, 200)
    assert q_plot.ndim == 3 and q_plot.shape[2] == 3


def test_random_and_epsilon_policies():
    summary = play_cartpole_episode(1, "random", 0.0)[2]
    assert "100% of the actions were random" in summary
    assert int(summary.split("**Return ")[1].split("**")[0]) < 200
    summary = play_cartpole_episode(1, "epsilon-greedy", 0.3)[2]
    assert "of the actions were random" in summary


def test_episodes_are_seeded():
    a = play_cartpole_episode(5, "epsilon-greedy", 0.4)
    b = play_cartpole_episode(5, "epsilon-greedy", 0.4)
    c = play_cartpole_episode(6, "epsilon-greedy", 0.4)
    assert a[2] == b[2] and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_frames_match_gymnasiums_own_picture():
    """The numpy drawing of the cart (models.dqn.cartpole_frames) against gymnasium's pygame renderer at half
    size, for upright, leaning and off-centre states. (Speed: python -m demos.bench, not a test.)"""
    import os

    pytest.importorskip("pygame")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import gymnasium as gym

    from models.dqn import PALETTE, cartpole_frames

    env = gym.make("CartPole-v1", render_mode="rgb_array")
    env.reset(seed=0)
    states = np.array([[0, 0, 0, 0], [0.8, 0, 0.2, 0], [-1.5, 0, -0.19, 0], [2.3, 0, 0.05, 0]], np.float32)
    ours = np.array(PALETTE, np.uint8)[cartpole_frames(states)]
    for state, frame in zip(states, ours):
        env.unwrapped.state = state.astype(np.float64)
        theirs = env.render().reshape(200, 2, 300, 2, 3).mean(axis=(1, 3))
        difference = np.abs(frame.astype(float) - theirs)
        assert difference.mean() < 3 and (difference > 60).mean() < 0.005, state
    env.close()


def test_old_gifs_are_cleaned_up(tmp_path, monkeypatch):
    monkeypatch.setattr(dqn.tempfile, "gettempdir", lambda: str(tmp_path))
    old = tmp_path / "dlhub-dqn" / "cartpole-old.gif"
    old.parent.mkdir()
    old.write_bytes(b"GIF89a")
    import os
    os.utime(old, (0, 0))
    path = play_cartpole_episode(3, "random", 0.0)[0]
    assert not old.exists() and path.startswith(str(tmp_path))


@pytest.mark.parametrize("args, message", [
    ((-1, "trained", 0.1), "Seed must be between"),
    ((None, "trained", 0.1), "Seed must be a number"),
    ((float("nan"), "trained", 0.1), "Seed must be between"),
    ((2**40, "trained", 0.1), "Seed must be between"),
    (("zero", "trained", 0.1), "Seed must be a number"),
    ((0, "greedy", 0.1), "Policy must be one of"),
    ((0, None, 0.1), "Policy must be one of"),
    ((0, "epsilon-greedy", 1.5), "ε must be between 0.0 and 1.0"),
    ((0, "epsilon-greedy", -0.1), "ε must be between"),
    ((0, "epsilon-greedy", None), "ε must be a number"),
])
def test_bad_episode_requests(args, message):
    with pytest.raises(gr.Error, match=message):
        play_cartpole_episode(*args)


# --- training from scratch ----------------------------------------------------------------
def test_train_from_scratch_streams_a_curve_then_shows_the_agent():
    outputs = list(train_dqn_from_scratch(3000, 0.002, 0))
    curve, status, gif = outputs[-1]
    assert set(curve.columns) == {"step", "return", "series"}
    assert set(curve["series"]) == {"episode return · 回合回报", "mean of last 10 · 最近 10 回合的平均"}
    assert curve["step"].max() <= 3000 and "**done**" in status
    assert status.index("**done**") < status.index("**完成**，共训练了") and "TD 损失" in status
    assert _gif_frames(gif)[0] >= 2
    assert all(out[2] is None for out in outputs[:-1])


def test_train_from_scratch_is_seeded():
    a = list(train_dqn_from_scratch(1500, 0.002, 4))[-1]
    b = list(train_dqn_from_scratch(1500, 0.002, 4))[-1]
    assert a[0].equals(b[0]) and a[1] == b[1]


def test_train_from_scratch_respects_the_time_limit(monkeypatch):
    monkeypatch.setattr(dqn, "MAX_TRAIN_SECONDS", 0.5)
    start = time.perf_counter()
    status = list(train_dqn_from_scratch(20000, 0.002, 0))[-1][1]
    # 20,000 steps take ~10x longer than 0.5 s; the time check is only a generous safety net against a hang
    assert "stopped at the time limit" in status and time.perf_counter() - start < 120


@pytest.mark.parametrize("args, message", [
    ((10, 0.002, 0), "Training steps must be between 1000 and 20000"),
    ((10**9, 0.002, 0), "Training steps must be between"),
    ((None, 0.002, 0), "Training steps must be a number"),
    ((2000, 0, 0), "Learning rate must be between"),
    ((2000, 10.0, 0), "Learning rate must be between"),
    ((2000, float("nan"), 0), "Learning rate must be between"),
    ((2000, 0.002, None), "Seed must be a number"),
])
def test_bad_training_requests(args, message):
    with pytest.raises(gr.Error, match=message):
        next(train_dqn_from_scratch(*args))


# --- the model's parts and contract -------------------------------------------------------------
def test_replay_buffer_wraps_around_and_samples_with_its_generator():
    buffer = ReplayBuffer(5)
    for i in range(7):
        buffer.add(np.full(4, i), np.full(4, i + 1), i % 2, 1.0, i == 6)
    assert len(buffer) == 5 and buffer.obs[0, 0] == 5 and buffer.obs[1, 0] == 6 and buffer.dones[1] == 1
    a = buffer.sample(8, np.random.default_rng(0))
    b = buffer.sample(8, np.random.default_rng(0))
    assert all(torch.equal(x, y) for x, y in zip(a, b)) and a[0].shape == (8, 4)


def test_epsilon_schedule():
    config = dict(LIVE_CONFIG, total_steps=1000, exploration_fraction=0.5)
    assert epsilon_at(0, config) == 1.0
    assert epsilon_at(250, config) == pytest.approx((1.0 + config["end_epsilon"]) / 2)
    assert epsilon_at(500, config) == pytest.approx(config["end_epsilon"]) and epsilon_at(1000, config) == config["end_epsilon"]


def test_qnetwork_roundtrip_and_seeded_init(tmp_path):
    a = QNetwork(hidden=[16], generator=torch.Generator().manual_seed(1))
    b = QNetwork(hidden=[16], generator=torch.Generator().manual_seed(1))
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))
    save_pretrained(a, tmp_path, {"hidden": [16]})
    loaded = from_pretrained(QNetwork, tmp_path)
    obs = torch.rand(3, 4)
    assert torch.equal(a(obs), loaded(obs))


def test_shipped_weights_and_card():
    metrics = json.loads((WEIGHTS / "metrics.json").read_text())
    assert metrics["mean_return"] >= 475 and metrics["episodes"] == 100
    card = (WEIGHTS / "README.md").read_text()
    assert "python -m models train dqn" in card and f"| mean_return | {metrics['mean_return']} |" in card
    assert {p.name for p in WEIGHTS.iterdir()} == {"config.json", "model.safetensors", "metrics.json", "README.md"}
    assert all(p.stat().st_size < 10 * 1024 * 1024 for p in WEIGHTS.iterdir())


def test_evaluate_command_prints_json_last_line():
    """100 greedy episodes, env seeds 0..99 (~7 s)."""
    out = subprocess.run([sys.executable, "-m", "models", "evaluate", "dqn"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, check=True).stdout
    metrics = json.loads(out.strip().splitlines()[-1])
    assert metrics["model"] == "dqn" and metrics["episodes"] == 100 and metrics["env_seeds"] == "0..99"
    assert metrics["mean_return"] >= 475
    shipped = json.loads((WEIGHTS / "metrics.json").read_text())
    assert metrics["mean_return"] == shipped["mean_return"] and metrics["min_return"] == shipped["min_return"]
