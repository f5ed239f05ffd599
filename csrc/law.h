// What a fill draws: a distribution with its parameters, checked once when made. prepare() turns
// a law into the kernels' constants for one dtype (params.h), checking what only the dtype can
// decide: that the parameters fit its range and that the law has a value or mass there.
#pragma once
#include <array>
#include <stdexcept>
#include <string>

#include "fill.h"
#include "kernels.h"

namespace fastinit {

class Law {
 public:
  // Uniform on [a, b): a <= b, b - a finite. a == b fills with a.
  static Law uniform(double a, double b);
  // Normal with the given mean and std >= 0.
  static Law normal(double mean, double std);
  // Normal(mean, std) truncated to [a, b], a < b (bounds on the values, not in units of std).
  static Law trunc_normal(double mean, double std, double a, double b);

  Distribution distribution() const { return dist_; }
  // The parameters in the order the constructor takes them; unused entries are 0.
  const std::array<double, 4>& parameters() const { return p_; }

  // The kernels' constants for dtype. Throws std::invalid_argument when a parameter lies outside
  // the dtype's finite range (or, for float32 and the half types, a value the kernels compute in
  // float32 would), and NoMass when the law has no value or no probability mass in the dtype.
  DistParams prepare(DType dtype) const;

  // "uniform(a=0.0, b=1.0)", with Python's repr of each number.
  std::string repr() const;

 private:
  Law(Distribution dist, std::array<double, 4> p) : dist_(dist), p_(p) {}
  Distribution dist_;
  std::array<double, 4> p_;
};

// A law that has no value or no probability mass in the target's dtype (a std::domain_error, so
// the binding maps it to its own ValueError subclass).
struct NoMass : std::domain_error {
  using std::domain_error::domain_error;
};

// Python's repr of a double: the shortest digits that read back to it, in fixed notation for
// decimal exponents in [-4, 16) (with ".0" when it is whole) and scientific otherwise.
std::string python_repr(double v);

// The dtype's name as numpy and torch spell it: "float32", "float64", "float16", "bfloat16".
const char* dtype_name(DType dtype);
// The largest finite value of a dtype (infinity for float64, which holds every finite double).
double largest_finite(DType dtype);

}  // namespace fastinit
