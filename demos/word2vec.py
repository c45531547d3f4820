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

from .common import check_choice, check_number, model_card

SOURCES = ("hub vectors", "your text")
MAX_TRAIN_CHARS = 1_000_000          # pasted or uploaded text beyond this is cut (and the user is told)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024   # a bigger .txt is refused before it is read
MIN_TRAIN_WORDS = 200
USER_CONFIG = {"vector_size": 50, "negative": 5, "sample": 1e-3}
LIMITS = {"k": (1, 50), "epochs": (1, 100), "window": (1, 15), "min_count": (1, 50)}
MAX_WORD_CHARS = 60


def load_hub_vectors():
    from models.cache import load_model
    from models.persistence import weights_dir
    from models.word2vec import load_vectors

    try:
        return load_model("word2vec", lambda: load_vectors(weights_dir("word2vec")))
    except FileNotFoundError:
        raise gr.Error("The Word2Vec vectors are missing: run `python -m models train word2vec`.") from None


def pick_vectors(source, user_vectors):
    source = check_choice(source, "Vectors", SOURCES)
    if source == SOURCES[0]:
        return load_hub_vectors()
    if user_vectors is None:
        raise gr.Error("You have not trained a model on your own text yet: use “Train on your own text” below "
                       "(or pick the hub vectors).")
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


def lookup(kv, word, name: str = "Word") -> str:
    """The vocabulary entry for `word`, or a gr.Error that suggests the closest known spellings."""
    if word is None or not isinstance(word, str) or not word.strip():
        raise gr.Error(f"{name}: type one English word.")
    word = word.strip().lower().replace("\u2019", "'")
    if len(word) > MAX_WORD_CHARS:
        raise gr.Error(f"{name}: that is {len(word)} characters long; type one word.")
    if re.search(r"\s", word):
        raise gr.Error(f"{name}: type a single word, not {word[:40]!r}.")
    if word in kv.key_to_index:
        return word
    if not any(ch.isalnum() for ch in word):
        raise gr.Error(f"{name}: “{word}” has no letters; type an English word.")
    close = closest_spellings(kv, word)
    hint = f" Closest known spellings: {', '.join(close)}." if close else ""
    raise gr.Error(f"{name}: “{word}” is not among the {len(kv):,} words these vectors know.{hint}")


def projection(kv, words: list[str]) -> np.ndarray:
    """2-D PCA coordinates of the unit-length vectors of `words`."""
    vecs = np.stack([kv.get_vector(w, norm=True) for w in words])
    centred = vecs - vecs.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def nearest_neighbors(word, k=10, source=SOURCES[0], user_vectors=None):
    """-> (table of the k nearest words by cosine, 2-D PCA scatter of the word and its neighbours, note)."""
    import pandas as pd

    kv = pick_vectors(source, user_vectors)
    k = check_number(k, "Number of neighbours", *LIMITS["k"], integer=True)
    word = lookup(kv, word)
    neighbours = kv.most_similar(word, topn=min(k, len(kv) - 1))
    table = pd.DataFrame({"word": [w for w, _ in neighbours], "cosine": [round(s, 3) for _, s in neighbours]})
    words = [word] + [w for w, _ in neighbours]
    xy = projection(kv, words)
    scatter = pd.DataFrame({"x": xy[:, 0].round(4), "y": xy[:, 1].round(4), "word": words,
                            "cosine": [1.0] + list(table["cosine"]),
                            "group": ["your word"] + ["neighbour"] * len(neighbours)})
    note = (f"The {len(neighbours)} words whose vectors point most nearly the same way as **{word}** "
            f"(cosine similarity), out of {len(kv):,}. Hover a dot in the map to see its word.")
    return table, scatter, note


def word_similarity(word_a, word_b, source=SOURCES[0], user_vectors=None):
    """-> Markdown with cos(a, b) and what it means."""
    kv = pick_vectors(source, user_vectors)
    a, b = lookup(kv, word_a, "First word"), lookup(kv, word_b, "Second word")
    sim = float(kv.similarity(a, b))
    rank = int(kv.rank(a, b)) if a != b else 0
    words = "very similar" if sim > 0.7 else "related" if sim > 0.4 else "weakly related" if sim > 0.2 else "unrelated"
    return (f"### cos({a}, {b}) = {sim:.3f}\n{words} in this corpus"
            + (f" · **{b}** is the {rank:,}{_ordinal(rank)} nearest word to **{a}**." if rank else "."))


def _ordinal(n: int) -> str:
    return "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def word_analogy(word_a, word_b, word_c, k=5, source=SOURCES[0], user_vectors=None):
    """a − b + c: e.g. king − man + woman ≈ queen. -> (table of the k best answers, Markdown)."""
    import pandas as pd

    kv = pick_vectors(source, user_vectors)
    k = check_number(k, "Number of answers", *LIMITS["k"], integer=True)
    a, b, c = lookup(kv, word_a, "a"), lookup(kv, word_b, "b"), lookup(kv, word_c, "c")
    if len({a, b, c}) < 3:
        raise gr.Error("Use three different words (a − b + c), e.g. king − man + woman.")
    answers = kv.most_similar(positive=[a, c], negative=[b], topn=min(k, len(kv) - 3))
    table = pd.DataFrame({"word": [w for w, _ in answers], "cosine": [round(s, 3) for _, s in answers]})
    best = answers[0][0] if answers else "?"
    return table, f"### {a} − {b} + {c} ≈ **{best}**\nthe word nearest to the vector `v({a}) − v({b}) + v({c})`."


# --- train on your own text --------------------------------------------------
def read_training_text(text, file) -> tuple[str, list[str]]:
    notes = []
    if text is not None and not isinstance(text, str):
        raise gr.Error("Text must be a string.")
    chunks = [text or ""]
    if file is not None:
        path = file.get("path") if isinstance(file, dict) else file if isinstance(file, str) else getattr(file, "name", None)
        if not path or not os.path.isfile(path):
            raise gr.Error("The uploaded file could not be read; upload a plain .txt file.")
        if os.path.getsize(path) > MAX_UPLOAD_BYTES:
            raise gr.Error(f"That file is {os.path.getsize(path) / 2**20:.1f} MB; upload at most "
                           f"{MAX_UPLOAD_BYTES // 2**20} MB of plain text.")
        with open(path, "rb") as f:
            raw = f.read()
        if b"\0" in raw[:4096]:
            raise gr.Error("That file is not plain text (upload a .txt file).")
        chunks.append(raw.decode("utf-8", errors="replace"))
    full = "\n".join(c for c in chunks if c)
    if len(full) > MAX_TRAIN_CHARS:
        notes.append(f"Your text has {len(full):,} characters; training uses the first {MAX_TRAIN_CHARS:,}.")
        full = full[:MAX_TRAIN_CHARS]
    return full, notes


def training_sentences(text: str) -> list[list[str]]:
    from models.text import tokenize

    pieces = re.split(r"[\n.!?;]+", text)
    return [words for words in (tokenize(p, punctuation=False) for p in pieces) if words]


def train_on_text(text, file=None, epochs=20, window=5, min_count=2):
    """Train Word2Vec on the user's text; streams (status Markdown, the session's vectors, the source to query)."""
    from models.word2vec import train_word2vec, vectors_from_arrays

    epochs = check_number(epochs, "Epochs", *LIMITS["epochs"], integer=True)
    window = check_number(window, "Window", *LIMITS["window"], integer=True)
    min_count = check_number(min_count, "Minimum count", *LIMITS["min_count"], integer=True)
    full, notes = read_training_text(text, file)
    sentences = training_sentences(full)
    n_words = sum(map(len, sentences))
    if n_words < MIN_TRAIN_WORDS:
        raise gr.Error(f"Paste or upload more text: I found {n_words} words; Word2Vec needs at least "
                       f"{MIN_TRAIN_WORDS} (a few paragraphs; a book chapter or more gives useful vectors).")
    counts: dict[str, int] = {}
    for s in sentences:
        for w in s:
            counts[w] = counts.get(w, 0) + 1
    kept = sum(c >= min_count for c in counts.values())
    if kept < 10:
        raise gr.Error(f"Only {kept} distinct words occur at least {min_count} times; lower the minimum count "
                       "or add more text.")
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

    head = f"{n_words:,} words, {kept:,} distinct words seen ≥ {min_count}×. " + " ".join(notes)
    yield f"Training… {head}", gr.skip(), gr.skip()
    threading.Thread(target=work, daemon=True).start()
    t0 = time.monotonic()
    while (event := events.get()) is not None:
        epoch, _ = event
        yield f"Epoch {epoch}/{epochs} · {time.monotonic() - t0:.1f} s · {head}", gr.skip(), gr.skip()
    if "error" in result:
        raise gr.Error(f"Training failed: {str(result['error'])[:200]}")
    wv = result["model"].wv
    kv = vectors_from_arrays(list(wv.index_to_key), wv.vectors)
    top = ", ".join(kv.index_to_key[:8])
    done = (f"**Trained on your text** in {time.monotonic() - t0:.1f} s: {len(kv):,} words × {kv.vector_size} "
            f"dimensions, {epochs} epochs. Most frequent: {top}. The queries above now use *your text*. {' '.join(notes)}")
    yield done, kv, SOURCES[1]


EXPLANATION = """
**Word2Vec** turns every word into a vector of 100 numbers so that words used in similar contexts get similar
vectors. *Skip-gram with negative sampling* learns them by training a tiny network to tell, for a word `w` and a word
`c` seen within a few words of it, real pairs from random ones: it maximises
`log σ(v_c · v_w) + Σ log σ(−v_n · v_w)` over ~10 random "noise" words `n`. These vectors were learned from about
4.6 million words of English (the Brown corpus, ABC news, movie reviews, State of the Union and inaugural addresses,
web text, WSJ, Shakespeare); their WordSim-353 and analogy scores are in the model card at the bottom.

- **Nearest neighbours**: the words with the highest cosine similarity `cos(u, v) = u·v / (|u||v|)`.
  The map squeezes your word and its neighbours from 100 dimensions to 2 with PCA (hover the dots).
- **Similarity**: the cosine of two words (1 = same direction, 0 = unrelated).
- **Analogies**: `v(a) − v(b) + v(c)`: *king − man + woman* lands near *queen* when the corpus teaches it.
- **Your own text**: train a small model (50 dimensions) on a text you paste or upload, then query it above.
"""


def build() -> None:
    gr.Markdown(EXPLANATION)
    user_vectors = gr.State(None, time_to_live=3600)
    source = gr.Radio(list(SOURCES), value=SOURCES[0], label="Query which vectors?")
    with gr.Tab("Nearest neighbours"):
        with gr.Row():
            with gr.Column(scale=1):
                word = gr.Textbox(label="Word", value="movie")
                k = gr.Slider(*LIMITS["k"], value=10, step=1, label="Neighbours (k)")
                neighbours_btn = gr.Button("Find neighbours", variant="primary")
                gr.Examples([["movie"], ["king"], ["france"], ["terrible"], ["science"], ["thou"]], inputs=word)
                neighbours_note = gr.Markdown()
            neighbours_table = gr.Dataframe(label="Nearest words (cosine)", interactive=False, scale=1)
            scatter = gr.ScatterPlot(x="x", y="y", color="group", tooltip=["word", "cosine"], x_title="PC 1",
                                     y_title="PC 2", title="PCA map of the neighbourhood", height=360, scale=2)
    with gr.Tab("Similarity"):
        with gr.Row():
            word_a = gr.Textbox(label="First word", value="car")
            word_b = gr.Textbox(label="Second word", value="truck")
        similarity_btn = gr.Button("Compare", variant="primary")
        gr.Examples([["car", "truck"], ["car", "philosophy"], ["good", "bad"], ["music", "song"], ["king", "queen"]],
                    inputs=[word_a, word_b])
        similarity_out = gr.Markdown()
    with gr.Tab("Analogies"):
        with gr.Row():
            analogy_a = gr.Textbox(label="a", value="king")
            analogy_b = gr.Textbox(label="− b", value="man")
            analogy_c = gr.Textbox(label="+ c", value="woman")
            analogy_k = gr.Slider(1, 20, value=5, step=1, label="Answers")
        analogy_btn = gr.Button("a − b + c = ?", variant="primary")
        gr.Examples([["king", "man", "woman"], ["father", "man", "woman"], ["london", "england", "france"],
                     ["went", "go", "come"], ["actor", "man", "woman"], ["thou", "you", "your"]],
                    inputs=[analogy_a, analogy_b, analogy_c])
        with gr.Row():
            analogy_out = gr.Markdown()
            analogy_table = gr.Dataframe(label="Best answers", interactive=False)
    with gr.Accordion("Train on your own text", open=False):
        with gr.Row():
            with gr.Column(scale=2):
                train_text = gr.Textbox(label="Paste text (English or any language written with spaces)", lines=6)
                train_file = gr.File(label=f"…or upload a .txt (≤ {MAX_UPLOAD_BYTES // 2**20} MB)", file_types=[".txt"],
                                     type="filepath")
            with gr.Column(scale=1):
                epochs = gr.Slider(*LIMITS["epochs"], value=20, step=1, label="Epochs")
                window = gr.Slider(*LIMITS["window"], value=5, step=1, label="Context window")
                min_count = gr.Slider(*LIMITS["min_count"], value=2, step=1, label="Minimum word count")
                train_btn = gr.Button("Train", variant="primary")
        train_status = gr.Markdown()

    neighbours_btn.click(nearest_neighbors, [word, k, source, user_vectors], [neighbours_table, scatter, neighbours_note],
                         api_name="word2vec_neighbors")
    word.submit(nearest_neighbors, [word, k, source, user_vectors], [neighbours_table, scatter, neighbours_note],
                api_visibility="private")
    similarity_btn.click(word_similarity, [word_a, word_b, source, user_vectors], similarity_out,
                         api_name="word2vec_similarity")
    analogy_btn.click(word_analogy, [analogy_a, analogy_b, analogy_c, analogy_k, source, user_vectors],
                      [analogy_table, analogy_out], api_name="word2vec_analogy")
    train_btn.click(train_on_text, [train_text, train_file, epochs, window, min_count],
                    [train_status, user_vectors, source], api_name="word2vec_train", concurrency_limit=2)
    model_card("word2vec")
