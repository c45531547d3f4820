"""GAN tab: class-conditional DCGANs draw digits or clothes (the discriminator grades each one, a latent walk
morphs one sample into another), and a small GAN learns a 2-D distribution live (demos/gan/toy.py)."""
from __future__ import annotations

from . import pretrained, toy
from .pretrained import (DATASET_CHOICES, DEFAULT_PSI, FASHION_NAMES, MAX_COUNT, MAX_FRAMES, STATUS, class_choices,
                         class_names, has_card, gan_latent_walk, load_gan, read_class, read_dataset, sample_gan_grid,
                         gan_walk_frame)
from .toy import load_gan_plane, train_gan_plane

TEXT = {lang: {**pretrained.TEXT[lang], **toy.TEXT[lang]} for lang in ("en", "zh-CN")}


def build() -> None:
    pretrained.build()
    toy.build()


__all__ = ["DATASET_CHOICES", "DEFAULT_PSI", "FASHION_NAMES", "MAX_COUNT", "MAX_FRAMES", "STATUS", "TEXT", "build",
           "class_choices", "class_names", "has_card", "gan_latent_walk", "load_gan", "load_gan_plane", "read_class",
           "read_dataset", "sample_gan_grid", "train_gan_plane", "gan_walk_frame"]
