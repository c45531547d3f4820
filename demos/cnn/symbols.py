"""The CNN tab's "Teach it your own symbols": the learner names a few classes, draws examples, and trains a new
head on the shipped digit CNN's frozen features, side by side with the same CNN trained from scratch
(transfer learning, like Teachable Machine). The training itself is models/symbols.py.

Per-session state (gr.State): `drawings` = {"labels": [class name], "images": [28x28 float32]}, kept grouped by
class so that gallery item i is drawing i; `trained` = {"classes", "weight", "bias", ...} of the head to keep.
"""
from __future__ import annotations

import re

import gradio as gr
import numpy as np

from ..common import both, check_number, error, seed_generator, upscale
from ..digits import digit_canvas, load_digit_model
from ..i18n import t
from ..live import HEAVY, stop_button, trained_file_error, uploaded_path
from .views import prediction_views

MIN_CLASSES, MAX_CLASSES = 2, 10
MAX_NAME = 30            # characters of a class name
MAX_DRAWINGS = 50        # in all classes together
MIN_PER_CLASS = 2        # the tab asks for 3 or more; below 2 no drawing can be held out
BUDGET = (1.0, 10.0)     # seconds for both trainings together
DEFAULT_BUDGET = 8.0
KIND = "cnn-symbols"     # the kind of the downloadable head (models/live.py)
UPLOAD_MAX_BYTES = 256 * 1024  # a head is 128 x 10 floats at most: a few kB
THUMB = 3                # thumbnails: the 28x28 the model sees, 3x
EXAMPLE_NAMES = "✓, ✗, ○, △, □"
SPLIT = re.compile(r"[,，\n]")

STATUS = {
    "added": ("{count} drawing(s): {per_class}. {hint}", "共 {count} 幅画：{per_class}。{hint}"),
    "more": ("Draw at least 3 of each class, then press Train.", "每类至少画 3 幅，然后点“训练”。"),
    "ready": ("Ready to train.", "可以训练了。"),
    "examples": ("Loaded the example set: {count} drawings of ✓ ✗ ○ △ □ drawn by code with a wobbly hand. "
                 "Press Train, or add your own.",
                 "已载入示例：由代码“手抖着”画出的 ✓ ✗ ○ △ □ 共 {count} 幅。点“训练”，或者加入你自己画的。"),
    "cleared": ("No drawings yet: name your classes, pick one, draw, and press Add.",
                "还没有画：先给类别起名，选一个类别，画好后点“加入”。"),
    "preparing": ("Preparing to train on {n} drawings of {k} classes…", "正在准备用 {k} 个类别的 {n} 幅画进行训练……"),
    "features": ("Transfer: features of {images} augmented copies computed by the frozen digit CNN ({seconds:.1f} s)…",
                 "迁移学习：冻结的数字 CNN 已算出 {images} 个增强副本的特征（{seconds:.1f} 秒）……"),
    "heads": ("Transfer: training {folds} linear heads at once (one per held-out drawing), step {step}/{steps} "
              "({seconds:.1f} s)…", "迁移学习：同时训练 {folds} 个线性分类头（每个留出一幅画），第 {step}/{steps} 步（{seconds:.1f} 秒）……"),
    "transfer_done": ("**Transfer: {accuracy:.0%} leave-one-out** ({folds} folds, {seconds:.1f} s). "
                      "Now the same CNN from scratch…",
                      "**迁移学习：留一法准确率 {accuracy:.0%}**（{folds} 折，{seconds:.1f} 秒）。接下来从零训练同一个 CNN……"),
    "scratch": ("Scratch: fold {fold}/{folds}, step {step}, loss {loss:.3f} ({seconds:.1f} s)…",
                "从零训练：第 {fold}/{folds} 折，第 {step} 步，损失 {loss:.3f}（{seconds:.1f} 秒）……"),
    "done": ("**Transfer {transfer:.0%} leave-one-out vs scratch {scratch:.0%} {k}-fold** on your {n} drawings "
             "(chance {chance:.0%}). Transfer: the frozen digit CNN's 128 features + a new linear head, {head_steps} "
             "steps on {copies} augmented copies per drawing, {transfer_s:.1f} s for all {n} folds. Scratch: the same "
             "CNN from random weights, at least {scratch_steps} steps per fold, {scratch_s:.1f} s. {lesson} Draw a symbol to "
             "test the head, or download it.",
             "**迁移学习留一法 {transfer:.0%}，从零训练 {k} 折交叉验证 {scratch:.0%}**，基于你的 {n} 幅画"
             "（随机猜测 {chance:.0%}）。迁移学习：冻结的数字 CNN 的 128 维特征 + 新的线性分类头，每幅画 {copies} 个增强副本，"
             "{head_steps} 步，{n} 折共 {transfer_s:.1f} 秒。从零训练：同样的 CNN 从随机权重开始，每折至少 {scratch_steps} 步，"
             "{scratch_s:.1f} 秒。{lesson}画一个符号来测试这个分类头，或者下载它。"),
    # the lesson, by how the two compare
    "transfer_wins": ("Features learned on digits transfer: with the same drawings and time, the frozen CNN's "
                      "features beat learning everything from scratch.",
                      "在数字上学到的特征可以迁移：同样的画、同样的时间，冻结 CNN 的特征胜过从零学起。"),
    "tie": ("Both tell these apart; make it harder (more classes, symbols that look alike, fewer drawings) to see "
            "the difference.", "两者都能分清这些符号；增加难度（更多类别、相似的符号、更少的画）就能看出差别。"),
    "scratch_wins": ("Here learning from scratch did better: these symbols need features the digits did not teach.",
                     "这次从零训练更好：这些符号需要数字没有教会的特征。"),
    "uploaded": ("Loaded a head for {count} classes: {names}. Draw one to test it.",
                 "已载入一个 {count} 类的分类头：{names}。画一个来测试吧。"),
}


# --- checks ------------------------------------------------------------------
def parse_class_names(names) -> list[str]:
    """'✓, ✗, ○' -> ['✓', '✗', '○'] (commas or new lines), checked: 2-10 names, each 1-30 characters, unique."""
    if not isinstance(names, str):
        raise error("Class names must be text, e.g. '✓, ✗, ○'.", "类别名称必须是文本，例如“✓, ✗, ○”。")
    parsed = [name.strip() for name in SPLIT.split(names[:MAX_CLASSES * (MAX_NAME + 2) + 100]) if name.strip()]
    if len(parsed) < MIN_CLASSES:
        raise error(f"Name at least {MIN_CLASSES} classes, separated by commas (e.g. '✓, ✗, ○').",
                    f"请至少给 {MIN_CLASSES} 个类别命名，用逗号分隔（例如“✓, ✗, ○”）。")
    if len(parsed) > MAX_CLASSES:
        raise error(f"At most {MAX_CLASSES} classes (got {len(parsed)}).", f"最多 {MAX_CLASSES} 个类别（收到 {len(parsed)} 个）。")
    long = [name for name in parsed if len(name) > MAX_NAME]
    if long:
        raise error(f"Class names are at most {MAX_NAME} characters: {long[0][:40]!r}… is {len(long[0])}.",
                    f"类别名称最多 {MAX_NAME} 个字符：{long[0][:40]!r}…… 有 {len(long[0])} 个。")
    repeated = sorted({name for name in parsed if parsed.count(name) > 1})
    if repeated:
        raise error(f"Each class needs its own name: {repeated[0]!r} appears twice.",
                    f"每个类别的名称必须不同：{repeated[0]!r} 出现了不止一次。")
    return parsed


def empty_drawings() -> dict:
    return {"labels": [], "images": []}


def checked_drawings(state) -> dict:
    """The session's drawings, or an empty set (a fresh session, or a state a script did not send)."""
    if not isinstance(state, dict) or not isinstance(state.get("labels"), list):
        return empty_drawings()
    return state


def read_symbol(drawing) -> np.ndarray:
    """A Sketchpad value -> the 28x28 the CNN reads, or a bilingual gr.Error for an empty or unreadable drawing."""
    from models.imaging import ImageInputError, mnist_like

    from ..common import editor_image, image_error

    try:
        return mnist_like(editor_image(drawing))
    except ImageInputError as exc:
        if "empty" in str(exc) or "No image" in str(exc):
            raise error("The drawing is empty: draw a symbol on the canvas first.",
                        "画布是空的：请先在画布上画一个符号。") from None
        raise image_error(exc) from None


# --- what the section shows ----------------------------------------------------
def thumbnail(image: np.ndarray) -> np.ndarray:
    return upscale((np.asarray(image) * 255).astype(np.uint8), THUMB)


def gallery_items(drawings: dict) -> list[tuple[np.ndarray, str]]:
    """Every drawing as a thumbnail captioned 'class · #number' (the number Remove takes)."""
    return [(thumbnail(image), f"{label} · #{i + 1}")
            for i, (label, image) in enumerate(zip(drawings["labels"], drawings["images"]))]


def drawings_status(drawings: dict, names: list[str] | None = None) -> str:
    labels = drawings["labels"]
    order = names or list(dict.fromkeys(labels))
    counts = {name: labels.count(name) for name in order}
    per_class = ", ".join(f"{name} {count}" for name, count in counts.items()) or "—"
    enough = len(counts) >= MIN_CLASSES and min(counts.values(), default=0) >= 3
    hint = STATUS["ready"] if enough else STATUS["more"]
    return both(STATUS["added"], count=len(labels), per_class=per_class, hint=hint)


def confusion_frame(counts, names: list[str]):
    """A confusion matrix as a table: one row per true class, one column per predicted class."""
    import pandas as pd

    frame = pd.DataFrame(np.asarray(counts), columns=[f"→ {name}" for name in names])
    frame.insert(0, "true ↓ / predicted → · 真实 ↓ / 预测 →", names)
    return frame


def wrong_items(images, labels, predictions, names) -> list[tuple[np.ndarray, str]]:
    return [(thumbnail(image), f"{names[y]} → {names[p]}")
            for image, y, p in zip(images, labels, predictions) if y != p]


# --- handlers --------------------------------------------------------------------
def class_choices(names):
    """The class picker follows the names typed (while they parse; nothing changes while they do not)."""
    try:
        parsed = parse_class_names(names)
    except gr.Error:
        return gr.update()
    return gr.update(choices=parsed, value=parsed[0])


def selected_number(evt: gr.SelectData):
    """A click on a thumbnail fills in its number for Remove."""
    return evt.index + 1


def add_symbol_drawing(names, target, drawing, drawings=None):
    """Add a drawing to one of your classes.

    Args:
        names: your class names separated by commas, e.g. "✓, ✗, ○" (2-10 names, each at most 30 characters).
        target: the class this drawing belongs to (one of the names).
        drawing: a Sketchpad value ({"background", "layers", "composite"}) or an image of one symbol.
        drawings: the session's drawings so far (kept by the session; scripts leave it out).

    Returns:
        The drawings, their thumbnails with captions ("class · #number"), a status line and a cleared canvas.
    """
    parsed = parse_class_names(names)
    if target not in parsed:
        raise error(f"Pick the class this drawing belongs to (one of: {', '.join(parsed)}).",
                    f"请选择这幅画所属的类别（{', '.join(parsed)} 之一）。")
    drawings = checked_drawings(drawings)
    if len(drawings["labels"]) >= MAX_DRAWINGS:
        raise error(f"At most {MAX_DRAWINGS} drawings: remove some first.", f"最多 {MAX_DRAWINGS} 幅画：请先删除一些。")
    image = read_symbol(drawing)
    labels, images = list(drawings["labels"]), list(drawings["images"])
    # keep the drawings grouped by class: after the last one of the same class, else at the end
    at = max((i + 1 for i, label in enumerate(labels) if label == target), default=len(labels))
    labels.insert(at, target)
    images.insert(at, image)
    drawings = {"labels": labels, "images": images}
    return drawings, gallery_items(drawings), drawings_status(drawings, parsed), None


def remove_symbol_drawing(number, drawings=None):
    """Remove one drawing.

    Args:
        number: the drawing's number, as in its caption "class · #number" (1 = the first).
        drawings: the session's drawings (kept by the session; scripts leave it out).

    Returns:
        The drawings, their thumbnails and a status line.
    """
    drawings = checked_drawings(drawings)
    if not drawings["labels"]:
        raise error("There are no drawings to remove.", "没有可以删除的画。")
    number = check_number(number, ("Drawing number", "画的编号"), 1, len(drawings["labels"]), integer=True)
    keep = [i for i in range(len(drawings["labels"])) if i != number - 1]
    drawings = {key: [drawings[key][i] for i in keep] for key in ("labels", "images")}
    return drawings, gallery_items(drawings), drawings_status(drawings)


def clear_symbol_drawings():
    """Remove every drawing of this session.

    Returns:
        The empty drawings, no thumbnails and a status line.
    """
    return empty_drawings(), [], both(STATUS["cleared"])


def load_symbol_examples():
    """The example set: 4 drawings each of ✓ ✗ ○ △ □, drawn by code with jitter, read like your drawings.

    Returns:
        The class names, the class picker, the drawings, their thumbnails and a status line.
    """
    from ..samples import example_symbols
    from models.imaging import mnist_like

    pairs = example_symbols()
    drawings = {"labels": [name for name, _ in pairs], "images": [mnist_like(image) for _, image in pairs]}
    names = parse_class_names(EXAMPLE_NAMES)
    return (EXAMPLE_NAMES, gr.update(choices=names, value=names[0]), drawings, gallery_items(drawings),
            both(STATUS["examples"], count=len(pairs)))


def training_set(names, drawings):
    """(class names, images [N,1,28,28], labels [N]) checked for training: every class drawn at least twice."""
    import torch

    parsed = parse_class_names(names)
    drawings = checked_drawings(drawings)
    strays = sorted(set(drawings["labels"]) - set(parsed))
    if strays:
        raise error(f"Some drawings belong to {strays[0]!r}, which is no longer among the class names: name it again "
                    f"or remove them.", f"有些画属于 {strays[0]!r}，但它已不在类别名称中：请重新加上这个名称，或删除这些画。")
    counts = {name: drawings["labels"].count(name) for name in parsed}
    few = [name for name, count in counts.items() if count < MIN_PER_CLASS]
    if few:
        raise error(f"Every class needs at least {MIN_PER_CLASS} drawings (3 or more work better): "
                    f"{few[0]!r} has {counts[few[0]]}.",
                    f"每个类别至少需要 {MIN_PER_CLASS} 幅画（3 幅以上效果更好）：{few[0]!r} 只有 {counts[few[0]]} 幅。")
    images = torch.from_numpy(np.stack(drawings["images"]).astype(np.float32)).unsqueeze(1)
    labels = torch.tensor([parsed.index(label) for label in drawings["labels"]])
    return parsed, images, labels


def train_symbols(names, budget=DEFAULT_BUDGET, seed=0, drawings=None):
    """Train on your drawings: a new head on the frozen digit CNN (transfer) and the same CNN from scratch.

    The transfer head is scored by leave-one-out over your drawings, the scratch network by stratified k-fold
    (k <= 5); the transfer side gets half of the budget, scratch the rest (at least half). Streams progress.

    Args:
        names: your class names separated by commas (every class needs at least 2 drawings).
        budget: seconds for both trainings together (1-10).
        seed: random seed (augmentations, initial weights, batches): the same seed gives the same results when the
            step caps are reached within the budget.
        drawings: the session's drawings (kept by the session; scripts add them with /cnn_symbols_add first).

    Returns:
        Status, the transfer and scratch confusion matrices, the drawings each gets wrong, the trained head (kept by
        the session for /cnn_symbols_predict) and the head as a downloadable zip (safetensors + config.json).
    """
    budget = check_number(budget, ("Budget (seconds)", "时间预算（秒）"), *BUDGET)
    gen = seed_generator(seed)
    parsed, images, labels = training_set(names, drawings)
    k, n = len(parsed), len(labels)
    skip = gr.skip()
    yield both(STATUS["preparing"], n=n, k=k), skip, skip, skip, skip, skip, skip
    from models.symbols import confusion_matrix, leave_one_out_accuracy, prepare, train_from_scratch

    extractor = load_digit_model("cnn")
    prepare()

    for progress in leave_one_out_accuracy(extractor, images, labels, k, gen, budget / 2):
        if progress.get("done"):
            break
        key = "features" if progress.get("stage") == "features" else "heads"
        yield both(STATUS[key], folds=n + 1, **progress), skip, skip, skip, skip, skip, skip
    transfer = progress
    yield (both(STATUS["transfer_done"], **transfer),
           confusion_frame(confusion_matrix(labels, transfer["predictions"], k), parsed), skip,
           wrong_items(images[:, 0].numpy(), labels.tolist(), transfer["predictions"], parsed), skip, skip, skip)

    trained = {"classes": parsed, "weight": transfer["weight"].numpy(), "bias": transfer["bias"].numpy(),
               "transfer_accuracy": round(transfer["accuracy"], 4), "drawings": n}
    # scratch gets the rest of the budget, and never less than the half the transfer side was given
    for progress in train_from_scratch(images, labels, k, gen, max(budget / 2, budget - transfer["seconds"])):
        if progress.get("done"):
            break
        yield both(STATUS["scratch"], **progress), skip, skip, skip, skip, skip, skip
    scratch = progress
    trained["scratch_accuracy"] = round(scratch["accuracy"], 4)
    lesson = STATUS["transfer_wins" if transfer["accuracy"] > scratch["accuracy"] else
                    "tie" if transfer["accuracy"] == scratch["accuracy"] else "scratch_wins"]
    status = both(STATUS["done"], transfer=transfer["accuracy"], scratch=scratch["accuracy"], k=scratch["folds"],
                  n=n, chance=1 / k, head_steps=transfer["steps"], copies=transfer["copies"],
                  transfer_s=transfer["seconds"], scratch_steps=scratch["steps"], scratch_s=scratch["seconds"],
                  lesson=lesson)
    yield (status, skip, confusion_frame(confusion_matrix(labels, scratch["predictions"], k), parsed), skip,
           wrong_items(images[:, 0].numpy(), labels.tolist(), scratch["predictions"], parsed), trained,
           str(save_symbol_head(trained)))


def symbol_model(trained):
    import torch
    from models.symbols import SymbolClassifier

    return SymbolClassifier(load_digit_model("cnn"), torch.as_tensor(trained["weight"]), torch.as_tensor(trained["bias"]))


def predict_symbol(drawing, trained=None):
    """Which of your classes a drawing is, with what the model looked at.

    Args:
        drawing: a Sketchpad value ({"background", "layers", "composite"}) or an image of one symbol.
        trained: the head trained (or uploaded) in this session (kept by the session; scripts leave it out).

    Returns:
        The top classes with probabilities, the 28x28 the model saw, and the occlusion heatmap (red: hiding this
        patch lowers the top class's probability most).
    """
    if not isinstance(trained, dict) or "classes" not in trained:
        raise error("Train on your drawings first (or upload a head you downloaded before).",
                    "请先用你的画训练（或上传之前下载的分类头）。")
    image = read_symbol(drawing)
    probs, seen, heat = prediction_views(symbol_model(trained), image)
    return {name: float(p) for name, p in zip(trained["classes"], probs)}, seen, heat


# --- keep it: download and upload ------------------------------------------------
def save_symbol_head(trained: dict):
    import torch
    from models.live import save_trained

    config = {"classes": trained["classes"], "features": int(trained["weight"].shape[1]),
              "feature_extractor": "weights/cnn (frozen, shipped with the hub)",
              "transfer_accuracy_loo": trained.get("transfer_accuracy"),
              "scratch_accuracy_kfold": trained.get("scratch_accuracy"), "drawings": trained.get("drawings")}
    tensors = {"head.weight": torch.as_tensor(trained["weight"]), "head.bias": torch.as_tensor(trained["bias"])}
    return save_trained(KIND, config, tensors, stem="cnn-symbols-head")


def upload_symbol_head(file):
    """Use a head downloaded from this section before (a zip of config.json + model.safetensors).

    Args:
        file: the .zip file.

    Returns:
        The head (kept by the session for /cnn_symbols_predict) and a status line.
    """
    from models.live import TrainedFileError, check_shapes, config_number, load_trained
    from models.symbols import FEATURES

    try:
        config, tensors, _ = load_trained(uploaded_path(file), KIND, max_bytes=UPLOAD_MAX_BYTES)
        config_number(config, "features", FEATURES, FEATURES)
        classes = config.get("classes")
        if not isinstance(classes, list) or not all(isinstance(name, str) for name in classes):
            raise TrainedFileError("config.json: classes must be a list of names.",
                                   "config.json：classes 必须是名称列表。")
        try:
            classes = parse_class_names(", ".join(classes))
        except gr.Error as exc:
            en, zh = exc.message.split("\n", 1)
            raise TrainedFileError(f"config.json: {en}", f"config.json：{zh}") from None
        check_shapes(tensors, {"head.weight": (len(classes), FEATURES), "head.bias": (len(classes),)})
    except TrainedFileError as exc:
        raise trained_file_error(exc) from None
    trained = {"classes": classes, "weight": tensors["head.weight"].float().numpy(),
               "bias": tensors["head.bias"].float().numpy()}
    return trained, both(STATUS["uploaded"], count=len(classes), names=", ".join(classes))


TEXT = {
    "en": {
        "cnn.sym_intro": """
### Teach it your own symbols (transfer learning)
The digit CNN above learned strokes, loops and corners from 10,000 digits. Do those features help with symbols it
has never seen? Name 2–5 classes of your own (✓ ✗ ○, letters, shapes…), draw **at least 3 examples of each**
(pick the class, draw, **Add**), then **Train**. Two learners get the same drawings, seed and time:

- **transfer**: the digit CNN stays frozen; only a new linear head (128 features → your classes) learns, from
  shifted, rotated, scaled and thickened/thinned copies of your drawings;
- **scratch**: the same CNN starts from random weights and learns everything from your drawings alone.

Both are scored on drawings they did not train on: **leave-one-out** for the transfer head (one head per held-out
drawing — cheap, since the features are computed once), **k-fold** (k ≤ 5) for the networks from scratch (each fold
is a whole CNN to train). No drawings yet? **Load the example set**.
""",
        "cnn.sym_start": "No drawings yet: name your classes, pick one, draw, and press **Add to class** — or load the example set.",
        "cnn.sym_names": "Class names (2–10, separated by commas)",
        "cnn.sym_target": "Add the drawing to class",
        "cnn.sym_canvas": "Draw a symbol",
        "cnn.sym_add": "Add to class",
        "cnn.sym_test": "Test this drawing",
        "cnn.sym_examples": "Load the example set (✓ ✗ ○ △ □)",
        "cnn.sym_drawings": "Your drawings (select one to remove it)",
        "cnn.sym_number": "Drawing number",
        "cnn.sym_remove": "Remove drawing",
        "cnn.sym_clear": "Clear all drawings",
        "cnn.sym_budget": "Budget (seconds, both trainings)",
        "cnn.sym_seed": "Seed",
        "cnn.sym_train": "Train (transfer vs scratch)",
        "cnn.sym_transfer_cm": "Transfer: confusion matrix (leave-one-out)",
        "cnn.sym_scratch_cm": "Scratch: confusion matrix (k-fold)",
        "cnn.sym_transfer_wrong": "Transfer gets these wrong (true → predicted)",
        "cnn.sym_scratch_wrong": "Scratch gets these wrong (true → predicted)",
        "cnn.sym_prediction": "Your classes: prediction",
        "cnn.sym_seen": "What the model saw (28×28)",
        "cnn.sym_heat": "Occlusion heatmap",
        "cnn.sym_download": "Download the trained head (safetensors + class names)",
        "cnn.sym_upload": "Upload a head downloaded before",
    },
    "zh-CN": {
        "cnn.sym_intro": """
### 教它认识你自己的符号（迁移学习）
上面的数字 CNN 从 10,000 个数字中学会了笔画、圆圈和拐角。这些特征对它从没见过的符号也有用吗？给 2–5 个类别起名
（✓ ✗ ○、字母、形状……），每类**至少画 3 个例子**（选类别、画、点**加入**），然后点**训练**。两个学习者拿到同样的画、
同样的随机种子和同样的时间：

- **迁移学习**：数字 CNN 保持冻结，只训练一个新的线性分类头（128 维特征 → 你的类别），训练数据是你的画经过平移、旋转、
  缩放、加粗/变细后的副本；
- **从零训练**：同一个 CNN 从随机权重开始，只靠你的画学会一切。

两者都在没训练过的画上评分：迁移分类头用**留一法**（每留出一幅画训练一个分类头——特征只算一次，所以很便宜），
从零训练的网络用 **k 折交叉验证**（k ≤ 5，每一折都要训练一个完整的 CNN）。还没有画？点**载入示例**。
""",
        "cnn.sym_start": "还没有画：先给类别起名，选一个类别，画好后点**加入类别**——或者载入示例。",
        "cnn.sym_names": "类别名称（2–10 个，用逗号分隔）",
        "cnn.sym_target": "把这幅画加入类别",
        "cnn.sym_canvas": "画一个符号",
        "cnn.sym_add": "加入类别",
        "cnn.sym_test": "测试这幅画",
        "cnn.sym_examples": "载入示例（✓ ✗ ○ △ □）",
        "cnn.sym_drawings": "你的画（选中一幅可删除）",
        "cnn.sym_number": "画的编号",
        "cnn.sym_remove": "删除这幅画",
        "cnn.sym_clear": "清空所有画",
        "cnn.sym_budget": "时间预算（秒，两种训练合计）",
        "cnn.sym_seed": "随机种子",
        "cnn.sym_train": "训练（迁移 vs 从零）",
        "cnn.sym_transfer_cm": "迁移学习：混淆矩阵（留一法）",
        "cnn.sym_scratch_cm": "从零训练：混淆矩阵（k 折）",
        "cnn.sym_transfer_wrong": "迁移学习认错的画（真实 → 预测）",
        "cnn.sym_scratch_wrong": "从零训练认错的画（真实 → 预测）",
        "cnn.sym_prediction": "你的类别：预测结果",
        "cnn.sym_seen": "模型看到的图像（28×28）",
        "cnn.sym_heat": "遮挡热力图",
        "cnn.sym_download": "下载训练好的分类头（safetensors + 类别名称）",
        "cnn.sym_upload": "上传之前下载的分类头",
    },
}


def build() -> None:
    gr.Markdown(t("cnn.sym_intro"))
    drawings = gr.State(empty_drawings())
    trained = gr.State(None)
    initial = parse_class_names("✓, ✗, ○")
    with gr.Row():
        with gr.Column(scale=1):
            names = gr.Textbox(value=", ".join(initial), label=t("cnn.sym_names"), max_length=400)
            # a dropdown that takes any value: its choices follow the names typed, and a script names its own
            target = gr.Dropdown(initial, value=initial[0], label=t("cnn.sym_target"), allow_custom_value=True)
            canvas = digit_canvas(label=t("cnn.sym_canvas"))
            with gr.Row():
                add_btn = gr.Button(t("cnn.sym_add"), variant="primary")
                test_btn = gr.Button(t("cnn.sym_test"))
            examples_btn = gr.Button(t("cnn.sym_examples"), size="sm")
        with gr.Column(scale=1):
            gallery = gr.Gallery(label=t("cnn.sym_drawings"), columns=5, height=280, object_fit="contain",
                                 allow_preview=False)
            with gr.Row():
                number = gr.Number(value=None, precision=0, minimum=1, label=t("cnn.sym_number"), min_width=120)
                remove_btn = gr.Button(t("cnn.sym_remove"), size="sm")
                clear_btn = gr.Button(t("cnn.sym_clear"), size="sm")
            with gr.Row():
                budget = gr.Slider(*BUDGET, value=DEFAULT_BUDGET, step=0.5, label=t("cnn.sym_budget"))
                seed = gr.Number(value=0, precision=0, minimum=0, label=t("cnn.sym_seed"), min_width=100)
            with gr.Row() as train_row:
                train_btn = gr.Button(t("cnn.sym_train"), variant="primary")
            status = gr.Markdown(t("cnn.sym_start"))
    with gr.Row():
        transfer_cm = gr.Dataframe(label=t("cnn.sym_transfer_cm"), interactive=False)
        scratch_cm = gr.Dataframe(label=t("cnn.sym_scratch_cm"), interactive=False)
    with gr.Row():
        transfer_wrong = gr.Gallery(label=t("cnn.sym_transfer_wrong"), columns=5, height=150, allow_preview=False)
        scratch_wrong = gr.Gallery(label=t("cnn.sym_scratch_wrong"), columns=5, height=150, allow_preview=False)
    with gr.Row():
        prediction = gr.Label(num_top_classes=3, label=t("cnn.sym_prediction"))
        seen = gr.Image(label=t("cnn.sym_seen"), height=200, interactive=False)
        heat = gr.Image(label=t("cnn.sym_heat"), height=200, interactive=False)
    with gr.Row():
        download = gr.File(label=t("cnn.sym_download"), interactive=False)
        upload = gr.File(label=t("cnn.sym_upload"), file_types=[".zip"], file_count="single")

    names.change(class_choices, names, target, api_visibility="private", queue=False)
    add_btn.click(add_symbol_drawing, [names, target, canvas, drawings], [drawings, gallery, status, canvas],
                  api_name="cnn_symbols_add", api_visibility="undocumented")
    gallery.select(selected_number, None, number, api_visibility="private", queue=False)
    remove_btn.click(remove_symbol_drawing, [number, drawings], [drawings, gallery, status],
                     api_name="cnn_symbols_remove", api_visibility="undocumented")
    clear_btn.click(clear_symbol_drawings, None, [drawings, gallery, status], api_name="cnn_symbols_clear", api_visibility="undocumented")
    examples_btn.click(load_symbol_examples, None, [names, target, drawings, gallery, status],
                       api_name="cnn_symbols_examples", api_visibility="undocumented")
    train_event = train_btn.click(
        train_symbols, [names, budget, seed, drawings],
        [status, transfer_cm, scratch_cm, transfer_wrong, scratch_wrong, trained, download],
        api_name="cnn_symbols_train", **HEAVY, api_visibility="undocumented")
    with train_row:  # the Stop button sits beside Train; it needs the event it cancels
        stop_button(train_event)
    test_btn.click(predict_symbol, [canvas, trained], [prediction, seen, heat], api_name="cnn_symbols_predict", api_visibility="undocumented")
    upload.upload(upload_symbol_head, upload, [trained, status], api_name="cnn_symbols_upload",
                  api_visibility="undocumented")


def measure_example_set(seeds=(0, 1, 2), scratch_steps=(12, 60)) -> list[dict]:
    """Transfer (leave-one-out) and scratch (k-fold) accuracies on the example set with step caps instead of a clock,
    so the numbers do not depend on how busy the machine is. 12 scratch steps per fold is about what the default
    budget gives on an idle 2-core CPU. Run: python -c "from demos.cnn.symbols import measure_example_set as m; print(m())"
    """
    import time

    import torch
    from models.symbols import leave_one_out_accuracy, train_from_scratch

    names, _, drawings, _, _ = load_symbol_examples()
    parsed, images, labels = training_set(names, drawings)
    extractor = load_digit_model("cnn")
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        *_, transfer = leave_one_out_accuracy(extractor, images, labels, len(parsed), torch.Generator().manual_seed(seed),
                                              seconds=1e9)
        row = {"seed": seed, "drawings": len(labels), "transfer_loo": round(transfer["accuracy"], 3),
               "transfer_s": round(time.perf_counter() - start, 2)}
        for steps in scratch_steps:
            start = time.perf_counter()
            *_, scratch = train_from_scratch(images, labels, len(parsed), torch.Generator().manual_seed(seed),
                                             seconds=1e9, steps=steps)
            row[f"scratch_kfold_{steps}_steps"] = round(scratch["accuracy"], 3)
            row[f"scratch_{steps}_steps_s"] = round(time.perf_counter() - start, 2)
        rows.append(row)
    return rows

