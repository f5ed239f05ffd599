// The standard normal lower tail P(Z < -t), computed with basic IEEE operations only, so it
// gives the same bits on every CPU, compiler and C library (the truncated normal's parameters
// depend on it, and through them every value it produces).
#pragma once

namespace fastinit {

// P(Z < -t) for t >= 0, relative error below 1e-13 for t up to 38 (where it underflows).
double normal_lower_tail(double t);

}  // namespace fastinit
