"""``python -m fastinit raw --seed S [--stream T] [--count N] [--first I] [--stream-version V]``:
the raw 32-bit words of one stream (docs/stream.md section 2: word i is word i mod 4 of block
i // 4, purpose tag 0; Philox4x32-10's in stream version 1, ARS4x32-7's in version 2) on stdout,
little-endian, for external RNG batteries such as
``python -m fastinit raw --seed 1 | dieharder -a -g 200``.

Also the argument parsers the command line shares (seeds, streams, counts).
"""

from __future__ import annotations

import argparse
import os
import sys

from .. import _core
from ..engine.streams import stream_id

__all__ = ["CHUNK_WORDS", "count_arg", "main", "stream_arg", "u64_arg"]

CHUNK_WORDS = 1 << 20  # 4 MiB per write
WORD_LIMIT = 1 << 58  # element indices of tag 0 end here (docs/stream.md)


def u64_arg(text: str) -> int:
    """argparse type: an integer in [0, 2**64), decimal or 0x-hex."""
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**64); got {text!r}") from None
    if not 0 <= value < 1 << 64:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**64); got {text}")
    return value


def stream_arg(text: str) -> int:
    """argparse type: a stream id (integer in [0, 2**64): decimal, also with leading zeros, or
    0x-hex) or, if not a number, a stream name (fastinit.stream_id(name), as stream="name" in
    the API)."""
    if text.isascii() and text.isdecimal():
        return u64_arg(str(int(text)))  # "08": a number to a reader, though not to int(text, 0)
    try:
        int(text, 0)
    except ValueError:
        return stream_id(text)  # ("" too: a name, as stream="" in the API)
    return u64_arg(text)


def count_arg(text: str) -> int:
    """argparse type: a count of words, an integer >= 0 (below 2**58)."""
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0; got {text!r}") from None
    if not 0 <= value <= WORD_LIMIT:
        raise argparse.ArgumentTypeError(f"must be an integer in [0, 2**58]; got {text}")
    return value


def main(seed: int, stream: int, count: int | None = None, first: int = 0, version: int = 1) -> int:
    """Write words first, first + 1, ... of (seed, stream) in stream version `version` to stdout
    as little-endian uint32:
    count of them, or until the reader closes the pipe (exit status 0, no traceback) or the
    stream's 2**58 words run out. Refuses to write binary to a terminal (exit status 2)."""
    if sys.stdout.isatty():
        print(
            "python -m fastinit raw writes binary words: pipe it into a program, e.g.\n"
            "  python -m fastinit raw --seed 1 | dieharder -a -g 200",
            file=sys.stderr,
        )
        return 2
    if first + (count or 0) > WORD_LIMIT or first >= WORD_LIMIT:
        print(f"raw: words {first}.. reach past 2**58, the end of the stream", file=sys.stderr)
        return 2
    out = sys.stdout.buffer
    index, remaining = first, count
    try:
        while remaining is None or remaining > 0:
            n = CHUNK_WORDS if remaining is None else min(CHUNK_WORDS, remaining)
            n = min(n, WORD_LIMIT - index)
            if n == 0:
                print("raw: reached 2**58 words, the end of the stream", file=sys.stderr)
                return 1
            out.write(_core.words(seed, stream, index, n, "", 0, version).astype("<u4", copy=False).tobytes())
            index += n
            if remaining is not None:
                remaining -= n
        out.flush()
    except BrokenPipeError:
        # The reader has gone (dieharder has what it needs): stop quietly, and point stdout at
        # /dev/null so that the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    return 0
