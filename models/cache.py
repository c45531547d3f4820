"""The shared, GPU-aware model cache every tab loads its models through.

- Device: cuda > mps > cpu, or `DLHUB_DEVICE` (cpu, cuda, cuda:1, mps).
- Lazy and single-flight: the first request for a model loads it; concurrent
  first requests wait for that one load instead of loading it again.
- LRU under a memory budget (`DLHUB_CACHE_MB`, default 2048): when the models
  held exceed it, the least recently used ones are dropped (a request still
  using a dropped model keeps its reference; it is just not cached any more).
- Models are put in eval mode with gradients off; fp16 only when the caller
  says the model tolerates it *and* the device is a GPU (CPU fp16 is slow and lossy).
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Any, Callable

import torch

DEFAULT_BUDGET_MB = 2048


def pick_device(override: str | None = None) -> torch.device:
    choice = (override or os.environ.get("DLHUB_DEVICE") or "auto").strip().lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(choice)
    except RuntimeError:
        raise ValueError(f"DLHUB_DEVICE={choice!r} is not a device (use auto, cpu, cuda, cuda:N or mps)") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"DLHUB_DEVICE={choice!r} but CUDA is not available here")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"DLHUB_DEVICE={choice!r} but MPS is not available here")
    if device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"DLHUB_DEVICE={choice!r}: only cpu, cuda and mps are supported")
    return device


def size_in_bytes(obj: Any) -> int:
    """Memory held by a model: parameters and buffers for torch modules, else `nbytes` if it has one."""
    if isinstance(obj, torch.nn.Module):
        tensors = list(obj.parameters()) + list(obj.buffers())
        return sum(t.numel() * t.element_size() for t in tensors)
    return int(getattr(obj, "nbytes", 0))


class ModelCache:
    def __init__(self, budget_mb: float | None = None, device: str | torch.device | None = None):
        if budget_mb is None:
            budget_mb = float(os.environ.get("DLHUB_CACHE_MB", DEFAULT_BUDGET_MB))
        self.budget_bytes = int(budget_mb * 1024 * 1024)
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self._models: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._loading: dict[str, Future] = {}
        self._lock = threading.Lock()
        self.load_count: dict[str, int] = {}

    def get(self, name: str, loader: Callable[[], Any], half_ok: bool = False) -> Any:
        """Return the cached model `name`, calling `loader()` (once, even under concurrency) if needed."""
        with self._lock:
            if name in self._models:
                self._models.move_to_end(name)
                return self._models[name][0]
            future = self._loading.get(name)
            owner = future is None
            if owner:
                future = self._loading[name] = Future()
        if not owner:
            return future.result()
        try:
            model = self._prepare(loader(), half_ok)
        except BaseException as exc:
            with self._lock:
                del self._loading[name]
            future.set_exception(exc)
            raise
        with self._lock:
            self._models[name] = (model, size_in_bytes(model))
            self.load_count[name] = self.load_count.get(name, 0) + 1
            del self._loading[name]
            self._evict(keep=name)
        future.set_result(model)
        return model

    def _prepare(self, model: Any, half_ok: bool) -> Any:
        if isinstance(model, torch.nn.Module):
            model.eval().requires_grad_(False)
            model.to(self.device)
            if half_ok and self.device.type == "cuda":
                model.half()
        return model

    def _evict(self, keep: str) -> None:
        total = sum(size for _, size in self._models.values())
        for name in list(self._models):
            if total <= self.budget_bytes:
                break
            if name != keep:
                total -= self._models.pop(name)[1]

    def cached(self) -> list[str]:
        """Names currently held, least recently used first."""
        with self._lock:
            return list(self._models)

    def memory_bytes(self) -> int:
        with self._lock:
            return sum(size for _, size in self._models.values())

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


_cache: ModelCache | None = None
_cache_lock = threading.Lock()


def get_cache() -> ModelCache:
    """The process-wide cache, created on first use (so importing this module is cheap)."""
    global _cache
    with _cache_lock:
        if _cache is None:
            _cache = ModelCache()
        return _cache


def load_model(name: str, loader: Callable[[], Any], half_ok: bool = False) -> Any:
    return get_cache().get(name, loader, half_ok=half_ok)
