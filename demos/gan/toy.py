"""The GAN tab's live section: a GAN learning a 2-D distribution (a ring or grid of Gaussians, moons, a spiral, or
the learner's own drawing) while the learner watches the discriminator's map, the generator's push on its samples,
both losses and the mode coverage. The loop is models.gan2d.train_gan."""
from __future__ import annotations

import gradio as gr
import numpy as np

from ..common import both, check_choice, check_number, error, seed_generator
from ..i18n import t
from ..live import HEAVY, stop_button, trained_file_error, uploaded_path
from ..plane import (FAKE_COLOR, REAL_COLOR, STAR, arrows, caption, heatmap, own_points_panel,
                     read_points, splat, uploaded_points)

DATASETS = ("ring8", "grid25", "moons", "spiral", "own")
LOSSES = ("minimax", "nonsaturating", "leastsquares", "wgan-gp")   # = models.gan2d.LOSSES
LIMITS = {"lr": (1e-5, 0.02), "player_steps": (1, 5), "steps": (50, 10_000), "seconds": (1, 30)}
CLOUD_POINTS = 1000          # points drawn from a named distribution (and held out for the MMD)
ARROWS = 150                 # generated samples that get an arrow
KIND = "gan2d"
# the default reaches >= 7 of 8 modes (measured in the README); the collapse preset loses modes with this seed
PRESETS = {
    "default": dict(dataset="ring8", loss="nonsaturating", lr_g=2e-3, lr_d=2e-3, d_steps=1, g_steps=1, steps=2000,
                    seed=0),
    "collapse": dict(dataset="ring8", loss="minimax", lr_g=2e-3, lr_d=1e-2, d_steps=5, g_steps=1, steps=1000,
                     seed=0),
    "grid_wgan": dict(dataset="grid25", loss="wgan-gp", lr_g=1e-3, lr_d=1e-3, d_steps=5, g_steps=1, steps=1000,
                      seed=0),
    "moons_ls": dict(dataset="moons", loss="leastsquares", lr_g=2e-3, lr_d=2e-3, d_steps=1, g_steps=1, steps=2000,
                     seed=0),
    "own": dict(dataset="own", loss="nonsaturating", lr_g=2e-3, lr_d=2e-3, d_steps=1, g_steps=1, steps=2000,
                seed=0),
}
PRESET_FIELDS = ("dataset", "loss", "lr_g", "lr_d", "d_steps", "g_steps", "steps", "seed")

STATUS = {
    "progress": ("**step {step:,}/{steps:,}** ({elapsed:.1f} s) · D loss {d_loss:.3f} · G loss {g_loss:.3f} · "
                 "{quality} · mean generator push ‖∂L_G/∂x‖ {push:.3g}",
                 "**第 {step:,}/{steps:,} 步**（{elapsed:.1f} 秒）· 判别器损失 {d_loss:.3f} · 生成器损失 {g_loss:.3f} · "
                 "{quality} · 生成器推力的平均大小 ‖∂L_G/∂x‖ {push:.3g}"),
    "modes": ("**{covered}/{modes} modes covered** · high-quality share {hq:.0%} · MMD² ×10³ {mmd:.2f}",
              "**覆盖了 {covered}/{modes} 个模式** · 高质量样本占比 {hq:.0%} · MMD² ×10³ {mmd:.2f}"),
    "mmd": ("MMD² ×10³ to held-out real points {mmd:.2f} (0 = indistinguishable)",
            "与留出真实点的 MMD² ×10³ 为 {mmd:.2f}（0 = 无法区分）"),
    "loaded": ("Loaded a {loss} GAN trained {step:,} steps on {dataset}.",
               "已载入一个用 {loss} 损失在 {dataset} 上训练了 {step:,} 步的 GAN。"),
}
DATASET_NAMES = {"ring8": ("ring of 8 Gaussians", "8 个高斯组成的环"), "grid25": ("grid of 25 Gaussians", "25 个高斯组成的网格"),
                 "moons": ("two moons", "双月牙"), "spiral": ("a spiral", "螺旋"), "own": ("your points", "你的点")}
LOSS_NAMES = {"minimax": ("minimax", "极小极大"), "nonsaturating": ("non-saturating", "非饱和"),
              "leastsquares": ("least-squares", "最小二乘"), "wgan-gp": ("WGAN-GP", "WGAN-GP")}
SERIES = {"d_loss": "D loss · 判别器损失", "g_loss": "G loss · 生成器损失",
          "covered": "modes covered (share) · 覆盖的模式（占比）", "high_quality": "high-quality share · 高质量占比",
          "mmd": "MMD / its start value · MMD 相对初始值"}


def surface_range(loss: str, surface) -> tuple[float, float]:
    """The heatmap's colour range: P(real) in [0, 1] for the BCE losses, the LS target range, the critic's spread."""
    if loss in ("minimax", "nonsaturating"):
        return 0.0, 1.0
    if loss == "leastsquares":
        return -0.25, 1.25
    lo, hi = np.percentile(surface, [2, 98])
    return float(lo), float(max(hi, lo + 1e-6))


def draw_gan(model, loss: str, real, z) -> tuple[np.ndarray, float]:
    """(the plane picture, mean push): D's map as the background, real points (dark), G's samples (orange) and,
    on ARROWS of them, the direction (to scale) in which the generator's loss pushes them."""
    from models.gan2d import discriminator_surface, generator_push

    surface = discriminator_surface(model, loss).numpy()
    picture = heatmap(surface, *surface_range(loss, surface))
    samples, push = generator_push(model, loss, z)
    samples, push = samples.numpy(), push.numpy()
    splat(picture, real.numpy(), REAL_COLOR, radius=1.3, alpha=0.55)
    splat(picture, samples, FAKE_COLOR, radius=1.7)
    arrows(picture, samples[:ARROWS], push[:ARROWS], length=0.3, normalise=False)
    legend = {"minimax": "D(x) = P(real)", "nonsaturating": "D(x) = P(real)", "leastsquares": "D(x) (real → 1)",
              "wgan-gp": "critic score"}[loss]
    picture = caption(picture, [("real points", REAL_COLOR), ("generated points, arrows: push of G's loss", FAKE_COLOR),
                                (f"background: {legend} (yellow high)", (60, 60, 60))])
    return picture, float(np.linalg.norm(push, axis=1).mean())


def curves(history: dict, keys, x: str = "step"):
    import pandas as pd

    frames = [pd.DataFrame({"step": history[x], "value": history[key], "series": SERIES[key]}) for key in keys]
    return pd.concat(frames, ignore_index=True)


def quality_curves(history: dict, has_modes: bool):
    """Shares in [0, 1]: the MMD to held-out points relative to the untrained generator's (every dataset), and for
    the mixtures the modes covered and the high-quality share. Every series is in every frame: a plot keeps the
    series of its first frame, so a series that only some runs have would stay invisible in the others."""
    import pandas as pd

    steps = history["eval_step"]
    start = max(abs(history["mmd"][0]), 1e-9)
    mmd = np.clip(np.array(history["mmd"], float) / start, 0, 1.5)
    if has_modes:
        covered = np.array(history["covered"], float) / (history.get("modes") or 1)
        quality = np.array(history["high_quality"], float)
    else:  # no modes to count: drawn at 0, the status says why
        covered = quality = np.zeros(len(steps))
    return pd.concat([pd.DataFrame({"step": steps, "value": values, "series": SERIES[key]})
                      for key, values in (("covered", covered), ("high_quality", quality), ("mmd", mmd))],
                     ignore_index=True)


def quality_text(metrics: dict) -> str:
    if "covered" in metrics:
        return both(STATUS["modes"], covered=metrics["covered"], modes=metrics["modes"], hq=metrics["high_quality"],
                    mmd=metrics["mmd"])
    return both(STATUS["mmd"], mmd=metrics["mmd"])


def status_line(progress: dict, push: float) -> str:
    """English line, blank line, Chinese line (the quality part goes by language too)."""
    history, metrics = progress["history"], progress["metrics"]
    d_loss = history["d_loss"][-1] if history["d_loss"] else float("nan")
    g_loss = history["g_loss"][-1] if history["g_loss"] else float("nan")
    quality_en, quality_zh = quality_text(metrics).split("\n\n")
    en, zh = STATUS["progress"]
    values = dict(step=progress["step"], steps=progress["steps"], elapsed=progress["elapsed"], d_loss=d_loss,
                  g_loss=g_loss, push=push)
    return en.format(quality=quality_en, **values) + "\n\n" + zh.format(quality=quality_zh, **values)


def save_gan(model, config: dict) -> str:
    from models.live import save_trained

    tensors = model.state_dict()
    return str(save_trained(KIND, config, tensors, stem=f"gan2d-{config['dataset']}-{config['loss']}"))


def train_gan_plane(dataset="ring8", points="", loss="nonsaturating", lr_g=2e-3, lr_d=2e-3, d_steps=1, g_steps=1,
                    steps=2000, seconds=20, seed=0):
    """Train a GAN on 2-D points live; streams the plane, the losses, the sample quality and a status line.

    Args:
        dataset: "ring8", "grid25", "moons", "spiral" or "own" (the points given in `points`).
        points: for dataset "own": one "x,y" pair per line, inside [-2, 2]² (at most 2,000 lines).
        loss: "minimax", "nonsaturating", "leastsquares" or "wgan-gp".
        lr_g: the generator's Adam learning rate (1e-5 to 0.02).
        lr_d: the discriminator's (critic's) Adam learning rate (1e-5 to 0.02).
        d_steps: discriminator updates per step (1-5).
        g_steps: generator updates per step (1-5).
        steps: training steps (50-10,000); training also stops at `seconds`.
        seconds: the time budget (1-30 s).
        seed: the random seed (the data, the initial weights, the batches): same seed, same curves.

    Returns:
        (the plane picture: discriminator map, real and generated points, the generator's push as arrows;
        the losses as a long table step/value/series; the sample quality (modes covered and high-quality share,
        or the MMD to held-out points); a status line in English and Chinese; the trained GAN as a .zip
        (at the end)). Streams while it trains; `predict` returns the last update.
    """
    from models.gan2d import GAN2D, train_gan
    from models.toy2d import mode_centres, training_clouds

    dataset = check_choice(dataset, "Dataset", DATASETS)
    loss = check_choice(loss, ("Loss", "损失函数"), LOSSES)
    lr_g = check_number(lr_g, ("Generator learning rate", "生成器学习率"), *LIMITS["lr"])
    lr_d = check_number(lr_d, ("Discriminator learning rate", "判别器学习率"), *LIMITS["lr"])
    d_steps = check_number(d_steps, ("Discriminator steps per step", "每步的判别器更新次数"), *LIMITS["player_steps"],
                           integer=True)
    g_steps = check_number(g_steps, ("Generator steps per step", "每步的生成器更新次数"), *LIMITS["player_steps"],
                           integer=True)
    steps = check_number(steps, "Training steps", *LIMITS["steps"], integer=True)
    seconds = check_number(seconds, ("Time budget (s)", "时间预算（秒）"), *LIMITS["seconds"])
    own = read_points(dataset, points)
    generator = seed_generator(seed)
    data, held_out, jitter = training_clouds(dataset, CLOUD_POINTS, generator, own)
    model = GAN2D(generator)
    has_modes = mode_centres(dataset) is not None
    config = {"dataset": dataset, "loss": loss, "seed": int(seed), "latent": model.latent, "width": model.width,
              "depth": model.depth, "points": own.tolist() if own is not None else None}
    try:
        for progress in train_gan(data, dataset, generator, loss, lr_g, lr_d, d_steps, g_steps, steps, seconds,
                                  jitter, held_out, model):
            picture, push = draw_gan(model, loss, held_out, progress["z_eval"][:600])
            history = dict(progress["history"], modes=progress["metrics"].get("modes"))
            session = {"model": model, "config": {**config, "step": progress["step"]}, "metrics": progress["metrics"]}
            file = save_gan(model, session["config"]) if progress["done"] else None
            yield (picture, curves(history, ["d_loss", "g_loss"]), quality_curves(history, has_modes),
                   status_line(progress, push), session, file)
    except FloatingPointError:
        raise error("Training stopped: the losses diverged (NaN or infinite). Lower the learning rates.",
                    "训练已停止：损失发散了（变成 NaN 或无穷大）。请调低学习率。") from None


def load_gan_plane(file):
    """Upload a GAN trained in this section (.zip) and show it on the plane.

    Args:
        file: the .zip downloaded from this section.

    Returns:
        (the plane picture, a status line, the session state holding the GAN).
    """
    import torch

    from models.gan2d import GAN2D, shapes
    from models.live import TrainedFileError, check_shapes, config_number, load_trained
    from models.toy2d import training_clouds

    try:
        config, tensors, _ = load_trained(uploaded_path(file), KIND)
        dataset = config.get("dataset")
        loss = config.get("loss")
        if dataset not in DATASETS or loss not in LOSSES:
            raise TrainedFileError("config.json names an unknown dataset or loss.", "config.json 中的数据集或损失函数未知。")
        seed = config_number(config, "seed", 0, 2**31 - 1)
        step = config_number(config, "step", 0, 10**7)
        check_shapes(tensors, shapes())
        own = uploaded_points(config)
    except TrainedFileError as exc:
        raise trained_file_error(exc) from None
    generator = torch.Generator().manual_seed(int(seed))
    _, held_out, _ = training_clouds(dataset, CLOUD_POINTS, generator, own)
    model = GAN2D(generator)
    model.load_state_dict(tensors)
    picture, _ = draw_gan(model, loss, held_out, torch.randn(600, model.latent, generator=generator))
    status = both(STATUS["loaded"], loss=LOSS_NAMES[loss], step=int(step), dataset=DATASET_NAMES[dataset])
    return picture, status, {"model": model, "config": config}


def apply_preset(name):
    settings = PRESETS.get(name, PRESETS["default"])
    return [settings[field] for field in PRESET_FIELDS]


TEXT = {
    "en": {
        "gan.toy_heading": """
### Train a GAN on a plane, live
A GAN small enough to watch: the generator (an MLP, 2 noise numbers → a point) and the discriminator (an MLP,
a point → a score) play on 2-D points. The background is the discriminator's opinion of each place, the orange
dots are generated samples, and each arrow shows where the generator's loss pushes its sample. Press **Train**:
the orange cloud chases the real points while the discriminator's map keeps changing under it. **Mode coverage**
counts the Gaussians of the ring / grid the generator really produces: a mode is covered when at least 10 % of its
fair share of the samples (10 % of 1/8 for the ring) lie within 3 σ of its centre; the **high-quality share** is the
share of samples within 3 σ of any mode. Try the *mode collapse* preset, then draw your own distribution.
""",
        "gan.losses_md": """
**The four losses** (on the discriminator's score d):
- **minimax**: D learns real → 1, fake → 0; G minimises log(1 − D). Where D rejects a sample confidently,
  log(1 − D) is flat: G's push vanishes (it *saturates*): watch the arrows shrink.
- **non-saturating**: same D; G minimises −log D, the same goal with a strong push early on.
- **least-squares**: D regresses real → 1, fake → 0; G pulls D(fake) to 1: the push grows with the distance.
- **WGAN-GP**: a critic (no sigmoid) maximises score(real) − score(fake), kept 1-Lipschitz by a gradient penalty;
  its slope over the plane is the push. Usually several critic steps per generator step.
""",
        "gan.preset": "Preset",
        "gan.preset_default": "Ring of 8, non-saturating (default)",
        "gan.preset_collapse": "Mode collapse: minimax against a strong discriminator",
        "gan.preset_grid_wgan": "Grid of 25, WGAN-GP (5 critic steps)",
        "gan.preset_moons_ls": "Two moons, least-squares",
        "gan.preset_own": "Your drawn points",
        "gan.toy_dataset": "Distribution",
        "gan.ds_ring8": "ring of 8", "gan.ds_grid25": "grid of 25", "gan.ds_moons": "two moons",
        "gan.ds_spiral": "spiral", "gan.ds_own": "your points",
        "gan.loss": "Loss",
        "gan.loss_minimax": "minimax", "gan.loss_nonsaturating": "non-saturating",
        "gan.loss_leastsquares": "least-squares", "gan.loss_wgan-gp": "WGAN-GP",
        "gan.lr_g": "Generator learning rate",
        "gan.lr_d": "Discriminator learning rate",
        "gan.d_steps": "Discriminator updates per step",
        "gan.g_steps": "Generator updates per step",
        "gan.steps": "Training steps (at most)",
        "gan.seconds": "Time budget (seconds)",
        "gan.toy_seed": "Seed",
        "gan.own_panel": "Your own points: draw, or type x,y lines",
        "gan.canvas": "Draw a distribution (the canvas is the plane [-2, 2]²)",
        "gan.use_drawing": "Use my drawing",
        "gan.points": "Points (one x,y per line, inside [-2, 2]²)",
        "gan.train": "Train",
        "gan.plane": "The plane: real (dark), generated (orange), the generator's push (arrows)",
        "gan.loss_plot": "Losses",
        "gan.quality_plot": "Sample quality",
        "gan.download": "Download the trained GAN",
        "gan.upload": "Upload a trained GAN (.zip)",
    },
    "zh-CN": {
        "gan.toy_heading": """
### 在平面上实时训练一个 GAN
一个小到可以看清楚的 GAN：生成器（一个 MLP，把 2 个噪声数变成平面上的一个点）和判别器（一个 MLP，给一个点打分）在二维
点上博弈。背景是判别器对平面上每个位置的判断，橙色点是生成的样本，每个箭头表示生成器的损失把该样本往哪里推。点
**训练**：橙色点云追着真实点跑，而它脚下判别器的地图也在不断变化。**模式覆盖**统计生成器真正产生了环/网格中的几个高斯：
如果至少有它应得份额的 10%（环：全部样本的 1/8 的 10%）落在它中心 3σ 以内，就算覆盖了这个模式；**高质量占比**是落在任一
模式 3σ 以内的样本所占的比例。试试“模式崩溃”预设，再画一个你自己的分布。
""",
        "gan.losses_md": """
**四种损失**（作用在判别器的得分 d 上）：
- **极小极大**：判别器学习真实 → 1、生成 → 0；生成器最小化 log(1 − D)。判别器很有把握地拒绝一个样本时，log(1 − D)
  几乎是平的：生成器的推力消失了（**饱和**），可以看到箭头变短。
- **非饱和**：判别器相同；生成器最小化 −log D，目标一样，但一开始推力就很强。
- **最小二乘**：判别器把真实回归到 1、生成回归到 0；生成器把 D(生成) 拉向 1：离得越远推力越大。
- **WGAN-GP**：评论家（没有 sigmoid）最大化 得分(真实) − 得分(生成)，用梯度惩罚让它保持 1-Lipschitz；它在平面上的坡度
  就是推力。通常每个生成器步配几步评论家更新。
""",
        "gan.preset": "预设",
        "gan.preset_default": "8 个高斯的环，非饱和损失（默认）",
        "gan.preset_collapse": "模式崩溃：极小极大损失对抗一个很强的判别器",
        "gan.preset_grid_wgan": "25 个高斯的网格，WGAN-GP（5 步评论家）",
        "gan.preset_moons_ls": "双月牙，最小二乘损失",
        "gan.preset_own": "你画的点",
        "gan.toy_dataset": "分布",
        "gan.ds_ring8": "8 个高斯的环", "gan.ds_grid25": "25 个高斯的网格", "gan.ds_moons": "双月牙",
        "gan.ds_spiral": "螺旋", "gan.ds_own": "你的点",
        "gan.loss": "损失函数",
        "gan.loss_minimax": "极小极大", "gan.loss_nonsaturating": "非饱和",
        "gan.loss_leastsquares": "最小二乘", "gan.loss_wgan-gp": "WGAN-GP 梯度惩罚",
        "gan.lr_g": "生成器学习率",
        "gan.lr_d": "判别器学习率",
        "gan.d_steps": "每步的判别器更新次数",
        "gan.g_steps": "每步的生成器更新次数",
        "gan.steps": "训练步数（上限）",
        "gan.seconds": "时间预算（秒）",
        "gan.toy_seed": "随机种子",
        "gan.own_panel": "你自己的点：画出来，或输入 x,y 行",
        "gan.canvas": "画一个分布（画布就是平面 [-2, 2]²）",
        "gan.use_drawing": "使用我画的点",
        "gan.points": "点（每行一个 x,y，在 [-2, 2]² 之内）",
        "gan.train": "训练",
        "gan.plane": "平面：真实点（深色）、生成点（橙色）、生成器的推力（箭头）",
        "gan.loss_plot": "损失",
        "gan.quality_plot": "样本质量",
        "gan.download": "下载训练好的 GAN",
        "gan.upload": "上传训练好的 GAN（.zip）",
    },
}


def build() -> None:
    gr.Markdown(t("gan.toy_heading"))
    session = gr.State(None, time_to_live=3600)
    defaults = PRESETS["default"]
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            preset = gr.Dropdown([(t(f"gan.preset_{name}"), name) for name in PRESETS], value="default",
                                 label=t("gan.preset"))
            dataset = gr.Radio([(t(f"gan.ds_{name}"), name) for name in DATASETS], value=defaults["dataset"],
                               label=t("gan.toy_dataset"))
            loss = gr.Radio([(t(f"gan.loss_{name}"), name) for name in LOSSES], value=defaults["loss"],
                            label=t("gan.loss"))
            with gr.Row():
                lr_g = gr.Number(value=defaults["lr_g"], minimum=LIMITS["lr"][0], maximum=LIMITS["lr"][1],
                                 step=1e-4, label=t("gan.lr_g"))
                lr_d = gr.Number(value=defaults["lr_d"], minimum=LIMITS["lr"][0], maximum=LIMITS["lr"][1],
                                 step=1e-4, label=t("gan.lr_d"))
            with gr.Row():
                d_steps = gr.Slider(*LIMITS["player_steps"], value=1, step=1, label=t("gan.d_steps"))
                g_steps = gr.Slider(*LIMITS["player_steps"], value=1, step=1, label=t("gan.g_steps"))
            steps = gr.Slider(*LIMITS["steps"], value=defaults["steps"], step=50, label=t("gan.steps"))
            seconds = gr.Slider(*LIMITS["seconds"], value=20, step=1, label=t("gan.seconds"))
            seed = gr.Number(value=0, precision=0, minimum=0, label=t("gan.toy_seed"))
            with gr.Row() as buttons:
                train_btn = gr.Button(t("gan.train"), variant="primary")
        with gr.Column(scale=2):
            with gr.Row():
                plane = gr.Image(label=t("gan.plane"), interactive=False, format="png", height=420, scale=3)
                gr.Markdown(t("gan.losses_md"), elem_classes=["gan-losses"])
            status = gr.Markdown()
            with gr.Row():
                # fixed colour maps: the first frames may hold no curve yet, and a plot keeps the series it saw first
                loss_plot = gr.LinePlot(x="step", y="value", color="series", title=t("gan.loss_plot"), height=260,
                                        color_map={SERIES["d_loss"]: "#3182bd", SERIES["g_loss"]: "#e6550d"})
                quality_plot = gr.LinePlot(x="step", y="value", color="series", title=t("gan.quality_plot"),
                                           height=260, color_map={SERIES["covered"]: "#31a354",
                                                                  SERIES["high_quality"]: "#756bb1",
                                                                  SERIES["mmd"]: "#636363"})
            with gr.Row():
                download = gr.File(label=t("gan.download"), interactive=False)
                upload = gr.File(label=t("gan.upload"), file_types=[".zip"], type="filepath")
    points = own_points_panel("gan", dataset)
    inputs = [dataset, points, loss, lr_g, lr_d, d_steps, g_steps, steps, seconds, seed]
    event = train_btn.click(train_gan_plane, inputs, [plane, loss_plot, quality_plot, status, session, download],
                            api_name="gan2d_train", **HEAVY)
    with buttons:
        stop_button(event)
    preset.change(apply_preset, preset, [dataset, loss, lr_g, lr_d, d_steps, g_steps, steps, seed],
                  api_visibility="private")
    upload.upload(load_gan_plane, upload, [plane, status, session], api_name="gan2d_upload",
                  api_visibility="undocumented")


def measure_preset(name: str, seeds) -> list[dict]:
    """A preset's final coverage, quality and MMD for each seed, run to its step cap whatever the time it takes
    (the same data, weights and batches as the page's run with that seed, which stops at 30 s)."""
    import torch

    from models.gan2d import GAN2D, train_gan
    from models.toy2d import training_clouds

    settings = PRESETS[name]
    results = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(seed)
        own = read_points(settings["dataset"], STAR)
        data, held_out, jitter = training_clouds(settings["dataset"], CLOUD_POINTS, generator, own)
        *_, last = train_gan(data, settings["dataset"], generator, settings["loss"], settings["lr_g"],
                             settings["lr_d"], settings["d_steps"], settings["g_steps"], settings["steps"], 10**6,
                             jitter, held_out, GAN2D(generator))
        results.append({"seed": seed, "steps": last["step"], "seconds": round(last["elapsed"], 1), **last["metrics"]})
    return results


if __name__ == "__main__":  # python -m demos.gan.toy PRESET SEED...: each seed's final coverage, quality, MMD
    import json
    import sys

    rows = measure_preset(sys.argv[1], [int(seed) for seed in sys.argv[2:]] or [0])
    for row in rows:
        print(json.dumps(row))
