"""Benchmarks of the hub on the current machine: `python -m demos.bench`.

Measures app start-up (until the page answers), each model's cold-load time,
each handler's warm p50/p95 latency, and the process RSS with every bundled
model loaded. Prints a table, then one JSON line with every number.
"""
from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STARTUP_BUDGET_S = 8.0
FASHION_EXAMPLE = ROOT / "demos" / "examples" / "fashion" / "ankle_boot.png"
RSS_BUDGET_MB = 1536


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure_startup(timeout: float = 60.0) -> float:
    """Seconds from `python app.py` to the page answering HTTP 200."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1")
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.monotonic() - start < timeout:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                return time.monotonic() - start
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("app.py exited during start-up")
                time.sleep(0.1)
        raise TimeoutError("app.py did not answer within the timeout")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _digit_input():
    from .samples import draw_digit, sketchpad_value

    return sketchpad_value(draw_digit(3))


def model_loaders() -> dict:
    """Cache key -> a function that loads it through the shared cache (cold when the cache is empty)."""
    from .autoencoder.shipped import MODELS as AUTOENCODERS, load_autoencoder
    from .detection import load_detector, load_reader
    from .digits import load_digit_model
    from .diffusion import load_ddpm
    from .dqn import load_agent
    from .gan import load_gan
    from .gnn import graph_view
    from .lstm import load_sentiment_model
    from .resnet import load_fashion_model
    from .transformer import load_language_model
    from .word2vec import load_hub_vectors

    return {
        "digits-cnn": lambda: load_digit_model("cnn"),
        "digits-mlp": lambda: load_digit_model("mlp"),
        "fashion-resnet": lambda: load_fashion_model("resnet"),
        "fashion-plain": lambda: load_fashion_model("plain"),
        "fashion-lightweight": lambda: load_fashion_model("lightweight"),
        "detector": load_detector,
        "crop-reader": load_reader,
        "sentiment-lstm": lambda: load_sentiment_model("lstm"),
        "sentiment-rnn": lambda: load_sentiment_model("rnn"),
        "word2vec": load_hub_vectors,
        "gpt (+ tokenizer)": load_language_model,
        "gnn Cora (GCN + MLP + view)": lambda: graph_view("Cora"),
        "dqn": load_agent,
        "gan-mnist": lambda: load_gan("mnist"),
        "gan-fashion": lambda: load_gan("fashion"),
        "ddpm-mnist (diffusers pipeline)": lambda: load_ddpm("mnist"),
        **{name: (lambda name=name: load_autoencoder(name)) for name in AUTOENCODERS},
    }


def handler_cases() -> dict:
    """Endpoint -> (zero-argument call, budget in ms or None). Streaming handlers are run to the end."""
    from .autoencoder.live import autoencoder_train
    from .autoencoder.shipped import (autoencoder_decode, autoencoder_denoise, autoencoder_reconstruct,
                                      autoencoder_vae_grid)
    from .cnn import predict_digit_cnn
    from .cnn.symbols import DEFAULT_BUDGET, load_symbol_examples, train_symbols
    from .dnn import predict_digit_mlp, train_playground
    from .diffusion import sample_diffusion
    from .diffusion import sample_plane, train_diffusion_plane
    from .dqn import play_cartpole_episode
    from .gan import sample_gan_grid
    from .gan import train_gan_plane
    from .gnn import classify_citation_graph, inspect_graph_node
    from .lstm import predict_sentiment
    from .lstm.memory import lstm_memory_train
    from .resnet import resnet_predict
    from .resnet.depth import resnet_depth_train
    from .detection import detect_digits_in_drawing, draw_text
    from .samples import sketchpad_value
    from .transformer import generate_text, inspect_gpt_attention, train_gpt_on_text
    from .transformer.own import example_text
    from .word2vec import nearest_words, word_analogy

    digit = _digit_input()
    symbol_names, _, symbol_drawings, _, _ = load_symbol_examples()

    def train_symbols_example():
        return train_symbols(symbol_names, DEFAULT_BUDGET, 0, symbol_drawings)

    rhymes = example_text("nursery_rhymes.txt")
    denoiser = list(train_diffusion_plane("swissroll", "", 3e-3, 300, 30, 0))[-1][4]  # a session to sample from
    number_drawing = sketchpad_value(draw_text("12+34"))
    return {
        "cnn_predict": (lambda: predict_digit_cnn(digit), 30),
        "dnn_predict": (lambda: predict_digit_mlp(digit), 30),
        "cnn_symbols_train first update (example set: 20 drawings, 5 classes)": (
            lambda: next(iter(train_symbols_example())), 1_000),
        "cnn_symbols_train transfer accuracy (leave-one-out done)": (
            lambda: next(u for u in train_symbols_example() if "leave-one-out**" in u[0]), 5_000),
        f"cnn_symbols_train to the end ({DEFAULT_BUDGET:g} s budget, streamed)": (
            lambda: list(train_symbols_example()), 10_000),
        "dnn_train (moons, 300 epochs, 44 streamed frames)": (lambda: list(train_playground()), 1_500),
        "resnet_predict (top-5 + Grad-CAM)": (lambda: resnet_predict(str(FASHION_EXAMPLE), "resnet"), 30),
        "resnet_predict lightweight": (lambda: resnet_predict(str(FASHION_EXAMPLE), "lightweight"), 30),
        "detection_detect (840x280 drawing of 12+34, detector + baseline + heatmaps)": (
            lambda: detect_digits_in_drawing(number_drawing), 150),
        "lstm_predict": (lambda: predict_sentiment("Not bad at all, the best film I have seen this year."), 50),
        "resnet_depth_train first update (depth 32, default)": (lambda: next(iter(resnet_depth_train())), 2_000),
        "resnet_depth_train (depth 32, default: 30 s or 150 steps)": (lambda: list(resnet_depth_train()), 31_000),
        "lstm_memory_train first update (T = 50, default)": (lambda: next(iter(lstm_memory_train())), 2_000),
        "lstm_memory_train (T = 50, default: 30 s or 600 steps)": (lambda: list(lstm_memory_train()), 31_000),
        "word2vec_neighbors": (lambda: nearest_words("movie", 10), 100),
        "word2vec_analogy": (lambda: word_analogy("king", "man", "woman", 5), 100),
        "gpt_generate first token (time to first streamed chunk)": (
            lambda: next(iter(generate_text("ROMEO:\n", 200))), 300),
        "gpt_generate (200 characters, streamed)": (lambda: list(generate_text("ROMEO:\n", 200)), 2_000),
        "gpt_inspect": (lambda: inspect_gpt_attention("To be, or not to be", 2, 1), 300),
        "gpt_train_text first update (nursery rhymes, 3,919 characters)": (
            lambda: next(iter(train_gpt_on_text(rhymes, None, 30, 0))), 1_000),
        "gpt_train_text (nursery rhymes, 30 s budget, streamed to the end)": (
            lambda: list(train_gpt_on_text(rhymes, None, 30, 0)), 32_000),
        "gnn_predict (Cora)": (lambda: classify_citation_graph("Cora"), 1_000),
        "gnn_node": (lambda: inspect_graph_node("Cora", 2155, 2), 300),
        "dqn_episode (trained, 500 steps, GIF + Q-value plot)": (lambda: play_cartpole_episode(0, "trained", 0.1), 700),
        "gan_sample (64 digits + discriminator scores)": (lambda: sample_gan_grid("Digits (MNIST)", "all", 64, 0), 150),
        "diffusion_sample first frame (DDIM 50 x 16)": (
            lambda: next(iter(sample_diffusion("Digits (MNIST)", "all", "DDIM", 50, 16, 0))), 1_000),
        "diffusion_sample (DDIM 50 steps x 16 images, streamed)": (
            lambda: list(sample_diffusion("Digits (MNIST)", "all", "DDIM", 50, 16, 0)), 5_000),
        "gan2d_train first update (ring of 8, non-saturating)": (lambda: next(iter(train_gan_plane())), 1_000),
        "gan2d_train (default: ring of 8, 2,000 steps, streamed)": (lambda: list(train_gan_plane()), 20_000),
        "diffusion2d_train first update (swiss roll)": (lambda: next(iter(train_diffusion_plane())), 1_000),
        "diffusion2d_train (default: swiss roll, 3,000 steps, streamed)": (lambda: list(train_diffusion_plane()),
                                                                            20_000),
        "diffusion2d_sample (DDPM 100 steps x 500 points, streamed)": (
            lambda: list(sample_plane("DDPM", 20, 500, 0, denoiser)), 5_000),
        "autoencoder_reconstruct (4 models + 2 maps)": (lambda: autoencoder_reconstruct(digit), 100),
        "autoencoder_decode (one point + 2 maps)": (lambda: autoencoder_decode("VAE", 1.0, -0.5), 50),
        "autoencoder_vae_grid (15 x 15)": (lambda: autoencoder_vae_grid(15), 100),
        "autoencoder_denoise": (lambda: autoencoder_denoise(3, 0.5, 0), 50),
        "autoencoder_train first update (time to first streamed map)": (
            lambda: next(iter(autoencoder_train(10, "128", 0.003, 0))), 1_000),
        "autoencoder_train (10 s budget, streamed to the end)": (
            lambda: list(autoencoder_train(10, "128", 0.003, 0)), 12_000),
    }


def live_targets() -> dict:
    """The live sections' lessons, measured with their default budgets: the deep plain network ends above the
    residual one and above a shallow plain one; at T = 50 the LSTM learns and the RNN stays near chance."""
    from .lstm.memory import lstm_memory_train
    from .resnet.depth import resnet_depth_train

    def depth_run(depth, steps):
        *_, run = list(resnet_depth_train(depth=depth, max_steps=steps))[-1]
        return {"steps": run["config"]["steps"], "final_loss": run["config"]["final_loss"]}

    deep = depth_run(32, 150)
    shallow = depth_run(8, deep["steps"])  # the same number of steps as the deep pair managed
    memory = {}
    for distance in (50, 10):
        *_, run = list(lstm_memory_train(distance=distance))[-1]
        memory[f"T={distance}"] = {"steps": run["config"]["steps"], "accuracy": run["config"]["accuracy"]}
    return {"resnet_depth": {"depth 32": deep, "depth 8": shallow,
                             "plain_above_residual_at_32": deep["final_loss"]["plain"] > deep["final_loss"]["residual"],
                             "deep_plain_above_shallow_plain":
                                 deep["final_loss"]["plain"] > shallow["final_loss"]["plain"]},
            "lstm_memory": {**memory, "lstm_beats_rnn_at_50": memory["T=50"]["accuracy"]["lstm"] >= 0.95 > 2 * (
                memory["T=50"]["accuracy"]["rnn"])}}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def run(repeats: int = 30, only: str | None = None) -> dict:
    """Everything, or with `only` just the handlers whose name contains it (no start-up, cold loads, targets)."""
    import torch

    from models.cache import get_cache

    load_before = os.getloadavg()[0]
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}",
               "startup_s": None if only else round(measure_startup(), 2), "cold_load_ms": {}, "handlers": {}}
    cache = get_cache()
    if not only:
        cache.clear()
        for name, load in model_loaders().items():
            start = time.perf_counter()
            load()
            results["cold_load_ms"][name] = round((time.perf_counter() - start) * 1000, 1)
    for name, (call, budget) in handler_cases().items():
        if only and only not in name:
            continue
        call()  # warm-up
        n = repeats if budget is None or budget <= 1000 else 3
        samples, cpu = [], []
        for _ in range(n):
            start, cpu_start = time.perf_counter(), time.process_time()
            call()
            samples.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - cpu_start) * 1000)
        p50, p95 = _percentiles(samples)
        # CPU time too: on a busy machine the wall time is mostly waiting for a core, the CPU time is the cost
        results["handlers"][name] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                                     "cpu_p50_ms": round(statistics.median(cpu), 1), "n": n, "budget_ms": budget,
                                     "within_budget": budget is None or p50 <= budget}
    results["live_targets"] = None if only else live_targets()
    results["rss_mb_all_models"] = round(_rss_mb(), 1)
    results["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # other work on the machine
    results["models_resident"] = cache.cached()
    return results


def print_table(results: dict) -> None:
    print(f"Machine: {results['machine']}")
    print(f"Start-up: {results['startup_s']} s (budget {STARTUP_BUDGET_S} s)")
    print(f"RSS with all models loaded: {results['rss_mb_all_models']} MB (budget {RSS_BUDGET_MB} MB)")
    print("\n| model | cold load (ms) |\n|---|---|")
    for name, ms in results["cold_load_ms"].items():
        print(f"| {name} | {ms} |")
    print(f"Load average (1 min) before / after: {results['load_average'][0]} / {results['load_average'][1]}")
    print("\n| handler | p50 (ms) | p95 (ms) | CPU p50 (ms) | budget (ms) | n |\n|---|---|---|---|---|---|")
    for name, r in results["handlers"].items():
        print(f"| {name} | {r['p50_ms']} | {r['p95_ms']} | {r['cpu_p50_ms']} | {r['budget_ms']} | {r['n']} |")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from app import configure_threads

    import argparse

    parser = argparse.ArgumentParser(description="Start-up, cold loads, warm handler latency and RSS (a table and a "
                                                 "JSON last line).")
    parser.add_argument("--only", default=None, help="only the handlers whose name contains this text, e.g. detection")
    args = parser.parse_args()
    configure_threads()  # measure handlers as app.py serves them
    report = run(only=args.only)
    print_table(report)
    print(json.dumps(report))
