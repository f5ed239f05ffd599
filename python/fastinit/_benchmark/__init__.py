"""The benchmark harness behind ``python -m fastinit bench`` (see bench/README.md)."""
