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
// philox_simd-inl.h, ars_batch-inl.h and transforms-inl.h are fragments of this one.
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
#if defined(__ARM_FEATURE_AES) || defined(FASTINIT_TARGET_NEON)
#include <arm_neon.h>
#endif

#include "ars_round.h"
#include "kernels.h"
#include "normal_quantile_table.h"
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

#include "transforms-inl.h"

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
      if (version == 2 && q.covers_normal)
        return run(batch_transform<4, 2>([&q, id](const Batch& x, float* o) {
          transform_normal_v2_f32(q, id, x, o);
          clamp_to_window(q, 4 * kBatch, o);
        }));
      if (version == 2 && q.narrow)
        return run(
            batch_transform<4, 2>([&q, &p](const Batch& x, float* o) { trunc_normal_narrow_f32(p.f64, q, x, o); }));
      if (version == 2)
        return run(batch_transform<4, 2>(
            [&q](const Batch& x, float* o) { transform_f32<Distribution::trunc_normal, 2>(q, x, o); }));
      return run(batch_transform<4, 1>(
          [&q](const Batch& x, float* o) { transform_f32<Distribution::trunc_normal>(q, x, o); }));
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
