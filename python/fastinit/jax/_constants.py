"""The constant initializers: jax.nn.initializers' zeros, ones and constant, and Flax's zeros_init
and ones_init (flax.linen.initializers, flax.nnx.initializers). There is nothing to draw: they
make the array with jax.numpy, as JAX does, so a swapped import keeps every value and dtype."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp

from .._docstrings import expand
from ..engine.shapes import as_shape

__all__ = ["constant", "ones", "ones_init", "zeros", "zeros_init"]

ConstantInit = Callable[..., jax.Array]


def _dtype(dtype: Any) -> Any:
    return jax.dtypes.canonicalize_dtype(float) if dtype is None else dtype


def _filled(fn: str, shape: Any, value: Any, dtype: Any, out_sharding: Any) -> jax.Array:
    """An array of value, as JAX's zeros, ones and constant make it: the placement through
    jax.numpy's out_sharding= (a NamedSharding, or a PartitionSpec under a mesh), and a
    TypeError, as JAX raises, for anything else."""
    if out_sharding is not None and not isinstance(
        out_sharding, (jax.sharding.NamedSharding, jax.sharding.PartitionSpec)
    ):
        raise TypeError(
            f"{fn}: out_sharding must be None, a NamedSharding or a PartitionSpec, as JAX takes it; "
            f"got {out_sharding!r}"
        )
    out: jax.Array = jnp.full(as_shape(fn, shape), value, dtype=_dtype(dtype), out_sharding=out_sharding)
    return out


def zeros(key: Any, shape: Any, dtype: Any = None, out_sharding: Any = None) -> jax.Array:
    return _filled("zeros", shape, 0, dtype, out_sharding)


def ones(key: Any, shape: Any, dtype: Any = None, out_sharding: Any = None) -> jax.Array:
    return _filled("ones", shape, 1, dtype, out_sharding)


_FILLED_DOC = """jax.nn.initializers.{name}: an array of {name} (the key is not used).

    Parameters
    ----------
    key : jax.Array or None
        Not used (JAX's signature).
    shape : int or sequence of int
        Non-negative extents.
    dtype : dtype, optional
        Any dtype jax.numpy takes (integers too, as in JAX); None: JAX's default float.
    out_sharding : jax.sharding.NamedSharding or PartitionSpec, optional
        Where the array is placed, as jax.numpy's out_sharding= takes it (a PartitionSpec under
        a mesh); default: JAX's default device.

    <returns jax array>

    Raises
    ------
    TypeError
        A shape that is not an int or a sequence of ints; a dtype jax.numpy rejects;
        out_sharding that is not None, a NamedSharding or a PartitionSpec (as JAX).
    ValueError
        A negative extent.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, fastinit.jax as fj
    >>> fj.{name}(jax.random.key(0), (2, 3), {dtype}).tolist()
    {result}
    """
zeros.__doc__ = expand(_FILLED_DOC).format(
    name="zeros", dtype="jnp.float32", result="[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]"
)
ones.__doc__ = expand(_FILLED_DOC).format(name="ones", dtype="jnp.int32", result="[[1, 1, 1], [1, 1, 1]]")


def constant(value: Any, dtype: Any = None) -> ConstantInit:
    """jax.nn.initializers.constant: an initializer ``init(key, shape, dtype=dtype,
    out_sharding=None)`` of arrays full of value (the key is not used).

    Parameters
    ----------
    value : scalar or array
        The value, broadcast to the shape (jax.numpy.full's rule).
    dtype : dtype, optional
        The initializer's default dtype (any dtype jax.numpy takes); None: JAX's default float.

    Returns
    -------
    callable
        ``init(key, shape, dtype=dtype, out_sharding=None) -> jax.Array``.

    Raises
    ------
    TypeError
        Calling it: a shape that is not an int or a sequence of ints; a dtype jax.numpy rejects;
        out_sharding that is not None, a NamedSharding or a PartitionSpec (as JAX).
    ValueError
        Calling it: a negative extent; a value that does not broadcast to the shape.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, fastinit.jax as fj
    >>> fj.constant(-7)(jax.random.key(0), (2, 3), jnp.float32).tolist()
    [[-7.0, -7.0, -7.0], [-7.0, -7.0, -7.0]]
    """
    default = dtype

    def init(key: Any, shape: Any, dtype: Any = default, out_sharding: Any = None) -> jax.Array:
        return _filled("constant", shape, value, dtype, out_sharding)

    return init


def zeros_init() -> ConstantInit:
    """Flax's zeros_init: returns :func:`zeros`.

    Returns
    -------
    callable
        :func:`zeros`, ``init(key, shape, dtype=None, out_sharding=None)``.

    Examples
    --------
    >>> import jax, fastinit.jax as fj
    >>> fj.zeros_init()(jax.random.key(0), (2,)).tolist()
    [0.0, 0.0]
    """
    return zeros


def ones_init() -> ConstantInit:
    """Flax's ones_init: returns :func:`ones`, as flax.linen.initializers.ones_init does."""
    return ones


ones_init.__doc__ = (zeros_init.__doc__ or "").replace("zeros", "ones").replace("0.0", "1.0")
