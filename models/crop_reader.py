"""The second stage of the detector's reading: a small CNN that reads the digit in one detected box.

The MNIST classifier (the CNN tab's) reads lone, centred digits; the detector's boxes on a drawing hold touching
neighbours' strokes and, now and then, a sign, a line or half a digit. This reader is trained on exactly that: the
detector's own boxes on training scenes (models/scenes.py from MNIST train-10k digits), each labelled with the digit it
overlaps (IoU >= 0.5), or "not a digit" (class 10) when it overlaps none, plus jittered true boxes. Four members: two
read its boxes after NMS, two its unsuppressed candidates (what the reading hands over, NMS coming after the reader)
with thin digits compared at a readable width (match_digits); the reader averages them (RECIPES, MEMBERS).

Its input is a square window around the box (1.3 x the box's longer side, 28 x 28, neighbours' strokes included)
and a second channel that marks the box inside the window, so it knows which strokes are the digit to read.

    python -m models train crop-reader       # needs weights/detector
    python -m models evaluate crop-reader    # crop accuracy + the whole reading on the detector's test scenes
"""
from __future__ import annotations

import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NAME = "crop-reader"
SIDE = 28                  # window pixels
CONTEXT = 1.3              # window side = this x the box's longer side
NOT_A_DIGIT = 10
CONFIG = {"widths": [24, 48, 80], "hidden": 128, "num_classes": 11, "members": 4}

# --- training data and hyperparameters ---------------------------------------
VAL_SCENES = 1_000         # a different seed, for the printed validation (the test scenes stay unseen)
JITTERED_TRUTHS = 1        # jittered copies of each true box (centre +-8 %, size x 0.85-1.15)
THIN = 0.5                 # a true box narrower than this x its height (a "1") is matched at this width (see match_digits)
# Two kinds of training crops (about 195k each), two members each, the reader averages all four:
# - "suppressed": the detector's boxes after NMS above 0.1 on 15,000 scenes, labelled by plain IoU;
# - "candidates": its unsuppressed boxes above 0.15 (models.detection.READ_THRESHOLD: what the reading sees, NMS coming
#   after the reader) on 11,000 scenes, thin digits matched at a readable width (match_digits).
# On 3,000 dev scenes of MNIST test digits (seeds 2025-2027) two "suppressed" members read 91.0 / 90.4 / 90.9 % exactly,
# two "candidates" members 90.9 / 90.6 / 90.8 %, all four 91.2 / 90.7 / 91.3 %.
RECIPES = {"suppressed": {"scenes": 15_000, "threshold": 0.1, "suppress": True, "thin": None},
           "candidates": {"scenes": 11_000, "threshold": 0.15, "suppress": False, "thin": THIN}}
MEMBERS = [("suppressed", 0), ("suppressed", 1), ("candidates", 0), ("candidates", 1)]   # (recipe, seed)
EPOCHS = 6
BATCH_SIZE = 128
LR = 2e-3
WEIGHT_DECAY = 5e-4


class ReaderCNN(nn.Module):
    """One reader: three stages of two 3x3 convolutions (batch norm, ReLU), max-pooled 28 -> 14 -> 7 -> 3, then two
    dense layers: 10 digits + "not a digit"."""

    def __init__(self, widths=(24, 48, 80), hidden: int = 128, num_classes: int = 11):
        super().__init__()
        layers, channels = [], 2
        for width in widths:
            layers += [nn.Conv2d(channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                       nn.Conv2d(width, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
                       nn.MaxPool2d(2)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.classify = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(channels * 9, hidden), nn.ReLU(),
                                      nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.features(x))


class CropReader(nn.Module):
    """`members` ReaderCNNs trained alone with different seeds on different crops; the reader's answer is the mean
    of their probabilities (returned as its log, so a softmax of the output gives that mean)."""

    def __init__(self, widths=(24, 48, 80), hidden: int = 128, num_classes: int = 11, members: int = 1):
        super().__init__()
        self.members = nn.ModuleList(ReaderCNN(widths, hidden, num_classes) for _ in range(members))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probabilities = torch.stack([torch.softmax(member(x).float(), 1) for member in self.members]).mean(0)
        return probabilities.clamp_min(1e-12).log()


def windows(image: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """The reader's input for each box (x0, y0, x1, y1 in the image's pixels) of one image [H, W]: [n, 2, SIDE, SIDE]
    = (the ink in a square window 1.3 x the box's longer side around its centre, 1 inside the box)."""
    boxes = boxes.float().reshape(-1, 4)
    n = len(boxes)
    if n == 0:
        return torch.zeros(0, 2, SIDE, SIDE)
    height, width = image.shape
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    side = CONTEXT * torch.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]).clamp_min(2)
    step = (torch.arange(SIDE, dtype=torch.float32) + 0.5) / SIDE - 0.5                  # [-0.5, 0.5)
    xs = cx[:, None] + side[:, None] * step[None]                                        # pixel coords [n, SIDE]
    ys = cy[:, None] + side[:, None] * step[None]
    grid = torch.stack([(2 * xs / width - 1)[:, None, :].expand(n, SIDE, SIDE),
                        (2 * ys / height - 1)[:, :, None].expand(n, SIDE, SIDE)], -1)
    ink = F.grid_sample(image[None, None].float().expand(n, 1, height, width), grid, mode="bilinear",
                        padding_mode="zeros", align_corners=False)
    inside_x = (xs >= boxes[:, :1]) & (xs <= boxes[:, 2:3])
    inside_y = (ys >= boxes[:, 1:2]) & (ys <= boxes[:, 3:4])
    mask = (inside_y[:, :, None] & inside_x[:, None, :]).float()[:, None]
    return torch.cat([ink, mask], 1)


def read_boxes(reader: nn.Module, image: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """The reader's probabilities [n, 11] (digits 0-9, then "not a digit") for the boxes of one image [H, W]."""
    if len(boxes) == 0:
        return torch.zeros(0, 11)
    with torch.inference_mode():
        parameter = next(reader.parameters())
        x = windows(image.cpu(), boxes.cpu()).to(parameter.device, parameter.dtype)
        return torch.softmax(reader(x).float(), 1).cpu()


# --- training crops -------------------------------------------------------------
def match_digits(boxes: torch.Tensor, truth: torch.Tensor, digits: torch.Tensor,
                 thin: float | None = THIN) -> torch.Tensor:
    """The label of each box [n, 4]: the digit of the true box [m, 4] it overlaps best with IoU >= 0.5, else
    NOT_A_DIGIT. A thin true box (a "1": narrower than `thin` x its height) is compared with both boxes widened about
    their centres to `thin` x its height: a box 2 px wide on a 1 that is 4 px wide has IoU 0.5 at best, and labelled "not
    a digit" it teaches the reader to drop touching 1s (24 of the 100 misread test scenes missed a 1). thin None: plain
    IoU."""
    from .detection import box_iou

    if len(truth) == 0:
        return torch.full((len(boxes),), NOT_A_DIGIT, dtype=torch.long)
    overlap = box_iou(boxes, truth)
    height = truth[:, 3] - truth[:, 1]

    def widen(b, width):
        cx, half = (b[:, 0] + b[:, 2]) / 2, (b[:, 2] - b[:, 0]).clamp_min(width) / 2
        return torch.stack([cx - half, b[:, 1], cx + half, b[:, 3]], 1)

    for j in torch.nonzero((truth[:, 2] - truth[:, 0]) < (thin or 0) * height).flatten().tolist():
        width = thin * float(height[j])
        overlap[:, j] = box_iou(widen(boxes, width), widen(truth[j:j + 1], width))[:, 0]
    best, which = overlap.max(1)
    return torch.where(best >= 0.5, digits[which], torch.full_like(which, NOT_A_DIGIT))


def labelled_crops(detector, images, labels, count: int, seed: int, recipe: str, log=print):
    """Windows and labels from `count` scenes: the detector's boxes as RECIPES[recipe] says (label: match_digits) and
    JITTERED_TRUTHS jittered true boxes each. Returns (uint8 [N, 2, SIDE, SIDE], int64 [N])."""
    from .detection import NMS_IOU, decode
    from .scenes import compose_scenes

    kind = RECIPES[recipe]
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    crops, targets = [], []
    for start in range(0, count, 200):
        scenes = compose_scenes(images, labels, min(200, count - start), rng=rng)
        with torch.inference_mode():
            found = decode(*detector(scenes.images), threshold=kind["threshold"],
                           nms_iou=NMS_IOU if kind["suppress"] else None)
        for i, (boxes, _, _) in enumerate(found):
            truth, digits = scenes.boxes[i], scenes.labels[i]
            target = match_digits(boxes, truth, digits, kind["thin"])
            jittered = []
            for _ in range(JITTERED_TRUTHS):
                if len(truth) == 0:
                    break
                w, h = truth[:, 2] - truth[:, 0], truth[:, 3] - truth[:, 1]
                cx = (truth[:, 0] + truth[:, 2]) / 2 + (torch.rand(len(truth), generator=gen) - 0.5) * 0.16 * w
                cy = (truth[:, 1] + truth[:, 3]) / 2 + (torch.rand(len(truth), generator=gen) - 0.5) * 0.16 * h
                w = w * (0.85 + 0.3 * torch.rand(len(truth), generator=gen))
                h = h * (0.85 + 0.3 * torch.rand(len(truth), generator=gen))
                jittered.append(torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1))
            all_boxes = torch.cat([boxes, *jittered])
            crops.append((windows(scenes.images[i, 0], all_boxes) * 255).round().to(torch.uint8))
            targets.append(torch.cat([target, *[digits] * len(jittered)]))
        if start % 4000 == 0:
            log(f"crops: {start + len(found)}/{count} scenes, {sum(len(t) for t in targets)} crops", flush=True)
    return torch.cat(crops), torch.cat(targets)


def train_member(seed: int, data_dir=None, epochs=None, log=print, recipe: str = "suppressed") -> tuple[ReaderCNN, dict]:
    """One member: crops (RECIPES[recipe]) from its training scenes (scene seed 7 + 100 x seed), then AdamW with a cosine over
    the steps (counted in steps, so a paused process ends the same); checkpoint every epoch, resumed (a finished one
    is only loaded). Augmentation: the CNN tab's random affine warps and stroke-width changes (models.digits.augment)
    of every window, box mask warped with its ink: the scenes hold only 10,000 distinct digits, and without it the
    reader misread 100 digits of the 1,000 test scenes. Returns (the network, {history, crops, seconds})."""
    from .data import load_images
    from .detection import checkpoint_path, load_detector
    from .digits import augment

    torch.set_num_threads(int(os.environ.get("DLHUB_THREADS", 1)))
    epochs = epochs or EPOCHS
    torch.manual_seed(seed)
    model = ReaderCNN(**{k: v for k, v in CONFIG.items() if k != "members"})
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    name = f"member {seed}" if recipe == "suppressed" else f"{recipe} member {seed}"
    ckpt = checkpoint_path(seed).with_name("crop-reader-" + ("" if recipe == "suppressed" else f"{recipe}-")
                                           + f"seed{seed}.pt")
    state = torch.load(ckpt, weights_only=False) if ckpt.exists() else None
    if state is not None and state["epoch"] >= epochs:
        model.load_state_dict(state["model"])
        log(f"{name}: finished checkpoint {ckpt}", flush=True)
        return model.eval(), state["summary"]
    images, labels = load_images("mnist", "train-10k", data_dir)
    detector = load_detector().eval()
    t0 = time.time()
    x, y = labelled_crops(detector, images, labels, RECIPES[recipe]["scenes"], seed=7 + 100 * seed, recipe=recipe,
                          log=log)
    val_x, val_y = labelled_crops(detector, images, labels, VAL_SCENES, seed=8, recipe=recipe, log=log)
    log(f"{name}: {len(y)} training crops ({int((y == NOT_A_DIGIT).sum())} not digits), {len(val_y)} "
        f"validation, {time.time() - t0:.0f}s", flush=True)
    steps = epochs * math.ceil(len(y) / BATCH_SIZE)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min(1.0, (k + 1) / 200) * 0.5 * (1 + math.cos(math.pi * min(k / steps, 1.0))))
    start_epoch, history = 0, []
    if state is not None:
        model.load_state_dict(state["model"]), opt.load_state_dict(state["opt"])
        schedule.load_state_dict(state["schedule"])
        start_epoch, history = state["epoch"], state["history"]
        t0 -= state.get("elapsed", 0)           # seconds count the earlier run too
        log(f"resumed from {ckpt} at epoch {start_epoch}")
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(start_epoch, epochs):
        model.train()
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed * 1000 + epoch))
        total, correct, seen = 0.0, 0, 0
        for k in range(0, len(y), BATCH_SIZE):
            idx = order[k:k + BATCH_SIZE]
            batch = augment(x[idx].float() / 255, gen, stroke_channels=1)
            batch[:, 1] = (batch[:, 1] > 0.5).float()              # the box mask stays a mask (as at reading time)
            with torch.enable_grad():
                logits = model(batch)
                loss = F.cross_entropy(logits, y[idx], label_smoothing=0.05)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            schedule.step()
            total += loss.item() * len(idx)
            correct += int((logits.argmax(1) == y[idx]).sum())
            seen += len(idx)
            if (k // BATCH_SIZE) % 200 == 0:
                log(f"{name} epoch {epoch + 1} {seen}/{len(y)} loss {total / seen:.4f} acc {correct / seen:.4f} "
                    f"{time.time() - t0:.0f}s", flush=True)
        model.eval()
        val_acc = crop_accuracy(model, val_x, val_y)
        history.append({"epoch": epoch + 1, "seconds": round(time.time() - t0), "loss": round(total / seen, 4),
                        "train_accuracy": round(correct / seen, 4), "val_accuracy": round(val_acc, 4)})
        log(f"val {history[-1]}", flush=True)
        summary = {"seed": seed, "crops": len(y), "not_digits": int((y == NOT_A_DIGIT).sum()),
                   "train_seconds": round(time.time() - t0), "history": history}
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "schedule": schedule.state_dict(),
                    "epoch": epoch + 1, "history": history, "elapsed": time.time() - t0, "summary": summary}, ckpt)
    return model.eval(), summary


def train_crop_reader(data_dir=None, epochs=None, seed=0, log=print) -> dict:
    """Train the MEMBERS readers (recipe and seed + seed each: resumed from its checkpoint, so they can also be trained
    in parallel with train_member(seed, recipe=...)) and save them as one CropReader."""
    from .cards import write_model_card
    from .persistence import save_pretrained, weights_dir, write_metrics

    members = [train_member(seed + k, data_dir, epochs, log, recipe) for recipe, k in MEMBERS]
    reader = CropReader(**CONFIG)
    for slot, (member, _) in zip(reader.members, members):
        slot.load_state_dict(member.state_dict())
    reader.eval()
    save_pretrained(reader, weights_dir(NAME), CONFIG)
    metrics = evaluate_crop_reader(data_dir)
    summaries = [{**summary, "recipe": recipe} for (_, summary), (recipe, _) in zip(members, MEMBERS)]
    crops = ", ".join(f"{RECIPES[m['recipe']]['scenes']:,} scenes -> {m['crops']:,} ({m['not_digits']:,} not digits)"
                      for m in summaries)
    metrics.update({
        "parameters": sum(p.numel() for p in reader.parameters()), "members": len(members),
        "epochs": epochs or EPOCHS, "seed": seed, "train_seconds": sum(m["train_seconds"] for m in summaries),
        "train_data": "windows around the detector's boxes and jittered true boxes on synthetic scenes from mnist "
                      "train-10k, another scene seed per member; two members on its boxes after NMS (score >= 0.1, "
                      "plain IoU labels), two on its unsuppressed candidates (score >= 0.15, thin digits matched at "
                      f"half their height): {crops}",
        "method": "2-channel input (window 1.3 x the box's longer side + the box's mask), cross-entropy with label "
                  "smoothing 0.05, AdamW, warm-up + cosine over the steps, random affine warps (+-12 degrees, scale "
                  "0.85-1.15, shear +-0.2, +-2.5 px) and stroke-width changes of every window; the reader is the "
                  "mean of its members' probabilities",
        "history": {f"{m['recipe']} member {m['seed']}": m["history"] for m in summaries},
    })
    write_metrics(NAME, metrics)
    write_model_card(NAME)
    return metrics


def crop_accuracy(model, x, y) -> float:
    with torch.inference_mode():
        predicted = torch.cat([model(x[k:k + 1000].float() / 255).argmax(1) for k in range(0, len(y), 1000)])
    return float((predicted == y).float().mean())


def load_crop_reader(folder=None) -> CropReader:
    from .persistence import from_pretrained, weights_dir

    return from_pretrained(CropReader, folder or weights_dir(NAME))


def evaluate_crop_reader(data_dir=None) -> dict:
    """The reader's accuracy on windows from 300 test scenes (the detector's boxes after NMS, and its candidates, with
    jittered true boxes), and the
    detector's two-stage reading with it on the detector's 1,000 test scenes."""
    from .data import load_images
    from .detection import TEST_SEED, evaluate_detector, load_detector

    images, labels = load_images("mnist", "test", data_dir)
    detector, reader, quiet = load_detector().eval(), load_crop_reader(), lambda *a, **k: None
    x, y = labelled_crops(detector, images, labels, 300, seed=TEST_SEED + 1, recipe="suppressed", log=quiet)
    cx, cy = labelled_crops(detector, images, labels, 300, seed=TEST_SEED + 1, recipe="candidates", log=quiet)
    whole = evaluate_detector(data_dir)
    return {"model": NAME, "dataset": f"windows from 300 scenes of mnist test digits (seed {TEST_SEED + 1}); reading: "
                                      f"{whole['dataset']}",
            "crop_accuracy": round(crop_accuracy(reader, x, y), 4), "crops": len(y),
            "candidate_crop_accuracy": round(crop_accuracy(reader, cx, cy), 4), "candidate_crops": len(cy),
            "two_stage_map50": whole["two_stage_map50"], "two_stage_exact_reads": whole["two_stage_exact_reads"],
            "two_stage_exact_reads_touching": whole["two_stage_exact_reads_touching"]}
