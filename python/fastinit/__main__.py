"""Command line: ``python -m fastinit`` (the demonstration) and its subcommands."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Callable

from ._version import __version__
from .tools.battery_groups import DEFAULT_SEED
from .tools.benchmark.cli import main as bench_main
from .tools.check import main as check_main
from .tools.demo import main as demo_main
from .tools.propagate_cli import main as propagate_main
from .tools.propagate_cli import parse_schemes
from .tools.propagation import SCHEMES
from .tools.raw import count_arg, stream_arg, u64_arg
from .tools.raw import main as raw_main
from .tools.residual_propagation import RESIDUAL_SCHEMES


def _positive(kind: type[int] | type[float], least: float = 0.0) -> Callable[[str], float]:
    """An argparse type: a number of `kind` > 0, and >= least if given (argparse reports
    anything else with exit 2)."""

    what = "an integer" if kind is int else "a finite number"
    bound = f">= {least}" if least else "> 0"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not (0 < value < math.inf and value >= least):  # nan fails too
            raise argparse.ArgumentTypeError(f"must be {what} {bound}; got {text!r}")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastinit", description=__doc__)
    parser.add_argument("--repeats", type=_positive(int), default=3, help="timed repetitions (best is kept)")
    parser.add_argument("--version", action="version", version=f"fastinit {__version__}")
    sub = parser.add_subparsers(dest="command")
    bench = sub.add_parser(
        "bench",
        help="side-by-side benchmark against NumPy, torch and mkl_random (see bench/)",
        description="Time fastinit and the libraries installed here, interleaved in one run; print a "
        "markdown report with ratios and the speed targets; optionally save JSON and PNG plots.",
    )
    bench.add_argument("--quick", action="store_true", help="a short run (well under a minute)")
    bench.add_argument("--engine", action="store_true", help="only the engine benchmark on one buffer")
    bench.add_argument(
        "--size-mib",
        type=_positive(float, 1 / 256),
        default=256.0,
        help="--engine: buffer size in MiB (at least 1/256: 4 KiB)",
    )
    bench.add_argument("--repeats", type=_positive(int), default=None, help="timed rounds per case")
    bench.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    bench.add_argument("--plot-dir", metavar="DIR", help="also draw PNG plots there (needs matplotlib)")
    check = sub.add_parser(
        "check",
        help="statistical self-test of this installation on this CPU (needs scipy)",
        description="Run the statistical battery on the default instruction set and check that every "
        "other instruction set gives bit-identical values; print a summary and any failed check "
        "(--verbose: every check); exit status 1 on failure.",
    )
    size = check.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", dest="mode", action="store_const", const="quick", help="2**16 values per check: seconds"
    )
    size.add_argument(
        "--full", dest="mode", action="store_const", const="full", help="2**24 values per check"
    )
    check.set_defaults(mode="default")
    check.add_argument(
        "-v", "--verbose", action="store_true", help="print every check's row (failed ones always print)"
    )
    check.add_argument(
        "--seed", type=u64_arg, default=DEFAULT_SEED, help=f"base seed (default {DEFAULT_SEED})"
    )
    check.add_argument(
        "--plot", metavar="FILE.png", help="also draw histograms and QQ plots (needs matplotlib)"
    )
    raw = sub.add_parser(
        "raw",
        help="raw 32-bit words of a stream on stdout, for RNG batteries (| dieharder -a -g 200)",
        description="Write the stream's words (little-endian uint32) to stdout, forever or --count of them.",
    )
    raw.add_argument("--seed", type=u64_arg, required=True, help="the key, an integer in [0, 2**64)")
    raw.add_argument("--stream", type=stream_arg, default=0, help="stream id or stream name (default 0)")
    raw.add_argument("--count", type=count_arg, default=None, help="stop after this many words")
    raw.add_argument("--first", type=count_arg, default=0, help="index of the first word (default 0)")
    raw.add_argument(
        "--stream-version",
        type=int,
        choices=(1, 2),
        default=1,
        help="1: Philox4x32-10's words (default); 2: ARS4x32-7's (docs/stream.md)",
    )
    prop = sub.add_parser(
        "propagate",
        help="activation and gradient std per layer of a deep MLP, per scheme, measured and predicted",
        description="Push a random batch through a deep MLP initialized by each scheme, forward and "
        "backward; print the std of activations and gradients per layer beside the theory "
        "(docs/why-init.md); optionally draw the classic figure.",
    )
    prop.add_argument("--depth", type=int, default=50, help="number of layers (default 50)")
    prop.add_argument("--width", type=int, default=512, help="units per layer (default 512)")
    prop.add_argument("--batch", type=int, default=256, help="batch size (default 256)")
    prop.add_argument(
        "--activation", default="relu", help="linear, tanh, sigmoid, relu, leaky_relu, selu, gelu"
    )
    prop.add_argument(
        "--schemes", default=None,
        help="comma-separated: naive (N(0, 0.01^2)), xavier, kaiming, lecun, orthogonal, torch "
        "(default naive,xavier,kaiming,lecun,orthogonal); with --residual: plain, depth_scaled, fixup (default all)",
    )  # fmt: skip
    prop.add_argument(
        "--residual", action="store_true",
        help="a residual MLP without normalization (h + B f(A h) per block) instead of a plain one",
    )  # fmt: skip
    prop.add_argument("--normalization", default="none", help="none, batch or layer (default none)")
    prop.add_argument("--seed", type=u64_arg, default=0, help="seed of every draw (default 0)")
    prop.add_argument(
        "--every", type=_positive(int), default=None, help="print every N-th layer (default depth/10)"
    )
    prop.add_argument("--plot", metavar="FILE.png", help="also draw the figure (needs matplotlib)")
    args = parser.parse_args(argv)
    if args.command == "bench":
        return bench_main(args)
    if args.command == "check":
        return check_main(args.mode, args.seed, args.plot, args.verbose)
    if args.command == "raw":
        return raw_main(args.seed, args.stream, args.count, args.first, args.stream_version)
    if args.command == "propagate":
        try:
            allowed = (
                RESIDUAL_SCHEMES if args.residual else ("naive", "xavier", "kaiming", "lecun", "orthogonal")
            )
            schemes = parse_schemes(
                args.schemes or ",".join(allowed), RESIDUAL_SCHEMES if args.residual else SCHEMES
            )
            return propagate_main(args.depth, args.width, args.activation, schemes, args.normalization,
                                  args.batch, args.seed, args.plot, args.every, args.residual)  # fmt: skip
        except (TypeError, ValueError, ImportError, OSError) as e:
            parser.error(str(e))

    return demo_main(args.repeats)


if __name__ == "__main__":
    sys.exit(main())
