// Turns user-level distribution parameters into the per-precision constants the kernels use
// (docs/stream.md gives every formula). Arguments are assumed finite and ordered; the Python
// layer validates them first, these functions re-check what would otherwise break a kernel.
#pragma once
#include "fill.h"
#include "kernels.h"

namespace fastinit {

// Uniform on [a, b): a <= b, b - a finite. a == b fills with a. Throws std::domain_error if
// a < b but no value of the dtype lies in [a, b).
DistParams uniform_params(double a, double b, DType dtype);

// Normal with the given mean and std >= 0.
DistParams normal_params(double mean, double std, DType dtype);

// Normal(mean, std) truncated to [a, b], a < b. Throws std::domain_error if the window holds no
// probability mass (or no representable value) at the dtype's precision.
DistParams trunc_normal_params(double mean, double std, double a, double b, DType dtype);

}  // namespace fastinit
