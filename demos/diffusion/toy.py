"""The Diffusion tab's live section: a small denoiser learns a 2-D point cloud (swiss roll, moons, a ring, or the
learner's own drawing) while the learner watches the loss and the sample quality; then the forward process, the
learned denoising direction at any t, and DDPM / DDIM reverse trajectories. The loop is
models.diffusion2d.train_diffusion."""
from __future__ import annotations

import time

import gradio as gr
import numpy as np

from ..common import both, check_choice, check_number, error, seed_generator
from ..i18n import t
from ..live import HEAVY, stop_button, trained_file_error, uploaded_path
from ..plane import (REAL_COLOR, SAMPLE_COLOR, arrows, blank, caption, own_points_panel,
                     read_points, splat, strip, uploaded_points)

DATASETS = ("swissroll", "moons", "ring8", "own")
SAMPLERS = ("DDPM", "DDIM")
T_MAX = 99                   # = models.diffusion2d.T - 1
LIMITS = {"lr": (1e-5, 0.02), "steps": (50, 10_000), "seconds": (1, 30), "count": (10, 2000),
          "ddim_steps": (1, 100), "t": (0, T_MAX)}
CLOUD_POINTS = 1000
FORWARD_STEPS = (0, 10, 25, 50, 99)
SNAPSHOTS = 6                # panels of the reverse strip
TRAILS = 40                  # sampled points whose whole path is drawn
STREAM_FRAMES = 40           # pictures a sampling stream sends (plus the last)
FRAME_SECONDS = 0.05         # pace the sampling stream so it can be watched
PANEL = 180
KIND = "diffusion2d"
DEFAULTS = dict(dataset="swissroll", lr=3e-3, steps=3000, seconds=20, seed=0)

STATUS = {
    "progress": ("**step {step:,}/{steps:,}** ({elapsed:.1f} s) · loss {loss:.4f} · sample MMD² ×10³ {mmd:.2f} "
                 "(pure noise {noise:.2f}, held-out real points {floor:.2f})",
                 "**第 {step:,}/{steps:,} 步**（{elapsed:.1f} 秒）· 损失 {loss:.4f} · 样本的 MMD² ×10³ {mmd:.2f}"
                 "（纯噪声 {noise:.2f}，留出的真实点 {floor:.2f}）"),
    "sample": ("{sampler} with {steps} steps, {count} points · MMD² ×10³ to held-out real points {mmd:.2f} "
               "(pure noise {noise:.2f}, real points {floor:.2f}: lower is better)",
               "{sampler}，{steps} 步，{count} 个点 · 与留出真实点的 MMD² ×10³ 为 {mmd:.2f}"
               "（纯噪声 {noise:.2f}，真实点 {floor:.2f}：越低越好）"),
    "step": ("{sampler}: step {i}/{n} (t = {t})", "{sampler}：第 {i}/{n} 步（t = {t}）"),
    "loaded": ("Loaded a denoiser trained {step:,} steps on {dataset}.", "已载入一个在 {dataset} 上训练了 {step:,} 步的去噪网络。"),
}
DATASET_NAMES = {"swissroll": ("the swiss roll", "瑞士卷"), "moons": ("two moons", "双月牙"),
                 "ring8": ("the ring of 8 Gaussians", "8 个高斯组成的环"), "own": ("your points", "你的点")}
SERIES = {"loss": "loss ‖ε − ε_θ‖² · 损失", "mmd": "samples (DDIM 20) · 样本", "noise": "pure noise · 纯噪声",
          "floor": "held-out real · 留出的真实点"}


def no_model() -> gr.Error:
    return error("No trained model yet: press Train first (or upload one).", "还没有训练好的模型：请先点训练（或上传一个模型）。")


def clouds(dataset: str, seed: int, own):
    """(training cloud, held-out cloud, jitter, the generator after drawing them): what a seed gives."""
    import torch

    from models.toy2d import training_clouds

    generator = torch.Generator().manual_seed(int(seed))
    return (*training_clouds(dataset, CLOUD_POINTS, generator, own), generator)


def forward_strip(data, generator) -> np.ndarray:
    """The training cloud noised to a few steps t (the forward process)."""
    from models.diffusion2d import SCHEDULE, forward_process

    panels = [splat(blank(PANEL), x.numpy(), REAL_COLOR, radius=1) for x in forward_process(data, FORWARD_STEPS,
                                                                                          generator)]
    labels = [f"t = {s}: signal x{SCHEDULE['abar'][s].sqrt():.2f}" for s in FORWARD_STEPS]
    return strip(panels, labels)


def mmd_curves(history: dict, references: dict):
    """The samples' MMD beside the two references; shown up to twice the noise level (the untrained model's first
    samples are far worse than noise and would flatten the rest of the curve)."""
    import pandas as pd

    steps = history["eval_step"]
    shown = np.minimum(history["mmd"], 2 * references["noise"])
    frames = [pd.DataFrame({"step": steps, "value": shown, "series": SERIES["mmd"]})]
    for key in ("noise", "floor"):
        frames.append(pd.DataFrame({"step": steps, "value": [references[key]] * len(steps), "series": SERIES[key]}))
    return pd.concat(frames, ignore_index=True)


def loss_curve(history: dict):
    import pandas as pd

    return pd.DataFrame({"step": history["step"], "value": history["loss"], "series": SERIES["loss"]})


def save_denoiser(model, config: dict) -> str:
    from models.live import save_trained

    return str(save_trained(KIND, config, model.state_dict(), stem=f"diffusion2d-{config['dataset']}"))


def train_diffusion_plane(dataset="swissroll", points="", lr=3e-3, steps=3000, seconds=20, seed=0):
    """Train a small denoiser (an MLP predicting the noise) on 2-D points live; streams the loss and the samples'
    MMD to held-out real points.

    Args:
        dataset: "swissroll", "moons", "ring8" or "own" (the points given in `points`).
        points: for dataset "own": one "x,y" pair per line, inside [-2, 2]² (at most 2,000 lines).
        lr: Adam's learning rate (1e-5 to 0.02; decays to a tenth by the last step).
        steps: training steps (50-10,000); training also stops at `seconds`.
        seconds: the time budget (1-30 s).
        seed: the random seed (data, weights, batches): same seed, same curves.

    Returns:
        (the forward process: the cloud noised at a few t; the loss curve; the MMD² x 10³ of DDIM-20 samples, of
        pure noise and of held-out real points, as a long table step/value/series; a status line in English and
        Chinese; the trained denoiser as a .zip (at the end)). Streams; `predict` returns the last update.
    """
    from models.diffusion2d import Denoiser, reference_mmds, train_diffusion

    dataset = check_choice(dataset, "Dataset", DATASETS)
    lr = check_number(lr, "Learning rate", *LIMITS["lr"])
    steps = check_number(steps, "Training steps", *LIMITS["steps"], integer=True)
    seconds = check_number(seconds, ("Time budget (s)", "时间预算（秒）"), *LIMITS["seconds"])
    own = read_points(dataset, points)
    seed = seed_generator(seed).initial_seed()
    data, held_out, jitter, generator = clouds(dataset, seed, own)
    references = reference_mmds(data, held_out, generator)
    noising = forward_strip(data, generator)
    model = Denoiser(generator)
    config = {"dataset": dataset, "seed": int(seed), "width": model.width, "depth": model.depth,
              "embed": model.embed, "fourier": model.fourier, "points": own.tolist() if own is not None else None,
              "references": references}
    try:
        for progress in train_diffusion(data, generator, lr, steps, seconds, held_out, jitter, model):
            history = progress["history"]
            session = {"model": model, "config": {**config, "step": progress["step"]}}
            status = both(STATUS["progress"], step=progress["step"], steps=steps, elapsed=progress["elapsed"],
                          loss=history["loss"][-1] if history["loss"] else float("nan"), mmd=history["mmd"][-1],
                          **references)
            file = save_denoiser(model, session["config"]) if progress["done"] else None
            yield noising, loss_curve(history), mmd_curves(history, references), status, session, file
    except FloatingPointError:
        raise error("Training stopped: the loss diverged (NaN or infinite). Lower the learning rate.",
                    "训练已停止：损失发散了（变成 NaN 或无穷大）。请调低学习率。") from None


def _session_model(session):
    if not isinstance(session, dict) or session.get("model") is None:
        raise no_model()
    return session["model"], session["config"]


def field_picture(model, config: dict, t: int) -> np.ndarray:
    from models.diffusion2d import denoising_field

    data, _, _, _ = clouds(config["dataset"], config["seed"], _own(config))
    picture = splat(blank(), data.numpy(), (170, 170, 170), radius=1.3)
    grid, direction = denoising_field(model, t)
    arrows(picture, grid.numpy(), direction.numpy(), color=SAMPLE_COLOR, length=0.16)
    return caption(picture, [(f"t = {t}: where the denoiser moves a point (direction)", SAMPLE_COLOR)], "top")


def _own(config: dict):
    import torch

    return torch.tensor(config["points"], dtype=torch.float32) if config.get("dataset") == "own" else None


def denoising_direction(t=50, session=None):
    """The learned denoising direction -ε_θ(x, t) over the plane, as normalised arrows, on the training cloud.

    Args:
        t: the diffusion step (0 = almost clean, 99 = pure noise).
        session: the trained model (kept by the page; train first).

    Returns:
        the picture of the arrows.
    """
    t = check_number(t, ("Step t", "时间步 t"), *LIMITS["t"], integer=True)
    model, config = _session_model(session)
    return field_picture(model, config, t)


def trajectory_frame(path, upto: int, size: int = 360) -> np.ndarray:
    """x_t of every sampled point after `upto` reverse steps, with the whole path so far of TRAILS of them."""
    picture = blank(size)
    trail = path[: upto + 1, :TRAILS]                                # [k, TRAILS, 2]
    if len(trail) > 1:
        fractions = np.linspace(0, 1, 5, dtype=np.float32)[None, :, None, None]
        segments = trail[:-1, None] + fractions * (trail[1:, None] - trail[:-1, None])
        splat(picture, segments.reshape(-1, 2), (150, 180, 215), radius=0.6)
    splat(picture, path[upto], SAMPLE_COLOR, radius=1.4)
    return picture


def sample_plane(sampler="DDIM", ddim_steps=20, count=500, seed=0, session=None):
    """Sample points from the trained denoiser; streams the reverse process step by step.

    Args:
        sampler: "DDPM" (all 100 steps, fresh noise each) or "DDIM" (deterministic, `ddim_steps` steps).
        ddim_steps: DDIM's number of steps (1-100; DDPM always takes 100).
        count: how many points to sample (10-2,000).
        seed: the random seed of the starting noise.
        session: the trained model (kept by the page; train first).

    Returns:
        (the points at the current step with the paths of 40 of them; a strip of snapshots from noise to samples
        (at the end); a status line with the samples' MMD² x 10³ to held-out real points, in English and Chinese).
    """
    from models.diffusion2d import reference_mmds, sample
    from models.toy2d import mmd

    sampler = check_choice(sampler, "Scheduler", SAMPLERS)
    ddim_steps = check_number(ddim_steps, "Steps", *LIMITS["ddim_steps"], integer=True)
    count = check_number(count, "Count", *LIMITS["count"], integer=True)
    generator = seed_generator(seed)
    model, config = _session_model(session)
    path, ts = sample(model, count, generator, sampler, ddim_steps)
    path = path.numpy()
    n = len(ts)
    every = max(1, n // STREAM_FRAMES)
    last = time.monotonic()
    for i in range(0, n, every):
        status = both(STATUS["step"], sampler=sampler, i=i, n=n, t=ts[i])
        time.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - last)))
        yield trajectory_frame(path, i), None, status
        last = time.monotonic()
    data, held_out, _, ref_gen = clouds(config["dataset"], config["seed"], _own(config))
    references = config.get("references") or reference_mmds(data, held_out, ref_gen)
    quality = mmd(torch_points(path[-1][:1000]), held_out[:1000])
    picks = np.unique(np.linspace(0, n, SNAPSHOTS).round().astype(int))
    panels = [splat(blank(PANEL), path[k], SAMPLE_COLOR, radius=1) for k in picks]
    labels = ["x_T ~ N(0, I)" if k == 0 else (f"t = {ts[k]}" if k < n else "x_0") for k in picks]
    status = both(STATUS["sample"], sampler=sampler, steps=n, count=count, mmd=quality, noise=references["noise"],
                  floor=references["floor"])
    yield trajectory_frame(path, n), strip(panels, labels), status


def torch_points(array):
    import torch

    return torch.from_numpy(np.ascontiguousarray(array))


def load_diffusion_plane(file):
    """Upload a denoiser trained in this section (.zip).

    Args:
        file: the .zip downloaded from this section.

    Returns:
        (the denoising directions at t = 50, a status line, the session state holding the model).
    """
    import torch

    from models.diffusion2d import Denoiser, shapes
    from models.live import TrainedFileError, check_shapes, config_number, load_trained

    try:
        config, tensors, _ = load_trained(uploaded_path(file), KIND)
        if config.get("dataset") not in DATASETS:
            raise TrainedFileError("config.json names an unknown dataset.", "config.json 中的数据集未知。")
        config["seed"] = config_number(config, "seed", 0, 2**31 - 1)
        step = config_number(config, "step", 0, 10**7)
        check_shapes(tensors, shapes())
        uploaded_points(config)
        config["references"] = None  # recomputed from the data, never taken from the file
    except TrainedFileError as exc:
        raise trained_file_error(exc) from None
    model = Denoiser(torch.Generator().manual_seed(0))
    model.load_state_dict(tensors)
    status = both(STATUS["loaded"], step=step, dataset=DATASET_NAMES[config["dataset"]])
    return field_picture(model, config, 50), status, {"model": model, "config": config}


TEXT = {
    "en": {
        "diffusion.toy_heading": """
### Train a diffusion model on a plane, live
The same idea as the digits above, small enough to watch: a 3-layer MLP ε_θ(x_t, t) (the point, its Fourier
features and a sinusoidal embedding of t) learns to predict the noise that was added to 2-D points. Press
**Train**: the loss falls while the samples' **MMD** (maximum mean discrepancy, ×10³; 0 = indistinguishable from
real data) drops from the level of pure noise towards the floor set by held-out real points. Then look at the
learned denoising direction at any t, and sample with DDPM or DDIM, step by step.
""",
        "diffusion.toy_dataset": "Data",
        "diffusion.ds_swissroll": "swiss roll", "diffusion.ds_moons": "two moons", "diffusion.ds_ring8": "ring of 8",
        "diffusion.ds_own": "your points",
        "diffusion.toy_lr": "Learning rate (Adam)",
        "diffusion.toy_steps": "Training steps (at most)",
        "diffusion.toy_seconds": "Time budget (seconds)",
        "diffusion.toy_seed": "Seed",
        "diffusion.toy_train": "Train the denoiser",
        "diffusion.forward_strip": "Forward process: the training points noised to step t",
        "diffusion.loss_plot": "Training loss",
        "diffusion.mmd_plot": "Sample quality: MMD² ×10³ to held-out real points (lower is better)",
        "diffusion.inside": "#### Inside the trained model",
        "diffusion.field_t": "Step t of the denoising direction (0 = almost clean, 99 = pure noise)",
        "diffusion.field": "Learned denoising direction −ε_θ(x, t), normalised",
        "diffusion.sampler": "Sampler",
        "diffusion.ddim_steps": "DDIM steps (DDPM always takes 100)",
        "diffusion.toy_count": "Points to sample",
        "diffusion.sample_seed": "Seed of the starting noise",
        "diffusion.toy_sample": "Sample points",
        "diffusion.trajectories": "Reverse process: x_t, and the paths of 40 points",
        "diffusion.snapshots": "From noise to samples",
        "diffusion.own_panel": "Your own points: draw, or type x,y lines",
        "diffusion.canvas": "Draw a distribution (the canvas is the plane [-2, 2]²)",
        "diffusion.use_drawing": "Use my drawing",
        "diffusion.points": "Points (one x,y per line, inside [-2, 2]²)",
        "diffusion.download": "Download the trained denoiser",
        "diffusion.upload": "Upload a trained denoiser (.zip)",
    },
    "zh-CN": {
        "diffusion.toy_heading": """
### 在平面上实时训练一个扩散模型
和上面的数字是同一个思路，但小到可以看清楚：一个 3 层 MLP ε_θ(x_t, t)（输入是点、它的傅里叶特征和 t 的正弦嵌入）学习
预测加到二维点上的噪声。点 **训练**：损失下降，样本的 **MMD**（最大均值差异，×10³；0 = 与真实数据无法区分）从纯噪声的
水平降向留出真实点给出的下限。然后查看任意 t 下学到的去噪方向，并用 DDPM 或 DDIM 一步一步采样。
""",
        "diffusion.toy_dataset": "数据",
        "diffusion.ds_swissroll": "瑞士卷", "diffusion.ds_moons": "双月牙", "diffusion.ds_ring8": "8 个高斯的环",
        "diffusion.ds_own": "你的点",
        "diffusion.toy_lr": "学习率（Adam）",
        "diffusion.toy_steps": "训练步数（上限）",
        "diffusion.toy_seconds": "时间预算（秒）",
        "diffusion.toy_seed": "随机种子",
        "diffusion.toy_train": "训练去噪网络",
        "diffusion.forward_strip": "前向过程：训练点被加噪到第 t 步",
        "diffusion.loss_plot": "训练损失",
        "diffusion.mmd_plot": "样本质量：与留出真实点的 MMD² ×10³（越低越好）",
        "diffusion.inside": "#### 看看训练好的模型内部",
        "diffusion.field_t": "去噪方向的时间步 t（0 = 几乎干净，99 = 纯噪声）",
        "diffusion.field": "学到的去噪方向 −ε_θ(x, t)（已归一化）",
        "diffusion.sampler": "采样器",
        "diffusion.ddim_steps": "DDIM 步数（DDPM 总是 100 步）",
        "diffusion.toy_count": "采样的点数",
        "diffusion.sample_seed": "起始噪声的随机种子",
        "diffusion.toy_sample": "采样这些点",
        "diffusion.trajectories": "反向过程：x_t，以及其中 40 个点的轨迹",
        "diffusion.snapshots": "从噪声到样本",
        "diffusion.own_panel": "你自己的点：画出来，或输入 x,y 行",
        "diffusion.canvas": "画一个分布（画布就是平面 [-2, 2]²）",
        "diffusion.use_drawing": "使用我画的点",
        "diffusion.points": "点（每行一个 x,y，在 [-2, 2]² 之内）",
        "diffusion.download": "下载训练好的去噪网络",
        "diffusion.upload": "上传训练好的去噪网络（.zip）",
    },
}


def build() -> None:
    gr.Markdown(t("diffusion.toy_heading"))
    session = gr.State(None, time_to_live=3600)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            dataset = gr.Radio([(t(f"diffusion.ds_{name}"), name) for name in DATASETS], value=DEFAULTS["dataset"],
                               label=t("diffusion.toy_dataset"))
            lr = gr.Number(value=DEFAULTS["lr"], minimum=LIMITS["lr"][0], maximum=LIMITS["lr"][1], step=1e-4,
                           label=t("diffusion.toy_lr"))
            steps = gr.Slider(*LIMITS["steps"], value=DEFAULTS["steps"], step=50, label=t("diffusion.toy_steps"))
            seconds = gr.Slider(*LIMITS["seconds"], value=DEFAULTS["seconds"], step=1, label=t("diffusion.toy_seconds"))
            seed = gr.Number(value=0, precision=0, minimum=0, label=t("diffusion.toy_seed"))
            with gr.Row() as buttons:
                train_btn = gr.Button(t("diffusion.toy_train"), variant="primary")
        with gr.Column(scale=2):
            noising = gr.Image(label=t("diffusion.forward_strip"), interactive=False, format="png")
            status = gr.Markdown()
            with gr.Row():
                # fixed colour maps: the first frames may hold no curve yet, and a plot keeps the series it saw first
                loss_plot = gr.LinePlot(x="step", y="value", color="series", title=t("diffusion.loss_plot"),
                                        height=240, color_map={SERIES["loss"]: "#3182bd"})
                mmd_plot = gr.LinePlot(x="step", y="value", color="series", title=t("diffusion.mmd_plot"),
                                       height=240, color_map={SERIES["mmd"]: "#3182bd", SERIES["noise"]: "#de2d26",
                                                              SERIES["floor"]: "#31a354"})
            with gr.Row():
                download = gr.File(label=t("diffusion.download"), interactive=False)
                upload = gr.File(label=t("diffusion.upload"), file_types=[".zip"], type="filepath")
    points = own_points_panel("diffusion", dataset)
    gr.Markdown(t("diffusion.inside"))
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            field_t = gr.Slider(*LIMITS["t"], value=50, step=1, label=t("diffusion.field_t"))
            sampler = gr.Radio(list(SAMPLERS), value="DDIM", label=t("diffusion.sampler"))
            ddim_steps = gr.Slider(*LIMITS["ddim_steps"], value=20, step=1, label=t("diffusion.ddim_steps"))
            count = gr.Slider(*LIMITS["count"], value=500, step=10, label=t("diffusion.toy_count"))
            sample_seed = gr.Number(value=0, precision=0, minimum=0, label=t("diffusion.sample_seed"))
            sample_btn = gr.Button(t("diffusion.toy_sample"), variant="primary")
            sample_status = gr.Markdown()
        field = gr.Image(label=t("diffusion.field"), interactive=False, format="png", height=400, scale=1)
        trajectories = gr.Image(label=t("diffusion.trajectories"), interactive=False, format="png", height=400,
                                scale=1)
    snapshots = gr.Image(label=t("diffusion.snapshots"), interactive=False, format="png")

    event = train_btn.click(train_diffusion_plane, [dataset, points, lr, steps, seconds, seed],
                            [noising, loss_plot, mmd_plot, status, session, download], api_name="diffusion2d_train",
                            **HEAVY)
    event.then(denoising_direction, [field_t, session], field, api_visibility="private")
    with buttons:
        stop_button(event)
    field_t.release(denoising_direction, [field_t, session], field, api_name="diffusion2d_field", api_visibility="undocumented")
    sample_btn.click(sample_plane, [sampler, ddim_steps, count, sample_seed, session],
                     [trajectories, snapshots, sample_status], api_name="diffusion2d_sample", **HEAVY, api_visibility="undocumented")
    upload.upload(load_diffusion_plane, upload, [field, status, session], api_name="diffusion2d_upload",
                  api_visibility="undocumented")


def measure_default(seeds, steps: int = DEFAULTS["steps"]) -> list[dict]:
    """The default run's sample quality for each seed, run to its step cap whatever the time it takes (the same data,
    weights and batches as the page's run with that seed, which stops at 30 s): DDPM and DDIM-20 samples' MMD
    beside pure noise and held-out real points."""
    from models.diffusion2d import Denoiser, reference_mmds, sample, train_diffusion
    from models.toy2d import mmd

    results = []
    for seed in seeds:
        data, held_out, jitter, generator = clouds(DEFAULTS["dataset"], seed, None)
        references = reference_mmds(data, held_out, generator)
        forward_strip(data, generator)  # draws from the generator as the page does
        model = Denoiser(generator)
        *_, last = train_diffusion(data, generator, DEFAULTS["lr"], steps, 10**6, held_out, jitter, model)
        row = {"seed": seed, "steps": last["step"], "seconds": round(last["elapsed"], 1), **references}
        for sampler, k in (("DDPM", 100), ("DDIM", 20)):
            samples = sample(model, 1000, torch_generator(seed), sampler, k)[0][-1]
            row[sampler] = mmd(samples, held_out)
        results.append(row)
    return results


def torch_generator(seed: int):
    import torch

    return torch.Generator().manual_seed(seed)


if __name__ == "__main__":  # python -m demos.diffusion.toy SEED...: the default run's MMDs for each seed
    import json
    import sys

    for row in measure_default([int(seed) for seed in sys.argv[1:]] or [0]):
        print(json.dumps(row))
