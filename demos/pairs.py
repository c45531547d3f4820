"""What the side-by-side live trainings share (ResNet's plain vs residual, LSTM's RNN vs LSTM): the frames their
gr.LinePlots draw, the gradient profiles on a log scale, and keeping the trained pair.

Series names are plot data, not translation keys: they carry both languages ("plain · 普通网络").
"""
from __future__ import annotations

import math

import numpy as np

from .common import error

# each network keeps its colour: light at initialisation, dark now (curves use the dark one)
PALETTE = (("#9ecae1", "#08519c"), ("#fdae6b", "#d94801"), ("#bdbdbd", "#636363"))
INIT_LABEL, NOW_LABEL = "at init · 初始", "now · 当前"
MAX_POINTS = 300  # per series: a long run's curve is averaged down to this many points (the browser draws less)
TINY = 1e-30      # a gradient norm of 0 still gets a point on the log scale


def curve_frame(history: dict, x_key: str, y_key: str, names: dict[str, str], extra: dict[str, float] | None = None):
    """Long-format frame (x, value, series) of `history[name][y_key]` against `history[name][x_key]` for each
    network; `extra` adds constant reference lines (e.g. chance) over the same x range."""
    import pandas as pd

    frames = []
    for name, label in names.items():
        xs, ys = np.asarray(history[name][x_key], float), np.asarray(history[name][y_key], float)
        if len(xs) > MAX_POINTS:  # mean over equal bins: the shape stays, the noise of single steps goes
            bins = np.array_split(np.arange(len(xs)), MAX_POINTS)
            xs = np.array([xs[b[-1]] for b in bins])
            ys = np.array([ys[b].mean() for b in bins])
        frames.append(pd.DataFrame({"step": xs, "value": ys, "series": label}))
    span = [min((f.step.min() for f in frames if len(f)), default=0), max((f.step.max() for f in frames if len(f)),
                                                                            default=1)]
    for label, value in (extra or {}).items():
        frames.append(pd.DataFrame({"step": span, "value": [value, value], "series": label}))
    return pd.concat(frames, ignore_index=True)


def curve_colors(names: dict[str, str], extra: tuple[str, ...] = ()) -> dict[str, str]:
    """gr.LinePlot color_map of curves: each network its dark colour, reference lines grey."""
    colors = {label: PALETTE[i][1] for i, label in enumerate(names.values())}
    return colors | {label: PALETTE[-1][1] for label in extra}


def profile_colors(names: dict[str, str]) -> dict[str, str]:
    """gr.LinePlot color_map of profile_frame's series (a plot keeps the colours of the series it first shows)."""
    return {f"{label} · {tag}": PALETTE[i][k] for i, label in enumerate(names.values())
            for k, tag in enumerate((INIT_LABEL, NOW_LABEL))}


def profile_frame(init: dict[str, list[float]] | None, now: dict[str, list[float]] | None, names: dict[str, str],
                  x_name: str):
    """Long-format frame (x_name, log10 norm, series) of per-layer or per-step gradient norms, for each network at
    initialisation and now. log10 because the norms span many orders of magnitude (gr.LinePlot has no log axis)."""
    import pandas as pd

    frames = []
    for values, tag in ((init, INIT_LABEL), (now, NOW_LABEL)):
        for name, label in names.items():
            if not values or name not in values:
                continue
            norms = np.maximum(np.asarray(values[name], float), TINY)
            frames.append(pd.DataFrame({x_name: np.arange(len(norms)), "log10 norm": np.log10(norms),
                                        "series": f"{label} · {tag}"}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({x_name: [], "log10 norm": [], "series": []})


def keep_pair_row(prefix: str, elem_id: str):
    """A row with the trained pair's download, its upload, and the button that re-shows the gradient picture:
    labels `<prefix>_download`, `<prefix>_upload`, `<prefix>_fresh` of the tab's TEXT. -> (download, upload, fresh)"""
    import gradio as gr

    from .i18n import t

    with gr.Row():
        download = gr.File(label=t(f"{prefix}_download"), interactive=False, elem_id=f"{elem_id}-download")
        upload = gr.File(label=t(f"{prefix}_upload"), file_types=[".zip"], type="filepath", elem_id=f"{elem_id}-upload")
        fresh = gr.Button(t(f"{prefix}_fresh"))
    return download, upload, fresh


def ratio(a: float, b: float) -> float:
    """a / b, NaN where it is not defined (for status lines)."""
    return a / b if b and math.isfinite(a) and math.isfinite(b) else float("nan")


def diverged() -> Exception:
    """The gr.Error for a training whose loss became NaN/inf."""
    return error("Training stopped: the loss diverged (became NaN or infinite). Lower the learning rate.",
                 "训练已停止：损失发散了（变成 NaN 或无穷大），请调低学习率。")


def no_run() -> Exception:
    return error("Nothing trained yet in this session: press Train first (or upload a trained pair).",
                 "本会话中还没有训练好的模型：请先点“训练”（或上传训练好的一对模型）。")
