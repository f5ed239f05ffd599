"""init_tree: a whole parameter pytree, each leaf a pure function of (seed, leaf path)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Union

import jax
import jax.numpy as jnp
import numpy as np

from ..engine.placement import check_u64
from ._initializer import Initializer, placed

__all__ = ["init_tree"]


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
    words = jnp.asarray(np.array([v >> 32, v & 0xFFFFFFFF], dtype=np.uint32))
    # Two words are a threefry2x32 key whatever jax_default_prng_impl says ("rbg" wants four).
    return jax.random.wrap_key_data(words, impl="threefry2x32")


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
    called with the leaf's shape and dtype (integer ones too, e.g. a step counter: only
    fastinit's initializers require a float or complex dtype) and the threefry2x32 key (whatever
    the default PRNG implementation) whose data is (v >> 32, v & 0xFFFFFFFF), v = the first 8
    bytes, little-endian, of BLAKE2b-64 over seed's 8 little-endian bytes followed by the path's
    UTF-8.

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
            out.append(placed(init.generate(shape, leaf_dtype, seed=s, stream=name)))
        else:  # the leaf's own dtype, integers too: only fastinit's rules impose fastinit's dtypes
            if leaf_dtype is not None and jnp.issubdtype(leaf_dtype, jax.dtypes.extended):
                dt = leaf_dtype  # a key's dtype (an nnx RngKey leaf), which canonicalize_dtype refuses
            else:
                dt = jax.dtypes.canonicalize_dtype(float if leaf_dtype is None else leaf_dtype)
            out.append(init(_foreign_key(s, name), shape, dt))
    return jax.tree_util.tree_unflatten(treedef, out)
