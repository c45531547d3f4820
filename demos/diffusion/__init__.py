"""Diffusion tab: a DDPM turns noise into digits or clothes, streamed step by step, with the forward process on
a test image; and a small denoiser learns a 2-D point cloud live (demos/diffusion/toy.py)."""
from __future__ import annotations

from . import pretrained, toy
from .pretrained import (CHOICES, HUB_CHOICE, HUB_DATASETS, MAX_COUNT, MAX_FRAMES, MAX_STEPS, SCHEDULERS,
                         _update_classes, available_datasets, diffusion_forward_process, load_ddpm, real_test_image,
                         sample_diffusion)
from .toy import denoising_direction, load_diffusion_plane, sample_plane, train_diffusion_plane

TEXT = {lang: {**pretrained.TEXT[lang], **toy.TEXT[lang]} for lang in ("en", "zh-CN")}


def build() -> None:
    pretrained.build()
    toy.build()


__all__ = ["CHOICES", "HUB_CHOICE", "HUB_DATASETS", "MAX_COUNT", "MAX_FRAMES", "MAX_STEPS", "SCHEDULERS", "TEXT",
           "_update_classes", "available_datasets", "build", "denoising_direction", "diffusion_forward_process", "load_ddpm",
           "load_diffusion_plane", "real_test_image", "sample_plane", "sample_diffusion", "train_diffusion_plane"]
