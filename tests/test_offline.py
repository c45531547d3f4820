"""A fresh machine: `python app.py` with an EMPTY data dir, no hub cache and HF_HUB_OFFLINE=1, and every API endpoint
called through gradio_client with its defaults (small budgets for the heavy ones). Every offline choice returns a
result; online-only choices (hub checkpoints) answer that they need the internet.

Endpoints are listed from the running app (client.view_api), so an endpoint added later is covered: it needs an
entry in CALLS below (its arguments that have no default, or a small budget), else the first test fails."""
import re

import pytest
from PIL import Image

gradio_client = pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402

from conftest import ROOT, running_app  # noqa: E402
from demos.samples import draw_digit  # noqa: E402

FASHION_EXAMPLE = ROOT / "demos" / "examples" / "fashion" / "ankle_boot.png"
TEXT = ("the king and the queen walk to the river . the king likes music and the queen likes science . "
        "a happy movie about a river and a king . the man and the woman walk to the king . ") * 20

# api_name -> {parameter: value} for the parameters without a default, and smaller budgets for heavy calls;
# a value may be a function of the prepared files (a dict). {} means: the defaults are fine.
CALLS = {
    "/dnn_train": {"epochs": 20},
    "/dnn_predict": {"image": lambda f: f["sketch"]},
    "/cnn_predict": {"image": lambda f: f["sketch"]},
    "/cnn_predict_image": {"image": lambda f: handle_file(f["digit"])},
    "/resnet_predict": {"image": lambda f: handle_file(str(FASHION_EXAMPLE))},
    "/lstm_predict": {},
    "/word2vec_neighbors": {"word": "king"},
    "/word2vec_similarity": {"word_a": "king", "word_b": "queen"},
    "/word2vec_analogy": {},
    "/gpt_generate": {"max_new_tokens": 20},
    "/gpt_inspect": {},
    "/gan_sample": {"count": 4},
    "/gan_walk": {"frames": 3},
    "/diffusion_sample": {"steps": 2, "count": 1},
    "/diffusion_forward": {},
    "/gnn_predict": {},
    "/gnn_node": {},
    "/gnn_karate_train": {"epochs": 10},
    "/dqn_episode": {},
    "/dqn_train": {"steps": 1000},
    # live-training sections: the smallest budgets; a session trains first, then uses what it trained
    "/resnet_depth_train": {"depth": 8, "seconds": 3, "max_steps": 3},
    "/detection_detect": {"drawing": lambda f: f["sketch"]},
    "/detection_detect_image": {"picture": lambda f: handle_file(f["digit"])},
    "/detection_photo_objects": {"photo": lambda f: handle_file(f["digit"])},
    "/lstm_memory_train": {"distance": 10, "seconds": 3, "max_steps": 10},
    "/gpt_train_text": {"text": TEXT, "seconds": 3},
    "/autoencoder_reconstruct": {"drawing": lambda f: f["sketch"]},
    "/autoencoder_reconstruct_test": {},
    "/autoencoder_decode": {},
    "/autoencoder_vae_grid": {},
    "/autoencoder_denoise": {},
    "/autoencoder_train": {"seconds": 2},
    "/gan2d_train": {"steps": 50, "seconds": 3},
    "/diffusion2d_train": {"steps": 50, "seconds": 3},
}
# Undocumented endpoints (callable by scripts, no MCP tools) called first in the session: the "your text" choices
# of the Word2Vec endpoints query what this trains
# (undocumented endpoints take positional arguments: text, file, epochs, window, minimum count)
PREPARE = [("/word2vec_train", (TEXT, None, 2, 5, 2))]
# Endpoints that use what a session trained (the CNN's symbols, the GPT trained on your text, the 2-D denoiser) are
# "undocumented": no MCP tools (an MCP call keeps no session); their own tests cover them with no data dir.
# parameters whose every choice is tried (the others keep their default)
CHOICE_PARAMETERS = ("dataset", "model", "source", "policy")
ONLINE_CHOICE = re.compile(r"\(hub[,:]")  # e.g. "distilgpt2 (hub, 82M parameters, English)"
NEEDS_INTERNET = "needs the internet"
# an online-only choice that has nothing to do offline, with the message that says so
OTHER_REFUSALS = {("/diffusion_forward", "CIFAR-10"): "no CIFAR-10 images"}
# endpoints that only run a hub checkpoint: offline even their defaults answer that they need the internet
ONLINE_ONLY = {"/detection_photo_objects"}


@pytest.fixture(scope="module")
def offline_app(tmp_path_factory):
    empty = tmp_path_factory.mktemp("empty-data")
    hub = tmp_path_factory.mktemp("empty-hub")
    with running_app("app-offline.log", DLHUB_DATA_DIR=str(empty), HF_HUB_OFFLINE="1", HF_HOME=str(hub),
                     HF_HUB_CACHE=str(hub / "hub")) as url:
        yield url


@pytest.fixture(scope="module")
def client(offline_app):
    return Client(offline_app, verbose=False)


@pytest.fixture(scope="module")
def endpoints(client):
    return client.view_api(return_format="dict", print_info=False)["named_endpoints"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    digit = tmp_path_factory.mktemp("offline-files") / "seven.png"
    Image.fromarray(draw_digit(7)).save(digit)
    return {"digit": str(digit), "sketch": {"background": None, "layers": [], "composite": handle_file(str(digit))}}


def test_every_endpoint_has_an_entry(endpoints):
    missing = sorted(set(endpoints) - set(CALLS))
    assert not missing, (f"add {missing} to CALLS in tests/test_offline.py: the arguments without a default, and a "
                         "small budget for a heavy call ({} if the defaults are fine)")
    gone = sorted(set(CALLS) - set(endpoints))
    assert not gone, f"remove {gone} from CALLS in tests/test_offline.py: the app has no such endpoint any more"


def _arguments(name, parameters, files):
    args = {}
    for p in parameters:
        value = CALLS[name].get(p["parameter_name"], p["parameter_default"])
        if p["parameter_name"] not in CALLS[name] and not p["parameter_has_default"]:
            raise AssertionError(f"{name}: parameter {p['parameter_name']!r} has no default: give one in CALLS "
                                 "in tests/test_offline.py")
        args[p["parameter_name"]] = value(files) if callable(value) else value
    return args


def _calls(endpoints, files):
    """(api name, what is tried, kwargs, the refusal expected or None), training endpoints first."""
    for name in sorted(endpoints, key=lambda n: (not n.endswith("_train"), n)):
        parameters = endpoints[name]["parameters"]
        defaults = _arguments(name, parameters, files)
        yield name, "defaults", defaults, NEEDS_INTERNET if name in ONLINE_ONLY else None
        for p in parameters:
            if p["parameter_name"] not in CHOICE_PARAMETERS or "enum" not in p["type"]:
                continue
            for choice in p["type"]["enum"]:
                if choice == defaults[p["parameter_name"]]:
                    continue
                refusal = NEEDS_INTERNET if ONLINE_CHOICE.search(choice) else None
                for (api, start), message in OTHER_REFUSALS.items():
                    if api == name and choice.startswith(start):
                        refusal = message
                yield name, f"{p['parameter_name']}={choice!r}", {**defaults, p["parameter_name"]: choice}, refusal


def test_every_endpoint_works_with_no_data_dir_and_no_internet(client, endpoints, files):
    failures = []
    for name, args in PREPARE:
        client.predict(*args, api_name=name)
    for name, what, kwargs, refusal in _calls(endpoints, files):
        try:
            result = client.predict(**kwargs, api_name=name)
        except Exception as exc:  # noqa: BLE001 - every failure is collected and reported below
            if refusal is None or refusal not in str(exc):
                failures.append(f"{name} ({what}): {str(exc)[-300:]}")
            continue
        if refusal is not None:
            failures.append(f"{name} ({what}): expected the answer {refusal!r}, got a result")
        elif result is None or (isinstance(result, (list, tuple)) and all(r is None for r in result)):
            failures.append(f"{name} ({what}): an empty result")
    assert not failures, "\n".join(failures)
