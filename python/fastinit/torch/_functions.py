"""torch.nn.init's functions with torch's exact signatures (generator= positional or keyword,
a fastinit.Generator or a torch.Generator), filling CPU tensors in place through their data
pointer. Extra keywords (seed=, stream=, offset=, distribution=, layout=, ...) pass through to
the fastinit function of the same name."""

from __future__ import annotations

from typing import Any, TypeVar

import fastinit as _fi

__all__ = [
    "calculate_gain", "constant_", "delta_orthogonal_", "dirac_", "eye_", "hadamard_identity_", "kaiming_normal_", "kaiming_uniform_",
    "lecun_normal_", "lecun_uniform_", "normal_", "ones_", "orthogonal_", "sparse_", "trunc_normal_",
    "uniform_", "variance_scaling_", "xavier_normal_", "xavier_uniform_", "zeros_",
]  # fmt: skip

T = TypeVar("T")

calculate_gain = _fi.calculate_gain
constant_ = _fi.constant_
ones_ = _fi.ones_
zeros_ = _fi.zeros_
eye_ = _fi.eye_
dirac_ = _fi.dirac_
delta_orthogonal_ = _fi.delta_orthogonal_
hadamard_identity_ = _fi.hadamard_identity_
lecun_uniform_ = _fi.lecun_uniform_
lecun_normal_ = _fi.lecun_normal_
variance_scaling_ = _fi.variance_scaling_


def uniform_(tensor: T, a: float = 0.0, b: float = 1.0, generator: Any = None, **kwargs: Any) -> T:
    """torch.nn.init.uniform_: U(a, b) in place."""
    return _fi.uniform_(tensor, a, b, generator=generator, **kwargs)


def normal_(tensor: T, mean: float = 0.0, std: float = 1.0, generator: Any = None, **kwargs: Any) -> T:
    """torch.nn.init.normal_: N(mean, std**2) in place."""
    return _fi.normal_(tensor, mean, std, generator=generator, **kwargs)


def trunc_normal_(
    tensor: T,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Any = None,
    **kwargs: Any,
) -> T:
    """torch.nn.init.trunc_normal_: N(mean, std**2) conditioned on [a, b], in place."""
    return _fi.trunc_normal_(tensor, mean, std, a, b, generator=generator, **kwargs)


def xavier_uniform_(tensor: T, gain: float = 1.0, generator: Any = None, **kwargs: Any) -> T:
    """torch.nn.init.xavier_uniform_."""
    return _fi.xavier_uniform_(tensor, gain, generator=generator, **kwargs)


def xavier_normal_(tensor: T, gain: float = 1.0, generator: Any = None, **kwargs: Any) -> T:
    """torch.nn.init.xavier_normal_."""
    return _fi.xavier_normal_(tensor, gain, generator=generator, **kwargs)


def kaiming_uniform_(
    tensor: T,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
    **kwargs: Any,
) -> T:
    """torch.nn.init.kaiming_uniform_."""
    return _fi.kaiming_uniform_(tensor, a, mode, nonlinearity, generator=generator, **kwargs)


def kaiming_normal_(
    tensor: T,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
    **kwargs: Any,
) -> T:
    """torch.nn.init.kaiming_normal_."""
    return _fi.kaiming_normal_(tensor, a, mode, nonlinearity, generator=generator, **kwargs)


def orthogonal_(tensor: T, gain: float = 1, generator: Any = None, **kwargs: Any) -> T:
    """torch.nn.init.orthogonal_."""
    return _fi.orthogonal_(tensor, gain, generator=generator, **kwargs)


def sparse_(tensor: T, sparsity: float, std: float = 0.01, generator: Any = None, **kwargs: Any) -> T:
    """torch.nn.init.sparse_, with a zero pattern reproducible from the seed."""
    return _fi.sparse_(tensor, sparsity, std, generator=generator, **kwargs)
