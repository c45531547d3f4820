"""The README's gradio_client calls, against `python app.py` in a subprocess: they work, and bad input
through the API gets a clear error while the server keeps serving."""
import pytest
from PIL import Image

from demos.samples import draw_digit

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402



@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


@pytest.fixture(scope="module")
def seven_png(tmp_path_factory):
    path = tmp_path_factory.mktemp("img") / "digit.png"
    Image.fromarray(draw_digit(7)).save(path)
    return str(path)


def test_cnn_predict_sketchpad_value(client, seven_png):
    label, seen, maps, heat = client.predict(
        {"background": None, "layers": [], "composite": handle_file(seven_png)}, api_name="/cnn_predict")
    assert label["label"] == "7"
    assert len(label["confidences"]) == 3 and label["confidences"][0]["confidence"] > 0.5
    for path in (seen, maps, heat):
        assert Image.open(path).size[0] >= 28


def test_cnn_predict_image(client, seven_png):
    label = client.predict(handle_file(seven_png), api_name="/cnn_predict_image")[0]
    assert label["label"] == "7"


def test_dnn_predict(client, seven_png):
    mlp, cnn, seen, units = client.predict(
        {"background": None, "layers": [], "composite": handle_file(seven_png)}, api_name="/dnn_predict")
    assert mlp["label"] == "7" and cnn["label"] == "7"


def test_dnn_train_streams_to_the_final_epoch(client):
    boundary, curves, status = client.predict("spiral", 3, 32, "relu", 0.02, 600, 300, 0.5, 0, api_name="/dnn_train")
    assert "epoch 600/600" in status
    assert Image.open(boundary).size == (360, 360)


# Gradio's own component checks answer first for out-of-range sliders and unknown choices;
# NaN cannot be sent as JSON by gradio_client (the handler's own check is unit-tested).
@pytest.mark.parametrize("args, message", [
    (("moons", 2, 16, "relu", 0.03, 10**9, 300, 1.0, 0), "greater than maximum value 2000"),
    (("moons", -3, 16, "relu", 0.03, 100, 300, 1.0, 0), "less than minimum value 1"),
    (("nebula", 2, 16, "relu", 0.03, 100, 300, 1.0, 0), "not in the list of choices"),
    (("moons", 2, 16, "relu", 0.03, 100, 300, 1.0, -1), "less than minimum value 0"),
    (("moons", 2, 16, "relu", 0.03, 100, 300, 1.0, None), "Seed"),
])
def test_bad_playground_values_get_clear_errors(client, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/dnn_train")


def test_gradio_own_checks_answer_in_both_languages(client):
    """Out-of-range numbers and unknown choices are refused by Gradio before a handler runs, in English only;
    the message names the input and adds the Chinese."""
    import re

    for args, english in [(("Digits (MNIST)", "all", "DDIM", 10, 10**9, 0, 1.0), "Count: Value 1000000000 is greater"),
                          (("ImageNet", "all", "DDIM", 10, 4, 0, 1.0), "Dataset: Value: 'ImageNet'")]:
        with pytest.raises(Exception) as info:
            client.predict(*args, api_name="/diffusion_sample")
        en, zh = str(info.value).split("\n")[-2:]
        assert en.startswith(english) and re.search(r"[\u3400-\u9fff]", zh), str(info.value)


def test_bad_images_get_clear_errors_and_server_survives(client, tmp_path, seven_png):
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    with pytest.raises(Exception, match="not an image"):
        client.predict(handle_file(str(not_image)), api_name="/cnn_predict_image")
    with pytest.raises(Exception, match="empty"):
        client.predict(handle_file(str(blank)), api_name="/cnn_predict_image")
    with pytest.raises(Exception, match="No image"):
        client.predict({"background": None, "layers": [], "composite": None}, api_name="/cnn_predict")
    assert client.predict(handle_file(seven_png), api_name="/cnn_predict_image")[0]["label"] == "7"


GENERIC_ERROR = "has not enabled verbose error reporting"


def _public_endpoints():
    import app

    demo = app.build_app()
    return {f"/{fn.api_name}": len(fn.inputs) for fn in demo.fns.values() if fn.api_visibility == "public"}


@pytest.mark.parametrize("api_name, n_inputs", sorted(_public_endpoints().items()))
def test_every_endpoint_explains_missing_values(client, api_name, n_inputs, seven_png):
    """None for every argument, as a careless script sends: a clear message, not a generic failure."""
    with pytest.raises(Exception) as info:
        client.predict(*([None] * n_inputs), api_name=api_name)
    assert GENERIC_ERROR not in str(info.value), f"{api_name} failed without a readable message"
    # and the server still answers a normal request afterwards
    assert client.predict(handle_file(seven_png), api_name="/cnn_predict_image")[0]["label"] == "7"


def test_oversized_upload_is_refused(client, tmp_path):
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * (11 * 1024 * 1024))
    with pytest.raises(Exception) as info:
        client.predict(handle_file(str(big)), api_name="/cnn_predict_image")
    assert GENERIC_ERROR not in str(info.value)


def test_short_bounded_load_has_no_errors(app_url):
    """5 clients for 10 s mixing light and heavy endpoints; every call started completes (the class-sized run,
    30 clients x 60 s, and its timings: python -m demos.loadtest)."""
    from demos.loadtest import run

    report = run(app_url, None, clients=5, seconds=10, warmup=0, think=0.5)
    assert report["errors"] == 0 and report["warmup_errors"] == 0, report["error_examples"]
    for group in ("light", "heavy"):
        assert report[group]["completed"] == report[group]["started"], report[group]
    assert report["served"] >= 5  # each client's first call at least (calls in flight at the end are waited for)


def test_readme_snippets_run_as_written(app_url, seven_png, tmp_path, monkeypatch, capsys):
    """Every ```python block of the README's API section runs against the live app, in order."""
    import re
    import shutil

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) >= 2
    shutil.copy(seven_png, tmp_path / "digit.png")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for code in blocks:
        exec(compile(code.replace("http://127.0.0.1:7860/", app_url), "README.md", "exec"), namespace)
    assert namespace["label"]["label"] == "7"


HEAVY_EVENTS = {"dqn_episode", "dqn_train", "dnn_train", "diffusion_sample", "gpt_generate", "gnn_karate_train",
                "word2vec_train", "detection_photo_objects"}
LIGHT_EVENTS = {"cnn_predict", "cnn_predict_image", "dnn_predict", "resnet_predict", "lstm_predict",
                "word2vec_neighbors", "word2vec_similarity", "word2vec_analogy", "gan_sample", "gan_walk_point",
                "gnn_node", "gpt_inspect", "diffusion_forward"}


def test_heavy_events_share_one_pool_and_light_events_stay_out_of_it():
    """A class at once: episodes, training streams, sampling and generation queue for the shared heavy pool (sized
    to the cores); classifiers and lookups keep their own limits, so they never wait behind a training run."""
    import app
    from demos.live import HEAVY

    fns = {fn.api_name: fn for fn in app.build_app().fns.values() if fn.api_name}
    assert HEAVY_EVENTS | LIGHT_EVENTS <= set(fns)
    for name in HEAVY_EVENTS:
        assert (fns[name].concurrency_id, fns[name].concurrency_limit) == (HEAVY["concurrency_id"],
                                                                           HEAVY["concurrency_limit"]), name
    for name in LIGHT_EVENTS:
        limit = fns[name].concurrency_limit  # "default": the queue's default_concurrency_limit (app.LIGHT_CONCURRENCY)
        assert fns[name].concurrency_id != HEAVY["concurrency_id"] and (limit == "default" or limit >= 2), name
    assert app.LIGHT_CONCURRENCY >= 2
