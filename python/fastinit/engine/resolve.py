"""Taking a call's (key, stream id) from streams.key_source: at once (resolve), or, for a call
made of several fills (sparse_, orthogonal_), only once its first fill has succeeded
(resolve_after), as a single fill takes it."""

from __future__ import annotations

from typing import Any, Callable

from .streams import Generator, StreamLike, default_generator, key_source

__all__ = ["resolve", "resolve_after"]


def resolve(
    fn: str, generator: Generator | Any | None, seed: int | None, stream: StreamLike | None
) -> tuple[int, int]:
    """key_source's (key, stream id), taken now."""
    source = key_source(fn, generator, seed, stream)
    return source if isinstance(source, tuple) else source()


def resolve_after(
    fn: str,
    generator: Generator | Any | None,
    seed: int | None,
    stream: StreamLike | None,
    first_fill: Callable[[int, int], object],
) -> tuple[int, int]:
    """resolve's (key, stream id) for a call made of several fills (sparse_, orthogonal_), the
    stream taken only once first_fill(key, stream id) has succeeded, as a single fill takes it:
    a fastinit Generator's (or the process-wide one's) next stream is peeked, first_fill runs on
    it (it raises before writing anything when an argument is wrong), and then the stream is
    taken; had another thread taken it meanwhile, first_fill runs again on the one taken. A
    torch generator's seed is drawn first (it cannot be peeked)."""
    source = key_source(fn, generator, seed, stream)
    if isinstance(source, tuple):
        first_fill(*source)
        return source
    g = generator if isinstance(generator, Generator) else default_generator() if generator is None else None
    if g is None:
        key = source()
        first_fill(*key)
        return key
    peeked = (g.seed, g.next_stream)
    first_fill(*peeked)
    taken = source()
    if taken != peeked:
        first_fill(*taken)
    return taken
