"""Side-by-side engine benchmark (issue: the engine). Same code as `python -m fastinit bench`;
this script also saves the JSON and the markdown table under bench/results/.

    python bench/bench_engine.py [--size-mib 256] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fastinit.tools.benchmark import cli as _bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=float, default=256.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    result = _bench.run(args.size_mib, args.repeats)
    table = _bench.markdown(result)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "engine.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "engine.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
