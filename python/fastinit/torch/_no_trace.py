"""Forward passes that leave no trace on the model or on torch's global state, for the
diagnostic and data-dependent passes (report, lsuv_)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

__all__ = ["buffers_and_rng_restored"]


@contextlib.contextmanager
def buffers_and_rng_restored(model: nn.Module) -> Iterator[None]:
    """Inside, run forward passes freely: afterwards, even on error, the model's buffers
    (BatchNorm running statistics, num_batches_tracked) and torch's CPU RNG state are as before."""
    rng = torch.get_rng_state()
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    try:
        yield
    finally:
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)
        torch.set_rng_state(rng)
