// Fills an N-dimensional strided buffer with values of the stream, in parallel.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "kernels.h"

namespace fastinit {

enum class DType : int32_t { f32 = 0, f64 = 1, f16 = 2, bf16 = 3 };

size_t dtype_size(DType dtype);

// Where the values go. The element at multi-index (i_0, ..., i_{d-1}) lives at
// data + sum(i_k * byte_strides[k]) and takes the stream's value of logical index
// logical_offset + sum(i_k * logical_strides[k]). For an ordinary array logical_strides are the
// C-order strides of shape in elements; for a shard of a bigger tensor they are the global
// tensor's. Distinct multi-indices must address distinct bytes (no overlapping views).
struct Target {
  char* data = nullptr;
  DType dtype = DType::f32;
  bool aligned = true;  // data and strides are multiples of the item size
  std::vector<int64_t> shape;
  std::vector<int64_t> byte_strides;
  std::vector<int64_t> logical_strides;
  uint64_t logical_offset = 0;
};

// Largest logical index (exclusive) a dtype may use: blocks j < 2**56 (docs/stream.md).
uint64_t logical_index_limit(DType dtype);

// The largest logical index the target touches plus one (0 for an empty target); 2**64 - 1 when
// that does not fit in 64 bits (so any limit check fails).
uint64_t logical_end(const Target& target);

// Number of elements below which a fill runs on the calling thread alone.
inline constexpr uint64_t kParallelThreshold = uint64_t{1} << 16;

// Writes every element of target. Large fills are split into rounds of a few milliseconds; after
// each round the calling thread runs between_rounds(), which may throw to abandon the fill
// (elements of finished rounds stay written). The caller checks the logical index limit.
void fill_target(const Kernels& kernels, const DistParams& params, StreamId id, const Target& target,
                 const std::function<void()>& between_rounds);

}  // namespace fastinit
