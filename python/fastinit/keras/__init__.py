"""Keras 3 initializers backed by fastinit (docs/keras-jax.md): a drop-in for keras.initializers.

Each class has the name, constructor arguments, defaults, validation and ``get_config`` of the
Keras 3 initializer it replaces (``keras.initializers.HeNormal`` -> ``fastinit.keras.HeNormal``)
and derives from that Keras class, so Keras's layers treat it as theirs (``EinsumDense`` and
``MultiHeadAttention`` give a ``VarianceScaling`` the kernel's input and output axes). The random
ones take one more keyword-only argument, ``stream=`` (an int or a name, default 0: the fastinit
stream). Calling one generates the values with fastinit and returns a backend tensor
(``keras.ops.convert_to_tensor``) of the requested dtype (default ``keras.backend.floatx()``;
float32, float64, float16 and bfloat16; an integer dtype is a ValueError, as in Keras, except for
Zeros, Ones, Constant and Identity, which make those with Keras's code):

* ``seed=S`` (an int in [0, 2**64)): the values are fastinit's for (seed S, stream), the same on
  every call, as Keras's seeded initializers;
* ``seed=None``: a 64-bit seed is drawn at construction from Python's ``random`` (which
  ``keras.utils.set_random_seed`` seeds), so, as in Keras, one instance gives the same values on
  every call and two instances differ; ``get_config`` keeps ``seed=None``;
* ``seed=keras.random.SeedGenerator(...)``: each call advances the generator and reads its two
  32-bit state words (w0, w1) as the seed ``w0 << 32 | w1``: different values on every call.

Fans follow Keras (channels-last kernels; ``input_axes``/``output_axes`` when both are given;
``max(1, n)`` in the denominator). The classes are registered for serialization as
``"fastinit>ClassName"``, so a model using them saves and loads with ``keras.saving``, and
``get``/``serialize``/``deserialize`` resolve Keras's names ("he_normal", "HeNormal", ...) to
fastinit's classes. The lowercase names (``he_normal``, ``zeros``, ...) and the aliases
``IdentityInitializer``, ``OrthogonalInitializer`` and ``STFTInitializer`` are the classes, as in
keras.initializers; ``Initializer`` is Keras's base class.

This package imports ``keras``; ``import fastinit`` never imports it.
"""

from __future__ import annotations

from keras.initializers import Initializer as Initializer

from ._constant import Constant, Ones, Zeros
from ._fans import compute_fans
from ._matrix import STFT, Identity, Orthogonal
from ._random import RandomNormal, RandomUniform, TruncatedNormal
from ._serialization import deserialize, get, serialize
from ._variance import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    VarianceScaling,
)

# keras.initializers' other names for the same classes
constant, identity, ones, zeros, stft = Constant, Identity, Ones, Zeros, STFT
glorot_normal, glorot_uniform, he_normal, he_uniform = GlorotNormal, GlorotUniform, HeNormal, HeUniform
lecun_normal, lecun_uniform, orthogonal, variance_scaling = (
    LecunNormal,
    LecunUniform,
    Orthogonal,
    VarianceScaling,
)
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
IdentityInitializer, OrthogonalInitializer, STFTInitializer = Identity, Orthogonal, STFT

__all__ = [
    "STFT", "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "IdentityInitializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "OrthogonalInitializer",
    "RandomNormal", "RandomUniform", "STFTInitializer", "TruncatedNormal", "VarianceScaling", "Zeros",
    "compute_fans", "constant", "deserialize", "get", "glorot_normal", "glorot_uniform", "he_normal",
    "he_uniform", "identity", "lecun_normal", "lecun_uniform", "ones", "orthogonal", "random_normal",
    "random_uniform", "serialize", "stft", "truncated_normal", "variance_scaling", "zeros",
]  # fmt: skip
# Initializer (Keras's base class, re-exported for `import fastinit.keras as initializers`) is
# left out of __all__: it is Keras's own, documented by Keras.
