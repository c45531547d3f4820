"""CNN tab: handwritten digit recognition with a convolutional network, and what it looks at."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .common import colorize, heat_overlay, model_card, tile, upscale
from .digits import digit_canvas, digit_probabilities, label_dict, load_digit_model, model_view, read_digit

OCCLUSION_PATCH, OCCLUSION_STRIDE = 8, 4


def occlusion_map(model, digit: np.ndarray, target: int) -> np.ndarray:
    """How much the target class's probability drops when each patch is blacked out (0..1)."""
    starts = range(0, 28 - OCCLUSION_PATCH + 1, OCCLUSION_STRIDE)
    # blacking out a patch with no ink leaves the image unchanged: its drop is exactly 0, skip it
    patches = [(y, x) for y in starts for x in starts
               if digit[y:y + OCCLUSION_PATCH, x:x + OCCLUSION_PATCH].any()]
    batch = np.repeat(digit[None], len(patches), axis=0)
    for k, (y, x) in enumerate(patches):
        batch[k, y:y + OCCLUSION_PATCH, x:x + OCCLUSION_PATCH] = 0
    base = digit_probabilities(model, digit[None])[0, target]
    drops = np.clip(base - digit_probabilities(model, batch)[:, target], 0, None)
    heat, count = np.zeros((28, 28), np.float32), np.zeros((28, 28), np.float32)
    for (y, x), drop in zip(patches, drops):
        heat[y:y + OCCLUSION_PATCH, x:x + OCCLUSION_PATCH] += drop
        count[y:y + OCCLUSION_PATCH, x:x + OCCLUSION_PATCH] += 1
    heat /= np.maximum(count, 1)
    return heat / heat.max() if heat.max() > 0 else heat


def first_layer_maps(model, digit: np.ndarray) -> np.ndarray:
    """The first convolution's 32 feature maps as one image grid (4 rows x 8)."""
    import torch

    with torch.inference_mode():
        x = torch.from_numpy(digit).view(1, 1, 28, 28).to(next(model.parameters()).device)
        maps = model.first_layer(x.to(next(model.parameters()).dtype))[0].float().cpu().numpy()
    return tile([upscale(colorize(m), 3) for m in maps], columns=8)


def predict_digit_cnn(image):
    """Image or Sketchpad value -> (top-3 label, the 28x28 the model saw, feature maps, occlusion heatmap)."""
    digit = read_digit(image)
    model = load_digit_model("cnn")
    probs = digit_probabilities(model, digit[None])[0]
    heat = occlusion_map(model, digit, int(probs.argmax()))
    return label_dict(probs), model_view(digit), first_layer_maps(model, digit), heat_overlay(digit, heat)


EXPLANATION = """
A **convolutional neural network** slides small learned filters (3×3 here) over the image, so the same
stroke detector works anywhere in the picture, then pools to become tolerant to small shifts.
This one has 4 convolution layers, 2 max-pools and 2 dense layers (≈0.5 M parameters),
trained on 10,000 MNIST digits with random warps; its accuracy on the official 10,000 test digits is in the model card.

- **What the model saw**: your drawing cropped, scaled into 20×20 and centred by mass in 28×28, like MNIST.
- **First-layer feature maps**: the 32 filters' responses; bright = the filter fired (edges, strokes in one direction…).
- **Occlusion heatmap**: each 8×8 patch is blacked out in turn; red where hiding it lowers the predicted class's probability most.
"""


def example_pictures() -> list[np.ndarray]:
    from .samples import draw_digit

    return [
        draw_digit(7, background="white", width=18),
        draw_digit(2, background="white", width=5, box=0.7),
        draw_digit(5, background="black", width=24),
        draw_digit(9, background="white", box=0.3, center=(0.7, 0.3), width=10),
    ]


def build() -> None:
    gr.Markdown(EXPLANATION)
    with gr.Row():
        with gr.Column(scale=1):
            with gr.Tab("Draw"):
                canvas = digit_canvas()
                draw_btn = gr.Button("Recognise drawing", variant="primary")
            with gr.Tab("Upload"):
                upload = gr.Image(label="Upload a picture of one digit", type="numpy", image_mode="RGBA",
                                  sources=["upload", "clipboard"], height=300)
                upload_btn = gr.Button("Recognise picture", variant="primary")
                gr.Examples(examples=[[image] for image in example_pictures()], inputs=upload,
                            label="Examples drawn by code: a scan, a thin pen, white chalk, a small off-centre digit")
        with gr.Column(scale=1):
            label = gr.Label(num_top_classes=3, label="Prediction (top 3)")
            with gr.Row():
                seen = gr.Image(label="What the model saw (28×28)", height=200, interactive=False)
                heat = gr.Image(label="Occlusion heatmap", height=200, interactive=False)
            maps = gr.Image(label="First conv layer: 32 feature maps", interactive=False)
    model_card("cnn")
    outputs = [label, seen, maps, heat]
    draw_btn.click(predict_digit_cnn, canvas, outputs, api_name="cnn_predict")
    upload_btn.click(predict_digit_cnn, upload, outputs, api_name="cnn_predict_image")
    upload.upload(predict_digit_cnn, upload, outputs, api_visibility="private")
