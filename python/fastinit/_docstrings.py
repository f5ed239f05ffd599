"""Docstring sections that many public functions share, written once (as pandas' and
matplotlib's docstring templates do). A docstring names one by a marker line, ``<returns arr>``
say, alone on its line and indented as the section should be; `documented` (which the placement
decorators and fastinit.torch's torch_function apply too) puts the section in its place, so
help() and IDEs that read ``__doc__`` show the whole text. Markers of other decorators
(fastinit.torch's ``<tensor>``) are left for them; tests/test_docstrings.py checks that no
marker is left in any public docstring."""

from __future__ import annotations

import re
import textwrap
from typing import TypeVar

__all__ = ["SECTIONS", "documented", "expand"]

T = TypeVar("T")

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
