"""JAX and Flax initializers backed by fastinit (docs/keras-jax.md).

Every factory returns an :class:`Initializer` with JAX's signature
``init(key, shape, dtype=None) -> jax.Array``, so it plugs into ``kernel_init=`` of Flax
(``nnx`` and ``linen``) and anywhere ``jax.nn.initializers`` are used. The values are generated
by fastinit on the host and handed to JAX; the distribution and the fan rules are those of
``jax.nn.initializers``, the values are those of fastinit's stream:

* **Key rule.** A key (typed ``jax.random.key`` or raw ``uint32[2]`` ``jax.random.PRNGKey``) is
  read as its key data; two 32-bit words (w0, w1) give the 64-bit fastinit seed
  ``w0 << 32 | w1`` (so ``jax.random.key(s)`` gives seed ``s`` for 0 <= s < 2**63 with
  jax_enable_x64, for 0 <= s < 2**32 in JAX's default 32-bit mode, where JAX itself keeps only
  the low 32 bits of s); key data of
  any other length (e.g. the "rbg" implementation) gives the first 8 bytes, little-endian, of
  BLAKE2b (digest size 8) over the words as little-endian uint32 bytes. The stream is the
  factory's ``stream=`` (an int or a name, default 0). The same key always gives the same values.
* Under ``jax.jit``, ``jax.vmap`` and other transformations the key is traced; the fill then runs
  through ``jax.pure_callback`` with the same values.
* :func:`init_tree` fills a whole pytree of shapes: leaf values are a pure function of
  (seed, leaf path), the path being the stream name.
* Complex dtypes (complex64, complex128) are drawn where JAX draws them (normal, orthogonal,
  delta_orthogonal, variance_scaling and its specialisations): the complex array is filled as
  the float array of twice its length that views it (element k's real part is stream element
  2k, its imaginary part 2k + 1), then transformed as JAX's draw is (fastinit.jax._complex).
* Every name of ``jax.nn.initializers`` and of Flax's ``flax.linen.initializers`` /
  ``flax.nnx.initializers`` is here (zeros_init, ones_init included; not the ``typing`` module
  and the ``DtypeLikeInexact`` alias that nnx's module imports for its annotations), so either
  import can be swapped for ``fastinit.jax``; docs/keras-jax.md has the drop-in table.

The package's modules, one concept each: _keys (key -> seed), _initializer (the Initializer
object and argument rules), _variance (variance_scaling and the named schemes), _random (normal,
uniform, truncated_normal), _matrix (orthogonal, delta_orthogonal), _complex (complex draws),
_constants (zeros, ones, constant and Flax's *_init), _tree (init_tree).

This module imports ``jax``; ``import fastinit`` never imports it.
"""

from __future__ import annotations

from ._constants import constant, ones, ones_init, zeros, zeros_init
from ._initializer import Initializer
from ._keys import key_to_seed
from ._matrix import delta_orthogonal, orthogonal
from ._random import normal, truncated_normal, uniform
from ._tree import init_tree
from ._variance import (
    compute_fans,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
)

__all__ = [
    "Initializer", "compute_fans", "constant", "delta_orthogonal", "glorot_normal", "glorot_uniform",
    "he_normal", "he_uniform", "init_tree", "kaiming_normal", "kaiming_uniform", "key_to_seed",
    "lecun_normal", "lecun_uniform", "normal", "ones", "ones_init", "orthogonal", "truncated_normal",
    "uniform", "variance_scaling", "xavier_normal", "xavier_uniform", "zeros", "zeros_init",
]  # fmt: skip
