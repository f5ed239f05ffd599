#include "normal_cdf.h"

#include <cmath>

namespace fastinit {

namespace {

// e**x for x <= 0: x = k ln2 + r with |r| <= ln2 / 2, Taylor series of e**r through r**14,
// then scaled by 2**k (std::ldexp is exact or correctly rounded).
double exp_nonpositive(double x) {
  if (x < -745.2) return 0.0;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 significant bits: k * hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  const double k = std::floor(x * kInvLn2 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  // Horner's rule with the exact Taylor coefficients 1/n!.
  double coeff[15];
  coeff[0] = 1.0;
  for (int n = 1; n <= 14; ++n) coeff[n] = coeff[n - 1] / static_cast<double>(n);
  double sum = coeff[14];
  for (int n = 13; n >= 0; --n) sum = sum * r + coeff[n];
  return std::ldexp(sum, static_cast<int>(k));
}

}  // namespace

double normal_lower_tail(double t) {
  constexpr double kInvSqrt2Pi = 0.39894228040143267794;
  const double density = exp_nonpositive(-0.5 * t * t) * kInvSqrt2Pi;
  if (t < 1.0) {
    // 1/2 - density * sum_n t**(2n+1) / (1*3*...*(2n+1)), to convergence.
    double term = t, sum = t;
    for (int n = 1; n < 200; ++n) {
      term = term * (t * t) / static_cast<double>(2 * n + 1);
      const double next = sum + term;
      if (next == sum) break;
      sum = next;
    }
    return 0.5 - density * sum;
  }
  // Laplace's continued fraction for the Mills ratio, evaluated from a fixed depth upward.
  const int depth = static_cast<int>(20.0 + 300.0 / (t * t));
  double f = t;
  for (int k = depth; k >= 1; --k) f = t + static_cast<double>(k) / f;
  return density / f;
}

}  // namespace fastinit
