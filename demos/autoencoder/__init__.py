"""Autoencoder tab: squeeze a digit into 2 numbers and rebuild it (PCA-2, an autoencoder, a VAE, a denoising
autoencoder), explore the maps of codes and the VAE's latent plane, and train a 2-D autoencoder live."""
from __future__ import annotations

import gradio as gr

from ..common import model_card, principle
from ..digits import digit_canvas
from ..i18n import t
from ..live import HEAVY, stop_button
from . import live, shipped

TEXT = {
    "en": {
        "autoencoder.title": "Autoencoder",
        "autoencoder.intro": """
An **autoencoder** is two networks back to back: the *encoder* squeezes an image (784 pixels) into a short
**code**, the *decoder* rebuilds the image from the code alone, and both are trained so that the rebuilt image
matches the input. Here the code is just **2 numbers**, so every digit becomes a point on a plane: a map you can
look at. Four models trained on MNIST, side by side:

- **PCA-2**: the best *linear* autoencoder (projection onto the top 2 principal components): the baseline.
- **AE**: an MLP autoencoder (784-512-256-**2**-256-512-784): non-linear, so it rebuilds far better from the same 2 numbers.
- **VAE**: a *variational* autoencoder: the encoder gives a small Gaussian cloud per image and the codes are pulled
  towards N(0, I), so the whole plane decodes to digits; it is a generative model (the grid below samples it).
- **DAE**: a *denoising* autoencoder (32-number code), trained to rebuild clean digits from noisy copies.
""",
        "autoencoder.principle": r"""
**What it computes.** An encoder $z = f_\phi(x)$ maps an image $x\in[0,1]^{784}$ to a code $z\in\mathbb{R}^d$ and a
decoder $\hat x = g_\theta(z)$ maps it back. With $d = 2$ the code is a point on a plane. Training minimises a
**reconstruction loss** per image, summed over the 784 pixels: here the binary cross-entropy
$\mathcal{L}_{\text{rec}}(x) = -\sum_{i=1}^{784}\big[x_i\log\hat x_i + (1-x_i)\log(1-\hat x_i)\big]$
($\hat x = \sigma(\text{logits})$); the tab reports the mean squared error per pixel, $\frac{1}{784}\lVert x-\hat x\rVert^2$.

**PCA is the linear autoencoder.** If $f$ and $g$ are linear, $z = W^\top(x-\mu)$, $\hat x = \mu + Wz$, the best $W$ in
squared error spans the top $d$ principal components (Eckart–Young; Baldi & Hornik 1989): PCA-2 is the best *any*
linear 2-number code can do. Everything the AE gains over it comes from the non-linear layers.

**The VAE.** The encoder outputs a Gaussian $q_\phi(z\mid x) = \mathcal{N}(\mu_\phi(x), \mathrm{diag}\,\sigma^2_\phi(x))$,
the prior is $p(z) = \mathcal{N}(0, I)$ and the decoder is a Bernoulli likelihood $p_\theta(x\mid z)$. It maximises the
evidence lower bound
$$\log p(x) \ge \text{ELBO}(x) = \mathbb{E}_{q_\phi(z\mid x)}\big[\log p_\theta(x\mid z)\big] - \mathrm{KL}\big(q_\phi(z\mid x)\,\Vert\,p(z)\big),$$
$$\mathrm{KL} = \tfrac12\sum_{j=1}^{d}\big(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\big).$$
Both terms are **per image, summed** (pixels for the first, latent dims for the KL); the negative ELBO in nats is the
number papers report (averaging the pixel term but summing the KL weights the KL 784× too much). The
**reparameterisation** $z = \mu + \sigma\odot\varepsilon$, $\varepsilon\sim\mathcal{N}(0, I)$, makes the sample a
differentiable function of $\mu,\sigma$, so backpropagation reaches the encoder. The KL keeps the codes near the origin
and overlapping, which is why *every* point of the VAE's plane within ±3σ decodes to a plausible digit and the AE's
plane has empty gaps.

**Why a 2-D code.** Two numbers cannot hold a whole digit: the reconstructions are blurry and similar digits (4/9,
3/5/8) share a region. But a 2-D code can be *drawn*: the map shows what the network learned without labels (the
colours are only added for you). Larger codes rebuild better (the DAE keeps 32 numbers).

**Denoising.** The DAE minimises $\mathcal{L}_{\text{rec}}(x, g(f(\tilde x)))$ with $\tilde x = \mathrm{clip}(x + \sigma\varepsilon)$: to
undo the noise it must learn what digits look like.

**Training.** 9,000 of the 10,000 MNIST training images (1,000 held out for early stopping: the weights of the best
held-out epoch are kept), AdamW with weight decay, warm-up and cosine decay; first with small random rotations,
scalings and shifts of the digits, then resumed without them. Measured on the held-out images, the augmentation was
costing more than it saved: a 2-number code spent its capacity on describing shifts and tilts, and the VAE's held-out
NELBO fell from 159 to 144 nats once the digits were shown as they are. The measured numbers are in the model cards.

**Where it is used.** Compression and dimensionality reduction, anomaly detection (a bad reconstruction
flags an unusual input), denoising, pre-training, and the latent spaces of modern generators (Stable Diffusion
denoises in a VAE's latent space).
""",
        "autoencoder.reconstruct_heading": """
### Rebuild a digit
Draw a digit (or pick one of the 100 bundled MNIST test digits): each model encodes it and rebuilds it from its code.
The two maps show the codes of 2,000 test digits (colour = the true class; the VAE's are the means of q(z|x)); the
black ring is where your digit lands. Under the strip: each model's MSE per pixel, and the VAE's NELBO in nats.
""",
        "autoencoder.rebuild": "Rebuild my drawing",
        "autoencoder.test_index": "Or a bundled MNIST test digit (0-99)",
        "autoencoder.rebuild_test": "Rebuild this test digit",
        "autoencoder.strip": "Input and reconstructions",
        "autoencoder.errors": "Per-image errors",
        "autoencoder.ae_map": "AE map (click a point)",
        "autoencoder.vae_map": "VAE map (click a point)",
        "autoencoder.map_heading": """
### Decode any point of a map
Move the sliders or click a map: the decoder turns that 2-D code into an image. On the AE's map, points far from
the clouds decode to nonsense; the VAE's plane decodes to a digit almost everywhere.
""",
        "autoencoder.map_model": "Map",
        "autoencoder.z1": "z1 (horizontal)",
        "autoencoder.z2": "z2 (vertical)",
        "autoencoder.decoded": "Decoded image",
        "autoencoder.grid_heading": """
### The VAE's latent plane
A grid of codes at evenly spaced quantiles of N(0, 1) (within ±3σ), each decoded: the digits morph smoothly into one
another, the VAE as a generator.
""",
        "autoencoder.grid_size": "Grid size (per side)",
        "autoencoder.grid_button": "Decode the grid",
        "autoencoder.grid": "Decoded latent plane (z1 →, z2 ↑)",
        "autoencoder.denoise_heading": """
### Denoising
Add Gaussian noise to a test digit: the denoising autoencoder rebuilds the clean digit; the plain AE (never trained on
noise) does worse.
""",
        "autoencoder.noise": "Noise σ",
        "autoencoder.noise_seed": "Noise seed",
        "autoencoder.denoise_button": "Denoise",
        "autoencoder.denoised": "Noisy input | DAE | AE | clean",
        "autoencoder.live_heading": """
### Train one yourself
A small autoencoder with a 2-D code (784-*h*-2-*h*-784) learns from 2,600 Fashion-MNIST images for up to 30 s; the
map shows the codes of 400 held-out images (never trained on), coloured by class (the network never sees the labels). Watch the
clothes sort themselves out: shoes, trousers and bags find their own regions. The status compares it with PCA-2
fitted on the same images. Click the finished map to decode a point.
""",
        "autoencoder.seconds": "Time budget (seconds)",
        "autoencoder.hidden": "Hidden units h",
        "autoencoder.lr": "Learning rate (Adam)",
        "autoencoder.seed": "Seed",
        "autoencoder.train": "Train",
        "autoencoder.live_map": "Your map (click a point)",
        "autoencoder.curve": "Training loss (nats per image)",
        "autoencoder.plane": "Your map, decoded (10×10)",
        "autoencoder.live_decoded": "Decoded at the clicked point",
    },
    "zh-CN": {
        "autoencoder.title": "自编码器",
        "autoencoder.intro": """
**自编码器**由两个背靠背的网络组成：**编码器**把一张图像（784 个像素）压缩成一段很短的**编码**，**解码器**只凭这段编码把图像
重建出来，两者一起训练，让重建的图像尽量和输入一样。这里的编码只有 **2 个数**，所以每个数字都变成平面上的一个点：一张可以
直接看的地图。下面并排比较四个在 MNIST 上训练的模型：

- **PCA-2**：最好的*线性*自编码器（投影到前 2 个主成分上），作为基线。
- **AE**：MLP 自编码器（784-512-256-**2**-256-512-784）：它是非线性的，所以用同样的 2 个数能重建得好得多。
- **VAE**：*变分*自编码器：编码器为每张图给出一小团高斯分布，编码被拉向 N(0, I)，因此整个平面都能解码成数字；它是一个
  生成模型（下方的网格就是从它采样）。
- **DAE**：*去噪*自编码器（32 维编码），学习从加噪的副本重建干净的数字。
""",
        "autoencoder.principle": r"""
**计算什么。** 编码器 $z = f_\phi(x)$ 把图像 $x\in[0,1]^{784}$ 映射成编码 $z\in\mathbb{R}^d$，解码器 $\hat x = g_\theta(z)$
再把它映射回来。$d = 2$ 时编码就是平面上的一个点。训练时最小化每张图像的**重建损失**，对 784 个像素求和：这里用二元交叉熵
$\mathcal{L}_{\text{rec}}(x) = -\sum_{i=1}^{784}\big[x_i\log\hat x_i + (1-x_i)\log(1-\hat x_i)\big]$
（$\hat x = \sigma(\text{logits})$）；本页报告的是每像素均方误差 $\frac{1}{784}\lVert x-\hat x\rVert^2$。

**PCA 就是线性自编码器。** 如果 $f$ 和 $g$ 都是线性的，$z = W^\top(x-\mu)$，$\hat x = \mu + Wz$，那么在平方误差意义下最优的
$W$ 张成前 $d$ 个主成分（Eckart–Young；Baldi 与 Hornik 1989）：PCA-2 是*任何*线性二维编码所能达到的最好结果。AE 比它好的
部分，全部来自非线性层。

**VAE。** 编码器输出高斯分布 $q_\phi(z\mid x) = \mathcal{N}(\mu_\phi(x), \mathrm{diag}\,\sigma^2_\phi(x))$，先验为
$p(z) = \mathcal{N}(0, I)$，解码器是伯努利似然 $p_\theta(x\mid z)$。它最大化证据下界
$$\log p(x) \ge \text{ELBO}(x) = \mathbb{E}_{q_\phi(z\mid x)}\big[\log p_\theta(x\mid z)\big] - \mathrm{KL}\big(q_\phi(z\mid x)\,\Vert\,p(z)\big),$$
$$\mathrm{KL} = \tfrac12\sum_{j=1}^{d}\big(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\big).$$
两项都是**按每张图像求和**（第一项对像素求和，KL 对隐变量维度求和）；以奈特为单位的负 ELBO 就是论文里报告的数值（如果像素项取
平均而 KL 求和，KL 的权重就被放大了 784 倍）。**重参数化** $z = \mu + \sigma\odot\varepsilon$，$\varepsilon\sim\mathcal{N}(0, I)$，
让采样结果成为 $\mu,\sigma$ 的可微函数，反向传播才能到达编码器。KL 项让编码靠近原点并彼此重叠，所以 VAE 平面上 ±3σ 内
*每一个*点都能解码成像样的数字，而 AE 的平面上有空白的缝隙。

**为什么用二维编码。** 两个数装不下一个完整的数字：重建会变模糊，相似的数字（4/9，3/5/8）挤在同一区域。但二维编码可以
*画出来*：地图展示了网络在没有标签的情况下学到了什么（颜色只是为你标上的）。编码越长重建越好（DAE 保留 32 个数）。

**去噪。** DAE 最小化 $\mathcal{L}_{\text{rec}}(x, g(f(\tilde x)))$，其中 $\tilde x = \mathrm{clip}(x + \sigma\varepsilon)$：要去掉噪声，
它必须学会数字长什么样。

**训练。** 使用 10,000 张 MNIST 训练图像中的 9,000 张（留出 1,000 张用于早停：保留留出集上最好的那一轮的权重），
AdamW 加权重衰减、预热和余弦衰减；先在数字的小幅随机旋转、缩放和平移上训练，再去掉这些数据增强继续训练。在留出图像上测得：
数据增强的代价超过了它的好处——只有 2 个数的编码把容量花在了描述平移和倾斜上，去掉增强、直接看原样的数字后，VAE 在留出集上的
负 ELBO 从 159 降到了 144 奈特。实测数值见模型卡。

**应用场景。** 压缩与降维、异常检测（重建得差说明输入不寻常）、去噪、预训练，
以及现代生成模型的隐空间（Stable Diffusion 就是在一个 VAE 的隐空间里去噪）。
""",
        "autoencoder.reconstruct_heading": """
### 重建一个数字
画一个数字（或者从随附的 100 张 MNIST 测试数字中选一张）：每个模型先编码再从编码重建它。两张地图显示 2,000 张测试数字的编码（颜色 =
真实类别；VAE 的是 q(z|x) 的均值），黑色圆圈是你的数字落下的位置。重建图下方是各模型的每像素均方误差，以及 VAE 的负 ELBO（奈特）。
""",
        "autoencoder.rebuild": "重建我画的数字",
        "autoencoder.test_index": "或者选一张随附的 MNIST 测试数字（0-99）",
        "autoencoder.rebuild_test": "重建这张测试数字",
        "autoencoder.strip": "输入与重建",
        "autoencoder.errors": "每张图像的误差",
        "autoencoder.ae_map": "AE 地图（点击一个点）",
        "autoencoder.vae_map": "VAE 地图（点击一个点）",
        "autoencoder.map_heading": """
### 解码地图上的任意一点
拖动滑块或点击地图：解码器把这个二维编码变成一张图像。在 AE 的地图上，远离点群的位置解码出来是乱码；VAE 的平面几乎处处都能
解码成数字。
""",
        "autoencoder.map_model": "地图",
        "autoencoder.z1": "z1（横轴）",
        "autoencoder.z2": "z2（纵轴）",
        "autoencoder.decoded": "解码出的图像",
        "autoencoder.grid_heading": """
### VAE 的隐空间平面
在 N(0, 1) 的等间隔分位点（±3σ 以内）上取一个编码网格并逐个解码：数字平滑地过渡成另一个数字，这就是作为生成模型的 VAE。
""",
        "autoencoder.grid_size": "网格大小（每边）",
        "autoencoder.grid_button": "解码网格",
        "autoencoder.grid": "解码出的隐空间平面（z1 →，z2 ↑）",
        "autoencoder.denoise_heading": """
### 去噪
给测试数字加上高斯噪声：去噪自编码器会重建出干净的数字；从没在噪声上训练过的普通 AE 效果更差。
""",
        "autoencoder.noise": "噪声 σ",
        "autoencoder.noise_seed": "噪声随机种子",
        "autoencoder.denoise_button": "去噪",
        "autoencoder.denoised": "加噪输入 | DAE | AE | 干净图像",
        "autoencoder.live_heading": """
### 自己训练一个
一个二维编码的小自编码器（784-*h*-2-*h*-784）在 2,600 张 Fashion-MNIST 图像上学习最多 30 秒；地图显示 400 张留出图像（不参与训练）的编码，
按类别着色（网络从来看不到标签）。看衣物如何自己分开：鞋、裤子和包各自占据一块区域。状态栏把它和在同样图像上拟合的 PCA-2
作比较。训练完成后点击地图即可解码那一点。
""",
        "autoencoder.seconds": "时间预算（秒）",
        "autoencoder.hidden": "隐藏单元数 h",
        "autoencoder.lr": "学习率（Adam）",
        "autoencoder.seed": "随机种子",
        "autoencoder.train": "训练",
        "autoencoder.live_map": "你的地图（点击一个点）",
        "autoencoder.curve": "训练损失（奈特/张）",
        "autoencoder.plane": "你的地图解码后（10×10）",
        "autoencoder.live_decoded": "点击位置解码出的图像",
    },
}


def _sliders(model_key, z1=None, z2=None):
    """The two code sliders narrowed to one map's range (in this page only; the API keeps the wider range)."""
    x0, x1, y0, y1 = shipped.slider_range(model_key)
    return (gr.Slider(minimum=x0, maximum=x1, value=(0.0 if x0 < 0 < x1 else x0) if z1 is None else z1),
            gr.Slider(minimum=y0, maximum=y1, value=(0.0 if y0 < 0 < y1 else y0) if z2 is None else z2))


def _map_model_changed(model):
    return _sliders(model)


def _clicked(model_key):
    def pick(evt: gr.SelectData):
        return (model_key, *_sliders(model_key, *shipped.pick_from_map(model_key, *evt.index)))
    pick.__name__ = f"pick_on_{model_key.lower()}_map"
    return pick


def _live_clicked(trained, evt: gr.SelectData):
    return live.autoencoder_live_decode(trained, *evt.index)


def build() -> None:
    gr.Markdown(t("autoencoder.intro"))
    principle("autoencoder.principle")

    gr.Markdown(t("autoencoder.reconstruct_heading"))
    codes = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            canvas = digit_canvas()
            rebuild_btn = gr.Button(t("autoencoder.rebuild"), variant="primary")
            test_index = gr.Slider(0, shipped.TEST_DIGITS - 1, value=0, step=1, label=t("autoencoder.test_index"))
            rebuild_test_btn = gr.Button(t("autoencoder.rebuild_test"))
        with gr.Column(scale=2):
            strip = gr.Image(label=t("autoencoder.strip"), interactive=False, format="png")
            errors = gr.Markdown(label=t("autoencoder.errors"))
            with gr.Row():
                ae_map = gr.Image(label=t("autoencoder.ae_map"), interactive=False, format="png")
                vae_map = gr.Image(label=t("autoencoder.vae_map"), interactive=False, format="png")
    rebuild_outputs = [strip, errors, ae_map, vae_map, codes]
    rebuild_btn.click(shipped.autoencoder_reconstruct, canvas, rebuild_outputs, api_name="autoencoder_reconstruct")
    rebuild_test_btn.click(shipped.autoencoder_reconstruct_test, test_index, rebuild_outputs,
                           api_name="autoencoder_reconstruct_test")

    gr.Markdown(t("autoencoder.map_heading"))
    x0, x1, y0, y1 = shipped.slider_range()  # both maps' range; the AE's covers nearly all of it
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            map_model = gr.Radio(list(shipped.MAP_MODELS), value="AE", label=t("autoencoder.map_model"))
            z1 = gr.Slider(x0, x1, value=0.0, step=0.01, label=t("autoencoder.z1"))
            z2 = gr.Slider(y0, y1, value=0.0, step=0.01, label=t("autoencoder.z2"))
            point_status = gr.Markdown()
        with gr.Column(scale=1):
            decoded = gr.Image(label=t("autoencoder.decoded"), interactive=False, height=260, format="png")
    decode_inputs = [map_model, z1, z2, codes]
    decode_outputs = [decoded, ae_map, vae_map, point_status]
    # dragging a slider decodes as it moves (the latest position wins); z1's event is the API endpoint
    z1.change(shipped.autoencoder_decode, decode_inputs, decode_outputs, api_name="autoencoder_decode",
              trigger_mode="always_last", show_progress="hidden")
    z2.change(shipped.autoencoder_decode, decode_inputs, decode_outputs, api_visibility="private",
              trigger_mode="always_last", show_progress="hidden")
    map_model.input(_map_model_changed, map_model, [z1, z2], api_visibility="private")
    for image, key in ((ae_map, "AE"), (vae_map, "VAE")):
        image.select(_clicked(key), None, [map_model, z1, z2], api_visibility="private")

    gr.Markdown(t("autoencoder.grid_heading"))
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            grid_size = gr.Slider(*shipped.GRID_SIZES, value=15, step=1, label=t("autoencoder.grid_size"))
            grid_btn = gr.Button(t("autoencoder.grid_button"), variant="primary")
        with gr.Column(scale=2):
            grid = gr.Image(label=t("autoencoder.grid"), interactive=False, format="png")
    grid_btn.click(shipped.autoencoder_vae_grid, grid_size, grid, api_name="autoencoder_vae_grid")

    gr.Markdown(t("autoencoder.denoise_heading"))
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            noise_index = gr.Slider(0, shipped.TEST_DIGITS - 1, value=0, step=1, label=t("autoencoder.test_index"))
            noise = gr.Slider(0, shipped.NOISE_MAX, value=0.5, step=0.05, label=t("autoencoder.noise"))
            noise_seed = gr.Number(value=0, precision=0, minimum=0, label=t("autoencoder.noise_seed"))
            denoise_btn = gr.Button(t("autoencoder.denoise_button"), variant="primary")
        with gr.Column(scale=2):
            denoised = gr.Image(label=t("autoencoder.denoised"), interactive=False, format="png")
            denoise_status = gr.Markdown()
    denoise_inputs = [noise_index, noise, noise_seed]
    denoise_btn.click(shipped.autoencoder_denoise, denoise_inputs, [denoised, denoise_status],
                      api_name="autoencoder_denoise")
    noise.release(shipped.autoencoder_denoise, denoise_inputs, [denoised, denoise_status], api_visibility="private")

    gr.Markdown(t("autoencoder.live_heading"))
    trained = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=280) as controls:
            seconds = gr.Slider(*live.SECONDS, value=10, step=1, label=t("autoencoder.seconds"))
            hidden = gr.Radio(list(live.HIDDEN_CHOICES), value="128", label=t("autoencoder.hidden"))
            learning_rate = gr.Slider(*live.LR, value=0.003, step=0.0001, label=t("autoencoder.lr"))
            seed = gr.Number(value=0, precision=0, minimum=0, label=t("autoencoder.seed"))
            train_btn = gr.Button(t("autoencoder.train"), variant="primary")
            download = gr.File(label=t("live.download"), interactive=False)
            upload = gr.UploadButton(t("live.upload"), file_types=[".zip"])
        with gr.Column(scale=3):
            live_status = gr.Markdown()
            with gr.Row():
                live_map = gr.Image(label=t("autoencoder.live_map"), interactive=False, format="png")
                curve = gr.LinePlot(x="step", y="loss", color="series", title=t("autoencoder.curve"),
                                    y_title="nats · 奈特", height=360)
            with gr.Row():
                plane = gr.Image(label=t("autoencoder.plane"), interactive=False, format="png")
                live_decoded = gr.Image(label=t("autoencoder.live_decoded"), interactive=False, height=200,
                                        format="png")
    train_event = train_btn.click(live.autoencoder_train, [seconds, hidden, learning_rate, seed],
                                  [live_map, curve, live_status, plane, trained, download],
                                  api_name="autoencoder_train", **HEAVY)
    with controls:
        stop_button(train_event)
    upload.upload(live.autoencoder_upload, upload, [live_map, plane, live_status, trained],
                  api_name="autoencoder_upload", api_visibility="undocumented")
    live_map.select(_live_clicked, trained, [live_map, live_decoded], api_visibility="private")
    model_card(*shipped.MODELS)
