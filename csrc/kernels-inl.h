// The kernels, written once. Each kernels_<target>.cpp defines FASTINIT_TARGET (its namespace)
// and includes this file; CMake compiles it with that target's instruction-set flags and no
// floating-point contraction. The loops run over batches of Philox blocks held in
// structure-of-arrays form, the shape compilers vectorize for every vector width.
//
// docs/stream.md is the contract these functions implement; fastinit/reference.py is the
// same contract in NumPy.
//
// The -inl.h suffix is Highway's: a textual fragment, meant to be included once per target,
// inside or around that target's namespace, never an ordinary header. approx_math-inl.h,
// philox_simd-inl.h and ars_batch-inl.h are fragments of this one.
#ifndef FASTINIT_TARGET
#error "define FASTINIT_TARGET before including kernels-inl.h"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif
#if defined(__ARM_FEATURE_AES)
#include <arm_neon.h>
#endif

#include "ars_round.h"
#include "kernels.h"
#include "philox_constants.h"
#include "philox_round.h"

namespace fastinit {
namespace FASTINIT_TARGET {
namespace {

#include "approx_math-inl.h"

constexpr int kBatch = 64;  // Philox blocks per batch

// The four words of kBatch Philox blocks, word k of block b in x<k>[b].
struct Batch {
  alignas(64) uint32_t x0[kBatch];
  alignas(64) uint32_t x1[kBatch];
  alignas(64) uint32_t x2[kBatch];
  alignas(64) uint32_t x3[kBatch];
  uint64_t first = 0;                // the counter of block 0 of a consecutive batch
  const uint64_t* listed = nullptr;  // or the kBatch counters of a listed one

  uint64_t block(int b) const { return listed ? listed[b] : first + static_cast<uint64_t>(b); }
};

// Calls step(k0, k1) with the key of each of the 10 rounds for stream id's seed: the schedule
// of philox_round.h, shared by the scalar loop below and the vector code of philox_simd-inl.h.
template <class Step>
static inline void philox_round_keys(StreamId id, Step&& step) {
  philox_key_schedule(static_cast<uint32_t>(id.seed), static_cast<uint32_t>(id.seed >> 32), kPhiloxRounds, step);
}

// Computes Philox4x32-10 of counters (lo32(j), hi32(j), lo32(stream), hi32(stream)) under key
// (lo32(seed), hi32(seed)) for j = block(b), b < kBatch; word k of block(b) goes to x<k>[b].
// Rounds outside, blocks inside: each round is one pass over the four word arrays, the loop
// compilers vectorize (the NEON target relies on it; the scalar one is built not to).
template <class BlockAt>
static inline void philox_batch_generic(StreamId id, BlockAt block, Batch& out) {
  const uint32_t s0 = static_cast<uint32_t>(id.stream);
  const uint32_t s1 = static_cast<uint32_t>(id.stream >> 32);
  uint32_t* __restrict x0 = out.x0;
  uint32_t* __restrict x1 = out.x1;
  uint32_t* __restrict x2 = out.x2;
  uint32_t* __restrict x3 = out.x3;
  for (int b = 0; b < kBatch; ++b) {
    const uint64_t j = block(b);
    x0[b] = static_cast<uint32_t>(j);
    x1[b] = static_cast<uint32_t>(j >> 32);
    x2[b] = s0;
    x3[b] = s1;
  }
  philox_round_keys(id, [&](uint32_t k0, uint32_t k1) {
    for (int b = 0; b < kBatch; ++b) philox_round(x0[b], x1[b], x2[b], x3[b], k0, k1);
  });
}

// Consecutive blocks j0, j0 + 1, ...
struct ConsecutiveBlocks {
  uint64_t j0;
  uint64_t operator()(int b) const { return j0 + static_cast<uint64_t>(b); }
};
// Blocks from a list of kBatch counters.
struct ListedBlocks {
  const uint64_t* list;
  uint64_t operator()(int b) const { return list[b]; }
};

#include "philox_simd-inl.h"
#if !defined(FASTINIT_PHILOX_SIMD)
static inline void philox_batch(StreamId id, uint64_t j0, Batch& out) {
  philox_batch_generic(id, ConsecutiveBlocks{j0}, out);
}
static inline void philox_batch_listed(StreamId id, const uint64_t* list, Batch& out) {
  philox_batch_generic(id, ListedBlocks{list}, out);
}
#endif

#include "ars_batch-inl.h"

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
// branch's value is discarded below kQuantileTailBelow.
template <class T, int N>
static inline void trunc_normal_values(const TypedParams<T>& params, T* __restrict v) {
  const TypedParams<T> p = params;
  alignas(64) T q[N];
  alignas(64) T sign[N];
  const T tiny = sizeof(T) == 4 ? T(0x1p-126) : T(0x1p-1022);
  constexpr int kChunk = 32;  // elements per check for the tail branch
  static_assert(N % kChunk == 0, "batch must be whole chunks");
  for (int i = 0; i < N; ++i) {
    const T from_below = std::fma(v[i], p.mass, p.p_lo);
    const T from_above = std::fma(T(1) - v[i], p.mass, p.q_hi);
    const bool lower = from_below <= from_above;
    q[i] = lower ? from_below : from_above;
    sign[i] = lower ? T(1) : T(-1);
  }
  for (int i = 0; i < N; ++i) v[i] = normal_quantile_central(q[i]);
  for (int c = 0; c < N; c += kChunk) {
    int tail_count = 0;
    for (int i = c; i < c + kChunk; ++i) tail_count += q[i] < T(kQuantileTailBelow) ? 1 : 0;
    if (tail_count == 0) continue;
    for (int i = c; i < c + kChunk; ++i) {
      const T tail = normal_quantile_tail(q[i] > tiny ? q[i] : tiny);  // floored: no log(0)
      v[i] = q[i] < T(kQuantileTailBelow) ? tail : v[i];
    }
  }
  for (int i = 0; i < N; ++i) {
    T x = std::fma(sign[i] * v[i], p.std, p.mean);
    x = x > p.clamp_lo ? x : p.clamp_lo;
    v[i] = x < p.clamp_hi ? x : p.clamp_hi;
  }
}

// Writes the 4 * kBatch float32 elements of a batch, element 4b + k from word k of block b.
template <Distribution D>
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
  if constexpr (D == Distribution::trunc_normal) trunc_normal_values<float, 4 * kBatch>(p, out);
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

// A batch transform with what running it needs: values per block, and the stream version whose
// generator feeds it (uniforms take version 1's words in every version).
template <int PerBlock, int Version, class F>
struct BatchTransform {
  static constexpr int kPerBlock = PerBlock;
  static constexpr int kVersion = Version;
  F f;
  template <class V>
  void operator()(const Batch& x, V* out) const {
    f(x, out);
  }
};
template <int PerBlock, int Version, class F>
static inline BatchTransform<PerBlock, Version, F> batch_transform(F f) {
  return BatchTransform<PerBlock, Version, F>{f};
}

// Walks the batches of Transform's stream that hold the logical elements [first, first + n):
// for each, emit(words, skip, take), where values [skip, skip + take) of the batch are the next
// `take` elements. The one loop behind generate and generate_half.
template <class Transform, class Emit>
static inline void for_each_batch(StreamId id, uint64_t first, size_t n, Emit emit) {
  constexpr int kPerBlock = Transform::kPerBlock;
  constexpr size_t kPerBatch = static_cast<size_t>(kPerBlock) * kBatch;
  Batch words;
  uint64_t block = first / kPerBlock;
  size_t skip = static_cast<size_t>(first % kPerBlock);
  while (n > 0) {
    stream_batch<Transform::kVersion>(id, block, words);
    const size_t take = n < kPerBatch - skip ? n : kPerBatch - skip;
    emit(words, skip, take);
    n -= take;
    skip = 0;
    block += kBatch;
  }
}

// Runs a batch transform over the logical elements [first, first + n): whole batches go
// straight to out, a partial one at either end goes through a local batch buffer. (Many short
// runs, one per row of a narrow shard, go through gather below instead: fill.cpp.)
template <class V, class Transform>
static inline void generate(StreamId id, uint64_t first, size_t n, V* out, Transform transform) {
  constexpr size_t kPerBatch = static_cast<size_t>(Transform::kPerBlock) * kBatch;
  alignas(64) V partial[kPerBatch];
  for_each_batch<Transform>(id, first, n, [&](const Batch& words, size_t skip, size_t take) {
    if (take == kPerBatch) {
      transform(words, out);
    } else {
      transform(words, partial);
      std::memcpy(out, partial + skip, take * sizeof(V));
    }
    out += take;
  });
}

// Runs a batch transform over whole blocks given by a list: out[kPerBlock * i + k] is element
// kPerBlock * blocks[i] + k, for i < n_blocks <= kBatch. The list is padded to a whole batch
// with its last block.
template <class V, class Transform>
static inline void gather(StreamId id, const uint64_t* blocks, size_t n_blocks, V* out, Transform transform) {
  constexpr size_t kPerBlock = Transform::kPerBlock;
  if (n_blocks == 0) return;
  alignas(64) uint64_t list[kBatch];
  for (size_t b = 0; b < static_cast<size_t>(kBatch); ++b) list[b] = blocks[b < n_blocks ? b : n_blocks - 1];
  Batch words;
  stream_batch_listed<Transform::kVersion>(id, list, words);
  alignas(64) V values[kPerBlock * kBatch];
  transform(words, values);
  std::memcpy(out, values, n_blocks * kPerBlock * sizeof(V));
}

void words_u32(StreamId id, uint64_t first, size_t n, uint32_t* out) {
  const auto words = [](const Batch& x, uint32_t* o) { transform_words(x, o); };
  if (id.version == 2) return generate<uint32_t>(id, first, n, out, batch_transform<4, 2>(words));
  generate<uint32_t>(id, first, n, out, batch_transform<4, 1>(words));
}

template <class T>
static inline void fill_constant(T value, size_t n, T* out) {
  for (size_t i = 0; i < n; ++i) out[i] = value;
}

// Calls run(transform) with the batch transform (a BatchTransform) of p's distribution for
// float32 values in stream id.version, or, for a constant distribution (uniform with
// a == b), calls constant(value).
template <class Run, class Constant>
static inline void with_transform_f32(const DistParams& p, StreamId id, Run run, Constant constant) {
  const int version = id.version;
  const TypedParams<float>& q = p.f32;
  switch (p.dist) {
    case Distribution::uniform:
      if (q.constant) return constant(q.lo);
      return run(
          batch_transform<4, 1>([&q](const Batch& x, float* o) { transform_f32<Distribution::uniform>(q, x, o); }));
    case Distribution::normal:
      if (version == 2)
        return run(batch_transform<4, 2>([&q, id](const Batch& x, float* o) { transform_normal_v2_f32(q, id, x, o); }));
      return run(
          batch_transform<4, 1>([&q](const Batch& x, float* o) { transform_f32<Distribution::normal>(q, x, o); }));
    case Distribution::trunc_normal: {
      const auto trunc = [&q](const Batch& x, float* o) { transform_f32<Distribution::trunc_normal>(q, x, o); };
      if (version == 2 && q.covers_normal)
        return run(batch_transform<4, 2>([&q, id](const Batch& x, float* o) {
          transform_normal_v2_f32(q, id, x, o);
          clamp_to_window(q, 4 * kBatch, o);
        }));
      if (version == 2) return run(batch_transform<4, 2>(trunc));
      return run(batch_transform<4, 1>(trunc));
    }
  }
}

// The same for float64 values (version 2's normal family: version 1's transforms on ARS words).
template <class Run, class Constant>
static inline void with_transform_f64(const DistParams& p, StreamId id, Run run, Constant constant) {
  const int version = id.version;
  const TypedParams<double>& q = p.f64;
  switch (p.dist) {
    case Distribution::uniform:
      if (q.constant) return constant(q.lo);
      return run(
          batch_transform<2, 1>([&q](const Batch& x, double* o) { transform_f64<Distribution::uniform>(q, x, o); }));
    case Distribution::normal: {
      const auto normal = [&q](const Batch& x, double* o) { transform_f64<Distribution::normal>(q, x, o); };
      if (version == 2) return run(batch_transform<2, 2>(normal));
      return run(batch_transform<2, 1>(normal));
    }
    case Distribution::trunc_normal: {
      const auto trunc = [&q](const Batch& x, double* o) { transform_f64<Distribution::trunc_normal>(q, x, o); };
      if (version == 2 && q.covers_normal)
        return run(batch_transform<2, 2>([&q](const Batch& x, double* o) {
          transform_f64<Distribution::normal>(q, x, o);
          clamp_to_window(q, 2 * kBatch, o);
        }));
      if (version == 2) return run(batch_transform<2, 2>(trunc));
      return run(batch_transform<2, 1>(trunc));
    }
  }
}

void fill_f32(const DistParams& p, StreamId id, uint64_t first, size_t n, float* out) {
  with_transform_f32(
      p, id, [&](auto transform) { generate<float>(id, first, n, out, transform); },
      [&](float value) { fill_constant(value, n, out); });
}

void fill_f64(const DistParams& p, StreamId id, uint64_t first, size_t n, double* out) {
  with_transform_f64(
      p, id, [&](auto transform) { generate<double>(id, first, n, out, transform); },
      [&](double value) { fill_constant(value, n, out); });
}

void gather_f32(const DistParams& p, StreamId id, const uint64_t* blocks, size_t n_blocks, float* out) {
  with_transform_f32(
      p, id, [&](auto transform) { gather<float>(id, blocks, n_blocks, out, transform); },
      [&](float value) { fill_constant(value, 4 * n_blocks, out); });
}

void gather_f64(const DistParams& p, StreamId id, const uint64_t* blocks, size_t n_blocks, double* out) {
  with_transform_f64(
      p, id, [&](auto transform) { gather<double>(id, blocks, n_blocks, out, transform); },
      [&](double value) { fill_constant(value, 2 * n_blocks, out); });
}

// ---- half-precision stores ------------------------------------------------------------------

// float32 -> bfloat16 bits, round to nearest even (inputs are finite).
static inline uint16_t to_bf16_bits(float f) {
  const uint32_t x = bit_cast_value<uint32_t>(f);
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

// float32 -> IEEE binary16 bits, round to nearest even; overflow gives infinity.
static inline uint16_t to_f16_bits(float f) {
  const uint32_t x = bit_cast_value<uint32_t>(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t a = x & 0x7fffffffu;
  // Subnormal results: adding 0.5 aligns the binary16 subnormal grid with the float's last
  // mantissa bits, so the float addition itself rounds to nearest even.
  const float shifted = bit_cast_value<float>(a) + 0.5f;
  const uint32_t sub = bit_cast_value<uint32_t>(shifted) - 0x3f000000u;
  // Normal results: rebias the exponent and round off 13 mantissa bits to nearest even.
  const uint32_t norm = (a + 0xc8000fffu + ((a >> 13) & 1u)) >> 13;
  uint32_t h = a < 0x38800000u ? sub : norm;  // below 2**-14: subnormal in binary16
  h = a >= 0x477ff000u ? 0x7c00u : h;         // rounds to 65536 or more: infinity
  return static_cast<uint16_t>(h | sign);
}

// n float32 values to bfloat16 bits, in a loop compilers vectorize.
static inline void convert_bf16(const float* __restrict src, size_t n, uint16_t* __restrict dst) {
  for (size_t i = 0; i < n; ++i) dst[i] = to_bf16_bits(src[i]);
}

// n float32 values to float16 bits: vcvtps2ph (round to nearest even) eight at a time where the
// target has F16C (the x86 targets), which gives to_f16_bits's bits for every finite float32
// (the engine tests sweep the float32 range against the scalar target); to_f16_bits elsewhere.
static inline void convert_f16(const float* __restrict src, size_t n, uint16_t* __restrict dst) {
  size_t i = 0;
#if defined(__F16C__)
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
  }
#endif
  for (; i < n; ++i) dst[i] = to_f16_bits(src[i]);
}

using ConvertRun = void (*)(const float*, size_t, uint16_t*);

template <ConvertRun Convert>
static inline void store_half(const float* src, size_t n, char* dst, ptrdiff_t stride) {
  if (stride == 2 && (reinterpret_cast<uintptr_t>(dst) & 1) == 0)  // aligned: plain uint16_t stores
    return Convert(src, n, reinterpret_cast<uint16_t*>(dst));
  for (size_t i = 0; i < n; ++i) {
    uint16_t h;
    Convert(src + i, 1, &h);
    std::memcpy(dst + static_cast<ptrdiff_t>(i) * stride, &h, 2);
  }
}

void store_bf16(const float* src, size_t n, char* dst, ptrdiff_t stride) {
  store_half<convert_bf16>(src, n, dst, stride);
}
void store_f16(const float* src, size_t n, char* dst, ptrdiff_t stride) {
  store_half<convert_f16>(src, n, dst, stride);
}

// The values of the logical elements [first, first + n) rounded by Convert, a batch at a time:
// each batch is computed into a local float32 buffer (in L1) and converted straight into out,
// so memory sees one store of the half-size values and no staging pass.
template <ConvertRun Convert, class Transform>
static inline void generate_half(StreamId id, uint64_t first, size_t n, uint16_t* __restrict out, Transform transform) {
  alignas(64) float values[static_cast<size_t>(Transform::kPerBlock) * kBatch];
  for_each_batch<Transform>(id, first, n, [&](const Batch& words, size_t skip, size_t take) {
    transform(words, values);
    Convert(values + skip, take, out);
    out += take;
  });
}

template <ConvertRun Convert, uint16_t (*ConvertOne)(float)>
static inline void fill_half(const DistParams& p, StreamId id, uint64_t first, size_t n, uint16_t* out) {
  with_transform_f32(
      p, id, [&](auto transform) { generate_half<Convert>(id, first, n, out, transform); },
      [&](float value) { fill_constant(ConvertOne(value), n, out); });
}

void fill_bf16(const DistParams& p, StreamId id, uint64_t first, size_t n, uint16_t* out) {
  fill_half<convert_bf16, to_bf16_bits>(p, id, first, n, out);
}
void fill_f16(const DistParams& p, StreamId id, uint64_t first, size_t n, uint16_t* out) {
  fill_half<convert_f16, to_f16_bits>(p, id, first, n, out);
}

}  // namespace

const Kernels& kernels() {
  static const Kernels table{FASTINIT_TARGET_NAME, words_u32, fill_f32, fill_f64,   gather_f32,
                             gather_f64,           fill_bf16, fill_f16, store_bf16, store_f16};
  return table;
}

}  // namespace FASTINIT_TARGET
}  // namespace fastinit
