"""ARS4x32 in NumPy: stream version 2's word generator (docs/stream.md, section 7), bit for bit the
core's. ARS (Random123's "AES Random Stream") runs AES encryption rounds on the counter under
a key that advances by Weyl increments; these are the AES round and key schedule from their
definitions (FIPS-197), on arrays of counters."""

from __future__ import annotations

from functools import cache

import numpy as np

__all__ = ["ARS_ROUNDS", "ars4x32"]

ARS_ROUNDS = 7  # Random123's default for ars4x32
_WEYL_LO, _WEYL_HI = 0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B
_U64 = (1 << 64) - 1
# ShiftRows: byte r + 4c of the result is byte r + 4((c + r) mod 4) of the state
_SHIFT_ROWS = np.array([r + 4 * ((c + r) % 4) for c in range(4) for r in range(4)])


def _times2(a: np.ndarray) -> np.ndarray:
    """a * x in GF(2**8) modulo x**8 + x**4 + x**3 + x + 1, elementwise on uint8."""
    return ((a << 1) ^ ((a >> 7) * 0x1B)).astype(np.uint8)


@cache
def _sbox() -> np.ndarray:
    """The AES S-box from its definition: the inverse in GF(2**8) (0 for 0), then the affine map
    b ^ rotl(b, 1..4) ^ 0x63. Inverses from the powers of the generator 3."""
    power = np.zeros(255, np.int64)
    log = np.zeros(256, np.int64)
    a = 1
    for e in range(255):
        power[e], log[a] = a, e
        a ^= ((a << 1) ^ (0x1B if a & 0x80 else 0)) & 0xFF  # a * 3 = a * 2 ^ a
    inverse = np.zeros(256, np.int64)
    inverse[1:] = power[(255 - log[1:]) % 255]
    out = np.full(256, 0x63, np.int64)
    for r in range(5):
        out ^= ((inverse << r) | (inverse >> ((8 - r) % 8))) & 0xFF
    return out.astype(np.uint8)


def _round(state: np.ndarray, key: np.ndarray, last: bool) -> np.ndarray:
    """One AES encryption round on (n, 16) byte states: SubBytes, ShiftRows, MixColumns (not in
    the last round), AddRoundKey."""
    t = _sbox()[state][:, _SHIFT_ROWS]
    if not last:
        a = t.reshape(-1, 4, 4)  # [state, column, row]
        total = a[:, :, 0] ^ a[:, :, 1] ^ a[:, :, 2] ^ a[:, :, 3]
        rolled = np.roll(a, -1, axis=2)  # row r + 1 of each column
        t = (a ^ total[:, :, None] ^ _times2(a ^ rolled)).reshape(-1, 16)
    return t ^ key  # type: ignore[no-any-return]


def _key_bytes(lo: int, hi: int) -> np.ndarray:
    return np.array([lo, hi], dtype="<u8").view(np.uint8)


def ars4x32(counters: np.ndarray, key: np.ndarray, rounds: int = ARS_ROUNDS) -> np.ndarray:
    """ARS4x32 of each row of counters ((n, 4) uint32) under key ((4,) uint32): the counter xor
    the key, then rounds - 1 AES rounds and a last one, round r keyed by the key's two 64-bit
    halves (words 0-1 and 2-3) plus r times the Weyl increments (0x9E3779B97F4A7C15,
    0xBB67AE8584CAA73B), mod 2**64.

    Parameters
    ----------
    counters : array_like of uint32, shape (n, 4)
    key : array_like of uint32, shape (4,)
    rounds : int, optional
        >= 1 (default 7, stream version 2's).

    Returns
    -------
    numpy.ndarray of uint32, shape (n, 4)

    Raises
    ------
    ValueError
        This checking tool does not validate its arguments beyond NumPy's own errors.

    Examples
    --------
    Random123's known answer (kat_vectors, ars4x32 with 10 rounds, all-zero input):

    >>> import numpy as np
    >>> from fastinit import reference
    >>> [hex(int(w)) for w in reference.ars4x32(np.zeros((1, 4), np.uint32), np.zeros(4, np.uint32), 10)[0]]
    ['0x8d73ee19', '0x506401ef', '0x13c2dbe4', '0xcbe9c0d']
    """
    c = np.ascontiguousarray(np.asarray(counters, dtype=np.uint32)).astype("<u4")
    k = [int(w) for w in np.asarray(key, dtype=np.uint32)]
    lo, hi = k[0] | k[1] << 32, k[2] | k[3] << 32
    state = c.view(np.uint8).reshape(-1, 16) ^ _key_bytes(lo, hi)
    for r in range(1, rounds + 1):
        lo, hi = (lo + _WEYL_LO) & _U64, (hi + _WEYL_HI) & _U64
        state = _round(state, _key_bytes(lo, hi), last=r == rounds)
    return np.ascontiguousarray(state).view("<u4").reshape(-1, 4).astype(np.uint32)
