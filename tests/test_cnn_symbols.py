"""The CNN tab's "Teach it your own symbols": the training functions learn (models/symbols.py), the handlers check
their input and answer in both languages, same seed -> same accuracies, download -> upload round trip."""
import functools
import re
import zipfile

import gradio as gr
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import models.symbols as symbols_model  # noqa: E402
from demos.cnn import symbols  # noqa: E402
from demos.digits import load_digit_model  # noqa: E402
from demos.samples import SYMBOL_STROKES, draw_symbol, sketchpad_value  # noqa: E402

CJK = re.compile(r"[\u3400-\u9fff]")
NAMES = symbols.EXAMPLE_NAMES
# tiny step caps: each test takes seconds; the budgets are generous so the caps, not the clock, end the loops
TINY = {"leave_one_out_accuracy": {"steps": 60, "copies": 6},
        "train_from_scratch": {"steps": 4, "folds": 2, "batch": 8}}


def drawing(name: str, seed: int = 1) -> dict:
    return sketchpad_value(draw_symbol(SYMBOL_STROKES[name], np.random.default_rng(seed)))


def blank() -> dict:
    return sketchpad_value(np.zeros((360, 360, 4), np.uint8))


def last(stream):
    for item in stream:
        pass
    return item


@pytest.fixture(scope="module")
def example_set():
    _, _, drawings, gallery, status = symbols.load_symbol_examples()
    return drawings


@pytest.fixture(scope="module")
def tensors(example_set):
    names, images, labels = symbols.training_set(NAMES, example_set)
    return names, images, labels


# --- the training functions -------------------------------------------------------
def test_transfer_beats_chance_and_scratch_on_the_example_set(tensors):
    names, images, labels = tensors
    k = len(names)
    transfer = last(symbols_model.leave_one_out_accuracy(load_digit_model("cnn"), images, labels, k,
                                                        torch.Generator().manual_seed(0), seconds=60, **TINY[
                                                            "leave_one_out_accuracy"]))
    scratch = last(symbols_model.train_from_scratch(images, labels, k, torch.Generator().manual_seed(0), seconds=60,
                                                    **TINY["train_from_scratch"]))
    assert transfer["folds"] == len(labels) and transfer["steps"] == 60
    assert scratch["folds"] == 2 and scratch["steps"] == 4
    assert transfer["accuracy"] >= 0.8 > 1 / k       # chance: 20 %
    assert transfer["accuracy"] >= scratch["accuracy"]
    assert transfer["weight"].shape == (k, symbols_model.FEATURES) and transfer["bias"].shape == (k,)


def test_the_kept_head_reads_new_drawings(tensors):
    names, images, labels = tensors
    extractor = load_digit_model("cnn")
    gen = torch.Generator().manual_seed(0)
    features = symbols_model.head_features(extractor, symbols_model.augment(images.repeat(4, 1, 1, 1), gen))
    weight, bias = symbols_model.train_symbol_head(features, labels.repeat(4), len(names), gen, steps=60)
    model = symbols_model.SymbolClassifier(extractor, weight, bias)
    fresh = torch.from_numpy(np.stack([symbols.read_symbol(drawing(name, seed=99)) for name in names])).unsqueeze(1)
    with torch.inference_mode():
        assert (model(fresh).argmax(1) == torch.arange(len(names))).float().mean() >= 0.8


def test_same_seed_same_results(tensors):
    names, images, labels = tensors
    extractor = load_digit_model("cnn")
    runs = [last(symbols_model.leave_one_out_accuracy(extractor, images, labels, len(names),
                                                      torch.Generator().manual_seed(3), seconds=60, steps=20, copies=3))
            for _ in range(2)]
    assert runs[0]["predictions"] == runs[1]["predictions"] and torch.equal(runs[0]["weight"], runs[1]["weight"])
    runs = [last(symbols_model.train_from_scratch(images, labels, len(names), torch.Generator().manual_seed(3),
                                                  seconds=60, steps=2, folds=2, batch=4)) for _ in range(2)]
    assert runs[0]["predictions"] == runs[1]["predictions"]


def test_stratified_folds_spread_every_class():
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 1, 2, 2])
    folds = symbols_model.stratified_folds(labels, 2)
    for c in range(3):
        assert set(folds[labels == c].tolist()) == {0, 1}


def test_confusion_matrix_counts():
    counts = symbols_model.confusion_matrix([0, 0, 1, 2], [0, 1, 1, 0], 3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


# --- handlers ------------------------------------------------------------------------
def test_add_remove_clear():
    state, gallery, status, canvas = symbols.add_symbol_drawing("✓, ✗", "✗", drawing("✗"))
    state, gallery, status, canvas = symbols.add_symbol_drawing("✓, ✗", "✓", drawing("✓"), state)
    state, gallery, status, canvas = symbols.add_symbol_drawing("✓, ✗", "✗", drawing("✗", 2), state)
    assert state["labels"] == ["✗", "✗", "✓"]  # grouped by class: gallery item i is drawing i
    assert [caption for _, caption in gallery] == ["✗ · #1", "✗ · #2", "✓ · #3"]
    assert canvas is None and state["images"][0].shape == (28, 28)
    assert "3 drawing(s)" in status and CJK.search(status)
    state, gallery, status = symbols.remove_symbol_drawing(2, state)
    assert state["labels"] == ["✗", "✓"] and len(gallery) == 2
    with pytest.raises(gr.Error, match="Drawing number must be between 1 and 2"):
        symbols.remove_symbol_drawing(3, state)
    state, gallery, status = symbols.clear_symbol_drawings()
    assert state == {"labels": [], "images": []} and gallery == [] and CJK.search(status)


@pytest.mark.parametrize("names, target, message", [
    ("✓", "✓", "Name at least 2 classes"),
    (", ".join(f"c{i}" for i in range(11)), "c0", "At most 10 classes"),
    ("✓, " + "x" * 31, "✓", "at most 30 characters"),
    ("✓, ✓", "✓", "appears twice"),
    ("✓, ✗", "○", "Pick the class"),
    (None, "✓", "Class names must be text"),
])
def test_add_refuses_bad_names_in_both_languages(names, target, message):
    with pytest.raises(gr.Error) as info:
        symbols.add_symbol_drawing(names, target, drawing("✓"))
    en, zh = info.value.message.split("\n")
    assert message in en and CJK.search(zh)


def test_add_refuses_an_empty_drawing_and_the_51st():
    with pytest.raises(gr.Error, match="The drawing is empty"):
        symbols.add_symbol_drawing("✓, ✗", "✓", blank())
    with pytest.raises(gr.Error, match="The drawing is empty"):
        symbols.add_symbol_drawing("✓, ✗", "✓", None)
    full = {"labels": ["✓"] * symbols.MAX_DRAWINGS, "images": [np.zeros((28, 28), np.float32)] * symbols.MAX_DRAWINGS}
    with pytest.raises(gr.Error, match="At most 50 drawings"):
        symbols.add_symbol_drawing("✓, ✗", "✓", drawing("✓"), full)


@pytest.mark.parametrize("names, budget, message", [
    ("✓", 5, "Name at least 2 classes"),
    (NAMES, float("nan"), "Budget (seconds) must be between 1.0 and 10.0"),
    (NAMES, 11, "Budget (seconds) must be between 1.0 and 10.0"),
    (NAMES, None, "Budget (seconds) must be a number"),
    (NAMES + ", ☆", 5, "'☆' has 0"),
    ("✓, ✗, ○, △", 5, "no longer among the class names"),
])
def test_train_refuses_bad_input_in_both_languages(example_set, names, budget, message):
    with pytest.raises(gr.Error) as info:
        last(symbols.train_symbols(names, budget, 0, example_set))
    en, zh = info.value.message.split("\n")
    assert message in en and CJK.search(zh)


def test_train_needs_two_drawings_per_class():
    state = symbols.add_symbol_drawing("✓, ✗", "✓", drawing("✓"))[0]
    state = symbols.add_symbol_drawing("✓, ✗", "✓", drawing("✓", 2), state)[0]
    state = symbols.add_symbol_drawing("✓, ✗", "✗", drawing("✗"), state)[0]
    with pytest.raises(gr.Error, match="at least 2 drawings .*'✗' has 1"):
        last(symbols.train_symbols("✓, ✗", 5, 0, state))
    with pytest.raises(gr.Error, match="Every class needs"):
        last(symbols.train_symbols("✓, ✗", 5, 0, None))  # no drawings at all (a script that sent no state)


@pytest.fixture(scope="module")
def trained_run(example_set):
    """The train handler run to the end with tiny caps, twice with the same seed."""
    patch = pytest.MonkeyPatch()
    for name, caps in TINY.items():
        patch.setattr(symbols_model, name, functools.partial(getattr(symbols_model, name), **caps))
    try:
        runs = [list(symbols.train_symbols(NAMES, 10, 7, example_set)) for _ in range(2)]
    finally:
        patch.undo()
    return runs


def test_train_streams_and_reports_both_accuracies(trained_run):
    updates = trained_run[0]
    assert len(updates) >= 3
    status, transfer_cm, scratch_cm, transfer_wrong, scratch_wrong, trained, download = updates[-1]
    match = re.search(r"Transfer (\d+)% leave-one-out vs scratch (\d+)% 2-fold", status)
    assert match and int(match[1]) >= 80 and CJK.search(status), status
    assert int(match[1]) >= int(match[2])
    transfer_cm = next(u[1] for u in updates if hasattr(u[1], "columns"))
    assert transfer_cm.iloc[:, 1:].to_numpy().sum() == 20 and CJK.search(" ".join(transfer_cm.columns))
    assert scratch_cm.iloc[:, 1:].to_numpy().sum() == 20
    assert all(" → " in caption for _, caption in scratch_wrong)
    assert trained["classes"] == ["✓", "✗", "○", "△", "□"] and trained["weight"].shape == (5, 128)
    assert zipfile.is_zipfile(download)


def test_same_seed_same_accuracies_through_the_handler(trained_run):
    first, second = (run[-1] for run in trained_run)
    seconds = r"\d+\.\d ?(s|秒)"  # the times differ, nothing else
    assert re.sub(seconds, "", first[0]) == re.sub(seconds, "", second[0])
    np.testing.assert_array_equal(first[5]["weight"], second[5]["weight"])


def test_predict_with_the_trained_head(trained_run):
    trained = trained_run[0][-1][5]
    probs, seen, heat = symbols.predict_symbol(drawing("○", seed=42), trained)
    assert max(probs, key=probs.get) == "○" and abs(sum(probs.values()) - 1) < 1e-4
    assert seen.shape == (280, 280) and heat.shape == (280, 280, 3)
    with pytest.raises(gr.Error, match="Train on your drawings first"):
        symbols.predict_symbol(drawing("○"), None)
    with pytest.raises(gr.Error, match="The drawing is empty"):
        symbols.predict_symbol(blank(), trained)


def test_download_upload_round_trip(trained_run):
    trained, download = trained_run[0][-1][5:7]
    uploaded, status = symbols.upload_symbol_head({"path": download})
    assert uploaded["classes"] == trained["classes"] and "5 classes" in status and CJK.search(status)
    original = symbols.predict_symbol(drawing("△", 5), trained)[0]
    again = symbols.predict_symbol(drawing("△", 5), uploaded)[0]
    assert original == pytest.approx(again, abs=1e-6)


def test_bad_uploads_are_refused(trained_run, tmp_path):
    from models.live import save_trained

    trained = trained_run[0][-1][5]
    not_zip = tmp_path / "head.zip"
    not_zip.write_text("not a zip")
    wrong_kind = save_trained("gpt", {"classes": ["a", "b"], "features": 128},
                              {"head.weight": torch.zeros(2, 128), "head.bias": torch.zeros(2)})
    wrong_shape = save_trained(symbols.KIND, {"classes": ["a", "b", "c"], "features": 128},
                               {"head.weight": torch.as_tensor(trained["weight"]), "head.bias": torch.zeros(3)})
    bad_names = save_trained(symbols.KIND, {"classes": ["a", "a"], "features": 128},
                             {"head.weight": torch.zeros(2, 128), "head.bias": torch.zeros(2)})
    too_big = save_trained(symbols.KIND, {"classes": ["a", "b"], "features": 128},
                           {"head.weight": torch.zeros(2, 128), "head.bias": torch.zeros(2),
                            "padding": torch.rand(100_000)})
    for path, message in [(not_zip, "not a model file"), (wrong_kind, "not one of this section"),
                          (wrong_shape, "head.weight has shape (5, 128); the config needs (3, 128)"),
                          (bad_names, "appears twice"), (too_big, "the limit is")]:
        with pytest.raises(gr.Error) as info:
            symbols.upload_symbol_head(str(path))
        en, zh = info.value.message.split("\n", 1)
        assert "Upload refused" in en and message in en and CJK.search(zh), info.value.message
    with pytest.raises(gr.Error, match="No file"):
        symbols.upload_symbol_head(None)
