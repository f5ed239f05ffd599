"""The key rule: a JAX PRNG key (typed, or raw uint32 key data) as a 64-bit fastinit seed
(fastinit.jax's module docstring states it)."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["key_to_seed", "key_words", "seed_from_words"]


def key_words(fn: str, key: Any) -> Any:
    """The uint32 key data of a typed or raw key (a NumPy array, or a tracer under a transform)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        raise TypeError(
            f"{fn}: key must be a JAX PRNG key (jax.random.key(s) or jax.random.PRNGKey(s)); got the int "
            f"{key!r} (use fastinit's seed= functions, or jax.random.key({key!r}))"
        )
    dtype = getattr(key, "dtype", None)
    if dtype is None:
        raise TypeError(f"{fn}: key must be a JAX PRNG key array; got {type(key).__name__}")
    if jnp.issubdtype(dtype, jax.dtypes.prng_key):
        if key.shape != ():
            raise ValueError(
                f"{fn}: key must be a single key (shape ()); got a key array of shape {key.shape}"
            )
        return jax.random.key_data(key)
    # raw key data, checked as JAX checks it: for its default implementation, TypeError for the
    # dtype and the trailing shape, then ValueError for a batch of keys
    impl = str(jax.config.jax_default_prng_impl)  # type: ignore[attr-defined]  # (a flag, not in the stub)
    words = _raw_key_length(impl)
    if np.dtype(dtype) != np.uint32 or len(key.shape) < 1 or key.shape[-1] != words:
        raise TypeError(
            f"{fn}: raw key data must be a uint32 array of shape ({words},) for JAX's default PRNG "
            f"implementation {impl!r} (jax.random.PRNGKey(s)); got dtype {dtype} and shape {tuple(key.shape)}"
        )
    if len(key.shape) != 1:
        raise ValueError(f"{fn}: key must be a single key; got raw key data of shape {tuple(key.shape)}")
    return key


@functools.cache
def _raw_key_length(impl: str) -> int:
    """The number of uint32 words of a key of JAX's PRNG implementation `impl`."""
    return int(jax.random.key_data(jax.random.key(0, impl=impl)).shape[-1])


def seed_from_words(words: np.ndarray) -> int:
    w = np.asarray(words, dtype=np.uint32).reshape(-1)
    if w.size == 2:
        return (int(w[0]) << 32) | int(w[1])
    digest = hashlib.blake2b(w.astype("<u4").tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def key_to_seed(key: Any) -> int:
    """The 64-bit fastinit seed of a concrete JAX key: its two key-data words (w0, w1) as
    ``w0 << 32 | w1``, or, for key data of another length, the first 8 bytes (little-endian) of
    BLAKE2b-64 over the words' little-endian bytes. ``key_to_seed(jax.random.key(s)) == s`` for
    0 <= s < 2**63 with jax_enable_x64, 0 <= s < 2**32 without (JAX then keeps s's low 32 bits).
    Raises TypeError for a traced key (use the initializers, which handle it).

    Parameters
    ----------
    key : jax.Array
        A typed key (jax.random.key) or raw uint32 key data (jax.random.PRNGKey), concrete.

    Returns
    -------
    int
        The seed, in [0, 2**64).

    Raises
    ------
    TypeError
        An int or another non-key object; raw key data that is not uint32 words of JAX's default
        PRNG implementation (two for threefry), as JAX raises; a traced key.
    ValueError
        A key array rather than one key (as JAX raises).

    Examples
    --------
    >>> import jax, fastinit.jax as fj
    >>> fj.key_to_seed(jax.random.key(42)), fj.key_to_seed(jax.random.PRNGKey(7))
    (42, 7)
    """
    words = key_words("key_to_seed", key)
    if isinstance(words, jax.core.Tracer):
        raise TypeError("key_to_seed: the key is traced (inside jit/vmap); its value is not known here")
    return seed_from_words(np.asarray(words))
