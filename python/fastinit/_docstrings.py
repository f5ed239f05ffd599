"""Docstring sections that many public functions share, written once (as pandas' and
matplotlib's docstring templates do): the placement keywords' (PLACEMENT_DOC, appended by
takes_placement, and FANS_DOC) and common sections such as a fill's Returns. A docstring names
one by a marker line, ``<returns arr>`` say, alone on its line and indented as the section
should be; `documented` (which the placement decorators and fastinit.torch's torch_function
apply too) puts the section in its place, so help() and IDEs that read ``__doc__`` show the
whole text. Markers of other decorators (fastinit.torch's ``<tensor>``) are left for them;
tests/test_docstrings.py checks that no marker is left in any public docstring."""

from __future__ import annotations

import inspect
import re
import textwrap
from typing import Any, Callable, TypeVar

__all__ = [
    "FANS_DOC",
    "PLACEMENT_DOC",
    "SECTIONS",
    "documented",
    "expand",
    "placement_doc",
    "scheme_function",
    "takes_placement",
    "takes_placement_keywords",
    "takes_scheme_keywords",
    "templated",
]  # fmt: skip

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

SECTIONS = {
    "returns arr": """
Returns
-------
arr, filled.
""",
    "returns arr or empty": """
Returns
-------
arr, filled (an empty or meta arr is returned as it is).
""",
    "returns model": """
Returns
-------
torch.nn.Module
    model, in place.
""",
    "writable arr": """
arr : numpy.ndarray, torch.Tensor or buffer
    A writable float16, bfloat16, float32 or float64 array or CPU torch tensor (as in
    uniform_).
""",
    "seed and stream": """
seed : int
    The key, in [0, 2**64).
stream : int
    The stream id, in [0, 2**64) (fastinit.stream_id gives a name's).
""",
    "element range": """
first, n : int
    The logical element indices [first, first + n), both >= 0.
""",
    "reference dtype": """
dtype : numpy.dtype
    float16, bfloat16 (ml_dtypes), float32 or float64.
""",
    "weight arr": """
arr : numpy.ndarray, torch.Tensor or buffer
    At least 2-D; any fillable array (uniform_).
""",
    "scheme example": """
Examples
--------
>>> import numpy as np, fastinit
>>> w = fastinit.{name}({example})
>>> {check}
{result}
""",
    "torch scheme example": """
Examples
--------
>>> import torch, fastinit.torch as ft
>>> w = ft.{name}({example})
>>> {check}
{result}
""",
    "network parameters": """
depth, width : int
    The number of layers and their width, >= 1.
activation : str
    One of ACTIVATIONS.
""",
    "exception parameters": """
Parameters
----------
*args
    The message, as for any exception.
""",
    "shard type errors": """
TypeError
    arr is not an array of a supported dtype; index holds something other than slices.
""",
    "channel layout": """
layout : {"oihw", "hwio"}, optional
    Where the channels are: "oihw" (default, torch's (out, in, *kernel)) or "hwio"
    (Keras/JAX's (*kernel, in, out)).
""",
    "keyword layout": """
layout : str, optional
    Keyword only: "oihw" (torch's, the default) or "hwio".
""",
    "fill type errors": """
TypeError
    arr is not an array of a supported dtype, or an argument has the wrong type.
""",
    "unchecked arguments": """
Raises
------
ValueError, OverflowError
    This checking tool does not validate its arguments: values out of range fail in NumPy
    (a negative index overflows uint64) or give meaningless words.
""",
    "propagation arguments": """
Raises
------
TypeError
    A count that is not an int; a choice that is not a str.
ValueError
    A count below its minimum; an unknown activation, scheme or normalization.
""",
    "returns jax array": """
Returns
-------
jax.Array
""",
}

_MARKER = re.compile(r"^( *)<([a-z][a-z ]*)>$", re.M)


def expand(doc: str) -> str:
    """doc with each marker line of a name in SECTIONS replaced by that section, indented as
    the marker."""

    def section(m: re.Match[str]) -> str:
        indent, name = m.groups()
        text = SECTIONS.get(name)
        return m.group(0) if text is None else textwrap.indent(text.strip("\n"), indent)

    return _MARKER.sub(section, doc)


def documented(obj: T) -> T:
    """obj with the markers of its docstring expanded (expand); returns obj."""
    obj.__doc__ = expand(obj.__doc__ or "")
    return obj


def templated(template: str, **fields: object) -> Callable[[F], F]:
    """A decorator giving a function the docstring template, its markers expanded, .format(name=
    its name, **fields): one text for a family of functions that differ in a few words
    (kaiming_uniform_ and kaiming_normal_). Braces meant literally are doubled."""

    def decorate(func: F) -> F:
        func.__doc__ = expand(template).format(name=func.__name__, **fields)
        return func

    return decorate


FANS_DOC = """
    layout : {"oihw", "hwio"}, optional
        How arr's shape holds the fans: "oihw" (default, torch's (out, in, *kernel)) or "hwio"
        (Keras/TF/JAX's (*kernel, in, out)); see fastinit.compute_fans.
    in_axis, out_axis : int, optional
        Override the layout's input and output axes (JAX style).
    batch_axis : int or sequence of int, optional
        Axes left out of both fans (JAX style).
"""

PLACEMENT_DOC = """
    Other Parameters
    ----------------
    seed : int, optional
        A key in [0, 2**64). With seed= the call is a pure function of (seed, stream, the
        elements' indices): the same arguments give the same values on every machine, ISA and
        thread count.
    stream : int or str, optional
        The stream within the seed's key: an int in [0, 2**64), or a name hashed to one (BLAKE2b,
        docs/stream.md), such as the parameter's name. Default 0 with seed=; with neither seed=
        nor generator=, the process-wide generator's key with this stream.
    generator : fastinit.Generator or torch.Generator, optional
        A fastinit.Generator gives its key and its next stream id (each call a fresh stream,
        taken only if the call succeeds); a torch.Generator gives a seed drawn from it. Not with
        seed= (nor, for a fastinit.Generator, with stream=). With none of seed=, generator=, the
        process-wide generator (fastinit.manual_seed, FASTINIT_SEED) is used.
    offset : int, optional
        The logical index of the first element (default 0): the element at C-order position i
        takes the stream's value number offset + i. Fills of consecutive pieces of one big
        tensor with offsets equal to their starts give the big tensor's values.
    global_shape, index : int or sequence of int, slice or sequence of slice, optional
        Together: arr is the block ``index`` (one step-1 slice per dimension) of a tensor of
        shape ``global_shape``, and gets exactly the values that block has in the whole tensor
        (a shard, filled on its own). Not with a non-zero offset=.
    stream_version : {1, 2}, optional
        The stream version (docs/stream.md): 2 draws normals and truncated normals from
        ARS4x32 words, faster, and normals with tails to 9.5 sigma; every other value is the
        same in both. Default: the generator's (fastinit.Generator(stream_version=)), else
        fastinit.default_stream_version() (FASTINIT_STREAM_VERSION, else 2; stream_version=1
        gives version 1's values back).
"""


def takes_placement(func: F) -> F:
    """Append PLACEMENT_DOC to func's docstring (before its Examples section, if any)."""
    return _append(_placed(func), PLACEMENT_DOC)


def takes_scheme_keywords(func: F) -> F:
    """Append PLACEMENT_DOC with FANS_DOC to func's docstring (before its Examples section)."""
    return _append(_placed(func), PLACEMENT_DOC.rstrip("\n") + "\n" + FANS_DOC.lstrip("\n"))


def takes_global_shape(func: Callable[..., Any]) -> bool:
    """Whether func is documented to take global_shape= and index= (by takes_placement,
    takes_scheme_keywords or takes_placement_keywords naming them): an attribute, so it holds
    under python -OO, which drops the docstrings."""
    return bool(getattr(func, "_takes_global_shape", False))


def _placed(func: F) -> F:
    func._takes_global_shape = True  # type: ignore[attr-defined]
    return func


def placement_doc(*names: str) -> str:
    """PLACEMENT_DOC cut down to the entries of the keywords `names` (its header kept), for a
    function that takes only some of them; "global_shape" or "index" keeps their joint entry."""
    header, *entries = re.split(r"\n(?=    \w[\w, ]* : )", PLACEMENT_DOC)
    unknown = set(names) - {n for e in entries for n in e.split(" : ", 1)[0].strip().split(", ")}
    if unknown:
        raise ValueError(f"placement_doc: not placement keywords: {sorted(unknown)}")
    kept = [e for e in entries if set(e.split(" : ", 1)[0].strip().split(", ")) & set(names)]
    return "\n".join([header, *kept]).rstrip("\n") + "\n"


def takes_placement_keywords(*names: str) -> Callable[[F], F]:
    """A decorator like takes_placement for a function that takes only the placement keywords
    `names`: it appends their PLACEMENT_DOC entries alone."""
    text = placement_doc(*names)

    def decorate(func: F) -> F:
        return _append(_placed(func) if {"global_shape", "index"} & set(names) else func, text)

    return decorate


def scheme_function(template: str, law: str, example: str, check: str, result: str) -> Callable[[F], F]:
    """takes_scheme_keywords and the docstring template as one decorator for a named scheme
    (Xavier, Kaiming, LeCun): law (what the default distribution draws) and the example's call
    arguments, check and result filled in; for a function with a `distribution` parameter also
    the choices (its default first) and the fill whose errors it raises."""

    def decorate(func: F) -> F:
        fields = {"law": law, "example": example, "check": check, "result": result}
        parameter = inspect.signature(func).parameters.get("distribution")
        if parameter is not None:
            default = parameter.default
            choices = sorted(("uniform", "normal", "truncated_normal"), key=lambda d: d != default)
            fields["choices"] = ", ".join(f'"{d}"' for d in choices)
            fields["fill"] = "uniform_" if default == "uniform" else "normal_"
        return takes_scheme_keywords(templated(template, **fields)(func))

    return decorate


def _append(func: F, text: str) -> F:
    doc = expand(func.__doc__ or "")
    at = doc.find("\n    Examples\n")
    func.__doc__ = doc.rstrip() + "\n" + text if at < 0 else doc[:at].rstrip() + "\n" + text + doc[at:]
    return func
