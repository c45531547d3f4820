"""Transformer tab, "Train a GPT on your own text": paste or upload a text, train a tiny GPT on it live, watch
the losses against the unigram baseline and the samples (and how much of them is copied), generate from it,
download it as a save_pretrained zip and load it back through the tab's own from_pretrained loader.

The training loop is models.gpt_live.train_live; the model lives in the session's gr.State only.
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from ..common import both, check_number, error, fill, seed_generator
from ..i18n import t
from ..live import HEAVY, stop_button, trained_file_error, uploaded_path
from .generate import LIMITS, LanguageModel, load_checkpoint, stream_continuation

YOURS = "your GPT (trained in this tab)"
YOUR_CORPUS = ("your training text", "你的训练文本")
SECONDS = (3, 120)          # the training budget; the slider's range is the API's too
DEFAULT_SECONDS = 30
SAMPLES_SHOWN = 4           # the latest samples, newest first
EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples" / "text"
# (file, label): one-click example texts (public domain, see demos/examples/text/README.md)
EXAMPLE_TEXTS = [("nursery_rhymes.txt", "Nursery rhymes · 童谣"),
                 ("pride_and_prejudice.txt", "Pride and Prejudice, ch. 1 · 傲慢与偏见"),
                 ("tang_poems.txt", "唐诗 · Tang poems"),
                 ("shakespeare.txt", "Shakespeare, 30,000 characters · 莎士比亚")]
# the loss curves' legend (plot data, not translation keys)
SERIES = {"train": "training loss · 训练损失", "val": "validation loss (last 10 %) · 验证损失（最后 10%）",
          "baseline": "unigram baseline · 一元基线"}

STATUS = {
    "text": ("{chars:,} characters{source}, {distinct:,} distinct → a vocabulary of {vocab:,}{unknown} · "
             "unigram baseline {baseline:.3f} nats/char",
             "{chars:,} 个字符{source}，其中 {distinct:,} 种不同字符 → 词表 {vocab:,} 个{unknown} · "
             "一元基线 {baseline:.3f} 奈特/字符"),
    "file": (" (from {name})", "（来自 {name}）"),
    "unknown": (" ({count:,} rare characters share the unknown token �)", "（{count:,} 个罕见字符共用未知符号 �）"),
    "training": ("**Training** · step {step:,} · {seconds:.0f} of {budget:.0f} s · training loss {train} · "
                 "validation loss {val:.3f} nats/char",
                 "**训练中** · 第 {step:,} 步 · {seconds:.0f} / {budget:.0f} 秒 · 训练损失 {train} · "
                 "验证损失 {val:.3f} 奈特/字符"),
    "done": ("**Done** after {step:,} steps ({seconds:.0f} s): validation loss **{val:.3f}** nats/char against the "
             "unigram baseline {baseline:.3f}: {verdict}",
             "**完成**，共 {step:,} 步（{seconds:.0f} 秒）：验证损失 **{val:.3f}** 奈特/字符，一元基线为 {baseline:.3f}："
             "{verdict}"),
    "beats": ("it uses the context: {gain:.0%} below the baseline.", "它用上了上下文，比基线低 {gain:.0%}。"),
    "not_yet": ("not below it yet: give it more time or more text.", "还没有低于基线：请给它更多时间或更多文本。"),
    "above": ("above it.", "高于基线。"),
    "memory": ("Last sample: **{share:.0%}** of its 8-character runs occur verbatim in your training text; new text "
               "in the same style (your last 10 %) shares {overlap:.0%}. {verdict}",
               "最后一个样本：它的 8 字符片段中有 **{share:.0%}** 原样出现在你的训练文本里；同一风格的新文本"
               "（你文本的最后 10%）有 {overlap:.0%}。{verdict}"),
    "overfitting": ("The validation loss has risen from its best, {best:.3f} at step {best_step:,}: **over-fitting**, "
                    "it learns your training text by heart instead of what carries over to new text. More text helps.",
                    "验证损失已从最低点（第 {best_step:,} 步的 {best:.3f}）回升：**过拟合**，它在背你的训练文本，"
                    "而不是学能推广到新文本的规律。更多的文本会有帮助。"),
    "reciting": ("⚠️ It is **memorising**: reciting your text rather than writing new text.",
                 "⚠️ 它在**死记硬背**：是在背诵你的文本，而不是写新的内容。"),
    "writing": ("It is not reciting your text.", "它没有在背诵你的文本。"),
    "sample": ("step {step:,} · {seconds:.0f} s · 8-character runs found in your text: {share}",
               "第 {step:,} 步 · {seconds:.0f} 秒 · 在你的文本中出现过的 8 字符片段：{share}"),
    "loaded": ("Loaded **{name}**: {layers} layers × {heads} heads, {dims} dimensions, context {context}, "
               "{vocab:,} characters, {params:,} parameters. Generate from it above.",
               "已加载 **{name}**：{layers} 层 × {heads} 个注意力头，{dims} 维，上下文 {context}，{vocab:,} 个字符，"
               "{params:,} 个参数。可以在上方用它生成文本。"),
}
# a sample shares this much more of its runs with the training text than new text in the same style does:
# it is copying (a rule of thumb for the status line, not a statistical test)
RECITING_MARGIN = 0.25
OVERFIT_MARGIN = 0.05   # nats/char above the best validation loss so far: not noise any more


def _no_model() -> gr.Error:
    return error("Train a GPT on your text first (or upload one you downloaded from this section).",
                 "请先用你的文本训练一个 GPT（或上传之前从本部分下载的模型）。")


def read_training_text(text, file) -> tuple[str, tuple[str, str]]:
    """The text to train on: the uploaded file (UTF-8, size-capped) if there is one, else the pasted text.
    -> (text, where it came from as (English, Chinese))."""
    from models.gpt_live import MAX_UPLOAD_BYTES, TextError, decode_upload

    if file is None:
        return ("" if text is None else text), ("", "")
    path = Path(uploaded_path(file))
    if not path.is_file():
        raise error("The uploaded file could not be read; upload a plain .txt file.",
                    "无法读取上传的文件，请上传纯文本 .txt 文件。")
    with open(path, "rb") as f:
        raw = f.read(MAX_UPLOAD_BYTES + 1)  # never more than the cap into memory
    try:
        return decode_upload(raw), fill(STATUS["file"], name=path.name[:60])
    except TextError as exc:
        raise error(exc.en, exc.zh) from None


def curves_frame(progress: dict):
    """Training and validation loss against the step, and the unigram baseline as a flat line (gr.LinePlot)."""
    import pandas as pd

    history = progress["history"]
    last = max(progress["step"], 1)
    return pd.concat([
        pd.DataFrame({"step": history["train_step"], "loss": history["train"], "series": SERIES["train"]}),
        pd.DataFrame({"step": history["val_step"], "loss": history["val"], "series": SERIES["val"]}),
        pd.DataFrame({"step": [0, last], "loss": [progress["baseline"]] * 2, "series": SERIES["baseline"]}),
    ], ignore_index=True)


def samples_text(progress: dict) -> str:
    """The latest samples, newest first, each under a line with its step and memorised share (plain text)."""
    parts = []
    for sample in reversed(progress["samples"][-SAMPLES_SHOWN:]):
        share = "–" if sample["memorised"] is None else f"{sample['memorised']:.0%}"
        en, zh = fill(STATUS["sample"], step=sample["step"], seconds=sample["seconds"], share=share)
        parts.append(f"── {en} · {zh} ──\n{sample['text']}")
    return "\n\n".join(parts)


def _status(progress: dict, head: tuple[str, str], budget: float) -> str:
    """Both languages: the training line (or the verdict at the end), over-fitting and memorisation when they show,
    then the text's numbers (`head`)."""
    val, baseline, history = progress["val_loss"], progress["baseline"], progress["history"]
    best = min(range(len(history["val"])), key=history["val"].__getitem__)
    overfitting = val > history["val"][best] + OVERFIT_MARGIN
    if progress["done"]:
        gain = 1 - val / baseline if baseline > 0 else 0.0
        verdict = (fill(STATUS["beats"], gain=gain) if val < baseline
                   else STATUS["above"] if overfitting else STATUS["not_yet"])
        line = fill(STATUS["done"], step=progress["step"], seconds=progress["seconds"], val=val, baseline=baseline,
                    verdict=verdict)
    else:
        train = "–" if progress["train_loss"] is None else f"{progress['train_loss']:.3f}"
        line = fill(STATUS["training"], step=progress["step"], seconds=progress["seconds"], budget=budget,
                    train=train, val=val)
    lines = [line]
    if overfitting:
        lines.append(fill(STATUS["overfitting"], best=history["val"][best], best_step=history["val_step"][best]))
    sample = progress["samples"][-1] if progress["samples"] else None
    if sample and sample["memorised"] is not None:
        reciting = sample["memorised"] > progress["val_overlap"] + RECITING_MARGIN
        lines.append(fill(STATUS["memory"], share=sample["memorised"], overlap=progress["val_overlap"],
                          verdict=STATUS["reciting" if reciting else "writing"]))
    return "\n\n".join(" ".join(part[lang] for part in lines) + f"\n\n{head[lang]}" for lang in (0, 1))


def train_gpt_on_text(text="", file=None, seconds=DEFAULT_SECONDS, seed=0):
    """Train a tiny character-level GPT on your own text, streaming its losses and samples.

    Args:
        text: the text to learn (2,000 to 1,000,000 characters), pasted; ignored when a file is given.
        file: optionally a UTF-8 .txt file to learn instead.
        seconds: the training budget in seconds (3-120).
        seed: the random seed of the initial weights and the batches (the same seed gives the same curves).

    Returns:
        (the loss curves: training and validation loss and the unigram baseline by step, the latest samples
        with their memorised share, a status line), about every half second; the session keeps the model for
        generating, downloading.
    """
    from models.gpt_live import CONFIG, TextError, new_model, prepare_corpus, tokenizer_for, train_live

    seconds = check_number(seconds, ("Training budget (seconds)", "训练时长（秒）"), *SECONDS)
    generator = seed_generator(seed)
    text, source = read_training_text(text, file)
    try:
        corpus = prepare_corpus(text)
    except TextError as exc:
        raise error(exc.en, exc.zh) from None
    unknown = fill(STATUS["unknown"], count=corpus.unknown) if corpus.unknown else ("", "")
    head = fill(STATUS["text"], chars=corpus.chars, source=source, distinct=corpus.distinct, vocab=len(corpus.vocab),
                unknown=unknown, baseline=corpus.baseline)
    model = new_model(len(corpus.vocab), generator)
    lm = LanguageModel(YOURS, model, tokenizer_for(corpus.vocab, CONFIG["n_positions"]), corpus=YOUR_CORPUS)
    first = True
    for progress in train_live(model, corpus, seconds, generator):
        # the session holds the model from the first update on: Stop keeps what was trained so far
        keep = lm if first or progress["done"] else gr.skip()
        yield curves_frame(progress), samples_text(progress), _status(progress, head, seconds), keep
        first = False


def generate_with_trained_gpt(prompt="", max_new_tokens=200, temperature=0.8, top_k=40, top_p=0.95, seed=0,
                              trained=None):
    """Stream a continuation of a prompt by the GPT you trained (or uploaded) in this session.

    Args:
        prompt: the beginning to continue (empty: start from scratch).
        max_new_tokens: how many characters to write (1-500).
        temperature: sampling temperature (0.05-2); higher is bolder.
        top_k: keep only the k most likely characters (0 = off, at most 200).
        top_p: keep the smallest set of characters whose probabilities reach p (0.05-1).
        seed: the random seed (the same seed gives the same text).
        trained: the session's model (kept by the training or upload endpoint; not an API argument).

    Returns:
        (the prompt followed by the text so far, a status line), after every character.
    """
    if not isinstance(trained, LanguageModel):
        raise _no_model()
    yield from stream_continuation(trained, prompt, max_new_tokens, temperature, top_k, top_p, seed)


def download_trained_gpt(trained=None) -> str:
    """The session's GPT as a zip of its save_pretrained folder (config, safetensors weights, tokenizer)."""
    from models.gpt_live import save_zip

    if not isinstance(trained, LanguageModel):
        raise _no_model()
    return str(save_zip(trained.model, trained.tokenizer))


def upload_trained_gpt(file):
    """Load a GPT zip downloaded from this section (checked: size, file names, no pickle, config within the caps,
    tensor shapes) through the tab's from_pretrained loader; -> (the session's model, status)."""
    from models.gpt_live import check_loaded, unpack_upload
    from models.live import TrainedFileError

    path = uploaded_path(file)
    try:
        folder = unpack_upload(path)
        try:
            model, tokenizer = load_checkpoint(folder)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            raise TrainedFileError(f"from_pretrained could not load it: {str(exc)[:160]}",
                                   "from_pretrained 无法加载它（原因见上方英文说明）。") from None
        check_loaded(model, tokenizer)
    except TrainedFileError as exc:
        raise trained_file_error(exc) from None
    config = model.config
    lm = LanguageModel(YOURS, model, tokenizer, corpus=YOUR_CORPUS)
    status = both(STATUS["loaded"], name=Path(path).name[:60], layers=config.n_layer, heads=config.n_head,
                  dims=config.n_embd, context=lm.block, vocab=config.vocab_size,
                  params=sum(p.numel() for p in model.parameters()))
    return lm, status


def example_text(name: str) -> str:
    """The text of one bundled example (a file name of EXAMPLE_TEXTS)."""
    return (EXAMPLES_DIR / name).read_text(encoding="utf-8")


TEXT = {
    "en": {
        "transformer.own_intro": """
### Train a GPT on your own text
Paste a text (or upload a UTF-8 `.txt`, 2,000 to 1,000,000 characters), or pick an example, and train a tiny GPT
on it right here: the same GPT-2 network as above, smaller (2 layers × 4 heads, 64 dimensions, a context of 64
characters), learning to predict the next **character**. The first 90 % of your text trains it; the last 10 %
checks it on text it never saw.

- The **unigram baseline** is the entropy of your text's character distribution: the loss of a model that knows
  how often each character occurs but reads no context. Every nat below it is learned from context.
- Every few seconds it writes a sample: watch letters turn into words, then lines in your text's shape.
- **Memorising**: how many of the 8-character runs it writes occur verbatim in your training text, next to the
  same share for your last 10 % (new text in your style). Far above it, on a short text or a long run, it is
  reciting rather than writing.
- When the validation loss turns up while the training loss keeps falling, it is **over-fitting**: a text of a few
  thousand characters is learned by heart within a minute; the Shakespeare example (30,000 characters) lasts longer.

Then generate from it below, download it (a `save_pretrained` folder as a zip) and upload it again later.
""",
        "transformer.own_text": "Your text (2,000 – 1,000,000 characters)",
        "transformer.own_file": "…or upload a UTF-8 .txt (used instead of the box)",
        "transformer.own_examples": "Example texts (public domain)",
        "transformer.own_seconds": "Training budget (seconds)",
        "transformer.own_seed": "Seed (initial weights and batches)",
        "transformer.own_train": "Train my GPT",
        "transformer.own_curves": "Loss per character (nats): training, validation, unigram baseline",
        "transformer.own_samples": "Samples while it learns (newest first)",
        "transformer.own_generate_intro": "#### Generate from your GPT",
        "transformer.own_prompt": "Prompt (empty: start from scratch)",
        "transformer.own_generate": "Write with my GPT",
        "transformer.own_output": "Your GPT's text",
        "transformer.own_keep": "#### Keep it",
        "transformer.own_download": "Download my GPT (.zip)",
        "transformer.own_zip": "Your GPT: config.json, model.safetensors, tokenizer files",
        "transformer.own_upload": "Upload a GPT .zip downloaded from here",
    },
    "zh-CN": {
        "transformer.own_intro": """
### 用你自己的文本训练一个 GPT
粘贴一段文本（或上传一个 UTF-8 编码的 `.txt`，2,000 到 1,000,000 个字符），或者选一个示例，就在这里训练一个小小的 GPT：
和上面同样的 GPT-2 网络，只是更小（2 层 × 4 个注意力头，64 维，上下文 64 个字符），学习预测下一个**字符**。
文本的前 90% 用于训练，最后 10% 用来检验它在没见过的文本上的表现。

- **一元基线**是你的文本中字符分布的熵：一个只知道每个字符出现频率、却不读上下文的模型能达到的损失。
  比它低的每一奈特，都是从上下文中学到的。
- 每隔几秒它会写一段样本：看字母变成单词，再变成和你的文本格式一样的诗行。
- **死记硬背**：它写出的 8 字符片段中有多少原样出现在你的训练文本里，并与你文本最后 10%（同一风格的新文本）的
  同一比例对照。如果远高于后者（文本很短或训练很久时），它就是在背诵，而不是在写作。
- 如果训练损失还在下降，验证损失却开始回升，它就是在**过拟合**：几千个字符的文本不到一分钟就会被它背下来；
  莎士比亚示例（30,000 个字符）能坚持更久。

然后可以在下方用它生成文本、下载它（一个 `save_pretrained` 文件夹，打包成 zip），以后再上传使用。
""",
        "transformer.own_text": "你的文本（2,000 – 1,000,000 个字符）",
        "transformer.own_file": "……或上传一个 UTF-8 编码的 .txt（将代替文本框中的内容）",
        "transformer.own_examples": "示例文本（公有领域）",
        "transformer.own_seconds": "训练时长（秒）",
        "transformer.own_seed": "随机种子（初始权重与批次）",
        "transformer.own_train": "训练我的 GPT",
        "transformer.own_curves": "每字符损失（奈特）：训练、验证、一元基线",
        "transformer.own_samples": "学习过程中的样本（最新的在最上面）",
        "transformer.own_generate_intro": "#### 用你的 GPT 生成文本",
        "transformer.own_prompt": "提示词（留空：从头开始写）",
        "transformer.own_generate": "让我的 GPT 来写",
        "transformer.own_output": "你的 GPT 写的文本",
        "transformer.own_keep": "#### 保存下来",
        "transformer.own_download": "下载我的 GPT（.zip）",
        "transformer.own_zip": "你的 GPT：config.json、model.safetensors 和分词器文件",
        "transformer.own_upload": "上传从这里下载的 GPT .zip",
    },
}


def build_section(sampling_controls) -> None:
    """The section's UI; `sampling_controls()` makes the tab's generation sliders (the same ones as above)."""
    trained = gr.State(None)
    gr.Markdown(t("transformer.own_intro"))
    with gr.Row():
        with gr.Column(scale=2):
            own_text = gr.Textbox(label=t("transformer.own_text"), lines=8, max_lines=14)
            own_file = gr.File(label=t("transformer.own_file"), file_types=[".txt"], type="filepath", height=150)
            gr.Examples([[example_text(name)] for name, _ in EXAMPLE_TEXTS], inputs=own_text,
                        example_labels=[label for _, label in EXAMPLE_TEXTS], label=t("transformer.own_examples"))
        with gr.Column(scale=1, min_width=260) as controls:
            seconds = gr.Slider(*SECONDS, value=DEFAULT_SECONDS, step=1, label=t("transformer.own_seconds"))
            own_seed = gr.Number(value=0, precision=0, minimum=0, label=t("transformer.own_seed"))
            train_btn = gr.Button(t("transformer.own_train"), variant="primary")
    with gr.Row():
        curves = gr.LinePlot(x="step", y="loss", color="series", title=t("transformer.own_curves"),
                             y_title="nats / character · 奈特/字符", height=320, scale=1)
        samples = gr.Textbox(label=t("transformer.own_samples"), lines=14, max_lines=14, interactive=False, scale=1)
    own_status = gr.Markdown()

    gr.Markdown(t("transformer.own_generate_intro"))
    with gr.Row():
        with gr.Column(scale=1, min_width=300) as generate_controls:
            own_prompt = gr.Textbox(label=t("transformer.own_prompt"), lines=2)
            max_new, temperature, top_k, top_p, gen_seed = sampling_controls()
            generate_btn = gr.Button(t("transformer.own_generate"), variant="primary")
        with gr.Column(scale=2):
            own_output = gr.Textbox(label=t("transformer.own_output"), lines=10, max_lines=20, interactive=False)
            gen_status = gr.Markdown()

    gr.Markdown(t("transformer.own_keep"))
    with gr.Row():
        with gr.Column():
            download_btn = gr.Button(t("transformer.own_download"))
            zip_file = gr.File(label=t("transformer.own_zip"), interactive=False, height=120)
        upload = gr.File(label=t("transformer.own_upload"), file_types=[".zip"], type="filepath", height=170)

    training = train_btn.click(train_gpt_on_text, [own_text, own_file, seconds, own_seed],
                               [curves, samples, own_status, trained], api_name="gpt_train_text", **HEAVY)
    generating = generate_btn.click(generate_with_trained_gpt,
                                    [own_prompt, max_new, temperature, top_k, top_p, gen_seed, trained],
                                    [own_output, gen_status], api_name="gpt_generate_trained", **HEAVY, api_visibility="undocumented")
    with controls:  # the Stop buttons go under their buttons, once the events they cancel exist
        stop_button(training)
    with generate_controls:
        stop_button(generating)
    download_btn.click(download_trained_gpt, trained, zip_file, api_name="gpt_download_trained",
                       api_visibility="undocumented")
    upload.upload(upload_trained_gpt, upload, [trained, gen_status], api_name="gpt_upload_trained",
                  api_visibility="undocumented")
