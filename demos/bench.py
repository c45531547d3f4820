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
    from .detection import load_detector
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
        "sentiment-lstm": lambda: load_sentiment_model("lstm"),
        "sentiment-rnn": lambda: load_sentiment_model("rnn"),
        "word2vec": load_hub_vectors,
        "gpt (+ tokenizer)": load_language_model,
        "gnn Cora (GCN + MLP + view)": lambda: graph_view("Cora"),
        "dqn": load_agent,
        "gan-mnist": lambda: load_gan("mnist"),
        "gan-fashion": lambda: load_gan("fashion"),
        "ddpm-mnist (diffusers pipeline)": lambda: load_ddpm("mnist"),
    }


def handler_cases() -> dict:
    """Endpoint -> (zero-argument call, budget in ms or None). Streaming handlers are run to the end."""
    from .cnn import predict_digit_cnn
    from .dnn import predict_digit_mlp, train_playground
    from .diffusion import sample_stream
    from .dqn import play_episode
    from .gan import sample_grid
    from .gnn import classify_graph, inspect_node
    from .lstm import predict_sentiment
    from .resnet import resnet_predict
    from .detection import detect_digits_in_drawing, draw_text
    from .samples import sketchpad_value
    from .transformer import generate_text, inspect_model
    from .word2vec import nearest_neighbors, word_analogy

    digit = _digit_input()
    number_drawing = sketchpad_value(draw_text("12+34"))
    return {
        "cnn_predict": (lambda: predict_digit_cnn(digit), 30),
        "dnn_predict": (lambda: predict_digit_mlp(digit), 30),
        "dnn_train (moons, 300 epochs, streamed)": (lambda: list(train_playground()), 10_000),
        "resnet_predict (top-5 + Grad-CAM)": (lambda: resnet_predict(str(FASHION_EXAMPLE), "resnet"), 30),
        "resnet_predict lightweight": (lambda: resnet_predict(str(FASHION_EXAMPLE), "lightweight"), 30),
        "detection_detect (840x280 drawing of 12+34, detector + baseline + heatmaps)": (
            lambda: detect_digits_in_drawing(number_drawing), 150),
        "lstm_predict": (lambda: predict_sentiment("Not bad at all, the best film I have seen this year."), 50),
        "word2vec_neighbors": (lambda: nearest_neighbors("movie", 10), 100),
        "word2vec_analogy": (lambda: word_analogy("king", "man", "woman", 5), 100),
        "gpt_generate first token (time to first streamed chunk)": (
            lambda: next(iter(generate_text("ROMEO:\n", 200))), 300),
        "gpt_generate (200 characters, streamed)": (lambda: list(generate_text("ROMEO:\n", 200)), 2_000),
        "gpt_inspect": (lambda: inspect_model("To be, or not to be", 2, 1), 300),
        "gnn_predict (Cora)": (lambda: classify_graph("Cora"), 1_000),
        "gnn_node": (lambda: inspect_node("Cora", 2155, 2), 300),
        "dqn_episode (trained, 500 steps, GIF)": (lambda: play_episode(0, "trained", 0.1), 3_000),
        "gan_sample (64 digits + discriminator scores)": (lambda: sample_grid("Digits (MNIST)", "all", 64, 0), 150),
        "diffusion_sample first frame (DDIM 50 x 16)": (
            lambda: next(iter(sample_stream("Digits (MNIST)", "all", "DDIM", 50, 16, 0))), 1_000),
        "diffusion_sample (DDIM 50 steps x 16 images, streamed)": (
            lambda: list(sample_stream("Digits (MNIST)", "all", "DDIM", 50, 16, 0)), 5_000),
    }


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def run(repeats: int = 30) -> dict:
    import torch

    from models.cache import get_cache

    results = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, torch threads {torch.get_num_threads()}",
               "startup_s": round(measure_startup(), 2), "cold_load_ms": {}, "handlers": {}}
    cache = get_cache()
    cache.clear()
    for name, load in model_loaders().items():
        start = time.perf_counter()
        load()
        results["cold_load_ms"][name] = round((time.perf_counter() - start) * 1000, 1)
    for name, (call, budget) in handler_cases().items():
        call()  # warm-up
        n = repeats if budget is None or budget <= 1000 else 3
        samples = []
        for _ in range(n):
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1000)
        p50, p95 = _percentiles(samples)
        results["handlers"][name] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "n": n, "budget_ms": budget,
                                     "within_budget": budget is None or p50 <= budget}
    results["rss_mb_all_models"] = round(_rss_mb(), 1)
    results["models_resident"] = cache.cached()
    return results


def print_table(results: dict) -> None:
    print(f"Machine: {results['machine']}")
    print(f"Start-up: {results['startup_s']} s (budget {STARTUP_BUDGET_S} s)")
    print(f"RSS with all models loaded: {results['rss_mb_all_models']} MB (budget {RSS_BUDGET_MB} MB)")
    print("\n| model | cold load (ms) |\n|---|---|")
    for name, ms in results["cold_load_ms"].items():
        print(f"| {name} | {ms} |")
    print("\n| handler | p50 (ms) | p95 (ms) | budget (ms) | n |\n|---|---|---|---|---|")
    for name, r in results["handlers"].items():
        print(f"| {name} | {r['p50_ms']} | {r['p95_ms']} | {r['budget_ms']} | {r['n']} |")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from app import configure_threads

    configure_threads()  # measure handlers as app.py serves them
    report = run()
    print_table(report)
    print(json.dumps(report))
