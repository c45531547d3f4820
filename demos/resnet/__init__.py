"""ResNet tab: clothes recognition on Fashion-MNIST, why residual connections matter, and a lightweight network;
the live section where a learner trains a plain and a residual network side by side is in depth.py."""
from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np

from ..common import check_choice, heat_overlay, image_error, missing_weights, model_card, principle, upscale
from ..i18n import t
from .depth import TEXT as DEPTH_TEXT, build_depth_section

MODELS = ("resnet", "plain", "lightweight")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]  # = models.resnet.CLASSES (no torch import here)
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples" / "fashion"
TOP_K = 5


def read_garment(image) -> np.ndarray:
    """An uploaded image (numpy, PIL or path) -> the 28x28 Fashion-MNIST-style array, or a gr.Error."""
    from models.imaging import ImageInputError, fashion_like

    try:
        return fashion_like(image)
    except ImageInputError as exc:
        raise image_error(exc) from None


def load_fashion_model(name: str):
    from models.cache import load_model
    from models.resnet import load_pretrained

    try:
        return load_model(f"fashion-{name}", lambda: load_pretrained(name))
    except FileNotFoundError:
        raise missing_weights(name) from None


def grad_cam(model, garment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class probabilities [10] and the Grad-CAM map (7x7, 0..1) of the predicted class.

    Grad-CAM (Selvaraju et al. 2017): weight each channel of the last convolutional feature
    maps by the mean gradient of the class score with respect to it, sum, keep the positive part.
    """
    import torch

    param = next(model.parameters())
    x = torch.from_numpy(np.ascontiguousarray(garment, np.float32)).view(1, 1, 28, 28).to(param.device, param.dtype)
    with torch.inference_mode():
        maps = model.feature_maps(x)
    with torch.enable_grad():
        maps = maps.clone().requires_grad_(True)  # a leaf outside inference mode; the weights stay frozen
        logits = model.head(maps)
        target = int(logits.argmax(1))
        (grads,) = torch.autograd.grad(logits[0, target], maps)
    weights = grads[0].mean((1, 2))
    cam = torch.relu((weights[:, None, None] * maps[0].detach()).sum(0)).float().cpu().numpy()
    probs = torch.softmax(logits.detach().float(), 1)[0].cpu().numpy()
    return probs, (cam / cam.max() if cam.max() > 0 else cam)


def resnet_predict(image, model: str = "resnet"):
    """Classify a picture of a piece of clothing into the 10 Fashion-MNIST classes, and show where the network looked.

    Args:
        image: The picture of one garment, shoe or bag (any size and background; it is converted to a 28x28 grey image).
        model: Which trained network answers: "resnet" (with skip connections), "plain" (the same depth without them) or "lightweight" (depthwise-separable convolutions).

    Returns:
        The top-5 classes (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot)
        with probabilities, the 28x28 image the model saw (enlarged), and a Grad-CAM heatmap over it.
    """
    name = check_choice(model, "Model", MODELS)
    garment = read_garment(image)
    probs, cam = grad_cam(load_fashion_model(name), garment)
    top = np.argsort(-probs)[:TOP_K]
    label = {CLASSES[i]: float(probs[i]) for i in top}
    return label, upscale((garment * 255).astype(np.uint8), 10), heat_overlay(garment, cam)


# --- the measured comparison (from weights/*/metrics.json, read when the tab is built) ---------
def _metrics() -> dict[str, dict]:
    from models.persistence import read_metrics

    return {name: read_metrics(name) for name in MODELS}


def curves_frames(metrics: dict[str, dict]):
    """Per-epoch curves in long format for gr.LinePlot: (training loss, training error %, test accuracy %)."""
    import pandas as pd

    rows = [{"epoch": h["epoch"], "model": name, "loss": h["train_loss"],
             "train_error": round(100 * (1 - h["train_accuracy"]), 2), "test_accuracy": round(100 * h["test_accuracy"], 2)}
            for name, m in metrics.items() for h in m.get("history", [])]
    frame = pd.DataFrame(rows, columns=["epoch", "model", "loss", "train_error", "test_accuracy"])
    return frame[frame.model.isin(["resnet", "plain"])], frame


def comparison_table(metrics: dict[str, dict]):
    import pandas as pd

    rows = []
    for name, m in metrics.items():
        if not m:
            continue
        minutes, epochs = f"{m.get('train_seconds', 0) / 60:.0f}", m.get("epochs", "?")
        rows.append({
            "model": name,
            "parameters": f"{m.get('parameters', 0):,}",
            "multiply-adds / image": f"{m.get('macs', 0) / 1e6:.1f} M",
            "CPU latency / image (1 thread)": f"{m.get('cpu_latency_ms', float('nan')):.2f} ms",
            "test accuracy": f"{100 * m.get('accuracy', float('nan')):.2f}%",
            "training time": f"{minutes} min, {epochs} epochs · {minutes} 分钟，{epochs} 轮",
        })
    return pd.DataFrame(rows)


def _run_example(image, model):
    """What clicking an example runs (its own name, so that the public endpoint stays `resnet_predict`).

    Args:
        image: The example picture.
        model: The example's model name.

    Returns:
        The same outputs as resnet_predict.
    """
    return resnet_predict(image, model)


def example_rows() -> list[list]:
    """The committed Fashion-MNIST test images, plus two made from them by code: a 'catalogue photo'
    (dark on white, RGB, enlarged) and a transparent cut-out, to show the conversion."""
    from PIL import Image

    files = [EXAMPLES_DIR / f"{n}.png" for n in ("ankle_boot", "trouser", "pullover", "dress", "bag", "sneaker")]
    rows = [[str(p), "resnet"] for p in files if p.exists()]
    if (EXAMPLES_DIR / "dress.png").exists():
        dress = np.asarray(Image.open(EXAMPLES_DIR / "dress.png").convert("L"))
        big = np.asarray(Image.fromarray(dress).resize((168, 168), Image.Resampling.BICUBIC))
        photo = np.full((240, 320, 3), 250, np.uint8)
        photo[36:204, 76:244] = np.stack([255 - big, 255 - big * 0.8, 255 - big * 0.6], 2).clip(0, 255).astype(np.uint8)
        rows.append([photo, "plain"])
    if (EXAMPLES_DIR / "sneaker.png").exists():
        shoe = np.asarray(Image.open(EXAMPLES_DIR / "sneaker.png").convert("L"))
        big = np.asarray(Image.fromarray(shoe).resize((196, 196), Image.Resampling.BICUBIC))
        cutout = np.zeros((196, 196, 4), np.uint8)
        cutout[..., :3] = (255 - big)[..., None] // 2
        cutout[..., 3] = np.where(big > 20, 255, 0)
        rows.append([cutout, "lightweight"])
    return rows


TEXT = {
    "en": {
        "resnet.title": "ResNet",
        "resnet.intro": """
A **residual network** (ResNet, He et al. 2015) adds each block's input to its output: a block only has to learn a
*correction* `F(x)` to `x`, and gradients flow straight through the shortcuts. Without them, making a network deeper
can make it *worse at fitting its own training data* — the **degradation problem**. Here the same 20-layer network
(3 stages × 3 two-layer blocks, 16/32/64 channels) is trained twice on the 60,000 Fashion-MNIST images, with and
without shortcuts (**plain**), and a MobileNet-style **lightweight** network of depthwise-separable convolutions is
trained the same way. All three were trained on one CPU core for this hub; the curves and numbers below are our own
measurements.

Upload a picture of one piece of clothing (or pick an example). It is converted the way Fashion-MNIST was made:
grey levels, trimmed to the object, fitted into 28×28 keeping its shape, inverted when the background is light
(transparent parts count as white). The **Grad-CAM** heatmap shows where the last convolutional layer found evidence
for the predicted class.
""",
        "resnet.principle": r"""
**What it computes.** A residual block adds its input back to what its two 3×3 convolutions compute:
$$y = \mathrm{ReLU}\big(\mathcal{F}(x) + S(x)\big),\qquad \mathcal{F}(x) = \mathrm{BN}\big(W_2 \ast \mathrm{ReLU}(\mathrm{BN}(W_1 \ast x))\big)$$
The shortcut $S(x) = x$ is the identity, or a 1×1 convolution with batch norm (a *projection*) where the block
halves the resolution or changes the width. The block only learns the correction $\mathcal{F}(x)$, and because
$\partial(\mathcal{F}(x) + x)/\partial x = \partial\mathcal{F}/\partial x + I$, the gradient always has an
identity path back to the first layers. Both 20-layer networks have a 3×3 stem, 3 stages × 3 blocks with 16/32/64
channels at 28×28, 14×14 and 7×7, global average pooling and a dense 64 → 10 layer; **plain** computes $y = \mathrm{ReLU}(\mathcal{F}(x))$.

The **lightweight** network uses depthwise-separable blocks: a 3×3 filter per channel, then a 1×1 mix. For a
$k\times k$ kernel, $C_{in}\to C_{out}$ channels and an $H\times W$ output, the multiply-adds fall from
$HW\,C_{in}C_{out}k^2$ to $HW\,C_{in}(k^2 + C_{out})$, a ratio of $\frac{1}{C_{out}} + \frac{1}{k^2}$.

**Grad-CAM.** With $A^k$ the last 7×7 feature maps and $y^c$ the logit of the predicted class,
$\alpha_k = \frac{1}{49}\sum_{i,j}\partial y^c/\partial A^k_{ij}$ and $L^c = \mathrm{ReLU}\big(\sum_k \alpha_k A^k\big)$,
scaled to a maximum of 1.

**How it is trained.** All three alike: 60,000 Fashion-MNIST images, 10 epochs of batch 128, cross-entropy with
label smoothing 0.1, SGD with Nesterov momentum 0.9 and weight decay 5·10⁻⁴ (on the convolution and dense weights),
a one-cycle learning rate peaking at 0.15, random shifts of up to 2 pixels (zero padding, then a random crop) and
horizontal flips, one CPU thread.

**Strengths and weaknesses.** Shortcuts let depth pay off (ResNets train with 100+ layers) for almost no extra
parameters (identity shortcuts have none; here the two 1×1 projections add 2,752);
depth still costs time, and separable convolutions trade some accuracy for fewer multiply-adds.

**Where it is used.** Vision backbones, every transformer layer, MobileNets on phones. Below: the training curves
compare resnet and plain (at 20 layers the gap is small; He et al. found it grows with depth), the table shows
the cost, and the heatmap is $L^c$.
""",
        "resnet.upload": "Upload a picture of one piece of clothing",
        "resnet.model": "Model",
        "resnet.model_resnet": "resnet",
        "resnet.model_plain": "plain",
        "resnet.model_lightweight": "lightweight",
        "resnet.classify": "Classify",
        "resnet.prediction": "Prediction (top 5)",
        "resnet.seen": "What the model saw (28×28)",
        "resnet.heat": "Grad-CAM heatmap",
        "resnet.examples": ("Fashion-MNIST test images (MIT licence, demos/examples/fashion), and a 'catalogue photo' "
                            "and a transparent cut-out made from them by code"),
        "resnet.curves_intro": """
### Residual vs plain: our training curves
Training loss and training error (on the augmented training batches, label-smoothed loss) and test accuracy after
each epoch. With the same depth, data and schedule, the network with shortcuts fits its training data faster at
every epoch and ends lower{measured}. At only 20
layers with batch normalisation the gap is small — He et al. saw the same for 20 layers; the plain network falls
clearly behind as depth grows (56 layers and more), which is what residual learning fixed.
""",
        "resnet.loss_plot": "Training loss",
        "resnet.error_plot": "Training error (%)",
        "resnet.accuracy_plot": "Test accuracy (%)",
        "resnet.cost": ("### Cost and accuracy\nMultiply-adds are counted with forward hooks on every convolution and dense "
                        "layer; latency is the median of 200 single-image forward passes on one CPU thread."),
        "resnet.table": "ResNet vs plain vs lightweight",
    },
    "zh-CN": {
        "resnet.title": "ResNet 残差网络",
        "resnet.intro": """
**残差网络**（ResNet，He 等人，2015）把每个模块的输入直接加到它的输出上：模块只需学习对 `x` 的一个**修正量** `F(x)`，
梯度也能沿捷径连接直接回传。没有捷径连接时，把网络加深反而可能让它**连自己的训练数据都拟合得更差**——这就是
**退化问题**。这里同一个 20 层网络（3 个阶段 × 每阶段 3 个两层模块，通道数 16/32/64）在 60,000 张 Fashion-MNIST 图像上
训练了两次：一次有捷径连接，一次没有（**plain**，普通网络）；另外还用同样的方式训练了一个由深度可分离卷积组成的
MobileNet 风格**轻量网络**（lightweight）。三个模型都是为本站在单个 CPU 核心上训练的；下面的曲线和数字都是我们自己测得的。

上传一张只含一件衣物的图片（或选一个示例）。它会按 Fashion-MNIST 的制作方式转换：转成灰度，裁剪到物体本身，保持比例
缩放进 28×28，背景偏亮时反色（透明部分按白色处理）。**Grad-CAM** 热力图显示最后一个卷积层在哪里找到了支持预测类别的证据。
""",
        "resnet.principle": r"""
**计算什么。** 残差模块把输入加回到两个 3×3 卷积的计算结果上：
$$y = \mathrm{ReLU}\big(\mathcal{F}(x) + S(x)\big),\qquad \mathcal{F}(x) = \mathrm{BN}\big(W_2 \ast \mathrm{ReLU}(\mathrm{BN}(W_1 \ast x))\big)$$
捷径 $S(x) = x$ 是恒等映射；当模块把分辨率减半或改变通道数时，它换成带批归一化的 1×1 卷积（**投影捷径**）。模块只需学习
修正量 $\mathcal{F}(x)$；又因为 $\partial(\mathcal{F}(x) + x)/\partial x = \partial\mathcal{F}/\partial x + I$，梯度总有一条恒等路径
直接传回最前面的层。两个 20 层网络都由 3×3 卷积主干、3 个阶段 × 3 个模块（通道 16/32/64，分辨率 28×28、14×14、7×7）、
全局平均池化和 64 → 10 的全连接层组成；**plain**（普通网络）去掉捷径，计算 $y = \mathrm{ReLU}(\mathcal{F}(x))$。

**轻量网络**使用深度可分离卷积：先对每个通道单独做 3×3 卷积（逐通道卷积），再用 1×1 卷积（逐点卷积）混合通道。对于
$k\times k$ 卷积核、$C_{in}\to C_{out}$ 通道、$H\times W$ 的输出，乘加次数从 $HW\,C_{in}C_{out}k^2$ 降到
$HW\,C_{in}(k^2 + C_{out})$，比例为 $\frac{1}{C_{out}} + \frac{1}{k^2}$。

**Grad-CAM。** 设 $A^k$ 为最后的 7×7 特征图，$y^c$ 为预测类别的 logit，则
$\alpha_k = \frac{1}{49}\sum_{i,j}\partial y^c/\partial A^k_{ij}$，$L^c = \mathrm{ReLU}\big(\sum_k \alpha_k A^k\big)$，再缩放到最大值为 1。

**怎样训练。** 三个模型完全相同：60,000 张 Fashion-MNIST 图像，10 个轮次，批大小 128，带标签平滑 0.1 的交叉熵损失，
带 Nesterov 动量 0.9 和权重衰减 5·10⁻⁴（只作用于卷积层和全连接层的权重）的 SGD，峰值 0.15 的 one-cycle 学习率，
随机平移最多 2 像素（先零填充再随机裁剪）和水平翻转，单个 CPU 线程。

**优点与不足。** 捷径连接让加深网络真正有用（ResNet 可以训练到 100 层以上），而且几乎不增加参数（恒等捷径没有参数；
这里两个 1×1 投影共增加 2,752 个）；但更深仍然更慢，深度可分离卷积
则用少许准确率换来更少的乘加次数。

**应用场景。** 视觉骨干网络、Transformer 的每一层（残差连接）、手机上的 MobileNet。下方的训练曲线比较 resnet 与 plain
（20 层时差距很小；He 等人发现网络越深差距越大），表格展示计算代价，热力图就是 $L^c$。
""",
        "resnet.upload": "上传一张只含一件衣物的图片",
        "resnet.model": "模型",
        "resnet.model_resnet": "resnet（残差网络）",
        "resnet.model_plain": "plain（无捷径连接）",
        "resnet.model_lightweight": "lightweight（轻量网络）",
        "resnet.classify": "识别",
        "resnet.prediction": "预测结果（前 5 名）",
        "resnet.seen": "模型看到的图像（28×28）",
        "resnet.heat": "Grad-CAM 热力图",
        "resnet.examples": ("Fashion-MNIST 测试图像（MIT 许可证，demos/examples/fashion），以及用代码由它们生成的一张"
                            "“商品目录照片”和一张透明背景抠图"),
        "resnet.curves_intro": """
### 残差网络与普通网络：我们的训练曲线
每个轮次结束时的训练损失、训练错误率（在数据增强后的训练批次上，损失含标签平滑）和测试准确率。深度、数据和学习率调度都相同时，
有捷径连接的网络在每个轮次都更快地拟合训练数据，最终的训练损失和错误率也更低{measured}。只有 20 层且带批归一化时，两者差距很小——He 等人
在 20 层时也观察到了这一点；随着网络加深（56 层及以上），普通网络会明显落后，而这正是残差学习解决的问题。
""",
        "resnet.loss_plot": "训练损失",
        "resnet.error_plot": "训练错误率（%）",
        "resnet.accuracy_plot": "测试准确率（%）",
        "resnet.cost": ("### 计算代价与准确率\n乘加次数由挂在每个卷积层和全连接层上的前向钩子统计；延迟是在单个 CPU 线程上"
                        "对单张图像做 200 次前向计算的中位数。"),
        "resnet.table": "ResNet、plain 与 lightweight 对比",
    },
}


for _lang in TEXT:  # the live section's text (demos/resnet/depth.py) under the same "resnet." prefix
    TEXT[_lang].update(DEPTH_TEXT[_lang])

# the "{measured}" slot of resnet.curves_intro, filled from weights/*/metrics.json when the tab is built
_CURVES_TEMPLATE = {lang: TEXT[lang]["resnet.curves_intro"] for lang in TEXT}
MEASURED = {
    "en": " (measured: final training error {r_err:.1f}% for resnet vs {p_err:.1f}% for plain, test accuracy "
          "{r_acc:.1f}% vs {p_acc:.1f}%)",
    "zh-CN": "（实测：最终训练错误率 resnet {r_err:.1f}%、plain {p_err:.1f}%，测试准确率 {r_acc:.1f}% 与 {p_acc:.1f}%）",
}


def fill_measured(metrics: dict[str, dict]) -> None:
    """Put the measured final numbers into both languages of resnet.curves_intro (or nothing without histories)."""
    numbers = None
    if metrics.get("resnet", {}).get("history") and metrics.get("plain", {}).get("history"):
        r, p = metrics["resnet"]["history"][-1], metrics["plain"]["history"][-1]
        numbers = {"r_err": 100 * (1 - r["train_accuracy"]), "p_err": 100 * (1 - p["train_accuracy"]),
                   "r_acc": 100 * r["test_accuracy"], "p_acc": 100 * p["test_accuracy"]}
    for lang, template in _CURVES_TEMPLATE.items():
        TEXT[lang]["resnet.curves_intro"] = template.format(
            measured=MEASURED[lang].format(**numbers) if numbers else "")


fill_measured({})  # no "{measured}" left in the text before the tab is built

# plain bilingual strings (Gradio translates neither example labels nor plot axes)
EXAMPLE_LABELS = ["ankle boot · 短靴", "trouser · 裤子", "pullover · 套头衫", "dress · 连衣裙", "bag · 包",
                  "sneaker · 运动鞋", "catalogue photo (plain) · 商品目录照片（plain）",
                  "transparent cut-out (lightweight) · 透明背景抠图（lightweight）"]
AXIS_TITLES = {
    "epoch": "epoch · 轮次",
    "model": "model · 模型",
    "loss": "training loss · 训练损失",
    "train_error": "training error (%) · 训练错误率（%）",
    "test_accuracy": "test accuracy (%) · 测试准确率（%）",
}
# the comparison table's headers (a Dataframe's headers are data, not translation keys)
TABLE_COLUMNS = {
    "model": "model · 模型",
    "parameters": "parameters · 参数量",
    "multiply-adds / image": "multiply-adds / image · 每张图像的乘加次数",
    "CPU latency / image (1 thread)": "CPU latency / image (1 thread) · 每张图像的 CPU 延迟（单线程）",
    "test accuracy": "test accuracy · 测试准确率",
    "training time": "training time · 训练时间",
}


def build() -> None:
    gr.Markdown(t("resnet.intro"))
    principle("resnet.principle")
    with gr.Row():
        with gr.Column(scale=1):
            image = gr.Image(label=t("resnet.upload"), type="numpy", image_mode="RGBA",
                             sources=["upload", "clipboard"], height=300)
            model = gr.Radio([(t(f"resnet.model_{name}"), name) for name in MODELS], value="resnet",
                             label=t("resnet.model"))
            button = gr.Button(t("resnet.classify"), variant="primary")
        with gr.Column(scale=1):
            label = gr.Label(num_top_classes=TOP_K, label=t("resnet.prediction"))
            with gr.Row():
                seen = gr.Image(label=t("resnet.seen"), height=220, interactive=False)
                heat = gr.Image(label=t("resnet.heat"), height=220, interactive=False)
    rows = example_rows()
    gr.Examples(examples=rows, inputs=[image, model], outputs=[label, seen, heat], fn=_run_example,
                run_on_click=True, cache_examples=False, api_visibility="private", api_name="resnet_example",
                example_labels=EXAMPLE_LABELS[:len(rows)], label=t("resnet.examples"))

    metrics = _metrics()
    fill_measured(metrics)
    gr.Markdown(t("resnet.curves_intro"))
    pair, every = curves_frames(metrics)
    plot = {"x": "epoch", "color": "model", "x_title": AXIS_TITLES["epoch"], "color_title": AXIS_TITLES["model"],
            "height": 280}
    with gr.Row():
        gr.LinePlot(pair, y="loss", title=t("resnet.loss_plot"), y_title=AXIS_TITLES["loss"], **plot)
        gr.LinePlot(pair, y="train_error", title=t("resnet.error_plot"), y_title=AXIS_TITLES["train_error"], **plot)
        gr.LinePlot(every, y="test_accuracy", title=t("resnet.accuracy_plot"), y_title=AXIS_TITLES["test_accuracy"],
                    **plot)
    gr.Markdown(t("resnet.cost"))
    gr.Dataframe(comparison_table(metrics).rename(columns=TABLE_COLUMNS), interactive=False, label=t("resnet.table"))
    from models.persistence import weights_dir

    model_card(*[name for name in MODELS if (weights_dir(name) / "config.json").exists()])
    build_depth_section()

    outputs = [label, seen, heat]
    button.click(resnet_predict, [image, model], outputs, api_name="resnet_predict")
    image.upload(resnet_predict, [image, model], outputs, api_visibility="private")
    model.change(lambda img, m: resnet_predict(img, m) if img is not None else (None, None, None),
                 [image, model], outputs, api_visibility="private")

    from .. import detection  # the detection section: a ResNet backbone that finds and reads every digit

    detection.build()
