"""The one variance-scaling core every framework's schemes are written in: a Scheme (scale,
mode, distribution) and a weight's fans give the standard deviation, and the distribution turns
it into the engine's Law. Xavier/Glorot, He/Kaiming, LeCun and variance scaling — in fastinit,
fastinit.torch, fastinit.keras and fastinit.jax — are named Schemes; docs/formulas.md derives
them.

Var(w) = scale / n, with n by `mode`: fan_in, fan_out, fan_avg = (fan_in + fan_out) / 2 or
fan_geo_avg = sqrt(fan_in * fan_out) (JAX's). Where the frameworks differ:

* Keras divides by max(1, n) (``min_fan=1``); torch and JAX by n, and a weight with n = 0 (no
  elements) has nothing to draw;
* torch writes its schemes with a gain: std = gain / sqrt(fan) (kaiming) and
  gain * sqrt(2 / (fan_in + fan_out)) (xavier), the same variance as scale = gain**2 but rounded
  as torch rounds it, so a Scheme made with ``gain=`` computes std torch's way and its values
  are torch's bound for bound;
* the distributions: "uniform" U(-sqrt(3) std, sqrt(3) std); "normal" (alias
  "untruncated_normal") N(0, std**2); "truncated_normal" N(0, s**2) truncated to [-2s, 2s] with
  s = std / 0.87962566103423978 (the std of N(0, 1) truncated to +-2), so the result's variance
  is std**2, as Keras and JAX draw it. (Keras calls its truncated one "normal"; its adapter maps
  the name.)
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

from .. import _core

__all__ = ["DISTRIBUTIONS", "MODES", "TRUNCATED_STD_FACTOR", "Scheme", "checked_scheme", "law_of_std"]

TRUNCATED_STD_FACTOR = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]
MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
DISTRIBUTIONS = ("uniform", "normal", "untruncated_normal", "truncated_normal")


def law_of_std(std: float, distribution: str) -> _core.Law:
    """The zero-mean law of standard deviation std drawn by `distribution` (module docstring)."""
    if distribution == "uniform":
        bound = math.sqrt(3.0) * std
        return _core.Law.uniform(-bound, bound)
    if distribution == "truncated_normal":
        s = std / TRUNCATED_STD_FACTOR
        return _core.Law.trunc_normal(0.0, s, -2.0 * s, 2.0 * s)
    return _core.Law.normal(0.0, std)


class Scheme(NamedTuple):
    """Var(w) = scale / max(min_fan, n) drawn from `distribution`, n by `mode` from the fans;
    with `gain`, torch's rounding of std (module docstring). Arguments are checked by the
    caller (check)."""

    scale: float = 1.0
    mode: str = "fan_in"
    distribution: str = "truncated_normal"
    gain: float | None = None
    min_fan: float = 0.0

    def std(self, fan_in: float, fan_out: float) -> float | None:
        """The standard deviation for a weight with these fans; None when n is 0 (an empty
        weight: nothing to draw)."""
        if self.gain is not None:  # torch's arithmetic
            if self.mode == "fan_avg":
                return None if fan_in + fan_out == 0 else self.gain * math.sqrt(2.0 / (fan_in + fan_out))
            fan = fan_in if self.mode == "fan_in" else fan_out
            return None if fan == 0 else self.gain / math.sqrt(fan)
        n = {
            "fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
            "fan_geo_avg": math.sqrt(fan_in * fan_out),
        }[self.mode]  # fmt: skip
        n = max(self.min_fan, n)
        return None if n == 0 else math.sqrt(self.scale / n)

    def law(self, fan_in: float, fan_out: float) -> _core.Law | None:
        """The engine's law for a weight with these fans (None: nothing to draw)."""
        std = self.std(fan_in, fan_out)
        return None if std is None else law_of_std(std, self.distribution)

    def cached_law(self, fan_in: float, fan_out: float) -> _core.Law | None:
        """law(fan_in, fan_out), remembered (a Law is immutable; a model repeats its shapes)."""
        key = (self, fan_in, fan_out)
        try:
            return _LAWS[key]
        except KeyError:
            pass
        law = self.law(fan_in, fan_out)
        if len(_LAWS) >= 4096:
            _LAWS.clear()
        _LAWS[key] = law
        return law

    @staticmethod
    def check(
        fn: str, scale: float, mode: str, distribution: str, modes: tuple[str, ...] = MODES[:3]
    ) -> None:
        """ValueError naming what is wrong with a scheme's arguments (scale > 0 and finite; mode
        and distribution among those allowed)."""
        if not scale > 0:
            raise ValueError(f"{fn}: scale must be > 0; got scale={scale}")
        if mode not in modes:
            raise ValueError(f"{fn}: mode={mode!r} is not one of {', '.join(map(repr, modes))}")
        if distribution not in DISTRIBUTIONS:
            raise ValueError(
                f"{fn}: distribution={distribution!r} is not one of {', '.join(map(repr, DISTRIBUTIONS))}"
            )


_LAWS: dict[tuple[Scheme, float, float], _core.Law | None] = {}
_CHECKED: dict[tuple[Any, ...], Scheme] = {}


def checked_scheme(make: Callable[..., Scheme], fn: str, number: object, *names: object) -> Scheme:
    """make(fn, number, *names): the Scheme a call's arguments validate into, remembered by fn,
    the arguments and the type of the one number among them (1, 1.0 and True are equal keys but
    need not validate alike; the other arguments are names): a repeated call (a model's many
    layers) skips the checks. Unhashable arguments are checked every time."""
    key = (fn, number, type(number), *names)
    try:
        return _CHECKED[key]
    except KeyError:
        pass
    except TypeError:
        return make(fn, number, *names)
    scheme = make(fn, number, *names)
    if len(_CHECKED) >= 4096:
        _CHECKED.clear()
    _CHECKED[key] = scheme
    return scheme
