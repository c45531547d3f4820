"""Model cards (weights/NAME/README.md), generated from config.json and metrics.json
so that the card, the app and `python -m models evaluate` never disagree."""
from __future__ import annotations

import json

from .persistence import read_metrics, weights_dir, write_metrics
from .registry import describe

# keys of metrics.json that are not shown as headline metrics
_DETAILS = {"model", "history", "method", "train_data", "parameters", "epochs", "seed", "train_seconds", "command"}


def headline_metrics(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if k not in _DETAILS}


# the card's field labels; the values are read from weights/NAME in both languages
LABELS = {
    "en": {"data": "Training data", "data_missing": "see the training command", "command": "Training command",
           "run": "seed {seed}, {epochs} epochs, {seconds} s on the machine that trained it", "method": "Method",
           "parameters": "Parameters", "config": "Config", "files": "Files",
           "safetensors": "weights in safetensors only",
           "metrics": "Measured metrics",
           "recompute": "Recompute with `python -m models evaluate {name}` (the last line is this table as JSON).",
           "metric": "metric", "value": "value"},
    "zh-CN": {"data": "训练数据", "data_missing": "见训练命令", "command": "训练命令",
              "run": "随机种子 {seed}，{epochs} 轮，在训练它的机器上用时 {seconds} 秒", "method": "方法",
              "parameters": "参数量", "config": "配置", "files": "文件", "safetensors": "权重只用 safetensors 格式保存",
              "metrics": "实测指标",
              "recompute": "用 `python -m models evaluate {name}` 重新计算（输出的最后一行就是这张表的 JSON）。",
              "metric": "指标", "value": "数值"},
}


def card_markdown(name: str, lang: str = "en") -> str:
    """The model card's body (Markdown), from the files in weights/NAME: shown in the app and in README.md.
    `lang`: "en" or "zh-CN" (the labels change, every value is the same)."""
    words = LABELS[lang]
    folder = weights_dir(name)
    metrics = read_metrics(name)
    config = json.loads((folder / "config.json").read_text())
    title, summary = describe(name, lang)
    rows = "\n".join(f"| {k} | {v} |" for k, v in headline_metrics(metrics).items())
    params = metrics.get("parameters")
    files = ", ".join(f"`{p.name}`" for p in sorted(folder.iterdir()) if p.name != "README.md")
    run = words["run"].format(seed=metrics.get("seed", 0), epochs=metrics.get("epochs", "?"),
                              seconds=metrics.get("train_seconds", "?"))
    return f"""# {title} (`{name}`)

{summary}

- **{words["data"]}:** {metrics.get("train_data", words["data_missing"])}
- **{words["command"]}:** `{metrics.get('command', f'python -m models train {name}')}` ({run})
- **{words["method"]}:** {metrics.get("method", "")}
- **{words["parameters"]}:** {f"{params:,}" if params else "?"}
- **{words["config"]}:** `{json.dumps(config)}`
- **{words["files"]}:** {files} ({words["safetensors"]})

## {words["metrics"]}

{words["recompute"].format(name=name)}

| {words["metric"]} | {words["value"]} |
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
