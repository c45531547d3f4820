"""Fine-tune the shipped detector (weights/detector) at a low learning rate for a number of steps:
AdamW, lr 6e-4 with a 20-step warm-up and a cosine to 0 over the steps (counted in steps, so a paused or slowed
process ends the same), one thread, freshly composed scenes seeded (0, offset + step) so they differ from earlier
trainings' (the first fine-tune used offset 100000); a checkpoint every 100 steps. It writes the new weights to the
checkpoint only; copy them to weights/detector and run `python -m models evaluate detector --update` when the
evaluation improves.

    OMP_NUM_THREADS=1 python -m models.detection_finetune 4740 100000   # steps, scene-seed offset (26 min)
    OMP_NUM_THREADS=1 python -m models.detection_finetune 6000 300000 2e-4   # ... and the peak learning rate
    python -m models.detection_finetune 6000 500000 5e-4 warp   # ... on scenes of rotated and sheared digits

DLHUB_THREADS sets the threads (default 1).
"""
import os
import math
import sys
import time

import numpy as np
import torch

from .data import load_images
from .detection import BATCH_SIZE, WEIGHT_DECAY, detect_batch, detection_loss, load_detector, score_detector
from .scenes import compose_scenes

LR = 6e-4
WARMUP = 20
CHECKPOINT = "/tmp/dlhub_checkpoints/detector-finetune-{offset}.pt"


def finetune(steps: int, offset: int = 100_000, lr: float = LR, warp: bool = False, log=print):
    torch.set_num_threads(int(os.environ.get("DLHUB_THREADS", 1)))
    model = load_detector()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
    checkpoint = CHECKPOINT.format(offset=offset)
    images, labels = load_images("mnist", "train-10k", None)
    val = compose_scenes(images, labels, 200, seed=10_000)
    t0, step, running = time.time(), 0, {}
    while step < steps:
        done = step / steps
        for group in opt.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / WARMUP) * 0.5 * (1 + math.cos(math.pi * done))
        model.train()
        scenes = compose_scenes(images, labels, BATCH_SIZE, rng=np.random.default_rng([0, offset + step]), warp=warp)
        loss, parts = detection_loss(model, scenes.images, scenes.boxes, scenes.labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        for k, v in parts.items():
            running[k] = 0.98 * running.get(k, v) + 0.02 * v
        if step % 100 == 0:
            torch.save({"model": model.state_dict(), "step": step}, checkpoint)
        if step % 400 == 0:
            model.eval()
            scores = score_detector(detect_batch(model, val.images), val)
            log(f"step {step} {running} val mAP {scores['map50']} exact {scores['exact_reads']} "
                f"{time.time() - t0:.0f}s", flush=True)
    model.eval()
    torch.save({"model": model.state_dict(), "step": step}, checkpoint)
    return model, step


if __name__ == "__main__":
    finetune(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 100_000,
             float(sys.argv[3]) if len(sys.argv) > 3 else LR, warp="warp" in sys.argv[4:])
