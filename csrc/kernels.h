// The interface between the run-time dispatcher and the per-instruction-set kernels.
// Plain data and function pointers only, so every translation unit may include it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fastinit {

enum class Distribution : int32_t { uniform = 0, normal = 1, trunc_normal = 2 };

// Parameters of one distribution, already converted to the precision T of the kernel that uses
// them (csrc/params.cpp prepares them; docs/stream.md defines each formula).
template <class T>
struct TypedParams {
  bool constant = false;  // fill every element with `lo` (uniform with a == b)
  // uniform: v = lo + u * width; a v >= hi is replaced by below_hi
  T lo = 0, width = 0, hi = 0, below_hi = 0;
  // normal and truncated normal: v = fma(z, std, mean)
  T mean = 0, std = 0;
  // truncated normal, in standard units: P(Z < alpha), P(Z > beta), their window's mass,
  // and the clamp to the target-precision values inside [a, b]
  T p_lo = 0, q_hi = 0, mass = 0, clamp_lo = 0, clamp_hi = 0;
  // version 2: the window holds every value version 2's normals reach (|z| <= 9.4933), so the
  // values are normal_'s, clamped (docs/stream.md section 9)
  bool covers_normal = false;
  // version 2, float32 and half targets: the window holds less than 2**-9 of the mass, so its
  // inversion runs in float64 (DistParams::f64 holds the window; docs/stream.md section 9)
  bool narrow = false;
};

struct DistParams {
  Distribution dist = Distribution::uniform;
  TypedParams<float> f32;
  TypedParams<double> f64;  // float64 targets' parameters; a narrow float32 window's, too
};

// Identifies a stream: key (seed), stream id and stream version (docs/stream.md). Version 2
// changes only normal and truncated-normal values (drawn from ARS4x32-7 words); every other
// value is the same in both, and words_u32 gives the version's own generator's words.
struct StreamId {
  uint64_t seed = 0;
  uint64_t stream = 0;
  int version = 1;
};

// One instruction set's kernels. Each fills out[0, n) with the values of the logical elements
// [first, first + n) of the stream (words_u32: its raw words, Philox4x32-10's in version 1 and
// ARS4x32-7's in version 2), for element indices below the documented limits
// (first + n <= 2**58 for 4-byte values, 2**57 for 8-byte values; callers check).
inline constexpr size_t kMaxGatherBlocks = 64;  // blocks per gather_f32 / gather_f64 call

struct Kernels {
  const char* name;
  void (*words_u32)(StreamId id, uint64_t first, size_t n, uint32_t* out);
  void (*fill_f32)(const DistParams& p, StreamId id, uint64_t first, size_t n, float* out);
  void (*fill_f64)(const DistParams& p, StreamId id, uint64_t first, size_t n, double* out);
  // The values of whole blocks from a list (at most 64): out[4 i + k] (float32) or out[2 i + k]
  // (float64) is the value of logical element 4 blocks[i] + k or 2 blocks[i] + k. For many
  // short runs: one batch serves the blocks of several runs.
  void (*gather_f32)(const DistParams& p, StreamId id, const uint64_t* blocks, size_t n_blocks, float* out);
  void (*gather_f64)(const DistParams& p, StreamId id, const uint64_t* blocks, size_t n_blocks, double* out);
  // fill_f32's values rounded to bfloat16 / float16 (round to nearest even), each batch
  // converted as it is computed and stored once: the half-precision fill of a contiguous run.
  void (*fill_bf16)(const DistParams& p, StreamId id, uint64_t first, size_t n, uint16_t* out);
  void (*fill_f16)(const DistParams& p, StreamId id, uint64_t first, size_t n, uint16_t* out);
  // Converts n float32 values to bfloat16 / float16 bits (round to nearest even) and stores
  // them at dst + i * stride_bytes.
  void (*store_bf16)(const float* src, size_t n, char* dst, ptrdiff_t stride_bytes);
  void (*store_f16)(const float* src, size_t n, char* dst, ptrdiff_t stride_bytes);
};

// Each compiled target defines its table; which ones exist depends on the architecture.
namespace scalar {
const Kernels& kernels();
}
#if defined(FASTINIT_HAVE_avx2)
namespace avx2 {
const Kernels& kernels();
}
#endif
#if defined(FASTINIT_HAVE_avx2_vaes)
namespace avx2_vaes {
const Kernels& kernels();
}
#endif
#if defined(FASTINIT_HAVE_avx512)
namespace avx512 {
const Kernels& kernels();
}
#endif
#if defined(FASTINIT_HAVE_avx512_vaes)
namespace avx512_vaes {
const Kernels& kernels();
}
#endif
#if defined(FASTINIT_HAVE_neon)
namespace neon {
const Kernels& kernels();
}
#endif
#if defined(FASTINIT_HAVE_neon_aes)
namespace neon_aes {
const Kernels& kernels();
}
#endif

}  // namespace fastinit
