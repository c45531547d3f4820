"""A bounded load test on loopback: `python -m demos.loadtest [--clients 30] [--seconds 60]`.

Starts `python app.py` on a free local port (or uses --url), then N students use it the way a browser does: each
opens the page (one session: its own cookies and session hash, the config fetched once), makes a call through the
queue (uploads, then POST /gradio_api/queue/join and the session's event stream read to the result), reads the
answer for a moment (--think seconds on average), and calls again; a share of the calls (--heavy-share) are heavy
(a training stream, an episode, sampling, generation: the shared heavy pool), the rest light (classifiers,
lookups). One asyncio event loop drives every student, so the load generator costs a few hundredths of a core.
First every endpoint once, then --warmup seconds of the same load (models loaded, the class has opened the page,
the server has reached its working set), then the measured --seconds: only calls started then count, and calls in
flight at the end are waited for, so "completed" counts every call started. Reports light and heavy endpoints
separately (p50/p95, errors, completed), per-endpoint latencies, page opens, the server's RSS at the start and end
of the measured window, the cores the server and the load generator kept busy, and the machine's load average
before and after (other work on the machine slows everything). `--new-sessions N` instead measures what N one-off
API calls (each a new session) cost the server. Traffic goes to 127.0.0.1 only, and stops by itself.
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
CLIENT_TIMEOUT_S = 120  # HTTP timeout per request: a queued heavy call may wait a minute on a busy server


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


class Upload(str):
    """A local file the call uploads first (POST /gradio_api/upload), as the page does with a drawing or a photo."""


def endpoint_calls(folder: Path) -> dict:
    """{"light": ..., "heavy": ...}: endpoint -> a function(rng) giving one realistic call's inputs (drawn by code)."""
    from PIL import Image

    from demos.samples import draw_digit

    digits = []
    for d in range(10):
        path = folder / f"digit{d}.png"
        Image.fromarray(draw_digit(d)).save(path)
        digits.append(Upload(path))
    fashion = [Upload(p) for p in FASHION]

    def sketch(rng):  # what the Sketchpad sends: its layers flattened into one picture
        return {"background": None, "layers": [], "composite": rng.choice(digits)}

    gpt = "Tiny Shakespeare GPT (this hub, characters)"
    light = {
        "/cnn_predict": lambda r: [sketch(r)],
        "/cnn_predict_image": lambda r: [r.choice(digits)],
        "/dnn_predict": lambda r: [sketch(r)],
        "/resnet_predict": lambda r: [r.choice(fashion), r.choice(["resnet", "plain", "lightweight"])],
        "/gan_sample": lambda r: ["Digits (MNIST)", "all", 16, r.randrange(1000), 0.8],
        "/lstm_predict": lambda r: [r.choice(SENTENCES)],
        "/word2vec_neighbors": lambda r: [r.choice(WORDS), 10, "hub vectors"],
        "/gpt_inspect": lambda r: ["To be, or not to be", 1, 1, gpt],
        "/gnn_node": lambda r: [r.choice(["Cora", "CiteSeer"]), r.randrange(1000), 2],
        "/diffusion_forward": lambda r: ["Digits (MNIST)", r.randrange(100), r.randrange(1000), 0],
    }
    # the tabs' defaults where a student would press the button as it is; smaller budgets for the long trainings
    heavy = {
        "/dnn_train": lambda r: [r.choice(["moons", "circles", "xor", "spiral"]), 2, 16, "relu", 0.03, 300, 300, 1.0,
                                 r.randrange(1000)],
        "/gpt_generate": lambda r: ["ROMEO:\n", 100, 0.8, 40, 0.95, r.randrange(1000), gpt],
        "/dqn_episode": lambda r: [r.randrange(1000), "trained", 0.1],
        "/diffusion_sample": lambda r: ["Digits (MNIST)", "all", "DDIM", 20, 8, r.randrange(1000), 1.0],
        "/gnn_karate_train": lambda r: [100, 0.01, r.randrange(1000)],
    }
    return {"light": light, "heavy": heavy}


class CallFailed(Exception):
    pass


async def _upload(http, base: str, path: str) -> dict:
    with open(path, "rb") as f:
        response = await http.post(f"{base}gradio_api/upload", files=[("files", (Path(path).name, f.read()))])
    response.raise_for_status()
    return {"path": response.json()[0], "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


async def _with_uploads(http, base: str, value):
    if isinstance(value, Upload):
        return await _upload(http, base, value)
    if isinstance(value, dict):
        return {k: await _with_uploads(http, base, v) for k, v in value.items()}
    if isinstance(value, list):
        return [await _with_uploads(http, base, v) for v in value]
    return value


async def fn_indices(http, base: str) -> dict:
    """api_name -> (fn_index, which inputs are gr.State), from the app's config (what the page loads first)."""
    response = await http.get(base + "config")
    response.raise_for_status()
    config = response.json()
    states = {c["id"] for c in config["components"] if c.get("type") == "state"}
    return {"/" + dep["api_name"]: (dep["id"], [i in states for i in dep["inputs"]])
            for dep in config["dependencies"] if dep.get("api_name")}


async def call_endpoint(http, base: str, fns: dict, session: str, api_name: str, args: list) -> list:
    """One call the way the page makes it: uploads, then the queue in the student's session (POST
    /gradio_api/queue/join, then the session's event stream read to the result: every streamed update, then
    the completion). One session per student, like one open page each: every new session costs the server a
    copy of the whole app's component config."""
    fn_index, is_state = fns[api_name]
    given = iter(await _with_uploads(http, base, args))
    data = [None if state else next(given) for state in is_state]  # the session's gr.State values stay on the server
    response = await http.post(f"{base}gradio_api/queue/join", json={
        "data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None})
    response.raise_for_status()
    event_id = response.json()["event_id"]
    async with http.stream("GET", f"{base}gradio_api/queue/data", params={"session_hash": session}) as stream:
        stream.raise_for_status()
        async for line in stream.aiter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("msg") == "unexpected_error":
                raise CallFailed(str(message.get("message"))[:200])
            if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                if not message.get("success"):
                    raise CallFailed(str(message.get("output", {}).get("error") or message)[:300])
                return message["output"]["data"]
    raise CallFailed("the stream ended without a result")


def _hammer(url: str, calls: dict, clients: int, warmup: float, seconds: float, think: float, heavy_share: float,
            at_measuring=lambda: None):
    """`clients` students open the page, use it for `warmup` seconds, then for `seconds` measured ones (calls in
    flight at the end are waited for). Only calls started in the measured window count:
    -> (latencies ms per endpoint, errors per group in the window, errors before it, calls started per group,
    page-open times ms). `at_measuring()` runs when the measured window begins (the RSS/CPU baseline).
    One event loop drives every student: 30 threads of gradio_client cost the load generator more CPU than the
    server on a 2-core machine, which then measured the generator, not the app."""
    import asyncio

    import httpx

    latencies: dict[str, list[float]] = {name: [] for group in calls.values() for name in group}
    errors: dict[str, list[str]] = {group: [] for group in calls}
    early_errors: dict[str, list[str]] = {group: [] for group in calls}
    started = {group: 0 for group in calls}
    page_opens: list[float] = []
    base = url if url.endswith("/") else url + "/"

    async def student(seed: int, measure_from: float, stop: float):
        rng = random.Random(seed)
        await asyncio.sleep(rng.uniform(0, think))  # the class does not arrive or click in step
        # one cookie jar per student, like one browser each (a sticky proxy keeps each on its replica)
        async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S) as http:
            session = f"loadtest-{seed}-{rng.getrandbits(48):x}"
            begin = time.perf_counter()
            try:  # a student opening the page
                fns = await fn_indices(http, base)
                page_opens.append((time.perf_counter() - begin) * 1000)
            except Exception as exc:
                (errors if time.monotonic() >= measure_from else early_errors)["light"].append(
                    f"opening the app: {str(exc)[:200]}")
                return
            while time.monotonic() < stop:
                group = "heavy" if rng.random() < heavy_share else "light"
                name = rng.choice(sorted(calls[group]))
                measured = time.monotonic() >= measure_from
                if measured:
                    started[group] += 1
                begin = time.perf_counter()
                try:
                    await call_endpoint(http, base, fns, session, name, calls[group][name](rng))
                    if measured:
                        latencies[name].append((time.perf_counter() - begin) * 1000)
                except Exception as exc:  # count every failure, keep the load going
                    (errors if measured else early_errors)[group].append(
                        f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)

    async def main():
        measure_from = time.monotonic() + warmup
        stop = measure_from + seconds

        async def baseline():
            await asyncio.sleep(warmup)
            at_measuring()

        await asyncio.gather(baseline(), *(student(i, measure_from, stop) for i in range(clients)))

    asyncio.run(main())
    return latencies, errors, early_errors, started, page_opens


def _pct(samples, q):
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1) if ordered else None


def run(url: str, server_pid: int | None, clients: int, seconds: float, warmup: float = 60,
        think: float = THINK_SECONDS, heavy_share: float = HEAVY_SHARE) -> dict:
    """Warm-up (every endpoint once, then `warmup` seconds of the same load, so that the models are loaded and
    the server has reached its working set), RSS, the measured run, RSS again."""
    import asyncio

    import httpx

    async def every_endpoint_once(calls):
        base = url if url.endswith("/") else url + "/"
        rng = random.Random(0)
        async with httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S) as http:
            fns = await fn_indices(http, base)
            for group in calls.values():
                for name, inputs in group.items():
                    await call_endpoint(http, base, fns, "loadtest-warm-up", name, inputs(rng))

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        calls = endpoint_calls(Path(tmp))
        asyncio.run(every_endpoint_once(calls))
        rss_single = _rss_mb(server_pid) if server_pid else None
        baseline = {}

        def at_measuring():  # the class has opened the page and worked for the warm-up: the working set is reached
            baseline.update(rss=_rss_mb(server_pid) if server_pid else None, wall=time.monotonic(),
                            cpu=_cpu_seconds(server_pid) if server_pid else None, own=sum(os.times()[:2]))

        latencies, errors, warm_errors, started, page_opens = _hammer(
            url, calls, clients, warmup, seconds, think, heavy_share, at_measuring)
        rss_start = baseline["rss"]
        rss_end = _rss_mb(server_pid) if server_pid else None
        # how many cores the server kept busy: what the load cost, whatever else ran on the machine
        wall = time.monotonic() - baseline["wall"]
        server_cores = ((_cpu_seconds(server_pid) - baseline["cpu"]) / wall) if server_pid else None
        # the load generator's own CPU: on a 2-core machine it competes with the server it measures
        harness_cores = (sum(os.times()[:2]) - baseline["own"]) / wall

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
              "load_generator_cores_busy": round(harness_cores, 2),
              "page_open_ms": {"n": len(page_opens), "p50": round(statistics.median(page_opens), 1) if page_opens
                               else None, "p95": _pct(page_opens, 0.95)},
              "load_average_before": [round(v, 2) for v in load_before],
              "load_average_after": [round(v, 2) for v in os.getloadavg()],
              "rss_mb_models_loaded": round(rss_single, 1) if rss_single else None,
              "rss_mb_after_warmup": round(rss_start, 1) if rss_start else None,
              "rss_mb_end": round(rss_end, 1) if rss_end else None}
    if rss_start and rss_end:
        report["rss_growth_pct"] = round(100 * (rss_end - rss_start) / rss_start, 1)
    return report


def new_session_cost(url: str, server_pid: int, sessions: int) -> dict:
    """`sessions` calls of /gradio_api/call/lstm_predict one after another, each a new session (as curl or an MCP
    call makes): the server's RSS growth and CPU per call (what a session costs, see demos/serving.py)."""
    import httpx

    base = url if url.endswith("/") else url + "/"

    def call():
        response = httpx.post(f"{base}gradio_api/call/lstm_predict", json={"data": [SENTENCES[0]]},
                              timeout=CLIENT_TIMEOUT_S)
        response.raise_for_status()
        with httpx.stream("GET", f"{base}gradio_api/call/lstm_predict/{response.json()['event_id']}",
                          timeout=CLIENT_TIMEOUT_S) as stream:
            for line in stream.iter_lines():
                if line.startswith("event: complete"):
                    return
                if line.startswith("event: error"):
                    raise CallFailed(line)
        raise CallFailed("the stream ended without a result")

    for _ in range(5):  # the model loaded, the first sessions' one-off costs paid
        call()
    rss, cpu, wall = _rss_mb(server_pid), _cpu_seconds(server_pid), time.monotonic()
    for _ in range(sessions):
        call()
    return {"sessions": sessions, "rss_mb_before": round(rss, 1), "rss_mb_after": round(_rss_mb(server_pid), 1),
            "server_cpu_ms_per_call": round(1000 * (_cpu_seconds(server_pid) - cpu) / sessions, 1),
            "wall_ms_per_call": round(1000 * (time.monotonic() - wall) / sessions, 1)}


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
    parser.add_argument("--new-sessions", type=int, default=0, metavar="N",
                        help="instead: N one-off API calls, each a new session; prints RSS growth and CPU per call")
    args = parser.parse_args(argv)
    if args.new_sessions:
        if not 1 <= args.new_sessions <= 2000:
            parser.error("keep it bounded: 1-2000 sessions")
        proc, url = start_app()
        try:
            report = new_session_cost(url, proc.pid, args.new_sessions)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        print(f"{report['sessions']} new sessions: server RSS {report['rss_mb_before']} -> {report['rss_mb_after']} MB, "
              f"{report['server_cpu_ms_per_call']} ms of server CPU per call")
        print(json.dumps(report))
        return report
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
          f"on {report['cpus']} CPUs; the server kept {report['server_cores_busy']} cores busy, "
          f"the load generator {report['load_generator_cores_busy']}")
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
