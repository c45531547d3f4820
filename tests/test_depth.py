"""The ResNet tab's live section: plain vs residual trained side by side (models/depth.py, demos/resnet/depth.py).
Tiny budgets (a few steps of 8-layer, 4-channel networks): behaviour, not speed."""
import math
import zipfile

import gradio as gr
import pytest
import torch

from demos.resnet.depth import resnet_depth_gradients, resnet_depth_train, resnet_depth_upload
from models.data import live_training_sample
from models.depth import (DEPTHS, build_pair, fresh_batch_grad_norms, final_losses, layer_grad_norms, prepare_data,
                          train_pair)


@pytest.fixture(scope="module")
def data():
    return prepare_data(*live_training_sample())


def _train(data, depth=8, width=4, mode="degradation", steps=5, seed=0, lr=0.05):
    generator = torch.Generator().manual_seed(seed)
    pair = build_pair(depth, width, mode, generator)
    *_, last = train_pair(pair, data, lr, 32, 60, steps, generator)
    return pair, last


def test_data_is_the_bundled_sample_downsampled_with_a_held_out_part(data):
    x_train, y_train, x_test, y_test = data
    assert x_train.shape == (2500, 1, 14, 14) and x_test.shape == (500, 1, 14, 14)
    assert len(y_train) == 2500 and set(y_test.tolist()) == set(range(10))
    assert abs(float(x_train.mean())) < 0.2  # standardised


@pytest.mark.parametrize("depth", [8, 20])
def test_pair_has_depth_weight_layers_and_the_same_initial_weights(depth):
    pair = build_pair(depth, 4, "degradation", torch.Generator().manual_seed(0))
    plain, residual = pair["plain"], pair["residual"]
    assert len(plain.weight_layers()) == depth == len(residual.weight_layers())
    for (name, a), (_, b) in zip(plain.state_dict().items(), residual.state_dict().items()):
        assert torch.equal(a, b), name
    # the shortcuts are the only difference: on the same input the outputs differ
    x = torch.randn(2, 1, 14, 14)
    assert not torch.allclose(plain(x), residual(x))


def test_depth_must_be_six_blocks_plus_two():
    with pytest.raises(ValueError):
        build_pair(9, 4, "degradation", torch.Generator())
    assert DEPTHS[0] == 8 and DEPTHS[-1] == 56


def test_both_networks_learn_with_a_tiny_budget(data):
    pair, last = _train(data, steps=40)
    losses = final_losses(last["history"])
    for name, h in last["history"].items():
        assert losses[name] < math.log(10) - 0.4, name  # well below chance (ln 10 = 2.30)
        assert h["test_acc"][-1] > 0.3, name            # chance is 0.1
        assert len(h["loss"]) == 40 and last["step"] == 40
    assert last["done"]


def test_same_seed_same_curves(data):
    _, a = _train(data, steps=6, seed=3)
    _, b = _train(data, steps=6, seed=3)
    _, c = _train(data, steps=6, seed=4)
    assert a["history"] == b["history"] and a["grad_init"] == b["grad_init"]
    assert a["history"]["plain"]["loss"] != c["history"]["plain"]["loss"]


def test_vanishing_mode_plain_gradients_fade_towards_the_input_and_shortcuts_keep_them(data):
    pair = build_pair(32, 4, "vanishing", torch.Generator().manual_seed(0))
    x, y = data[0][:64], data[1][:64]
    plain = fresh_batch_grad_norms(pair["plain"], x, y)
    residual = fresh_batch_grad_norms(pair["residual"], x, y)
    assert len(plain) == 32
    assert plain[0] / plain[-1] < 1e-3        # sigmoid layers: the first layer gets almost nothing
    assert residual[0] / residual[-1] > 1e-2  # shortcuts carry it back


def test_fresh_batch_gradients_leave_the_model_unchanged(data):
    pair, _ = _train(data, steps=3)
    model = pair["plain"]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    norms = fresh_batch_grad_norms(model, data[0][:32], data[1][:32])
    assert all(n > 0 for n in norms) and layer_grad_norms(model) == [0.0] * len(norms)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


# --- the handlers --------------------------------------------------------------
def _tiny_run(**kw):
    args = dict(depth=8, width=4, seconds=20, max_steps=4, seed=0) | kw
    return list(resnet_depth_train(**args))


def test_handler_streams_curves_gradients_and_a_download_at_the_end():
    frames = _tiny_run()
    loss, acc, grads, status, file, run = frames[-1]
    assert set(loss.series) == {"plain · 普通网络", "residual · 残差网络"} and loss.step.max() == 4
    assert len(set(acc.series)) == 4
    assert len(grads) == 4 * 8  # 2 networks x (at init, now) x 8 layers
    assert "step 4" in status and "第 4 步" in status and "done" in status
    assert zipfile.is_zipfile(file) and run["config"]["depth"] == 8
    assert all(frame[4] is None for frame in frames[:-1])  # the file comes once the pair is trained


def test_same_seed_same_handler_curves():
    a, b = _tiny_run(seed=5)[-1], _tiny_run(seed=5)[-1]
    assert a[0].equals(b[0]) and a[1].equals(b[1])


@pytest.mark.parametrize("kw", [{"depth": 9}, {"depth": float("nan")}, {"depth": None}, {"width": 10**9},
                                {"mode": "both"}, {"learning_rate": float("inf")}, {"batch_size": 0},
                                {"seconds": 10**6}, {"max_steps": -1}, {"seed": "x"}, {"seconds": None}])
def test_handler_refuses_bad_values_in_both_languages(kw):
    with pytest.raises(gr.Error) as info:
        _tiny_run(**kw)
    english, chinese = str(info.value.message).split("\n", 1)
    assert english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese)


def test_download_upload_round_trip_shows_the_same_networks():
    *_, file, run = _tiny_run(max_steps=3)[-1]
    grads, status, uploaded = resnet_depth_upload(file, seed=1)
    for name, model in run["models"].items():
        for key, value in model.state_dict().items():
            assert torch.equal(uploaded["models"][name].state_dict()[key], value), key
    assert uploaded["config"]["depth"] == 8 and "uploaded pair" in status and "上传的模型" in status
    assert len(grads) == 2 * 8
    again, _ = resnet_depth_gradients(uploaded, seed=1)
    assert again.equals(grads)  # a fresh-batch view does not change the model


def test_upload_refuses_other_files(tmp_path):
    junk = tmp_path / "x.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(gr.Error, match="Upload refused"):
        resnet_depth_upload(str(junk))
    from models.live import save_trained

    other = save_trained("lstm-memory-pair", {"hidden": 8}, {"w": torch.zeros(1)})
    with pytest.raises(gr.Error, match="not one of this section"):
        resnet_depth_upload(str(other))
    wrong = save_trained("resnet-depth-pair", {"depth": 8, "width": 4, "mode": "degradation", "batch_size": 32},
                         {"plain.stem.weight": torch.zeros(3)})
    with pytest.raises(gr.Error, match="do not fit"):
        resnet_depth_upload(str(wrong))
    with pytest.raises(gr.Error, match="Nothing trained yet"):
        resnet_depth_gradients(None)
