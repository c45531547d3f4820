"""Handler tests for the CNN and DNN digit recognisers: drawings as a person makes them, and bad input."""
import threading

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demos.cnn import predict_digit_cnn
from demos.dnn import predict_digit_mlp
from models.imaging import mnist_like
from demos.samples import draw_digit, sketchpad_value


def top(label: dict) -> int:
    return int(max(label, key=label.get))


@pytest.mark.parametrize("digit", range(10))
def test_cnn_reads_each_drawn_digit(digit):
    label, seen, maps, heat = predict_digit_cnn(sketchpad_value(draw_digit(digit)))
    assert top(label) == digit, label
    assert abs(sum(label.values()) - 1) < 1e-4
    assert seen.shape == (280, 280) and seen.dtype == np.uint8
    assert maps.ndim == 3 and maps.shape[2] == 3
    assert heat.shape == (280, 280, 3)


def test_mlp_reads_drawn_digits_and_compares_with_cnn():
    correct = 0
    for digit in range(10):
        mlp, cnn, seen, units = predict_digit_mlp(sketchpad_value(draw_digit(digit)))
        correct += top(mlp) == digit
        assert top(cnn) == digit
    assert correct >= 9
    assert units.ndim == 3 and seen.shape == (280, 280)


@pytest.mark.parametrize("variant", [
    dict(width=4),                                   # thin pen
    dict(width=60, box=0.8),                         # marker
    dict(box=0.2),                                   # tiny digit
    dict(box=0.95, width=30),                        # fills the canvas
    dict(center=(0.22, 0.75), box=0.35),             # off-centre
    dict(background="white"),                        # scan: black on white
    dict(background="black"),                        # white on black, like MNIST itself
    dict(canvas=1200, width=50, box=0.5),            # large photo-sized image
])
def test_preprocessing_handles_how_people_draw(variant):
    for digit in (3, 7):
        label = predict_digit_cnn(draw_digit(digit, **variant))[0]
        assert top(label) == digit, (variant, label)


def test_mnist_like_matches_mnist_conventions():
    x = mnist_like(draw_digit(0, box=0.3, center=(0.3, 0.3)))
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 1 and x.max() > 0.9
    rows, cols = np.nonzero(x > 0.05)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 <= 21  # the digit fits a 20x20 box
    ys, xs = np.mgrid[0:28, 0:28]
    cy, cx = (ys * x).sum() / x.sum(), (xs * x).sum() / x.sum()
    assert abs(cy - 14) < 1.5 and abs(cx - 14) < 1.5  # centred by mass


def test_upload_file_path_and_pil_image(tmp_path):
    path = tmp_path / "seven.png"
    Image.fromarray(draw_digit(7, background="white")).save(path)
    assert top(predict_digit_cnn(str(path))[0]) == 7
    assert top(predict_digit_cnn(Image.open(path))[0]) == 7


BAD_INPUTS = {
    "none": None,
    "empty canvas": sketchpad_value(np.zeros((360, 360, 4), np.uint8)),
    "empty editor dict": {"background": None, "layers": [], "composite": None},
    "blank white upload": np.full((300, 300, 3), 255, np.uint8),
    "uniform grey": np.full((300, 300), 128, np.uint8),
    "huge image": np.zeros((4100, 4100), np.uint8),
    "tiny image": np.zeros((3, 3), np.uint8),
    "nan pixels": np.full((50, 50), np.nan),
    "text": "not an image",
    "wrong shape": np.zeros((10, 10, 7), np.uint8),
    "object array": np.array([{"a": 1}], dtype=object),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
@pytest.mark.parametrize("handler", [predict_digit_cnn, predict_digit_mlp])
def test_bad_input_gets_a_clear_error(handler, name):
    with pytest.raises(gr.Error) as info:
        handler(BAD_INPUTS[name])
    assert len(str(info.value.message)) > 10


def test_non_image_file_and_huge_file(tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("this is not a png")
    with pytest.raises(gr.Error, match="not an image"):
        predict_digit_cnn(str(text))
    big = tmp_path / "big.png"
    Image.new("L", (5000, 5000), 255).save(big)
    with pytest.raises(gr.Error, match="limit"):
        predict_digit_cnn(str(big))


def test_large_4000px_photo_is_scaled_down():
    image = draw_digit(4, canvas=4000, width=160, box=0.6, background="white")
    assert top(predict_digit_cnn(image)[0]) == 4


def test_concurrent_requests_agree():
    images = [sketchpad_value(draw_digit(d)) for d in range(10)]
    results = {}

    def worker(d):
        results[d] = top(predict_digit_cnn(images[d])[0])

    threads = [threading.Thread(target=worker, args=(d,)) for d in range(10) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {d: d for d in range(10)}


def test_tab_examples_are_recognised():
    from demos.cnn import example_pictures

    assert [top(predict_digit_cnn(image)[0]) for image in example_pictures()] == [7, 2, 5, 9]
