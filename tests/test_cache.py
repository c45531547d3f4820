"""The shared model cache: single-flight loading, LRU eviction under a budget, device choice."""
import threading
import time

import pytest
import torch

from models.cache import ModelCache, pick_device, size_in_bytes


def _linear(n_floats: int) -> torch.nn.Module:
    return torch.nn.Linear(n_floats, 1, bias=False)  # n_floats * 4 bytes


def test_single_flight_under_threads():
    cache = ModelCache(budget_mb=100, device="cpu")
    calls = []

    def loader():
        calls.append(threading.get_ident())
        time.sleep(0.2)  # a slow load: every thread arrives while it is in progress
        return _linear(10)

    results = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        results.append(cache.get("m", loader))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert cache.load_count == {"m": 1}


def test_failed_load_reaches_every_waiter_and_is_retried():
    cache = ModelCache(budget_mb=100, device="cpu")
    attempts = []

    def broken():
        attempts.append(1)
        time.sleep(0.1)
        raise OSError("weights missing")

    errors = []

    def worker():
        try:
            cache.get("m", broken)
        except OSError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 4 and len(attempts) == 1
    assert cache.get("m", lambda: _linear(4)) is not None  # not poisoned: the next call loads
    assert cache.cached() == ["m"]


def test_lru_eviction_under_budget():
    mb = 1024 * 1024
    cache = ModelCache(budget_mb=2.5, device="cpu")  # room for two 1 MB models
    for name in "abc":
        cache.get(name, lambda: _linear(mb // 4))
        if name == "b":
            cache.get("a", lambda: pytest.fail("a is cached and must not reload"))  # a is now most recent
    assert cache.cached() == ["a", "c"]  # b was least recently used
    assert cache.memory_bytes() == 2 * mb
    cache.get("b", lambda: _linear(mb // 4))
    assert cache.load_count["b"] == 2


def test_model_larger_than_budget_is_still_served():
    cache = ModelCache(budget_mb=0.001, device="cpu")
    model = cache.get("big", lambda: _linear(1000))
    assert isinstance(model, torch.nn.Module) and cache.cached() == ["big"]


def test_models_are_prepared_for_inference():
    cache = ModelCache(budget_mb=10, device="cpu")
    model = cache.get("m", lambda: torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Dropout(0.5)))
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    half = cache.get("h", lambda: _linear(3), half_ok=True)
    assert half.weight.dtype == torch.float32  # fp16 only on a GPU


def test_device_override(monkeypatch):
    monkeypatch.setenv("DLHUB_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert ModelCache(budget_mb=1).device == torch.device("cpu")
    monkeypatch.setenv("DLHUB_DEVICE", "tpu")
    with pytest.raises(ValueError, match="DLHUB_DEVICE"):
        pick_device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("DLHUB_DEVICE", "cuda")
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device()
    monkeypatch.delenv("DLHUB_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert pick_device().type == expected


def test_budget_from_environment(monkeypatch):
    monkeypatch.setenv("DLHUB_CACHE_MB", "3")
    assert ModelCache(device="cpu").budget_bytes == 3 * 1024 * 1024


def test_size_in_bytes_counts_parameters_and_buffers():
    bn = torch.nn.BatchNorm1d(10)  # 20 params + 20 running stats + 1 counter (int64)
    assert size_in_bytes(bn) == 40 * 4 + 8
