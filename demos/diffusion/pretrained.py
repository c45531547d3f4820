"""The Diffusion tab's pretrained section: a DDPM (diffusers UNet2DModel) turns noise into digits or clothes,
streamed step by step, and the forward process shows an image drowning in noise as t grows."""
from __future__ import annotations

import functools
import time

import gradio as gr
import numpy as np

from ..common import (check_choice, check_number, error, load_from_hub, missing_weights, model_card, principle,
                     seed_generator, tile, upscale)
from ..image_classes import DATASET_CHOICES, class_choices, class_names, has_card, read_class
from ..i18n import t
from ..live import HEAVY

# the optional online upgrade: an unconditional DDPM for 32x32 colour photos, loaded only when picked
HUB_CHOICE = "CIFAR-10 photos (hub: google/ddpm-cifar10-32, online)"
HUB_DATASETS = {"cifar10": "google/ddpm-cifar10-32"}  # the allow-list: dataset -> hub id
CHOICES = {**DATASET_CHOICES, HUB_CHOICE: "cifar10"}

SCHEDULERS = ["DDIM", "DDPM"]
MAX_STEPS = 250
MAX_COUNT = 16
MAX_FRAMES = 50          # a stream sends at most this many pictures (plus the last)
MAX_T = 999
ZOOM = 3
DEFAULT_ETA = 1.0  # = models.diffusion.DEFAULT_ETA (see there why); here so building the tab imports no torch
FORWARD_TS = [0, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 999]


def read_dataset(value) -> str:
    return CHOICES[check_choice(value, "Dataset", list(CHOICES))]


def load_ddpm(dataset: str):
    """(unet, scheduler config) through the shared cache; diffusers is imported only here. The hub pipeline goes
    through the same loaders as ours (a folder or a hub id)."""
    from models.cache import load_model
    from models.diffusion import DATASETS, load_pipeline, load_scheduler_config_from, load_unet_from
    from models.persistence import weights_dir

    if dataset in HUB_DATASETS:
        hub_id = HUB_DATASETS[dataset]
        instead = ("'Digits (MNIST)' or 'Clothes (Fashion-MNIST)'", "“手写数字（MNIST）”或“衣物（Fashion-MNIST）”")
        unet = load_model(f"hub:{hub_id}", lambda: load_from_hub(hub_id, load_unet_from, instead))
        config = load_model(f"hub:{hub_id}:scheduler", lambda: load_from_hub(hub_id, load_scheduler_config_from, instead))
        return unet, config
    name = DATASETS[dataset][0]
    if not (weights_dir(name) / "model_index.json").exists():
        raise missing_weights(name)
    unet = load_model(name, lambda: load_pipeline(dataset)[0])
    config = load_model(f"{name}:scheduler", lambda: load_pipeline(dataset)[1])
    return unet, config


def _grid(x, columns: int, padded: bool) -> np.ndarray:
    """Samples [N,C,H,W] in [-1,1] (any device) -> a tiled uint8 RGB grid; our padded grey ones as their 28x28 crops."""
    from models.diffusion import crop28

    x = x.float().cpu()
    images = crop28(x)[..., None].expand(-1, -1, -1, 3) if padded else ((x.permute(0, 2, 3, 1) + 1) / 2).clamp(0, 1)
    return tile([upscale(img, ZOOM) for img in (images.numpy() * 255).astype(np.uint8)], columns=columns)


def sample_diffusion(dataset="Digits (MNIST)", class_value="all", scheduler="DDIM", steps=50, count=16, seed=0,
                  eta=DEFAULT_ETA):
    """Generate images with a trained diffusion model (DDPM/DDIM), streaming the denoising as it happens.

    Args:
        dataset: "Digits (MNIST)", "Clothes (Fashion-MNIST)" (offline) or "CIFAR-10 photos (hub: google/ddpm-cifar10-32, online)" (needs the internet).
        class_value: Which class to draw: "all" or "0"-"9" (MNIST and Fashion-MNIST only; CIFAR-10 is unconditional).
        scheduler: "DDIM" (fewer steps) or "DDPM" (the original stochastic sampler).
        steps: Number of denoising steps (1-250).
        count: How many images (1-16).
        seed: Random seed: the same seed and settings give the same images.
        eta: DDIM noise: 0 is deterministic, 1 adds as much noise as DDPM (0-1).

    Returns:
        Streamed during sampling: the grid of noisy images x_t, the grid of the model's predicted clean images x0,
        and a status (step, time so far); the last update is the finished batch.
    """
    import torch

    from models.diffusion import sample_steps

    dataset = read_dataset(dataset)
    label = read_class(class_value)
    if dataset in HUB_DATASETS and label is not None:
        raise error(f"{HUB_DATASETS[dataset]} is unconditional: it cannot be asked for a class. Choose class 'all'.",
                    f"{HUB_DATASETS[dataset]} 是无条件模型，不能指定类别。请把类别选为“全部”。")
    scheduler = check_choice(scheduler, "Scheduler", SCHEDULERS)
    steps = check_number(steps, "Steps", 1, MAX_STEPS, integer=True)
    count = check_number(count, "Count", 1, MAX_COUNT, integer=True)
    generator = seed_generator(seed)
    eta = check_number(eta, ("DDIM eta", "DDIM 的 η"), 0, 1)
    unet, config = load_ddpm(dataset)
    device = next(unet.parameters()).device
    labels = torch.arange(count) % 10 if label is None else torch.full((count,), label)
    columns = min(8, count) if count > 4 else count
    every = -(-steps // MAX_FRAMES)  # ceil: at most MAX_FRAMES pictures
    padded = dataset not in HUB_DATASETS  # ours: 28x28 padded to 32x32
    if not padded:
        names, names_zh = f"CIFAR-10 photos ({HUB_DATASETS[dataset]}, unconditional)", "CIFAR-10 照片（无条件模型）"
    else:
        names, names_zh = (", ".join(sorted({class_names(dataset, lang)[int(c)] for c in labels}))
                           for lang in ("en", "zh-CN"))
    t0 = time.perf_counter()
    first = None
    # a generator; a `with` block must not stay open across a yield (Gradio resumes streams on any thread)
    stream = sample_steps(unet, config, labels.to(device), generator, scheduler.lower(), steps, device=device,
                          eta=eta)
    while True:
        with torch.inference_mode():
            item = next(stream, None)
        if item is None:
            break
        i, total, x, x0 = item
        if i % every and i != total:
            continue
        if first is None:
            first = time.perf_counter() - t0
        elapsed = time.perf_counter() - t0
        done = i == total
        how = f"DDIM η={eta:g}" if scheduler == "DDIM" else "DDPM"
        status = (f"{'**Done**' if done else 'Denoising…'} · step {i}/{total} ({how}) · first frame after "
                  f"{first * 1000:.0f} ms · {elapsed:.1f} s so far · {count} × {names}\n\n"
                  f"{'**完成**' if done else '去噪中…'} · 第 {i}/{total} 步（{how}）· 首帧用时 {first * 1000:.0f} 毫秒 · "
                  f"已用 {elapsed:.1f} 秒 · {count} × {names_zh}")
        yield _grid(x, columns, padded), _grid(x0.clamp(-1, 1), columns, padded), status


def load_test_images(folder: str):
    """(images uint8 [N, 28, 28], full): the whole test split from the data dir (read once), else the first 100
    test images shipped in models/bundled (full = False). numpy only: build() sizes the index input with it, and
    the page must come up without importing torch."""
    from models.data import data_dir

    return _test_images(folder, str(data_dir()))


@functools.lru_cache(maxsize=4)
def _test_images(folder: str, root: str):
    from models.data import load_images_or_sample

    images, _, full = load_images_or_sample(folder, "test", root)
    return images, full


def real_test_image(dataset: str, index: int) -> np.ndarray:
    """A real test image [28,28] in [0,1]."""
    return load_test_images("mnist" if dataset == "mnist" else "fashion-mnist")[0][index].astype(np.float32) / 255


def diffusion_forward_process(dataset="Digits (MNIST)", index=0, t=250, seed=0):
    """Show the diffusion forward process: a test image with noise added up to timestep t.

    Args:
        dataset: "Digits (MNIST)" or "Clothes (Fashion-MNIST)".
        index: Which test image (0-9999; the bundled sample has the first 100).
        t: Timestep (0-999): x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) noise.
        seed: Random seed of the noise.

    Returns:
        The noised image at t, a strip of the same image and noise at t = 0 ... 999, and a status with the
        formula's weights at t.
    """
    import torch

    from models.diffusion import SCHEDULER_CONFIG, add_noise

    dataset = read_dataset(dataset)
    if dataset in HUB_DATASETS:
        raise error("This server has no CIFAR-10 images to add noise to: choose Digits (MNIST) or Clothes "
                    "(Fashion-MNIST) for the forward process.",
                    "本服务器上没有可加噪的 CIFAR-10 图像：前向过程请选择“手写数字（MNIST）”或“衣物（Fashion-MNIST）”。")
    images, full = load_test_images("mnist" if dataset == "mnist" else "fashion-mnist")
    index = check_number(index, "Test image index", 0, len(images) - 1, integer=True)
    t = check_number(t, "Timestep t", 0, MAX_T, integer=True)
    generator = seed_generator(seed)
    x0 = torch.from_numpy(real_test_image(dataset, index))[None]
    noise_state = generator.get_state()
    xt, abar = add_noise(x0, t, generator, SCHEDULER_CONFIG)
    strip = []
    for s in FORWARD_TS:
        generator.set_state(noise_state)  # the same noise at every t: only its weight changes
        strip.append(add_noise(x0, s, generator, SCHEDULER_CONFIG)[0][0].numpy())
    big = upscale((xt[0].numpy() * 255).astype(np.uint8), 10)
    strip_img = tile([np.repeat(upscale((s * 255).astype(np.uint8), ZOOM)[..., None], 3, axis=2) for s in strip],
                     columns=len(strip))
    a, b, ts = np.sqrt(abar), np.sqrt(1 - abar), ", ".join(map(str, FORWARD_TS))
    which = ((f"test image {index} of {len(images):,}", f"第 {index} 张测试图像（共 {len(images):,} 张）") if full else
             (f"test image {index} of the {len(images)}-image sample shipped with the app (no test set in the data "
              "dir)", f"第 {index} 张测试图像，取自应用自带的 {len(images)} 张样本（数据目录中没有测试集）"))
    status = (f"t = {t}: x_t = {a:.3f}·x₀ + {b:.3f}·noise (signal share ᾱ_t = {abar:.3f}). Strip: t = {ts}. "
              f"x₀: {which[0]}.\n\n"
              f"t = {t}：x_t = {a:.3f}·x₀ + {b:.3f}·噪声（信号占比 ᾱ_t = {abar:.3f}）。图像条：t = {ts}。x₀：{which[1]}。")
    return big, strip_img, status


def available_datasets() -> dict[str, str]:
    """The Dataset choices whose DDPM weights are on this server (weights/ddpm-<dataset>/model_index.json), in
    DATASET_CHOICES order; checked when the tab is built. The handlers still accept every dataset through the API
    and answer a missing one with the missing-weights error."""
    from models.persistence import weights_dir

    return {label: dataset for label, dataset in DATASET_CHOICES.items()
            if (weights_dir(f"ddpm-{dataset}") / "model_index.json").exists()}


def _accept_every_dataset(radio: gr.Radio) -> None:
    """Let API calls name any dataset, even one the radio does not offer: Gradio would reject it with a bare
    "not in the list of choices"; the handlers answer it instead (the missing-weights error, in both languages)."""
    original = radio.preprocess

    def preprocess(payload):
        return payload if payload in CHOICES else original(payload)

    radio.preprocess = preprocess


def _update_classes(dataset):
    if CHOICES.get(dataset) in HUB_DATASETS:  # an unconditional model: no class to ask for
        return gr.Dropdown(choices=["all"], value="all", visible=False)
    return gr.Dropdown(choices=class_choices(DATASET_CHOICES.get(dataset, "mnist")), value="all", visible=True)


TEXT = {
    "en": {
        "diffusion.title": "Diffusion",
        "diffusion.intro": """
A **denoising diffusion model** learns to undo noise. Training takes a real image, adds Gaussian noise of a random
strength t (out of 1000 steps, the *forward process*) and teaches a U-Net to predict that noise. Sampling starts from
pure noise and removes a little predicted noise at each step until an image is left. This is a class-conditional
**DDPM** built with 🤗 `diffusers` (`UNet2DModel` with a class embedding + `DDPMScheduler`, 28×28 images padded to
32×32), trained on 10,000 MNIST digits, and its twin trained on the 60,000 Fashion-MNIST clothes; the Dataset choice
lists the models whose weights are on this server.

- **DDPM** sampling adds fresh noise at every step; **DDIM** reuses the same network with far fewer steps, and its
  η sets how much fresh noise it adds (0: fully deterministic). This small network was trained briefly on a CPU:
  η = 0 leaves grey, noisy backgrounds, while η = 1 (the default) washes its errors out — try both.
- Watch noise turn into a picture: *x_t* is what the sampler holds, *predicted x₀* is the network's current guess
  of the final image.
- Online extra: **CIFAR-10 photos** loads Google's original DDPM (`google/ddpm-cifar10-32`, 35.7 M parameters,
  unconditional, 32×32 colour) from the Hugging Face Hub through the same code, when this server can reach it. On a
  CPU it is slow (measured here, one core per request): 4 images × 20 steps take 7 s, 16 × 50 about a minute.
""",
        "diffusion.principle": r"""
**What it computes.** The *forward process* adds Gaussian noise in $T = 1000$ steps of variance $\beta_t$; in closed form
$$q(x_t\mid x_0) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\,x_0,\;(1-\bar\alpha_t)\,I\big),\qquad \bar\alpha_t = \prod_{s\le t}(1-\beta_s)$$
with the cosine schedule (`squaredcos_cap_v2`): $\bar\alpha_t \propto \cos^2\big(\frac{t/T + 0.008}{1.008}\cdot\frac{\pi}{2}\big)$,
each $\beta_t \le 0.999$. A U-Net $\epsilon_\theta(x_t, t, y)$ (32×32 input, 32/64/64 channels, self-attention at 8×8,
class embedding added to the timestep embedding; 1.1 M parameters) learns to predict the noise:
$$\mathcal{L} = \mathbb{E}_{x_0,\,y,\,t,\,\epsilon}\,\big\lVert \epsilon - \epsilon_\theta\big(\sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon,\; t,\; y\big)\big\rVert^2$$

**Sampling.** Starting from $x_T\sim\mathcal{N}(0, I)$, the network's guess
$\hat x_0 = \big(x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta\big)/\sqrt{\bar\alpha_t}$ (clipped to $[-1, 1]$) is the
*predicted x₀* panel. A DDPM step draws
$x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\epsilon_\theta\big) + \sigma_t z$ with
$\sigma_t^2 = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t$ (`diffusers` computes this mean from the clipped
$\hat x_0$). DDIM jumps between any two timesteps $t > t'$ of a shorter schedule:
$$x_{t'} = \sqrt{\bar\alpha_{t'}}\,\hat x_0 + \sqrt{1-\bar\alpha_{t'}-\sigma^2}\,\epsilon_\theta + \sigma z,\qquad
\sigma = \eta\sqrt{\frac{1-\bar\alpha_{t'}}{1-\bar\alpha_t}\Big(1-\frac{\bar\alpha_t}{\bar\alpha_{t'}}\Big)}$$
$\eta = 0$ is deterministic; $\eta = 1$ adds as much fresh noise as DDPM, which washes out this briefly trained
network's errors (the tab's default).

**How it is trained.** Images padded to 32×32 in $[-1, 1]$, $t$ uniform in 0…999; AdamW, learning rate 10⁻³ after
100 warm-up steps with cosine decay to 10 % (over the planned steps, or a wall-clock budget on a CPU), batch 64,
gradient norm clipped at 1; the shipped weights are an exponential moving average (0.999). `ddpm-mnist` learns from
10,000 MNIST digits, `ddpm-fashion` from 60,000 Fashion-MNIST images; their model cards give each run's steps,
epochs and time.

**Measuring quality.** FID compares Gaussians fitted to the penultimate-layer features of this hub's MNIST CNN
(for clothes: the lightweight Fashion-MNIST classifier of the ResNet tab) for 10,000 samples (DDIM, 50 steps,
$\eta = 1$) and the 10,000 test images:
$$\mathrm{FID} = \lVert\mu_r - \mu_g\rVert^2 + \mathrm{Tr}\big(\Sigma_r + \Sigma_g - 2(\Sigma_r\Sigma_g)^{1/2}\big)$$
Lower is better; real test vs real training images is the floor. The model cards below show each model's FID and
its floor, the classifier's mean confidence on the samples, the share of each class and how often the classifier
reads the requested class.

**Strengths and weaknesses.** A stable regression loss, diverse samples, no mode collapse; but sampling needs many
network calls. **Where it is used:** Stable Diffusion, DALL·E, Imagen, video, audio.
""",
        "diffusion.dataset": "Dataset",
        "diffusion.dataset_cifar10": "CIFAR-10 photos (hub: google/ddpm-cifar10-32, online)",
        "diffusion.class": "Class",
        "diffusion.scheduler": "Scheduler",
        "diffusion.steps": "Steps",
        "diffusion.count": "Count",
        "diffusion.seed": "Seed",
        "diffusion.eta": "DDIM η (0 = deterministic DDIM, 1 = as much fresh noise as DDPM)",
        "diffusion.sample_button": "Sample",
        "diffusion.xt": "x_t (the sampler's current image)",
        "diffusion.x0": "Predicted x₀ (the network's guess)",
        "diffusion.forward_heading": "### The forward process: adding noise",
        "diffusion.index": "Test image index (0-9,999; 0-99 without the test set)",
        "diffusion.timestep": "Timestep t",
        "diffusion.noise_seed": "Noise seed",
        "diffusion.noise_button": "Add noise",
        "diffusion.noised": "x_t",
        "diffusion.strip": "The same image and noise at growing t",
    },
    "zh-CN": {
        "diffusion.title": "Diffusion 扩散",
        "diffusion.intro": """
**去噪扩散模型**学习的是把噪声去掉。训练时取一张真实图像，加上随机强度 t（共 1000 步，这就是**前向过程**）的高斯噪声，
让一个 U-Net 去预测所加的噪声。采样时从纯噪声出发，每一步去掉一点预测出的噪声，直到只剩下一张图像。这里是一个用
🤗 `diffusers` 搭建的类别条件 **DDPM**（带类别嵌入的 `UNet2DModel` + `DDPMScheduler`，28×28 的图像填充到 32×32），
在 10,000 张 MNIST 手写数字上训练；它的孪生模型在 60,000 张 Fashion-MNIST 衣物图像上训练。“数据集”选项列出权重已在
本服务器上的模型。

- **DDPM** 采样每一步都加入新的噪声；**DDIM** 复用同一个网络，所需步数少得多，它的 η 决定加入多少新噪声（0：完全确定）。
  这个小网络只在 CPU 上短暂训练过：η = 0 会留下灰色、带噪点的背景，而 η = 1（默认值）能把它的误差冲淡——两种都试试。
- 看着噪声一步步变成图片：*x_t* 是采样器当前持有的图像，*预测的 x₀* 是网络当前对最终图像的猜测。
- 联网附加项：选择 **CIFAR-10 照片**，会用同一套代码从 Hugging Face Hub 加载 Google 原版 DDPM（`google/ddpm-cifar10-32`，
  3570 万参数，无条件，32×32 彩色图像）——前提是本服务器能访问 Hub。在 CPU 上它很慢（在本机实测，每个请求一个核）：4 张图 × 20 步要 7 秒，16 张 × 50 步约一分钟。
""",
        "diffusion.principle": r"""
**计算什么。** **前向过程**分 $T = 1000$ 步加入方差为 $\beta_t$ 的高斯噪声，可以直接写成闭式
$$q(x_t\mid x_0) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\,x_0,\;(1-\bar\alpha_t)\,I\big),\qquad \bar\alpha_t = \prod_{s\le t}(1-\beta_s)$$
噪声调度采用余弦调度（`squaredcos_cap_v2`）：$\bar\alpha_t \propto \cos^2\big(\frac{t/T + 0.008}{1.008}\cdot\frac{\pi}{2}\big)$，
每个 $\beta_t \le 0.999$。U-Net $\epsilon_\theta(x_t, t, y)$（输入 32×32，通道 32/64/64，在 8×8 分辨率上有自注意力，类别嵌入
加到时间步嵌入上；110 万参数）学习预测噪声：
$$\mathcal{L} = \mathbb{E}_{x_0,\,y,\,t,\,\epsilon}\,\big\lVert \epsilon - \epsilon_\theta\big(\sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon,\; t,\; y\big)\big\rVert^2$$

**采样。** 从 $x_T\sim\mathcal{N}(0, I)$ 出发，网络的猜测 $\hat x_0 = \big(x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta\big)/\sqrt{\bar\alpha_t}$
（截断到 $[-1, 1]$）就是“预测的 x₀”面板。DDPM 每一步采样
$x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\epsilon_\theta\big) + \sigma_t z$，其中
$\sigma_t^2 = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t$（`diffusers` 用截断后的 $\hat x_0$ 计算这个均值）。DDIM 在一个更短的
时间步序列上，于任意两个时间步 $t > t'$ 之间直接跳转：
$$x_{t'} = \sqrt{\bar\alpha_{t'}}\,\hat x_0 + \sqrt{1-\bar\alpha_{t'}-\sigma^2}\,\epsilon_\theta + \sigma z,\qquad
\sigma = \eta\sqrt{\frac{1-\bar\alpha_{t'}}{1-\bar\alpha_t}\Big(1-\frac{\bar\alpha_t}{\bar\alpha_{t'}}\Big)}$$
$\eta = 0$ 时完全确定；$\eta = 1$ 时加入与 DDPM 一样多的新噪声，能冲淡这个只短暂训练过的网络的误差（本页的默认值）。

**怎样训练。** 图像填充到 32×32 并缩放到 $[-1, 1]$，$t$ 在 0…999 中均匀抽取；AdamW，学习率 10⁻³（先预热 100 步，再余弦衰减
到 10%（按计划的步数，或在 CPU 上按训练时间预算），批大小 64，梯度范数裁剪为 1；发布的权重是指数滑动平均（0.999）。
`ddpm-mnist` 从 10,000 张 MNIST 数字学习，`ddpm-fashion` 从 60,000 张 Fashion-MNIST 图像学习；各自的模型卡给出了训练的
步数、轮次和用时。

**衡量质量。** FID 用本站 MNIST CNN（衣物则用 ResNet 标签页中的轻量 Fashion-MNIST 分类器）倒数第二层的特征，分别对 10,000 个样本（DDIM，50 步，$\eta = 1$）和 10,000 张真实测试图像
拟合高斯分布，再比较两者：
$$\mathrm{FID} = \lVert\mu_r - \mu_g\rVert^2 + \mathrm{Tr}\big(\Sigma_r + \Sigma_g - 2(\Sigma_r\Sigma_g)^{1/2}\big)$$
越低越好；真实测试图像与真实训练图像之间的 FID 就是下限。下方的模型卡给出每个模型的 FID 及其下限、分类器对样本的平均置信度、
各类别所占的比例，以及分类器认出所要求类别的比例。

**优点与不足。** 损失是稳定的回归损失，样本多样，不会模式崩溃；但采样要多次调用网络。**应用场景：**
Stable Diffusion、DALL·E、Imagen，以及视频和音频生成。
""",
        "diffusion.dataset": "数据集",
        "diffusion.dataset_cifar10": "CIFAR-10 照片（hub：google/ddpm-cifar10-32，需联网）",
        "diffusion.class": "类别",
        "diffusion.scheduler": "采样器",
        "diffusion.steps": "步数",
        "diffusion.count": "数量",
        "diffusion.seed": "随机种子",
        "diffusion.eta": "DDIM 的 η（0 = 确定性 DDIM，1 = 与 DDPM 一样多的新噪声）",
        "diffusion.sample_button": "采样",
        "diffusion.xt": "x_t（采样器当前的图像）",
        "diffusion.x0": "预测的 x₀（网络的猜测）",
        "diffusion.forward_heading": "### 前向过程：逐步加噪",
        "diffusion.index": "测试图像编号（0-9,999；没有测试集时为 0-99）",
        "diffusion.timestep": "时间步 t",
        "diffusion.noise_seed": "噪声随机种子",
        "diffusion.noise_button": "加噪",
        "diffusion.noised": "x_t（加噪后的图像）",
        "diffusion.strip": "同一张图像、同一份噪声，t 逐渐增大",
    },
}


def build() -> None:
    gr.Markdown(t("diffusion.intro"))
    principle("diffusion.principle")
    offered = available_datasets() or dict(DATASET_CHOICES)  # none trained: offer all, the handler says what to run
    first = next(iter(offered))
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            # choices: (translated name, API value); the API values stay "Digits (MNIST)", "Clothes (Fashion-MNIST)"
            dataset = gr.Radio([(t(f"gan.dataset_{name}"), label) for label, name in offered.items()]
                               + [(t("diffusion.dataset_cifar10"), HUB_CHOICE)], value=first,
                               label=t("diffusion.dataset"))
            _accept_every_dataset(dataset)
            klass = gr.Dropdown(class_choices(offered[first]), value="all", label=t("diffusion.class"))
            scheduler = gr.Radio(SCHEDULERS, value="DDIM", label=t("diffusion.scheduler"))
            steps = gr.Slider(1, MAX_STEPS, value=50, step=1, label=t("diffusion.steps"))
            count = gr.Slider(1, MAX_COUNT, value=16, step=1, label=t("diffusion.count"))
            seed = gr.Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label=t("diffusion.seed"))
            eta = gr.Slider(0, 1, value=DEFAULT_ETA, step=0.05, label=t("diffusion.eta"))
            sample_btn = gr.Button(t("diffusion.sample_button"), variant="primary")
        with gr.Column(scale=2):
            with gr.Row():
                xt = gr.Image(label=t("diffusion.xt"), interactive=False, format="png")
                x0 = gr.Image(label=t("diffusion.x0"), interactive=False, format="png")
            status = gr.Markdown()
    sample_btn.click(sample_diffusion, [dataset, klass, scheduler, steps, count, seed, eta], [xt, x0, status],
                     api_name="diffusion_sample", **HEAVY)
    dataset.change(_update_classes, dataset, klass, api_visibility="private")

    gr.Markdown(t("diffusion.forward_heading"))
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            index = gr.Number(value=0, precision=0, minimum=0, maximum=len(load_test_images("mnist")[0]) - 1,
                              label=t("diffusion.index"))
            t_slider = gr.Slider(0, MAX_T, value=250, step=1, label=t("diffusion.timestep"))
            noise_seed = gr.Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label=t("diffusion.noise_seed"))
            noise_btn = gr.Button(t("diffusion.noise_button"), variant="primary")
        with gr.Column(scale=2):
            with gr.Row():
                noised = gr.Image(label=t("diffusion.noised"), interactive=False, height=240, format="png")
                forward_status = gr.Markdown()
            strip = gr.Image(label=t("diffusion.strip"), interactive=False, format="png")
    inputs = [dataset, index, t_slider, noise_seed]
    noise_btn.click(diffusion_forward_process, inputs, [noised, strip, forward_status], api_name="diffusion_forward")
    t_slider.release(diffusion_forward_process, inputs, [noised, strip, forward_status], api_visibility="private")
    model_card(*[name for name in ("ddpm-mnist", "ddpm-fashion") if has_card(name)])
