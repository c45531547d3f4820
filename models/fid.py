"""Sample quality for the generative tabs, measured with this hub's own classifiers.

- FID: the Frechet distance between Gaussians fitted to the penultimate-layer features of
  samples and of the 10,000 real test images. The feature extractor is the MNIST CNN
  (weights/cnn, 128-d features) for digits and, for clothes, the Fashion-MNIST
  lightweight network (weights/lightweight, its 128-d pooled features; else weights/resnet).
  These are not Inception features: the numbers are comparable only within this hub, which is
  why the real-test vs real-train FID is reported beside them as the floor.
- The classifier's mean top-1 probability on the samples (how recognisable they are),
  the class histogram of its predictions (mode collapse shows as missing classes), and,
  for class-conditional generators, how often the predicted class is the requested one.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

# data folder -> (training split used as the floor's reference)
TRAIN_SPLIT = {"mnist": "train-10k", "fashion-mnist": "train"}


@lru_cache(maxsize=None)
def classifier(folder: str):
    """(features fn, logits fn) of the hub classifier for this dataset; inputs [B,1,28,28] in [0,1]."""
    from .persistence import weights_dir

    if folder == "mnist":
        from .digits import DigitCNN
        from .persistence import from_pretrained

        model = from_pretrained(DigitCNN, weights_dir("cnn")).requires_grad_(False)
        return "cnn", model.features, model
    from .resnet import load_pretrained

    for name in ("lightweight", "resnet"):
        if (weights_dir(name) / "model.safetensors").exists():
            model = load_pretrained(name).eval().requires_grad_(False)
            return name, (lambda x, m=model: m.feature_maps(x).mean((2, 3))), model
    raise FileNotFoundError("no Fashion-MNIST classifier in weights/ (train `lightweight` or `resnet` first)")


@torch.inference_mode()
def features_and_probs(folder: str, images: torch.Tensor, batch: int = 1000):
    """images [N,28,28] or [N,1,28,28] float in [0,1] -> (features [N,D] float64 numpy, probs [N,10])."""
    _, features, model = classifier(folder)
    x = images.float().reshape(-1, 1, 28, 28)
    feats, probs = [], []
    for i in range(0, len(x), batch):
        f = features(x[i:i + batch])
        feats.append(f.double().numpy())
        head = model.fc2 if hasattr(model, "fc2") else model.fc
        probs.append(torch.softmax(head(f), 1))
    return np.concatenate(feats), torch.cat(probs)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import linalg

    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(covmean).all():
        eps = np.eye(len(s1)) * 1e-6
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


@lru_cache(maxsize=None)
def _real(folder: str, split: str, data_dir):
    """(features, probs) of a real split through the dataset's classifier."""
    from .data import load_images

    images, _ = load_images(folder, split, data_dir)
    return features_and_probs(folder, torch.from_numpy(images).float() / 255)


def _real_features(folder: str, split: str, data_dir):
    return _real(folder, split, data_dir)[0]


def _sig(x: float) -> float:
    """4 significant digits: FIDs on different feature scales stay readable (1.234, 0.01234)."""
    return float(f"{x:.4g}")


def real_floor(folder: str, data_dir=None) -> float:
    """FID of the 10,000 real test images against the real training images (the best a generator can hope for)."""
    return frechet_distance(_real_features(folder, "test", data_dir), _real_features(folder, TRAIN_SPLIT[folder], data_dir))


def sample_quality(folder: str, images: torch.Tensor, data_dir=None, requested: torch.Tensor | None = None) -> dict:
    """All the metrics of the module docstring for generated images [N,28,28] in [0,1]."""
    name = classifier(folder)[0]
    feats, probs = features_and_probs(folder, images)
    top, pred = probs.max(1)
    hist = torch.bincount(pred, minlength=10).double() / len(pred)
    real_top, real_pred = _real(folder, "test", data_dir)[1].max(1)
    real_hist = torch.bincount(real_pred, minlength=10).double() / len(real_pred)
    out = {
        "fid": _sig(frechet_distance(feats, _real_features(folder, "test", data_dir))),
        "fid_floor_real_test_vs_train": _sig(real_floor(folder, data_dir)),
        "feature_extractor": f"weights/{name} penultimate layer",
        "mean_top1_prob": round(top.mean().item(), 4),
        "class_hist_min": round(hist.min().item(), 4),
        "class_hist_max": round(hist.max().item(), 4),
        "class_histogram": [round(v, 4) for v in hist.tolist()],
        # the same classifier on the real test images, for reference
        "real_test_mean_top1_prob": round(real_top.mean().item(), 4),
        "real_test_class_hist_min": round(real_hist.min().item(), 4),
        "real_test_class_hist_max": round(real_hist.max().item(), 4),
    }
    if requested is not None:
        out["requested_class_accuracy"] = round((pred == requested).double().mean().item(), 4)
    return out
