"""DNN tab: a live neural-network playground on 2-D data, and an MLP that reads drawn digits."""
from __future__ import annotations

import time

import gradio as gr
import numpy as np

from .common import both, check_choice, check_number, error, model_card, principle, seed_generator, tile, upscale
from .digits import digit_canvas, digit_probabilities, label_dict, load_digit_model, model_view, read_digit
from .i18n import t
from .live import HEAVY

DATASETS = ("moons", "circles", "xor", "spiral")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu")
LIMITS = {"layers": (1, 6), "width": (1, 64), "epochs": (1, 2000), "points": (20, 1000),
          "lr": (1e-4, 1.0), "noise": (0.0, 3.0)}
GRID_LIM = 2.0
FRAME_SECONDS = 0.03  # pace the stream so a fast run is still watchable: ~40 frames over at least 1.2 s


# class 0 red, class 1 blue; the background fades through white where the network is unsure
CLASS_COLORS = np.array([[178, 24, 43], [33, 102, 172]], np.uint8)
_FAINT = np.array([[244, 165, 130], [255, 255, 255], [146, 197, 222]], np.float32)
PLOT_SIZE = 360

# request-time text (the browser cannot translate it): English first, as the API returned it before, then Chinese
STATUS = {
    "epoch": ("**epoch {epoch}/{epochs}** · loss {loss:.4f} · train accuracy {train:.1%} · test accuracy {test:.1%} · "
              "{params:,} parameters",
              "**第 {epoch}/{epochs} 轮** · 损失 {loss:.4f} · 训练准确率 {train:.1%} · 测试准确率 {test:.1%} · "
              "{params:,} 个参数"),
}
# the learning curves' legend (plot data, not translation keys): history key -> series name
SERIES = {"loss": "training loss · 训练损失", "train_acc": "train accuracy · 训练准确率",
          "test_acc": "test accuracy · 测试准确率"}


def _colour_table() -> np.ndarray:
    """P(class 1) in 256 steps -> the background colour (red through white to blue), uint8 [256, 3]."""
    p = np.linspace(0, 1, 256, dtype=np.float32)[:, None]
    rgb = np.where(p < 0.5, _FAINT[0] + (_FAINT[1] - _FAINT[0]) * (p / 0.5),
                   _FAINT[1] + (_FAINT[2] - _FAINT[1]) * ((p - 0.5) / 0.5))
    return rgb.astype(np.uint8)


COLOUR_TABLE = _colour_table()


def points_layer(x, y, x_test, y_test):
    """The data points as a transparent RGBA layer: drawn once per run, laid over every frame's surface
    (drawing 600 points anew for each of 40 frames took a third of the run)."""
    from PIL import Image, ImageDraw

    layer = Image.new("RGBA", (PLOT_SIZE, PLOT_SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)

    def to_pixels(points):
        return (points + GRID_LIM) / (2 * GRID_LIM) * PLOT_SIZE * np.array([1, -1]) + np.array([0, PLOT_SIZE])

    for (px, py), label in zip(to_pixels(x_test), y_test):  # hollow: test points
        draw.ellipse((px - 3.5, py - 3.5, px + 3.5, py + 3.5), outline=tuple(CLASS_COLORS[label]), width=1)
    for (px, py), label in zip(to_pixels(x), y):  # filled: training points
        draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=tuple(CLASS_COLORS[label]), outline=(255, 255, 255))
    return layer


def draw_boundary(model, points) -> np.ndarray:
    """The decision surface P(class 1) as a coloured background with the points layer on top (uint8 RGB)."""
    from PIL import Image
    from models.playground import probability_grid

    p = probability_grid(model, GRID_LIM)
    surface = Image.fromarray(COLOUR_TABLE[np.rint(p * 255).astype(np.uint8)])
    surface = surface.resize((PLOT_SIZE, PLOT_SIZE), Image.Resampling.BILINEAR)
    surface.paste(points, (0, 0), points)  # the layer's alpha as the mask
    return np.asarray(surface)


def curves_frame(history: dict):
    """The learning curves in long format for gr.LinePlot."""
    import pandas as pd

    epochs = history["epoch"]
    return pd.concat([pd.DataFrame({"epoch": epochs, "value": history[key], "series": name})
                      for key, name in SERIES.items()], ignore_index=True)


def train_playground(dataset="moons", layers=2, width=16, activation="relu", learning_rate=0.03,
                     epochs=300, points=300, noise=1.0, seed=0):
    """Train a small multi-layer perceptron (MLP) on a 2-D toy dataset and stream its progress.

    Args:
        dataset: The 2-D points to separate: "moons", "circles", "xor" or "spiral".
        layers: Number of hidden layers (1-6).
        width: Neurons per hidden layer (1-64).
        activation: Hidden-layer activation: "relu", "tanh", "sigmoid" or "gelu".
        learning_rate: Adam learning rate (0.0001-1).
        epochs: Full-batch training epochs (1-2000).
        points: Number of training points, and as many test points (20-1000).
        noise: How much the two classes overlap (0-3; 1 is the default spread).
        seed: Random seed: the same seed gives the same data, weights and curves.

    Returns:
        Streamed about 40 times: the decision boundary with the train and test points (image), the loss and
        accuracy curves so far (table: epoch, value, curve), and a status line with epoch, loss and accuracies.
    """
    import torch
    from models.playground import PlaygroundMLP, make_dataset, train_live

    dataset = check_choice(dataset, "Dataset", DATASETS)
    activation = check_choice(activation, "Activation", ACTIVATIONS)
    layers = check_number(layers, "Hidden layers", *LIMITS["layers"], integer=True)
    width = check_number(width, "Neurons per layer", *LIMITS["width"], integer=True)
    epochs = check_number(epochs, "Epochs", *LIMITS["epochs"], integer=True)
    points = check_number(points, "Points", *LIMITS["points"], integer=True)
    learning_rate = check_number(learning_rate, "Learning rate", *LIMITS["lr"])
    noise = check_number(noise, "Noise", *LIMITS["noise"])
    gen = seed_generator(seed)

    x, y = make_dataset(dataset, points, noise, gen)
    x_test, y_test = make_dataset(dataset, points, noise, gen)
    with torch.enable_grad():
        model = PlaygroundMLP(layers, width, activation, gen)
        params = sum(p.numel() for p in model.parameters())
        points = points_layer(x.numpy(), y.numpy(), x_test.numpy(), y_test.numpy())
        try:
            last = time.monotonic()
            for epoch, history in train_live(model, x, y, x_test, y_test, learning_rate, epochs):
                image = draw_boundary(model, points)
                status = both(STATUS["epoch"], epoch=epoch, epochs=epochs, loss=history["loss"][-1],
                              train=history["train_acc"][-1], test=history["test_acc"][-1], params=params)
                # paced from the previous frame's hand-over: the time Gradio takes to send a frame counts
                time.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - last)))
                last = time.monotonic()
                yield image, curves_frame(history), status
        except FloatingPointError as exc:
            raise error(f"Training stopped: {exc}.", "训练已停止：损失发散了（变成 NaN 或无穷大），请调低学习率。") from None


def hidden_unit_templates(model, digit: np.ndarray, count: int = 16) -> np.ndarray:
    """First-layer weights of the `count` hidden units your drawing activated most (red +, blue −)."""
    import torch

    with torch.inference_mode():
        x = torch.from_numpy(digit).view(1, 1, 28, 28).to(next(model.parameters()).device)
        acts = model.activations(x)[0][0].float().cpu().numpy()
        weights = model.hidden[0].weight.float().cpu().numpy()
    top = np.argsort(-acts)[:count]
    tiles = []
    for unit in top:
        w = weights[unit].reshape(28, 28)
        w = w / (np.abs(w).max() + 1e-8)
        rgb = np.stack([1 + np.minimum(w, 0), 1 - np.abs(w), 1 - np.maximum(w, 0)], axis=2)  # white at 0
        tiles.append(upscale((np.clip(rgb, 0, 1) * 255).astype(np.uint8), 3))
    return tile(tiles, columns=8)


def predict_digit_mlp(image):
    """Recognise a handwritten digit (0-9) with a fully-connected network (MLP) and, for comparison, a CNN.

    Args:
        image: The drawing: a Sketchpad value whose "composite" is the picture (dark strokes on a light or
            transparent background, or light on dark; it is centred and scaled like MNIST).

    Returns:
        The MLP's top-3 digits with probabilities, the CNN's top-3 on the same input, the 28x28 image the models
        saw, and the first-layer weights of the 16 hidden units the drawing activated most.
    """
    digit = read_digit(image)
    mlp = load_digit_model("mlp")
    cnn = load_digit_model("cnn")
    mlp_probs = digit_probabilities(mlp, digit[None])[0]
    cnn_probs = digit_probabilities(cnn, digit[None])[0]
    return label_dict(mlp_probs), label_dict(cnn_probs), model_view(digit), hidden_unit_templates(mlp, digit)


TEXT = {
    "en": {
        "dnn.title": "DNN",
        "dnn.playground": """
### Neural-network playground
A **deep neural network** (multilayer perceptron) stacks layers `h = activation(W·x + b)`. Each layer bends the
space a little; together they can separate classes no straight line can. Pick a dataset and a network, press
**Train**, and watch the decision boundary (background colour = predicted class probability) and the learning curve
evolve. Filled dots are training points, hollow ones are test points the network never trains on.
Try: a network with *no* hidden activation power (1 layer, 1 neuron) on *circles*; `tanh` vs `relu` on *spiral*; a
huge learning rate.
""",
        "dnn.principle": r"""
**What it computes.** A multilayer perceptron (MLP) passes the input $x$ through $L$ fully connected layers:
$$h^{(0)} = x,\qquad h^{(\ell)} = \phi\big(W^{(\ell)} h^{(\ell-1)} + b^{(\ell)}\big),\qquad
p = \mathrm{softmax}\big(W^{(L)} h^{(L-1)} + b^{(L)}\big)$$
$\phi$ is the activation (ReLU, tanh, sigmoid, GELU). Without it the whole stack would collapse into a single
linear map, i.e. a straight decision line; with it every layer folds the plane, which is why the playground's
boundary can curve around circles and spirals.

**How it is trained.** The loss is the cross-entropy $\mathcal{L} = -\frac{1}{N}\sum_i \log p_{y_i}(x_i)$.
*Backpropagation* applies the chain rule from the output back to the input,
$\delta^{(\ell)} = \big(W^{(\ell+1)\top}\delta^{(\ell+1)}\big)\odot\phi'(z^{(\ell)})$,
$\;\partial\mathcal{L}/\partial W^{(\ell)} = \delta^{(\ell)}\,h^{(\ell-1)\top}$, and Adam takes a step along the
gradients. The playground does one full-batch step per epoch; the learning curve shows the training loss falling,
and when the test accuracy stays behind the training accuracy the network is over-fitting. The digit MLP
(784 → 512 → 256 → 10, ReLU, dropout) was trained with AdamW on warped MNIST digits and also imitated the CNN's
soft predictions (knowledge distillation).

**Strengths and weaknesses.** Simple, fast and a universal approximator; but it ignores the structure of its input
(a digit shifted by two pixels is a brand-new vector), has many parameters, and needs much data.

**Where it is used.** Tabular data, and inside almost every other network: the classifier head of a CNN, the
feed-forward blocks of a transformer, the Q-network of the DQN tab. The hidden-unit pictures below are rows of
$W^{(1)}$ reshaped to 28×28.
""",
        "dnn.digits": """
### The MLP on handwritten digits
The same kind of network, 784 → 512 → 256 → 10, reading the 28×28 pixels as one flat vector. It knows nothing
about neighbouring pixels, which is exactly what the CNN tab adds. Draw a digit: both networks read the same
28×28 input. On the right, the first-layer weights of the 16 hidden units your drawing excited most
(red: ink here raises the unit, blue: ink here lowers it).
""",
        "dnn.dataset": "Dataset",
        "dnn.moons": "moons", "dnn.circles": "circles", "dnn.xor": "xor", "dnn.spiral": "spiral",
        "dnn.layers": "Hidden layers",
        "dnn.width": "Neurons per layer",
        "dnn.activation": "Activation",
        "dnn.lr": "Learning rate (Adam)",
        "dnn.epochs": "Epochs",
        "dnn.data": "Data",
        "dnn.points": "Training points",
        "dnn.noise": "Noise",
        "dnn.seed": "Seed",
        "dnn.train": "Train",
        "dnn.boundary": "Decision boundary · ● train ○ test",
        "dnn.curves": "Learning curves",
        "dnn.predict": "Recognise with the MLP",
        "dnn.mlp_label": "MLP (DNN) prediction",
        "dnn.cnn_label": "CNN prediction, same input",
        "dnn.seen": "What both models saw (28×28)",
        "dnn.units": "Most active hidden units: their input weights",
    },
    "zh-CN": {
        "dnn.title": "DNN 深度网络",
        "dnn.playground": """
### 神经网络游乐场
**深度神经网络**（多层感知机）把一层层 `h = 激活函数(W·x + b)` 叠起来。每一层把空间弯折一点，叠在一起就能分开任何一条直线
都分不开的类别。选一个数据集和网络结构，点 **训练**，看决策边界（背景颜色 = 预测为某一类的概率）和学习曲线如何变化。
实心点是训练点，空心点是网络从未训练过的测试点。
可以试试：在 *circles* 上用几乎没有表达能力的网络（1 层、1 个神经元）；在 *spiral* 上比较 `tanh` 和 `relu`；或者把学习率调得很大。
""",
        "dnn.principle": r"""
**计算什么。** 多层感知机（MLP）让输入 $x$ 依次通过 $L$ 个全连接层：
$$h^{(0)} = x,\qquad h^{(\ell)} = \phi\big(W^{(\ell)} h^{(\ell-1)} + b^{(\ell)}\big),\qquad
p = \mathrm{softmax}\big(W^{(L)} h^{(L-1)} + b^{(L)}\big)$$
$\phi$ 是激活函数（ReLU、tanh、sigmoid、GELU）。没有它，多层叠加仍然只是一个线性映射，决策边界只能是直线；有了它，
每一层都会把平面折叠一次，所以游乐场里的边界能绕着圆环和螺旋弯曲。

**怎样训练。** 损失函数是交叉熵 $\mathcal{L} = -\frac{1}{N}\sum_i \log p_{y_i}(x_i)$。**反向传播**从输出层往回逐层
应用链式法则：$\delta^{(\ell)} = \big(W^{(\ell+1)\top}\delta^{(\ell+1)}\big)\odot\phi'(z^{(\ell)})$，
$\;\partial\mathcal{L}/\partial W^{(\ell)} = \delta^{(\ell)}\,h^{(\ell-1)\top}$，再由 Adam 沿梯度更新参数。
游乐场每个轮次用全部数据做一次更新；学习曲线里训练损失不断下降，如果测试准确率明显落后于训练准确率，就说明网络过拟合了。
手写数字 MLP（784 → 512 → 256 → 10，ReLU，dropout）在随机形变的 MNIST 数字上用 AdamW 训练，并模仿 CNN 的软预测
（知识蒸馏）。

**优点与不足。** 结构简单、速度快，是万能逼近器；但它不理解输入的结构（数字平移两个像素就成了全新的向量），参数多，
需要大量数据。

**应用场景。** 表格数据；也藏在几乎所有其他网络里：CNN 的分类头、Transformer 的前馈层、DQN 标签页里的 Q 网络。
下方的隐藏单元图就是 $W^{(1)}$ 的行，重排成 28×28。
""",
        "dnn.digits": """
### 用 MLP 识别手写数字
同一类网络，784 → 512 → 256 → 10，把 28×28 的像素拉平成一个向量来读。它完全不知道哪些像素彼此相邻——这正是 CNN 标签页
补上的能力。画一个数字：两个网络读到的是同一张 28×28 输入。右侧是被你的笔迹激活得最强的 16 个隐藏单元的第一层权重
（红色：这里有笔迹会让该单元增强；蓝色：会让它减弱）。
""",
        "dnn.dataset": "数据集",
        "dnn.moons": "双月牙 moons", "dnn.circles": "同心圆 circles", "dnn.xor": "异或 xor", "dnn.spiral": "螺旋 spiral",
        "dnn.layers": "隐藏层数",
        "dnn.width": "每层神经元数",
        "dnn.activation": "激活函数",
        "dnn.lr": "学习率（Adam）",
        "dnn.epochs": "训练轮数",
        "dnn.data": "数据",
        "dnn.points": "训练点数",
        "dnn.noise": "噪声",
        "dnn.seed": "随机种子",
        "dnn.train": "训练",
        "dnn.boundary": "决策边界 · ● 训练点 ○ 测试点",
        "dnn.curves": "学习曲线",
        "dnn.predict": "用 MLP 识别",
        "dnn.mlp_label": "MLP（DNN）的预测",
        "dnn.cnn_label": "CNN 对同一输入的预测",
        "dnn.seen": "两个模型看到的图像（28×28）",
        "dnn.units": "最活跃的隐藏单元：它们的输入权重",
    },
}


def build() -> None:
    gr.Markdown(t("dnn.playground"))
    principle("dnn.principle")
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            dataset = gr.Radio([(t(f"dnn.{name}"), name) for name in DATASETS], value="moons", label=t("dnn.dataset"))
            layers = gr.Slider(*LIMITS["layers"], value=2, step=1, label=t("dnn.layers"))
            width = gr.Slider(*LIMITS["width"], value=16, step=1, label=t("dnn.width"))
            activation = gr.Radio(list(ACTIVATIONS), value="relu", label=t("dnn.activation"))
            learning_rate = gr.Slider(0.001, 0.3, value=0.03, step=0.001, label=t("dnn.lr"))
            epochs = gr.Slider(10, LIMITS["epochs"][1], value=300, step=10, label=t("dnn.epochs"))
            with gr.Accordion(t("dnn.data"), open=False):
                points = gr.Slider(*LIMITS["points"], value=300, step=10, label=t("dnn.points"))
                noise = gr.Slider(*LIMITS["noise"], value=1.0, step=0.1, label=t("dnn.noise"))
                seed = gr.Number(value=0, precision=0, minimum=0, label=t("dnn.seed"))
            train_btn = gr.Button(t("dnn.train"), variant="primary")
        with gr.Column(scale=3):
            with gr.Row():
                boundary = gr.Image(label=t("dnn.boundary"), interactive=False,
                                    height=PLOT_SIZE + 40, scale=1)
                curves = gr.LinePlot(x="epoch", y="value", color="series", title=t("dnn.curves"),
                                     y_title="loss / accuracy · 损失 / 准确率", height=PLOT_SIZE, scale=1)
            status = gr.Markdown()
    train_btn.click(train_playground, [dataset, layers, width, activation, learning_rate, epochs, points, noise, seed],
                    [boundary, curves, status], api_name="dnn_train", **HEAVY)

    gr.Markdown(t("dnn.digits"))
    with gr.Row():
        with gr.Column(scale=1):
            canvas = digit_canvas()
            predict_btn = gr.Button(t("dnn.predict"), variant="primary")
        with gr.Column(scale=1):
            with gr.Row():
                mlp_label = gr.Label(num_top_classes=3, label=t("dnn.mlp_label"))
                cnn_label = gr.Label(num_top_classes=3, label=t("dnn.cnn_label"))
            with gr.Row():
                seen = gr.Image(label=t("dnn.seen"), height=200, interactive=False)
            units = gr.Image(label=t("dnn.units"), interactive=False)
    model_card("mlp", "cnn")
    predict_btn.click(predict_digit_mlp, canvas, [mlp_label, cnn_label, seen, units], api_name="dnn_predict")
