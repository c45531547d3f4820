"""Serving fixes that make a new session cheap (one per open page, per API client and per MCP call).

Gradio 6's SessionState builds the config of every block of the app for each new session, before the first event
of that session runs, on the server's event loop (this app has ~700 blocks) and keeps it (Gradio keeps up to
10,000 sessions). Measured with 200 `/gradio_api/call/lstm_predict` requests, each a new session: the server's RSS
grew 250 MB and each call cost 116 ms of server CPU; with `make_new_sessions_cheap()` +20 MB and 32 ms
(`python -m demos.loadtest --new-sessions 200`). Only the deep-link route reads the whole copy;
event handling reads one block's entry at a time. The patch swaps the eager copy for one that computes a block's
entry when it is first asked for: what every reader sees is the same.
"""
from __future__ import annotations

import os
from copy import copy


class LazyBlockConfigs(dict):
    """SessionState.config_values, computed per block on first use: `in`, `[]` and `items()` answer as the eager
    dict did (every block of the app, its config as it is now)."""

    def __init__(self, blocks_config, ids: dict):
        super().__init__()
        self._blocks_config = blocks_config
        self._ids = ids  # block id -> None, in the app's order (the eager dict's keys)

    def __missing__(self, key):
        if key not in self._ids:
            raise KeyError(key)
        value = self._blocks_config.config_for_block(key, [], self._blocks_config.blocks[key])
        self[key] = value
        return value

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or key in self._ids

    def __iter__(self):
        yield from self._ids
        yield from (k for k in dict.keys(self) if k not in self._ids)

    def __len__(self) -> int:
        return len(self._ids) + sum(1 for k in dict.keys(self) if k not in self._ids)

    def keys(self):
        return list(iter(self))

    def items(self):
        return [(k, self[k]) for k in self]

    def values(self):
        return [self[k] for k in self]


def _lazy_init(self, blocks) -> None:
    """SessionState.__init__ of Gradio 6, with the per-block configs computed on first use."""
    self.blocks_config = copy(blocks.default_config)
    ids = dict.fromkeys(k for k in self.blocks_config.blocks if k in blocks.blocks)
    self.config_values = LazyBlockConfigs(self.blocks_config, ids)
    self.state_data = {}
    self._state_ttl = {}
    self.is_closed = False
    # a closed session's state is kept an hour so that its page can come back (Gradio's own value)
    self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600


def make_new_sessions_cheap() -> bool:
    """Patch gradio.state_holder.SessionState (once) so a new session does not build every block's config up
    front. Returns whether the patch is on: if a Gradio upgrade changes what a session holds (checked on a
    one-textbox app), the class is left as it is."""
    import gradio as gr
    from gradio import state_holder

    cls = state_holder.SessionState
    if getattr(cls, "_dlhub_lazy_configs", False):
        return True
    with gr.Blocks() as probe:
        gr.Textbox("probe")
    eager = cls(probe)
    lazy = cls.__new__(cls)
    _lazy_init(lazy, probe)
    if set(vars(eager)) != set(vars(lazy)) or dict(eager.config_values) != dict(lazy.config_values.items()):
        return False
    cls._dlhub_eager_init = cls.__init__  # kept for the test that compares the two
    cls.__init__ = _lazy_init
    cls._dlhub_lazy_configs = True
    return True


# Pictures the app shows are small, flat-coloured renders (heatmaps, digit grids, feature maps, plots): Pillow
# encodes them as PNG 3-5x faster than as Gradio's default lossy WebP (280x280: 2.8 vs 10.2 ms), usually smaller,
# and without blurring the crisp pixels the lesson is about. Every output picture is encoded once per request.
LOSSLESS_FORMAT = "png"


def lossless_picture_outputs(demo) -> int:
    """Output Image/Gallery/AnnotatedImage components still on Gradio's default WebP -> PNG; returns how many
    changed (inputs such as the Sketchpad keep theirs)."""
    import gradio as gr

    changed = 0
    for block in demo.blocks.values():
        if (isinstance(block, (gr.Image, gr.Gallery, gr.AnnotatedImage)) and not isinstance(block, gr.ImageEditor)
                and not block.interactive and getattr(block, "format", None) == "webp"):
            block.format = LOSSLESS_FORMAT
            changed += 1
    return changed
