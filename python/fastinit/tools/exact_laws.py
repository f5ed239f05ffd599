"""The exact laws fastinit's fills sample, for the statistical checks (fastinit.tools.stats): the
uniform on [a, b), the normal and the truncated normal, each with a CDF and survival function
that keep full relative precision in both tails, exact central moments up to the 8th (the
confidence bounds of the moment checks need the 2k-th to test the k-th) and fixed chi-square bin
edges that reach both tails.

scipy.special is imported inside the functions that need it: scipy is a test / optional
dependency, never a run-time one.
"""

from __future__ import annotations

import abc
import math
from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:  # annotations only: numpy.typing is not imported at run time
    import numpy.typing as npt

__all__ = ["Law", "Normal", "SphereCoordinate", "TruncNormal", "Uniform", "bin_probabilities"]

NORMAL_EDGE_SIGMAS = 8.0  # chi-square bins span mean +- 8 std, in steps of a quarter std
EDGE_STEP_SIGMAS = 0.25
UNIFORM_BINS = 64
UNIFORM_EDGE_FRACTIONS = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)  # extra bins at both ends of [a, b)
TRUNC_BINS = 64


def _ndtr_scalar(x: float) -> float:
    """Phi(x) for one float as Cephes' ndtr (scipy.special.ndtr) computes it, from math.erf and
    math.erfc, so laws can be built without scipy (python -m fastinit imports the battery)."""
    z = x * math.sqrt(0.5)
    if abs(z) < math.sqrt(0.5):
        return 0.5 + 0.5 * math.erf(z)
    tail = 0.5 * math.erfc(abs(z))
    return 1.0 - tail if z > 0 else tail


def _ndtr(x: Any) -> npt.NDArray[np.float64]:
    from scipy import special

    return np.asarray(special.ndtr(np.asarray(x, dtype=np.float64)))


class Law(abc.ABC):
    """A continuous law on the real line: name, support [lo, hi] (inf allowed), mean and std as
    attributes; cdf and sf are each accurate to a few ulps *relative* in their own tail, so a
    bin's probability computed from the nearer tail (bin_probabilities) stays accurate at 1e-30."""

    name: str
    lo: float
    hi: float
    mean: float
    std: float

    @abc.abstractmethod
    def cdf(self, x: Any) -> np.ndarray:
        """P(X <= x), float64."""
        ...

    @abc.abstractmethod
    def sf(self, x: Any) -> np.ndarray:
        """P(X > x), float64."""
        ...

    @abc.abstractmethod
    def pdf(self, x: Any) -> np.ndarray:
        """The density at x, float64."""
        ...

    @abc.abstractmethod
    def ppf(self, q: Any) -> np.ndarray:
        """The quantile function (for QQ plots)."""
        ...

    @abc.abstractmethod
    def central_moments(self) -> np.ndarray:
        """mu[k] = E[(X - mean)**k] for k = 0..8 (mu[0] = 1, mu[1] = 0)."""
        ...

    @abc.abstractmethod
    def edges(self) -> np.ndarray:
        """Fixed, increasing chi-square bin edges; the bins are (-inf, e0), [e0, e1), ...,
        [e_last, inf), so values outside the edges are counted too."""
        ...

    def __repr__(self) -> str:
        return self.name


class Uniform(Law):
    """U[a, b): the uniform law on [a, b)."""

    def __init__(self, a: float, b: float) -> None:
        if not a < b:
            raise ValueError(f"Uniform: need a < b; got a={a}, b={b}")
        self.a, self.b = float(a), float(b)
        self.name = f"uniform[{a:g}, {b:g})"
        self.lo, self.hi = self.a, self.b
        self.mean = 0.5 * (self.a + self.b)
        self.std = (self.b - self.a) / math.sqrt(12.0)

    def cdf(self, x: Any) -> np.ndarray:
        return np.clip((np.asarray(x, np.float64) - self.a) / (self.b - self.a), 0.0, 1.0)

    def sf(self, x: Any) -> np.ndarray:
        return np.clip((self.b - np.asarray(x, np.float64)) / (self.b - self.a), 0.0, 1.0)

    def pdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, np.float64)
        return np.where((x >= self.a) & (x < self.b), 1.0 / (self.b - self.a), 0.0)

    def ppf(self, q: Any) -> np.ndarray:
        return self.a + np.asarray(q, np.float64) * (self.b - self.a)

    def central_moments(self) -> np.ndarray:
        half = 0.5 * (self.b - self.a)
        return np.array([half**k / (k + 1) if k % 2 == 0 else 0.0 for k in range(9)])

    def edges(self) -> np.ndarray:
        inner = np.arange(1, UNIFORM_BINS) / UNIFORM_BINS
        ends = np.array(UNIFORM_EDGE_FRACTIONS)
        unit = np.unique(np.concatenate([[0.0, 1.0], ends, 1.0 - ends, inner]))
        return self.a + unit * (self.b - self.a)


class Normal(Law):
    """N(mean, std**2)."""

    def __init__(self, mean: float, std: float) -> None:
        if not std > 0:
            raise ValueError(f"Normal: need std > 0; got {std}")
        self.mean, self.std = float(mean), float(std)
        self.name = f"normal({mean:g}, {std:g})"
        self.lo, self.hi = -math.inf, math.inf

    def _z(self, x: Any) -> npt.NDArray[np.float64]:
        return (np.asarray(x, np.float64) - self.mean) / self.std

    def cdf(self, x: Any) -> np.ndarray:
        return _ndtr(self._z(x))

    def sf(self, x: Any) -> np.ndarray:
        return _ndtr(-self._z(x))

    def pdf(self, x: Any) -> np.ndarray:
        z = self._z(x)
        return np.exp(-0.5 * z * z) / (self.std * math.sqrt(2 * math.pi))

    def ppf(self, q: Any) -> np.ndarray:
        from scipy import special

        return self.mean + self.std * np.asarray(special.ndtri(np.asarray(q, np.float64)))

    def central_moments(self) -> np.ndarray:
        out = np.zeros(9)
        double_factorial = 1.0  # E z**k = (k - 1)!! for even k
        for k in range(0, 9, 2):
            if k:
                double_factorial *= k - 1
            out[k] = double_factorial * self.std**k
        return out

    def edges(self) -> np.ndarray:
        z = np.arange(-NORMAL_EDGE_SIGMAS, NORMAL_EDGE_SIGMAS + EDGE_STEP_SIGMAS / 2, EDGE_STEP_SIGMAS)
        return self.mean + self.std * z


class TruncNormal(Law):
    """N(mu, sigma**2) conditioned on [a, b] (a and b are bounds on the values, as in
    fastinit.trunc_normal_)."""

    def __init__(self, mu: float, sigma: float, a: float, b: float) -> None:
        if not (sigma > 0 and a < b):
            raise ValueError(f"TruncNormal: need sigma > 0 and a < b; got {sigma}, [{a}, {b}]")
        self.mu, self.sigma, self.a, self.b = float(mu), float(sigma), float(a), float(b)
        self.name = f"trunc_normal({mu:g}, {sigma:g}, [{a:g}, {b:g}])"
        self.lo, self.hi = self.a, self.b
        self.alpha, self.beta = (self.a - self.mu) / self.sigma, (self.b - self.mu) / self.sigma
        if self.alpha >= 0:  # the whole window in the upper tail: a difference of upper tails
            self.mass = _ndtr_scalar(-self.alpha) - _ndtr_scalar(-self.beta)
        else:
            self.mass = _ndtr_scalar(self.beta) - _ndtr_scalar(self.alpha)
        if not self.mass > 0:
            raise ValueError(f"TruncNormal: no probability mass in {self.name}")
        z_mean, self._mu_z = self._standard_moments()
        self.mean = self.mu + self.sigma * z_mean
        self.std = self.sigma * math.sqrt(self._mu_z[2])

    def _z(self, x: Any) -> npt.NDArray[np.float64]:
        return np.clip((np.asarray(x, np.float64) - self.mu) / self.sigma, self.alpha, self.beta)

    def cdf(self, x: Any) -> np.ndarray:
        z = self._z(x)
        if self.alpha >= 0:
            return np.clip((_ndtr(-self.alpha) - _ndtr(-z)) / self.mass, 0.0, 1.0)
        return np.clip((_ndtr(z) - _ndtr(self.alpha)) / self.mass, 0.0, 1.0)

    def sf(self, x: Any) -> np.ndarray:
        z = self._z(x)
        if self.beta > 0:
            return np.clip((_ndtr(-z) - _ndtr(-self.beta)) / self.mass, 0.0, 1.0)
        return np.clip((_ndtr(self.beta) - _ndtr(z)) / self.mass, 0.0, 1.0)

    def pdf(self, x: Any) -> np.ndarray:
        x = np.asarray(x, np.float64)
        z = (x - self.mu) / self.sigma
        dens = np.exp(-0.5 * z * z) / (self.sigma * math.sqrt(2 * math.pi) * self.mass)
        return np.where((x >= self.a) & (x <= self.b), dens, 0.0)

    def ppf(self, q: Any) -> np.ndarray:
        from scipy import special

        q = np.asarray(q, np.float64)
        if self.alpha >= 0:  # measure from the upper end
            z = -special.ndtri(_ndtr(-self.alpha) - q * self.mass)
        else:
            z = special.ndtri(_ndtr(self.alpha) + q * self.mass)
        return cast(np.ndarray, self.mu + self.sigma * np.clip(z, self.alpha, self.beta))

    def _standard_moments(self) -> tuple[float, np.ndarray]:
        """(mean, central moments 0..8) of the standardized window by composite Gauss-Legendre
        quadrature (2000 panels of 16 nodes: exact to rounding for this smooth integrand), the
        weights normalized in log space so that windows like [-12, -11.5] are fine."""
        lo, hi = max(self.alpha, -40.0), min(self.beta, 40.0)
        nodes, weights = np.polynomial.legendre.leggauss(16)
        panels = np.linspace(lo, hi, 2001)
        mid, half = (panels[1:] + panels[:-1]) / 2, (panels[1:] - panels[:-1]) / 2
        x = (mid[:, None] + half[:, None] * nodes[None, :]).ravel()
        logw = -0.5 * x * x
        w = (half[:, None] * weights[None, :]).ravel() * np.exp(logw - logw.max())
        w /= w.sum()
        m = float(np.dot(w, x))
        d = x - m
        return m, np.array([float(np.dot(w, d**k)) for k in range(9)])

    def central_moments(self) -> np.ndarray:
        return np.array([self._mu_z[k] * self.sigma**k for k in range(9)])

    def edges(self) -> np.ndarray:
        al, be = self.alpha, self.beta
        lo = max(al, -NORMAL_EDGE_SIGMAS) if be > -NORMAL_EDGE_SIGMAS else al
        hi = min(be, NORMAL_EDGE_SIGMAS) if al < NORMAL_EDGE_SIGMAS else be
        return self.mu + self.sigma * np.linspace(lo, hi, TRUNC_BINS + 1)


def bin_probabilities(law: Law, edges: np.ndarray) -> np.ndarray:
    """P(X in bin) for the bins (-inf, e0), [e0, e1), ..., [e_last, inf), each computed from the
    nearer tail (cdf differences below the median, sf differences above), so tiny tail bins keep
    full relative precision. Sums to 1 up to rounding."""
    e = np.asarray(edges, np.float64)
    cdf, sf = law.cdf(e), law.sf(e)
    lower = np.concatenate([[0.0], cdf, [1.0]])
    upper = np.concatenate([[1.0], sf, [0.0]])
    from_cdf = np.diff(lower)
    from_sf = -np.diff(upper)
    use_cdf = lower[1:] <= 0.5
    return np.maximum(np.where(use_cdf, from_cdf, from_sf), 0.0)


class SphereCoordinate(Law):
    """One coordinate t of a uniformly random unit vector in R**m (m >= 2), scaled by `scale`:
    (t + 1) / 2 ~ Beta((m - 1) / 2, (m - 1) / 2). An entry of a Haar-distributed (semi-)orthogonal
    matrix with max(rows, cols) = m follows this law (orthogonal_ multiplies by the gain)."""

    def __init__(self, m: int, scale: float = 1.0) -> None:
        if m < 2 or not scale > 0:
            raise ValueError(f"SphereCoordinate: need m >= 2 and scale > 0; got {m}, {scale}")
        self.m, self.scale = int(m), float(scale)
        self.name = f"sphere_coordinate(m={m}, scale={scale:g})"
        self.lo, self.hi = -self.scale, self.scale
        self.mean = 0.0
        self.std = self.scale / math.sqrt(m)

    def _t(self, x: Any) -> np.ndarray:
        return np.clip(np.asarray(x, np.float64) / self.scale, -1.0, 1.0)

    def cdf(self, x: Any) -> np.ndarray:
        from scipy import special

        h = (self.m - 1) / 2
        t = self._t(x)  # I_{(1+t)/2}(h, h); for t > 0 use the symmetry 1 - I_{(1-t)/2}(h, h)
        below = np.asarray(special.betainc(h, h, (1 + t) / 2), np.float64)
        above = 1 - np.asarray(special.betainc(h, h, (1 - t) / 2), np.float64)
        return np.where(t <= 0, below, above)

    def sf(self, x: Any) -> np.ndarray:
        return self.cdf(-np.asarray(x, np.float64))

    def pdf(self, x: Any) -> np.ndarray:
        from scipy import special

        t = self._t(x)
        h = (self.m - 1) / 2
        dens = (1 - t * t) ** (h - 1) / (2 ** (2 * h - 1) * special.beta(h, h))
        return np.where(np.abs(np.asarray(x, np.float64)) <= self.scale, dens / self.scale, 0.0)

    def ppf(self, q: Any) -> np.ndarray:
        from scipy import special

        h = (self.m - 1) / 2
        return self.scale * (
            2 * np.asarray(special.betaincinv(h, h, np.asarray(q, np.float64)), np.float64) - 1
        )

    def central_moments(self) -> np.ndarray:
        # E t**(2j) = (2j - 1)!! / (m (m + 2) ... (m + 2j - 2))
        out = np.zeros(9)
        value = 1.0
        for k in range(0, 9, 2):
            if k:
                value *= (k - 1) / (self.m + k - 2)
            out[k] = value * self.scale**k
        return out

    def edges(self) -> np.ndarray:
        return self.scale * np.linspace(-1.0, 1.0, TRUNC_BINS + 1)
