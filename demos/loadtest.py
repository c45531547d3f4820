"""A bounded load test on loopback: `python -m demos.loadtest [--clients 30] [--seconds 60]`.

Starts `python app.py` on a free local port (or uses --url), then N gradio_client clients act like a class of
students for a fixed time: each makes a call, reads the answer for a moment (--think seconds on average), and
calls again; a share of the calls (--heavy-share) are heavy (a training stream, an episode, sampling,
generation: the shared heavy pool), the rest light (classifiers, lookups). Calls in flight when the time is up
are waited for, so "completed" counts every call started. Reports light and heavy endpoints separately (p50/p95,
errors, completed), per-endpoint latencies, the server's RSS after warm-up (every endpoint once, then --warmup
seconds at full load: the working set of N concurrent requests is not a leak) vs at the end, and the machine's
load average before and after (other work on the machine slows everything). Traffic goes to 127.0.0.1 only, and
stops by itself.
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
THINK_SECONDS = 2.0   # mean pause between a client's calls (uniform in [0.5, 1.5] x this)
HEAVY_SHARE = 0.2     # share of the calls that are heavy
CLIENT_TIMEOUT_S = 120  # gradio_client's HTTP timeout (its default, 5 s, is shorter than a busy server's /info)


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_app() -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180  # a busy machine takes tens of seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("app.py did not start")


SENTENCES = ["Not bad at all, the best film I have seen this year.", "A tedious, joyless mess.",
             "Visually stunning but emotionally empty.", "I laughed, I cried, I loved every minute."]
FASHION = sorted((ROOT / "demos" / "examples" / "fashion").glob("*.png"))
WORDS = ["movie", "king", "science", "river", "happy", "music"]


def endpoint_calls(folder: Path) -> dict:
    """{"light": ..., "heavy": ...}: endpoint -> a function(client) making one realistic call (inputs drawn by code)."""
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

    light = {
        "/cnn_predict": lambda c: c.predict(sketch(random.randrange(10)), api_name="/cnn_predict"),
        "/cnn_predict_image": lambda c: c.predict(handle_file(digits[random.randrange(10)]), api_name="/cnn_predict_image"),
        "/dnn_predict": lambda c: c.predict(sketch(random.randrange(10)), api_name="/dnn_predict"),
        "/resnet_predict": lambda c: c.predict(handle_file(str(random.choice(FASHION))), random.choice(
            ["resnet", "plain", "lightweight"]), api_name="/resnet_predict"),
        "/gan_sample": lambda c: c.predict("Digits (MNIST)", "all", 16, random.randrange(1000), 0.8,
                                           api_name="/gan_sample"),
        "/lstm_predict": lambda c: c.predict(random.choice(SENTENCES), api_name="/lstm_predict"),
        "/word2vec_neighbors": lambda c: c.predict(random.choice(WORDS), 10, "hub vectors",
                                                   api_name="/word2vec_neighbors"),
        "/gpt_inspect": lambda c: c.predict("To be, or not to be", 1, 1, "Tiny Shakespeare GPT (this hub, characters)",
                                            api_name="/gpt_inspect"),
        "/gnn_node": lambda c: c.predict(random.choice(["Cora", "CiteSeer"]), random.randrange(1000), 2,
                                         api_name="/gnn_node"),
        "/diffusion_forward": lambda c: c.predict("Digits (MNIST)", random.randrange(100), random.randrange(1000), 0,
                                                  api_name="/diffusion_forward"),
    }
    # the tabs' defaults where a student would press the button as it is; smaller budgets for the long trainings
    heavy = {
        "/dnn_train": lambda c: c.predict(random.choice(["moons", "circles", "xor", "spiral"]), 2, 16, "relu", 0.03,
                                          300, 300, 1.0, random.randrange(1000), api_name="/dnn_train"),
        "/gpt_generate": lambda c: c.predict("ROMEO:\n", 100, 0.8, 40, 0.95, random.randrange(1000),
                                             "Tiny Shakespeare GPT (this hub, characters)", api_name="/gpt_generate"),
        "/dqn_episode": lambda c: c.predict(random.randrange(1000), "trained", 0.1, api_name="/dqn_episode"),
        "/diffusion_sample": lambda c: c.predict("Digits (MNIST)", "all", "DDIM", 20, 8, random.randrange(1000), 1.0,
                                                 api_name="/diffusion_sample"),
        "/gnn_karate_train": lambda c: c.predict(100, 0.01, random.randrange(1000), api_name="/gnn_karate_train"),
    }
    return {"light": light, "heavy": heavy}


def _hammer(url: str, calls: dict, clients: int, seconds: float, think: float, heavy_share: float):
    """`clients` gradio_client clients calling random endpoints for `seconds` (calls in flight at the end are
    waited for) -> (latencies ms per endpoint, errors per group, calls started per group)."""
    from gradio_client import Client

    latencies: dict[str, list[float]] = {name: [] for group in calls.values() for name in group}
    errors: dict[str, list[str]] = {group: [] for group in calls}
    started = {group: 0 for group in calls}
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(seed: int):
        rng = random.Random(seed)
        time.sleep(rng.uniform(0, think))  # the class does not arrive or click in step
        try:  # a student opening the page: a busy server may take a while to send its config and API info
            client = Client(url, verbose=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT_S})
        except Exception as exc:
            with lock:
                errors["light"].append(f"opening the app: {str(exc)[:200]}")
            return
        while time.monotonic() < stop:
            group = "heavy" if rng.random() < heavy_share else "light"
            name = rng.choice(sorted(calls[group]))
            with lock:
                started[group] += 1
            start = time.perf_counter()
            try:
                calls[group][name](client)
                with lock:
                    latencies[name].append((time.perf_counter() - start) * 1000)
            except Exception as exc:  # count every failure, keep the load going
                with lock:
                    errors[group].append(f"{name}: {str(exc)[:200]}")
            time.sleep(rng.uniform(0.5, 1.5) * think)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, started


def _pct(samples, q):
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1) if ordered else None


def run(url: str, server_pid: int | None, clients: int, seconds: float, warmup: float = 60,
        think: float = THINK_SECONDS, heavy_share: float = HEAVY_SHARE) -> dict:
    """Warm-up (every endpoint once, then `warmup` seconds of the same load, so that the models are loaded and
    the server has reached its working set), RSS, the measured run, RSS again."""
    from gradio_client import Client

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        calls = endpoint_calls(Path(tmp))
        warm = Client(url, verbose=False, httpx_kwargs={"timeout": CLIENT_TIMEOUT_S})
        for group in calls.values():
            for call in group.values():
                call(warm)
        rss_single = _rss_mb(server_pid) if server_pid else None
        warm_errors = _hammer(url, calls, clients, warmup, think, heavy_share)[1] if warmup > 0 else {}
        rss_start = _rss_mb(server_pid) if server_pid else None
        cpu_start, wall_start = (_cpu_seconds(server_pid) if server_pid else None), time.monotonic()
        latencies, errors, started = _hammer(url, calls, clients, seconds, think, heavy_share)
        rss_end = _rss_mb(server_pid) if server_pid else None
        # how many cores the server kept busy: what the load cost, whatever else ran on the machine
        server_cores = ((_cpu_seconds(server_pid) - cpu_start) / (time.monotonic() - wall_start)) if server_pid else None

    per_endpoint = {name: {"n": len(s), "p50_ms": round(statistics.median(s), 1) if s else None, "p95_ms": _pct(s, 0.95)}
                    for name, s in latencies.items()}
    groups = {}
    for group, names in calls.items():
        samples = [ms for name in names for ms in latencies[name]]
        groups[group] = {"started": started[group], "completed": len(samples), "errors": len(errors[group]),
                         "p50_ms": round(statistics.median(samples), 1) if samples else None,
                         "p95_ms": _pct(samples, 0.95), "error_examples": errors[group][:3]}
    all_errors = [e for group in errors.values() for e in group]
    warm_errors = [e for group in warm_errors.values() for e in group]
    report = {"clients": clients, "seconds": seconds, "think_seconds": think, "heavy_share": heavy_share,
              "served": sum(g["completed"] for g in groups.values()), "errors": len(all_errors),
              "warmup_errors": len(warm_errors), "error_examples": (all_errors + warm_errors)[:5],
              "light": groups["light"], "heavy": groups["heavy"], "endpoints": per_endpoint,
              "warmup_seconds": warmup, "cpus": os.cpu_count(),
              "server_cores_busy": round(server_cores, 2) if server_cores is not None else None,
              "load_average_before": [round(v, 2) for v in load_before],
              "load_average_after": [round(v, 2) for v in os.getloadavg()],
              "rss_mb_models_loaded": round(rss_single, 1) if rss_single else None,
              "rss_mb_after_warmup": round(rss_start, 1) if rss_start else None,
              "rss_mb_end": round(rss_end, 1) if rss_end else None}
    if rss_start and rss_end:
        report["rss_growth_pct"] = round(100 * (rss_end - rss_start) / rss_start, 1)
    return report


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=60,
                        help="seconds at full concurrency before the RSS baseline is read")
    parser.add_argument("--think", type=float, default=THINK_SECONDS,
                        help="mean seconds a client pauses between calls (0: back-to-back)")
    parser.add_argument("--heavy-share", type=float, default=HEAVY_SHARE, help="share of heavy calls (0-1)")
    parser.add_argument("--url", default=None, help="test a running app on this machine instead of starting one")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 50 or not 1 <= args.seconds <= 600 or not 0 <= args.think <= 60:
        parser.error("keep it bounded: 1-50 clients, 1-600 seconds, 0-60 s think time")
    if not 0 <= args.heavy_share <= 1:
        parser.error("--heavy-share is a share between 0 and 1")
    proc = None
    url = args.url
    if url is None:
        proc, url = start_app()
    elif not url.startswith(("http://127.", "http://localhost", "http://[::1]")):
        parser.error("load tests only target this machine (loopback addresses)")
    try:
        report = run(url, proc.pid if proc else None, args.clients, args.seconds, args.warmup, args.think,
                     args.heavy_share)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"{report['served']} requests served, {report['errors']} errors ({report['warmup_errors']} in warm-up), "
          f"{args.clients} clients, {args.seconds:.0f} s, think {args.think:g} s, heavy share {args.heavy_share:g}; "
          f"load average {report['load_average_before'][0]} before, {report['load_average_after'][0]} after "
          f"on {report['cpus']} CPUs; the server kept {report['server_cores_busy']} cores busy")
    print("| group | started | completed | errors | p50 (ms) | p95 (ms) |\n|---|---|---|---|---|---|")
    for group in ("light", "heavy"):
        r = report[group]
        print(f"| {group} | {r['started']} | {r['completed']} | {r['errors']} | {r['p50_ms']} | {r['p95_ms']} |")
    print("\n| endpoint | n | p50 (ms) | p95 (ms) |\n|---|---|---|---|")
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
