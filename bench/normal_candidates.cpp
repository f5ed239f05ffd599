// Candidate float32 normal transforms for a faster stream version (issue: normals at memory
// speed), measured on one thread against the words that feed them. Not part of fastinit: a
// stand-alone program for x86-64 CPUs with AVX-512 and VAES, whose figures are in
// bench/README.md. Build and run (explicit flags, never -march=native):
//
//   g++ -O3 -std=c++17 -ffp-contract=off -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2
//       -mfma -maes -mvaes bench/normal_candidates.cpp -o /tmp/normal_candidates
//   /tmp/normal_candidates
//
// Every candidate draws one 32-bit word per value from ARS4x32-7 (stream version 2's generator)
// computed in place: four blocks per ZMM register are sixteen consecutive elements' words in
// element order, so no transpose is needed. The candidates:
//
// * words: the ARS words alone, stored (the floor under every candidate).
// * ziggurat, fast path: Marsaglia and Tsang's ziggurat with 128 layers, the tables in
//   registers (vpermt2ps); low 7 bits of the word pick the layer, bits 8-31 give an odd integer
//   m, |m| < 2**24, and x = m * x_i / 2**24 is accepted when |m| < K_i. The rejected elements
//   are counted, not redrawn: the cost of the path every element takes.
// * ziggurat, whole: the same with each rejected element finished by a scalar loop that reads its
//   extra words from its own purpose-tagged ARS blocks (so no element depends on another): the
//   wedge test in the log domain, the tail by Marsaglia's method.
// * inverse CDF: z = P_k(s) for q = (word mod 2**31) * 2**-32 in octave k = floor(-log2 q) - 1,
//   s = 2 * mantissa(q) - 3 in [-1, 1), P_k a degree-7 polynomial per octave (25 octaves, one
//   vpermt2ps per coefficient), the sign from the word's top bit; q < 2**-25 (probability
//   2**-24) would need an extension word and is counted, not computed.
//
// Each line gives ns per value (best of five passes over a 64 KiB buffer, which stays in L2),
// and checks that the values are standard normals (mean, variance, kurtosis over 2**24 values;
// for the inverse CDF also its largest error against the exact quantile).
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace {

// ---- ARS4x32-7 (docs/stream.md, section 9) ----
struct ArsKeys {
  __m128i k[8];
  __m512i k4[8];
};
ArsKeys ars_keys(uint64_t seed) {
  ArsKeys keys;
  uint64_t lo = seed, hi = 0;
  for (int r = 0; r <= 7; ++r) {
    keys.k[r] = _mm_set_epi64x(static_cast<long long>(hi), static_cast<long long>(lo));
    keys.k4[r] = _mm512_broadcast_i32x4(keys.k[r]);
    lo += 0x9E3779B97F4A7C15ull;
    hi += 0xBB67AE8584CAA73Bull;
  }
  return keys;
}
// The word of element e in the block of purpose tag `tag` (block (tag << 56 | e / 4), word e % 4).
uint32_t tagged_word(const ArsKeys& keys, uint64_t stream, uint64_t tag, uint64_t e) {
  __m128i v = _mm_xor_si128(
      _mm_set_epi64x(static_cast<long long>(stream), static_cast<long long>((tag << 56) | (e >> 2))), keys.k[0]);
  for (int r = 1; r < 7; ++r) v = _mm_aesenc_si128(v, keys.k[r]);
  alignas(16) uint32_t w[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(w), _mm_aesenclast_si128(v, keys.k[7]));
  return w[e & 3];
}
// Runs body(words, first_element) on the words of elements [4 * block0, 4 * (block0 + n_blocks)),
// sixteen at a time, four registers in flight.
template <class Body>
inline void for_each_16_words(const ArsKeys& keys, uint64_t stream, uint64_t block0, size_t n_blocks, Body body) {
  const auto s = static_cast<long long>(stream);
  __m512i counter = _mm512_set_epi64(s, static_cast<long long>(block0 + 3), s, static_cast<long long>(block0 + 2), s,
                                     static_cast<long long>(block0 + 1), s, static_cast<long long>(block0));
  const __m512i four = _mm512_set_epi64(0, 4, 0, 4, 0, 4, 0, 4);
  for (size_t b = 0; b < n_blocks; b += 16) {
    __m512i v[4];
    for (auto& x : v) {
      x = _mm512_xor_si512(counter, keys.k4[0]);
      counter = _mm512_add_epi64(counter, four);
    }
    for (int r = 1; r < 7; ++r)
      for (auto& x : v) x = _mm512_aesenc_epi128(x, keys.k4[r]);
    for (auto& x : v) x = _mm512_aesenclast_epi128(x, keys.k4[7]);
    for (int q = 0; q < 4; ++q) body(v[q], 4 * (block0 + b) + 16 * static_cast<uint64_t>(q));
  }
}

// ---- ziggurat tables (128 layers) ----
constexpr int kLayers = 128;
struct Ziggurat {
  float width[kLayers];     // x_i / 2**24: layer i's width per unit of m
  int32_t accept[kLayers];  // K_i = ceil(2**24 * x_{i+1} / x_i): |m| < K_i is under the curve
  float f[kLayers + 1];     // exp(-x_i**2 / 2)
  float r;                  // the base strip's edge x_1
};
double gauss(double x) { return std::exp(-0.5 * x * x); }
double tail_mass(double r) { return std::sqrt(M_PI / 2) * std::erfc(r / std::sqrt(2.0)); }
// x_0 = V / f(r), x_1 = r, f(x_{i+1}) = f(x_i) + V / x_i; r is the root that ends at x_128 = 0.
bool layer_edges(double r, double* x) {
  const double area = r * gauss(r) + tail_mass(r);
  x[0] = area / gauss(r);
  x[1] = r;
  for (int i = 1; i < kLayers - 1; ++i) {
    const double y = gauss(x[i]) + area / x[i];
    if (y >= 1) return false;  // r too small: the layers reach the top early
    x[i + 1] = std::sqrt(-2 * std::log(y));
  }
  x[kLayers] = 0;
  return gauss(x[kLayers - 1]) + area / x[kLayers - 1] <= 1;
}
Ziggurat make_ziggurat() {
  double lo = 3, hi = 4, x[kLayers + 1];
  for (int it = 0; it < 100; ++it) {
    const double mid = 0.5 * (lo + hi);
    (layer_edges(mid, x) ? hi : lo) = mid;
  }
  layer_edges(hi, x);
  Ziggurat z{};
  for (int i = 0; i < kLayers; ++i) {
    z.width[i] = static_cast<float>(x[i] * 0x1p-24);
    z.accept[i] = static_cast<int32_t>(std::ceil(0x1p24 * x[i + 1] / x[i]));
  }
  for (int i = 0; i <= kLayers; ++i) z.f[i] = static_cast<float>(gauss(x[i]));
  z.r = static_cast<float>(hi);
  return z;
}

struct ZigguratRegs {
  __m512 w[8];
  __m512i k[8];
};
ZigguratRegs load(const Ziggurat& z) {
  ZigguratRegs regs;
  for (int i = 0; i < 8; ++i) {
    regs.w[i] = _mm512_loadu_ps(z.width + 16 * i);
    regs.k[i] = _mm512_loadu_si512(z.accept + 16 * i);
  }
  return regs;
}
// x for the sixteen words, with the lanes the fast path rejects in *rejected.
inline __m512 ziggurat_fast(const ZigguratRegs& t, __m512i w, __mmask16* rejected) {
  const __mmask16 b5 = _mm512_test_epi32_mask(w, _mm512_set1_epi32(32));
  const __mmask16 b6 = _mm512_test_epi32_mask(w, _mm512_set1_epi32(64));
  const __m512 w01 =
      _mm512_mask_blend_ps(b5, _mm512_permutex2var_ps(t.w[0], w, t.w[1]), _mm512_permutex2var_ps(t.w[2], w, t.w[3]));
  const __m512 w23 =
      _mm512_mask_blend_ps(b5, _mm512_permutex2var_ps(t.w[4], w, t.w[5]), _mm512_permutex2var_ps(t.w[6], w, t.w[7]));
  const __m512i k01 = _mm512_mask_blend_epi32(b5, _mm512_permutex2var_epi32(t.k[0], w, t.k[1]),
                                              _mm512_permutex2var_epi32(t.k[2], w, t.k[3]));
  const __m512i k23 = _mm512_mask_blend_epi32(b5, _mm512_permutex2var_epi32(t.k[4], w, t.k[5]),
                                              _mm512_permutex2var_epi32(t.k[6], w, t.k[7]));
  const __m512i m =
      _mm512_or_si512(_mm512_srai_epi32(_mm512_andnot_si512(_mm512_set1_epi32(0xff), w), 7), _mm512_set1_epi32(1));
  *rejected = _mm512_cmpge_epi32_mask(_mm512_abs_epi32(m), _mm512_mask_blend_epi32(b6, k01, k23));
  return _mm512_mul_ps(_mm512_cvtepi32_ps(m), _mm512_mask_blend_ps(b6, w01, w23));
}
// Finishes a rejected element: attempt t reads tags 4 + 3t (the wedge's or the tail's first
// uniform), 5 + 3t (the tail's second) and 6 + 3t (the next candidate).
float ziggurat_slow(const Ziggurat& z, const ArsKeys& keys, uint64_t stream, uint64_t e, uint32_t w) {
  const auto unit = [](uint32_t u) { return std::fma(static_cast<float>(u), 0x1p-32f, 0x1p-33f); };
  for (uint64_t t = 0; t < 20; ++t) {
    const uint32_t i = w & (kLayers - 1);
    const int32_t m = (static_cast<int32_t>(w & ~0xffu) >> 7) | 1;
    const float x = static_cast<float>(m) * z.width[i];
    if (std::abs(m) < z.accept[i]) return x;
    const uint32_t a = tagged_word(keys, stream, 4 + 3 * t, e);
    if (i == 0) {
      const float dx = -std::log(unit(a)) / z.r;
      const float y = -std::log(unit(tagged_word(keys, stream, 5 + 3 * t, e)));
      if (y + y > dx * dx) return m < 0 ? -(z.r + dx) : z.r + dx;
    } else {
      const float y = z.f[i] + static_cast<float>(a >> 8) * 0x1p-24f * (z.f[i + 1] - z.f[i]);
      if (std::log(y) < -0.5f * x * x) return x;
    }
    w = tagged_word(keys, stream, 6 + 3 * t, e);
  }
  return 0;
}

// ---- inverse CDF, a degree-7 polynomial per octave of q ----
constexpr int kOctaves = 25, kCoefficients = 8;
double normal_quantile(double p) {  // to double precision: a start, then Newton steps on erfc
  double x = -std::sqrt(-2 * std::log(p));
  x += 0.8 * std::exp(-0.6 * x * x);  // rough start; Newton converges from here for p <= 0.5
  for (int it = 0; it < 60; ++it) {
    const double err = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    x -= err / (std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI));
  }
  return x;
}
struct Octaves {
  alignas(64) float c[kCoefficients][32];  // c[d][k]: coefficient of s**d in octave k
};
// Interpolation at Chebyshev nodes of s in [-1, 1], converted to powers of s.
Octaves make_octaves() {
  Octaves o{};
  constexpr int n = kCoefficients;
  for (int k = 0; k < kOctaves; ++k) {
    double node[n], value[n];
    for (int j = 0; j < n; ++j) {
      node[j] = std::cos(M_PI * (j + 0.5) / n);
      value[j] = normal_quantile((node[j] + 3) / 2 * std::ldexp(1.0, -(k + 2)));
    }
    double power[n] = {};  // Newton's divided differences, then expanded into powers
    double dd[n];
    std::copy(value, value + n, dd);
    for (int lvl = 1; lvl < n; ++lvl)
      for (int j = n - 1; j >= lvl; --j) dd[j] = (dd[j] - dd[j - 1]) / (node[j] - node[j - lvl]);
    for (int j = n - 1; j >= 0; --j) {  // power = power * (s - node[j]) + dd[j]
      for (int d = n - 1; d > 0; --d) power[d] = power[d - 1] - node[j] * power[d];
      power[0] = -node[j] * power[0] + dd[j];
    }
    for (int d = 0; d < n; ++d) o.c[d][k] = static_cast<float>(power[d]);
  }
  return o;
}
inline __m512 inverse_cdf(const __m512* lo, const __m512* hi, __m512i w, __mmask16* rare) {
  const __m512i t = _mm512_and_si512(w, _mm512_set1_epi32(0x7fffffff));
  *rare = _mm512_cmplt_epi32_mask(t, _mm512_set1_epi32(128));
  const __m512i bits = _mm512_castps_si512(_mm512_mul_ps(_mm512_cvtepi32_ps(t), _mm512_set1_ps(0x1p-32f)));
  const __m512i octave = _mm512_sub_epi32(_mm512_set1_epi32(125), _mm512_srli_epi32(bits, 23));
  const __m512 mant = _mm512_castsi512_ps(
      _mm512_ternarylogic_epi32(bits, _mm512_set1_epi32(0x007fffff), _mm512_set1_epi32(0x3f800000), 0xEA));
  const __m512 s = _mm512_fmsub_ps(mant, _mm512_set1_ps(2), _mm512_set1_ps(3));
  __m512 z = _mm512_permutex2var_ps(lo[kCoefficients - 1], octave, hi[kCoefficients - 1]);
  for (int d = kCoefficients - 2; d >= 0; --d) z = _mm512_fmadd_ps(z, s, _mm512_permutex2var_ps(lo[d], octave, hi[d]));
  return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(z), w, _mm512_set1_epi32(INT32_MIN), 0x78));
}

// ---- measurement ----
struct Moments {
  double n = 0, s1 = 0, s2 = 0, s4 = 0;
  void add(const float* x, size_t k) {
    for (size_t i = 0; i < k; ++i) {
      const double v = x[i];
      n += 1;
      s1 += v;
      s2 += v * v;
      s4 += v * v * v * v;
    }
  }
};
template <class Fill>
void measure(const char* name, Fill fill) {
  constexpr size_t kValues = 16384;  // 64 KiB
  std::vector<float> out(kValues);
  double best = 1e30;
  size_t odd = 0;
  for (int pass = 0; pass < 5; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    odd = 0;
    for (uint64_t rep = 0; rep < 2000; ++rep) odd += fill(rep * kValues / 4, kValues / 4, out.data());
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, ns / (2000.0 * kValues));
  }
  Moments mo;
  for (uint64_t rep = 0; rep < 1024; ++rep) {
    fill((1ull << 40) + rep * kValues / 4, kValues / 4, out.data());
    mo.add(out.data(), kValues);
  }
  const double mean = mo.s1 / mo.n, var = mo.s2 / mo.n - mean * mean;
  std::printf("%-34s %6.3f ns/value  special %.5f  mean %+.5f var %.5f kurtosis %.4f\n", name, best,
              static_cast<double>(odd) / (2000.0 * kValues), mean, var, mo.s4 / mo.n / (var * var));
}

}  // namespace

int main() {
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("vaes")) {
    std::printf("needs AVX-512 and VAES\n");
    return 0;
  }
  const ArsKeys keys = ars_keys(20261201);
  const uint64_t stream = 7;
  const Ziggurat zig = make_ziggurat();
  const ZigguratRegs regs = load(zig);
  const Octaves oct = make_octaves();
  __m512 lo[kCoefficients], hi[kCoefficients];
  for (int d = 0; d < kCoefficients; ++d) {
    lo[d] = _mm512_load_ps(oct.c[d]);
    hi[d] = _mm512_load_ps(oct.c[d] + 16);
  }
  std::printf("ziggurat: r = %.9f; inverse CDF: %d octaves, degree %d\n", zig.r, kOctaves, kCoefficients - 1);

  measure("ARS words (as float bits)", [&](uint64_t b0, size_t nb, float* out) {
    for_each_16_words(keys, stream, b0, nb, [&](__m512i w, uint64_t e) {
      _mm512_storeu_ps(out + (e - 4 * b0), _mm512_mul_ps(_mm512_cvtepi32_ps(w), _mm512_set1_ps(0x1p-31f)));
    });
    return size_t{0};
  });
  measure("ziggurat-128, fast path only", [&](uint64_t b0, size_t nb, float* out) {
    size_t rejected = 0;
    for_each_16_words(keys, stream, b0, nb, [&](__m512i w, uint64_t e) {
      __mmask16 bad;
      _mm512_storeu_ps(out + (e - 4 * b0), ziggurat_fast(regs, w, &bad));
      rejected += static_cast<size_t>(__builtin_popcount(bad));
    });
    return rejected;
  });
  measure("ziggurat-128, whole", [&](uint64_t b0, size_t nb, float* out) {
    size_t rejected = 0;
    for_each_16_words(keys, stream, b0, nb, [&](__m512i w, uint64_t e) {
      __mmask16 bad;
      float* o = out + (e - 4 * b0);
      _mm512_storeu_ps(o, ziggurat_fast(regs, w, &bad));
      if (bad == 0) return;
      alignas(64) uint32_t words[16];
      _mm512_store_si512(words, w);
      for (; bad != 0; bad &= bad - 1) {
        const int lane = __builtin_ctz(bad);
        o[lane] = ziggurat_slow(zig, keys, stream, e + lane, words[lane]);
        ++rejected;
      }
    });
    return rejected;
  });
  measure("inverse CDF, 25 octaves x degree 7", [&](uint64_t b0, size_t nb, float* out) {
    size_t rare = 0;
    for_each_16_words(keys, stream, b0, nb, [&](__m512i w, uint64_t e) {
      __mmask16 r;
      _mm512_storeu_ps(out + (e - 4 * b0), inverse_cdf(lo, hi, w, &r));
      rare += static_cast<size_t>(__builtin_popcount(r));
    });
    return rare;
  });
  // the inverse CDF's largest error against the exact quantile, over every octave
  double worst = 0;
  for (uint32_t t = 128; t < 0x7fffffffu; t += 9973) {
    const float q = static_cast<float>(t) * 0x1p-32f;
    __mmask16 r;
    alignas(64) float z[16];
    _mm512_store_ps(z, inverse_cdf(lo, hi, _mm512_set1_epi32(static_cast<int>(t)), &r));
    worst = std::max(worst, std::abs(z[0] - normal_quantile(q)));
  }
  std::printf("inverse CDF: largest |error| %.2e over q in [2**-25, 1/2)\n", worst);
  return 0;
}
