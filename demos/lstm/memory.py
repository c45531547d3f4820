"""The LSTM tab's live section: memory over distance. A tanh RNN and an LSTM learn side by side to recall the first
symbol of a sequence after T distractor steps; the learner watches both accuracies against chance and the gradient
of the loss with respect to every input step (models/memory.py does the training)."""
from __future__ import annotations

import gradio as gr

from ..common import both, check_number, seed_generator
from ..i18n import t
from ..live import HEAVY, stop_button, trained_file_error, uploaded_path
from ..pairs import (curve_colors, curve_frame, diverged, keep_pair_row, no_run, profile_colors, profile_frame,
                     ratio)

SYMBOLS = 8                                  # = models.memory.SYMBOLS (no torch import when the tab is built)
LIMITS = {"distance": (5, 200), "hidden": (8, 64), "lr": (0.0005, 0.05), "batch": (16, 256), "seconds": (1, 30),
          "steps": (1, 5000), "forget_bias": (-2.0, 6.0)}
DEFAULTS = {"distance": 50, "hidden": 32, "lr": 0.01, "batch": 64, "seconds": 30, "steps": 600, "forget_bias": 3.0,
            "seed": 0}
KIND = "lstm-memory-pair"
NAMES = {"rnn": "tanh RNN · 普通 RNN", "lstm": "LSTM"}
CHANCE = f"chance 1/{SYMBOLS} · 随机猜测"
AXES = {"step": "step · 训练步", "accuracy": "held-out accuracy · 留出集准确率", "series": "network · 网络",
        "t": "input step t (0 = the symbol to recall) · 输入位置 t（0 = 要记住的符号）",
        "norm": "log10 ‖∂L/∂x_t‖ · 输入梯度范数"}

STATUS = {
    "train": ("**step {step}** ({elapsed:.1f} s), T = {distance} · held-out accuracy: RNN **{rnn:.1%}**, LSTM "
              "**{lstm:.1%}** (chance {chance:.1%}) · gradient reaching the first step ÷ the last "
              "(‖∂L/∂x₀‖ / ‖∂L/∂x_T‖): RNN {rnn_ratio:.2g}, LSTM {lstm_ratio:.2g}{done}",
              "**第 {step} 步**（{elapsed:.1f} 秒），T = {distance} · 留出集准确率：RNN **{rnn:.1%}**，LSTM "
              "**{lstm:.1%}**（随机猜测 {chance:.1%}）· 传回第一步与最后一步的梯度之比（‖∂L/∂x₀‖ / ‖∂L/∂x_T‖）："
              "RNN {rnn_ratio:.2g}，LSTM {lstm_ratio:.2g}{done_zh}"),
    "fresh": ("**{source}**: hidden size {hidden}, T = {distance} · on {count} fresh sequences: accuracy RNN "
              "{rnn:.1%}, LSTM {lstm:.1%} (chance {chance:.1%}) · ‖∂L/∂x₀‖ / ‖∂L/∂x_T‖: RNN {rnn_ratio:.2g}, "
              "LSTM {lstm_ratio:.2g}",
              "**{source_zh}**：隐藏层大小 {hidden}，T = {distance} · 在 {count} 条新序列上：准确率 RNN {rnn:.1%}，"
              "LSTM {lstm:.1%}（随机猜测 {chance:.1%}）· ‖∂L/∂x₀‖ / ‖∂L/∂x_T‖：RNN {rnn_ratio:.2g}，LSTM {lstm_ratio:.2g}"),
}
FRESH_SEQUENCES = 256


def _ratios(norms: dict) -> dict:
    return {f"{name}_ratio": ratio(values[0], values[-1]) for name, values in norms.items()}


def lstm_memory_train(distance=DEFAULTS["distance"], hidden=DEFAULTS["hidden"], learning_rate=DEFAULTS["lr"],
                      batch_size=DEFAULTS["batch"], seconds=DEFAULTS["seconds"], max_steps=DEFAULTS["steps"],
                      forget_bias=DEFAULTS["forget_bias"], seed=DEFAULTS["seed"]):
    """Train a tanh RNN and an LSTM side by side to recall the first of T + 1 symbols (8 classes, chance 1/8).

    Same batches, Adam, gradient clipping at norm 1; until the budget or the step cap.

    Args:
        distance: T, the distractor steps between the symbol and the answer, 5-200.
        hidden: hidden units of both networks, 8-64.
        learning_rate: Adam learning rate, 0.0005-0.05.
        batch_size: sequences per step, 16-256.
        seconds: wall-clock budget, 1-30.
        max_steps: step cap, 1-5000.
        forget_bias: the LSTM forget gate's initial bias, -2 to 6 (3: sigmoid(3) = 0.95 of the cell kept per step).
        seed: initial weights and sequences (same seed, same curves).

    Returns:
        Streamed: held-out accuracy curves of both networks against chance, the log10 norm of the gradient of the
        loss with respect to every input step t (at initialisation and now), a status line; at the end the trained
        pair as a zip (download it, upload it again below).
    """
    import torch

    from models.memory import build_pair, train_pair

    distance = check_number(distance, ("Distance T", "距离 T"), *LIMITS["distance"], integer=True)
    hidden = check_number(hidden, ("Hidden units", "隐藏单元数"), *LIMITS["hidden"], integer=True)
    learning_rate = check_number(learning_rate, "Learning rate", *LIMITS["lr"])
    batch_size = check_number(batch_size, ("Batch size", "批大小"), *LIMITS["batch"], integer=True)
    seconds = check_number(seconds, ("Budget (seconds)", "时间预算（秒）"), *LIMITS["seconds"])
    max_steps = check_number(max_steps, ("Max steps", "最多训练步数"), *LIMITS["steps"], integer=True)
    forget_bias = check_number(forget_bias, ("Forget-gate bias", "遗忘门偏置"), *LIMITS["forget_bias"])
    generator = seed_generator(seed)
    with torch.enable_grad():
        pair = build_pair(hidden, generator, forget_bias)
    config = {"hidden": hidden, "distance": distance, "learning_rate": learning_rate, "batch_size": batch_size,
              "forget_bias": forget_bias}
    try:
        for progress in train_pair(pair, distance, learning_rate, batch_size, seconds, max_steps, generator):
            history, done = progress["history"], progress["done"]
            accs = {name: h["accuracy"][-1] for name, h in history.items()}
            status = both(STATUS["train"], step=progress["step"], elapsed=progress["elapsed"], distance=distance,
                          chance=1 / SYMBOLS, **accs, **_ratios(progress["grad_now"]),
                          done=" · **done**" if done else "", done_zh=" · **完成**" if done else "")
            file, run = None, gr.skip()
            if done:
                from models.live import save_trained
                from models.pairs import pair_tensors

                config.update(steps=progress["step"], accuracy=accs)
                file = str(save_trained(KIND, config, pair_tensors(pair), stem=f"rnn-vs-lstm-T{distance}"))
                run = {"config": config, "models": pair, "source": ("trained in this session", "本会话中训练")}
            curves = curve_frame(history, "acc_step", "accuracy", NAMES, extra={CHANCE: 1 / SYMBOLS})
            grads = profile_frame(progress["grad_init"], progress["grad_now"], NAMES, "t")
            yield curves, grads, status, file, run
    except FloatingPointError:
        raise diverged() from None


def _fresh_view(run: dict, distance, seed) -> tuple:
    from models.memory import accuracy, input_grad_norms, make_batch

    config = run["config"]
    distance = check_number(distance, ("Distance T", "距离 T"), *LIMITS["distance"], integer=True)
    x, y = make_batch(FRESH_SEQUENCES, distance, seed_generator(seed))
    norms = {name: input_grad_norms(model, x, y) for name, model in run["models"].items()}
    accs = {name: accuracy(model, x, y) for name, model in run["models"].items()}
    source, source_zh = run["source"]
    status = both(STATUS["fresh"], source=source, source_zh=source_zh, hidden=config["hidden"], distance=distance,
                  count=FRESH_SEQUENCES, chance=1 / SYMBOLS, **accs, **_ratios(norms))
    return profile_frame(None, norms, NAMES, "t"), status


def lstm_memory_gradients(run, distance=DEFAULTS["distance"], seed=0):
    """The input-step gradient norms and accuracy of the session's RNN/LSTM pair (trained or uploaded) on fresh
    sequences of distance T (it may differ from the trained one: does the memory carry further?).

    Args:
        run: the session's last pair (kept by the page; not sent by API clients).
        distance: T of the fresh sequences, 5-200.
        seed: which sequences.

    Returns:
        The log10 ‖∂L/∂x_t‖ per step t for both networks, and a status line (accuracies, ratios).
    """
    if not run:
        raise no_run()
    return _fresh_view(run, distance, seed)


def lstm_memory_upload(file, distance=DEFAULTS["distance"], seed=0):
    """Load an RNN/LSTM pair downloaded from this section and show its memory on fresh sequences.

    Args:
        file: the .zip downloaded after a training.
        distance: T of the fresh sequences, 5-200.
        seed: which sequences.

    Returns:
        The per-step log10 input-gradient norms, a status line, and the pair kept for this session.
    """
    from models.live import TrainedFileError, check_shapes, config_number, load_trained
    from models.memory import empty_pair
    from models.pairs import load_pair_tensors, pair_shapes

    try:
        config, tensors, _ = load_trained(uploaded_path(file), KIND)
        hidden = config_number(config, "hidden", *LIMITS["hidden"])
        trained_distance = config_number(config, "distance", *LIMITS["distance"])
        pair = empty_pair(hidden)
        check_shapes(tensors, pair_shapes(pair))
    except TrainedFileError as exc:
        raise trained_file_error(exc) from None
    run = {"config": {"hidden": hidden, "distance": trained_distance}, "models": load_pair_tensors(pair, tensors),
           "source": (f"uploaded pair (trained at T = {trained_distance})", f"上传的模型（训练时 T = {trained_distance}）")}
    return (*_fresh_view(run, distance, seed), run)


TEXT = {
    "en": {
        "lstm.memory_intro": """
### Memory over distance: train it yourself
A toy task made in code: a sequence shows one of 8 symbols (marked "remember this"), then **T** random distractors
(8 other symbols); at the end the network must name the first one. Guessing gives 1/8 = 12.5 %. Press **Train**:
a **tanh RNN** and an **LSTM** with the same number of hidden units learn side by side on the same batches (Adam,
gradient clipping at norm 1), at most 30 seconds, and are measured on 256 held-out sequences. The LSTM's
**forget-gate bias** starts at 3: its forget gate keeps sigmoid(3) = 95 % of the cell per step, 0.95⁵⁰ ≈ 8 % over
50 steps. Try the often recommended 1: sigmoid(1)⁵⁰ ≈ 1.5·10⁻⁷, and at T = 50 the LSTM, too, has to find its memory
from almost no gradient.
""",
        "lstm.memory_why": """
**Why.** To learn, the loss must send a gradient back to step 0, where the symbol was. The right plot shows
‖∂L/∂x_t‖ for every input step (log scale; t = 0 is the symbol). The RNN multiplies the backward signal by its
recurrent Jacobian at every step, so it fades geometrically back through time: at T = 50 almost nothing reaches
t = 0 and the RNN stays near chance. The LSTM keeps a cell state updated by addition,
c_t = f_t · c_{t−1} + i_t · g_t: the gradient only shrinks by the forget gate f_t, which starts near 1 (the bias)
and which the LSTM learns to hold open. At small T (try 5-10) both learn (measured below).
""",
        "lstm.memory_measured": """
**Measured on this 2-core CPU** (the defaults: T = 50, hidden 32, Adam 0.01, batch 64, forget-gate bias 3; both
networks at the same step). Seed 0: the LSTM passes 95 % held-out accuracy at step 190 and is at **100 %** after
600 steps; the RNN is at **30 %** (chance 12.5 %). Other seeds after 600 steps: LSTM 87 % and 70 % (RNN 9 % and
26 %); after 1,200 steps seed 2 reaches 100 % (95 % at step 1,110), seed 1 stays at 87 % (7 of the 8 symbols):
finding the memory is a search, sometimes slow. The share of the gradient that reaches the symbol,
‖∂L/∂x₀‖ / ‖∂L/∂x_T‖: at initialisation RNN 4·10⁻¹⁴, LSTM 3.5; after 600 steps RNN 0 (below float32's range),
LSTM 0.12. With forget-gate bias 1 (seed 0, 600 steps) the LSTM's starts at 9·10⁻⁵ and it stays at chance (12 %).
At T = 10 both learn: **100 % each** after 300 steps (the LSTM at 95 % by step 20; the RNN's ratio at
initialisation is 2·10⁻³ there). The default run within its 30 s, on this CPU while it was busy with other work:
383 steps, LSTM 100 %, RNN 23 %.
""",
        "lstm.memory_distance": "Distance T (distractor steps)",
        "lstm.memory_hidden": "Hidden units (both networks)",
        "lstm.memory_lr": "Learning rate (Adam)",
        "lstm.memory_batch": "Batch size",
        "lstm.memory_seconds": "Budget (seconds)",
        "lstm.memory_steps": "Max steps (both networks do the same number)",
        "lstm.memory_seed": "Seed",
        "lstm.memory_forget": "LSTM forget-gate bias at initialisation",
        "lstm.memory_train": "Train RNN and LSTM",
        "lstm.memory_curves": "Held-out accuracy against chance",
        "lstm.memory_grads": "Gradient of the loss w.r.t. each input step (log10)",
        "lstm.memory_fresh": "Test on fresh sequences of distance T",
        "lstm.memory_download": "The trained pair (zip)",
        "lstm.memory_upload": "Upload a trained pair (zip)",
    },
    "zh-CN": {
        "lstm.memory_intro": """
### 跨越距离的记忆：亲手训练
一个用代码生成的小任务：序列先给出 8 个符号中的一个（带“记住它”的标记），之后是 **T** 个随机的干扰符号（另外 8 个符号）；
最后网络必须说出第一个符号是什么。瞎猜的准确率是 1/8 = 12.5%。点 **训练**：隐藏单元数相同的**普通 tanh RNN**
和 **LSTM** 在同样的批次上并排学习（Adam，梯度裁剪到范数 1），最多 30 秒，并在 256 条留出序列上测量。LSTM 的**遗忘门偏置**初始为 3：遗忘门每步保留
sigmoid(3) = 95% 的记忆单元，50 步后还剩 0.95⁵⁰ ≈ 8%。试试常被推荐的 1：sigmoid(1)⁵⁰ ≈ 1.5·10⁻⁷，在 T = 50 时
LSTM 也几乎得不到梯度，只能从极微弱的信号里找到记忆。
""",
        "lstm.memory_why": """
**原因。** 要学会这个任务，损失必须把梯度传回第 0 步——那个符号出现的地方。右图是损失对每个输入位置的梯度范数
‖∂L/∂x_t‖（对数刻度；t = 0 是要记住的符号）。RNN 每往回一步都要乘一次循环雅可比矩阵，梯度随时间往回呈指数衰减：
T = 50 时几乎没有梯度能到达 t = 0，RNN 停在随机猜测附近。LSTM 的记忆单元用加法更新，c_t = f_t · c_{t−1} + i_t · g_t：
梯度只按遗忘门 f_t 缩小，而 f_t 初始就接近 1（由偏置决定），LSTM 还会学着让它保持打开。
T 较小时（试试 5–10）两个网络都能学会（实测见下方）。
""",
        "lstm.memory_measured": """
**在这台双核 CPU 上实测**（默认设置：T = 50，隐藏单元 32，Adam 学习率 0.01，批大小 64，遗忘门偏置 3；两个网络始终在同一步）。
种子 0：LSTM 在第 190 步超过 95% 的留出集准确率，600 步后达到 **100%**；RNN 只有 **30%**（随机猜测 12.5%）。其他种子训练
600 步后：LSTM 87% 和 70%（RNN 9% 和 26%）；训练 1,200 步后种子 2 达到 100%（第 1,110 步达到 95%），种子 1 停在 87%
（8 个符号记住了 7 个）：找到记忆的过程是一种搜索，有时很慢。传回符号位置的梯度比例 ‖∂L/∂x₀‖ / ‖∂L/∂x_T‖：初始化时
RNN 为 4·10⁻¹⁴，LSTM 为 3.5；600 步后 RNN 为 0（低于 float32 能表示的范围），LSTM 为 0.12。遗忘门偏置取 1 时（种子 0，600 步），
LSTM 的这一比例一开始就只有 9·10⁻⁵，准确率停在随机猜测（12%）。T = 10 时两个网络都能学会：300 步后**都是 100%**
（LSTM 在第 20 步就达到 95%；此时 RNN 初始化时的比例为 2·10⁻³）。默认设置在 CPU 同时忙于其他任务时，30 秒内跑了 383 步：
LSTM 100%，RNN 23%。
""",
        "lstm.memory_distance": "距离 T（干扰步数）",
        "lstm.memory_hidden": "隐藏单元数（两个网络相同）",
        "lstm.memory_lr": "学习率（Adam）",
        "lstm.memory_batch": "批大小",
        "lstm.memory_seconds": "时间预算（秒）",
        "lstm.memory_steps": "最多训练步数（两个网络步数相同）",
        "lstm.memory_seed": "随机种子",
        "lstm.memory_forget": "LSTM 遗忘门的初始偏置",
        "lstm.memory_train": "训练 RNN 和 LSTM",
        "lstm.memory_curves": "留出集准确率与随机猜测对比",
        "lstm.memory_grads": "损失对每个输入位置的梯度（log10）",
        "lstm.memory_fresh": "在距离为 T 的新序列上测试",
        "lstm.memory_download": "训练好的一对模型（zip）",
        "lstm.memory_upload": "上传训练好的一对模型（zip）",
    },
}


def build_memory_section() -> None:
    gr.Markdown(t("lstm.memory_intro"))
    run = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=260) as controls:
            distance = gr.Slider(*LIMITS["distance"], value=DEFAULTS["distance"], step=1,
                                 label=t("lstm.memory_distance"))
            hidden = gr.Slider(*LIMITS["hidden"], value=DEFAULTS["hidden"], step=8, label=t("lstm.memory_hidden"))
            learning_rate = gr.Slider(0.001, LIMITS["lr"][1], value=DEFAULTS["lr"], step=0.001,
                                      label=t("lstm.memory_lr"))
            batch_size = gr.Slider(*LIMITS["batch"], value=DEFAULTS["batch"], step=16, label=t("lstm.memory_batch"))
            seconds = gr.Slider(*LIMITS["seconds"], value=DEFAULTS["seconds"], step=1, label=t("lstm.memory_seconds"))
            max_steps = gr.Slider(*LIMITS["steps"], value=DEFAULTS["steps"], step=1,
                                  label=t("lstm.memory_steps"))
            forget_bias = gr.Slider(*LIMITS["forget_bias"], value=DEFAULTS["forget_bias"], step=0.5,
                                    label=t("lstm.memory_forget"))
            seed = gr.Number(value=DEFAULTS["seed"], precision=0, minimum=0, label=t("lstm.memory_seed"))
            train = gr.Button(t("lstm.memory_train"), variant="primary")
        with gr.Column(scale=3):
            status = gr.Markdown()
            with gr.Row():
                curves = gr.LinePlot(x="step", y="value", color="series", title=t("lstm.memory_curves"),
                                     x_title=AXES["step"], y_title=AXES["accuracy"], color_title=AXES["series"],
                                     y_lim=[0, 1], height=280, elem_id="lstm-memory-curves",
                                     color_map=curve_colors(NAMES, (CHANCE,)))
                grads = gr.LinePlot(x="t", y="log10 norm", color="series", title=t("lstm.memory_grads"),
                                    x_title=AXES["t"], y_title=AXES["norm"], color_title=AXES["series"], height=280,
                                    elem_id="lstm-memory-grads", color_map=profile_colors(NAMES))
            gr.Markdown(t("lstm.memory_why"))
            download, upload, fresh = keep_pair_row("lstm.memory", "lstm-memory")
    gr.Markdown(t("lstm.memory_measured"))
    event = train.click(lstm_memory_train, [distance, hidden, learning_rate, batch_size, seconds, max_steps, forget_bias, seed],
                        [curves, grads, status, download, run], api_name="lstm_memory_train", **HEAVY)
    with controls:
        stop_button(event)
    fresh.click(lstm_memory_gradients, [run, distance, seed], [grads, status], api_name="lstm_memory_gradients",
                api_visibility="undocumented")
    upload.upload(lstm_memory_upload, [upload, distance, seed], [grads, status, run], api_name="lstm_memory_upload",
                  api_visibility="undocumented")
