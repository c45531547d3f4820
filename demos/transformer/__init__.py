"""Transformer tab: a small GPT writing Shakespeare, streamed token by token, its attention made visible, and
a GPT the learner trains on their own text.

- generate.py: loading (ours, the allow-listed hub checkpoints, the learner's: one from_pretrained path),
  reading the prompt, streamed generation;
- inside.py: attention heatmaps, the next-token distribution, positional embeddings;
- own.py: "Train a GPT on your own text" (the loop is models/gpt_live.py).
"""
from __future__ import annotations

import gradio as gr

from ..common import model_card, principle
from ..i18n import t
from ..live import HEAVY
from .generate import (CHOICES, EXAMPLES, HUB_MODELS, LIMITS, OURS, STATUS, LanguageModel, generate_text,
                       load_checkpoint, load_language_model, read_prompt, stream_continuation)
from .inside import MAX_INSPECT_TOKENS, attention_matrix, draw_heatmap, inspect_gpt_attention, layer_head_limits, top_candidates
from .own import TEXT as _OWN_TEXT
from .own import (build_section, download_trained_gpt, generate_with_trained_gpt, train_gpt_on_text,
                  upload_trained_gpt)

_TAB_TEXT = {
    "en": {
        "transformer.title": "Transformer",
        "transformer.intro": """
A **transformer** reads all its input tokens at once and lets each one look at the others through
**self-attention**: every token asks a question (its *query*), every earlier token offers a *key* and a *value*,
and the token takes the values weighted by `softmax(q·k / √d)`. Stack that with small MLPs a few times and train
it to predict the next token, and you have a **GPT**.

The model here is a small GPT-2 (4 layers × 4 attention heads, 192-dim, 1.8 M parameters) trained on the works of
Shakespeare **one character at a time** (65 symbols), on a CPU. Its validation loss is in the model card below.
Type a beginning and watch it write, a character at a time: it learned spelling, words, names in capitals and the
play layout on its own. Higher **temperature** = bolder, **top-k/top-p** cut off unlikely characters, and the same
**seed** always gives the same text.
""",
        "transformer.principle": r"""
**What it computes.** Each token becomes a vector: its token embedding plus a learned position embedding. A GPT
block then applies *causal self-attention* and a small MLP, each with layer normalisation and a residual
connection: $x \leftarrow x + \mathrm{Attn}(\mathrm{LN}(x))$, $\;x \leftarrow x + \mathrm{MLP}(\mathrm{LN}(x))$.
Attention projects the tokens to queries, keys and values, $Q = XW_Q,\ K = XW_K,\ V = XW_V$, and mixes the values:
$$\mathrm{Attn}(Q,K,V) = \mathrm{softmax}\!\left(\frac{QK^{\top}}{\sqrt{d}} + M\right)V,\qquad
M_{ij} = \begin{cases}0 & j \le i\\ -\infty & j > i\end{cases}$$
The mask $M$ forbids looking at later tokens. Each of the 4 heads does this with its own $W_Q, W_K, W_V$ on
$d = 192/4 = 48$ dimensions; their outputs are concatenated. After the last block a linear layer and softmax give
$p(x_{t+1} \mid x_{\le t})$ for every position at once.

**How it is trained.** Next-token prediction on windows of 128 characters: minimise the cross-entropy
$-\sum_t \log p(x_{t+1} \mid x_{\le t})$ with AdamW, warm-up and a cosine learning-rate schedule. All positions are
trained in parallel, the big advantage over an RNN.

**Strengths and weaknesses.** Any token can reach any earlier token in one step, training parallelises well and
quality keeps improving with scale; but attention costs $O(T^2)$ in the context length $T$, the window is fixed
(128 characters here), and the model can write fluent nonsense.

**Where it is used.** Large language models (GPT, chatbots), translation, code completion, and, as vision
transformers, images. In the heatmap below each row is one softmax row of $QK^{\top}/\sqrt{d} + M$: the empty upper
triangle is the mask $M$.
""",
        "transformer.inside": """
### Look inside: attention
Each row of the heatmap is one token of your input asking "which earlier tokens matter for predicting what comes
after me?"; the columns are the tokens it can look at, and brighter = more attention (each row sums to 1;
`·` marks a space, `\\n` a newline).

- **The causal mask**: the upper-right triangle is grey and empty: a token may never look at tokens to its right,
  because when the model writes, those do not exist yet. That is why it can generate left to right and reuse
  earlier work (the *KV cache*: each new character costs one small step, which is how text streams quickly).
- **Decoder-only**: GPT has no separate encoder. The same stack of masked self-attention layers reads the prompt
  and writes the continuation; the top-10 list is its output at the last position, the very distribution the
  generator samples from.
- **Positional embeddings**: attention itself does not know order, so a learned vector per position (1 … 128)
  is added to each token's embedding. The right-hand picture is their cosine similarity: the bright band along the
  diagonal shows neighbouring positions were learned to look alike. Some heads use this to look a fixed
  distance back (a diagonal stripe in the heatmap), others look for a character such as the last space or newline.

Try different heads: in early layers many look at the previous character; later ones at the start of the word.
""",
        "transformer.prompt": "Prompt (empty: start from scratch)",
        "transformer.max_new": "Max new tokens",
        "transformer.temperature": "Temperature",
        "transformer.top_k": "Top-k (0 = off)",
        "transformer.top_p": "Top-p (nucleus)",
        "transformer.seed": "Seed",
        "transformer.model": "Model (the hub ones need the internet once)",
        "transformer.generate": "Generate",
        "transformer.examples": "Beginnings",
        "transformer.output": "Generated text (your prompt, then the model's continuation)",
        "transformer.short": f"A short input (the last {MAX_INSPECT_TOKENS} tokens are read)",
        "transformer.layer": "Layer",
        "transformer.head": "Head",
        "transformer.inspect": "Look inside",
        "transformer.candidates": "Top-10 next tokens at the last position",
        "transformer.heatmap": "Attention: rows = each token, columns = the tokens it looks at",
        "transformer.positions": "Positional embeddings: cosine similarity of positions",
    },
    "zh-CN": {
        "transformer.title": "Transformer 注意力",
        "transformer.intro": """
**Transformer** 一次读入全部输入 token，并通过**自注意力**让每个 token 去看其他 token：每个 token 提出一个问题（它的
*查询* query），每个更早的 token 提供一个*键* key 和一个*值* value，该 token 按 `softmax(q·k / √d)` 的权重取这些值的
加权和。把它和小型 MLP 交替堆叠几层，再训练它预测下一个 token，就得到了 **GPT**。

这里的模型是一个小型 GPT-2（4 层 × 4 个注意力头，192 维，180 万参数），在 CPU 上以**逐字符**的方式（65 种符号）
用莎士比亚全集训练。它的验证集损失见下方的模型卡。输入一个开头，看它一个字符一个字符地写下去：拼写、单词、大写的
人名和剧本格式，都是它自己学会的。**温度**越高越大胆，**top-k/top-p** 会截掉不太可能的字符，相同的**随机种子**
总是得到相同的文本。
""",
        "transformer.principle": r"""
**计算什么。** 每个 token 先变成一个向量：它的 token 嵌入加上一个学到的位置嵌入。每个 GPT 模块依次做**因果自注意力**
和一个小 MLP，二者都带层归一化和残差连接：$x \leftarrow x + \mathrm{Attn}(\mathrm{LN}(x))$，
$\;x \leftarrow x + \mathrm{MLP}(\mathrm{LN}(x))$。注意力把 token 投影成查询、键和值，$Q = XW_Q,\ K = XW_K,\ V = XW_V$，
再把值混合起来：
$$\mathrm{Attn}(Q,K,V) = \mathrm{softmax}\!\left(\frac{QK^{\top}}{\sqrt{d}} + M\right)V,\qquad
M_{ij} = \begin{cases}0 & j \le i\\ -\infty & j > i\end{cases}$$
掩码 $M$ 禁止看后面的 token。4 个注意力头各用自己的 $W_Q, W_K, W_V$ 在 $d = 192/4 = 48$ 维上做这件事，输出再拼接起来。
最后一个模块之后，线性层加 softmax 一次性给出每个位置的 $p(x_{t+1} \mid x_{\le t})$。

**怎样训练。** 在 128 个字符的窗口上做下一个 token 预测：用 AdamW、学习率预热和余弦退火，最小化交叉熵
$-\sum_t \log p(x_{t+1} \mid x_{\le t})$。所有位置并行训练，这是它相对 RNN 的一大优势。

**优点与不足。** 任何 token 一步就能看到之前的任何 token，训练易于并行，规模越大效果越好；但注意力的计算量随上下文长度
$T$ 按 $O(T^2)$ 增长，窗口长度固定（这里是 128 个字符），而且模型可能写出流畅却无意义的内容。

**应用场景。** 大语言模型（GPT、聊天机器人）、机器翻译、代码补全，以及以视觉 Transformer 的形式处理图像。下方热力图的
每一行就是 $QK^{\top}/\sqrt{d} + M$ 经过 softmax 后的一行：右上方空白的三角形就是掩码 $M$。
""",
        "transformer.inside": """
### 看看内部：注意力
热力图的每一行是输入中的一个 token 在问：“要预测我后面的内容，哪些更早的 token 最重要？”；列是它能看到的 token，
越亮表示注意力越多（每行之和为 1；`·` 表示空格，`\\n` 表示换行）。

- **因果掩码**：右上方的三角形是灰色的空白：一个 token 永远不能看它右边的 token，因为模型写作时它们还不存在。
  正因如此，模型可以从左到右生成，并复用之前的计算（*KV 缓存*：每个新字符只需一小步计算，所以文字能快速流式输出）。
- **只有解码器**：GPT 没有单独的编码器。同一组带掩码的自注意力层既读提示词，也写续写内容；前 10 名列表就是它在
  最后一个位置的输出，也正是生成时采样所用的分布。
- **位置嵌入**：注意力本身不知道顺序，所以每个位置（1 … 128）都有一个学到的向量，加到 token 的嵌入上。右侧的图是
  这些位置向量之间的余弦相似度：沿对角线的亮带说明相邻位置学得很像。有些注意力头借此回看固定的距离（热力图中的
  斜条纹），另一些则寻找某个字符，比如上一个空格或换行。

试试不同的注意力头：浅层的许多头看前一个字符，深层的头看单词的开头。
""",
        "transformer.prompt": "提示词（留空：从头开始写）",
        "transformer.max_new": "最多生成的 token 数",
        "transformer.temperature": "温度",
        "transformer.top_k": "Top-k（0 = 关闭）",
        "transformer.top_p": "Top-p（核采样）",
        "transformer.seed": "随机种子",
        "transformer.model": "模型（Hub 上的模型首次使用需要联网）",
        "transformer.generate": "生成",
        "transformer.examples": "开头示例",
        "transformer.output": "生成的文本（先是你的提示词，然后是模型的续写）",
        "transformer.short": f"一段简短的输入（只读最后 {MAX_INSPECT_TOKENS} 个 token）",
        "transformer.layer": "层",
        "transformer.head": "注意力头",
        "transformer.inspect": "看看内部",
        "transformer.candidates": "最后一个位置上概率最高的 10 个下一 token",
        "transformer.heatmap": "注意力：行 = 每个 token，列 = 它所看的 token",
        "transformer.positions": "位置嵌入：各位置之间的余弦相似度",
    },
}


def sampling_controls():
    """The generation controls (max new tokens, temperature, top-k, top-p, seed), the same wherever the tab
    generates."""
    max_new = gr.Slider(*LIMITS["max_new_tokens"], value=300, step=1, label=t("transformer.max_new"))
    temperature = gr.Slider(*LIMITS["temperature"], value=0.8, step=0.05, label=t("transformer.temperature"))
    with gr.Row():
        top_k = gr.Slider(*LIMITS["top_k"], value=40, step=1, label=t("transformer.top_k"))
        top_p = gr.Slider(*LIMITS["top_p"], value=0.95, step=0.01, label=t("transformer.top_p"))
    seed = gr.Number(value=0, precision=0, minimum=0, label=t("transformer.seed"))
    return max_new, temperature, top_k, top_p, seed


def build() -> None:
    gr.Markdown(t("transformer.intro"))
    principle("transformer.principle")
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            prompt = gr.Textbox(label=t("transformer.prompt"), lines=4,
                                value="ROMEO:\nO, she doth teach the torches to burn bright!\n")
            max_new, temperature, top_k, top_p, seed = sampling_controls()
            model = gr.Dropdown(CHOICES, value=OURS, label=t("transformer.model"))
            generate_btn = gr.Button(t("transformer.generate"), variant="primary")
            gr.Examples(EXAMPLES, inputs=prompt, label=t("transformer.examples"))
        with gr.Column(scale=2):
            output = gr.Textbox(label=t("transformer.output"), lines=18, max_lines=30, interactive=False)
            status = gr.Markdown()
    generate_btn.click(generate_text, [prompt, max_new, temperature, top_k, top_p, seed, model], [output, status],
                       api_name="gpt_generate", **HEAVY)

    gr.Markdown(t("transformer.inside"))
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            short = gr.Textbox(label=t("transformer.short"), value="To be, or not to be")
            with gr.Row():
                layer = gr.Slider(1, 4, value=1, step=1, label=t("transformer.layer"))
                head = gr.Slider(1, 4, value=1, step=1, label=t("transformer.head"))
            inspect_btn = gr.Button(t("transformer.inspect"), variant="primary")
            candidates = gr.Label(num_top_classes=10, label=t("transformer.candidates"))
        with gr.Column(scale=2):
            with gr.Row():
                heatmap = gr.Image(label=t("transformer.heatmap"), interactive=False, format="png")
                positions = gr.Image(label=t("transformer.positions"), interactive=False, format="png")
            inside = gr.Markdown()
    outputs = [heatmap, candidates, positions, inside]
    inspect_btn.click(inspect_gpt_attention, [short, layer, head, model], outputs, api_name="gpt_inspect")
    short.submit(inspect_gpt_attention, [short, layer, head, model], outputs, api_visibility="private")
    model.change(layer_head_limits, model, [layer, head], api_visibility="private")
    model_card("gpt")

    build_section(sampling_controls)


def __getattr__(name: str):
    """sample_next (the sampling step, in models.gpt) without importing torch when the app starts."""
    if name == "sample_next":
        from models.gpt import sample_next

        return sample_next
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# the whole tab's strings: the i18n prefix "transformer." finds them here
TEXT = {lang: {**_TAB_TEXT[lang], **_OWN_TEXT[lang]} for lang in _TAB_TEXT}
