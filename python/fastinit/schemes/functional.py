"""Out-of-place twins of the in-place functions, for immutable-array users (JAX) and for
convenience: ``kaiming_normal((4096, 1024), dtype="bfloat16", seed=0)`` allocates an
uninitialized array of the shape and dtype and fills it in place, so the values are written
straight into fresh memory with no temporary. Each takes the in-place function's arguments after
the shape, plus ``dtype=`` (default float32)."""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Collection, Sequence
from typing import Any, Callable

import numpy as np

from ..engine import fill as _fill
from ..engine.shapes import as_shape
from ..engine.targets import resolve_dtype
from . import deterministic as _deterministic
from . import matrix as _matrix
from . import variance as _schemes

__all__ = [
    "constant", "delta_orthogonal", "dirac", "eye", "kaiming_normal", "kaiming_uniform", "lecun_normal",
    "lecun_uniform", "normal", "ones", "orthogonal", "sparse", "trunc_normal", "uniform",
    "variance_scaling", "xavier_normal", "xavier_uniform", "zeros",
]  # fmt: skip


_SECTION = re.compile(r"^(\S.*)\n-{3,}\n", re.M)


def split_doc(doc: str) -> tuple[str, dict[str, str]]:
    """A NumPy-style docstring as its text before the first section and its sections' bodies by
    title (both dedented, as inspect.getdoc gives them)."""
    parts = _SECTION.split(inspect.cleandoc(doc))
    return parts[0].strip(), {title: body.strip("\n") for title, body in zip(parts[1::2], parts[2::2])}


def _entries(body: str) -> list[str]:
    """The entries of a Parameters-like section body: each a "name : type" line and its text."""
    return re.split(r"\n(?=\S)", body) if body else []


def _names(entry: str) -> set[str]:
    return set(entry.split("\n", 1)[0].split(" : ", 1)[0].split(", "))


def twin_doc(
    inplace: Callable[..., Any],
    lead: str,
    *,
    shape: str,
    extra: Sequence[str],
    returns: str,
    raises: str,
    example: str,
    drop: Collection[str] = (),
) -> str:
    """The NumPy docstring of a function that makes a new array and fills it by `inplace`: `lead`
    and inplace's description; Parameters `shape`, inplace's own but arr (and the names in
    `drop`), then `extra`; Returns `returns`; inplace's Other Parameters (less `drop`); Raises
    `raises` then inplace's; inplace's other sections; Examples `example`. Entries are
    NumPy-style text ("name : type" then lines indented by 4)."""
    intro, sections = split_doc(inplace.__doc__ or "")

    def kept(title: str) -> list[str]:
        return [e for e in _entries(sections.get(title, "")) if not _names(e) & {"arr", *drop}]

    out = {
        "Parameters": "\n".join([shape, *kept("Parameters"), *extra]),
        "Returns": returns,
        "Other Parameters": "\n".join(kept("Other Parameters")),
        "Raises": "\n".join(s for s in (raises, sections.get("Raises", "")) if s),
    }
    for title, body in sections.items():
        if title not in out and title != "Examples":
            out[title] = body
    out["Examples"] = example
    text = "\n\n".join(f"{title}\n{'-' * len(title)}\n{body}" for title, body in out.items() if body)
    return f"{lead}\n\n" + textwrap.indent(f"{intro}\n\n{text}\n", "    ")


# (shape, arguments) of each twin's example; fastinit.dask's examples use them too.
EXAMPLES: dict[str, tuple[tuple[int, ...], str]] = {
    "uniform": ((4, 6), "-1.0, 1.0, seed=0"), "normal": ((4, 6), "std=0.02, seed=0"),
    "trunc_normal": ((4, 6), "std=0.02, a=-0.04, b=0.04, seed=0"), "constant": ((4, 6), "0.5"),
    "ones": ((4, 6), ""), "zeros": ((4, 6), ""), "eye": ((4, 6), ""), "dirac": ((4, 2, 3), ""),
    "xavier_uniform": ((4, 6), "seed=0"), "xavier_normal": ((4, 6), "seed=0"),
    "kaiming_uniform": ((4, 6), "a=5**0.5, seed=0"), "kaiming_normal": ((4, 6), 'nonlinearity="relu", seed=0'),
    "lecun_uniform": ((4, 6), "seed=0"), "lecun_normal": ((4, 6), "seed=0"),
    "variance_scaling": ((4, 6), '2.0, "fan_in", "uniform", seed=0'), "orthogonal": ((4, 6), "seed=0"),
    "delta_orthogonal": ((4, 2, 3), "seed=0"), "sparse": ((4, 6), "0.5, seed=0"),
}  # fmt: skip

SHAPE_ENTRY = """shape : int or sequence of int
    The new array's shape (non-negative extents)."""


def call(fn: str, shape: object, args: str, **more: str) -> str:
    """The source text of the call fn(shape, args, more...), for an example."""
    return f"{fn}({', '.join([str(shape), *filter(None, [args]), *(f'{k}={v}' for k, v in more.items())])})"


def _make(inplace: Callable[..., Any]) -> Callable[..., np.ndarray]:
    name = inplace.__name__.rstrip("_")

    def out_of_place(shape: Any, *args: Any, dtype: Any = "float32", **kwargs: Any) -> np.ndarray:
        dt = resolve_dtype(name, dtype)
        return _matrix.named_after(name, inplace, np.empty(as_shape(name, shape), dt), *args, **kwargs)  # type: ignore[no-any-return]

    out_of_place.__name__ = out_of_place.__qualname__ = name
    shape, args = EXAMPLES[name]
    out_of_place.__doc__ = twin_doc(
        inplace,
        f"Out-of-place {inplace.__name__}: a new array of `shape` and `dtype`, filled as\n"
        f"    ``{inplace.__name__}(numpy.empty(shape, dtype), *args, **kwargs)`` fills it; arr below is\n"
        "    that array.",
        shape=SHAPE_ENTRY,
        extra=[
            "dtype : str, numpy.dtype or torch.dtype, optional\n    Keyword only: float32 (default), float64, "
            "float16 or bfloat16 (needs ml_dtypes),\n    as a name, NumPy dtype or torch dtype (torch.bfloat16)."
        ],
        returns=f"numpy.ndarray\n    A new C-ordered array of `shape` and `dtype`: the values {inplace.__name__} writes.",
        raises="TypeError\n    shape is not an int or a sequence of ints; dtype is not one of the four above.\n"
        "ValueError\n    shape has a negative extent.",
        example=(
            f">>> import numpy as np, fastinit\n>>> w = fastinit.{call(name, shape, args)}\n"
            f">>> w.shape, w.dtype\n({shape}, dtype('float32'))\n"
            f">>> same = fastinit.{call(inplace.__name__, f'np.empty({shape}, np.float32)', args)}\n"
            ">>> np.array_equal(w, same)\nTrue"
        ),
    )
    return out_of_place


uniform = _make(_fill.uniform_)
normal = _make(_fill.normal_)
trunc_normal = _make(_fill.trunc_normal_)
constant = _make(_deterministic.constant_)
ones = _make(_deterministic.ones_)
zeros = _make(_deterministic.zeros_)
eye = _make(_deterministic.eye_)
dirac = _make(_deterministic.dirac_)
xavier_uniform = _make(_schemes.xavier_uniform_)
xavier_normal = _make(_schemes.xavier_normal_)
kaiming_uniform = _make(_schemes.kaiming_uniform_)
kaiming_normal = _make(_schemes.kaiming_normal_)
lecun_uniform = _make(_schemes.lecun_uniform_)
lecun_normal = _make(_schemes.lecun_normal_)
variance_scaling = _make(_schemes.variance_scaling_)
orthogonal = _make(_matrix.orthogonal_)
delta_orthogonal = _make(_matrix.delta_orthogonal_)
sparse = _make(_matrix.sparse_)
