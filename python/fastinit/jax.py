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

This module imports ``jax``; ``import fastinit`` never imports it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable, TypeVar, Union

import jax
import jax.numpy as jnp
import numpy as np

from .engine.aligned import aligned_empty
from .engine.fill import fill_law, normal_, trunc_normal_, uniform_
from .engine.streams import StreamLike, check_u64, stream_id
from .engine.targets import resolve_dtype, supported_dtype_names
from .schemes.core import MODES, Scheme
from .schemes.matrix import orthogonal_

__all__ = [
    "Initializer", "compute_fans", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "init_tree",
    "kaiming_normal", "kaiming_uniform", "key_to_seed", "lecun_normal", "lecun_uniform", "normal",
    "orthogonal", "truncated_normal", "uniform", "variance_scaling", "xavier_normal", "xavier_uniform",
]  # fmt: skip

AxisLike = Union[int, Sequence[int]]
FillFn = Callable[[tuple[int, ...], np.dtype, int, int], np.ndarray]

_MODES = MODES  # JAX's four, fan_geo_avg included
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")

# --- keys, shapes, dtypes ------------------------------------------------------------------------


def _key_words(fn: str, key: Any) -> Any:
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
    if np.dtype(dtype) != np.uint32 or len(key.shape) != 1 or key.shape[0] < 1:
        raise ValueError(
            f"{fn}: a raw key must be a uint32 array of shape (n,), e.g. jax.random.PRNGKey(s) of shape "
            f"(2,); got dtype {dtype} and shape {tuple(key.shape)}"
        )
    return key


def _seed_from_words(words: np.ndarray) -> int:
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
        An int or another non-key object; a traced key.
    ValueError
        A key array rather than one key; raw key data that is not a 1-D uint32 array.

    Examples
    --------
    >>> import jax, fastinit.jax as fj
    >>> fj.key_to_seed(jax.random.key(42)), fj.key_to_seed(jax.random.PRNGKey(7))
    (42, 7)
    """
    words = _key_words("key_to_seed", key)
    if isinstance(words, jax.core.Tracer):
        raise TypeError("key_to_seed: the key is traced (inside jit/vmap); its value is not known here")
    return _seed_from_words(np.asarray(words))


def _shape(fn: str, shape: Any) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool) else shape
    if not isinstance(dims, (tuple, list)) or not all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in dims
    ):
        raise TypeError(f"{fn}: shape must be an int or a sequence of ints; got {shape!r}")
    out = tuple(int(n) for n in dims)
    if any(n < 0 for n in out):
        raise ValueError(f"{fn}: shape must have non-negative extents; got {out}")
    return out


def _np_dtype(fn: str, dtype: Any) -> np.dtype:
    """A JAX dtype argument as the NumPy dtype to generate (x64 disabled: float64 -> float32)."""
    try:
        canon = np.dtype(jax.dtypes.canonicalize_dtype(dtype))
    except (TypeError, ValueError):
        raise TypeError(
            f"{fn}: dtype={dtype!r} is not a dtype; allowed: {', '.join(supported_dtype_names())}"
        ) from None
    if canon.kind != "f" and canon.name != "bfloat16":
        raise TypeError(
            f"{fn}: dtype={canon.name} is not supported; allowed: {', '.join(supported_dtype_names())}"
        )
    return resolve_dtype(fn, canon)


def _axes(fn: str, name: str, axis: AxisLike, ndim: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    try:
        items: tuple[Any, ...] = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    except TypeError:
        raise TypeError(f"{fn}: {name} must be an int or a sequence of ints; got {axis!r}") from None
    out = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise ValueError(f"{fn}: {name}={axis!r} is not an axis (or axes) of shape {shape}")
        out.append(int(a) % ndim)
    return tuple(out)


def compute_fans(
    shape: Sequence[int],
    in_axis: AxisLike = -2,
    out_axis: AxisLike = -1,
    batch_axis: AxisLike = (),
    *,
    fn: str = "compute_fans",
) -> tuple[float, float]:
    """(fan_in, fan_out) by jax.nn.initializers' rule, with its arithmetic: in_axis / out_axis /
    batch_axis may each be an int or a sequence of ints; receptive field = prod(shape) / in_size /
    out_size / batch_size, fan_in = in_size * receptive, fan_out = out_size * receptive. As in JAX
    the axes may overlap (Flax's nn.Embed uses in_axis=-2, out_axis=0 on a 2-D table).

    Parameters
    ----------
    shape : sequence of int
        The array's shape.
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        Defaults -2, -1 and none.
    fn : str, optional
        Keyword only: the function name error messages start with.

    Returns
    -------
    (float, float)
        fan_in and fan_out; (0.0, 0.0) for a shape with a zero extent on those axes.

    Raises
    ------
    TypeError
        An axis argument that is not an int or a sequence of ints.
    ValueError
        A shape of fewer than 2 dimensions with the default in_axis; an axis outside the shape.

    Examples
    --------
    >>> import fastinit.jax as fj
    >>> fj.compute_fans((3, 3, 16, 32))
    (144.0, 288.0)
    >>> fj.compute_fans((10, 20), in_axis=-2, out_axis=0)  # overlapping axes, as JAX allows
    (20.0, 20.0)
    """
    shape = tuple(int(n) for n in shape)
    ndim = len(shape)
    if ndim <= 1 and isinstance(in_axis, int) and in_axis == -2:
        raise ValueError(
            f"{fn}: cannot compute fans of a {ndim}-dimensional shape {shape} with the default in_axis=-2; "
            "the shape must be at least 2-D, or give in_axis and out_axis explicitly"
        )
    in_size = math.prod(shape[a] for a in _axes(fn, "in_axis", in_axis, ndim, shape))
    out_size = math.prod(shape[a] for a in _axes(fn, "out_axis", out_axis, ndim, shape))
    batch_size = math.prod(shape[a] for a in _axes(fn, "batch_axis", batch_axis, ndim, shape))
    if in_size * out_size * batch_size == 0:
        return 0.0, 0.0
    receptive = math.prod(shape) / in_size / out_size / batch_size
    return in_size * receptive, out_size * receptive


# --- the initializer object ----------------------------------------------------------------------


class Initializer:
    """A JAX initializer backed by fastinit: ``init(key, shape, dtype=None) -> jax.Array``.

    ``dtype=None`` uses the factory's dtype, else JAX's default float (float32, or float64 with
    x64 enabled); float32, float64, float16 and bfloat16 are supported. The seed comes from the
    key (module docstring), the stream from the factory's ``stream=``. ``generate(shape, dtype,
    seed=, stream=)`` returns the NumPy array that the same (seed, stream) gives, without a key.

    Made by the factories (normal, he_normal, ...), not constructed directly.

    Parameters
    ----------
    name : str
        The factory's name, for errors and repr.
    fill : callable
        (shape, numpy dtype, seed, stream id) -> a new NumPy array of the values.
    dtype : dtype or None
        The default dtype of the arrays.
    stream : int or str
        The fastinit stream.
    params : dict
        The factory's arguments, for repr.

    Attributes
    ----------
    name, dtype, stream, params
        As given.

    Raises
    ------
    TypeError
        An unsupported dtype; a stream that is neither an int nor a str.
    ValueError
        A stream outside [0, 2**64).

    Examples
    --------
    >>> import fastinit.jax as fj
    >>> fj.he_normal(stream="encoder")
    fastinit.jax.he_normal(in_axis=-2, out_axis=-1, batch_axis=(), stream='encoder')
    """

    def __init__(self, name: str, fill: FillFn, dtype: Any, stream: StreamLike, params: dict[str, Any]):
        self.name = name
        self.dtype = dtype
        self.stream = stream
        self.params = params
        self._fill = fill
        self._stream_id = stream_id(stream, name)
        if dtype is not None:
            _np_dtype(name, dtype)

    def _resolve(self, shape: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
        dt = dtype if dtype is not None else self.dtype
        return _shape(self.name, shape), _np_dtype(self.name, float if dt is None else dt)

    def generate(
        self, shape: Any, dtype: Any = None, *, seed: int, stream: StreamLike | None = None
    ) -> np.ndarray:
        """The values as a NumPy array for a fastinit (seed, stream) — stream defaults to the
        factory's. ``init(key, shape, dtype)`` equals
        ``generate(shape, dtype, seed=key_to_seed(key))``.

        Parameters
        ----------
        shape : int or sequence of int
            Non-negative extents.
        dtype : dtype, optional
            float32, float64, float16 or bfloat16; None: the factory's, else JAX's default float.
        seed : int
            Keyword only: the fastinit seed, in [0, 2**64).
        stream : int or str, optional
            Keyword only: instead of the factory's stream.

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        TypeError
            A bad shape, dtype, seed or stream.
        ValueError
            A negative extent; seed or stream out of range; a shape the initializer cannot fill.

        Examples
        --------
        >>> import fastinit.jax as fj
        >>> w = fj.uniform(scale=1.0).generate((2, 3), seed=0)
        >>> w.shape, w.dtype, bool(((0 <= w) & (w < 1)).all())
        ((2, 3), dtype('float32'), True)
        """
        shp, dt = self._resolve(shape, dtype)
        sid = self._stream_id if stream is None else stream_id(stream, self.name)
        return self._fill(shp, dt, check_u64(self.name, "seed", seed), sid)

    def __call__(self, key: Any, shape: Any, dtype: Any = None, out_sharding: Any = None) -> jax.Array:
        """An array of `shape` and `dtype` filled from the key's seed and this initializer's stream.

        Works under jax.jit and jax.vmap (through jax.pure_callback), with the same values.

        Parameters
        ----------
        key : jax.Array
            A typed key (jax.random.key) or raw key data (jax.random.PRNGKey).
        shape : int or sequence of int
            Non-negative extents.
        dtype : dtype, optional
            float32, float64, float16 or bfloat16; None: the factory's, else JAX's default float.
        out_sharding : None
            JAX's argument; only None is supported.

        Returns
        -------
        jax.Array

        Raises
        ------
        TypeError
            A bad key, shape or dtype.
        ValueError
            out_sharding other than None; a key array of more than one key; a negative extent; a
            shape the initializer cannot fill (fans of a 1-D shape, orthogonal of fewer than 2
            dimensions); what the fill raises for the factory's arguments (a negative stddev).

        Examples
        --------
        >>> import jax, numpy as np, fastinit.jax as fj
        >>> init = fj.normal(0.1)
        >>> w = jax.jit(lambda key: init(key, (4, 3)))(jax.random.key(0))
        >>> np.array_equal(np.asarray(w), np.asarray(init(jax.random.key(0), (4, 3))))
        True
        """
        if out_sharding is not None:
            raise ValueError(f"{self.name}: out_sharding={out_sharding!r} is not supported (only None)")
        shp, dt = self._resolve(shape, dtype)
        words = _key_words(self.name, key)
        sid = self._stream_id
        if not isinstance(words, jax.core.Tracer):
            out: jax.Array = jax.device_put(self._fill(shp, dt, _seed_from_words(np.asarray(words)), sid))
            return out

        def host(w: np.ndarray) -> np.ndarray:
            return self._fill(shp, dt, _seed_from_words(w), sid)

        return jax.pure_callback(  # type: ignore[no-any-return]
            host,
            jax.ShapeDtypeStruct(shp, dt),  # type: ignore[no-untyped-call, unused-ignore]
            words,
            vmap_method="sequential",
        )

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        extra = "" if self.stream == 0 else f", stream={self.stream!r}"
        return f"fastinit.jax.{self.name}({args}{extra})"


def _check_real(fn: str, name: str, value: Any, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a real number; got {value!r}")
    v = float(value)
    if not math.isfinite(v) or (positive and v <= 0):
        raise ValueError(f"{fn}: {name} must be {'> 0' if positive else 'finite'}; got {name}={v}")
    return v


F = TypeVar("F", bound=Callable[..., Any])

# What the factories' docstrings say alike, written once (_shared_doc puts it in place).
_SHARED_DOC = {
    "<dtype and stream>": (
        "dtype : dtype, optional\n"
        "        The default dtype of the arrays (float32, float64, float16 or bfloat16); None (default):\n"
        "        JAX's default float.\n"
        "    stream : int or str, optional\n"
        "        Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0)."
    ),
    "<returns an Initializer>": (
        "Returns\n    -------\n    Initializer\n        ``init(key, shape, dtype=None) -> jax.Array``."
    ),
    "<type errors>": (
        "TypeError\n"
        "        A number argument that is not a real number; an unsupported dtype;\n"
        "        a stream that is neither an int nor a str."
    ),
}


def _shared_doc(func: F) -> F:
    """Fill the shared parts (_SHARED_DOC) of a factory's docstring."""
    doc = func.__doc__ or ""
    for marker, text in _SHARED_DOC.items():
        doc = doc.replace(marker, text)
    func.__doc__ = doc
    return func


# --- factories -----------------------------------------------------------------------------------


@_shared_doc
def variance_scaling(
    scale: float,
    mode: str,
    distribution: str,
    in_axis: AxisLike = -2,
    out_axis: AxisLike = -1,
    batch_axis: AxisLike = (),
    dtype: Any = None,
    *,
    stream: StreamLike = 0,
) -> Initializer:
    """jax.nn.initializers.variance_scaling with fastinit values: std = sqrt(scale / n), n =
    fan_in, fan_out, (fan_in + fan_out) / 2 or sqrt(fan_in * fan_out) per `mode`;
    distribution "truncated_normal" (truncated to +-2 s, s corrected so the std is exact),
    "normal" or "uniform" (+-sqrt(3) std). Real dtypes only.

    Parameters
    ----------
    scale : float
        > 0.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}
    distribution : {"truncated_normal", "normal", "uniform"}
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        The fans' axes, as in jax.nn.initializers (defaults -2, -1 and none).
    <dtype and stream>

    <returns an Initializer>

    Raises
    ------
    <type errors>
    ValueError
        scale not > 0 and finite; an unknown mode or distribution; a stream outside [0, 2**64).
        Calling the initializer raises what Initializer.__call__ says.

    Examples
    --------
    >>> import jax, numpy as np, fastinit.jax as fj
    >>> init = fj.variance_scaling(2.0, "fan_in", "normal")
    >>> w = init(jax.random.key(0), (256, 128))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> round(float(w.std()) * (256 / 2) ** 0.5, 1)
    1.0
    >>> np.array_equal(np.asarray(w), init.generate((256, 128), seed=0))  # key(0) is seed 0
    True
    """
    fn = "variance_scaling"
    s = _check_real(fn, "scale", scale, positive=True)
    if mode not in _MODES:
        raise ValueError(f"{fn}: mode={mode!r} is not one of {', '.join(map(repr, _MODES))}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(
            f"{fn}: distribution={distribution!r} is not one of {', '.join(map(repr, _DISTRIBUTIONS))}"
        )

    scheme = Scheme(s, mode, distribution)

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        fan_in, fan_out = compute_fans(shape, in_axis, out_axis, batch_axis, fn=fn)
        law = scheme.law(fan_in, fan_out)
        if math.prod(shape) == 0 or law is None:
            return np.zeros(shape, dt)
        return fill_law(fn, aligned_empty(shape, dt), law, {"seed": seed, "stream": sid})

    params = dict(scale=s, mode=mode, distribution=distribution, in_axis=in_axis, out_axis=out_axis,
                  batch_axis=batch_axis)  # fmt: skip
    return Initializer(fn, fill, dtype, stream, params)


@_shared_doc
def _scheme(name: str, scale: float, mode: str, distribution: str) -> Callable[..., Initializer]:
    def factory(
        in_axis: AxisLike = -2,
        out_axis: AxisLike = -1,
        batch_axis: AxisLike = (),
        dtype: Any = None,
        *,
        stream: StreamLike = 0,
    ) -> Initializer:
        init = variance_scaling(
            scale, mode, distribution, in_axis, out_axis, batch_axis, dtype, stream=stream
        )
        init.name = name
        init.params = dict(in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis)
        return init

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = f"""jax.nn.initializers.{name} with fastinit values: variance_scaling({scale}, {mode!r},
    {distribution!r}, in_axis, out_axis, batch_axis, dtype, stream=stream).

    Parameters
    ----------
    in_axis, out_axis, batch_axis : int or sequence of int, optional
        The fans' axes, as in jax.nn.initializers (defaults -2, -1 and none).
    <dtype and stream>

    <returns an Initializer>

    Raises
    ------
    TypeError
        An unsupported dtype; a stream that is neither an int nor a str.
    ValueError
        A stream outside [0, 2**64). Calling the initializer raises what Initializer.__call__
        says (axes outside the shape among them).

    Examples
    --------
    >>> import jax, numpy as np, fastinit.jax as fj
    >>> init = fj.{name}()
    >>> w = init(jax.random.key(0), (256, 128))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> same = fj.variance_scaling({scale}, {mode!r}, {distribution!r})
    >>> np.array_equal(np.asarray(w), same.generate((256, 128), seed=0))
    True
    """
    return _shared_doc(factory)


glorot_uniform = _scheme("glorot_uniform", 1.0, "fan_avg", "uniform")
glorot_normal = _scheme("glorot_normal", 1.0, "fan_avg", "truncated_normal")
lecun_uniform = _scheme("lecun_uniform", 1.0, "fan_in", "uniform")
lecun_normal = _scheme("lecun_normal", 1.0, "fan_in", "truncated_normal")
he_uniform = _scheme("he_uniform", 2.0, "fan_in", "uniform")
he_normal = _scheme("he_normal", 2.0, "fan_in", "truncated_normal")
xavier_uniform, xavier_normal = glorot_uniform, glorot_normal  # JAX's aliases
kaiming_uniform, kaiming_normal = he_uniform, he_normal


@_shared_doc
def normal(stddev: float = 1e-2, dtype: Any = None, *, stream: StreamLike = 0) -> Initializer:
    """jax.nn.initializers.normal with fastinit values: N(0, stddev**2).

    Parameters
    ----------
    stddev : float, optional
        Default 0.01; a negative one fails when called.
    <dtype and stream>

    <returns an Initializer>

    Raises
    ------
    <type errors>
    ValueError
        stddev not finite; a stream outside [0, 2**64).
        Calling the initializer raises what Initializer.__call__ says.

    Examples
    --------
    >>> import jax, numpy as np, fastinit.jax as fj
    >>> init = fj.normal(0.1)
    >>> w = init(jax.random.key(0), (256, 128))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> round(float(w.std()), 2)
    0.1
    >>> np.array_equal(np.asarray(w), init.generate((256, 128), seed=0))  # key(0) is seed 0
    True
    """
    sd = _check_real("normal", "stddev", stddev)

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        return normal_(aligned_empty(shape, dt), 0.0, sd, seed=seed, stream=sid)

    return Initializer("normal", fill, dtype, stream, {"stddev": sd})


@_shared_doc
def uniform(scale: float = 1e-2, dtype: Any = None, *, stream: StreamLike = 0) -> Initializer:
    """jax.nn.initializers.uniform with fastinit values: U[0, scale) (U[scale, 0) for a
    negative scale).

    Parameters
    ----------
    scale : float, optional
        Default 0.01.
    <dtype and stream>

    <returns an Initializer>

    Raises
    ------
    <type errors>
    ValueError
        scale not finite; a stream outside [0, 2**64).
        Calling the initializer raises what Initializer.__call__ says.

    Examples
    --------
    >>> import jax, numpy as np, fastinit.jax as fj
    >>> init = fj.uniform(1.0)
    >>> w = init(jax.random.key(0), (256, 128))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> bool(((0 <= w) & (w < 1)).all())
    True
    >>> np.array_equal(np.asarray(w), init.generate((256, 128), seed=0))  # key(0) is seed 0
    True
    """
    sc = _check_real("uniform", "scale", scale)

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        return uniform_(aligned_empty(shape, dt), min(0.0, sc), max(0.0, sc), seed=seed, stream=sid)

    return Initializer("uniform", fill, dtype, stream, {"scale": sc})


@_shared_doc
def truncated_normal(
    stddev: float = 1e-2,
    dtype: Any = None,
    lower: float = -2.0,
    upper: float = 2.0,
    *,
    stream: StreamLike = 0,
) -> Initializer:
    """jax.nn.initializers.truncated_normal with fastinit values: stddev * (N(0, 1) truncated to
    [lower, upper]); like JAX, stddev is that of the untruncated normal (no variance correction).

    Parameters
    ----------
    stddev : float, optional
        > 0 (default 0.01).
    dtype : dtype, optional
        The default dtype of the arrays (float32, float64, float16 or bfloat16); None (default):
        JAX's default float.
    lower, upper : float, optional
        The bounds in units of stddev, lower < upper (default -2 and 2).
    stream : int or str, optional
        Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0).

    <returns an Initializer>

    Raises
    ------
    <type errors>
    ValueError
        stddev not > 0 and finite; lower >= upper; a stream outside [0, 2**64).
        Calling the initializer raises what Initializer.__call__ says.

    Examples
    --------
    >>> import jax, numpy as np, fastinit.jax as fj
    >>> init = fj.truncated_normal(0.1)
    >>> w = init(jax.random.key(0), (256, 128))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> bool((abs(np.asarray(w)) <= 0.2).all())
    True
    >>> np.array_equal(np.asarray(w), init.generate((256, 128), seed=0))  # key(0) is seed 0
    True
    """
    fn = "truncated_normal"
    sd = _check_real(fn, "stddev", stddev, positive=True)
    lo, hi = _check_real(fn, "lower", lower), _check_real(fn, "upper", upper)
    if not lo < hi:
        raise ValueError(f"{fn}: lower must be < upper; got lower={lo}, upper={hi}")

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        return trunc_normal_(aligned_empty(shape, dt), 0.0, sd, lo * sd, hi * sd, seed=seed, stream=sid)

    return Initializer(fn, fill, dtype, stream, {"stddev": sd, "lower": lo, "upper": hi})


@_shared_doc
def orthogonal(
    scale: float = 1.0, column_axis: int = -1, dtype: Any = None, *, stream: StreamLike = 0
) -> Initializer:
    """jax.nn.initializers.orthogonal with fastinit values: the shape is viewed as a matrix of
    (prod(other axes), shape[column_axis]) with orthonormal columns (or rows, when wider than
    tall), from fastinit.orthogonal (QR of a Gaussian matrix, sign-corrected: Haar), times scale.
    The values are reproducible on one machine and LAPACK build (fastinit.orthogonal_'s Notes).

    Parameters
    ----------
    scale : float, optional
        > 0 (default 1).
    column_axis : int, optional
        The axis of the columns (default -1).
    <dtype and stream>

    <returns an Initializer>

    Raises
    ------
    TypeError
        column_axis not an int; a number argument that is not a real number; an unsupported dtype;
        a stream that is neither an int nor a str.
    ValueError
        scale not > 0 and finite; a stream outside [0, 2**64).
        Calling the initializer raises what Initializer.__call__ says.

    Examples
    --------
    >>> import jax, numpy as np, fastinit.jax as fj
    >>> init = fj.orthogonal(2.0)
    >>> w = init(jax.random.key(0), (256, 128))
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> bool(np.allclose(np.asarray(w).T @ np.asarray(w), 4 * np.eye(128), atol=1e-4))
    True
    >>> np.array_equal(np.asarray(w), init.generate((256, 128), seed=0))  # key(0) is seed 0
    True
    """
    fn = "orthogonal"
    sc = _check_real(fn, "scale", scale, positive=True)
    if isinstance(column_axis, bool) or not isinstance(column_axis, (int, np.integer)):
        raise TypeError(f"{fn}: column_axis must be an int; got {column_axis!r}")

    def fill(shape: tuple[int, ...], dt: np.dtype, seed: int, sid: int) -> np.ndarray:
        if len(shape) < 2:
            raise ValueError(f"{fn}: the shape must be at least 2-D; got {shape}")
        (col,) = _axes(fn, "column_axis", column_axis, len(shape), shape)
        if math.prod(shape) == 0:
            return np.zeros(shape, dt)
        n_cols = shape[col]
        q = orthogonal_(aligned_empty((math.prod(shape) // n_cols, n_cols), dt), sc, seed=seed, stream=sid)
        q = q.reshape((*(n for k, n in enumerate(shape) if k != col), n_cols))
        return np.ascontiguousarray(np.moveaxis(q, -1, col))

    return Initializer(fn, fill, dtype, stream, {"scale": sc, "column_axis": int(column_axis)})


# --- whole pytrees -------------------------------------------------------------------------------

Rules = Union[Callable[..., Any], Mapping[str, Callable[..., Any]], Sequence[tuple[str, Callable[..., Any]]]]


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list)) and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in x
    )


def _is_leaf(x: Any) -> bool:
    return _is_shape(x) or (hasattr(x, "shape") and hasattr(x, "dtype"))


def _path_name(path: Sequence[Any]) -> str:
    parts = []
    for k in path:
        for attr in ("key", "name", "idx"):
            if hasattr(k, attr):
                parts.append(str(getattr(k, attr)))
                break
        else:
            parts.append(str(k))
    return ".".join(parts)


def _rule_list(rules: Rules) -> list[tuple[re.Pattern[str] | None, Callable[..., Any]]]:
    fn = "init_tree"
    if callable(rules):
        return [(None, rules)]
    items = list(rules.items()) if isinstance(rules, Mapping) else rules
    out: list[tuple[re.Pattern[str] | None, Callable[..., Any]]] = []
    try:
        for pattern, init in items:
            if not isinstance(pattern, str) or not callable(init):
                raise TypeError
            out.append((re.compile(pattern), init))
    except (TypeError, ValueError):
        raise TypeError(
            f"{fn}: rules must be an initializer, a mapping {{regex: initializer}} or a sequence of "
            f"(regex, initializer) pairs; got {rules!r}"
        ) from None
    return out


def _foreign_key(seed: int, path: str) -> Any:
    digest = hashlib.blake2b(seed.to_bytes(8, "little") + path.encode("utf-8"), digest_size=8).digest()
    v = int.from_bytes(digest, "little")
    return jax.random.wrap_key_data(jnp.asarray(np.array([v >> 32, v & 0xFFFFFFFF], dtype=np.uint32)))


def init_tree(shapes_tree: Any, rules: Rules, seed: int, *, dtype: Any = None) -> Any:
    """Initialize a whole parameter pytree: returns a pytree of the same structure whose leaves
    are jax.Arrays.

    Leaves of `shapes_tree` are shapes (tuples or lists of ints) or objects with ``.shape`` and
    ``.dtype`` (``jax.ShapeDtypeStruct`` from ``jax.eval_shape``, arrays); a leaf's dtype is its
    own, else `dtype` (default: JAX's default float). Each leaf's path is its pytree keys joined
    by "." (``params.Dense_0.kernel``). `rules` is one initializer for every leaf, or a mapping /
    sequence of (regex, initializer): the first regex that ``re.search``-es the path wins; a leaf
    no rule matches raises ValueError. A fastinit initializer fills a leaf from fastinit seed
    `seed` and stream ``stream_id(path)``, so every leaf is a pure function of (seed, path) and
    does not depend on the other leaves or their order. Any other JAX-style initializer is
    called with the key whose data is (v >> 32, v & 0xFFFFFFFF), v = the first 8 bytes,
    little-endian, of BLAKE2b-64 over seed's 8 little-endian bytes followed by the path's UTF-8.

    Parameters
    ----------
    shapes_tree : pytree
        Leaves: shapes, or objects with .shape and .dtype.
    rules : initializer, mapping of str to initializer, or sequence of (str, initializer)
        One initializer for all leaves, or regexes searched in each leaf's path, first match
        wins.
    seed : int
        The fastinit seed, in [0, 2**64).
    dtype : dtype, optional
        Keyword only: the dtype of leaves given as bare shapes (default JAX's default float).

    Returns
    -------
    pytree
        Of the same structure, its leaves jax.Arrays.

    Raises
    ------
    TypeError
        seed not an int; rules of another form; a leaf that is neither a shape nor has .shape
        and .dtype.
    ValueError
        seed outside [0, 2**64); a leaf no rule matches; what an initializer raises.

    Examples
    --------
    >>> import jax, numpy as np, fastinit.jax as fj
    >>> shapes = {"dense": {"kernel": (4, 3), "bias": (3,)}}
    >>> rules = [("kernel", fj.glorot_uniform()), ("bias", jax.nn.initializers.zeros)]
    >>> params = fj.init_tree(shapes, rules, seed=0)
    >>> params["dense"]["kernel"].shape, float(params["dense"]["bias"].sum())
    ((4, 3), 0.0)
    >>> kernel = fj.glorot_uniform().generate((4, 3), seed=0, stream="dense.kernel")
    >>> np.array_equal(np.asarray(params["dense"]["kernel"]), kernel)  # stream = the leaf's path
    True
    """
    fn = "init_tree"
    s = check_u64(fn, "seed", seed)
    rule_list = _rule_list(rules)
    leaves, treedef = jax.tree_util.tree_flatten_with_path(shapes_tree, is_leaf=_is_leaf)
    out = []
    for path, leaf in leaves:
        name = _path_name(path)
        if _is_shape(leaf):
            shape, leaf_dtype = tuple(int(n) for n in leaf), dtype
        elif hasattr(leaf, "shape") and hasattr(leaf, "dtype"):
            shape, leaf_dtype = tuple(leaf.shape), leaf.dtype
        else:
            raise TypeError(
                f"{fn}: the leaf at {name!r} is {leaf!r}; leaves must be shapes (tuples of ints) or have "
                ".shape and .dtype (e.g. jax.ShapeDtypeStruct)"
            )
        init = next((i for p, i in rule_list if p is None or p.search(name)), None)
        if init is None:
            raise ValueError(
                f"{fn}: no rule matches the leaf {name!r}; patterns: {[p.pattern for p, _ in rule_list if p]}"
            )
        if isinstance(init, Initializer):
            out.append(jax.device_put(init.generate(shape, leaf_dtype, seed=s, stream=name)))
        else:
            dt = _np_dtype(fn, float if leaf_dtype is None else leaf_dtype)
            out.append(init(_foreign_key(s, name), shape, dt))
    return jax.tree_util.tree_unflatten(treedef, out)
