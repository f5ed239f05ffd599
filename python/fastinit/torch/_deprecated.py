"""torch.nn.init's deprecated names without the trailing underscore (uniform, normal, constant,
eye, dirac, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, orthogonal, sparse),
which torch still ships: each warns FutureWarning, as torch's do, and calls the function with the
underscore."""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from . import _deterministic, _functions

__all__ = [
    "constant", "dirac", "eye", "kaiming_normal", "kaiming_uniform", "normal", "orthogonal", "sparse", "uniform",
    "xavier_normal", "xavier_uniform",
]  # fmt: skip


def _deprecated(func: Callable[..., Any]) -> Callable[..., Any]:
    new = func.__name__
    old = new[:-1]

    @functools.wraps(func)
    def deprecated(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(
            f"`fastinit.torch.{old}` is deprecated in favor of `fastinit.torch.{new}` (as torch's "
            f"`nn.init.{old}` is).",
            FutureWarning,
            stacklevel=2,
        )
        return func(*args, **kwargs)

    deprecated.__name__ = deprecated.__qualname__ = old
    deprecated.__doc__ = f"Deprecated: {new} (warns FutureWarning, as torch.nn.init.{old} does).\n\n    " + (
        func.__doc__ or ""
    )
    return deprecated


uniform = _deprecated(_functions.uniform_)
normal = _deprecated(_functions.normal_)
constant = _deprecated(_deterministic.constant_)
eye = _deprecated(_deterministic.eye_)
dirac = _deprecated(_deterministic.dirac_)
xavier_uniform = _deprecated(_functions.xavier_uniform_)
xavier_normal = _deprecated(_functions.xavier_normal_)
kaiming_uniform = _deprecated(_functions.kaiming_uniform_)
kaiming_normal = _deprecated(_functions.kaiming_normal_)
orthogonal = _deprecated(_functions.orthogonal_)
sparse = _deprecated(_functions.sparse_)
