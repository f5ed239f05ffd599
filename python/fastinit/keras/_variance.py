"""VarianceScaling and the six schemes Keras names (Glorot, He, LeCun; uniform and normal):
Keras's arguments and fan rule, the std from fastinit.schemes.core.Scheme. Each class derives
from the Keras class of the same name, so Keras's layers treat it as theirs (EinsumDense and
MultiHeadAttention give a VarianceScaling the kernel's input and output axes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from ..engine.aligned import aligned_empty
from ..engine.fill import fill_law
from ..engine.streams import StreamLike
from ..schemes.core import Scheme
from ._adapter import check_real, public
from ._fans import compute_fans
from ._seeds import Seeded


@public
class VarianceScaling(Seeded, keras.initializers.VarianceScaling):  # type: ignore[misc]
    """keras.initializers.VarianceScaling with fastinit values: std = sqrt(scale / max(1, n)), n =
    fan_in, fan_out or (fan_in + fan_out) / 2 per `mode` (fans by :func:`compute_fans`);
    distribution "truncated_normal" (alias "normal"; truncated to +-2 s with s = std /
    0.8796..., so the std is exact), "untruncated_normal" or "uniform" (+-sqrt(3) std).

    Parameters
    ----------
    scale : float or scalar tensor, optional
        > 0 (default 1).
    mode : {"fan_in", "fan_out", "fan_avg"}, optional
        Default "fan_in".
    distribution : {"truncated_normal", "normal", "untruncated_normal", "uniform"}, optional
        Default "truncated_normal" (any case; "normal" is its alias, as in Keras).
    <seed>
    input_axes, output_axes : sequence of int, optional
        When both are given, the fans are the products of these axes (Keras 3).
    <stream>

    Raises
    ------
    <seed raises>
    ValueError
        scale not > 0; an unknown mode or distribution; when called, an axis outside the shape
        (an error both ValueError and IndexError).
    """

    _EXAMPLE = (
        'VarianceScaling(2.0, "fan_in", "uniform", seed=0)',
        "bool(abs(w).max() <= (6 / 256) ** 0.5)",
        "True",
    )
    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
        *,
        stream: StreamLike = 0,
    ) -> None:
        name = type(self).__name__
        self._scale = check_real(name, "scale", scale)
        if self._scale <= 0:
            raise ValueError(f"{name}: Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in self._MODES:
            raise ValueError(
                f"{name}: Invalid `mode` argument: {mode!r}. Please use one of {', '.join(map(repr, self._MODES))}"
            )
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        dist = "truncated_normal" if dist == "normal" else dist
        if dist not in self._DISTRIBUTIONS:
            raise ValueError(
                f"{name}: Invalid `distribution` argument: {distribution!r}. Please use one of 'normal', "
                f"{', '.join(map(repr, self._DISTRIBUTIONS))}"
            )
        self.scale, self.mode, self.distribution = scale, mode, dist
        self.input_axes, self.output_axes = input_axes, output_axes
        super().__init__(seed, stream=stream)

    def _draw(self, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        distribution = "normal" if self.distribution == "untruncated_normal" else self.distribution
        law = Scheme(self._scale, self.mode, distribution, min_fan=1.0).law(fan_in, fan_out)
        assert law is not None  # max(1, n): never empty
        return fill_law(type(self).__name__, aligned_empty(shape, dt), law, self._placement())  # type: ignore[arg-type]

    def get_config(self) -> dict[str, Any]:
        """Keras's config (scale, mode, distribution, seed, input_axes, output_axes) plus stream.

        <config>
        >>> fk.VarianceScaling(2.0, "fan_out", "uniform", seed=0).get_config()
        {'seed': 0, 'stream': 0, 'scale': 2.0, 'mode': 'fan_out', 'distribution': 'uniform',
         'input_axes': None, 'output_axes': None}
        """
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}  # fmt: skip


class _Fixed(VarianceScaling):
    """A VarianceScaling with fixed (scale, mode, distribution), configured like Keras's."""

    _FIXED: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        cls.__doc__ = (cls.__doc__ or "").rstrip() + _FIXED_DOC  # then Seeded adds the Examples
        super().__init_subclass__(**kwargs)

    def __init__(
        self,
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
        *,
        stream: StreamLike = 0,
    ) -> None:
        scale, mode, dist = self._FIXED
        super().__init__(scale, mode, dist, seed, input_axes, output_axes, stream=stream)

    def get_config(self) -> dict[str, Any]:
        """Keras's config (seed, input_axes, output_axes) plus stream.

        <config>
        >>> fk.HeNormal(seed=0).get_config()
        {'seed': 0, 'stream': 0, 'input_axes': None, 'output_axes': None}
        """
        cfg = super().get_config()
        return {k: cfg[k] for k in ("seed", "stream", "input_axes", "output_axes")}


# The six fixed schemes share their constructor, so their docstrings are written once: each
# class gives its summary and its example (_Fixed.__init_subclass__ and Seeded compose them).
_FIXED_DOC = """

    Parameters
    ----------
    <seed>
    input_axes, output_axes : sequence of int, optional
        When both are given, the fans are the products of these axes (Keras 3; EinsumDense and
        MultiHeadAttention give them).
    <stream>

    Raises
    ------
    <seed raises>
    ValueError
        When called, an axis outside the shape (an error both ValueError and IndexError).
"""


@public
class GlorotUniform(_Fixed, keras.initializers.GlorotUniform):  # type: ignore[misc]
    """keras.initializers.GlorotUniform with fastinit values: U(+-sqrt(6 / (fan_in + fan_out)))."""

    _FIXED = (1.0, "fan_avg", "uniform")
    _EXAMPLE = ("GlorotUniform(seed=0)", "bool(abs(w).max() <= (6 / 384) ** 0.5)", "True")


@public
class GlorotNormal(_Fixed, keras.initializers.GlorotNormal):  # type: ignore[misc]
    """keras.initializers.GlorotNormal with fastinit values: truncated normal of std
    sqrt(2 / (fan_in + fan_out))."""

    _FIXED = (1.0, "fan_avg", "truncated_normal")
    _EXAMPLE = ("GlorotNormal(seed=0)", "round(float(w.std() * (384 / 2) ** 0.5), 1)", "1.0")


@public
class HeUniform(_Fixed, keras.initializers.HeUniform):  # type: ignore[misc]
    """keras.initializers.HeUniform with fastinit values: U(+-sqrt(6 / fan_in))."""

    _FIXED = (2.0, "fan_in", "uniform")
    _EXAMPLE = ("HeUniform(seed=0)", "bool(abs(w).max() <= (6 / 256) ** 0.5)", "True")


@public
class HeNormal(_Fixed, keras.initializers.HeNormal):  # type: ignore[misc]
    """keras.initializers.HeNormal with fastinit values: truncated normal of std sqrt(2 / fan_in)."""

    _FIXED = (2.0, "fan_in", "truncated_normal")
    _EXAMPLE = ("HeNormal(seed=0)", "round(float(w.std() * (256 / 2) ** 0.5), 1)", "1.0")


@public
class LecunUniform(_Fixed, keras.initializers.LecunUniform):  # type: ignore[misc]
    """keras.initializers.LecunUniform with fastinit values: U(+-sqrt(3 / fan_in))."""

    _FIXED = (1.0, "fan_in", "uniform")
    _EXAMPLE = ("LecunUniform(seed=0)", "bool(abs(w).max() <= (3 / 256) ** 0.5)", "True")


@public
class LecunNormal(_Fixed, keras.initializers.LecunNormal):  # type: ignore[misc]
    """keras.initializers.LecunNormal with fastinit values: truncated normal of std sqrt(1 / fan_in)."""

    _FIXED = (1.0, "fan_in", "truncated_normal")
    _EXAMPLE = ("LecunNormal(seed=0)", "round(float(w.std() * 256**0.5), 1)", "1.0")
