"""Streaming handlers are resumed by Gradio on whichever worker thread is free, and torch's grad
and inference modes belong to a thread. A `with torch.inference_mode():` held open across a yield
once left a worker in inference mode, and the next training step on it failed under load."""
import threading

import pytest
import torch

from demos.dnn import train_playground
from demos.dqn import train_dqn_from_scratch
from demos.gnn import train_karate
from demos.transformer import generate_text

STREAMS = {
    "dnn_train": lambda: train_playground("moons", 2, 8, "relu", 0.03, 40, 100, 1.0, 0),
    "gpt_generate": lambda: generate_text("ROMEO:\n", 12, 0.8, 40, 0.95, 0),
    "gnn_karate_train": lambda: train_karate(20, 0.01, 0),
    "dqn_train": lambda: train_dqn_from_scratch(1_000, 0.002, 0),
}


def _step_on_new_thread(stream) -> tuple[bool, bool, bool]:
    """next(stream) on a fresh thread -> (finished, grad enabled after, inference mode after)."""
    result = {}

    def step():
        try:
            next(stream)
            result["done"] = False
        except StopIteration:
            result["done"] = True
        result["grad"] = torch.is_grad_enabled()
        result["inference"] = torch.is_inference_mode_enabled()

    thread = threading.Thread(target=step)
    thread.start()
    thread.join(timeout=120)
    return result["done"], result["grad"], result["inference"]


@pytest.mark.parametrize("name", list(STREAMS))
def test_stream_steps_leave_the_worker_thread_as_they_found_it(name):
    stream = STREAMS[name]()
    for _ in range(200):
        done, grad, inference = _step_on_new_thread(stream)
        assert grad and not inference, f"{name} left its thread with grad={grad}, inference={inference}"
        if done:
            return
    pytest.fail(f"{name} did not finish in 200 steps")


def test_training_stream_survives_other_streams_interleaved():
    """The failure seen under load: GPT generation and playground training stepped on one shared worker."""
    from concurrent.futures import ThreadPoolExecutor

    text = generate_text("ROMEO:\n", 30, 0.8, 40, 0.95, 0)
    train = train_playground("xor", 2, 8, "relu", 0.03, 60, 100, 1.0, 0)
    finished = {"text": False, "train": False}
    with ThreadPoolExecutor(max_workers=1) as worker:
        while not all(finished.values()):
            for key, stream in (("text", text), ("train", train)):
                if not finished[key]:
                    finished[key] = worker.submit(next, stream, None).result() is None
