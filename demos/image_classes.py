"""The image classes the GAN and Diffusion tabs generate: datasets, class names in both languages, the class
dropdown's choices and reading them back (both tabs train on MNIST and Fashion-MNIST with the same 10 classes)."""
from __future__ import annotations

import numpy as np

from .common import check_choice
from .i18n import t

DATASET_CHOICES = {"Digits (MNIST)": "mnist", "Clothes (Fashion-MNIST)": "fashion"}
DIGIT_NAMES = [str(i) for i in range(10)]
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                 "Ankle boot"]
CLASS_VALUES = ["all", *map(str, range(10))]

TEXT = {
    "en": {
        "image_classes.all": "All classes (cycling)",
        "image_classes.fashion_0": "0 · T-shirt/top",
        "image_classes.fashion_1": "1 · Trouser",
        "image_classes.fashion_2": "2 · Pullover",
        "image_classes.fashion_3": "3 · Dress",
        "image_classes.fashion_4": "4 · Coat",
        "image_classes.fashion_5": "5 · Sandal",
        "image_classes.fashion_6": "6 · Shirt",
        "image_classes.fashion_7": "7 · Sneaker",
        "image_classes.fashion_8": "8 · Bag",
        "image_classes.fashion_9": "9 · Ankle boot",
    },
    "zh-CN": {
        "image_classes.all": "所有类别（轮流）",
        "image_classes.fashion_0": "0 · T恤/上衣",
        "image_classes.fashion_1": "1 · 裤子",
        "image_classes.fashion_2": "2 · 套头衫",
        "image_classes.fashion_3": "3 · 连衣裙",
        "image_classes.fashion_4": "4 · 外套",
        "image_classes.fashion_5": "5 · 凉鞋",
        "image_classes.fashion_6": "6 · 衬衫",
        "image_classes.fashion_7": "7 · 运动鞋",
        "image_classes.fashion_8": "8 · 包",
        "image_classes.fashion_9": "9 · 短靴",
    },
}


def class_names(dataset: str, lang: str = "en") -> list[str]:
    """The classes' names as text shows them; in Chinese the clothes' names come from TEXT."""
    if dataset == "mnist":
        return DIGIT_NAMES
    if lang == "en":
        return FASHION_NAMES
    from .i18n import lookup

    return [lookup(f"image_classes.fashion_{i}", lang).split(" · ", 1)[1] for i in range(len(FASHION_NAMES))]


def class_choices(dataset: str) -> list[tuple[str, str]]:
    """Dropdown (label, value) pairs: the value is the class index as text, or 'all'; the labels of 'all' and of the
    clothes are translation keys (image_classes.all, image_classes.fashion_0..9), the digits stay '0'..'9'."""
    names = class_names(dataset)
    return [(t("image_classes.all"), "all")] + [
        (t(f"image_classes.fashion_{i}") if dataset != "mnist" else n, str(i)) for i, n in enumerate(names)]


def read_dataset(value) -> str:
    return DATASET_CHOICES[check_choice(value, "Dataset", list(DATASET_CHOICES))]


def read_class(value, name: str = "Class") -> int | None:
    """'all' -> None, '0'..'9' (or an int) -> the class index."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = str(int(value))
    value = check_choice(value, name, CLASS_VALUES)
    return None if value == "all" else int(value)


def has_card(name: str) -> bool:
    """Whether weights/<name> is there (its model card is shown)."""
    from models.persistence import weights_dir

    return (weights_dir(name) / "config.json").exists()
