"""The reference's distributions: uniform, normal (Box-Muller) and truncated normal (inverse
CDF) from philox.py's words, computed in float64 by the exact transform, and the tolerances
within which the core's values must match them (docs/stream.md)."""

from __future__ import annotations

import math
from typing import cast

import numpy as np

from .._docstrings import documented
from .philox import MASK32, block_words, unit, words

__all__ = ["TOLERANCE", "normal", "trunc_normal", "uniform", "within_tolerance"]


def _compute_dtype(dtype: np.dtype) -> type:
    return np.float64 if dtype == np.float64 else np.float32


def _neighbour(dtype: np.dtype, x: float, direction: int) -> float:
    """The next value of dtype above (+1) or below (-1) the representable x."""
    target = np.dtype(dtype)
    if target.itemsize == 2:  # step through the 16-bit patterns
        bits = int(np.array(x, dtype=target).view(np.uint16))
        negative, zero = bits & 0x8000, (bits & 0x7FFF) == 0
        if zero:
            bits = 0x0001 if direction > 0 else 0x8001
        else:
            bits = bits + 1 if (direction > 0) != bool(negative) else bits - 1
        return float(np.array(bits, dtype=np.uint16).view(target))
    ftype = target.type
    return float(np.nextafter(ftype(x), ftype(math.inf * direction)))


def _round(dtype: np.dtype, x: float) -> float:
    target = np.dtype(dtype)
    if target.itemsize == 2:
        return float(np.array(np.float32(x)).astype(target))
    return float(target.type(x))


@documented
def uniform(
    seed: int, stream: int, first: int, n: int, dtype: np.dtype, a: float = 0.0, b: float = 1.0
) -> np.ndarray:
    """Exactly the core's uniform_ values: v = lo + u * width in the compute precision (float32
    for 2- and 4-byte dtypes, float64 for 8-byte; no fma), lo = a and width = b - a (computed in
    float64) rounded to it; a v that would end at or above b after rounding to dtype becomes the
    largest dtype value below b. Half dtypes round the float32 value to nearest even.

    Parameters
    ----------
    <seed and stream>
    <element range>
    <reference dtype>
    a, b : float, optional
        The interval [a, b) (default [0, 1)).

    Returns
    -------
    numpy.ndarray of dtype, shape (n,)
        Bit for bit what fastinit.uniform_ writes at those indices.

    <unchecked arguments>

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> from fastinit import reference
    >>> core = fastinit.uniform_(np.empty(6, np.float32), -1.0, 1.0, seed=5, stream=2, offset=10)
    >>> np.array_equal(reference.uniform(5, 2, 10, 6, np.float32, -1.0, 1.0), core)
    True
    """
    dtype = np.dtype(dtype)
    ct = _compute_dtype(dtype)
    top = _round(dtype, b)
    while top >= b:
        top = _neighbour(dtype, top, -1)
    if not a < b or top < _round(dtype, a):
        return np.full(n, _round(dtype, a), dtype=dtype)
    u = unit(seed, stream, first, n, dtype)
    v = ct(a) + u * ct(b - a)
    if dtype.itemsize == 2:  # smallest float32 that rounds to a value above top
        nxt = np.float32(_neighbour(dtype, top, +1))
        mid = np.float32((top + float(nxt)) / 2)
        if _round(dtype, float(mid)) == top:
            mid = np.nextafter(mid, nxt)
        hi = mid
    else:
        hi = ct(_neighbour(dtype, top, +1))
    v = np.where(v < hi, v, ct(top)).astype(ct)
    return cast(np.ndarray, v.astype(dtype))


_TAG_EXTENSION = 3  # purpose tag of version 2's extension words (docs/stream.md)

# Version 2's normals stay within sqrt(130 ln 2) = 9.4933 standard deviations of the mean; a
# truncation window reaching this far on both sides gives the normal values (docs/stream.md).
_NORMAL_REACH = 9.5
# Version 2 inverts a float32 window holding less mass than this in float64 (docs/stream.md).
_NARROW_MASS = 2.0**-9


def _radius_uniform_f32(seed: int, stream: int, pair0: int, wr: np.ndarray, version: int) -> np.ndarray:
    """u1 of float32 pairs pair0 / 2, ..: R * 2**-32 + 2**-33 in float32; in version 2 a pair
    with R = 0 takes E * 2**-64 + 2**-65 instead, E its extension word (word k mod 4 of block
    (3 << 56 | k // 4), ARS, for pair k)."""
    u1: np.ndarray = wr.astype(np.float32) * np.float32(2.0**-32) + np.float32(2.0**-33)
    if version == 2:
        for i in np.flatnonzero(wr == 0):
            k = pair0 // 2 + int(i)
            e = block_words(seed, stream, (_TAG_EXTENSION << 56) | (k >> 2), 1, 2)[0, k & 3]
            u1[i] = np.float32(e) * np.float32(2.0**-64) + np.float32(2.0**-65)
    return u1.astype(np.float64)


def _box_muller(seed: int, stream: int, first: int, n: int, dtype: np.dtype, version: int = 1) -> np.ndarray:
    """Standard normals z of elements [first, first + n) in float64 (exact transform)."""
    pair0 = first - first % 2
    m = first + n - pair0
    m += m % 2
    if dtype == np.float64:
        w = block_words(seed, stream, pair0 // 2, m // 2, version).astype(np.uint64)
        ur = w[:, 0].astype(np.float64) + w[:, 1].astype(np.float64) * 2.0**32
        u1 = ur * 2.0**-64 + 2.0**-65
        octant = (w[:, 3] >> np.uint64(29)).astype(np.int64)
        t = ((w[:, 3] & np.uint64(0x1FFFFFFF)) << np.uint64(32)) | w[:, 2]
        t = np.where(octant & 1, (np.uint64(1) << np.uint64(61)) - t, t)
        hi_part = (t >> np.uint64(32)).astype(np.float64) * 2.0**32
        frac = (hi_part + (t & MASK32).astype(np.float64)) * 2.0**-61
    else:
        w = words(seed, stream, pair0, m, version).reshape(-1, 2)
        wr, wa = w[:, 0], w[:, 1]
        u1 = _radius_uniform_f32(seed, stream, pair0, wr, version)
        octant = (wa >> np.uint32(29)).astype(np.int64)
        t = (wa & np.uint32(0x1FFFFFFF)).astype(np.int64)
        t = np.where(octant & 1, (1 << 29) - t, t)
        frac = (t.astype(np.float32) * np.float32(2.0**-29)).astype(np.float64)
    r = np.sqrt(-2.0 * np.log(u1))
    # theta = octant * pi/4 + frac * pi/4 on even octants, (octant + 1) * pi/4 - frac * pi/4 on
    # odd ones (frac was mirrored in the integer domain, which makes both the same angle).
    x = frac * (math.pi / 4)
    s, c = np.sin(x), np.cos(x)
    swap = ((octant + 1) >> 1) & 1
    cos_abs, sin_abs = np.where(swap, s, c), np.where(swap, c, s)
    cos_t = np.where((octant >= 2) & (octant <= 5), -cos_abs, cos_abs)
    sin_t = np.where(octant >= 4, -sin_abs, sin_abs)
    z = np.stack([r * cos_t, r * sin_t], axis=1).reshape(-1)
    return z[first - pair0 : first - pair0 + n]


@documented
def normal(
    seed: int,
    stream: int,
    first: int,
    n: int,
    dtype: np.dtype,
    mean: float = 0.0,
    std: float = 1.0,
    version: int = 2,
) -> np.ndarray:
    """The normal_ values by the exact Box-Muller transform: mean + std * z in float64, rounded
    to dtype (half dtypes through float32).

    Parameters
    ----------
    <seed and stream>
    <element range>
    <reference dtype>
    mean, std : float, optional
        The normal's parameters (default 0 and 1).
    version : {1, 2}, optional
        The stream version (default 2, fastinit's default): version 2 draws the transform from
        ARS4x32-7 words, float32 pairs whose radius word is 0 from their extension word;
        version 1 from Philox4x32-10 words (docs/stream.md).

    Returns
    -------
    numpy.ndarray of dtype, shape (n,)
        What fastinit.normal_ writes (with stream_version=version), within docs/stream.md's
        tolerance.

    <unchecked arguments>

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> from fastinit import reference
    >>> core = fastinit.normal_(np.empty(6), seed=5, stream=2)
    >>> bool(np.allclose(reference.normal(5, 2, 0, 6, np.float64), core, rtol=1e-12, atol=1e-12))
    True
    """
    dtype = np.dtype(dtype)
    z = _box_muller(seed, stream, first, n, dtype, version)
    v = mean + std * z
    return v.astype(_compute_dtype(dtype)).astype(dtype)


_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _phi(x: np.ndarray) -> np.ndarray:
    return cast(np.ndarray, 0.5 * _erfc(-x / math.sqrt(2.0)))


def _normal_quantile(q: np.ndarray) -> np.ndarray:
    """Phi^-1(q) for q in (0, 1) to float64 accuracy: Acklam's approximation refined by two
    Halley steps on erfc."""
    a = (
        -3.969683028665376e01,
        2.209460984245205e02,
        -2.759285104469687e02,
        1.383577518672690e02,
        -3.066479806614716e01,
        2.506628277459239e00,
    )
    b = (
        -5.447609879822406e01,
        1.615858368580409e02,
        -1.556989798598866e02,
        6.680131188771972e01,
        -1.328068155288572e01,
    )
    c = (
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e00,
        -2.549732539343734e00,
        4.374664141464968e00,
        2.938163982698783e00,
    )
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    q = np.asarray(q, dtype=np.float64)
    lower = np.minimum(q, 1 - q)
    t = np.sqrt(-2 * np.log(np.maximum(lower, 1e-300)))
    tail = (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) / (
        (((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1
    )
    tail = np.where(q > 0.5, -tail, tail)
    r = q - 0.5
    rr = r * r
    central = (
        (((((a[0] * rr + a[1]) * rr + a[2]) * rr + a[3]) * rr + a[4]) * rr + a[5])
        * r
        / (((((b[0] * rr + b[1]) * rr + b[2]) * rr + b[3]) * rr + b[4]) * rr + 1)
    )
    x = np.where(lower < 0.02425, tail, central)
    for _ in range(2):
        # Halley on f(x) = Phi(x) - q, measured from the nearer tail to keep precision.
        below = x <= 0
        err = np.where(below, _phi(x) - q, (1 - q) - _phi(-x))
        err = np.where(below, err, -err)
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        step = err / pdf
        x = x - step / (1 + 0.5 * x * step)
    return x


def _lower_tail(t: float) -> float:
    return 0.5 * math.erfc(t / math.sqrt(2.0))


@documented
def trunc_normal(
    seed: int,
    stream: int,
    first: int,
    n: int,
    dtype: np.dtype,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    version: int = 2,
) -> np.ndarray:
    """The trunc_normal_ values by the exact inverse-CDF transform. With u the element's
    uniform, alpha = (a - mean)/std, beta = (b - mean)/std: from_below = P(Z < alpha) + u * mass,
    from_above = P(Z > beta) + (1 - u) * mass; z = Phi^-1(from_below) if from_below <=
    from_above, else -Phi^-1(from_above); the value mean + std * z, clamped to the dtype values
    inside [a, b]; an infinite a or b stands for the dtype's largest finite value. In version 2,
    a window with alpha <= -9.5 and beta >= 9.5 holds every value the normals reach, and z is the
    element's normal (normal()'s transform); a float32 or half window of mass below 2**-9
    inverts in float64 (its P(Z < alpha), P(Z > beta) and mass not rounded to float32).

    Parameters
    ----------
    <seed and stream>
    <element range>
    <reference dtype>
    mean, std : float, optional
        The normal before truncation (default 0 and 1), std > 0.
    a, b : float, optional
        The bounds on the values (default -2 and 2), a < b.
    version : {1, 2}, optional
        The stream version (default 2, fastinit's default): the uniforms come from its words,
        ARS4x32-7's in version 2, Philox4x32-10's in version 1 (docs/stream.md).

    Returns
    -------
    numpy.ndarray of dtype, shape (n,)
        What fastinit.trunc_normal_ writes (with stream_version=version), within
        docs/stream.md's tolerance.

    <unchecked arguments>
    ZeroDivisionError
        std == 0.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> from fastinit import reference
    >>> core = fastinit.trunc_normal_(np.empty(6), std=0.5, a=-1.0, b=1.0, seed=5)
    >>> exact = reference.trunc_normal(5, 0, 0, 6, np.float64, std=0.5, a=-1.0, b=1.0)
    >>> bool(np.allclose(exact, core, rtol=0, atol=1e-8))
    True
    """
    dtype = np.dtype(dtype)
    ct = _compute_dtype(dtype)
    # an open end stands for the dtype's largest finite value on that side (docs/stream.md)
    mean, std, a, b = (float(v) for v in (mean, std, a, b))
    largest = math.inf if dtype == np.float64 else _neighbour(dtype, math.inf, -1)
    a, b = max(a, -largest), min(b, largest)
    alpha, beta = (a - mean) / std, (b - mean) / std
    lo = _round(dtype, a)
    while lo < a:
        lo = _neighbour(dtype, lo, +1)
    hi = _round(dtype, b)
    while hi > b:
        hi = _neighbour(dtype, hi, -1)
    if version == 2 and alpha <= -_NORMAL_REACH and beta >= _NORMAL_REACH:
        # the window holds every value version 2's normals reach: they are the values
        z = _box_muller(seed, stream, first, n, dtype, version)
        return np.clip(mean + std * z, lo, hi).astype(ct).astype(dtype)
    p_lo = _lower_tail(-alpha) if alpha <= 0 else 1 - _lower_tail(alpha)
    q_hi = _lower_tail(beta) if beta >= 0 else 1 - _lower_tail(-beta)
    if alpha >= 0:
        mass = _lower_tail(alpha) - _lower_tail(beta)
    elif beta <= 0:
        mass = _lower_tail(-beta) - _lower_tail(-alpha)
    else:
        mass = 1 - _lower_tail(-alpha) - _lower_tail(beta)
    # the kernel's inputs, at its precision: version 2 inverts a narrow float32 window in float64
    u = unit(seed, stream, first, n, dtype, version).astype(np.float64)
    if not (version == 2 and ct is np.float32 and mass < _NARROW_MASS):
        p_lo, q_hi, mass = (float(ct(v)) for v in (p_lo, q_hi, mass))
    from_below = p_lo + u * mass
    from_above = q_hi + (1 - u) * mass
    lower = from_below <= from_above
    q = np.where(lower, from_below, from_above)
    z = _normal_quantile(np.maximum(q, np.finfo(ct).tiny))
    z = np.where(lower, z, -z)
    v = np.clip(mean + std * z, lo, hi)
    return v.astype(ct).astype(dtype)


#: The core's normals and truncated normals agree with the exact transforms above within
#: ``TOLERANCE[(kind, dtype)] * (|exact| + std + |exact - mean|)`` (docs/stream.md). Raw words
#: and uniforms agree bit for bit; half precision is the float32 value rounded to nearest even.
TOLERANCE = {
    ("normal", "float32"): 2.0**-20,
    ("normal", "float64"): 2.0**-48,
    ("trunc_normal", "float32"): 2.0**-20,
    ("trunc_normal", "float64"): 2.0e-9,
}


def within_tolerance(
    kind: str, dtype: np.dtype, core: np.ndarray, exact: np.ndarray, mean: float, std: float
) -> np.ndarray:
    """Elementwise: does the core's value lie within the documented tolerance of the exact one?
    float16 and bfloat16: the core's values and the reference's are the float32 value and the
    exact one each rounded to the half type, so they may differ by one unit in its last place
    beyond the float32 bound (HALF_ROUNDING: relative, and its smallest step)."""
    name = np.dtype(dtype).name
    half = HALF_ROUNDING.get(name)
    if (kind, "float32" if half else name) not in TOLERANCE:
        kinds = sorted({k for k, _ in TOLERANCE})
        raise ValueError(
            f"within_tolerance: kind={kind!r}, dtype={name}: kinds {kinds}, dtypes float16, bfloat16, float32, float64"
        )
    c = TOLERANCE[(kind, "float32" if half else name)]
    e = exact.astype(np.float64)
    bound = c * (np.abs(e) + std + np.abs(e - mean))
    if half:
        relative, smallest = half
        bound = bound + relative * (np.abs(e) + bound) + smallest
    return np.abs(core.astype(np.float64) - e) <= bound


#: One unit in the last place of a half type, relative to the value (2**-10 for float16, 2**-7
#: for bfloat16), and its smallest subnormal step.
HALF_ROUNDING = {"float16": (2.0**-10, 2.0**-24), "bfloat16": (2.0**-7, 2.0**-133)}
