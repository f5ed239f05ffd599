"""The Initializer object every fastinit.jax factory returns, and the argument rules they share:
shapes, dtypes (real and complex), real-number parameters (Python numbers, NumPy and JAX
scalars) and the common parts of their docstrings."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

import jax
import numpy as np

from ..engine.fill import check_real
from ..engine.placement import check_u64
from ..engine.shapes import as_shape
from ..engine.streams import StreamLike, stream_id
from ..engine.targets import resolve_dtype, supported_dtype_names
from ._keys import key_words, seed_from_words

__all__ = ["Initializer", "np_dtype", "placed", "real_arg", "shared_doc"]

FillFn = Callable[[tuple[int, ...], np.dtype, int, int], np.ndarray]
F = TypeVar("F", bound=Callable[..., Any])

COMPLEX = ("complex64", "complex128")


class DtypeError(TypeError, ValueError):
    """A dtype an initializer does not draw (an integer one): JAX's samplers raise ValueError,
    fastinit TypeError; this error is both."""


def np_dtype(fn: str, dtype: Any, complex_ok: bool = True) -> np.dtype:
    """A JAX dtype argument as the NumPy dtype to generate (x64 disabled: float64 -> float32,
    complex128 -> complex64); complex ones only where complex_ok (else ValueError, as JAX's
    real-only samplers raise)."""
    allowed = ", ".join(supported_dtype_names() + (list(COMPLEX) if complex_ok else []))
    try:
        canon = np.dtype(jax.dtypes.canonicalize_dtype(dtype))
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: dtype={dtype!r} is not a dtype; allowed: {allowed}") from None
    if canon.kind == "c":
        if not complex_ok:
            raise ValueError(f"{fn}: dtype={canon.name} is not supported (real dtypes only, as in JAX)")
        return canon
    if canon.kind != "f" and canon.name != "bfloat16":
        raise DtypeError(f"{fn}: dtype={canon.name} is not supported; allowed: {allowed}")
    return resolve_dtype(fn, canon)


class Initializer:
    """A JAX initializer backed by fastinit: ``init(key, shape, dtype=None) -> jax.Array``.

    ``dtype=None`` uses the factory's dtype, else JAX's default float (float32, or float64 with
    x64 enabled); float32, float64, float16 and bfloat16 are supported, and complex64 and
    complex128 where JAX's counterpart draws them (docs/keras-jax.md). The seed comes from the
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
    complex_ok : bool, optional
        Whether complex dtypes are drawn (default True); if not, they raise ValueError.
    check : callable, optional
        shape -> raises what fill raises for that shape (fans, axes, rank), called on every
        call before the key is looked at: under jax.jit and jax.eval_shape the fill runs later
        or never, and JAX's own initializers raise while tracing.

    Attributes
    ----------
    name, dtype, stream, params
        As given.

    Raises
    ------
    TypeError
        An unsupported dtype; a stream that is neither an int nor a str.
    ValueError
        A stream outside [0, 2**64); a complex dtype where complex_ok is False.

    Examples
    --------
    >>> import fastinit.jax as fj
    >>> fj.he_normal(stream="encoder")
    fastinit.jax.he_normal(in_axis=-2, out_axis=-1, batch_axis=(), stream='encoder')
    """

    def __init__(
        self,
        name: str,
        fill: FillFn,
        dtype: Any,
        stream: StreamLike,
        params: dict[str, Any],
        complex_ok: bool = True,
        check: Callable[[tuple[int, ...]], object] | None = None,
    ):
        self.name = name
        self.dtype = dtype
        self.stream = stream
        self.params = params
        self._fill = fill
        self._check = check  # the shape errors fill raises, raised before any tracing is left to it
        self._complex_ok = complex_ok
        self._stream_id = stream_id(stream, name)
        if dtype is not None:
            np_dtype(name, dtype, complex_ok)

    def _resolve(self, shape: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
        """(shape, dtype) of a call, checked: under jit or eval_shape the fill runs later, or
        never, so a shape the fill refuses is refused here, when JAX's own would raise."""
        dt = dtype if dtype is not None else self.dtype
        dt = float if dt is None else dt
        shp = as_shape(self.name, shape)
        dt = np_dtype(self.name, dt, self._complex_ok)
        if self._check is not None:
            self._check(shp)
        return shp, dt

    def generate(
        self, shape: Any, dtype: Any = None, *, seed: int, stream: StreamLike | None = None
    ) -> np.ndarray:
        """The values as a NumPy array for a fastinit (seed, stream) — stream defaults to the
        factory's. ``init(key, shape, dtype)`` equals
        ``generate(shape, dtype, seed=key_to_seed(key))``.

        Parameters
        ----------
        <shape and dtype>
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
        <shape and dtype>
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
            shape the initializer cannot fill (fans of a 1-D shape with the default in_axis,
            orthogonal of fewer than 2 dimensions); what the fill raises for the factory's
            arguments (a negative stddev).
        ValueError, IndexError
            An axis argument (in_axis, out_axis, batch_axis, column_axis) outside the shape (one
            error of both types: JAX raises IndexError).

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
        words = key_words(self.name, key)
        sid = self._stream_id
        if not isinstance(words, jax.core.Tracer):
            return placed(self._fill(shp, dt, seed_from_words(np.asarray(words)), sid))

        def host(w: np.ndarray) -> np.ndarray:
            return self._fill(shp, dt, seed_from_words(w), sid)

        out = jax.pure_callback(
            host,
            jax.ShapeDtypeStruct(shp, dt),  # type: ignore[no-untyped-call, unused-ignore]
            words,
            vmap_method="sequential",
        )
        return _replicated_over_context_mesh(out)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        extra = "" if self.stream == 0 else f", stream={self.stream!r}"
        return f"fastinit.jax.{self.name}({args}{extra})"


_SHAPE_AND_DTYPE = (
    "shape : int or sequence of int\n"
    "            Non-negative extents.\n"
    "        dtype : dtype, optional\n"
    "            float32, float64, float16, bfloat16, complex64 or complex128 (where the\n"
    "            initializer draws them); None: the factory's, else JAX's default float."
)
for _method in (Initializer.generate, Initializer.__call__):
    _method.__doc__ = (_method.__doc__ or "").replace("<shape and dtype>", _SHAPE_AND_DTYPE)


def _replicated_over_context_mesh(out: Any) -> jax.Array:
    """A callback's result under jit, replicated over the mesh jax.set_mesh made current, if any:
    a host callback's value lives on one device, a sharding XLA cannot lower against a mesh of
    several (JAX's own draws are replicated there)."""
    get_abstract_mesh = getattr(jax.sharding, "get_abstract_mesh", None)  # JAX >= 0.7
    mesh = get_abstract_mesh() if get_abstract_mesh is not None else None
    if mesh is None or mesh.empty:
        return out  # type: ignore[no-any-return]
    replicated = jax.sharding.PartitionSpec(*([None] * out.ndim))  # type: ignore[no-untyped-call, unused-ignore]
    explicit = getattr(jax.sharding.AxisType, "Explicit", None)
    if explicit is not None and explicit in tuple(getattr(mesh, "axis_types", ())):
        # Explicit axes (jax.make_mesh's default since JAX 0.9): a constraint leaves the
        # callback's one-device sharding in the result; reshard replaces it, as JAX's draws have
        return jax.sharding.reshard(out, replicated)  # type: ignore[no-untyped-call, no-any-return, unused-ignore]
    return jax.lax.with_sharding_constraint(out, replicated)  # type: ignore[no-untyped-call, no-any-return, unused-ignore]


def placed(values: np.ndarray) -> jax.Array:
    """values where JAX's own draw would put them: replicated over the mesh that jax.set_mesh
    made current, if any (a draw on one device is refused by Flax's with_partitioning under
    such a mesh), else on the default device."""
    get_mesh = getattr(jax.sharding, "get_mesh", None)  # JAX >= 0.7
    try:
        mesh = get_mesh() if get_mesh is not None else None
    except ValueError:  # under a trace (grad, jvp, vmap of other inputs): a constant, placed by JAX
        mesh = None
    if mesh is None or mesh.empty:
        out: jax.Array = jax.device_put(values)
        return out
    replicated = jax.sharding.PartitionSpec(*([None] * values.ndim))  # type: ignore[no-untyped-call, unused-ignore]
    return jax.device_put(values, jax.sharding.NamedSharding(mesh, replicated))  # type: ignore[no-any-return]


def real_arg(fn: str, name: str, value: Any, sign: str = "", infinite: float | None = None) -> float:
    """A real parameter as a finite float (or exactly `infinite`, where given): a Python number,
    a NumPy scalar or a concrete 0-d array (jax.Array included), as JAX takes them; sign "+"
    requires > 0, "+0" >= 0."""
    if isinstance(value, jax.core.Tracer):  # (check_real would call it not a real number)
        raise TypeError(
            f"{fn}: {name} is traced (the factory was called inside jit, vmap or another transformation "
            "with it as an argument); fastinit draws on the host from concrete parameters: pass a number, "
            "or make the initializer outside the transformation (JAX's own initializers take a traced one)"
        )
    if isinstance(value, (str, bytes)) or getattr(value, "ndim", 0) != 0:
        raise TypeError(f"{fn}: {name} must be a real number (or a 0-d array); got {value!r}")
    v = check_real(fn, name, value, infinite)
    if (sign == "+" and not v > 0) or (sign == "+0" and not v >= 0):
        raise ValueError(f"{fn}: {name} must be {'> 0' if sign == '+' else '>= 0'}; got {name}={v}")
    return v


# What the factories' docstrings say alike, written once (shared_doc puts it in place).
_SHARED_DOC = {
    "<dtype and stream>": (
        "dtype : dtype, optional\n"
        "        The default dtype of the arrays (float32, float64, float16, bfloat16, complex64 or\n"
        "        complex128); None (default): JAX's default float.\n"
        "    stream : int or str, optional\n"
        "        Keyword only: the fastinit stream, an int in [0, 2**64) or a name (default 0)."
    ),
    "<returns an Initializer; raises>": (
        "Returns\n    -------\n    Initializer\n        ``init(key, shape, dtype=None) -> jax.Array``.\n\n"
        "    Raises\n    ------"
    ),
    "<examples>": "Examples\n    --------\n    >>> import jax, numpy as np, fastinit.jax as fj",
    "<draw 256 x 128>": (
        ">>> w = init(jax.random.key(0), (256, 128))\n"
        "    >>> w.shape, w.dtype\n"
        "    ((256, 128), dtype('float32'))"
    ),
    "<same as generate>": (
        ">>> np.array_equal(np.asarray(w), init.generate((256, 128), seed=0))  # key(0) is seed 0\n    True"
    ),
    "<calling raises>": "Calling the initializer raises what Initializer.__call__ says.",
    "<matrix type errors>": (
        "TypeError\n"
        "        column_axis not an int; a number argument that is not a real number; an unsupported dtype;\n"
        "        a stream that is neither an int nor a str."
    ),
    "<type errors>": (
        "TypeError\n"
        "        A number argument that is not a real number; an unsupported dtype;\n"
        "        a stream that is neither an int nor a str."
    ),
}


def shared_doc(func: F) -> F:
    """Fill the shared parts (_SHARED_DOC) of a factory's docstring."""
    doc = func.__doc__ or ""
    for marker, text in _SHARED_DOC.items():
        doc = doc.replace(marker, text)
    func.__doc__ = doc
    return func
