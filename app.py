"""Deep-Learning Top-10 Demo Hub: one tab per algorithm. This file only assembles the tabs."""
from __future__ import annotations

import importlib
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from demos.common import harden_inputs  # noqa: E402
from demos.digits import SELECT_BRUSH_JS  # noqa: E402

# (tab title, module in demos/) in the order of the ten algorithms; a tab joins when it is built
TABS = [
    ("DNN", "demos.dnn"),
    ("CNN", "demos.cnn"),
    ("LSTM", "demos.lstm"),
    ("Word2Vec", "demos.word2vec"),
    ("Transformer", "demos.transformer"),
    ("GNN", "demos.gnn"),
    ("DQN", "demos.dqn"),
]
QUEUE_MAX_SIZE = 64
MAX_FILE_SIZE = "10mb"

CSS = """
.digit-canvas { max-width: 480px; }
"""

INTRO = """
# Deep-Learning Top-10 Demo Hub
Try the most influential deep-learning algorithms on real models trained for this hub — each tab explains what you
see, shows the model's internals, and is callable from scripts (see *Use via API* at the bottom of the page).
"""


def build_app() -> gr.Blocks:
    with gr.Blocks(title="Deep-Learning Top-10 Demo Hub") as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            for title, module in TABS:
                with gr.Tab(title, id=title.lower()):
                    importlib.import_module(module).build()
    harden_inputs(demo)
    # api_open=False: API calls go through the queue and its limits like the page does
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=4, api_open=False)
    return demo


def configure_threads() -> None:
    """Requests run concurrently (see the queue); one intra-op thread each avoids the cores
    fighting over small tensors (measured 2x faster under load than 2 threads each).
    Must run before torch is imported, which happens lazily on a tab's first use."""
    os.environ.setdefault("OMP_NUM_THREADS", os.environ.get("DLHUB_TORCH_THREADS", "1"))


def main() -> None:
    port = int(os.environ.get("GRADIO_SERVER_PORT") or os.environ.get("PORT") or 7860)
    configure_threads()
    build_app().launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"), server_port=port,
        max_file_size=MAX_FILE_SIZE, enable_monitoring=False, show_error=False,
        css=CSS, head=SELECT_BRUSH_JS, theme=gr.themes.Soft(),
    )


if __name__ == "__main__":
    main()
