#include "law.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

#include "params.h"

namespace fastinit {

namespace {

std::string got(const char* name, double v) { return std::string(name) + "=" + python_repr(v); }

void require_finite(const char* name, double v) {
  if (!std::isfinite(v)) throw std::invalid_argument(std::string(name) + " must be finite; got " + python_repr(v));
}

// The value as C's %g prints it (and Python's format(v, "g")).
std::string general(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void require_in_range(const char* name, double v, DType dtype) {
  const double limit = largest_finite(dtype);
  if (std::fabs(v) > limit)
    throw std::invalid_argument(got(name, v) + " is outside the range of " + dtype_name(dtype) +
                                " (largest finite value " + general(limit) + ")");
}

}  // namespace

double largest_finite(DType dtype) {
  switch (dtype) {
    case DType::f32: return std::numeric_limits<float>::max();
    case DType::f16: return 65504.0;
    case DType::bf16: return 0x1.fep127;
    case DType::f64: break;
  }
  return std::numeric_limits<double>::infinity();
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::f16: return "float16";
    case DType::bf16: return "bfloat16";
  }
  return "?";
}

std::string python_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // The shortest scientific form that reads back to v: "d.ddde±x" with 1 to 17 digits.
  char sci[40];
  for (int precision = 0; precision <= 16; ++precision) {
    std::snprintf(sci, sizeof sci, "%.*e", precision, v);
    if (std::strtod(sci, nullptr) == v) break;
  }
  std::string s(sci);
  const size_t e = s.find('e');
  const int exponent = std::atoi(s.c_str() + e + 1);
  std::string digits;
  for (size_t i = 0; i < e; ++i)
    if (s[i] >= '0' && s[i] <= '9') digits += s[i];
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const std::string sign = v < 0 ? "-" : "";
  if (exponent < -4 || exponent >= 16) {  // scientific, at least two exponent digits
    std::string out = sign + digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp[8];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + exp;
  }
  if (exponent < 0) return sign + "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  const size_t whole = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= whole) return sign + digits + std::string(whole - digits.size(), '0') + ".0";
  return sign + digits.substr(0, whole) + "." + digits.substr(whole);
}

Law Law::uniform(double a, double b) {
  require_finite("a", a);
  require_finite("b", b);
  if (!(a <= b)) throw std::invalid_argument("a must be <= b; got " + got("a", a) + ", " + got("b", b));
  if (!std::isfinite(b - a))
    throw std::invalid_argument("b - a must be finite; got " + got("a", a) + ", " + got("b", b));
  return Law(Distribution::uniform, {a, b, 0, 0});
}

Law Law::normal(double mean, double std) {
  require_finite("mean", mean);
  require_finite("std", std);
  if (!(std >= 0)) throw std::invalid_argument("std must be >= 0; got " + got("std", std));
  return Law(Distribution::normal, {mean, std, 0, 0});
}

Law Law::trunc_normal(double mean, double std, double a, double b) {
  require_finite("mean", mean);
  require_finite("std", std);
  // a = -inf or b = +inf leaves that side open, as torch's and JAX's truncated normals allow.
  if (!(std::isinf(a) && a < 0)) require_finite("a", a);
  if (!(std::isinf(b) && b > 0)) require_finite("b", b);
  if (!(std >= 0)) throw std::invalid_argument("std must be >= 0; got " + got("std", std));
  if (!(a < b)) throw std::invalid_argument("a must be < b; got " + got("a", a) + ", " + got("b", b));
  return Law(Distribution::trunc_normal, {mean, std, a, b});
}

DistParams Law::prepare(DType dtype) const {
  const auto& p = p_;
  switch (dist_) {
    case Distribution::uniform:
      require_in_range("a", p[0], dtype);
      require_in_range("b", p[1], dtype);
      if (dtype != DType::f64) require_in_range("b - a", p[1] - p[0], DType::f32);  // the kernels' width
      try {
        return uniform_params(p[0], p[1], dtype);
      } catch (const std::domain_error& why) {
        throw NoMass("the window [a, b) = [" + python_repr(p[0]) + ", " + python_repr(p[1]) + ") " + why.what() + " (" +
                     dtype_name(dtype) + "); widen it, or use constant_ for a single value");
      }
    case Distribution::normal:
      require_in_range("mean", p[0], dtype);
      require_in_range("std", p[1], dtype);
      return normal_params(p[0], p[1], dtype);
    case Distribution::trunc_normal: {
      require_in_range("mean", p[0], dtype);
      require_in_range("std", p[1], dtype);
      // An open end is the dtype's whole range on that side: no value can reach it, and its
      // tail mass is 0 (normal_cdf.cpp underflows to 0 far before), so the values are those of
      // the one-sided window.
      const double a = std::isinf(p[2]) ? -largest_finite(dtype) : p[2];
      const double b = std::isinf(p[3]) ? largest_finite(dtype) : p[3];
      require_in_range("a", a, dtype);
      require_in_range("b", b, dtype);
      try {
        return trunc_normal_params(p[0], p[1], a, b, dtype);
      } catch (const std::domain_error& why) {
        throw NoMass("the truncation window [a, b] = [" + python_repr(p[2]) + ", " + python_repr(p[3]) +
                     "] of a normal with mean=" + python_repr(p[0]) + " and std=" + python_repr(p[1]) + " " +
                     why.what() + "; choose a window closer to the mean");
      }
    }
  }
  throw std::logic_error("unknown distribution");
}

std::string Law::repr() const {
  const auto& p = p_;
  switch (dist_) {
    case Distribution::uniform: return "uniform(" + got("a", p[0]) + ", " + got("b", p[1]) + ")";
    case Distribution::normal: return "normal(" + got("mean", p[0]) + ", " + got("std", p[1]) + ")";
    case Distribution::trunc_normal:
      return "trunc_normal(" + got("mean", p[0]) + ", " + got("std", p[1]) + ", " + got("a", p[2]) + ", " +
             got("b", p[3]) + ")";
  }
  return "?";
}

}  // namespace fastinit
