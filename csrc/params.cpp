#include "params.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "normal_cdf.h"

namespace fastinit {

namespace {

bool is_half(DType d) { return d == DType::f16 || d == DType::bf16; }

float half_bits_to_float(uint16_t h, DType d) {
  if (d == DType::bf16) {
    const uint32_t x = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &x, 4);
    return f;
  }
  const int sign = (h >> 15) ? -1 : 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0x1f) return sign * std::numeric_limits<float>::infinity();
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
  return sign * std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
}

uint16_t float_to_half_bits(float f, DType d) {
  uint16_t h = 0;
  const Kernels& k = scalar::kernels();  // the same rounding every target uses
  (d == DType::bf16 ? k.store_bf16 : k.store_f16)(&f, 1, reinterpret_cast<char*>(&h), 2);
  return h;
}

// The neighbouring half value above (+1) or below (-1) h, by bit pattern.
uint16_t half_step(uint16_t h, int direction) {
  const bool negative = (h & 0x8000u) != 0;
  const bool zero = (h & 0x7fffu) == 0;
  if (zero) return direction > 0 ? uint16_t{0x0001} : uint16_t{0x8001};
  const bool grow = (direction > 0) != negative;  // magnitude grows
  return static_cast<uint16_t>(grow ? h + 1 : h - 1);
}

// The value of the dtype nearest to x (round to nearest even), as a double.
double round_to(DType d, double x) {
  switch (d) {
    case DType::f64: return x;
    case DType::f32: return static_cast<float>(x);
    default: return half_bits_to_float(float_to_half_bits(static_cast<float>(x), d), d);
  }
}

// The neighbouring dtype value of a representable x, above (+1) or below (-1).
double step(DType d, double x, int direction) {
  const double inf = std::numeric_limits<double>::infinity();
  switch (d) {
    case DType::f64: return std::nextafter(x, direction * inf);
    case DType::f32: return std::nextafter(static_cast<float>(x), static_cast<float>(direction * inf));
    default: return half_bits_to_float(half_step(float_to_half_bits(static_cast<float>(x), d), direction), d);
  }
}

double largest_below(DType d, double b) {  // largest dtype value < b
  double v = round_to(d, b);
  while (v >= b) v = step(d, v, -1);
  return v;
}
double largest_at_most(DType d, double b) {
  double v = round_to(d, b);
  while (v > b) v = step(d, v, -1);
  return v;
}
double smallest_at_least(DType d, double a) {
  double v = round_to(d, a);
  while (v < a) v = step(d, v, +1);
  return v;
}

// The smallest float whose rounding to the half dtype exceeds the half value `top`.
float half_round_up_threshold(DType d, float top) {
  const float next = static_cast<float>(step(d, top, +1));
  float m = static_cast<float>((static_cast<double>(top) + next) / 2);  // exact in float
  if (float_to_half_bits(m, d) == float_to_half_bits(top, d)) m = std::nextafter(m, next);
  return m;
}

template <class T>
void set_common(TypedParams<T>& p, double mean, double std) {
  p.mean = static_cast<T>(mean);
  p.std = static_cast<T>(std);
}

}  // namespace

DistParams uniform_params(double a, double b, DType dtype) {
  // The message completes "the window [a, b) ..."; the Python layer adds the values.
  if (a < b && !(smallest_at_least(dtype, a) < b))
    throw std::domain_error("contains no value representable in the dtype");
  DistParams out;
  out.dist = Distribution::uniform;
  const double lo = round_to(dtype == DType::f64 ? DType::f64 : DType::f32, a);
  const double top = largest_below(dtype, b);
  const bool constant = !(a < b) || top < round_to(dtype, a);
  if (dtype == DType::f64) {
    out.f64.constant = constant;
    out.f64.lo = lo;
    out.f64.width = b - a;
    out.f64.below_hi = top;
    out.f64.hi = step(dtype, top, +1);
    return out;
  }
  TypedParams<float>& p = out.f32;
  p.constant = constant;
  p.lo = static_cast<float>(lo);
  p.width = static_cast<float>(b - a);
  p.below_hi = static_cast<float>(top);
  p.hi = is_half(dtype) ? half_round_up_threshold(dtype, static_cast<float>(top))
                        : static_cast<float>(step(dtype, top, +1));
  if (constant) p.lo = static_cast<float>(round_to(dtype, a));
  return out;
}

DistParams normal_params(double mean, double std, DType dtype) {
  DistParams out;
  out.dist = Distribution::normal;
  if (dtype == DType::f64)
    set_common(out.f64, mean, std);
  else
    set_common(out.f32, mean, std);
  return out;
}

// Stream version 2's normals stay within sqrt(130 ln 2) = 9.4933 standard deviations of the mean
// (docs/stream.md section 9); a truncation window reaching this far on both sides cannot bind.
constexpr double kNormalReach = 9.5;
// Version 2 inverts a float32 window holding less mass than this in float64: a float32 q
// (P_lo + u * mass) resolves u * mass only to P_lo's ulp, so a narrow window would take few
// distinct values (docs/stream.md section 9).
constexpr double kNarrowMass = 0x1p-9;

DistParams trunc_normal_params(double mean, double std, double a, double b, DType dtype) {
  const double clamp_lo = smallest_at_least(dtype, a);
  const double clamp_hi = largest_at_most(dtype, b);
  // The message completes "the truncation window [a, b] ..."; the Python layer adds the values.
  auto no_mass = [](const char* why) { return std::domain_error(why); };
  if (clamp_lo > clamp_hi) throw no_mass("contains no value representable in the dtype");
  if (std == 0.0) {
    if (mean < a || mean > b) throw no_mass("holds no probability mass (std is 0)");
    // mean, rounded to the dtype and kept inside [a, b] (rounding could step just outside)
    const double value = std::min(std::max(round_to(dtype, mean), clamp_lo), clamp_hi);
    return uniform_params(value, value, dtype);
  }
  const double alpha = (a - mean) / std, beta = (b - mean) / std;
  const double p_lo = alpha <= 0 ? normal_lower_tail(-alpha) : 1.0 - normal_lower_tail(alpha);
  const double q_hi = beta >= 0 ? normal_lower_tail(beta) : 1.0 - normal_lower_tail(-beta);
  double mass;
  if (alpha >= 0)
    mass = normal_lower_tail(alpha) - normal_lower_tail(beta);
  else if (beta <= 0)
    mass = normal_lower_tail(-beta) - normal_lower_tail(-alpha);
  else
    mass = 1.0 - normal_lower_tail(-alpha) - normal_lower_tail(beta);
  const double min_normal =
      dtype == DType::f64 ? std::numeric_limits<double>::min() : static_cast<double>(std::numeric_limits<float>::min());
  if (!(mass >= min_normal))
    throw no_mass(dtype == DType::f64 ? "holds no probability mass at float64 precision"
                                      : "holds no probability mass at float32 precision");
  DistParams out;
  out.dist = Distribution::trunc_normal;
  auto fill = [&](auto& p) {
    using T = std::remove_reference_t<decltype(p.mean)>;
    set_common(p, mean, std);
    p.p_lo = static_cast<T>(p_lo);
    p.q_hi = static_cast<T>(q_hi);
    p.mass = static_cast<T>(mass);
    p.clamp_lo = static_cast<T>(clamp_lo);
    p.clamp_hi = static_cast<T>(clamp_hi);
    p.covers_normal = alpha <= -kNormalReach && beta >= kNormalReach;
  };
  fill(out.f64);
  if (dtype != DType::f64) {
    fill(out.f32);
    out.f32.narrow = mass < kNarrowMass && !out.f32.covers_normal;
  }
  return out;
}

}  // namespace fastinit
