"""The Autoencoder tab's live section: train a 2-D-code autoencoder on the bundled Fashion-MNIST sample for a few
seconds and watch its map of codes organise by class; download what you trained and upload it again."""
from __future__ import annotations

import functools

import numpy as np

from ..common import both, check_choice, check_number, error, seed_generator
from ..live import trained_file_error, uploaded_path
from .plot import code_map, image_grid

SECONDS = (1, 30)
LR = (1e-4, 1e-2)
HIDDEN_CHOICES = ("64", "128", "256")   # = models.autoencoder_live.HIDDEN_CHOICES, as the radio's values
PLANE = 10                              # the decoded plane of the trained map: PLANE x PLANE images
FASHION_NAMES = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]

STATUS = {
    "progress": ("**{state}** · step {step} · {seconds:.1f} s · epoch {epoch:.1f} · training loss {loss:.1f} nats/image"
                 "\n\nOn the 400 held-out images: reconstruction MSE **{mse:.4f}** (PCA-2 fitted on the same images: "
                 "{pca_mse:.4f}; untrained: {init_mse:.4f}) · 5-nearest-neighbour accuracy of the 2-D codes "
                 "**{knn:.0%}** (PCA-2: {pca_knn:.0%}; untrained: {init_knn:.0%}; chance 10%).",
                 "**{state_zh}** · 第 {step} 步 · {seconds:.1f} 秒 · 第 {epoch:.1f} 轮 · 训练损失 {loss:.1f} 奈特/张"
                 "\n\n在 400 张留出图像上：重建均方误差 **{mse:.4f}**（在同样图像上拟合的 PCA-2：{pca_mse:.4f}；"
                 "未训练：{init_mse:.4f}）· 二维编码的 5 近邻分类准确率 **{knn:.0%}**（PCA-2：{pca_knn:.0%}；"
                 "未训练：{init_knn:.0%}；随机猜 10%）。"),
    "uploaded": ("Uploaded autoencoder (hidden {hidden}): reconstruction MSE **{mse:.4f}** on the 400 held-out images, "
                 "5-NN accuracy of its codes **{knn:.0%}**.",
                 "已上传的自编码器（隐藏层 {hidden}）：在 400 张留出图像上的重建均方误差 **{mse:.4f}**，"
                 "其编码的 5 近邻准确率 **{knn:.0%}**。"),
}
SERIES = "training loss · 训练损失"


@functools.lru_cache(maxsize=1)
def live_setup():
    """The bundled sample split once per server: training images, map images and labels, and the baselines."""
    from models.autoencoder_live import live_data, pca_baseline

    x_train, x_map, labels = live_data()
    return x_train, x_map, labels, pca_baseline(x_train, x_map, labels)


def class_names() -> list[str]:
    return FASHION_NAMES


def plane_image(model, codes: np.ndarray) -> np.ndarray:
    """What the trained map decodes to: PLANE x PLANE images over the codes' 2-98 % range (z2 upwards)."""
    import torch

    lo, hi = np.percentile(codes, 2, axis=0), np.percentile(codes, 98, axis=0)
    z1 = np.linspace(lo[0], hi[0], PLANE)
    z2 = np.linspace(hi[1], lo[1], PLANE)
    grid = np.stack(np.meshgrid(z1, z2), -1).reshape(-1, 2).astype(np.float32)
    with torch.inference_mode():
        images = torch.sigmoid(model.decode(torch.from_numpy(grid))).view(-1, 28, 28).numpy()
    return image_grid(images, PLANE)


def live_bounds(codes: np.ndarray) -> tuple[float, float, float, float]:
    lo, hi = codes.min(0), codes.max(0)
    pad = 0.05 * np.maximum(hi - lo, 1e-3)
    return float(lo[0] - pad[0]), float(hi[0] + pad[0]), float(lo[1] - pad[1]), float(hi[1] + pad[1])


def live_map(codes: np.ndarray, labels: np.ndarray, marks=()) -> np.ndarray:
    return code_map(codes, labels, live_bounds(codes), class_names(), marks)


def kept(model, hidden: int, codes: np.ndarray) -> dict:
    """What the session keeps of a trained (or uploaded) model: its weights and its held-out codes."""
    return {"hidden": hidden, "tensors": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "codes": codes.copy()}


def curve_frame(curve):
    import pandas as pd

    steps, losses = curve
    return pd.DataFrame({"step": steps, "loss": losses, "series": SERIES})


def autoencoder_train(seconds=10, hidden="128", learning_rate=0.003, seed=0):
    """Train a small autoencoder with a 2-D code on 2,600 bundled Fashion-MNIST images, streaming its map of codes.

    Args:
        seconds: the time budget, 1-30 s.
        hidden: the width of the single hidden layer of the encoder and of the decoder: "64", "128" or "256".
        learning_rate: Adam's learning rate, 0.0001-0.01.
        seed: the random seed of the initial weights and the batch order (same seed, same curve).

    Returns:
        Streamed: the map of the 400 held-out images' codes coloured by class, the loss curve, a status line with
        the held-out MSE and 5-NN accuracy against PCA-2 and the untrained network; at the end also the decoded
        plane of the map, the trained model (per-session state) and a .zip to download.
    """
    from models.autoencoder_live import map_state, seeded_autoencoder, train_live

    seconds = check_number(seconds, ("Seconds", "训练时长（秒）"), *SECONDS)
    hidden = int(check_choice(str(hidden), ("Hidden units", "隐藏单元数"), HIDDEN_CHOICES))
    learning_rate = check_number(learning_rate, "Learning rate", *LR)
    gen = seed_generator(seed)
    x_train, x_map, labels, pca = live_setup()
    model = seeded_autoencoder(hidden, gen)
    init = map_state(model, x_map, labels)
    labels_np = labels.numpy()
    try:
        for progress in train_live(model, x_train, x_map, labels, seconds, learning_rate, gen):
            done = progress["done"]
            losses = progress["curve"][1]
            status = both(STATUS["progress"], state="done" if done else "training", state_zh="完成" if done else "训练中",
                          step=progress["step"], seconds=progress["seconds"], epoch=progress["epoch"],
                          loss=losses[-1] if losses else float("nan"), mse=progress["map_mse"],
                          pca_mse=pca["map_mse"], init_mse=init["map_mse"], knn=progress["knn"],
                          pca_knn=pca["knn"], init_knn=init["knn"])
            picture = live_map(progress["codes"], labels_np)
            if not done:
                yield picture, curve_frame(progress["curve"]), status, None, None, None
                continue
            trained = kept(model, hidden, progress["codes"])
            yield (picture, curve_frame(progress["curve"]), status, plane_image(model, progress["codes"]), trained,
                   str(save_model(trained)))
    except FloatingPointError:
        raise error("Training stopped: the loss diverged (NaN/inf). Lower the learning rate.",
                    "训练已停止：损失发散了（变成 NaN 或无穷大）。请调低学习率。") from None


def save_model(trained: dict):
    from models.autoencoder_live import KIND
    from models.live import save_trained

    return save_trained(KIND, {"hidden": trained["hidden"], "code": 2}, trained["tensors"], stem="autoencoder-2d")


def autoencoder_upload(file):
    """Load an autoencoder downloaded from this section and show its map of codes.

    Args:
        file: the .zip that the download button gave.

    Returns:
        Its map of the 400 held-out codes, its decoded plane, a status line, and the model (per-session state).
    """
    import torch

    from models.autoencoder_live import HIDDEN_CHOICES as WIDTHS, KIND, expected_shapes, map_state
    from models.autoencoder import AutoEncoder
    from models.live import TrainedFileError, check_shapes, config_number, load_trained

    try:
        config, tensors, _ = load_trained(uploaded_path(file), KIND)
        hidden = config_number(config, "hidden", min(WIDTHS), max(WIDTHS))
        if hidden not in WIDTHS or config_number(config, "code", 2, 2) != 2:
            raise TrainedFileError(f"config.json: hidden must be one of {WIDTHS}.",
                                   f"config.json：hidden 必须是 {WIDTHS} 之一。")
        check_shapes(tensors, expected_shapes(hidden))
    except TrainedFileError as exc:
        raise trained_file_error(exc) from None
    model = AutoEncoder(hidden=(hidden,), code=2)
    model.load_state_dict({k: v.float() for k, v in tensors.items()})
    model.eval()
    _, x_map, labels, _ = live_setup()
    with torch.no_grad():
        state = map_state(model, x_map, labels)
    if not np.isfinite(state["codes"]).all():
        raise error("Upload refused: the weights give NaN or infinite codes.", "上传被拒绝：这些权重产生了 NaN 或无穷大的编码。")
    trained = kept(model, hidden, state["codes"])
    return (live_map(state["codes"], labels.numpy()), plane_image(model, state["codes"]),
            both(STATUS["uploaded"], hidden=hidden, mse=state["map_mse"], knn=state["knn"]), trained)


def autoencoder_live_decode(trained, x: float, y: float):
    """A click on the map of your trained autoencoder (pixel x, y) -> the image its decoder puts there, and the
    map with the point marked. UI only: the trained model lives in the page's session."""
    import torch

    from models.autoencoder import AutoEncoder
    from .plot import to_code
    from ..common import upscale

    if not isinstance(trained, dict) or "tensors" not in trained:
        raise error("Train (or upload) an autoencoder first, then click its map.",
                    "请先训练（或上传）一个自编码器，再点击它的地图。")
    _, _, labels, _ = live_setup()
    z = to_code(x, y, live_bounds(trained["codes"]))
    model = AutoEncoder(hidden=(trained["hidden"],), code=2)
    model.load_state_dict(trained["tensors"])
    with torch.inference_mode():
        image = torch.sigmoid(model.decode(torch.tensor([z], dtype=torch.float32))).view(28, 28).numpy()
    return (live_map(trained["codes"], labels.numpy(), [(z, "pick")]),
            upscale((image * 255).astype(np.uint8), 6))
