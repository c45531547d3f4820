"""Model cards (weights/NAME/README.md), generated from config.json and metrics.json
so that the card, the app and `python -m models evaluate` never disagree."""
from __future__ import annotations

import json

from .persistence import read_metrics, weights_dir, write_metrics
from .registry import describe

# keys of metrics.json that are not shown as headline metrics
_DETAILS = {"model", "history", "method", "train_data", "parameters", "epochs", "seed", "train_seconds"}


def headline_metrics(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in _DETAILS}


def card_markdown(name: str) -> str:
    """The model card's body (Markdown), from the files in weights/NAME: shown in the app and in README.md."""
    folder = weights_dir(name)
    metrics = read_metrics(name)
    config = json.loads((folder / "config.json").read_text())
    title, summary = describe(name)
    rows = "\n".join(f"| {k} | {v} |" for k, v in headline_metrics(metrics).items())
    params = metrics.get("parameters")
    files = ", ".join(f"`{p.name}`" for p in sorted(folder.iterdir()) if p.name != "README.md")
    return f"""# {title} (`{name}`)

{summary}

- **Training data:** {metrics.get("train_data", "see the training command")}
- **Training command:** `python -m models train {name}` (seed {metrics.get("seed", 0)}, {metrics.get("epochs", "?")} epochs, {metrics.get("train_seconds", "?")} s on the machine that trained it)
- **Method:** {metrics.get("method", "")}
- **Parameters:** {f"{params:,}" if params else "?"}
- **Config:** `{json.dumps(config)}`
- **Files:** {files} (weights in safetensors only)

## Measured metrics

Recompute with `python -m models evaluate {name}` (the last line is this table as JSON).

| metric | value |
|---|---|
{rows}
"""


def write_model_card(name: str) -> str:
    front_matter = f"---\nlicense: mit\nlibrary_name: pytorch\ntags: [dl-hub, {name}]\n---\n"
    text = front_matter + card_markdown(name)
    (weights_dir(name) / "README.md").write_text(text)
    return text


def update_metrics(name: str, fresh: dict) -> None:
    metrics = read_metrics(name)
    metrics.update(fresh)
    write_metrics(name, metrics)
    write_model_card(name)
