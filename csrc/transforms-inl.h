// The per-batch transforms of the kernels: a Batch of words to values, one distribution at a
// time, as docs/stream.md defines them (word -> uniform, uniform, normal pairs by Box-Muller,
// truncated normals by inversion, version 2's deeper float32 radius), for float32 and float64.
//
// Include only inside a per-target namespace (kernels-inl.h), after Batch, approx_math-inl.h and
// ars_batch-inl.h (version 2's extension words): nothing here has external linkage of its own.

// ---- word -> uniform ----------------------------------------------------------------------

// float32 uniform in [0, 1): the top 24 bits of the word times 2**-24 (exact).
static inline float unit_f32(uint32_t w) { return static_cast<float>(static_cast<int32_t>(w >> 8)) * 0x1p-24f; }

// The 32-bit word as a double, exactly, through the signed conversion every vector ISA has
// (AVX2 has no unsigned one): w - 2**31 as int32, then + 2**31, both exact.
static inline double u32_to_f64(uint32_t w) {
  return static_cast<double>(static_cast<int32_t>(w ^ 0x80000000u)) + 2147483648.0;
}

// float64 uniform in [0, 1): the top 53 bits of (lo | hi << 32) times 2**-53 (exact). The
// 53-bit integer is hi * 2**21 + (lo >> 11), summed exactly in double: no 64-bit conversion,
// which AVX2 lacks, so the loops over a batch vectorize.
static inline double unit_f64(uint32_t lo, uint32_t hi) {
  return (u32_to_f64(hi) * 0x1p21 + u32_to_f64(lo >> 11)) * 0x1p-53;
}

// The word as a float, correctly rounded (IEEE round to nearest: vcvtudq2ps on AVX-512, an
// exact two-half sequence where the ISA lacks an unsigned conversion; the tests check all agree).
static inline float u32_to_f32(uint32_t w) { return static_cast<float>(w); }

// ---- the distributions, one batch at a time --------------------------------------------------

template <class T>
static inline T uniform_value(const TypedParams<T>& p, T u) {
  const T v = p.lo + u * p.width;  // two roundings, no fma: the reference reproduces it exactly
  return v < p.hi ? v : p.below_hi;
}

// x with its sign bit flipped where `flip` has its top bit set: the same bits as -x there.
static inline float flip_sign(float x, uint32_t flip) {
  return bit_cast_value<float>(bit_cast_value<uint32_t>(x) ^ (flip & 0x80000000u));
}
static inline double flip_sign(double x, uint32_t flip) {
  return bit_cast_value<double>(bit_cast_value<uint64_t>(x) ^ (static_cast<uint64_t>(flip & 0x80000000u) << 32));
}

// Box-Muller on one pair: radius from u1, angle from x in [0, pi/4] (the position inside the
// octant, already mirrored on odd octants) and the octant, the top 3 bits of `top`. The octant
// tests are bit tests on `top`: swap cos and sin on octants 1, 2, 5, 6 (bit 30 of top + 2**29),
// negate cos on octants 2..5 (bit 31 of top + 2**30) and sin on octants 4..7 (bit 31 of top);
// a sign flip is IEEE negation, so this is the same value as the octant arithmetic of
// docs/stream.md, with fewer instructions.
template <class T>
static inline void box_muller_pair(T u1, T x, uint32_t top, T& z0, T& z1) {
  const T r = std::sqrt(T(-2) * log_positive(u1));
  T s, c;
  sincos_quarter(x, s, c);
  const bool swap = ((top + 0x20000000u) & 0x40000000u) != 0;
  const T cos_theta = flip_sign(swap ? s : c, top + 0x40000000u);
  const T sin_theta = flip_sign(swap ? c : s, top);
  z0 = r * cos_theta;
  z1 = r * sin_theta;
}

// pi/4 rounded to float (double), times 2**-29 (2**-61): t * this is exactly the rounding of
// (t * 2**-29) * pi/4, one multiply instead of two.
constexpr float kQuarterPiPerStepF32 = static_cast<float>(0.78539816339744830962) * 0x1p-29f;
constexpr double kQuarterPiPerStepF64 = 0.78539816339744830962 * 0x1p-61;

// The float32 angle's polynomial argument in [0, pi/4] from the pair's angle word: its low 29
// bits, mirrored on odd octants (docs/stream.md section 4).
static inline float octant_argument_f32(uint32_t wa) {
  const uint32_t t = wa & 0x1fffffffu;
  const uint32_t mirrored = (wa & 0x20000000u) ? 0x20000000u - t : t;  // odd octant
  return static_cast<float>(static_cast<int32_t>(mirrored)) * kQuarterPiPerStepF32;
}

static inline void normal_pair_f32(uint32_t wr, uint32_t wa, float& z0, float& z1) {
  // in [2**-33, 1]; the product is exact, so the fma is the multiply-then-add of the contract
  const float u1 = std::fma(u32_to_f32(wr), 0x1p-32f, 0x1p-33f);
  box_muller_pair(u1, octant_argument_f32(wa), wa, z0, z1);
}

// The float64 pair's inputs from its four words: the radius uniform u1, the angle's polynomial
// argument x and the word holding the octant (docs/stream.md section 4). Only 32-bit integer
// operations and exact conversions, so the loop over a batch vectorizes; the mirror
// 2**61 - t of an odd octant is done on t's 32-bit halves (a borrow when the low half is not 0).
static inline void normal_inputs_f64(uint32_t r_lo, uint32_t r_hi, uint32_t a_lo, uint32_t a_hi, double& u1,
                                     double& x) {
  const double ur = u32_to_f64(r_hi) * 0x1p32 + u32_to_f64(r_lo);  // R, correctly rounded
  u1 = std::fma(ur, 0x1p-64, 0x1p-65);                             // in [2**-65, 1]; exact product as for float32
  const uint32_t t_hi = a_hi & 0x1fffffffu;
  const bool odd = (a_hi & 0x20000000u) != 0;
  const uint32_t m_lo = odd ? 0u - a_lo : a_lo;
  const uint32_t m_hi = odd ? 0x20000000u - t_hi - (a_lo != 0 ? 1u : 0u) : t_hi;
  const double tf = u32_to_f64(m_hi) * 0x1p32 + u32_to_f64(m_lo);  // exact: below 2**61 + 1
  x = tf * kQuarterPiPerStepF64;
}

// Truncated normal by inversion over n elements with uniforms u (in place: u becomes the values).
// u picks a point of the window's mass, measured from whichever end of the distribution is
// nearer, so no cancellation happens in either tail. The tail branch of the quantile runs only
// on chunks where some element needs it (rare for windows around the mean). Each step is its
// own pass over the batch, a loop compilers vectorize without mask juggling (one fused loop
// ran about 1.3 times slower on AVX2; choosing the end and flooring q in one loop, 1.35 times
// slower on AVX-512, and the final scaling inside the quantile's loop 1.1 times); the values
// are the same, element by element. Only the tail branch needs q floored: the central
// branch's value is discarded below the tail threshold. Version 2's float32 central branch is
// the table of normal_quantile_table_n, from 2**-9 up; version 1's and float64's are Acklam's
// rational, from 0.02425 up (docs/stream.md, sections 5 and 9).
template <class T, int N, int Version = 1>
static inline void trunc_normal_values(const TypedParams<T>& params, T* __restrict v) {
  const TypedParams<T> p = params;
  alignas(64) T q[N];
  alignas(64) T sign[N];
  const T tiny = sizeof(T) == 4 ? T(0x1p-126) : T(0x1p-1022);
  constexpr bool kTable = Version == 2 && sizeof(T) == 4;
  const T tail_below = kTable ? T(kQuantileTableBelow) : T(kQuantileTailBelow);
  constexpr int kChunk = 32;  // elements per check for the tail branch
  static_assert(N % kChunk == 0, "batch must be whole chunks");
  for (int i = 0; i < N; ++i) {
    const T from_below = std::fma(v[i], p.mass, p.p_lo);
    const T from_above = std::fma(T(1) - v[i], p.mass, p.q_hi);
    const bool lower = from_below <= from_above;
    q[i] = lower ? from_below : from_above;
    sign[i] = lower ? T(1) : T(-1);
  }
  if constexpr (kTable) {
    normal_quantile_table_n(q, v, N);
  } else {
    for (int i = 0; i < N; ++i) v[i] = normal_quantile_central(q[i]);
  }
  for (int c = 0; c < N; c += kChunk) {
    int tail_count = 0;
    for (int i = c; i < c + kChunk; ++i) tail_count += q[i] < tail_below ? 1 : 0;
    if (tail_count == 0) continue;
    for (int i = c; i < c + kChunk; ++i) {
      const T tail = normal_quantile_tail(q[i] > tiny ? q[i] : tiny);  // floored: no log(0)
      v[i] = q[i] < tail_below ? tail : v[i];
    }
  }
  for (int i = 0; i < N; ++i) {
    T x = std::fma(sign[i] * v[i], p.std, p.mean);
    x = x > p.clamp_lo ? x : p.clamp_lo;
    v[i] = x < p.clamp_hi ? x : p.clamp_hi;
  }
}

// Writes the 4 * kBatch float32 elements of a batch, element 4b + k from word k of block b
// (truncated normals: by Version's quantile).
template <Distribution D, int Version = 1>
static inline void transform_f32(const TypedParams<float>& params, const Batch& x, float* __restrict out) {
  const TypedParams<float> p = params;  // a local copy: provably not aliased by out
  for (int b = 0; b < kBatch; ++b) {
    if constexpr (D == Distribution::uniform) {
      out[4 * b + 0] = uniform_value(p, unit_f32(x.x0[b]));
      out[4 * b + 1] = uniform_value(p, unit_f32(x.x1[b]));
      out[4 * b + 2] = uniform_value(p, unit_f32(x.x2[b]));
      out[4 * b + 3] = uniform_value(p, unit_f32(x.x3[b]));
    } else if constexpr (D == Distribution::normal) {
      float z0, z1, z2, z3;
      normal_pair_f32(x.x0[b], x.x1[b], z0, z1);
      normal_pair_f32(x.x2[b], x.x3[b], z2, z3);
      out[4 * b + 0] = std::fma(z0, p.std, p.mean);
      out[4 * b + 1] = std::fma(z1, p.std, p.mean);
      out[4 * b + 2] = std::fma(z2, p.std, p.mean);
      out[4 * b + 3] = std::fma(z3, p.std, p.mean);
    } else {
      out[4 * b + 0] = unit_f32(x.x0[b]);
      out[4 * b + 1] = unit_f32(x.x1[b]);
      out[4 * b + 2] = unit_f32(x.x2[b]);
      out[4 * b + 3] = unit_f32(x.x3[b]);
    }
  }
  if constexpr (D == Distribution::trunc_normal) trunc_normal_values<float, 4 * kBatch, Version>(p, out);
}

// Writes the 4 * kBatch float32 normals of a version 2 batch: version 1's pairs on ARS words,
// except that a pair whose radius word R is 0 (probability 2**-32) takes its radius uniform from
// its extension word E instead, u1 = E * 2**-64 + 2**-65: u1 >= 2**-65, so the tails reach
// sqrt(130 ln 2) = 9.49 sigma instead of version 1's 6.76 (docs/stream.md section 7).
static inline void transform_normal_v2_f32(const TypedParams<float>& params, StreamId id, const Batch& x,
                                           float* __restrict out) {
  transform_f32<Distribution::normal>(params, x, out);
  uint32_t any_zero = 0;
  for (int b = 0; b < kBatch; ++b)
    any_zero |= static_cast<uint32_t>(x.x0[b] == 0) | static_cast<uint32_t>(x.x2[b] == 0);
  if (any_zero == 0) return;
  const TypedParams<float> p = params;
  for (int b = 0; b < kBatch; ++b) {
    for (int half = 0; half < 2; ++half) {
      if ((half ? x.x2[b] : x.x0[b]) != 0) continue;
      const uint32_t wa = half ? x.x3[b] : x.x1[b];
      const uint32_t e = extension_word(id, 2 * x.block(b) + static_cast<uint64_t>(half));
      const float u1 = std::fma(u32_to_f32(e), 0x1p-64f, 0x1p-65f);  // exact product, as in version 1
      float z0, z1;
      box_muller_pair(u1, octant_argument_f32(wa), wa, z0, z1);
      out[4 * b + 2 * half] = std::fma(z0, p.std, p.mean);
      out[4 * b + 2 * half + 1] = std::fma(z1, p.std, p.mean);
    }
  }
}

// Version 2's float32 truncated normals of a narrow window (TypedParams::narrow): section 5's
// inversion in float64 (the window's parameters in `wide`, each element's 24-bit float32
// uniform), the value fma(z, std, mean) in float64 rounded once to float and clamped to the
// window's float values.
static inline void trunc_normal_narrow_f32(const TypedParams<double>& wide, const TypedParams<float>& params,
                                           const Batch& x, float* __restrict out) {
  const TypedParams<float> p = params;
  alignas(64) double v[4 * kBatch];
  for (int b = 0; b < kBatch; ++b) {
    v[4 * b + 0] = unit_f32(x.x0[b]);
    v[4 * b + 1] = unit_f32(x.x1[b]);
    v[4 * b + 2] = unit_f32(x.x2[b]);
    v[4 * b + 3] = unit_f32(x.x3[b]);
  }
  trunc_normal_values<double, 4 * kBatch>(wide, v);
  for (int i = 0; i < 4 * kBatch; ++i) {
    const float f = static_cast<float>(v[i]);
    const float lo = f > p.clamp_lo ? f : p.clamp_lo;
    out[i] = lo < p.clamp_hi ? lo : p.clamp_hi;
  }
}

// Version 2's truncated normals for a window that holds every value its normals reach
// (TypedParams::covers_normal): the n normal values in v, clamped to the window as inversion's are
// (the clamp acts only where rounding would step outside).
template <class T>
static inline void clamp_to_window(const TypedParams<T>& params, int n, T* __restrict v) {
  const TypedParams<T> p = params;
  for (int i = 0; i < n; ++i) {
    const T x = v[i] > p.clamp_lo ? v[i] : p.clamp_lo;
    v[i] = x < p.clamp_hi ? x : p.clamp_hi;
  }
}

// Writes the 2 * kBatch float64 elements of a batch, element 2b + k from words 2k, 2k + 1.
// Normals take two passes (the pairs' inputs, then Box-Muller), each a loop compilers vectorize.
template <Distribution D>
static inline void transform_f64(const TypedParams<double>& params, const Batch& x, double* __restrict out) {
  const TypedParams<double> p = params;  // a local copy: provably not aliased by out
  if constexpr (D == Distribution::normal) {
    alignas(64) double u1[kBatch];
    alignas(64) double angle[kBatch];
    for (int b = 0; b < kBatch; ++b) normal_inputs_f64(x.x0[b], x.x1[b], x.x2[b], x.x3[b], u1[b], angle[b]);
    for (int b = 0; b < kBatch; ++b) {
      double z0, z1;
      box_muller_pair(u1[b], angle[b], x.x3[b], z0, z1);
      out[2 * b + 0] = std::fma(z0, p.std, p.mean);
      out[2 * b + 1] = std::fma(z1, p.std, p.mean);
    }
    return;
  }
  for (int b = 0; b < kBatch; ++b) {
    if constexpr (D == Distribution::uniform) {
      out[2 * b + 0] = uniform_value(p, unit_f64(x.x0[b], x.x1[b]));
      out[2 * b + 1] = uniform_value(p, unit_f64(x.x2[b], x.x3[b]));
    } else {
      out[2 * b + 0] = unit_f64(x.x0[b], x.x1[b]);
      out[2 * b + 1] = unit_f64(x.x2[b], x.x3[b]);
    }
  }
  if constexpr (D == Distribution::trunc_normal) trunc_normal_values<double, 2 * kBatch>(p, out);
}

static inline void transform_words(const Batch& x, uint32_t* __restrict out) {
  for (int b = 0; b < kBatch; ++b) {
    out[4 * b + 0] = x.x0[b];
    out[4 * b + 1] = x.x1[b];
    out[4 * b + 2] = x.x2[b];
    out[4 * b + 3] = x.x3[b];
  }
}
