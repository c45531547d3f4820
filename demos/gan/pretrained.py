"""The GAN tab's pretrained section: class-conditional DCGANs draw digits or clothes; the discriminator grades
each one; a latent walk morphs one sample into another."""
from __future__ import annotations

import time

import gradio as gr
import numpy as np

from ..common import (check_number, missing_weights, model_card, principle, seed_generator, text_font,
                     tile, upscale)
from ..i18n import t
from ..image_classes import (DATASET_CHOICES, FASHION_NAMES, class_choices, class_names, has_card, read_class,  # noqa: F401
                             read_dataset)

MAX_COUNT = 64
MAX_FRAMES = 16
ZOOM = 3           # grid tiles are 84x84
SEED_MAX = 2**31 - 1
PSI_RANGE = (0.1, 1.5)
DEFAULT_PSI = 0.8  # = models.gan.SAMPLE_TEMPERATURE (what the model cards' metrics were measured with); kept
                   # here so that building the tab does not import torch


def load_gan(dataset: str):
    from models.cache import load_model
    from models.gan import DATASETS, load_gan as _load
    from models.persistence import weights_dir

    name = DATASETS[dataset][0]
    if not (weights_dir(name) / "model.safetensors").exists():
        raise missing_weights(name)
    return load_model(name, lambda: _load(dataset))


def _device(model):
    return next(model.parameters()).device


def _run(model, z, onehot):
    """-> (images [B,28,28] float32 numpy in [0,1], discriminator P(real) [B])."""
    import torch

    device = _device(model)
    dtype = next(model.parameters()).dtype
    with torch.inference_mode():
        images, score = model.sample(z.to(device, dtype), onehot=onehot.to(device, dtype))
    return images.float().cpu().numpy(), score.float().cpu().numpy()


def _captioned(image: np.ndarray, caption: str, good: bool | None = None) -> np.ndarray:
    """A 28x28 sample enlarged, with a caption strip under it (RGB uint8)."""
    from PIL import Image, ImageDraw

    big = upscale((image * 255).astype(np.uint8), ZOOM)
    h, w = big.shape
    canvas = Image.new("RGB", (w, h + 16), "white")
    canvas.paste(Image.fromarray(big).convert("RGB"), (0, 0))
    draw = ImageDraw.Draw(canvas)
    color = (0, 0, 0) if good is None else ((20, 120, 40) if good else (190, 40, 30))
    draw.text((w // 2, h + 8), caption, fill=color, anchor="mm", font=text_font(12))
    return np.asarray(canvas)


def sample_gan_grid(dataset="Digits (MNIST)", class_value="all", count=32, seed=0, temperature=None):
    """Generate images with a trained conditional GAN and score each with its discriminator.

    Args:
        dataset: "Digits (MNIST)" or "Clothes (Fashion-MNIST)".
        class_value: Which class to draw: "all" (a mix) or "0"-"9" (a digit, or a clothes class in Fashion-MNIST order: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot).
        count: How many images (1-64).
        seed: Random seed: the same seed gives the same images.
        temperature: Latent temperature (0.1-1.5; scales the random input z): lower gives cleaner, less varied images; default 0.8.

    Returns:
        A grid of the images with the discriminator's P(real) under each, a table of the samples with their
        class and score, and a status (time taken, mean score).
    """
    import torch

    dataset = read_dataset(dataset)
    label = read_class(class_value)
    count = check_number(count, "Count", 1, MAX_COUNT, integer=True)
    generator = seed_generator(seed)
    psi = (DEFAULT_PSI if temperature is None
           else check_number(temperature, ("Latent temperature", "潜变量温度"), *PSI_RANGE))
    model = load_gan(dataset)
    t0 = time.perf_counter()
    z = torch.randn(count, model.latent_dim, generator=generator) * psi
    labels = torch.arange(count) % 10 if label is None else torch.full((count,), label)
    images, scores = _run(model, z, torch.nn.functional.one_hot(labels, 10).float())
    names = class_names(dataset)
    tiles = [_captioned(img, f"D {s:.2f}", bool(s >= 0.5)) for img, s in zip(images, scores)]
    grid = tile(tiles, columns=min(8, count))
    ms = (time.perf_counter() - t0) * 1000
    rows = [{"class": names[int(c)], "d_real": round(float(s), 4)} for c, s in zip(labels, scores)]
    status = STATUS["sample"].format(count=count, psi=psi, ms=ms, mean=scores.mean())
    return grid, rows, status


def _slerp(a, b, t: float):
    """Spherical interpolation between Gaussian latents (keeps the norm typical of N(0, I))."""
    import torch

    cos = (a * b).sum() / (a.norm() * b.norm())
    omega = torch.arccos(cos.clamp(-1 + 1e-6, 1 - 1e-6))
    if omega.abs() < 1e-4:
        return (1 - t) * a + t * b
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def _walk_inputs(dataset, seed_a, seed_b, class_a, class_b):
    import torch

    dataset = read_dataset(dataset)
    ga, gb = seed_generator(seed_a), seed_generator(seed_b)
    ca = read_class(class_a, ("Class A", "类别 A"))
    cb = read_class(class_b, ("Class B", "类别 B"))
    model = load_gan(dataset)
    psi = DEFAULT_PSI
    za = torch.randn(model.latent_dim, generator=ga) * psi
    zb = torch.randn(model.latent_dim, generator=gb) * psi
    # 'all' picks a class from the seed, so each seed is one fixed sample
    ca = int(seed_a) % 10 if ca is None else ca
    cb = int(seed_b) % 10 if cb is None else cb
    eye = torch.eye(10)
    return dataset, model, za, zb, eye[ca], eye[cb]


def gan_latent_walk(dataset="Digits (MNIST)", seed_a=0, seed_b=1, class_a="all", class_b="all", frames=8):
    """Walk through the GAN's latent space from one generated image (A) to another (B).

    Args:
        dataset: "Digits (MNIST)" or "Clothes (Fashion-MNIST)".
        seed_a: Random seed of the start image A.
        seed_b: Random seed of the end image B.
        class_a: Class of A: "all" or "0"-"9".
        class_b: Class of B: "all" or "0"-"9".
        frames: Number of images along the walk (2-16).

    Returns:
        A strip of images interpolating from A to B (spherical in z, linear in the class vector), each captioned
        with its position t and discriminator score.
    """
    import torch

    frames = check_number(frames, "Frames", 2, MAX_FRAMES, integer=True)
    dataset, model, za, zb, ya, yb = _walk_inputs(dataset, seed_a, seed_b, class_a, class_b)
    ts = [i / (frames - 1) for i in range(frames)]
    z = torch.stack([_slerp(za, zb, t) for t in ts])
    y = torch.stack([(1 - t) * ya + t * yb for t in ts])
    images, scores = _run(model, z, y)
    tiles = [_captioned(img, f"t={t:.2f} D {s:.2f}") for img, t, s in zip(images, ts, scores)]
    return tile(tiles, columns=frames)


def gan_walk_frame(dataset="Digits (MNIST)", seed_a=0, seed_b=1, class_a="all", class_b="all", t=0.5):
    """One image at position t (0 = A ... 1 = B) of the latent walk: what the walk's slider shows. The same
    arguments as gan_latent_walk, with t instead of frames (undocumented endpoint: gan_latent_walk is the tool).

    Returns:
        The image at t (enlarged) and its discriminator score as text.
    """
    t = check_number(t, "Position t", 0, 1)
    dataset, model, za, zb, ya, yb = _walk_inputs(dataset, seed_a, seed_b, class_a, class_b)
    images, scores = _run(model, _slerp(za, zb, t)[None], ((1 - t) * ya + t * yb)[None])
    return upscale((images[0] * 255).astype(np.uint8), 10), STATUS["point"].format(t=t, score=scores[0])


def _update_classes(dataset, choices_by_dataset):
    choices = choices_by_dataset.get(dataset, choices_by_dataset["Digits (MNIST)"])
    return [gr.Dropdown(choices=choices, value="all") for _ in range(3)]


TEXT = {
    "en": {
        "gan.title": "GAN",
        "gan.intro": """
A **generative adversarial network** trains two networks against each other: the *generator* turns random
noise **z** (64 numbers) plus a class into an image; the *discriminator* sees real and generated images and
learns to tell them apart, and the generator learns to fool it. These are **DCGANs** (transposed convolutions
up from a 7×7 map; strided convolutions down), class-conditional, one trained on 10,000 MNIST digits and
one on 60,000 Fashion-MNIST clothes.

- **Samples**: the number under each image is the discriminator's probability that it is *real*
  (≈ 0.5 means the generator is fooling it: that is the equilibrium the game aims for).
- **Latent walk**: two seeds are two points in the 64-d noise space; walking between them (and between
  their class vectors) shows that the generator's space is smooth: images morph, they do not jump.
- Quality is measured, not eyeballed: FID, classifier confidence and class histogram are in the model cards.
""",
        "gan.principle": r"""
**What it computes.** Two networks play a game. The generator $G$ maps noise $z\sim\mathcal{N}(0, I_{64})$ and a
one-hot class $y$ to an image: a dense layer to 128×7×7 (batch norm, ReLU), a stride-2 transposed convolution to
64×14×14 (batch norm, ReLU) and a second one to a 28×28 $\tanh$ image. The discriminator passes the image through
three strided convolutions (LeakyReLU 0.2, spectral norm) to features $h(x)$ and a *projection* head,
$d(x,y) = w^\top h(x) + b + e_y^\top h(x)$, so it judges "a real image *of class* $y$"; $D = \sigma(d)$. The game is
$$\min_G\max_D\;\mathbb{E}_{x}\big[\log D(x,y)\big] + \mathbb{E}_{z}\big[\log\big(1 - D(G(z,y),y)\big)\big]$$
As implemented, $D$ minimises binary cross-entropy with target 0.9 for real images (one-sided label smoothing) and 0
for fakes of uniformly drawn classes; $G$ minimises the **non-saturating** loss $\mathcal{L}_G = -\log D(G(z,y),y)$,
whose gradient stays strong while $D$ still spots the fakes easily.

**How it is trained.** Adam (learning rate 2·10⁻⁴, β = (0.5, 0.999)), batch 64: 6,500 steps on 10,000 MNIST digits
(41.6 epochs), 12,187 steps on 60,000 Fashion-MNIST images (13.0 epochs). An exponential moving average (0.999) of
$G$'s weights is what is saved and sampled. The ψ slider draws $z\sim\mathcal{N}(0,\psi^2 I)$ (the truncation trick;
default 0.8, as for the model cards' metrics).

**Latent interpolation.** The walk follows the sphere,
$z_t = \frac{\sin((1-t)\Omega)}{\sin\Omega}z_A + \frac{\sin(t\Omega)}{\sin\Omega}z_B$ with
$\cos\Omega = \frac{z_A\cdot z_B}{\lVert z_A\rVert\,\lVert z_B\rVert}$, and mixes the class vectors linearly, $(1-t)\,y_A + t\,y_B$.

**Strengths and weaknesses.** One forward pass per image (milliseconds) and sharp samples; but training is a fragile
balance, may collapse onto a few modes, and gives no likelihood, hence FID and the class histogram in the model cards.

**Where it is used.** Face synthesis (StyleGAN), super-resolution, image-to-image translation, and as an extra loss
for other generators. The number under each sample is $D = \sigma(d(x,y))$.
""",
        "gan.dataset": "Dataset",
        "gan.dataset_mnist": "Digits (MNIST)",
        "gan.dataset_fashion": "Clothes (Fashion-MNIST)",
        "gan.class": "Class",
        "gan.count": "Count",
        "gan.seed": "Seed",
        "gan.psi": "Latent temperature ψ (z ~ N(0, ψ²): lower = cleaner, less varied)",
        "gan.sample_button": "Generate",
        "gan.grid": "Samples · discriminator P(real) under each",
        "gan.scores": "Per sample: class and discriminator score",
        "gan.walk_heading": "### Latent walk",
        "gan.seed_a": "Seed A",
        "gan.seed_b": "Seed B",
        "gan.class_a": "Class A",
        "gan.class_b": "Class B",
        "gan.frames": "Frames",
        "gan.walk_button": "Walk from A to B",
        "gan.position": "Position t along the walk (drag)",
        "gan.strip": "From A (left) to B (right)",
        "gan.point": "The sample at t",
    },
    "zh-CN": {
        "gan.title": "GAN 生成对抗",
        "gan.intro": """
**生成对抗网络**让两个网络互相对抗着训练：**生成器**把随机噪声 **z**（64 个数）和一个类别变成一张图像；**判别器**同时看真实
图像和生成的图像，学习把它们区分开，而生成器则学习骗过判别器。这里用的是 **DCGAN**（用转置卷积从 7×7 的特征图逐步上采样；
用步幅卷积逐步下采样），并且是类别条件的：一个在 10,000 张 MNIST 数字上训练，一个在 60,000 张 Fashion-MNIST 衣物图像上训练。

- **样本**：每张图下面的数字是判别器认为它是**真实图像**的概率（≈ 0.5 表示生成器骗过了判别器：这正是这场博弈追求的均衡）。
- **潜空间插值**：两个随机种子就是 64 维噪声空间中的两个点；在它们之间（以及两者的类别向量之间）移动，可以看出生成器的
  空间是平滑的：图像逐渐变形，而不是突然跳变。
- 质量靠测量而不是目测：FID、分类器置信度和类别直方图都在模型卡里。
""",
        "gan.principle": r"""
**计算什么。** 两个网络在做一场博弈。生成器 $G$ 把噪声 $z\sim\mathcal{N}(0, I_{64})$ 和独热编码的类别 $y$ 映射成图像：
先用全连接层变成 128×7×7（批归一化、ReLU），再用一个步幅为 2 的转置卷积变成 64×14×14（批归一化、ReLU），最后再用一个
转置卷积输出 28×28 的 $\tanh$ 图像。判别器用三个
步幅卷积（LeakyReLU 0.2、谱归一化）提取特征 $h(x)$，再接一个**投影**输出头 $d(x,y) = w^\top h(x) + b + e_y^\top h(x)$，
因此它判断的是“这是不是一张**类别为** $y$ 的真实图像”；$D = \sigma(d)$。这场博弈是
$$\min_G\max_D\;\mathbb{E}_{x}\big[\log D(x,y)\big] + \mathbb{E}_{z}\big[\log\big(1 - D(G(z,y),y)\big)\big]$$
实际实现中，判别器最小化二元交叉熵：真实图像的目标是 0.9（单侧标签平滑），生成图像（类别均匀随机抽取）的目标是 0；
生成器最小化**非饱和**损失 $\mathcal{L}_G = -\log D(G(z,y),y)$，即使判别器还能轻易认出假图，它的梯度也不会消失。

**怎样训练。** Adam（学习率 2·10⁻⁴，β = (0.5, 0.999)），批大小 64：在 10,000 张 MNIST 数字上训练 6,500 步（41.6 个轮次），
在 60,000 张 Fashion-MNIST 图像上训练 12,187 步（13.0 个轮次）。保存和采样用的是生成器权重的指数滑动平均（0.999）。ψ 滑块从
$z\sim\mathcal{N}(0,\psi^2 I)$ 中采样（截断技巧；默认 0.8，与模型卡中指标所用的相同）。

**潜空间插值。** 沿球面插值：$z_t = \frac{\sin((1-t)\Omega)}{\sin\Omega}z_A + \frac{\sin(t\Omega)}{\sin\Omega}z_B$，其中
$\cos\Omega = \frac{z_A\cdot z_B}{\lVert z_A\rVert\,\lVert z_B\rVert}$；类别向量则线性混合：$(1-t)\,y_A + t\,y_B$。

**优点与不足。** 每张图只需一次前向计算（几毫秒），样本清晰；但训练是一种脆弱的平衡，可能出现模式崩溃，而且无法给出似然，
所以模型卡里用 FID 和类别直方图来衡量质量。

**应用场景。** 人脸生成（StyleGAN）、超分辨率、图像到图像的转换，以及作为其他生成模型的附加损失。每个样本下面的数字就是
$D = \sigma(d(x,y))$。
""",
        "gan.dataset": "数据集",
        "gan.dataset_mnist": "手写数字（MNIST）",
        "gan.dataset_fashion": "衣物（Fashion-MNIST）",
        "gan.class": "类别",
        "gan.count": "数量",
        "gan.seed": "随机种子",
        "gan.psi": "潜变量温度 ψ（z ~ N(0, ψ²)：越低越干净，但多样性越少）",
        "gan.sample_button": "生成",
        "gan.grid": "样本 · 每张下方是判别器给出的 P(真实)",
        "gan.scores": "每个样本：类别和判别器得分",
        "gan.walk_heading": "### 潜空间插值",
        "gan.seed_a": "随机种子 A",
        "gan.seed_b": "随机种子 B",
        "gan.class_a": "类别 A",
        "gan.class_b": "类别 B",
        "gan.frames": "帧数",
        "gan.walk_button": "从 A 走到 B",
        "gan.position": "插值路径上的位置 t（可拖动）",
        "gan.strip": "从 A（左）到 B（右）",
        "gan.point": "位置 t 处的样本",
    },
}

# request-time text (the browser cannot translate it): English first, as the API returned it before
STATUS = {
    "sample": "{count} samples (ψ = {psi:g}) in {ms:.0f} ms · discriminator mean P(real) {mean:.2f} "
              "(green ≥ 0.5: it would call the sample real)\n\n"
              "{count} 个样本（ψ = {psi:g}），用时 {ms:.0f} 毫秒 · 判别器的平均 P(真实) 为 {mean:.2f}"
              "（绿色 ≥ 0.5：判别器会把该样本当成真实图像）",
    "point": "t = {t:.2f} · discriminator P(real) = {score:.3f}\n\nt = {t:.2f} · 判别器给出的 P(真实) = {score:.3f}",
}


def build() -> None:
    gr.Markdown(t("gan.intro"))
    principle("gan.principle")
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            dataset = gr.Radio([(t("gan.dataset_mnist"), "Digits (MNIST)"),
                                (t("gan.dataset_fashion"), "Clothes (Fashion-MNIST)")],
                               value="Digits (MNIST)", label=t("gan.dataset"))
            klass = gr.Dropdown(class_choices("mnist"), value="all", label=t("gan.class"))
            count = gr.Slider(1, MAX_COUNT, value=32, step=1, label=t("gan.count"))
            seed = gr.Number(value=0, precision=0, minimum=0, maximum=SEED_MAX, label=t("gan.seed"))
            psi = gr.Slider(*PSI_RANGE, value=DEFAULT_PSI, step=0.05, label=t("gan.psi"))
            sample_btn = gr.Button(t("gan.sample_button"), variant="primary")
        with gr.Column(scale=2):
            grid = gr.Image(label=t("gan.grid"), interactive=False, format="png")
            status = gr.Markdown()
            scores = gr.JSON(label=t("gan.scores"), visible=False)
    sample_btn.click(sample_gan_grid, [dataset, klass, count, seed, psi], [grid, scores, status], api_name="gan_sample")

    gr.Markdown(t("gan.walk_heading"))
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            with gr.Row():
                seed_a = gr.Number(value=0, precision=0, minimum=0, maximum=SEED_MAX, label=t("gan.seed_a"))
                seed_b = gr.Number(value=1, precision=0, minimum=0, maximum=SEED_MAX, label=t("gan.seed_b"))
            with gr.Row():
                class_a = gr.Dropdown(class_choices("mnist"), value="3", label=t("gan.class_a"))
                class_b = gr.Dropdown(class_choices("mnist"), value="8", label=t("gan.class_b"))
            frames = gr.Slider(2, MAX_FRAMES, value=10, step=1, label=t("gan.frames"))
            walk_btn = gr.Button(t("gan.walk_button"), variant="primary")
            position = gr.Slider(0, 1, value=0.5, step=0.01, label=t("gan.position"))
        with gr.Column(scale=2):
            strip = gr.Image(label=t("gan.strip"), interactive=False, format="png")
            with gr.Row():
                point = gr.Image(label=t("gan.point"), interactive=False, height=220, format="png")
                point_text = gr.Markdown()
    walk_inputs = [dataset, seed_a, seed_b, class_a, class_b]
    walk_btn.click(gan_latent_walk, [*walk_inputs, frames], strip, api_name="gan_walk")
    walk_btn.click(gan_walk_frame, [*walk_inputs, position], [point, point_text], api_visibility="private")
    position.change(gan_walk_frame, [*walk_inputs, position], [point, point_text], api_name="gan_walk_point",
                    trigger_mode="always_last", api_visibility="undocumented")  # slider glue: gan_walk is the tool
    # each dataset's class names (translation keys: the browser shows them in its language)
    choices_by_dataset = gr.State({label: class_choices(name) for label, name in DATASET_CHOICES.items()})
    dataset.change(_update_classes, [dataset, choices_by_dataset], [klass, class_a, class_b],
                   api_visibility="private")
    model_card(*[name for name in ("gan-mnist", "gan-fashion") if has_card(name)])
