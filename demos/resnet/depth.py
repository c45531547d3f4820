"""The ResNet tab's live section: why depth needs shortcuts. A plain and a residual network of the chosen depth
train side by side (same initial weights, same batches) on the bundled Fashion-MNIST sample; the learner watches
both loss curves and the gradient norm of every layer (models/depth.py does the training)."""
from __future__ import annotations

import gradio as gr

from ..common import both, check_choice, check_number, error, seed_generator
from ..i18n import t
from ..live import HEAVY, stop_button, trained_file_error, uploaded_path
from ..pairs import (PALETTE, curve_colors, curve_frame, diverged, keep_pair_row, no_run, profile_colors,
                     profile_frame, ratio)

MODES = ("degradation", "vanishing")        # = models.depth.MODES (no torch import when the tab is built)
DEPTHS = tuple(range(8, 57, 6))             # = models.depth.DEPTHS
LIMITS = {"width": (4, 16), "lr": (0.001, 0.5), "batch": (16, 128), "seconds": (1, 30), "steps": (1, 1000)}
DEFAULTS = {"depth": 32, "width": 8, "mode": "degradation", "lr": 0.05, "batch": 64, "seconds": 30, "steps": 150,
            "seed": 0}
KIND = "resnet-depth-pair"
NAMES = {"plain": "plain · 普通网络", "residual": "residual · 残差网络"}
TRAIN_NAMES = {k: f"{v} · train 训练" for k, v in NAMES.items()}
HELD_NAMES = {k: f"{v} · held-out 留出" for k, v in NAMES.items()}
# training batches light, held-out images dark, in each network's colour
ACCURACY_COLORS = {**{name: light for name, (light, _) in zip(TRAIN_NAMES.values(), PALETTE)},
                   **curve_colors(HELD_NAMES)}
AXES = {"step": "step · 训练步", "loss": "training loss · 训练损失", "accuracy": "accuracy · 准确率",
        "layer": "layer (input → output) · 层（输入 → 输出）", "norm": "log10 ‖∂L/∂W‖ · 权重梯度范数",
        "series": "network · 网络"}

STATUS = {
    "train": ("**step {step}** ({elapsed:.1f} s) · training loss (mean of the last 20 steps): plain **{plain:.3f}**, "
              "residual **{residual:.3f}** · held-out accuracy: plain {plain_acc:.1%}, residual {residual_acc:.1%} · "
              "gradient norm of the first layer ÷ the last: plain {plain_ratio:.2g}, residual {residual_ratio:.2g}"
              "{done}",
              "**第 {step} 步**（{elapsed:.1f} 秒）· 训练损失（最近 20 步的平均）：普通网络 **{plain:.3f}**，"
              "残差网络 **{residual:.3f}** · 留出集准确率：普通网络 {plain_acc:.1%}，残差网络 {residual_acc:.1%} · "
              "第一层与最后一层的梯度范数之比：普通网络 {plain_ratio:.2g}，残差网络 {residual_ratio:.2g}{done_zh}"),
    "fresh": ("**{source}**: {depth} layers, width {width}, {mode} · gradient norms on a fresh batch of {batch} "
              "images · first layer ÷ last: plain {plain_ratio:.2g}, residual {residual_ratio:.2g} · held-out "
              "accuracy: plain {plain_acc:.1%}, residual {residual_acc:.1%}",
              "**{source_zh}**：{depth} 层，宽度 {width}，{mode_zh} · 在新的一批 {batch} 张图像上计算的梯度范数 · "
              "第一层与最后一层之比：普通网络 {plain_ratio:.2g}，残差网络 {residual_ratio:.2g} · 留出集准确率："
              "普通网络 {plain_acc:.1%}，残差网络 {residual_acc:.1%}"),
}
MODES_ZH = {"degradation": "退化（批归一化 + ReLU）", "vanishing": "梯度消失（sigmoid，无批归一化）"}


def _checked(depth, width, mode, learning_rate, batch_size, seconds, max_steps):
    depth = check_number(depth, ("Depth", "深度"), DEPTHS[0], DEPTHS[-1], integer=True)
    if depth not in DEPTHS:
        raise error(f"Depth must be one of {', '.join(map(str, DEPTHS))} (6 × blocks + 2; got {depth}).",
                    f"深度必须是 {', '.join(map(str, DEPTHS))} 之一（6 × 模块数 + 2；收到的是 {depth}）。")
    return (depth, check_number(width, ("Width", "宽度"), *LIMITS["width"], integer=True),
            check_choice(mode, ("Problem", "问题"), MODES),
            check_number(learning_rate, "Learning rate", *LIMITS["lr"]),
            check_number(batch_size, ("Batch size", "批大小"), *LIMITS["batch"], integer=True),
            check_number(seconds, ("Budget (seconds)", "时间预算（秒）"), *LIMITS["seconds"]),
            check_number(max_steps, ("Max steps", "最多训练步数"), *LIMITS["steps"], integer=True))


def _ratios(norms: dict) -> dict:
    return {f"{name}_ratio": ratio(values[0], values[-1]) for name, values in norms.items()}


def _frames(progress: dict):
    import pandas as pd

    history = progress["history"]
    loss = curve_frame(history, "step", "loss", NAMES)
    train = curve_frame(history, "acc_step", "train_acc", TRAIN_NAMES)
    held = curve_frame(history, "acc_step", "test_acc", HELD_NAMES)
    grads = profile_frame(progress["grad_init"], progress["grad_now"], NAMES, "layer")
    return loss, pd.concat([train, held], ignore_index=True), grads


def resnet_depth_train(depth=DEFAULTS["depth"], width=DEFAULTS["width"], mode=DEFAULTS["mode"],
                       learning_rate=DEFAULTS["lr"], batch_size=DEFAULTS["batch"], seconds=DEFAULTS["seconds"],
                       max_steps=DEFAULTS["steps"], seed=DEFAULTS["seed"]):
    """Train a plain and a residual network of the same depth side by side on the bundled Fashion-MNIST sample.

    Both start from the same weights and see the same batches (SGD with momentum 0.9), one step each in turn, until
    the budget or the step cap; the held-out 500 images of the sample measure accuracy.

    Args:
        depth: weight layers, 6 × blocks + 2: 8, 14, 20, 26, 32, 38, 44, 50 or 56.
        width: channels of the first stage (the stages have width, 2 × width, 4 × width), 4-16.
        mode: "degradation" (batch norm + ReLU) or "vanishing" (sigmoid, no batch norm).
        learning_rate: SGD learning rate, 0.001-0.5.
        batch_size: images per step, 16-128.
        seconds: wall-clock budget, 1-30.
        max_steps: step cap, 1-1000.
        seed: initial weights and batch order (same seed, same curves).

    Returns:
        Streamed: training-loss curves, accuracy curves (train and held-out), the log10 gradient norm of every
        layer at initialisation and now, a status line with the measured numbers; at the end the trained pair as a
        zip (download it, upload it again below).
    """
    import torch

    from models.data import live_training_sample
    from models.depth import build_pair, final_losses, prepare_data, train_pair

    depth, width, mode, learning_rate, batch_size, seconds, max_steps = _checked(
        depth, width, mode, learning_rate, batch_size, seconds, max_steps)
    generator = seed_generator(seed)
    data = prepare_data(*live_training_sample())
    with torch.enable_grad():
        pair = build_pair(depth, width, mode, generator)
    config = {"depth": depth, "width": width, "mode": mode, "learning_rate": learning_rate, "batch_size": batch_size}
    try:
        for progress in train_pair(pair, data, learning_rate, batch_size, seconds, max_steps, generator):
            history = progress["history"]
            if not history["plain"]["loss"]:
                continue
            losses = final_losses(history)
            accs = {f"{k}_acc": (history[k]["test_acc"] or [float("nan")])[-1] for k in history}
            done = progress["done"]
            status = both(STATUS["train"], step=progress["step"], elapsed=progress["elapsed"], **losses, **accs,
                          **_ratios(progress["grad_now"]), done=" · **done**" if done else "",
                          done_zh=" · **完成**" if done else "")
            file = None
            run = gr.skip()
            if done:
                from models.live import save_trained
                from models.pairs import pair_tensors

                config.update(steps=progress["step"], final_loss=losses)
                file = str(save_trained(KIND, config, pair_tensors(pair), stem=f"plain-vs-residual-{depth}"))
                run = {"config": config, "models": pair, "source": ("trained in this session", "本会话中训练")}
            yield (*_frames(progress), status, file, run)
    except FloatingPointError:
        raise diverged() from None


def _fresh_view(run: dict, seed) -> tuple:
    import torch

    from models.data import live_training_sample
    from models.depth import accuracy, fresh_batch_grad_norms, prepare_data

    config = run["config"]
    generator = seed_generator(seed)
    x_train, y_train, x_test, y_test = prepare_data(*live_training_sample())
    index = torch.randperm(len(x_train), generator=generator)[:config["batch_size"]]
    norms = {name: fresh_batch_grad_norms(model, x_train[index], y_train[index]) for name, model in run["models"].items()}
    accs = {f"{name}_acc": accuracy(model, x_test, y_test) for name, model in run["models"].items()}
    source, source_zh = run["source"]
    status = both(STATUS["fresh"], source=source, source_zh=source_zh, depth=config["depth"], width=config["width"],
                  mode=config["mode"], mode_zh=MODES_ZH[config["mode"]], batch=len(index), **_ratios(norms), **accs)
    return profile_frame(None, norms, NAMES, "layer"), status


def resnet_depth_gradients(run, seed=0):
    """The gradient norm of every layer of the session's plain/residual pair (trained or uploaded), on a fresh batch.

    Args:
        run: the session's last pair (kept by the page; not sent by API clients).
        seed: which batch of the sample to use.

    Returns:
        The log10 gradient norm per layer for both networks, and a status line (ratios, held-out accuracy).
    """
    if not run:
        raise no_run()
    return _fresh_view(run, seed)


def resnet_depth_upload(file, seed=0):
    """Load a plain/residual pair downloaded from this section and show its gradient flow on a fresh batch.

    Args:
        file: the .zip downloaded after a training.
        seed: which batch of the sample to use.

    Returns:
        The per-layer log10 gradient norms, a status line, and the pair kept for this session.
    """
    from models.depth import DEPTHS as MODEL_DEPTHS, empty_pair
    from models.live import TrainedFileError, check_shapes, config_number, load_trained
    from models.pairs import load_pair_tensors, pair_shapes

    try:
        config, tensors, _ = load_trained(uploaded_path(file), KIND)
        depth = config_number(config, "depth", MODEL_DEPTHS[0], MODEL_DEPTHS[-1])
        if depth not in MODEL_DEPTHS:
            raise TrainedFileError(f"config.json: depth {depth} is not one of {MODEL_DEPTHS}.",
                                   f"config.json：深度 {depth} 不在 {MODEL_DEPTHS} 之中。")
        width = config_number(config, "width", *LIMITS["width"])
        mode = config.get("mode")
        if mode not in MODES:
            raise TrainedFileError(f"config.json: mode must be one of {MODES}.", f"config.json：mode 必须是 {MODES} 之一。")
        batch = config_number(config, "batch_size", *LIMITS["batch"])
        pair = empty_pair(depth, width, mode)
        check_shapes(tensors, pair_shapes(pair))
    except TrainedFileError as exc:
        raise trained_file_error(exc) from None
    run = {"config": {"depth": depth, "width": width, "mode": mode, "batch_size": batch},
           "models": load_pair_tensors(pair, tensors), "source": ("uploaded pair", "上传的模型")}
    return (*_fresh_view(run, seed), run)


TEXT = {
    "en": {
        "resnet.depth_intro": """
### Why depth needs shortcuts: train it yourself
Pick a depth and press **Train**: a **plain** network and a **residual** one with exactly the same layers and
parameters (the residual one adds each block's input back around its two convolutions; parameter-free shortcuts)
start from the same weights and train on the same batches of the bundled 2,500-image Fashion-MNIST sample
(14×14, 500 more held out), one step each in turn, for at most 30 seconds or the step cap (150 by default). Depth counts weight layers: a stem,
3 stages of two-convolution blocks (width, 2×, 4× channels at 14×14, 7×7, 4×4) and the dense head.
""",
        "resnet.depth_problems": """
**Two different problems of depth** (the switch *Problem*):

- **Degradation** (batch norm + ReLU). The gradient reaches every layer of both networks: nothing vanishes, the
  plain network's first layers even get *larger* gradients than its last ones at initialisation. Yet the deep plain
  network fits its own training data worse than the residual one, and worse than a shallower plain network: this is
  He et al. 2016, Fig. 1, an optimisation problem, not over-fitting (the *training* loss is worse).
- **Vanishing gradients** (sigmoid, no batch norm). Each sigmoid layer multiplies the backward signal by at most
  0.25: the plain network's gradient norm falls by orders of magnitude from the last layer to the first, so its
  first layers hardly move and the loss stays near chance. The shortcuts carry the gradient back unchanged: the
  residual network's profile stays flat and it learns.

Read the gradient plot from right (output) to left (input); each network has two lines: at initialisation and now
(an average over the last steps).
""",
        "resnet.depth_measured": """
**Measured on this 2-core CPU** (width 8, learning rate 0.05, batch 64, seed 0; the two networks of a depth always
at the same step). Training loss at the end (mean of the last 20 steps), plain vs residual, after 100 steps:
8 layers 0.67 vs 0.72 · 20 layers 0.90 vs 0.62 · **32 layers 1.06 vs 0.65** (seed 1: 1.07 vs 0.58) ·
**56 layers 2.02 vs 0.72**; after
150 steps: 8 layers 0.58 vs 0.59 · 20 layers 0.79 vs 0.53 · 32 layers 0.99 vs 0.52. The shallow pair is even; from
20 layers on the plain network falls behind, and the deeper it is the worse it fits, while the residual network
fits about as well at every depth (held-out accuracy after 100 steps at 56 layers: plain 25 %, residual 73 %).
Its gradients did not vanish: at initialisation the first layer's gradient norm was 34× the last layer's in the
32-layer plain network and 1,100× in the 56-layer one (the residual ones: 0.6× and 1.4×). With sigmoid and no batch
norm (32 layers) the first layer of the plain network got 10⁻¹⁷ of the last one's gradient (residual: 0.04), and
after 150 steps its loss was still 2.32, chance level (ln 10 = 2.30); the residual network's was 2.00. The default
run within its 30 s, on this CPU while it was busy with other work, reached 35 steps: plain 1.76 vs residual 1.36
(an 8-layer pair at the same 35 steps: plain 1.31): on a free CPU it reaches the 150-step cap.
""",
        "resnet.depth": "Depth (weight layers)",
        "resnet.depth_width": "Width (channels of the first stage)",
        "resnet.depth_mode": "Problem",
        "resnet.depth_mode_degradation": "degradation: batch norm + ReLU",
        "resnet.depth_mode_vanishing": "vanishing gradients: sigmoid, no batch norm",
        "resnet.depth_lr": "Learning rate (SGD, momentum 0.9)",
        "resnet.depth_batch": "Batch size",
        "resnet.depth_seconds": "Budget (seconds)",
        "resnet.depth_steps": "Max steps (both networks do the same number)",
        "resnet.depth_seed": "Seed",
        "resnet.depth_train": "Train plain and residual",
        "resnet.depth_loss": "Training loss",
        "resnet.depth_acc": "Accuracy: training batches and held-out images",
        "resnet.depth_grads": "Gradient norm of every layer's weights (log10)",
        "resnet.depth_fresh": "Gradient flow on a fresh batch",
        "resnet.depth_download": "The trained pair (zip)",
        "resnet.depth_upload": "Upload a trained pair (zip)",
    },
    "zh-CN": {
        "resnet.depth_intro": """
### 为什么深度需要捷径连接：亲手训练
选一个深度，点 **训练**：一个**普通网络**和一个**残差网络**——两者的层和参数完全相同（残差网络在每个模块的两个卷积外
把输入加回来，捷径连接没有参数）——从相同的初始权重出发，在本项目自带的 2,500 张 Fashion-MNIST 样本（14×14，另留出 500 张）
的同样批次上轮流各训练一步，最多 30 秒或达到步数上限（默认 150 步）。深度按带权重的层计数：一个主干卷积、3 个阶段的两层卷积模块（通道数为宽度的
1、2、4 倍，分辨率 14×14、7×7、4×4）和最后的全连接层。
""",
        "resnet.depth_problems": """
**深度带来的两种不同问题**（开关“问题”）：

- **退化**（批归一化 + ReLU）。梯度能到达两个网络的每一层：没有消失，初始化时普通网络最前面几层的梯度甚至比最后几层
  *更大*。然而深的普通网络连自己的训练数据都拟合得比残差网络差，也比更浅的普通网络差：这就是 He 等人 2016 年论文的
  图 1——这是优化问题，不是过拟合（变差的是*训练*损失）。
- **梯度消失**（sigmoid，无批归一化）。每个 sigmoid 层最多把反向信号乘以 0.25：普通网络的梯度范数从最后一层到第一层
  下降好几个数量级，最前面的层几乎不动，损失停在随机猜测附近。捷径连接把梯度原样传回：残差网络的梯度曲线保持平坦，
  它能学会。

梯度图从右（输出）往左（输入）读；每个网络有两条线：初始化时和当前（最近若干步的平均）。
""",
        "resnet.depth_measured": """
**在这台双核 CPU 上实测**（宽度 8，学习率 0.05，批大小 64，种子 0；同一深度的两个网络始终处在同一步）。训练结束时的训练损失
（最近 20 步的平均），普通网络对残差网络，训练 100 步后：8 层 0.67 对 0.72 · 20 层 0.90 对 0.62 · **32 层 1.06 对 0.65**（种子 1：1.07 对 0.58）·
**56 层 2.02 对 0.72**；训练 150 步后：8 层 0.58 对 0.59 · 20 层 0.79 对 0.53 · 32 层 0.99 对 0.52。浅的一对不分上下；从 20 层起
普通网络开始落后，而且越深拟合得越差，残差网络则在每个深度都拟合得差不多好（56 层训练 100 步后的留出集准确率：普通网络 25%，
残差网络 73%）。普通网络的梯度并没有消失：初始化时，32 层普通网络第一层的梯度范数是最后一层的 34 倍，56 层的是 1,100 倍
（残差网络分别是 0.6 倍和 1.4 倍）。换成 sigmoid 且不用批归一化（32 层）时，普通网络第一层得到的梯度只有最后一层的 10⁻¹⁷
（残差网络：0.04），训练 150 步后损失仍是 2.32，相当于随机猜测（ln 10 = 2.30）；残差网络是 2.00。默认设置在 CPU 同时忙于
其他任务时，30 秒内跑了 35 步：普通网络 1.76，残差网络 1.36（同样 35 步的 8 层普通网络：1.31）；CPU 空闲时能跑满 150 步的上限。
""",
        "resnet.depth": "深度（带权重的层数）",
        "resnet.depth_width": "宽度（第一阶段的通道数）",
        "resnet.depth_mode": "问题",
        "resnet.depth_mode_degradation": "退化：批归一化 + ReLU",
        "resnet.depth_mode_vanishing": "梯度消失：sigmoid，无批归一化",
        "resnet.depth_lr": "学习率（SGD，动量 0.9）",
        "resnet.depth_batch": "批大小",
        "resnet.depth_seconds": "时间预算（秒）",
        "resnet.depth_steps": "最多训练步数（两个网络步数相同）",
        "resnet.depth_seed": "随机种子",
        "resnet.depth_train": "训练普通网络和残差网络",
        "resnet.depth_loss": "训练损失",
        "resnet.depth_acc": "准确率：训练批次与留出图像",
        "resnet.depth_grads": "每一层权重的梯度范数（log10）",
        "resnet.depth_fresh": "在新批次上查看梯度流",
        "resnet.depth_download": "训练好的一对模型（zip）",
        "resnet.depth_upload": "上传训练好的一对模型（zip）",
    },
}


def build_depth_section() -> None:
    gr.Markdown(t("resnet.depth_intro"))
    run = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=260) as controls:
            depth = gr.Slider(DEPTHS[0], DEPTHS[-1], value=DEFAULTS["depth"], step=6, label=t("resnet.depth"))
            mode = gr.Radio([(t(f"resnet.depth_mode_{m}"), m) for m in MODES], value=DEFAULTS["mode"],
                            label=t("resnet.depth_mode"))
            width = gr.Slider(*LIMITS["width"], value=DEFAULTS["width"], step=1, label=t("resnet.depth_width"))
            learning_rate = gr.Slider(0.005, 0.3, value=DEFAULTS["lr"], step=0.005, label=t("resnet.depth_lr"))
            batch_size = gr.Slider(*LIMITS["batch"], value=DEFAULTS["batch"], step=16, label=t("resnet.depth_batch"))
            seconds = gr.Slider(*LIMITS["seconds"], value=DEFAULTS["seconds"], step=1, label=t("resnet.depth_seconds"))
            max_steps = gr.Slider(*LIMITS["steps"], value=DEFAULTS["steps"], step=1,
                                  label=t("resnet.depth_steps"))
            seed = gr.Number(value=DEFAULTS["seed"], precision=0, minimum=0, label=t("resnet.depth_seed"))
            train = gr.Button(t("resnet.depth_train"), variant="primary")
        with gr.Column(scale=3):
            status = gr.Markdown()
            plot = {"x": "step", "y": "value", "color": "series", "x_title": AXES["step"], "color_title": AXES["series"],
                    "height": 260}
            with gr.Row():
                loss = gr.LinePlot(title=t("resnet.depth_loss"), y_title=AXES["loss"], elem_id="resnet-depth-loss",
                                   color_map=curve_colors(NAMES), **plot)
                accuracy = gr.LinePlot(title=t("resnet.depth_acc"), y_title=AXES["accuracy"], y_lim=[0, 1],
                                       elem_id="resnet-depth-accuracy", color_map=ACCURACY_COLORS, **plot)
            with gr.Row():
                grads = gr.LinePlot(x="layer", y="log10 norm", color="series", title=t("resnet.depth_grads"),
                                    x_title=AXES["layer"], y_title=AXES["norm"], color_title=AXES["series"],
                                    height=300, scale=2, elem_id="resnet-depth-grads", color_map=profile_colors(NAMES))
                gr.Markdown(t("resnet.depth_problems"))
            download, upload, fresh = keep_pair_row("resnet.depth", "resnet-depth")
    gr.Markdown(t("resnet.depth_measured"))
    event = train.click(resnet_depth_train, [depth, width, mode, learning_rate, batch_size, seconds, max_steps, seed],
                        [loss, accuracy, grads, status, download, run], api_name="resnet_depth_train", **HEAVY)
    with controls:
        stop_button(event)
    fresh.click(resnet_depth_gradients, [run, seed], [grads, status], api_name="resnet_depth_gradients",
                api_visibility="undocumented")
    upload.upload(resnet_depth_upload, [upload, seed], [grads, status, run], api_name="resnet_depth_upload",
                  api_visibility="undocumented")
