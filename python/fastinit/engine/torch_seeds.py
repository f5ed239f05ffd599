"""Seeds drawn from a torch.Generator, so that code which seeds torch stays reproducible under
fastinit (generator=torch.Generator, accelerate(), init_module_ without seed=)."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["is_torch_generator", "seed_from_torch"]


def is_torch_generator(obj: object) -> bool:
    """Whether obj is a torch.Generator (told by its class, so torch need not be imported)."""
    return type(obj).__name__ == "Generator" and type(obj).__module__.startswith("torch")


_TORCH_WORDS = threading.local()  # per thread: device -> (2-element int64 tensor, its NumPy view or None)


def seed_from_torch(generator: Any) -> int:
    """A 64-bit seed drawn from a torch.Generator (two 32-bit draws: low word first), so code
    that seeds torch stays reproducible; each call advances the torch generator. Pass
    torch.default_generator for torch's global CPU generator (whatever the default device).

    The draw is ``torch.randint(0, 2**32, (2,), dtype=torch.int64, generator=generator)`` - which
    torch computes as random_(0, 2**32) on a new tensor - made into a reused tensor of this
    thread instead (read through its NumPy view on the CPU), the same values in a fraction of
    the time."""
    try:
        buffers = _TORCH_WORDS.by_device
    except AttributeError:
        buffers = _TORCH_WORDS.by_device = {}
    device = generator.device
    pair = buffers.get(device)
    if pair is None:
        import torch

        words = torch.empty(2, dtype=torch.int64, device=device)
        pair = buffers[device] = (words, words.numpy() if words.device.type == "cpu" else None)
    words, view = pair
    words.random_(0, 2**32, generator=generator)
    lo, hi = (view if view is not None else words).tolist()
    return int(lo) | (int(hi) << 32)
