"""The tools on top of the library, each behind ``python -m fastinit``: the statistical
self-check battery (check), the benchmark (bench), the demo, the raw stream for external RNG
batteries (raw) and the variance-propagation analysis (propagate; public as fastinit.analysis).
Nothing in the library imports them."""
