"""DNN tab: a live neural-network playground on 2-D data, and an MLP that reads drawn digits."""
from __future__ import annotations

import time

import gradio as gr
import numpy as np

from .common import check_choice, check_number, model_card, seed_generator, tile, upscale
from .digits import digit_canvas, digit_probabilities, label_dict, load_digit_model, model_view, read_digit

DATASETS = ("moons", "circles", "xor", "spiral")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu")
LIMITS = {"layers": (1, 6), "width": (1, 64), "epochs": (1, 2000), "points": (20, 1000),
          "lr": (1e-4, 1.0), "noise": (0.0, 3.0)}
GRID_LIM = 2.0
FRAME_SECONDS = 0.06  # pace the stream so a fast run is still watchable (~40 frames)


# class 0 red, class 1 blue; the background fades through white where the network is unsure
CLASS_COLORS = np.array([[178, 24, 43], [33, 102, 172]], np.uint8)
_FAINT = np.array([[244, 165, 130], [255, 255, 255], [146, 197, 222]], np.float32)
PLOT_SIZE = 360


def draw_boundary(model, x, y, x_test, y_test) -> np.ndarray:
    """The decision surface P(class 1) as a coloured background with the points on top (uint8 RGB)."""
    from PIL import Image, ImageDraw
    from models.playground import probability_grid

    p = probability_grid(model, GRID_LIM)[..., None]
    rgb = np.where(p < 0.5, _FAINT[0] + (_FAINT[1] - _FAINT[0]) * (p / 0.5),
                   _FAINT[1] + (_FAINT[2] - _FAINT[1]) * ((p - 0.5) / 0.5))
    img = Image.fromarray(rgb.astype(np.uint8)).resize((PLOT_SIZE, PLOT_SIZE), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(img)

    def to_pixels(points):
        return (points + GRID_LIM) / (2 * GRID_LIM) * PLOT_SIZE * np.array([1, -1]) + np.array([0, PLOT_SIZE])

    for (px, py), label in zip(to_pixels(x_test), y_test):  # hollow: test points
        draw.ellipse((px - 3.5, py - 3.5, px + 3.5, py + 3.5), outline=tuple(CLASS_COLORS[label]), width=1)
    for (px, py), label in zip(to_pixels(x), y):  # filled: training points
        draw.ellipse((px - 3, py - 3, px + 3, py + 3), fill=tuple(CLASS_COLORS[label]), outline=(255, 255, 255))
    return np.asarray(img)


def curves_frame(history: dict):
    """The learning curves in long format for gr.LinePlot."""
    import pandas as pd

    epochs = history["epoch"]
    return pd.concat([
        pd.DataFrame({"epoch": epochs, "value": history[key], "series": name})
        for key, name in (("loss", "training loss"), ("train_acc", "train accuracy"), ("test_acc", "test accuracy"))
    ], ignore_index=True)


def train_playground(dataset="moons", layers=2, width=16, activation="relu", learning_rate=0.03,
                     epochs=300, points=300, noise=1.0, seed=0):
    """Train an MLP on a 2-D dataset; streams (decision-boundary image, learning curves, status)."""
    import torch
    from models.playground import PlaygroundMLP, make_dataset, train_live

    dataset = check_choice(dataset, "Dataset", DATASETS)
    activation = check_choice(activation, "Activation", ACTIVATIONS)
    layers = check_number(layers, "Hidden layers", *LIMITS["layers"], integer=True)
    width = check_number(width, "Neurons per layer", *LIMITS["width"], integer=True)
    epochs = check_number(epochs, "Epochs", *LIMITS["epochs"], integer=True)
    points = check_number(points, "Points", *LIMITS["points"], integer=True)
    learning_rate = check_number(learning_rate, "Learning rate", *LIMITS["lr"])
    noise = check_number(noise, "Noise", *LIMITS["noise"])
    gen = seed_generator(seed)

    x, y = make_dataset(dataset, points, noise, gen)
    x_test, y_test = make_dataset(dataset, points, noise, gen)
    with torch.enable_grad():
        model = PlaygroundMLP(layers, width, activation, gen)
        params = sum(p.numel() for p in model.parameters())
        try:
            last = time.monotonic()
            for epoch, history in train_live(model, x, y, x_test, y_test, learning_rate, epochs):
                image = draw_boundary(model, x.numpy(), y.numpy(), x_test.numpy(), y_test.numpy())
                status = (f"**epoch {epoch}/{epochs}** · loss {history['loss'][-1]:.4f} · "
                          f"train accuracy {history['train_acc'][-1]:.1%} · test accuracy {history['test_acc'][-1]:.1%} · "
                          f"{params:,} parameters")
                time.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - last)))
                yield image, curves_frame(history), status
                last = time.monotonic()
        except FloatingPointError as exc:
            raise gr.Error(f"Training stopped: {exc}.") from None


def hidden_unit_templates(model, digit: np.ndarray, count: int = 16) -> np.ndarray:
    """First-layer weights of the `count` hidden units your drawing activated most (red +, blue −)."""
    import torch

    with torch.inference_mode():
        x = torch.from_numpy(digit).view(1, 1, 28, 28).to(next(model.parameters()).device)
        acts = model.activations(x)[0][0].float().cpu().numpy()
        weights = model.hidden[0].weight.float().cpu().numpy()
    top = np.argsort(-acts)[:count]
    tiles = []
    for unit in top:
        w = weights[unit].reshape(28, 28)
        w = w / (np.abs(w).max() + 1e-8)
        rgb = np.stack([1 + np.minimum(w, 0), 1 - np.abs(w), 1 - np.maximum(w, 0)], axis=2)  # white at 0
        tiles.append(upscale((np.clip(rgb, 0, 1) * 255).astype(np.uint8), 3))
    return tile(tiles, columns=8)


def predict_digit_mlp(image):
    """Image or Sketchpad value -> (MLP top-3, CNN top-3 on the same input, the 28x28 seen, hidden-unit weights)."""
    digit = read_digit(image)
    mlp = load_digit_model("mlp")
    cnn = load_digit_model("cnn")
    mlp_probs = digit_probabilities(mlp, digit[None])[0]
    cnn_probs = digit_probabilities(cnn, digit[None])[0]
    return label_dict(mlp_probs), label_dict(cnn_probs), model_view(digit), hidden_unit_templates(mlp, digit)


PLAYGROUND_TEXT = """
### Neural-network playground
A **deep neural network** (multilayer perceptron) stacks layers `h = activation(W·x + b)`. Each layer bends the
space a little; together they can separate classes no straight line can. Pick a dataset and a network, press
**Train**, and watch the decision boundary (background colour = predicted class probability) and the learning curve
evolve. Filled dots are training points, hollow ones are test points the network never trains on.
Try: a network with *no* hidden activation power (1 layer, 1 neuron) on *circles*; `tanh` vs `relu` on *spiral*; a
huge learning rate.
"""

DIGIT_TEXT = """
### The MLP on handwritten digits
The same kind of network, 784 → 512 → 256 → 10, reading the 28×28 pixels as one flat vector. It knows nothing
about neighbouring pixels, which is exactly what the CNN tab adds. Draw a digit: both networks read the same
28×28 input. On the right, the first-layer weights of the 16 hidden units your drawing excited most
(red: ink here raises the unit, blue: ink here lowers it).
"""


def build() -> None:
    gr.Markdown(PLAYGROUND_TEXT)
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            dataset = gr.Radio(list(DATASETS), value="moons", label="Dataset")
            layers = gr.Slider(*LIMITS["layers"], value=2, step=1, label="Hidden layers")
            width = gr.Slider(*LIMITS["width"], value=16, step=1, label="Neurons per layer")
            activation = gr.Radio(list(ACTIVATIONS), value="relu", label="Activation")
            learning_rate = gr.Slider(0.001, 0.3, value=0.03, step=0.001, label="Learning rate (Adam)")
            epochs = gr.Slider(10, LIMITS["epochs"][1], value=300, step=10, label="Epochs")
            with gr.Accordion("Data", open=False):
                points = gr.Slider(*LIMITS["points"], value=300, step=10, label="Training points")
                noise = gr.Slider(*LIMITS["noise"], value=1.0, step=0.1, label="Noise")
                seed = gr.Number(value=0, precision=0, minimum=0, label="Seed")
            train_btn = gr.Button("Train", variant="primary")
        with gr.Column(scale=3):
            with gr.Row():
                boundary = gr.Image(label="Decision boundary · ● train ○ test", interactive=False,
                                    height=PLOT_SIZE + 40, scale=1)
                curves = gr.LinePlot(x="epoch", y="value", color="series", title="Learning curves",
                                     y_title="loss / accuracy", height=PLOT_SIZE, scale=1)
            status = gr.Markdown()
    train_btn.click(train_playground, [dataset, layers, width, activation, learning_rate, epochs, points, noise, seed],
                    [boundary, curves, status], api_name="dnn_train", concurrency_limit=2)

    gr.Markdown(DIGIT_TEXT)
    with gr.Row():
        with gr.Column(scale=1):
            canvas = digit_canvas()
            predict_btn = gr.Button("Recognise with the MLP", variant="primary")
        with gr.Column(scale=1):
            with gr.Row():
                mlp_label = gr.Label(num_top_classes=3, label="MLP (DNN) prediction")
                cnn_label = gr.Label(num_top_classes=3, label="CNN prediction, same input")
            with gr.Row():
                seen = gr.Image(label="What both models saw (28×28)", height=200, interactive=False)
            units = gr.Image(label="Most active hidden units: their input weights", interactive=False)
    model_card("mlp", "cnn")
    predict_btn.click(predict_digit_mlp, canvas, [mlp_label, cnn_label, seen, units], api_name="dnn_predict")
