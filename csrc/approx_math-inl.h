// Elementary functions for the kernels, written once for float and double with only
// +, -, *, /, sqrt, explicit std::fma and bit operations, so every instruction set computes
// the same bits. Coefficients are Taylor coefficients (exact 1/n! and 2/(2k+1) rationals), a
// fitted float polynomial for log1p (tools/fit_log1p.py) or Acklam's rational approximation of
// the normal quantile; docs/stream.md states the accuracy.
//
// Include only inside a per-target namespace (see kernels-inl.h): nothing here has external
// linkage of its own.

template <class T>
struct FloatBits;
template <>
struct FloatBits<float> {
  using U = uint32_t;
  using I = int32_t;
  static constexpr int kMantBits = 23;
  static constexpr U kOne = 0x3f800000u;
  static constexpr U kSqrtHalf = 0x3f3504f3u;  // sqrt(1/2) rounded to float
  static constexpr U kMantMask = 0x007fffffu;
  static constexpr I kBias = 127;
  static constexpr float kLn2Hi = 6.9314575195e-01f;  // ln 2 with 16 significant bits
  static constexpr float kLn2Lo = 1.4286067653e-06f;  // ln 2 - kLn2Hi
};
template <>
struct FloatBits<double> {
  using U = uint64_t;
  using I = int64_t;
  static constexpr int kMantBits = 52;
  static constexpr U kOne = 0x3ff0000000000000ull;
  static constexpr U kSqrtHalf = 0x3fe6a09e667f3bcdull;
  static constexpr U kMantMask = 0x000fffffffffffffull;
  static constexpr I kBias = 1023;
  static constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 significant bits
  static constexpr double kLn2Lo = 1.90821492927058770002e-10;  // ln 2 - kLn2Hi
};

template <class To, class From>
static inline To bit_cast_value(From from) {
  static_assert(sizeof(To) == sizeof(From), "bit_cast_value needs equal sizes");
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
}

// Natural logarithm of a positive normal x. Reduction x = 2**k * m with m in [sqrt(1/2),
// sqrt(2)), f = m - 1 (exact); log(1 + f) by a fitted polynomial (float) or by the atanh series
// (double, |s| <= 0.1716); then k * ln 2 added in two parts.
template <class T>
static inline T log_positive(T x) {
  using B = FloatBits<T>;
  using U = typename B::U;
  using I = typename B::I;
  U ix = bit_cast_value<U>(x) + (B::kOne - B::kSqrtHalf);
  T k;
  if constexpr (sizeof(T) == 4) {
    k = static_cast<T>(static_cast<I>(ix >> B::kMantBits) - B::kBias);
  } else {
    // The same integer, exactly, without an int64 -> double conversion (AVX2 has none): the
    // double 2**52 + e from its bits, minus 2**52 + bias.
    k = bit_cast_value<T>((ix >> B::kMantBits) | 0x4330000000000000ull) - T(0x1p52 + B::kBias);
  }
  const T m = bit_cast_value<T>(static_cast<U>((ix & B::kMantMask) + B::kSqrtHalf));
  const T f = m - T(1);
  T log_m;
  if constexpr (sizeof(T) == 4) {
    // log(1 + f) = f - f^2/2 + f^3 P(f), P fitted by tools/fit_log1p.py (no division).
    T poly = std::fma(f, 0.08506953716278076f, -0.14197471737861633f);
    poly = std::fma(f, poly, 0.14950978755950928f);
    poly = std::fma(f, poly, -0.165879487991333f);
    poly = std::fma(f, poly, 0.19960597157478333f);
    poly = std::fma(f, poly, -0.250009685754776f);
    poly = std::fma(f, poly, 0.33333972096443176f);
    const T f2 = f * f;
    log_m = std::fma(f2 * f, poly, std::fma(f2, -0.5f, f));
  } else {
    // log(1 + f) = 2 atanh(s) = f - s (f - R(s^2)), s = f / (2 + f), R's Taylor coefficients.
    const T s = f / (T(2) + f);
    const T z = s * s;
    T r = std::fma(z, T(2.0 / 23), T(2.0 / 21));
    r = std::fma(z, r, T(2.0 / 19));
    r = std::fma(z, r, T(2.0 / 17));
    r = std::fma(z, r, T(2.0 / 15));
    r = std::fma(z, r, T(2.0 / 13));
    r = std::fma(z, r, T(2.0 / 11));
    r = std::fma(z, r, T(2.0 / 9));
    r = std::fma(z, r, T(2.0 / 7));
    r = std::fma(z, r, T(2.0 / 5));
    r = std::fma(z, r, T(2.0 / 3));
    r = r * z;
    log_m = f - s * (f - r);
  }
  return std::fma(k, B::kLn2Hi, std::fma(k, B::kLn2Lo, log_m));
}

// sin and cos of x in [0, pi/4] by their Taylor series (through x^9 / x^10 for float,
// x^17 / x^18 for double; truncation error below 2e-9 / 1e-19).
template <class T>
static inline void sincos_quarter(T x, T& s, T& c) {
  const T z = x * x;
  T ps, pc;
  if constexpr (sizeof(T) == 4) {
    ps = std::fma(z, T(1.0 / 362880), T(-1.0 / 5040));
    ps = std::fma(z, ps, T(1.0 / 120));
    ps = std::fma(z, ps, T(-1.0 / 6));
    pc = std::fma(z, T(-1.0 / 3628800), T(1.0 / 40320));
    pc = std::fma(z, pc, T(-1.0 / 720));
    pc = std::fma(z, pc, T(1.0 / 24));
    pc = std::fma(z, pc, T(-1.0 / 2));
  } else {
    ps = std::fma(z, T(1.0 / 355687428096000.0), T(-1.0 / 1307674368000.0));
    ps = std::fma(z, ps, T(1.0 / 6227020800.0));
    ps = std::fma(z, ps, T(-1.0 / 39916800.0));
    ps = std::fma(z, ps, T(1.0 / 362880.0));
    ps = std::fma(z, ps, T(-1.0 / 5040.0));
    ps = std::fma(z, ps, T(1.0 / 120.0));
    ps = std::fma(z, ps, T(-1.0 / 6.0));
    pc = std::fma(z, T(-1.0 / 6402373705728000.0), T(1.0 / 20922789888000.0));
    pc = std::fma(z, pc, T(-1.0 / 87178291200.0));
    pc = std::fma(z, pc, T(1.0 / 479001600.0));
    pc = std::fma(z, pc, T(-1.0 / 3628800.0));
    pc = std::fma(z, pc, T(1.0 / 40320.0));
    pc = std::fma(z, pc, T(-1.0 / 720.0));
    pc = std::fma(z, pc, T(1.0 / 24.0));
    pc = std::fma(z, pc, T(-1.0 / 2.0));
  }
  s = std::fma(x * z, ps, x);
  c = std::fma(z, pc, T(1));
}

// The standard normal quantile Phi^-1(q) for q in (0, 0.5 + eps], by P. J. Acklam's rational
// approximation (relative error below 1.15e-9): a rational function of (q - 1/2)^2 for
// q >= kQuantileTailBelow (normal_quantile_central) and of sqrt(-2 log q) below
// (normal_quantile_tail, for positive normal q). Callers select per element.
constexpr double kQuantileTailBelow = 0.02425;

template <class T>
static inline T normal_quantile_tail(T q) {
  const T t = std::sqrt(T(-2) * log_positive(q));
  T tn = std::fma(T(-7.784894002430293e-03), t, T(-3.223964580411365e-01));
  tn = std::fma(tn, t, T(-2.400758277161838e+00));
  tn = std::fma(tn, t, T(-2.549732539343734e+00));
  tn = std::fma(tn, t, T(4.374664141464968e+00));
  tn = std::fma(tn, t, T(2.938163982698783e+00));
  T td = std::fma(T(7.784695709041462e-03), t, T(3.224671290700398e-01));
  td = std::fma(td, t, T(2.445134137142996e+00));
  td = std::fma(td, t, T(3.754408661907416e+00));
  td = std::fma(td, t, T(1));
  return tn / td;
}

// Stream version 2's float32 normal quantile for q in [2**-9, 1/2 + eps]: the polynomial of
// interval k of csrc/normal_quantile_table.h (tools/fit_normal_quantile.py), k read off q's
// bits (its binade and top mantissa bit), in t = q - start_k, which is exact (q and start_k share
// a binade, or q is a few ulps past 1/2 and start_15 = 3/8). No division, logarithm or double:
// about 0.12 ns a value on AVX-512 against 0.30 for normal_quantile_central. Below 2**-9 the
// caller takes normal_quantile_tail. The vector versions read the table with permutes and give
// the same bits: each value is the same Horner chain of fmas on the same coefficients.
constexpr float kQuantileTableBelow = 0x1p-9f;
constexpr int32_t kQuantileTableFirstBits = 236;  // (bits of 2**-9) >> 22: interval 0

static inline float normal_quantile_table(float q) {
  int32_t k = static_cast<int32_t>(bit_cast_value<uint32_t>(q) >> 22) - kQuantileTableFirstBits;
  k = k < 0 ? 0 : (k > 15 ? 15 : k);
  const float t = q - bit_cast_value<float>(static_cast<uint32_t>(k + kQuantileTableFirstBits) << 22);
  float p = kNormalQuantileTable[kNormalQuantileDegree][k];
  for (int d = kNormalQuantileDegree - 1; d >= 0; --d) p = std::fma(p, t, kNormalQuantileTable[d][k]);
  return p;
}

// z[i] = normal_quantile_table(q[i]) for i < n, n a multiple of 16.
static inline void normal_quantile_table_n(const float* __restrict q, float* __restrict z, int n) {
#if defined(__AVX512F__)
  __m512 rows[kNormalQuantileDegree + 1];
  for (int d = 0; d <= kNormalQuantileDegree; ++d) rows[d] = _mm512_load_ps(kNormalQuantileTable[d]);
  const __m512i first = _mm512_set1_epi32(kQuantileTableFirstBits);
  for (int i = 0; i < n; i += 16) {
    const __m512 x = _mm512_loadu_ps(q + i);
    __m512i k = _mm512_sub_epi32(_mm512_srli_epi32(_mm512_castps_si512(x), 22), first);
    k = _mm512_min_epi32(_mm512_max_epi32(k, _mm512_setzero_si512()), _mm512_set1_epi32(15));
    const __m512 t = _mm512_sub_ps(x, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k, first), 22)));
    __m512 p = _mm512_permutexvar_ps(k, rows[kNormalQuantileDegree]);
    for (int d = kNormalQuantileDegree - 1; d >= 0; --d) p = _mm512_fmadd_ps(p, t, _mm512_permutexvar_ps(k, rows[d]));
    _mm512_storeu_ps(z + i, p);
  }
#elif defined(__AVX2__)
  // Each row is two registers of eight; a permute reads both and bit 3 of k picks one.
  const __m256i first = _mm256_set1_epi32(kQuantileTableFirstBits);
  const auto coefficient = [](int d, __m256i k, __m256 upper) {
    const __m256 lo = _mm256_permutevar8x32_ps(_mm256_load_ps(kNormalQuantileTable[d]), k);
    const __m256 hi = _mm256_permutevar8x32_ps(_mm256_load_ps(kNormalQuantileTable[d] + 8), k);
    return _mm256_blendv_ps(lo, hi, upper);
  };
  for (int i = 0; i < n; i += 8) {
    const __m256 x = _mm256_loadu_ps(q + i);
    __m256i k = _mm256_sub_epi32(_mm256_srli_epi32(_mm256_castps_si256(x), 22), first);
    k = _mm256_min_epi32(_mm256_max_epi32(k, _mm256_setzero_si256()), _mm256_set1_epi32(15));
    const __m256 upper = _mm256_castsi256_ps(_mm256_slli_epi32(k, 28));  // bit 3 of k as the sign
    const __m256 t = _mm256_sub_ps(x, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k, first), 22)));
    __m256 p = coefficient(kNormalQuantileDegree, k, upper);
    for (int d = kNormalQuantileDegree - 1; d >= 0; --d) p = _mm256_fmadd_ps(p, t, coefficient(d, k, upper));
    _mm256_storeu_ps(z + i, p);
  }
#elif defined(FASTINIT_TARGET_NEON)
  // A row is 64 bytes, four registers a table lookup (TBL) reads at once: byte j of lane i
  // from byte 4 k + j of the row.
  uint8x16x4_t rows[kNormalQuantileDegree + 1];
  for (int d = 0; d <= kNormalQuantileDegree; ++d)
    rows[d] = vld1q_u8_x4(reinterpret_cast<const uint8_t*>(kNormalQuantileTable[d]));
  const int32x4_t first = vdupq_n_s32(kQuantileTableFirstBits);
  for (int i = 0; i < n; i += 4) {
    const float32x4_t x = vld1q_f32(q + i);
    int32x4_t k = vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_f32(x), 22)), first);
    k = vminq_s32(vmaxq_s32(k, vdupq_n_s32(0)), vdupq_n_s32(15));
    const float32x4_t start = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(k, first), 22));
    const float32x4_t t = vsubq_f32(x, start);
    const uint8x16_t bytes =
        vreinterpretq_u8_u32(vmlaq_n_u32(vdupq_n_u32(0x03020100u), vreinterpretq_u32_s32(k), 0x04040404u));
    float32x4_t p = vreinterpretq_f32_u8(vqtbl4q_u8(rows[kNormalQuantileDegree], bytes));
    for (int d = kNormalQuantileDegree - 1; d >= 0; --d)
      p = vfmaq_f32(vreinterpretq_f32_u8(vqtbl4q_u8(rows[d], bytes)), p, t);
    vst1q_f32(z + i, p);
  }
#else
  for (int i = 0; i < n; ++i) z[i] = normal_quantile_table(q[i]);
#endif
}

// The central rational's numerator and denominator cancel heavily near the branch edge (to
// about 1% of their terms), so both are summed in double even for float; the float version
// then divides in float.
template <class T>
static inline T normal_quantile_central(T q) {
  const double r = static_cast<double>(q) - 0.5;
  const double rr = r * r;
  double cn = std::fma(-3.969683028665376e+01, rr, 2.209460984245205e+02);
  cn = std::fma(cn, rr, -2.759285104469687e+02);
  cn = std::fma(cn, rr, 1.383577518672690e+02);
  cn = std::fma(cn, rr, -3.066479806614716e+01);
  cn = std::fma(cn, rr, 2.506628277459239e+00);
  double cd = std::fma(-5.447609879822406e+01, rr, 1.615858368580409e+02);
  cd = std::fma(cd, rr, -1.556989798598866e+02);
  cd = std::fma(cd, rr, 6.680131188771972e+01);
  cd = std::fma(cd, rr, -1.328068155288572e+01);
  cd = std::fma(cd, rr, 1.0);
  return (static_cast<T>(cn) * static_cast<T>(r)) / static_cast<T>(cd);
}
