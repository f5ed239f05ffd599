"""The keywords every random fill takes — which stream it draws from and where its target sits
in that stream — bundled once (Placement), checked once (check_placement) and documented once
(PLACEMENT_DOC, appended to each function's docstring by takes_placement)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Callable, TypedDict, TypeVar

import numpy as np

from .._docstrings import expand

if TYPE_CHECKING:
    from .streams import Generator, StreamLike

__all__ = [
    "FANS_DOC", "PLACEMENT_DOC", "PLACEMENT_KEYS", "FanKeywords", "Placement", "SchemeKeywords", "check_offset", "check_placement", "check_u64", "placement_doc", "takes_placement",
    "takes_placement_keywords", "takes_scheme_keywords",
]  # fmt: skip


class Placement(TypedDict, total=False):
    """generator=, seed=, stream=, offset=, global_shape=, index=, stream_version=
    (PLACEMENT_DOC)."""

    generator: Generator | Any | None
    seed: int | None
    stream: StreamLike | None
    offset: int
    global_shape: Sequence[int] | None
    index: Sequence[slice] | None
    stream_version: int | None


class FanKeywords(TypedDict, total=False):
    """layout=, in_axis=, out_axis=, batch_axis=: how a scheme reads fans (FANS_DOC)."""

    layout: str
    in_axis: int | None
    out_axis: int | None
    batch_axis: int | Sequence[int]


class SchemeKeywords(FanKeywords, Placement, total=False):
    """The keywords of every variance-scaling scheme: its fans and its placement."""


_KEYS = frozenset(Placement.__annotations__)
PLACEMENT_KEYS = _KEYS  # the placement keywords' names
_FAN_KEYS = frozenset(FanKeywords.__annotations__)
_SCHEME_KEYS = _KEYS | _FAN_KEYS

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
    global_shape, index : sequence of int, sequence of slice, optional
        Together: arr is the block ``index`` (one step-1 slice per dimension) of a tensor of
        shape ``global_shape``, and gets exactly the values that block has in the whole tensor
        (a shard, filled on its own). Not with offset=.
    stream_version : {1, 2}, optional
        The stream version (docs/stream.md): 2 draws normals from ARS4x32 words, about twice as
        fast and with tails to 9.5 sigma; every other value is the same in both. Default: the
        generator's (fastinit.Generator(stream_version=)), else fastinit.default_stream_version()
        (FASTINIT_STREAM_VERSION, else 1).
"""

F = TypeVar("F", bound=Callable[..., Any])


_U64 = 1 << 64


def check_u64(fn: str, name: str, value: object) -> int:
    """value as a Python int in [0, 2**64), or TypeError / ValueError naming fn and name."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int in [0, 2**64); got {value!r}")
    v = int(value)
    if not 0 <= v < _U64:
        raise ValueError(f"{fn}: {name} must be an int in [0, 2**64); got {v}")
    return v


def check_offset(fn: str, offset: object) -> int:
    """offset= as a Python int: TypeError / ValueError naming fn and the range a stream has
    (2**58 elements of 4 or 2 bytes, 2**57 of float64; docs/stream.md). The engine checks the
    last element's index against its dtype's limit."""
    if isinstance(offset, (bool, np.bool_)) or not isinstance(offset, (int, np.integer)):
        raise TypeError(f"{fn}: offset must be an int in [0, 2**58) (2**57 for float64); got {offset!r}")
    v = int(offset)
    if not 0 <= v < 1 << 58:
        raise ValueError(
            f"{fn}: offset must be an int in [0, 2**58) (2**57 for float64), the element indices a "
            f"stream has; got offset={v}"
        )
    return v


def check_placement(fn: str, placement: Mapping[str, object], fans: bool = False) -> None:
    """TypeError naming a keyword that is not a placement keyword (with fans, nor a fan keyword),
    as Python would for an explicit signature."""
    if placement.keys() <= (_SCHEME_KEYS if fans else _KEYS):
        return
    unknown = placement.keys() - _KEYS - (_FAN_KEYS if fans else frozenset())
    if unknown:
        name = sorted(unknown)[0]
        raise TypeError(f"{fn}() got an unexpected keyword argument {name!r}")


def takes_placement(func: F) -> F:
    """Append PLACEMENT_DOC to func's docstring (before its Examples section, if any)."""
    return _append(func, PLACEMENT_DOC)


def takes_scheme_keywords(func: F) -> F:
    """Append PLACEMENT_DOC with FANS_DOC to func's docstring (before its Examples section)."""
    return _append(func, PLACEMENT_DOC.rstrip("\n") + "\n" + FANS_DOC.lstrip("\n"))


def placement_doc(*names: str) -> str:
    """PLACEMENT_DOC cut down to the entries of the keywords `names` (its header kept), for a
    function that takes only some of them; "global_shape" or "index" keeps their joint entry."""
    unknown = set(names) - _KEYS
    if unknown:
        raise ValueError(f"placement_doc: not placement keywords: {sorted(unknown)}")
    header, *entries = re.split(r"\n(?=    \w[\w, ]* : )", PLACEMENT_DOC)
    kept = [e for e in entries if set(e.split(" : ", 1)[0].strip().split(", ")) & set(names)]
    return "\n".join([header, *kept]).rstrip("\n") + "\n"


def takes_placement_keywords(*names: str) -> Callable[[F], F]:
    """A decorator like takes_placement for a function that takes only the placement keywords
    `names`: it appends their PLACEMENT_DOC entries alone."""
    text = placement_doc(*names)

    def decorate(func: F) -> F:
        return _append(func, text)

    return decorate


def _append(func: F, text: str) -> F:
    doc = expand(func.__doc__ or "")
    at = doc.find("\n    Examples\n")
    func.__doc__ = doc.rstrip() + "\n" + text if at < 0 else doc[:at].rstrip() + "\n" + text + doc[at:]
    return func
