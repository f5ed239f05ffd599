"""Seeds, stream ids and generators (docs/stream.md, "Seeds, streams and generators").

A random fill is a pure function of (seed, stream, logical index). ``Generator`` hands out a
fresh stream id per call; named streams map a string to a stream id by a stable hash. key_source
decides which seed and stream a call uses (resolve.py takes them).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from typing import Any, Callable, Union

import numpy as np

from .. import _core
from . import environment
from .placement import check_int, check_u64
from .torch_seeds import is_torch_generator, seed_from_torch

__all__ = [
    "Generator", "StreamLike", "check_stream_version", "default_generator", "default_stream_version", "key_source",
    "manual_seed", "spawned_seed", "stream_id", "stream_version_of",
]  # fmt: skip

StreamLike = Union[int, str]

_U64 = 1 << 64
_TAG_SPAWN = 1  # purpose tag of the blocks that derive child seeds (docs/stream.md)
_CHILDREN = 1 << 56  # children a generator can spawn: k is the low 56 bits of the block


def stream_id(stream: StreamLike, fn: str = "stream_id") -> int:
    """The 64-bit stream id of an int (itself) or of a name: the first 8 bytes, read
    little-endian, of BLAKE2b over the name's UTF-8 bytes.

    Parameters
    ----------
    stream : int or str
        A stream id in [0, 2**64), or a name (a parameter's name, say).
    fn : str, optional
        The function name error messages start with.

    Returns
    -------
    int
        The stream id, in [0, 2**64): what ``stream=`` of every fill means by that value.

    Raises
    ------
    TypeError
        stream is neither an int nor a str.
    ValueError
        An int outside [0, 2**64); a name that has no UTF-8 form (a lone surrogate).

    Examples
    --------
    >>> import fastinit
    >>> fastinit.stream_id(5)
    5
    >>> fastinit.stream_id("layers.0.weight")
    4473830710502933260
    """
    if isinstance(stream, str):
        try:
            name = stream.encode("utf-8")
        except UnicodeEncodeError:  # not re-raised as is: its constructor takes five arguments
            raise ValueError(
                f"{fn}: stream must be an int in [0, 2**64) or a name with a UTF-8 form; got stream={stream!r}"
            ) from None
        return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "little")
    try:
        return check_u64(fn, "stream", stream)
    except TypeError:  # say that a name is allowed too
        raise TypeError(
            f"{fn}: stream must be an int in [0, 2**64) or a str (a stream name); got {stream!r}"
        ) from None


_STREAM_VERSIONS = tuple(_core.stream_versions)  # the versions the core computes: 1 and 2
# The version of calls that name none (docs/stream.md): FASTINIT_STREAM_VERSION, else 2.
_DEFAULT_VERSION = environment.stream_version() or 2


def check_stream_version(fn: str, version: object) -> int:
    """stream_version= as 1 or 2, or TypeError / ValueError naming fn and what is allowed."""
    if isinstance(version, (bool, np.bool_)) or not isinstance(version, (int, np.integer)):
        raise TypeError(f"{fn}: stream_version must be 1 or 2; got {version!r}")
    if int(version) not in _STREAM_VERSIONS:
        raise ValueError(f"{fn}: stream_version must be 1 or 2; got {int(version)}")
    return int(version)


def default_stream_version() -> int:
    """The stream version of calls that name none and use no Generator made with one:
    FASTINIT_STREAM_VERSION (1 or 2) if set at import, else 2. Version 2 changes only normal
    and truncated-normal values (and what is built on them); ``stream_version=1`` or
    FASTINIT_STREAM_VERSION=1 gives version 1's values back (docs/stream.md).

    Returns
    -------
    int
        1 or 2 (docs/stream.md; version 2 changes only normal and truncated-normal values).

    Examples
    --------
    >>> import fastinit
    >>> fastinit.default_stream_version() in (1, 2)
    True
    """
    return _DEFAULT_VERSION


def stream_version_of(fn: str, version: object, generator: object) -> int:
    """The stream version a call uses: stream_version= if given, else that of a fastinit.Generator
    made with one, else default_stream_version(). TypeError / ValueError name fn."""
    if version is not None:
        return (
            version
            if type(version) is int and version in _STREAM_VERSIONS
            else check_stream_version(fn, version)
        )
    if isinstance(generator, Generator) and generator._version is not None:
        return generator._version
    return _DEFAULT_VERSION


def _entropy_seed() -> int:
    return secrets.randbits(64)


class Generator:
    """A seed plus a counter of used stream ids: each random call on it takes the next stream
    id (0, 1, 2, ...), so calls are independent and reproducible whatever their sizes.

    ``Generator(seed=None)`` draws the seed from OS entropy, like ``numpy.random.default_rng()``.
    Taking stream ids is thread-safe. A generator pickles and copies (``copy.deepcopy``) with
    its position: the copy's next call takes the stream the original's next call would.

    Parameters
    ----------
    seed : int, optional
        The 64-bit key, in [0, 2**64); None (default) draws one from OS entropy.
    stream_version : {1, 2}, optional
        The stream version of the calls made with this generator that name none (default:
        fastinit.default_stream_version()); spawned children inherit it. Version 2 draws
        normals and truncated normals faster, normals with deeper tails (docs/stream.md).

    Attributes
    ----------
    seed : int
        The key (read-only).
    stream_version : int
        The stream version its calls use (read-only).
    next_stream : int
        The stream id the next call with ``generator=`` this generator takes (read-only).

    Raises
    ------
    TypeError
        seed or stream_version is not an int.
    ValueError
        seed outside [0, 2**64), stream_version not 1 or 2.

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> g = fastinit.Generator(seed=7)
    >>> a = fastinit.normal_(np.empty(4), generator=g)  # stream 0
    >>> b = fastinit.normal_(np.empty(4), generator=g)  # stream 1
    >>> g
    fastinit.Generator(seed=7, next_stream=2)
    >>> np.array_equal(b, fastinit.normal_(np.empty(4), seed=7, stream=1))
    True
    """

    def __init__(self, seed: int | None = None, stream_version: int | None = None) -> None:
        self._seed = _entropy_seed() if seed is None else check_u64("Generator", "seed", seed)
        self._version = None if stream_version is None else check_stream_version("Generator", stream_version)
        self._next_stream = 0
        self._spawned = 0
        self._lock = threading.Lock()

    @property
    def seed(self) -> int:
        """The 64-bit key of this generator."""
        return self._seed

    @property
    def stream_version(self) -> int:
        """The stream version of calls made with this generator (unless they name one)."""
        return _DEFAULT_VERSION if self._version is None else self._version

    @property
    def next_stream(self) -> int:
        """The stream id the next random call will use."""
        return self._next_stream

    def take_stream(self) -> int:
        """Reserve and return the next stream id (the fills given ``generator=`` call this).

        Returns
        -------
        int
            The stream id, from 0 up, each one returned once.

        Raises
        ------
        OverflowError
            All 2**64 stream ids are used.

        Examples
        --------
        >>> import fastinit
        >>> g = fastinit.Generator(seed=7)
        >>> g.take_stream(), g.take_stream(), g.next_stream
        (0, 1, 2)
        """
        with self._lock:
            s = self._next_stream
            if s >= _U64:
                raise OverflowError("Generator: all 2**64 stream ids are used")
            self._next_stream = s + 1
            return s

    def spawn(self, n: int) -> list[Generator]:
        """n children with independent seeds: child k (counting all children spawned by this
        generator so far) has seed w0 | w1 << 32 where (w0, w1, w2, w3) is block
        (1 << 56 | k) of stream 0 under this generator's seed (purpose tag 1, docs/stream.md).

        Spawning takes no stream id from this generator: its own fills are unchanged.

        Parameters
        ----------
        n : int
            How many children, >= 0.

        Returns
        -------
        list of Generator
            New generators, each at stream 0.

        Raises
        ------
        TypeError
            n is not an int (Python's or NumPy's).
        ValueError
            n < 0, or more children than this generator has left of its 2**56.

        Examples
        --------
        >>> import fastinit
        >>> [c.seed for c in fastinit.Generator(seed=7).spawn(2)]
        [13699437788681541916, 17073866592887352224]
        >>> g = fastinit.Generator(seed=7)
        >>> _ = g.spawn(1)
        >>> g.spawn(1)[0].seed  # the second child, counting those spawned before
        17073866592887352224
        """
        n = check_int("Generator.spawn", "n", n, 0)
        with self._lock:
            first = self._spawned
            if n > _CHILDREN - first:  # (child 2**56 would be child 0 again)
                raise ValueError(
                    f"Generator.spawn: n={n} is more children than this generator has left: "
                    f"{_CHILDREN - first} of its 2**56"
                )
            self._spawned += n
        return [Generator(spawned_seed(self._seed, k), self._version) for k in range(first, first + n)]

    def __getstate__(self) -> dict[str, int | None]:
        with self._lock:  # a consistent position, and no lock in the state (locks do not pickle)
            return {"seed": self._seed, "stream_version": self._version, "next_stream": self._next_stream,
                    "spawned": self._spawned}  # fmt: skip

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["seed"], state["stream_version"])  # type: ignore[misc]  # (checks them)
        self._next_stream = check_u64("Generator", "next_stream", state["next_stream"])
        self._spawned = check_int("Generator", "spawned", state["spawned"], 0, _CHILDREN + 1)

    def __repr__(self) -> str:
        version = "" if self._version is None else f", stream_version={self._version}"
        return f"fastinit.Generator(seed={self._seed}, next_stream={self._next_stream}{version})"


def spawned_seed(seed: int, k: int) -> int:
    """The seed of child k of a generator with seed `seed` (Generator.spawn): w0 | w1 << 32 of
    block (1 << 56 | k) of stream 0 under `seed` (purpose tag 1, docs/stream.md)."""
    j = (_TAG_SPAWN << 56) | k
    counter = np.array([[j & 0xFFFFFFFF, j >> 32, 0, 0]], dtype=np.uint32)
    key = np.array([seed & 0xFFFFFFFF, seed >> 32], dtype=np.uint32)
    w = _core.philox4x32(counter, key, 10)[0]
    return int(w[0]) | (int(w[1]) << 32)


def _initial_global_seed() -> int:
    env = environment.seed()
    return _entropy_seed() if env is None else env


_global = Generator(_initial_global_seed())


def default_generator() -> Generator:
    """The process-wide generator used when a call names neither generator= nor seed=.

    Its seed comes from FASTINIT_SEED (an integer, decimal or 0x-prefixed) if that is set, else
    from OS entropy; manual_seed replaces it.

    Returns
    -------
    Generator

    Examples
    --------
    >>> import fastinit
    >>> g = fastinit.manual_seed(42)
    >>> fastinit.default_generator() is g, g.seed
    (True, 42)
    """
    return _global


def manual_seed(seed: int) -> Generator:
    """Reseed the process-wide generator (its stream counter restarts at 0) and return it.

    Calls that name neither seed= nor generator= then draw streams 0, 1, 2, ... of `seed`, as
    with ``generator=fastinit.Generator(seed)``.

    Parameters
    ----------
    seed : int
        The new key, in [0, 2**64).

    Returns
    -------
    Generator
        The new process-wide generator (default_generator()).

    Raises
    ------
    TypeError
        seed is not an int.
    ValueError
        seed outside [0, 2**64).

    Examples
    --------
    >>> import numpy as np, fastinit
    >>> _ = fastinit.manual_seed(3)
    >>> a = fastinit.uniform_(np.empty(4))
    >>> np.array_equal(a, fastinit.uniform_(np.empty(4), seed=3, stream=0))
    True
    """
    global _global
    _global = Generator(check_u64("manual_seed", "seed", seed))
    return _global


def key_source(
    fn: str, generator: Generator | Any | None, seed: int | None, stream: StreamLike | None
) -> tuple[int, int] | Callable[[], tuple[int, int]]:
    """The (key, stream id) a call uses, or a function that takes them when called (for sources
    that are consumed: a generator's next stream, a seed drawn from a torch generator):
    - seed=S: (S, stream or 0) - a pure function of its arguments;
    - generator=G: (G.seed, G's next stream id); stream= is then an error;
    - generator=torch.Generator: a seed drawn from it, and stream (default 0);
    - neither: the process-wide generator, with stream= if given (its seed, that stream),
      else its next stream id.
    Wrong combinations raise ValueError / TypeError here, before anything is taken."""
    if generator is not None and seed is not None:
        raise ValueError(f"{fn}: pass generator= or seed=, not both")
    if generator is not None:
        if is_torch_generator(generator):
            sid = 0 if stream is None else stream_id(stream, fn)
            return lambda: (seed_from_torch(generator), sid)
        if not isinstance(generator, Generator):
            raise TypeError(
                f"{fn}: generator must be a fastinit.Generator or a torch.Generator; "
                f"got {type(generator).__name__}"
            )
        if stream is not None:
            raise ValueError(
                f"{fn}: stream= cannot be combined with generator= (the generator picks the "
                f"stream); got stream={stream!r}"
            )
        g = generator
        return lambda: (g.seed, g.take_stream())
    if seed is not None:
        key = seed if type(seed) is int and 0 <= seed < _U64 else check_u64(fn, "seed", seed)
        if stream is None:
            return key, 0
        return key, stream if type(stream) is int and 0 <= stream < _U64 else stream_id(stream, fn)
    g = _global
    if stream is not None:
        return g.seed, stream_id(stream, fn)
    return lambda: (g.seed, g.take_stream())
