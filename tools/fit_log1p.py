"""Fits the float32 polynomial of csrc/approx_math-inl.h's log_positive<float>:

    log(1 + f) ~= f - f**2/2 + f**3 * P(f),   f in [sqrt(1/2) - 1, sqrt(2) - 1],

P of degree 6, by weighted least squares at Chebyshev nodes (weights make the fit minimize
the relative error of log(1 + f)). Prints the coefficients rounded to float32 and the largest
relative error of the float32 Horner evaluation against float64 log1p.

    python tools/fit_log1p.py
"""

import numpy as np

DEGREE = 6
LO, HI = np.sqrt(0.5) - 1, np.sqrt(2) - 1


def fit() -> np.ndarray:
    k = np.arange(4000)
    f = (LO + HI) / 2 + (HI - LO) / 2 * np.cos(np.pi * (k + 0.5) / k.size)
    g = (np.log1p(f) - f + f * f / 2) / f**3
    w = np.abs(f) ** 3 / np.abs(np.log1p(f))
    V = np.vander(f, DEGREE + 1, increasing=True)
    c, *_ = np.linalg.lstsq(V * w[:, None], g * w, rcond=None)
    return c.astype(np.float32)


def max_relative_error(c: np.ndarray) -> float:
    f = np.linspace(LO, HI, 400_001).astype(np.float32)
    p = c[-1]
    for coeff in c[-2::-1]:
        p = p * f + coeff  # float32 throughout, as the kernel (with fma) computes it
    y = f - f * f * np.float32(0.5) + f * f * f * p
    exact = np.log1p(f.astype(np.float64))
    nonzero = exact != 0
    return float(np.max(np.abs(y[nonzero] - exact[nonzero]) / np.abs(exact[nonzero])))


if __name__ == "__main__":
    coeffs = fit()
    for i, c in enumerate(coeffs):
        print(f"c{i} = {float(c)!r}  # {np.float32(c).view(np.uint32):#010x}")
    print("max relative error:", max_relative_error(coeffs))
