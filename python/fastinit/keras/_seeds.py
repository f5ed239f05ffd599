"""Keras 3's seed argument, read as fastinit's (seed, stream) key (module docstring of
fastinit.keras): an int is the seed; None draws one now from Python's random; a
keras.random.SeedGenerator gives a new seed on every call."""

from __future__ import annotations

import random as _py_random
from typing import Any

import keras
import numpy as np

from ..engine.placement import check_u64
from ..engine.streams import StreamLike, stream_id
from ._adapter import Adapter


class SeedRangeError(ValueError, OverflowError):
    """An int seed outside [0, 2**64). fastinit raises ValueError for it; Keras's JAX backend
    raises OverflowError (when called); this error is both."""


# The Examples section of every random class: it makes `init`, checks one property of its values
# and that an int seed gives the same values on every call (Seeded.__init_subclass__ adds it).
_EXAMPLE_DOC = """

    Examples
    --------
    >>> import numpy as np, keras, fastinit.keras as fk
    >>> init = fk.{make}
    >>> w = keras.ops.convert_to_numpy(init((256, 128)))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> {check}
    {result}
    >>> np.array_equal(w, keras.ops.convert_to_numpy(init((256, 128))))  # the same on every call
    True
"""


def _tracing() -> bool:
    """Is a jax.jit trace running (every JAX operation now gives a traced value)? Asked before
    the SeedGenerator advances: next() under a trace would store a traced state in it."""
    if keras.backend.backend() != "jax":
        return False
    import jax  # already imported by Keras's JAX backend

    return isinstance(jax.numpy.zeros(()), jax.core.Tracer)


class Seeded(Adapter):
    """The adapter with Keras's seed handling and fastinit's stream= (every random class).

    A subclass that sets _EXAMPLE = (construction, a check of w, its result) gets its docstring's
    Examples section from it (_EXAMPLE_DOC)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_EXAMPLE" in vars(cls):
            make, check, result = vars(cls)["_EXAMPLE"]
            cls.__doc__ = (cls.__doc__ or "").rstrip() + _EXAMPLE_DOC.format(
                make=make, check=check, result=result
            )

    def __init__(self, seed: Any = None, *, stream: StreamLike = 0) -> None:
        name = type(self).__name__
        self._init_seed = seed
        if seed is None:
            seed = _py_random.getrandbits(64)
        elif isinstance(seed, dict):
            seed = keras.saving.deserialize_keras_object(seed)
        if isinstance(seed, keras.random.SeedGenerator):
            self.seed: int | keras.random.SeedGenerator = seed
        elif type(seed) is int:  # as Keras: no float, str or NumPy integer (and, stricter, no bool)
            try:
                self.seed = check_u64(name, "seed", seed)
            except ValueError as e:
                raise SeedRangeError(str(e)) from None
        else:
            raise ValueError(
                f"{name}: seed must be None, an int in [0, 2**64) or a keras.random.SeedGenerator; "
                f"got seed={seed!r}"
            )
        self.stream = stream
        self._stream_id = stream_id(stream, name)

    def _call_seed(self) -> int:
        """This call's seed: the int, or the next state of the SeedGenerator (w0 << 32 | w1)."""
        if isinstance(self.seed, keras.random.SeedGenerator):
            if _tracing():
                raise TypeError(
                    f"{type(self).__name__}: seed=keras.random.SeedGenerator cannot be used inside jax.jit "
                    "(as Keras's ModelParallel does for large variables): its next seed is traced, and "
                    "fastinit draws on the host from a concrete seed; give an int seed"
                )
            w = np.asarray(keras.ops.convert_to_numpy(self.seed.next())).astype(np.int64).reshape(-1)
            return ((int(w[0]) & 0xFFFFFFFF) << 32) | (int(w[-1]) & 0xFFFFFFFF)
        return self.seed

    def _placement(self) -> dict[str, Any]:
        """The placement keywords of one call: {"seed": this call's seed, "stream": the stream id}."""
        return {"seed": self._call_seed(), "stream": self._stream_id}

    def get_config(self) -> dict[str, Any]:
        """{"seed": the constructor's seed (serialized), "stream": stream}."""
        return {"seed": keras.saving.serialize_keras_object(self._init_seed), "stream": self.stream}
