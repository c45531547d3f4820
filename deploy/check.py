"""Replicas behind nginx, checked end to end on loopback: `python -m deploy.check [--replicas 2]`.

Starts N `python app.py` replicas (each with its own temp folder, as if on its own machine) and Debian's nginx
with deploy/dlhub.conf under the sub-path /dlhub, all on 127.0.0.1 and free ports, as any user: nginx gets its
own prefix, pid, logs and temp folders inside a temporary folder. Then, through nginx only:

1. the page and its config load under the sub-path, and fresh sessions are spread over the replicas;
2. streaming works: /gpt_generate and /diffusion_sample send several updates that arrive one by one;
3. per-session state sticks: /word2vec_train on a text, then /word2vec_neighbors with "your text" in the same
   session answers from that text, while a second session has no such vectors; every request of a session
   went to one replica (nginx's access log);
4. a short load run (demos.loadtest) has 0 errors.

Prints what it measured and, last, one JSON line; exits 0 when every check passed, 1 with a message saying what
failed (replica down, nginx misconfigured, a check that did not hold), 2 when nginx is not installed. Every wait
has a timeout: it never hangs. `--print-config` prints the site config for real replicas instead.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE_TEMPLATE = ROOT / "deploy" / "dlhub.conf"
ROOT_PATH = "/dlhub"
START_SECONDS = 180      # a replica loads in a few seconds; generous for a busy machine
STEP_SECONDS = 300       # any one check
BALANCE_SESSIONS = 24    # fresh sessions: all on one of 2 replicas by chance with probability 2^-23
STORY = " ".join(["the king rules the land and the queen rules the sea .",
                  "a man walks to the market and a woman walks to the river ."] * 100)
GPT_ARGS = ("ROMEO:\n", 300, 0.8, 40, 0.95, 0, "Tiny Shakespeare GPT (this hub, characters)")
GPT_WARM = ("ROMEO:\n", 5, 0.8, 40, 0.95, 0, "Tiny Shakespeare GPT (this hub, characters)")
DIFFUSION_ARGS = ("Digits (MNIST)", "all", "DDIM", 20, 4, 0, 1.0)
DIFFUSION_WARM = ("Digits (MNIST)", "all", "DDIM", 2, 1, 0, 1.0)


class CheckFailed(Exception):
    """A check that did not hold, with a message for the person running it."""


# --- configs -----------------------------------------------------------------------------------------------


def render_site(replicas: list[str], listen: str, root_path: str = ROOT_PATH) -> str:
    """deploy/dlhub.conf with the replicas ("host:port"), nginx's listen address and the sub-path filled in."""
    root_path = root_path.rstrip("/")
    if root_path and not re.fullmatch(r"(/[A-Za-z0-9._~-]+)+", root_path):
        raise CheckFailed(f"root path {root_path!r}: use a path like /dlhub (letters, digits, . _ ~ -)")
    if not replicas:
        raise CheckFailed("no replicas given")
    site = SITE_TEMPLATE.read_text()
    servers = "\n".join(f"    server {r} max_fails=1 fail_timeout=10s;" for r in replicas)
    site = site.replace("@REPLICAS@", servers).replace("@LISTEN@", listen)
    if not root_path:  # served at the root: no sub-path redirect
        site = re.sub(r"\n    location = @ROOT_PATH@ \{.*?\n    \}\n", "\n", site, flags=re.S)
    return site.replace("@ROOT_PATH@", root_path)


def main_config(site: Path, run_dir: Path) -> str:
    """A whole nginx.conf that keeps everything in run_dir (no root needed) and logs which replica served what."""
    temp = "\n".join(f"    {kind}_temp_path {run_dir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""daemon off;
worker_processes 1;
pid {run_dir / 'nginx.pid'};
error_log {run_dir / 'error.log'} warn;
events {{ worker_connections 1024; }}
http {{
    log_format replicas '$dlhub_affinity $upstream_addr $status $request_uri';
    access_log {run_dir / 'access.log'} replicas;
{temp}
    include {site};
}}
"""


# --- processes ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_replica(port: int, run_dir: Path, root_path: str = ROOT_PATH) -> tuple[subprocess.Popen, Path]:
    """`python app.py` on 127.0.0.1:port with its own Gradio temp folder (uploads stay on their replica)."""
    temp = run_dir / f"gradio-{port}"
    temp.mkdir()
    log = run_dir / f"replica-{port}.log"
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", DLHUB_ROOT_PATH=root_path,
               GRADIO_TEMP_DIR=str(temp), GRADIO_ANALYTICS_ENABLED="False")
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return proc, log


def start_nginx(site: str, run_dir: Path) -> subprocess.Popen:
    """nginx in the foreground with its own prefix; a config nginx refuses fails here with nginx's own words."""
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None)
    if nginx is None:
        raise CheckFailed("nginx is not installed (Debian: apt-get install -y nginx)")
    os.chmod(run_dir, 0o755)  # when run as root, nginx's workers run as another user and need to reach their temp paths
    (run_dir / "dlhub.conf").write_text(site)
    conf = run_dir / "nginx.conf"
    conf.write_text(main_config(run_dir / "dlhub.conf", run_dir))
    command = [nginx, "-p", str(run_dir), "-e", str(run_dir / "error.log"), "-c", str(conf)]
    test = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    if test.returncode != 0:
        raise CheckFailed(f"nginx refused the config ({conf}):\n{test.stderr.strip()}")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def http_get(url: str, timeout: float = 10, cookie: str | None = None) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace"), dict(exc.headers)


def wait_until_up(url: str, what: str, seconds: float, watch: dict | None = None) -> None:
    """GET url until it answers 200; fails at once if a watched process (name -> (proc, log)) has exited."""
    deadline = time.monotonic() + seconds
    last = "no answer"
    while time.monotonic() < deadline:
        for name, (proc, log) in (watch or {}).items():
            if proc.poll() is not None:
                raise CheckFailed(f"{name} exited with code {proc.returncode} before {what} came up; its log:\n{tail(log)}")
        try:
            status, body, _ = http_get(url, timeout=5)
            if status == 200:
                return
            last = f"HTTP {status}: {body[:200]}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise CheckFailed(f"{what} did not answer at {url} within {seconds:.0f} s ({last})")


@contextlib.contextmanager
def time_limit(seconds: float, step: str):
    """Fail the step (never hang) if it runs longer than `seconds` (SIGALRM: the main thread only)."""
    def expired(*_):
        raise CheckFailed(f"{step}: no result within {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- the checks (through nginx) ----------------------------------------------------------------------------


def served_by(access_log: Path) -> list[tuple[str, str]]:
    """(affinity key, replica address) of every proxied request nginx logged."""
    rows = []
    for line in access_log.read_text().splitlines():
        key, upstream, *_ = line.split(" ")
        if upstream != "-":
            rows.append((key, upstream.split(",")[-1].strip()))
    return rows


def check_page(url: str) -> dict:
    """The page and Gradio's config load through nginx, with the sub-path in the config."""
    status, body, headers = http_get(url, timeout=30)
    if status != 200:
        raise CheckFailed(f"the page at {url} answered HTTP {status} (502/504: no replica answered): {body[:200]}")
    if "dlhub_replica=" not in headers.get("Set-Cookie", ""):
        raise CheckFailed("nginx did not set the dlhub_replica cookie: sticky sessions are not configured")
    status, body, _ = http_get(url.rstrip("/") + "/config", timeout=30)
    if status != 200:
        raise CheckFailed(f"{url}config answered HTTP {status}: {body[:200]}")
    root = json.loads(body).get("root", "")
    if root.rstrip("/") != url.rstrip("/"):  # the page loads its scripts and files from here
        raise CheckFailed(f"the app's URLs point to {root!r}, not to {url!r}: start the replicas with "
                          f"DLHUB_ROOT_PATH={ROOT_PATH} and let nginx pass the Host header with its port")
    return {"config_root": root}


def check_balancing(url: str, access_log: Path, replicas: int) -> dict:
    """Fresh sessions (no cookie) land on every replica, and a cookie always goes back to the same one."""
    keys = []
    for _ in range(BALANCE_SESSIONS):
        status, _, headers = http_get(url.rstrip("/") + "/config", timeout=30)
        keys.append(re.search(r"dlhub_replica=([^;]+)", headers.get("Set-Cookie", "")).group(1))
        for _ in range(2):  # the same session again, with its cookie
            http_get(url.rstrip("/") + "/config", timeout=30, cookie=f"dlhub_replica={keys[-1]}")
    by_key = {}
    for key, upstream in served_by(access_log):
        by_key.setdefault(key, set()).add(upstream)
    split = [k for k in keys if len(by_key.get(k, ())) != 1]
    if split:
        raise CheckFailed(f"a session's requests went to several replicas: {by_key[split[0]]}")
    used = {next(iter(by_key[k])) for k in keys}
    if len(used) < min(replicas, 2):
        raise CheckFailed(f"{BALANCE_SESSIONS} fresh sessions all went to {used}: nginx does not balance")
    sessions = {u: sum(next(iter(by_key[k])) == u for k in keys) for u in sorted(used)}
    return {"fresh_sessions_per_replica": sessions}


def stream_client(url: str):
    """A client that does not download the files an update names: gradio_client fetches them one by one on the
    thread that reads the stream, so image updates would reach the caller in bursts whatever nginx does (measured:
    /diffusion_sample 20 x 4 images, 20 updates at 7 moments with downloads, 20 at 20 without). A browser fetches
    pictures beside the stream."""
    from gradio_client import Client

    return Client(url, verbose=False, download_files=False)


def check_stream(client, api_name: str, args: tuple, warm_args: tuple, min_updates: int = 3) -> dict:
    """The endpoint's updates come through nginx one by one while it runs: at least `min_updates`, arriving at as
    many separate moments (more than 2 ms apart). A short call first loads the model (the session sticks, so on
    the same replica), so that the timings are the stream's own."""
    client.predict(*warm_args, api_name=api_name)
    start = time.monotonic()
    job = client.submit(*args, api_name=api_name)
    arrivals = [time.monotonic() - start for _ in job]
    job.result(timeout=60)
    updates = len(job.outputs())
    moments = 1 + sum(b - a > 0.002 for a, b in zip(arrivals, arrivals[1:]))
    if updates < min_updates or moments < min_updates:
        raise CheckFailed(f"{api_name} sent {updates} update(s) through nginx, arriving at {moments} moment(s); "
                          f"expected at least {min_updates} arriving one by one")
    return {"updates": updates, "arrived_at_moments": moments, "first_s": round(arrivals[0], 3),
            "last_s": round(arrivals[-1], 3)}


def check_session_state(url: str, access_log: Path) -> dict:
    """Word2Vec trained in one session is queried in that session; another session does not see it."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    client.predict(STORY, None, 20, 5, 2, api_name="/word2vec_train")
    table, _, _ = client.predict("king", 5, "your text", api_name="/word2vec_neighbors")
    words = [row[0] for row in table["data"]]
    vocabulary = set(STORY.split())
    if not words or not set(words) <= vocabulary:
        raise CheckFailed(f"the neighbours of 'king' in 'your text' are not words of the trained text: {words}")
    other = Client(url, verbose=False)
    try:
        other.predict("king", 5, "your text", api_name="/word2vec_neighbors")
    except Exception as exc:  # expected: the app's "not trained ... yet" error
        if "not trained a model on your own text" not in str(exc):
            raise CheckFailed(f"a second session's query failed, but not with the app's 'train first' error: {exc}")
    else:
        raise CheckFailed("a second session sees the first session's vectors: state is not per session")
    key = client.cookies.get("dlhub_replica")
    replicas = {upstream for k, upstream in served_by(access_log) if k == key}
    if key is None or len(replicas) != 1:
        raise CheckFailed(f"the Word2Vec session's requests were served by {replicas or 'no replica'} (cookie {key!r})")
    return {"your_text_neighbours_of_king": words, "replica": replicas.pop()}


def check_load(url: str, clients: int, seconds: float) -> dict:
    """demos.loadtest through nginx; a load client that died (e.g. it could not even connect) counts as an error."""
    import threading

    from demos.loadtest import run

    crashed = []
    previous = threading.excepthook
    threading.excepthook = lambda hook: crashed.append(f"{hook.thread.name}: {hook.exc_type.__name__}: {hook.exc_value}")
    try:
        report = run(url, None, clients=clients, seconds=seconds, warmup=0)
    finally:
        threading.excepthook = previous
    report["clients_crashed"] = len(crashed)
    report["errors"] += len(crashed)
    report["error_examples"] = (crashed + report["error_examples"])[:5]
    if report["errors"]:
        raise CheckFailed(f"the load run through nginx had {report['errors']} errors, e.g. {report['error_examples'][:2]}")
    return report


@contextlib.contextmanager
def replicas_behind_nginx(replicas: int, run_dir: Path):
    """Start `replicas` app replicas and nginx in front of them; yields (nginx URL, access log, watched processes).
    Everything is stopped on the way out, whatever happened."""
    procs, watch = [], {}
    try:
        ports = [free_port() for _ in range(replicas)]
        for port in ports:
            proc, log = start_replica(port, run_dir)
            procs.append(proc)
            watch[f"replica :{port}"] = (proc, log)
        listen = free_port()
        nginx = start_nginx(render_site([f"127.0.0.1:{p}" for p in ports], f"127.0.0.1:{listen}"), run_dir)
        procs.append(nginx)
        watch["nginx"] = (nginx, run_dir / "error.log")
        for port in ports:
            wait_until_up(f"http://127.0.0.1:{port}/config", f"replica :{port}", START_SECONDS, watch)
        url = f"http://127.0.0.1:{listen}{ROOT_PATH}/"
        wait_until_up(url, "nginx", 30, watch)
        yield url, run_dir / "access.log", watch
    finally:
        stop(procs)


def run_checks(replicas: int, load_clients: int, load_seconds: float) -> dict:
    from gradio_client import Client

    results = {"replicas": replicas}
    with tempfile.TemporaryDirectory(prefix="dlhub-nginx-") as tmp, \
            replicas_behind_nginx(replicas, Path(tmp)) as (url, access_log, watch):
        steps = [
            ("page", lambda: check_page(url)),
            ("balancing", lambda: check_balancing(url, access_log, replicas)),
            ("gpt_stream", lambda: check_stream(stream_client(url), "/gpt_generate", GPT_ARGS, GPT_WARM)),
            ("diffusion_stream", lambda: check_stream(stream_client(url), "/diffusion_sample", DIFFUSION_ARGS,
                                                      DIFFUSION_WARM)),
            ("word2vec_session", lambda: check_session_state(url, access_log)),
        ]
        if load_seconds > 0:
            steps.append(("load", lambda: check_load(url, load_clients, load_seconds)))
        for name, step in steps:
            # the load run: warm-up calls, the measured seconds, then the requests still in flight finish
            with time_limit(STEP_SECONDS + (300 + 3 * load_seconds if name == "load" else 0), name):
                started = time.monotonic()
                results[name] = step()
                print(f"ok  {name} ({time.monotonic() - started:.1f} s): {json.dumps(results[name])[:300]}", flush=True)
            for what, (proc, log) in watch.items():
                if proc.poll() is not None:
                    raise CheckFailed(f"{what} exited with code {proc.returncode} during {name}; its log:\n{tail(log)}")
        counts = {}
        for _, upstream in served_by(access_log):
            counts[upstream] = counts.get(upstream, 0) + 1
        results["requests_per_replica"] = counts
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", default="2",
                        help="how many replicas to start (default 2); with --print-config: host:port,host:port,...")
    parser.add_argument("--load-clients", type=int, default=8)
    parser.add_argument("--load-seconds", type=float, default=20, help="0 skips the load run")
    parser.add_argument("--print-config", action="store_true", help="print the nginx site config and exit")
    parser.add_argument("--listen", default="80", help="with --print-config: nginx's listen address")
    parser.add_argument("--root-path", default=ROOT_PATH, help="with --print-config: the sub-path ('' for /)")
    args = parser.parse_args(argv)
    try:
        if args.print_config:
            replicas = args.replicas.split(",")
            if not all(re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:\d+", r) for r in replicas):
                parser.error("--print-config needs --replicas host:port,host:port,...")
            print(render_site(replicas, args.listen, args.root_path))
            return 0
        if not args.replicas.isdigit() or not 1 <= int(args.replicas) <= 8:
            parser.error("--replicas: 1-8 replicas on this machine")
        if not 1 <= args.load_clients <= 50 or not 0 <= args.load_seconds <= 300:
            parser.error("keep the load run bounded: 1-50 clients, 0-300 seconds")
        if shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"):
            print("SKIP: nginx is not installed (Debian: apt-get install -y nginx)")
            return 2
        results = run_checks(int(args.replicas), args.load_clients, args.load_seconds)
    except CheckFailed as exc:
        print(f"FAILED: {exc}", flush=True)
        return 1
    print(f"all checks passed through nginx with {args.replicas} replicas")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
