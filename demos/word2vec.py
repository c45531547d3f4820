"""Word2Vec tab: words as vectors — neighbours, similarity, analogies, a 2-D map, and training on your own text."""
from __future__ import annotations

import difflib
import os
import queue
import re
import threading
import time

import gradio as gr
import numpy as np

from .common import (both, check_choice, check_number, error, field_names, fill, missing_weights, model_card,
                     principle)
from .i18n import t
from .live import HEAVY

SOURCES = ("hub vectors", "your text")
MAX_TRAIN_CHARS = 1_000_000          # pasted or uploaded text beyond this is cut (and the user is told)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024   # a bigger .txt is refused before it is read
MIN_TRAIN_WORDS = 200
USER_CONFIG = {"vector_size": 50, "negative": 5, "sample": 1e-3}
LIMITS = {"k": (1, 50), "epochs": (1, 100), "window": (1, 15), "min_count": (1, 50)}
MAX_WORD_CHARS = 60

# request-time text (the browser cannot translate it): English first, as the API returned it before, a blank line,
# then Chinese. Table headers are data, not translation keys, so they carry both languages ("word · 词").
COLUMNS = {"word": "word · 词", "cosine": "cosine · 余弦相似度"}
GROUPS = {"word": "your word · 你的词", "neighbour": "neighbour · 近邻"}  # the map's legend
KINSHIP = {"very similar": "非常相似", "related": "相关", "weakly related": "弱相关", "unrelated": "不相关"}
STATUS = {
    "neighbours": ("The {n} words whose vectors point most nearly the same way as **{word}** (cosine similarity), "
                   "out of {vocab:,}. Hover a dot in the map to see its word.",
                   "在 {vocab:,} 个词中，向量方向与 **{word}** 最接近（余弦相似度最高）的 {n} 个词。"
                   "把鼠标停在图中的点上可以看到对应的词。"),
    "similarity": ("{kinship} in this corpus", "在这个语料中两者{kinship}"),
    "rank": (" · **{b}** is the {rank:,}{ordinal} nearest word to **{a}**.",
             " · 在与 **{a}** 最接近的词中，**{b}** 排第 {rank:,} 位。"),
    "analogy": ("the word nearest to the vector `v({a}) − v({b}) + v({c})`.",
                "与向量 `v({a}) − v({b}) + v({c})` 最接近的词。"),
    "counts": ("{words:,} words, {kept:,} distinct words seen ≥ {min_count}×. {notes}",
               "共 {words:,} 个词，其中 {kept:,} 个不同的词出现了至少 {min_count} 次。{notes}"),
    "truncated": ("Your text has {chars:,} characters; training uses the first {limit:,}.",
                  "你的文本有 {chars:,} 个字符，训练只使用前 {limit:,} 个。"),
    "training": ("Training… {head}", "训练中… {head}"),
    "epoch": ("Epoch {epoch}/{epochs} · {seconds:.1f} s · {head}",
              "第 {epoch}/{epochs} 轮 · {seconds:.1f} 秒 · {head}"),
    "done": ("**Trained on your text** in {seconds:.1f} s: {words:,} words × {dims} dimensions, {epochs} epochs. "
             "Most frequent: {top}. The queries above now use *your text*. {notes}",
             "**已用你的文本训练完成**，用时 {seconds:.1f} 秒：{words:,} 个词 × {dims} 维，共训练 {epochs} 轮。"
             "最常见的词：{top}。上面的查询现在使用的是*你的文本*。{notes}"),
}


def load_hub_vectors():
    from models.cache import load_model
    from models.persistence import weights_dir
    from models.word2vec import load_vectors

    try:
        return load_model("word2vec", lambda: load_vectors(weights_dir("word2vec")))
    except FileNotFoundError:
        raise missing_weights("word2vec") from None


def pick_vectors(source, user_vectors):
    source = check_choice(source, "Vectors", SOURCES)
    if source == SOURCES[0]:
        return load_hub_vectors()
    if user_vectors is None:
        raise error("You have not trained a model on your own text yet: use “Train on your own text” below "
                    "(or pick the hub vectors).", "你还没有用自己的文本训练模型：请使用下方的“用你自己的文本训练”"
                    "（或者改选本站的词向量）。")
    return user_vectors


def closest_spellings(kv, word: str, n: int = 5) -> list[str]:
    """Known words one typo away (a letter dropped, added, changed or two swapped), most frequent first,
    then difflib's closest matches."""
    letters = "abcdefghijklmnopqrstuvwxyz'-"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1:] for a, b in splits if b} | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    edits |= {a + ch + b[1:] for a, b in splits if b for ch in letters} | {a + ch + b for a, b in splits for ch in letters}
    one_typo = sorted((w for w in edits if w in kv.key_to_index), key=kv.key_to_index.get)
    similar = difflib.get_close_matches(word, kv.index_to_key, n=n, cutoff=0.75)
    return list(dict.fromkeys(one_typo + similar))[:n]


def lookup(kv, word, name=("Word", "单词")) -> str:
    """The vocabulary entry for `word`, or a gr.Error that suggests the closest known spellings.
    `name`: the input's (English, Chinese) name."""
    name, zh = field_names(name)
    if word is None or not isinstance(word, str) or not word.strip():
        raise error(f"{name}: type one English word.", f"{zh}：请输入一个英文单词。")
    word = word.strip().lower().replace("\u2019", "'")
    if len(word) > MAX_WORD_CHARS:
        raise error(f"{name}: that is {len(word)} characters long; type one word.",
                    f"{zh}：输入有 {len(word)} 个字符，请只输入一个词。")
    if re.search(r"\s", word):
        raise error(f"{name}: type a single word, not {word[:40]!r}.", f"{zh}：请只输入一个词，而不是 {word[:40]!r}。")
    if word in kv.key_to_index:
        return word
    if not any(ch.isalnum() for ch in word):
        raise error(f"{name}: “{word}” has no letters; type an English word.",
                    f"{zh}：“{word}”里没有字母，请输入一个英文单词。")
    close = closest_spellings(kv, word)
    hint = f" Closest known spellings: {', '.join(close)}." if close else ""
    hint_zh = f"最接近的已知拼写：{', '.join(close)}。" if close else ""
    raise error(f"{name}: “{word}” is not among the {len(kv):,} words these vectors know.{hint}",
                f"{zh}：“{word}”不在这组词向量认识的 {len(kv):,} 个词中。{hint_zh}")


def projection(kv, words: list[str]) -> np.ndarray:
    """2-D PCA coordinates of the unit-length vectors of `words`."""
    vecs = np.stack([kv.get_vector(w, norm=True) for w in words])
    centred = vecs - vecs.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def nearest_words(word, k=10, source=SOURCES[0], user_vectors=None):
    """Find the words whose Word2Vec vectors are closest (by cosine similarity) to a given word.

    Args:
        word: An English word (lower case; e.g. "king", "movie", "river").
        k: How many neighbours to return (1-50).
        source: Which vectors to use: "hub vectors" (trained for this hub on 4.6 M words of English text) or "your text" (vectors trained with word2vec_train in the same browser or gradio_client session; not kept between MCP calls).
        user_vectors: The session's own vectors (set by the app, not passed by callers).

    Returns:
        A table of the k nearest words with their cosine similarity, a 2-D PCA scatter of the word and its
        neighbours, and a note.
    """
    import pandas as pd

    kv = pick_vectors(source, user_vectors)
    k = check_number(k, "Number of neighbours", *LIMITS["k"], integer=True)
    word = lookup(kv, word)
    neighbours = kv.most_similar(word, topn=min(k, len(kv) - 1))
    cosines = [round(s, 3) for _, s in neighbours]
    table = pd.DataFrame({COLUMNS["word"]: [w for w, _ in neighbours], COLUMNS["cosine"]: cosines})
    words = [word] + [w for w, _ in neighbours]
    xy = projection(kv, words)
    scatter = pd.DataFrame({"x": xy[:, 0].round(4), "y": xy[:, 1].round(4), "word": words, "cosine": [1.0] + cosines,
                            "group": [GROUPS["word"]] + [GROUPS["neighbour"]] * len(neighbours)})
    return table, scatter, both(STATUS["neighbours"], n=len(neighbours), word=word, vocab=len(kv))


def word_similarity(word_a, word_b, source=SOURCES[0], user_vectors=None):
    """Measure how similar two words are: the cosine similarity of their Word2Vec vectors.

    Args:
        word_a: The first English word.
        word_b: The second English word.
        source: Which vectors to use: "hub vectors" or "your text" (vectors trained with word2vec_train in the same browser or gradio_client session).
        user_vectors: The session's own vectors (set by the app, not passed by callers).

    Returns:
        Markdown with cos(a, b), what it means (very similar, related, weakly related, unrelated) and where b ranks
        among a's neighbours.
    """
    kv = pick_vectors(source, user_vectors)
    a, b = lookup(kv, word_a, ("First word", "第一个词")), lookup(kv, word_b, ("Second word", "第二个词"))
    sim = float(kv.similarity(a, b))
    rank = int(kv.rank(a, b)) if a != b else 0
    kinship = ("very similar" if sim > 0.7 else "related" if sim > 0.4 else "weakly related" if sim > 0.2
               else "unrelated")
    en, zh = fill(STATUS["similarity"], kinship=(kinship, KINSHIP[kinship]))
    rank_en, rank_zh = fill(STATUS["rank"], a=a, b=b, rank=rank, ordinal=_ordinal(rank)) if rank else (".", "。")
    return f"### cos({a}, {b}) = {sim:.3f}\n{en}{rank_en}\n\n{zh}{rank_zh}"


def _ordinal(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def word_analogy(word_a, word_b, word_c, k=5, source=SOURCES[0], user_vectors=None):
    """Solve a word analogy with vector arithmetic, a − b + c: e.g. king − man + woman ≈ queen.

    Args:
        word_a: The word a (e.g. "king").
        word_b: The word b that is subtracted (e.g. "man").
        word_c: The word c that is added (e.g. "woman").
        k: How many answers to return (1-50).
        source: Which vectors to use: "hub vectors" or "your text" (vectors trained with word2vec_train in the same browser or gradio_client session).
        user_vectors: The session's own vectors (set by the app, not passed by callers).

    Returns:
        A table of the k words closest to a − b + c with their cosine similarity, and Markdown naming the best answer.
    """
    import pandas as pd

    kv = pick_vectors(source, user_vectors)
    k = check_number(k, "Number of answers", *LIMITS["k"], integer=True)
    a, b, c = lookup(kv, word_a, "a"), lookup(kv, word_b, "b"), lookup(kv, word_c, "c")
    if len({a, b, c}) < 3:
        raise error("Use three different words (a − b + c), e.g. king − man + woman.",
                    "请使用三个不同的词（a − b + c），例如 king − man + woman。")
    answers = kv.most_similar(positive=[a, c], negative=[b], topn=min(k, len(kv) - 3))
    table = pd.DataFrame({COLUMNS["word"]: [w for w, _ in answers],
                          COLUMNS["cosine"]: [round(s, 3) for _, s in answers]})
    best = answers[0][0] if answers else "?"
    return table, f"### {a} − {b} + {c} ≈ **{best}**\n" + both(STATUS["analogy"], a=a, b=b, c=c)


# --- train on your own text --------------------------------------------------
def read_training_text(text, file) -> tuple[str, list[tuple[str, str]]]:
    """-> (the text, (English, Chinese) notes for the status)."""
    notes = []
    if text is not None and not isinstance(text, str):
        raise error("Text must be a string.", "文本必须是字符串。")
    chunks = [text or ""]
    if file is not None:
        path = file.get("path") if isinstance(file, dict) else file if isinstance(file, str) else getattr(file, "name", None)
        if not path or not os.path.isfile(path):
            raise error("The uploaded file could not be read; upload a plain .txt file.",
                        "无法读取上传的文件，请上传纯文本 .txt 文件。")
        if os.path.getsize(path) > MAX_UPLOAD_BYTES:
            size, limit = os.path.getsize(path) / 2**20, MAX_UPLOAD_BYTES // 2**20
            raise error(f"That file is {size:.1f} MB; upload at most {limit} MB of plain text.",
                        f"该文件有 {size:.1f} MB，最多只能上传 {limit} MB 的纯文本。")
        with open(path, "rb") as f:
            raw = f.read()
        if b"\0" in raw[:4096]:
            raise error("That file is not plain text (upload a .txt file).", "该文件不是纯文本（请上传 .txt 文件）。")
        chunks.append(raw.decode("utf-8", errors="replace"))
    full = "\n".join(c for c in chunks if c)
    if len(full) > MAX_TRAIN_CHARS:
        notes.append(fill(STATUS["truncated"], chars=len(full), limit=MAX_TRAIN_CHARS))
        full = full[:MAX_TRAIN_CHARS]
    return full, notes


def training_sentences(text: str) -> list[list[str]]:
    from models.text import tokenize

    pieces = re.split(r"[\n.!?;]+", text)
    return [words for words in (tokenize(p, punctuation=False) for p in pieces) if words]


def train_word2vec_on_text(text, file=None, epochs=20, window=5, min_count=2):
    """Train Word2Vec vectors on the user's own text; the session can then query them with source "your text".

    Args:
        text: The training text, pasted (at least 200 words; a book chapter or more gives useful vectors).
        file: Optionally a .txt file whose text is added (up to 5 MB).
        epochs: Passes over the text (1-100).
        window: Context window: how many words on each side count as neighbours (1-15).
        min_count: Words seen fewer times than this are left out (1-50).

    Returns:
        Streamed while training: a status (words, vocabulary, progress, then example neighbours), the session's
        vectors (kept in the session, not returned to API callers), and the source to query ("your text").
    """
    from models.word2vec import train_word2vec, vectors_from_arrays

    epochs = check_number(epochs, "Epochs", *LIMITS["epochs"], integer=True)
    window = check_number(window, "Window", *LIMITS["window"], integer=True)
    min_count = check_number(min_count, "Minimum count", *LIMITS["min_count"], integer=True)
    full, notes = read_training_text(text, file)
    sentences = training_sentences(full)
    n_words = sum(map(len, sentences))
    if n_words < MIN_TRAIN_WORDS:
        raise error(f"Paste or upload more text: I found {n_words} words; Word2Vec needs at least "
                    f"{MIN_TRAIN_WORDS} (a few paragraphs; a book chapter or more gives useful vectors).",
                    f"请粘贴或上传更多文本：只找到 {n_words} 个词，Word2Vec 至少需要 {MIN_TRAIN_WORDS} 个"
                    "（几段话即可；一整章书或更多才能得到有用的向量）。")
    counts: dict[str, int] = {}
    for s in sentences:
        for w in s:
            counts[w] = counts.get(w, 0) + 1
    kept = sum(c >= min_count for c in counts.values())
    if kept < 10:
        raise error(f"Only {kept} distinct words occur at least {min_count} times; lower the minimum count "
                    "or add more text.", f"只有 {kept} 个不同的词出现了至少 {min_count} 次；请调低最小词频，或者加入更多文本。")
    events: queue.Queue = queue.Queue()
    result: dict = {}

    def work():
        try:
            result["model"] = train_word2vec(sentences, epochs, seed=0, workers=1, window=window,
                                             min_count=min_count, max_final_vocab=None, **USER_CONFIG,
                                             on_epoch=lambda e, s: events.put((e, s)))
        except Exception as exc:  # reported to the user below
            result["error"] = exc
        events.put(None)

    notes = tuple(" ".join(note[lang] for note in notes) for lang in (0, 1))  # (English, Chinese)
    head = fill(STATUS["counts"], words=n_words, kept=kept, min_count=min_count, notes=notes)
    yield both(STATUS["training"], head=head), gr.skip(), gr.skip()
    threading.Thread(target=work, daemon=True).start()
    t0 = time.monotonic()
    while (event := events.get()) is not None:
        epoch, _ = event
        status = both(STATUS["epoch"], epoch=epoch, epochs=epochs, seconds=time.monotonic() - t0, head=head)
        yield status, gr.skip(), gr.skip()
    if "error" in result:
        raise error(f"Training failed: {str(result['error'])[:200]}", "训练失败（原因见上方英文说明）。")
    wv = result["model"].wv
    kv = vectors_from_arrays(list(wv.index_to_key), wv.vectors)
    top = ", ".join(kv.index_to_key[:8])
    done = both(STATUS["done"], seconds=time.monotonic() - t0, words=len(kv), dims=kv.vector_size, epochs=epochs,
                     top=top, notes=notes)
    yield done, kv, SOURCES[1]


TEXT = {
    "en": {
        "word2vec.title": "Word2Vec",
        "word2vec.intro": """
**Word2Vec** turns every word into a vector of 100 numbers so that words used in similar contexts get similar
vectors. These vectors were learned from about 4.6 million words of English (the Brown corpus, ABC news, movie
reviews, State of the Union and inaugural addresses, web text, WSJ, Shakespeare); their WordSim-353 and analogy
scores are in the model card at the bottom.

- **Nearest neighbours**: the words with the highest cosine similarity `cos(u, v) = u·v / (|u||v|)`.
  The map squeezes your word and its neighbours from 100 dimensions to 2 with PCA (hover the dots).
- **Similarity**: the cosine of two words (1 = same direction, 0 = unrelated).
- **Analogies**: `v(a) − v(b) + v(c)`: *king − man + woman* lands near *queen* when the corpus teaches it.
- **Your own text**: train a small model (50 dimensions) on a text you paste or upload, then query it above.
""",
        "word2vec.principle": r"""
**What it computes.** Each word $w$ gets an input vector $v_w$ (the one shown here) and an output vector $u_w$.
*Skip-gram with negative sampling* turns "predict the words around $w$" into many yes/no questions: for a word
$c$ seen within the window of $w$ (up to 10 words here), and $k = 10$ noise words $n$ drawn from the unigram
distribution raised to the power $3/4$, it maximises
$$\log \sigma\!\left(u_c^{\top} v_w\right) + \sum_{i=1}^{k} \mathbb{E}_{n_i \sim P_n}\, \log \sigma\!\left(-u_{n_i}^{\top} v_w\right)$$
so real pairs score high and random pairs low. Words that occur in similar contexts are pushed towards the same
$u_c$ and therefore end up with similar vectors: that is why neighbours share meaning or grammar.

**How it is trained.** Stochastic gradient ascent over the corpus (gensim, 10 epochs, learning rate decaying
linearly from 0.025); very frequent words are randomly down-sampled so that *the* or *of* do not dominate, and
words seen fewer than 5 times are dropped.

**Strengths and weaknesses.** Cheap to train on plain text and surprisingly rich: directions such as
*male → female* or *country → capital* appear on their own, so analogies work as vector arithmetic. But a word has
one vector whatever its sense (*bank*), unknown words have none (hence the spelling suggestions), and the vectors
copy the corpus's biases.

**Where it is used.** Features for search, recommendation (item2vec) and classic NLP, and as the starting
embeddings of other networks: the LSTM tab begins from these vectors. Contextual embeddings (BERT, GPT) are its
successors. The PCA map below shows your word's neighbourhood; the similarity is $\cos(v_a, v_b)$.
""",
        "word2vec.source": "Query which vectors?",
        "word2vec.hub_vectors": "hub vectors",
        "word2vec.your_text": "your text",
        "word2vec.neighbours_tab": "Nearest neighbours",
        "word2vec.word": "Word",
        "word2vec.k": "Neighbours (k)",
        "word2vec.find": "Find neighbours",
        "word2vec.examples": "Examples",
        "word2vec.neighbours": "Nearest words (cosine)",
        "word2vec.map": "PCA map of the neighbourhood",
        "word2vec.similarity_tab": "Similarity",
        "word2vec.first": "First word",
        "word2vec.second": "Second word",
        "word2vec.compare": "Compare",
        "word2vec.analogy_tab": "Analogies",
        "word2vec.a": "a",
        "word2vec.b": "− b",
        "word2vec.c": "+ c",
        "word2vec.answers": "Answers",
        "word2vec.analogy": "a − b + c = ?",
        "word2vec.best": "Best answers",
        "word2vec.train_panel": "Train on your own text",
        "word2vec.paste": "Paste text (English or any language written with spaces)",
        "word2vec.upload": f"…or upload a .txt (≤ {MAX_UPLOAD_BYTES // 2**20} MB)",
        "word2vec.epochs": "Epochs",
        "word2vec.window": "Context window",
        "word2vec.min_count": "Minimum word count",
        "word2vec.train": "Train",
    },
    "zh-CN": {
        "word2vec.title": "Word2Vec 词向量",
        "word2vec.intro": """
**Word2Vec** 把每个词变成由 100 个数组成的向量，让出现在相似上下文中的词得到相似的向量。这些向量从约 460 万个英文词中学到
（Brown 语料库、ABC 新闻、影评、美国国情咨文和总统就职演说、网络文本、华尔街日报、莎士比亚）；它们在 WordSim-353 和类比
测试上的得分见页面底部的模型卡。

- **最近邻**：余弦相似度 `cos(u, v) = u·v / (|u||v|)` 最高的那些词。下方的图用 PCA 把你的词和它的近邻从 100 维压缩到 2 维
  （把鼠标停在点上可以看到词）。
- **相似度**：两个词向量夹角的余弦（1 = 方向相同，0 = 毫无关系）。
- **类比**：`v(a) − v(b) + v(c)`：只要语料里有这种规律，*king − man + woman* 就会落在 *queen* 附近。
- **用你自己的文本训练**：在你粘贴或上传的文本上训练一个小模型（50 维），然后在上面的各个功能里查询它。
""",
        "word2vec.principle": r"""
**计算什么。** 每个词 $w$ 有一个输入向量 $v_w$（这里展示的就是它）和一个输出向量 $u_w$。**带负采样的 Skip-gram**
把“预测 $w$ 周围的词”变成许多道是非题：对出现在 $w$ 窗口内（这里最多相距 10 个词）的词 $c$，以及从“词频的 $3/4$ 次方”
分布中抽出的 $k = 10$ 个噪声词 $n$，最大化
$$\log \sigma\!\left(u_c^{\top} v_w\right) + \sum_{i=1}^{k} \mathbb{E}_{n_i \sim P_n}\, \log \sigma\!\left(-u_{n_i}^{\top} v_w\right)$$
让真实的词对得分高、随机的词对得分低。出现在相似上下文中的词会被推向同一批 $u_c$，最终得到相似的向量——所以近邻往往
在意思或语法上相近。

**怎样训练。** 在整个语料上做随机梯度上升（gensim，10 个轮次，学习率从 0.025 线性衰减）；高频词会被随机降采样，
免得 *the*、*of* 这类词占满训练；出现少于 5 次的词被丢弃。

**优点与不足。** 只需纯文本，训练便宜，学到的结构却很丰富：*男 → 女*、*国家 → 首都* 这样的方向会自己出现，所以类比
可以用向量加减来完成。但一个词无论有几种含义都只有一个向量（*bank* 既是银行也是河岸），没见过的词没有向量（因此会给出
拼写建议），而且向量会照搬语料中的偏见。

**应用场景。** 搜索、推荐（item2vec）和传统 NLP 的特征，以及其他网络的初始词嵌入：LSTM 标签页就是从这些向量起步的。
BERT、GPT 这类上下文相关的词嵌入是它的后继者。下方的 PCA 图展示你的词的邻域；相似度就是 $\cos(v_a, v_b)$。
""",
        "word2vec.source": "查询哪一组词向量？",
        "word2vec.hub_vectors": "本站的词向量",
        "word2vec.your_text": "你的文本",
        "word2vec.neighbours_tab": "最近邻",
        "word2vec.word": "单词",
        "word2vec.k": "近邻个数（k）",
        "word2vec.find": "查找近邻",
        "word2vec.examples": "示例",
        "word2vec.neighbours": "最近的词（余弦相似度）",
        "word2vec.map": "邻域的 PCA 图",
        "word2vec.similarity_tab": "相似度",
        "word2vec.first": "第一个词",
        "word2vec.second": "第二个词",
        "word2vec.compare": "比较",
        "word2vec.analogy_tab": "类比",
        "word2vec.a": "a",
        "word2vec.b": "− b",
        "word2vec.c": "+ c",
        "word2vec.answers": "答案个数",
        "word2vec.analogy": "a − b + c = ？",
        "word2vec.best": "最佳答案",
        "word2vec.train_panel": "用你自己的文本训练",
        "word2vec.paste": "粘贴文本（英文，或任何用空格分词的语言）",
        "word2vec.upload": f"……或上传一个 .txt 文件（≤ {MAX_UPLOAD_BYTES // 2**20} MB）",
        "word2vec.epochs": "训练轮数",
        "word2vec.window": "上下文窗口",
        "word2vec.min_count": "最小词频",
        "word2vec.train": "训练",
    },
}


def build() -> None:
    gr.Markdown(t("word2vec.intro"))
    principle("word2vec.principle")
    user_vectors = gr.State(None, time_to_live=3600)
    source = gr.Radio([(t("word2vec.hub_vectors"), SOURCES[0]), (t("word2vec.your_text"), SOURCES[1])],
                      value=SOURCES[0], label=t("word2vec.source"))
    with gr.Tab(t("word2vec.neighbours_tab")):
        with gr.Row():
            with gr.Column(scale=1):
                word = gr.Textbox(label=t("word2vec.word"), value="movie")
                k = gr.Slider(*LIMITS["k"], value=10, step=1, label=t("word2vec.k"))
                neighbours_btn = gr.Button(t("word2vec.find"), variant="primary")
                gr.Examples([["movie"], ["king"], ["france"], ["terrible"], ["science"], ["thou"]], inputs=word,
                            label=t("word2vec.examples"))
                neighbours_note = gr.Markdown()
            neighbours_table = gr.Dataframe(headers=list(COLUMNS.values()), label=t("word2vec.neighbours"),
                                            interactive=False, scale=1)
            scatter = gr.ScatterPlot(x="x", y="y", color="group", tooltip=["word", "cosine"], x_title="PC 1",
                                     y_title="PC 2", title=t("word2vec.map"), height=360, scale=2)
    with gr.Tab(t("word2vec.similarity_tab")):
        with gr.Row():
            word_a = gr.Textbox(label=t("word2vec.first"), value="car")
            word_b = gr.Textbox(label=t("word2vec.second"), value="truck")
        similarity_btn = gr.Button(t("word2vec.compare"), variant="primary")
        gr.Examples([["car", "truck"], ["car", "philosophy"], ["good", "bad"], ["music", "song"], ["king", "queen"]],
                    inputs=[word_a, word_b], label=t("word2vec.examples"))
        similarity_out = gr.Markdown()
    with gr.Tab(t("word2vec.analogy_tab")):
        with gr.Row():
            analogy_a = gr.Textbox(label=t("word2vec.a"), value="king")
            analogy_b = gr.Textbox(label=t("word2vec.b"), value="man")
            analogy_c = gr.Textbox(label=t("word2vec.c"), value="woman")
            analogy_k = gr.Slider(1, 20, value=5, step=1, label=t("word2vec.answers"))
        analogy_btn = gr.Button(t("word2vec.analogy"), variant="primary")
        gr.Examples([["king", "man", "woman"], ["father", "man", "woman"], ["london", "england", "france"],
                     ["went", "go", "come"], ["actor", "man", "woman"], ["thou", "you", "your"]],
                    inputs=[analogy_a, analogy_b, analogy_c], label=t("word2vec.examples"))
        with gr.Row():
            analogy_out = gr.Markdown()
            analogy_table = gr.Dataframe(headers=list(COLUMNS.values()), label=t("word2vec.best"), interactive=False)
    with gr.Accordion(t("word2vec.train_panel"), open=False):
        with gr.Row():
            with gr.Column(scale=2):
                train_text = gr.Textbox(label=t("word2vec.paste"), lines=6)
                train_file = gr.File(label=t("word2vec.upload"), file_types=[".txt"], type="filepath")
            with gr.Column(scale=1):
                epochs = gr.Slider(*LIMITS["epochs"], value=20, step=1, label=t("word2vec.epochs"))
                window = gr.Slider(*LIMITS["window"], value=5, step=1, label=t("word2vec.window"))
                min_count = gr.Slider(*LIMITS["min_count"], value=2, step=1, label=t("word2vec.min_count"))
                train_btn = gr.Button(t("word2vec.train"), variant="primary")
        train_status = gr.Markdown()

    neighbours_btn.click(nearest_words, [word, k, source, user_vectors], [neighbours_table, scatter, neighbours_note],
                         api_name="word2vec_neighbors")
    word.submit(nearest_words, [word, k, source, user_vectors], [neighbours_table, scatter, neighbours_note],
                api_visibility="private")
    similarity_btn.click(word_similarity, [word_a, word_b, source, user_vectors], similarity_out,
                         api_name="word2vec_similarity")
    analogy_btn.click(word_analogy, [analogy_a, analogy_b, analogy_c, analogy_k, source, user_vectors],
                      [analogy_table, analogy_out], api_name="word2vec_analogy")
    train_btn.click(train_word2vec_on_text, [train_text, train_file, epochs, window, min_count],
                    [train_status, user_vectors, source], api_name="word2vec_train", **HEAVY,
                    api_visibility="undocumented")  # trains gr.State vectors: MCP calls keep no session
    model_card("word2vec")
