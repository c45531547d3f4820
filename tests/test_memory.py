"""The LSTM tab's live section: a tanh RNN and an LSTM learn to recall the first symbol after T distractors
(models/memory.py, demos/lstm/memory.py). Tiny budgets; the default-budget T = 50 comparison is in
`python -m demos.bench` (it takes 30 s)."""
import zipfile

import gradio as gr
import pytest
import torch

from demos.lstm.memory import lstm_memory_gradients, lstm_memory_train, lstm_memory_upload
from models.memory import DISTRACTORS, SYMBOLS, build_pair, grad_ratio, input_grad_norms, make_batch, train_pair


def test_batch_marks_the_first_symbol_and_asks_for_it():
    x, y = make_batch(32, 7, torch.Generator().manual_seed(0))
    assert x.shape == (32, 8, SYMBOLS + 1 + DISTRACTORS)
    assert torch.equal(x[:, 0, :SYMBOLS].argmax(1), y)
    assert x[:, 0, SYMBOLS].eq(1).all() and x[:, 1:, :SYMBOLS + 1].eq(0).all()
    assert x[:, 1:, SYMBOLS + 1:].sum(2).eq(1).all() and x[:, 0, SYMBOLS + 1:].eq(0).all()  # one distractor per step
    assert len(set(x[:, 1:, SYMBOLS + 1:].argmax(2).flatten().tolist())) == DISTRACTORS


def test_lstm_forget_gate_bias_and_same_seed_same_weights():
    a = build_pair(16, torch.Generator().manual_seed(1), forget_bias=1.0)
    b = build_pair(16, torch.Generator().manual_seed(1), forget_bias=1.0)
    bias = a["lstm"].recurrent.bias_ih_l0
    assert bias[16:32].eq(1).all() and bias[:16].eq(0).all()
    for name in a:
        for (key, va), vb in zip(a[name].state_dict().items(), b[name].state_dict().values()):
            assert torch.equal(va, vb), key


def test_rnn_gradient_fades_back_through_time_and_the_lstm_one_less():
    x, y = make_batch(64, 30, torch.Generator().manual_seed(0))
    pair = build_pair(32, torch.Generator().manual_seed(0))
    rnn, lstm = (input_grad_norms(pair[k], x, y) for k in ("rnn", "lstm"))
    assert len(rnn) == len(lstm) == 31
    assert grad_ratio(rnn) < 1e-4        # 30 steps back, the RNN's gradient is nearly gone
    assert grad_ratio(lstm) > 1e3 * grad_ratio(rnn)


def _train(distance, steps, seed=0, hidden=16):
    generator = torch.Generator().manual_seed(seed)
    pair = build_pair(hidden, generator)
    *_, last = train_pair(pair, distance, 0.02, 64, 60, steps, generator)
    return last


def test_both_learn_at_small_distance_with_a_tiny_budget():
    last = _train(distance=5, steps=120)
    accs = {name: h["accuracy"][-1] for name, h in last["history"].items()}
    assert accs["lstm"] > 0.6 and accs["rnn"] > 0.3, accs  # chance: 0.125
    assert last["step"] == 120 and last["done"]


def test_same_seed_same_curves():
    a, b, c = _train(8, 10, seed=2), _train(8, 10, seed=2), _train(8, 10, seed=3)
    assert a["history"] == b["history"] and a["grad_now"] == b["grad_now"]
    assert a["history"]["lstm"]["loss"] != c["history"]["lstm"]["loss"]


# --- the handlers --------------------------------------------------------------
def _tiny_run(**kw):
    args = dict(distance=6, hidden=8, seconds=20, max_steps=12, seed=0) | kw
    return list(lstm_memory_train(**args))


def test_handler_streams_accuracy_against_chance_gradients_and_a_download():
    frames = _tiny_run()
    curves, grads, status, file, run = frames[-1]
    assert set(curves.series) == {"tanh RNN · 普通 RNN", "LSTM", "chance 1/8 · 随机猜测"}
    assert curves[curves.series.str.startswith("chance")].value.eq(1 / 8).all()
    assert len(grads) == 4 * 7  # 2 networks x (at init, now) x (T + 1) steps
    assert "step 12" in status and "第 12 步" in status
    assert zipfile.is_zipfile(file) and run["config"]["distance"] == 6
    assert all(frame[3] is None for frame in frames[:-1])


def test_same_seed_same_handler_curves():
    assert _tiny_run(seed=4)[-1][0].equals(_tiny_run(seed=4)[-1][0])


@pytest.mark.parametrize("kw", [{"distance": 4}, {"distance": 10**9}, {"distance": float("nan")}, {"hidden": None},
                                {"learning_rate": 1.0}, {"batch_size": 2.5}, {"seconds": 31}, {"max_steps": 10**7},
                                {"forget_bias": float("-inf")}, {"seed": -1}])
def test_handler_refuses_bad_values_in_both_languages(kw):
    with pytest.raises(gr.Error) as info:
        _tiny_run(**kw)
    english, chinese = str(info.value.message).split("\n", 1)
    assert english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese)


def test_download_upload_round_trip_and_a_longer_distance():
    *_, file, run = _tiny_run()[-1]
    grads, status, uploaded = lstm_memory_upload(file, distance=20, seed=1)
    for name, model in run["models"].items():
        for key, value in model.state_dict().items():
            assert torch.equal(uploaded["models"][name].state_dict()[key], value), key
    assert len(grads) == 2 * 21 and "T = 20" in status and "trained at T = 6" in status
    again, _ = lstm_memory_gradients(uploaded, 20, seed=1)
    assert again.equals(grads)
    with pytest.raises(gr.Error):
        lstm_memory_gradients(uploaded, 500)


def test_upload_refuses_other_files(tmp_path):
    from models.live import save_trained

    other = save_trained("resnet-depth-pair", {"depth": 8}, {"w": torch.zeros(1)})
    with pytest.raises(gr.Error, match="not one of this section"):
        lstm_memory_upload(str(other))
    huge = save_trained("lstm-memory-pair", {"hidden": 10**6, "distance": 5}, {"w": torch.zeros(1)})
    with pytest.raises(gr.Error, match="hidden must be"):
        lstm_memory_upload(str(huge))
    with pytest.raises(gr.Error, match="No file"):
        lstm_memory_upload(None)
    with pytest.raises(gr.Error, match="Nothing trained yet"):
        lstm_memory_gradients(None)
