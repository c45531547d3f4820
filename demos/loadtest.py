"""A bounded load test on loopback: `python -m demos.loadtest [--clients 20] [--seconds 60]`.

Starts `python app.py` on a free local port (or uses --url), then N gradio_client
clients call a mix of the tabs' endpoints for a fixed time. Reports requests
served, errors, p50/p95 per endpoint, and the server's RSS after warm-up (every
endpoint once, then --warmup seconds at full concurrency: the working set of N
concurrent requests is not a leak) vs at the end. Traffic goes to 127.0.0.1
only, and stops by itself.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start_app() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("app.py did not start")


SENTENCES = ["Not bad at all, the best film I have seen this year.", "A tedious, joyless mess.",
             "Visually stunning but emotionally empty.", "I laughed, I cried, I loved every minute."]
FASHION = sorted((ROOT / "demos" / "examples" / "fashion").glob("*.png"))
WORDS = ["movie", "king", "science", "river", "happy", "music"]


def endpoint_calls(folder: Path) -> dict:
    """Endpoint -> a function(client) making one realistic call (inputs drawn by code)."""
    from gradio_client import handle_file
    from PIL import Image

    from demos.samples import draw_digit

    digits = []
    for d in range(10):
        path = folder / f"digit{d}.png"
        Image.fromarray(draw_digit(d)).save(path)
        digits.append(str(path))

    def sketch(d):
        return {"background": None, "layers": [], "composite": handle_file(digits[d])}

    return {
        "/cnn_predict": lambda c: c.predict(sketch(random.randrange(10)), api_name="/cnn_predict"),
        "/cnn_predict_image": lambda c: c.predict(handle_file(digits[random.randrange(10)]), api_name="/cnn_predict_image"),
        "/dnn_predict": lambda c: c.predict(sketch(random.randrange(10)), api_name="/dnn_predict"),
        "/dnn_train": lambda c: c.predict(random.choice(["moons", "circles", "xor", "spiral"]), 2, 16, "relu", 0.03,
                                          60, 200, 1.0, random.randrange(1000), api_name="/dnn_train"),
        "/resnet_predict": lambda c: c.predict(handle_file(str(random.choice(FASHION))), random.choice(
            ["resnet", "plain", "lightweight"]), api_name="/resnet_predict"),
        "/gan_sample": lambda c: c.predict("Digits (MNIST)", "all", 16, random.randrange(1000), 0.8,
                                           api_name="/gan_sample"),
        "/lstm_predict": lambda c: c.predict(random.choice(SENTENCES), api_name="/lstm_predict"),
        "/word2vec_neighbors": lambda c: c.predict(random.choice(WORDS), 10, "hub vectors",
                                                   api_name="/word2vec_neighbors"),
        "/gpt_generate": lambda c: c.predict("ROMEO:\n", 100, 0.8, 40, 0.95, random.randrange(1000),
                                             "Tiny Shakespeare GPT (this hub, characters)", api_name="/gpt_generate"),
        "/gnn_node": lambda c: c.predict(random.choice(["Cora", "CiteSeer"]), random.randrange(1000), 2,
                                         api_name="/gnn_node"),
        "/dqn_episode": lambda c: c.predict(random.randrange(1000), "trained", 0.1, api_name="/dqn_episode"),
    }


def _hammer(url: str, calls: dict, clients: int, seconds: float) -> tuple[dict, list[str]]:
    """`clients` gradio_client clients calling random endpoints for `seconds` -> (latencies ms, errors)."""
    from gradio_client import Client

    latencies: dict[str, list[float]] = {name: [] for name in calls}
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(seed: int):
        rng = random.Random(seed)
        client = Client(url, verbose=False)
        names = list(calls)
        while time.monotonic() < stop:
            name = rng.choice(names)
            start = time.perf_counter()
            try:
                calls[name](client)
                with lock:
                    latencies[name].append((time.perf_counter() - start) * 1000)
            except Exception as exc:  # count every failure, keep the load going
                with lock:
                    errors.append(f"{name}: {str(exc)[:200]}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def run(url: str, server_pid: int | None, clients: int, seconds: float, warmup: float = 60) -> dict:
    """Warm-up (every endpoint once, then `warmup` seconds at full concurrency, so that the models are
    loaded and the server has reached its working set), RSS, the measured run, RSS again."""
    from gradio_client import Client

    with tempfile.TemporaryDirectory() as tmp:
        calls = endpoint_calls(Path(tmp))
        warm = Client(url, verbose=False)
        for call in calls.values():
            call(warm)
        rss_single = _rss_mb(server_pid) if server_pid else None
        if warmup > 0:
            _, warm_errors = _hammer(url, calls, clients, warmup)
        else:
            warm_errors = []
        rss_start = _rss_mb(server_pid) if server_pid else None
        latencies, errors = _hammer(url, calls, clients, seconds)
        errors = warm_errors + errors
        rss_end = _rss_mb(server_pid) if server_pid else None

    def pct(samples, q):
        ordered = sorted(samples)
        return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1) if ordered else None

    per_endpoint = {name: {"n": len(s), "p50_ms": round(statistics.median(s), 1) if s else None, "p95_ms": pct(s, 0.95)}
                    for name, s in latencies.items()}
    served = sum(len(s) for s in latencies.values())
    report = {"clients": clients, "seconds": seconds, "served": served, "errors": len(errors),
              "error_examples": errors[:5], "endpoints": per_endpoint,
              "warmup_seconds": warmup,
              "rss_mb_models_loaded": round(rss_single, 1) if rss_single else None,
              "rss_mb_after_warmup": round(rss_start, 1) if rss_start else None,
              "rss_mb_end": round(rss_end, 1) if rss_end else None}
    if rss_start and rss_end:
        report["rss_growth_pct"] = round(100 * (rss_end - rss_start) / rss_start, 1)
    return report


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=60,
                        help="seconds at full concurrency before the RSS baseline is read")
    parser.add_argument("--url", default=None, help="test a running app on this machine instead of starting one")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 50 or not 1 <= args.seconds <= 600:
        parser.error("keep it bounded: 1-50 clients, 1-600 seconds")
    proc = None
    url = args.url
    if url is None:
        proc, url = start_app()
    elif not url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        parser.error("load tests only target this machine (loopback addresses)")
    try:
        report = run(url, proc.pid if proc else None, args.clients, args.seconds, args.warmup)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"{report['served']} requests served, {report['errors']} errors, {args.clients} clients, {args.seconds:.0f} s")
    print("| endpoint | n | p50 (ms) | p95 (ms) |\n|---|---|---|---|")
    for name, r in report["endpoints"].items():
        print(f"| {name} | {r['n']} | {r['p50_ms']} | {r['p95_ms']} |")
    if "rss_growth_pct" in report:
        print(f"server RSS {report['rss_mb_models_loaded']} MB with the models loaded, "
              f"{report['rss_mb_after_warmup']} MB after warm-up -> {report['rss_mb_end']} MB "
              f"({report['rss_growth_pct']:+.1f}%)")
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
