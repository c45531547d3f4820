"""What the CNN tab shows of a prediction, for the digit model and for a learner's symbol model alike."""
from __future__ import annotations

import numpy as np

from ..common import colorize, heat_overlay, tile, upscale
from ..digits import digit_probabilities, model_view

OCCLUSION_PATCH, OCCLUSION_STRIDE = 8, 4


def occlusion_map(model, digit: np.ndarray, target: int) -> np.ndarray:
    """How much the target class's probability drops when each patch is blacked out (0..1)."""
    starts = range(0, 28 - OCCLUSION_PATCH + 1, OCCLUSION_STRIDE)
    # blacking out a patch with no ink leaves the image unchanged: its drop is exactly 0, skip it
    patches = [(y, x) for y in starts for x in starts
               if digit[y:y + OCCLUSION_PATCH, x:x + OCCLUSION_PATCH].any()]
    batch = np.repeat(digit[None], len(patches), axis=0)
    for k, (y, x) in enumerate(patches):
        batch[k, y:y + OCCLUSION_PATCH, x:x + OCCLUSION_PATCH] = 0
    base = digit_probabilities(model, digit[None])[0, target]
    drops = np.clip(base - digit_probabilities(model, batch)[:, target], 0, None)
    heat, count = np.zeros((28, 28), np.float32), np.zeros((28, 28), np.float32)
    for (y, x), drop in zip(patches, drops):
        heat[y:y + OCCLUSION_PATCH, x:x + OCCLUSION_PATCH] += drop
        count[y:y + OCCLUSION_PATCH, x:x + OCCLUSION_PATCH] += 1
    heat /= np.maximum(count, 1)
    return heat / heat.max() if heat.max() > 0 else heat


def first_layer_maps(model, digit: np.ndarray) -> np.ndarray:
    """The first convolution's 32 feature maps as one image grid (4 rows x 8)."""
    import torch

    with torch.inference_mode():
        x = torch.from_numpy(digit).view(1, 1, 28, 28).to(next(model.parameters()).device)
        maps = model.first_layer(x.to(next(model.parameters()).dtype))[0].float().cpu().numpy()
    return tile([upscale(colorize(m), 3) for m in maps], columns=8)


def prediction_views(model, digit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(class probabilities, the 28x28 the model saw enlarged, the occlusion heatmap of the top class over it)."""
    probs = digit_probabilities(model, digit[None])[0]
    heat = occlusion_map(model, digit, int(probs.argmax()))
    return probs, model_view(digit), heat_overlay(digit, heat)
