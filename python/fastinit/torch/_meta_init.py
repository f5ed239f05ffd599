"""torch.nn.init's functions that return at once on a meta tensor (trunc_normal_, orthogonal_,
sparse_, dirac_), rewritten as the aten operations that produce the same law, so that
deferred_init() records them: on the meta device they compute nothing, and a replay on real
memory draws what the function would have drawn. (Replayed inside accelerate(), the inverse-CDF
truncated normal folds into one fastinit pass.)"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch

from ._deferred import DEFER_MIN_NUMEL

__all__ = ["META_SKIPPING"]


def _trunc_normal_(
    tensor: torch.Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Any = None,
) -> torch.Tensor:
    """N(mean, std**2) conditioned on [a, b] by the inverse CDF: U on [2 Phi(alpha) - 1,
    2 Phi(beta) - 1], erfinv, scaled by std sqrt(2), shifted by mean, clamped to [a, b]. A small
    float16 or bfloat16 tensor takes the result of these steps in float32: in 16 bits the
    uniform rounds to +-1 about once in a few hundred draws (erfinv gives inf, the clamp a bound
    200 std out for std=0.01) and a tail window's uniforms round to a single value. (A tensor
    of DEFER_MIN_NUMEL elements or more is replayed inside accelerate(), which folds the steps
    into one exact fill, a float32 copy costing only memory, unless the window is one whose
    uniform the 16-bit dtype cannot hold, as a tail window's [0.9973, 0.99999943].)"""

    def cdf(x: float) -> float:
        return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))

    low, high = cdf((a - mean) / std), cdf((b - mean) / std)
    lo, hi = 2 * low - 1, 2 * high - 1
    wide = tensor.dtype in (torch.float32, torch.float64) or (
        tensor.numel() >= DEFER_MIN_NUMEL and _survives_rounding(lo, hi, tensor.dtype)
    )
    work = tensor if wide else torch.empty_like(tensor, dtype=torch.float32)
    with torch.no_grad():
        work.uniform_(lo, hi, generator=generator)
        work.erfinv_().mul_(std * math.sqrt(2.0)).add_(mean).clamp_(min=a, max=b)
        if not wide:
            tensor.copy_(work)
    return tensor


def _survives_rounding(lo: float, hi: float, dtype: torch.dtype) -> bool:
    """Whether [lo, hi] rounded to dtype keeps its width to 1%."""
    rounded = torch.tensor([lo, hi], dtype=torch.float64, device="cpu").to(dtype).tolist()
    lo_r, hi_r = rounded
    return bool(abs((hi_r - lo_r) - (hi - lo)) <= 0.01 * (hi - lo))


def _orthogonal_(tensor: torch.Tensor, gain: float = 1.0, generator: Any = None) -> torch.Tensor:
    """Q of the QR of a Gaussian (rows, cols) matrix (transposed when wide), columns signed by
    R's diagonal, times gain."""
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    with torch.no_grad():
        gaussian = tensor.new_empty((rows, cols)).normal_(0, 1, generator=generator)
        q, r = torch.linalg.qr(gaussian.t() if rows < cols else gaussian)
        q = q * torch.diagonal(r).sign()
        tensor.view(rows, cols).copy_(q.t() if rows < cols else q)
        tensor.mul_(gain)
    return tensor


def _sparse_(tensor: torch.Tensor, sparsity: float, std: float = 0.01, generator: Any = None) -> torch.Tensor:
    """N(0, std**2) with ceil(sparsity * rows) zeros at random rows of every column."""
    rows, cols = tensor.shape
    zeros = math.ceil(sparsity * rows)
    with torch.no_grad():
        tensor.normal_(0, std, generator=generator)
        for c in range(cols):
            picked = torch.randperm(rows, generator=generator, device=tensor.device)[:zeros]
            tensor[picked, c] = 0
    return tensor


def _dirac_(tensor: torch.Tensor, groups: int = 1) -> torch.Tensor:
    """Zeros, with a 1 at the centre of the kernel of input channel d for output channel d of
    each group."""
    sizes = tensor.size()
    per_group = sizes[0] // groups
    with torch.no_grad():
        tensor.zero_()
        for g in range(groups):
            for d in range(min(per_group, sizes[1])):
                index = [g * per_group + d, d, *(n // 2 for n in sizes[2:])]
                tensor[tuple(index)] = 1
    return tensor


# name in torch.nn.init -> the same law as operations that run on the meta device
META_SKIPPING: dict[str, Callable[..., torch.Tensor]] = {
    "trunc_normal_": _trunc_normal_,
    "orthogonal_": _orthogonal_,
    "sparse_": _sparse_,
    "dirac_": _dirac_,
}
