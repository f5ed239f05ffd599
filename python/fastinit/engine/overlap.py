"""The in-place fill precondition shared by NumPy arrays and torch tensors: distinct indices must
address distinct elements."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["check_no_overlap"]


def check_no_overlap(fn: str, shape: Sequence[int], strides: Sequence[int], item: int, what: str) -> None:
    """ValueError if two indices of (shape, strides) may address overlapping elements of `item`
    units each (strides in the same unit; negative strides allowed), as for broadcast, expand()ed
    or as_strided views. Sufficient test: sorted by |stride|, each stride must step past
    everything the dimensions with smaller strides span. Empty targets pass."""
    if any(int(n) == 0 for n in shape):
        return
    extent = item
    for stride, n in sorted((abs(int(s)), int(n)) for s, n in zip(strides, shape) if int(n) > 1):
        if stride < extent:
            raise ValueError(
                f"{fn}: the {what}'s elements may overlap in memory (shape {tuple(shape)}, strides "
                f"{tuple(strides)}): an in-place fill needs a layout whose elements are provably "
                f"distinct; fill a contiguous {what} or a copy"
            )
        extent += stride * (n - 1)  # from the first element's start to the last element's end
