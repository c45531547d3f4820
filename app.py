"""Deep-Learning Top-10 Demo Hub: one tab per algorithm. This file only assembles the tabs."""
from __future__ import annotations

import importlib
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio's queue rebuilds a pandas summary of the last 10,000 events after every event (9-17 ms of GIL each,
# growing with uptime) for a monitoring page this app does not open: once per 1,000 events is plenty.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")

import gradio as gr  # noqa: E402

from demos.common import harden_inputs  # noqa: E402
from demos.i18n import build_i18n, english_api_info, t, tab_label  # noqa: E402
from demos.digits import SELECT_BRUSH_JS  # noqa: E402
from demos.serving import lossless_picture_outputs, make_new_sessions_cheap  # noqa: E402

# (tab title, module in demos/) in the order of the ten algorithms; a tab joins when it is built
TABS = [
    ("DNN", "demos.dnn"),
    ("CNN", "demos.cnn"),
    ("ResNet", "demos.resnet"),
    ("LSTM", "demos.lstm"),
    ("Word2Vec", "demos.word2vec"),
    ("Transformer", "demos.transformer"),
    ("Autoencoder", "demos.autoencoder"),
    ("GAN", "demos.gan"),
    ("Diffusion", "demos.diffusion"),
    ("GNN", "demos.gnn"),
    ("DQN", "demos.dqn"),
]
# A class of 30-60 learners, some with two tabs open: every request waits in the queue (its position shown) rather
# than being refused. Heavy events share demos.live.HEAVY (half the cores); light events keep LIGHT_CONCURRENCY
# each. Both run on Gradio's worker threads (launch's max_threads, 40), which covers them.
QUEUE_MAX_SIZE = 128
LIGHT_CONCURRENCY = 4
MAX_FILE_SIZE = "10mb"

CSS = """
.digit-canvas { max-width: 480px; }
.digit-canvas.detection-canvas { max-width: 900px; }
/* ten tabs: tighter tab buttons keep the Chinese titles on one row on a 1440 px laptop */
.tab-wrapper button[role="tab"] { padding-left: 10px; padding-right: 10px; }
/* an image's label floats over its top-left corner: keep it from covering the top row of a sample grid */
[data-testid="block-label"].float ~ .image-container { padding-top: 2.25rem; }
"""

def build_app() -> gr.Blocks:
    make_new_sessions_cheap()  # every open page, API client and MCP call is a session (demos/serving.py)
    with gr.Blocks(title="Deep-Learning Top-10 Demo Hub") as demo:
        gr.Markdown(t("app.intro"))  # the header and where to switch the language (demos/i18n.py)
        with gr.Tabs(overflow_behavior="wrap"):  # all ten tabs in sight (wraps on narrow screens), none in a menu
            for title, module in TABS:
                with gr.Tab(tab_label(title, module), id=title.lower()):
                    importlib.import_module(module).build()
    harden_inputs(demo)
    lossless_picture_outputs(demo)  # PNG, not WebP: faster to encode, crisp (demos/serving.py)
    # English and Chinese for every label, text and model card: the one gr.I18n that main() launches with
    demo.dlhub_i18n = build_i18n([module for _, module in TABS], demo)
    english_api_info(demo)
    # api_open=False: API calls go through the queue and its limits like the page does
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=LIGHT_CONCURRENCY, api_open=False)
    return demo


def configure_threads() -> None:
    """Requests run concurrently (see the queue); one intra-op thread each avoids the cores
    fighting over small tensors (measured 2x faster under load than 2 threads each).
    Must run before torch is imported, which happens lazily on a tab's first use."""
    os.environ.setdefault("OMP_NUM_THREADS", os.environ.get("DLHUB_TORCH_THREADS", "1"))
    limit_malloc_arenas()


def limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each worker thread its own malloc arena and keeps freed memory in it: with 20
    concurrent clients the server's RSS tripled without any leak (measured with demos.loadtest).
    A few shared arenas keep it flat; a no-op where the C library is not glibc."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def env_flag(name: str, default: bool) -> bool:
    """An on/off environment switch: 0/false/no/off turn it off, 1/true/yes/on turn it on, unset keeps the default."""
    value = os.environ.get(name, "").strip().lower()
    if value in ("0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    return default


def root_path() -> str:
    """The sub-path the app is served under behind a reverse proxy (e.g. "/dlhub" for
    https://example.org/dlhub/, see deploy/nginx.conf): DLHUB_ROOT_PATH, else Gradio's own
    GRADIO_ROOT_PATH, else "" (served at the root, as on one machine)."""
    path = (os.environ.get("DLHUB_ROOT_PATH") or os.environ.get("GRADIO_ROOT_PATH") or "").strip()
    return path.rstrip("/") if path.startswith(("http://", "https://")) else ("/" + path.strip("/")).rstrip("/")


def main() -> None:
    port = int(os.environ.get("GRADIO_SERVER_PORT") or os.environ.get("PORT") or 7860)
    configure_threads()
    demo = build_app()
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"), server_port=port, root_path=root_path(),
        max_file_size=MAX_FILE_SIZE, enable_monitoring=False, show_error=False,
        # every public endpoint is also an MCP tool at <url>/gradio_api/mcp/ (README "Use it from an agent")
        mcp_server=env_flag("DLHUB_MCP", True),
        css=CSS, head=SELECT_BRUSH_JS, theme=gr.themes.Soft(), i18n=demo.dlhub_i18n,
    )


if __name__ == "__main__":
    main()
