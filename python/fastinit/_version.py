"""The single source of the package version (read by the build backend too)."""

__version__ = "0.1.0"
