"""The app assembles, exposes stable API names, and starts without loading heavy libraries."""
import json
import subprocess
import sys

from conftest import ROOT


def test_app_builds_with_tabs_in_order_and_api_names():
    import app

    demo = app.build_app()
    titles = [title for title, _ in app.TABS]
    order = ["DNN", "CNN", "ResNet", "LSTM", "Word2Vec", "Transformer", "Autoencoder", "GAN", "Diffusion", "GNN", "DQN"]
    assert titles == [t for t in order if t in titles]
    api_names = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert {"dnn_train", "dnn_predict", "cnn_predict", "cnn_predict_image"} <= api_names
    assert demo._queue.max_size == app.QUEUE_MAX_SIZE


def test_readme_documents_every_public_endpoint():
    import app

    readme = (ROOT / "README.md").read_text()
    for fn in app.build_app().fns.values():
        if fn.api_visibility == "public":
            assert f'api_name="/{fn.api_name}"' in readme, fn.api_name


def test_startup_does_not_import_torch_or_matplotlib():
    code = "import sys, app; app.build_app(); print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split()[-2:] == ["False", "False"]


def test_tabs_show_model_cards_with_the_shipped_metrics():
    import json

    import gradio as gr

    import app
    from models.persistence import weights_dir

    from demos.i18n import plain

    texts = [plain(b.value) for b in app.build_app().blocks.values() if isinstance(b, gr.Markdown) and b.value]
    for name in ("cnn", "mlp"):
        accuracy = json.loads((weights_dir(name) / "metrics.json").read_text())["accuracy"]
        assert any(f"# " in t and f"(`{name}`)" in t and f"| accuracy | {accuracy} |" in t for t in texts), name


def test_bench_loads_every_model_it_lists():  # the GNN view: the data dir's Planetoid, else models/bundled
    """`python -m demos.bench` must not break when a tab changes how its models are named."""
    from demos.bench import model_loaders

    for name, load in model_loaders().items():
        assert load() is not None, name


def test_readme_metrics_table_matches_the_shipped_metrics():
    """Every bold number in the README's metrics table is a value of that model's weights/NAME/metrics.json."""
    import re

    from models.persistence import weights_dir

    section = (ROOT / "README.md").read_text().split("## Models and their measured metrics")[1].split("\n## ")[0]
    rows = [line for line in section.splitlines() if re.match(r"\| `[\w-]+` \|", line)]
    assert len(rows) >= 17
    for row in rows:
        name = re.match(r"\| `([\w-]+)` \|", row).group(1)
        metrics = json.loads((weights_dir(name) / "metrics.json").read_text())
        values = [v for v in metrics.values() if isinstance(v, (int, float))]
        for number in re.findall(r"\*\*([\d.]+)\*\*", row):
            assert float(number) in values, f"README says {number} for {name}; metrics.json has {values}"


def test_readme_lists_every_allow_listed_hub_checkpoint():
    """The README's table of optional online models names exactly the allow-listed choices and hub ids."""
    from demos.diffusion import HUB_CHOICE, HUB_DATASETS
    from demos.transformer import HUB_MODELS
    from models.detr import HUB_ID as DETR_HUB_ID

    section = (ROOT / "README.md").read_text().split("### Optional online models")[1].split("\n## ")[0]
    rows = {tuple(cell.strip(" `") for cell in line.split("|")[2:4])
            for line in section.splitlines() if line.startswith("| ") and "`" in line}
    expected = {(choice, hub_id) for choice, hub_id in HUB_MODELS.items()} | {(HUB_CHOICE, HUB_DATASETS["cifar10"])}
    expected.add(("detection_photo_objects", DETR_HUB_ID))          # an endpoint of its own, not a choice
    assert {(choice.split("` (")[0], hub_id) for choice, hub_id in rows} == expected
