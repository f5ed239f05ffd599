"""Checks on raw 32-bit words (the independence battery, fastinit.tools.battery_independence):
bit frequencies and runs per position, NIST SP 800-22's monobit and runs tests, byte
frequencies, each a ``Result`` judged by the thresholds of fastinit.tools.stats."""

from __future__ import annotations

import math

import numpy as np

from .stats import Result, chi_square_counts, judge, normal_two_sided

__all__ = [
    "bit_frequency_test", "bit_transitions_test", "byte_frequency_test", "monobit_test", "runs_test", "unit_uniform",
]  # fmt: skip


def unit_uniform(words: np.ndarray) -> np.ndarray:
    """32-bit words as float64 uniforms (w + 1/2) / 2**32 in (0, 1)."""
    return (np.asarray(words, np.uint32).astype(np.float64) + 0.5) * 2.0**-32


def _popcount(w: np.ndarray) -> int:
    if hasattr(np, "bitwise_count"):
        return int(np.bitwise_count(w).sum(dtype=np.int64))
    table = np.array([bin(i).count("1") for i in range(256)], np.uint8)
    return int(table[np.ascontiguousarray(w).view(np.uint8)].sum(dtype=np.int64))


def _bit_counts(words: np.ndarray) -> np.ndarray:
    w = np.asarray(words, np.uint32).ravel()
    return np.array([np.count_nonzero(w & np.uint32(1 << k)) for k in range(32)], np.float64)


def _combined_bits(test: str, ones: np.ndarray, trials: int) -> Result:
    """Sum over the 32 bit positions of z**2, z = (ones - trials / 2) / sqrt(trials / 4):
    chi-square with 32 dof for independent fair bits."""
    from scipy import stats

    z = (ones - trials / 2) / math.sqrt(trials / 4)
    stat = float(np.sum(z * z))
    worst = int(np.argmax(np.abs(z)))
    return judge(test, stat, float(stats.chi2.sf(stat, 32)), f"X2={stat:.1f}, dof=32, worst bit {worst}")


def bit_frequency_test(words: np.ndarray) -> Result:
    """Frequency of ones at each of the 32 bit positions (a stuck or biased bit fails)."""
    w = np.asarray(words, np.uint32).ravel()
    return _combined_bits("bit frequency", _bit_counts(w), w.size)


def bit_transitions_test(words: np.ndarray) -> Result:
    """Runs of each bit position across successive words: the number of changes of bit k from
    word i to word i + 1 is Binomial(n - 1, 1/2) for independent fair bits."""
    w = np.asarray(words, np.uint32).ravel()
    return _combined_bits("bit runs (per position)", _bit_counts(w[1:] ^ w[:-1]), w.size - 1)


def monobit_test(words: np.ndarray) -> Result:
    """NIST SP 800-22 frequency (monobit) test over all 32 n bits."""
    w = np.asarray(words, np.uint32).ravel()
    bits = 32 * w.size
    z = (_popcount(w) - bits / 2) / math.sqrt(bits / 4)
    return judge("monobit", z, normal_two_sided(z), f"z={z:+.2f}")


def runs_test(words: np.ndarray) -> Result:
    """Runs in the bit stream (each word's bits least significant first, words in order): the
    number of changes between neighbouring bits is Binomial(32 n - 1, 1/2) for fair independent
    bits (NIST SP 800-22 runs test, unconditional form)."""
    w = np.asarray(words, np.uint32).ravel()
    inside = _popcount((w ^ (w >> np.uint32(1))) & np.uint32(0x7FFFFFFF))
    across = int(np.count_nonzero((w[:-1] >> np.uint32(31)) ^ (w[1:] & np.uint32(1))))
    trials = 32 * w.size - 1
    z = (inside + across - trials / 2) / math.sqrt(trials / 4)
    return judge("runs", z, normal_two_sided(z), f"z={z:+.2f}")


def byte_frequency_test(words: np.ndarray) -> Result:
    """Chi-square of the 256 byte values of the words (little-endian), 255 dof."""
    w = np.ascontiguousarray(np.asarray(words, np.uint32).ravel()).astype("<u4")
    counts = np.bincount(w.view(np.uint8), minlength=256)
    return chi_square_counts(counts, np.full(256, 1 / 256), "byte frequency")
