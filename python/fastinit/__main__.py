"""Command line: ``python -m fastinit`` (the demonstration) and its subcommands."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastinit", description=__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="timed repetitions (best is kept)")
    sub = parser.add_subparsers(dest="command")
    bench = sub.add_parser("bench", help="side-by-side engine benchmark (see bench/)")
    bench.add_argument("--size-mib", type=float, default=256.0, help="buffer size in MiB")
    bench.add_argument("--repeats", type=int, default=5)
    bench.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.command == "bench":
        from ._bench import main as bench_main

        return bench_main(args.size_mib, args.repeats, args.json)
    from ._demo import main as demo_main

    return demo_main(args.repeats)


if __name__ == "__main__":
    sys.exit(main())
