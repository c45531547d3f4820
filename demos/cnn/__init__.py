"""CNN tab: handwritten digit recognition with a convolutional network, what it looks at, and (symbols.py) teaching
its features new symbols of the learner's own."""
from __future__ import annotations

import gradio as gr
import numpy as np

from ..common import model_card, principle
from ..digits import digit_canvas, label_dict, load_digit_model, read_digit
from ..i18n import t
from . import symbols
from .views import first_layer_maps, prediction_views


def predict_digit_cnn(image):
    """Recognise a handwritten digit (0-9) drawn on the sketchpad with a convolutional network (CNN).

    Args:
        image: The drawing: a Sketchpad value whose "composite" is the picture (dark strokes on a light or
            transparent background, or light on dark; it is centred and scaled like MNIST).

    Returns:
        The top-3 digits with probabilities, the 28x28 image the model saw, the 32 first-layer feature maps,
        and an occlusion heatmap (where covering the image lowers the predicted digit's probability most).
    """
    digit = read_digit(image)
    model = load_digit_model("cnn")
    probs, seen, heat = prediction_views(model, digit)
    return label_dict(probs), seen, first_layer_maps(model, digit), heat


def predict_uploaded_digit_cnn(image):
    """Recognise a handwritten digit (0-9) in an uploaded picture with a convolutional network (CNN).

    Args:
        image: A picture of one digit, any size: dark on light, light on dark or on a transparent background.

    Returns:
        The top-3 digits with probabilities, the 28x28 image the model saw, the 32 first-layer feature maps,
        and an occlusion heatmap (where covering the image lowers the predicted digit's probability most).
    """
    return predict_digit_cnn(image)


TEXT = {
    "en": {
        **symbols.TEXT["en"],
        "cnn.title": "CNN",
        "cnn.intro": """
A **convolutional neural network** slides small learned filters (3×3 here) over the image, so the same
stroke detector works anywhere in the picture, then pools to become tolerant to small shifts.
This one has 4 convolution layers, 2 max-pools and 2 dense layers (≈0.5 M parameters),
trained on 10,000 MNIST digits with random warps; its accuracy on the official 10,000 test digits is in the model card.

- **What the model saw**: your drawing cropped, scaled into 20×20 and centred by mass in 28×28, like MNIST.
- **First-layer feature maps**: the 32 filters' responses; bright = the filter fired (edges, strokes in one direction…).
- **Occlusion heatmap**: each 8×8 patch is blacked out in turn; red where hiding it lowers the predicted class's probability most.
""",
        "cnn.principle": r"""
**What it computes.** A convolution layer slides $K$ small filters over the image. Output channel $k$ at
pixel $(i, j)$ is
$$z_k(i,j) = b_k + \sum_{c}\sum_{u=-1}^{1}\sum_{v=-1}^{1} W_{k,c}(u,v)\; x_c(i+u,\, j+v)$$
followed by batch normalisation and $\mathrm{ReLU}(z)=\max(0,z)$. The same 3×3 weights are used at every position
(*weight sharing*): a stroke detector learned in one corner works everywhere, and a layer has only
$K \cdot C \cdot 9$ weights. **Max pooling** keeps the largest value of each 2×2 block,
$p(i,j) = \max_{u,v\in\{0,1\}} z(2i+u,\, 2j+v)$, halving the resolution and making the network tolerant to small
shifts. This model: conv 32 → conv 32 → pool → conv 64 → conv 64 → pool (28 → 14 → 7 pixels), then dense
3136 → 128 → 10 with dropout and a softmax. Deeper layers see larger parts of the digit (their *receptive field*
grows), so they combine edges into loops and corners.

**How it is trained.** Cross-entropy with label smoothing, AdamW with a one-cycle learning-rate schedule, on only
10,000 MNIST digits that are randomly rotated, shifted, scaled and thickened every epoch (data augmentation).

**Strengths and weaknesses.** Few parameters, built-in locality and shift tolerance, features that go from edges to
parts; but rotation and scale must be learned from data, and a CNN can lean on texture rather than shape.

**Where it is used.** Image classification, detection and segmentation, OCR, medical images, audio spectrograms.
Below, the 32 small images are the first layer's feature maps $z_k$ for your drawing, and the occlusion heatmap
shows which parts of the digit the final prediction depends on.
""",
        "cnn.draw_tab": "Draw",
        "cnn.draw_button": "Recognise drawing",
        "cnn.upload_tab": "Upload",
        "cnn.upload": "Upload a picture of one digit",
        "cnn.upload_button": "Recognise picture",
        "cnn.examples": "Examples drawn by code: a scan, a thin pen, white chalk, a small off-centre digit",
        "cnn.prediction": "Prediction (top 3)",
        "cnn.seen": "What the model saw (28×28)",
        "cnn.heat": "Occlusion heatmap",
        "cnn.maps": "First conv layer: 32 feature maps",
    },
    "zh-CN": {
        **symbols.TEXT["zh-CN"],
        "cnn.title": "CNN 卷积网络",
        "cnn.intro": """
**卷积神经网络**让一组学到的小滤波器（这里是 3×3）在图像上滑动，因此同一个笔画检测器在图中任何位置都起作用；
再通过池化，对微小的平移不再敏感。这个网络有 4 个卷积层、2 个最大池化层和 2 个全连接层（约 50 万参数），
在 10,000 张随机形变的 MNIST 数字上训练；它在官方 10,000 张测试数字上的准确率见模型卡。

- **模型看到的图像**：你的笔迹被裁剪、缩放到 20×20，再按“质心”放到 28×28 的中央，和 MNIST 的做法一样。
- **第一层特征图**：32 个滤波器的响应；越亮表示该滤波器被激活得越强（边缘、某个方向的笔画……）。
- **遮挡热力图**：依次把每个 8×8 的小块涂黑；越红表示遮住这里时，预测类别的概率下降得越多。
""",
        "cnn.principle": r"""
**计算什么。** 卷积层让 $K$ 个小滤波器在图像上滑动。第 $k$ 个输出通道在像素 $(i, j)$ 处的值为
$$z_k(i,j) = b_k + \sum_{c}\sum_{u=-1}^{1}\sum_{v=-1}^{1} W_{k,c}(u,v)\; x_c(i+u,\, j+v)$$
之后是批归一化和 $\mathrm{ReLU}(z)=\max(0,z)$。同一组 3×3 权重在所有位置共用（**权值共享**）：在一个角落学会的笔画
检测器在任何地方都能用，一层只有 $K \cdot C \cdot 9$ 个权重。**最大池化**取每个 2×2 区块中的最大值，
$p(i,j) = \max_{u,v\in\{0,1\}} z(2i+u,\, 2j+v)$，分辨率减半，网络也因此能容忍微小的平移。本模型的结构是：
卷积 32 → 卷积 32 → 池化 → 卷积 64 → 卷积 64 → 池化（28 → 14 → 7 像素），然后是带 dropout 的全连接层
3136 → 128 → 10 和 softmax。越深的层看到的区域越大（**感受野**变大），于是能把边缘组合成圆圈和拐角。

**怎样训练。** 用带标签平滑的交叉熵损失、AdamW 优化器和 one-cycle 学习率调度；训练数据只有 10,000 张 MNIST 数字，
每个轮次都随机旋转、平移、缩放和加粗（数据增强）。

**优点与不足。** 参数少，天生具有局部性和平移容忍度，特征从边缘逐层组合成部件；但旋转和缩放只能从数据中学，
而且 CNN 有时更依赖纹理而不是形状。

**应用场景。** 图像分类、目标检测与分割、文字识别（OCR）、医学影像、音频频谱图。下方 32 张小图就是你的笔迹在第一层的
特征图 $z_k$，遮挡热力图则显示最终预测依赖数字的哪些部分。
""",
        "cnn.draw_tab": "手写",
        "cnn.draw_button": "识别手写数字",
        "cnn.upload_tab": "上传",
        "cnn.upload": "上传一张只含一个数字的图片",
        "cnn.upload_button": "识别图片",
        "cnn.examples": "用代码画的示例：扫描件、细笔、白色粉笔字、偏离中心的小数字",
        "cnn.prediction": "预测结果（前 3 名）",
        "cnn.seen": "模型看到的图像（28×28）",
        "cnn.heat": "遮挡热力图",
        "cnn.maps": "第一个卷积层：32 张特征图",
    },
}


def example_pictures() -> list[np.ndarray]:
    from ..samples import draw_digit

    return [
        draw_digit(7, background="white", width=18),
        draw_digit(2, background="white", width=5, box=0.7),
        draw_digit(5, background="black", width=24),
        draw_digit(9, background="white", box=0.3, center=(0.7, 0.3), width=10),
    ]


def build() -> None:
    gr.Markdown(t("cnn.intro"))
    principle("cnn.principle")
    with gr.Row():
        with gr.Column(scale=1):
            with gr.Tab(t("cnn.draw_tab")):
                canvas = digit_canvas()
                draw_btn = gr.Button(t("cnn.draw_button"), variant="primary")
            with gr.Tab(t("cnn.upload_tab")):
                upload = gr.Image(label=t("cnn.upload"), type="numpy", image_mode="RGBA",
                                  sources=["upload", "clipboard"], height=300)
                upload_btn = gr.Button(t("cnn.upload_button"), variant="primary")
                gr.Examples(examples=[[image] for image in example_pictures()], inputs=upload,
                            label=t("cnn.examples"))
        with gr.Column(scale=1):
            label = gr.Label(num_top_classes=3, label=t("cnn.prediction"))
            with gr.Row():
                seen = gr.Image(label=t("cnn.seen"), height=200, interactive=False)
                heat = gr.Image(label=t("cnn.heat"), height=200, interactive=False)
            maps = gr.Image(label=t("cnn.maps"), interactive=False)
    model_card("cnn")
    outputs = [label, seen, maps, heat]
    draw_btn.click(predict_digit_cnn, canvas, outputs, api_name="cnn_predict")
    upload_btn.click(predict_uploaded_digit_cnn, upload, outputs, api_name="cnn_predict_image")
    upload.upload(predict_digit_cnn, upload, outputs, api_visibility="private")
    symbols.build()
