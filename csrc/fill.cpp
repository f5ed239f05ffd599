#include "fill.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "fresh_memory.h"
#include "philox_constants.h"
#include "thread_pool.h"

namespace fastinit {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::f16:
    case DType::bf16: return 2;
  }
  return 0;
}

uint64_t logical_index_limit(DType dtype) { return kMaxBlock * (dtype == DType::f64 ? 2 : 4); }

namespace {

constexpr int64_t kItemElements = int64_t{1} << 15;   // one work item: about 128 KiB of float32
constexpr int64_t kRoundElements = int64_t{1} << 24;  // between interrupt checks: a few ms
constexpr size_t kTileElements = 2048;                // staging buffer for strided or half stores
constexpr int64_t kGatherMaxBlocks = 16;              // runs touching at most this many blocks are gathered

// Where one short run's values sit in a gathered batch (`at`, in values) and where they go.
struct GatheredRun {
  char* dst;
  size_t at;
};

// The target with size-1 dimensions dropped and neighbours merged where both the memory and
// the logical layout allow; the last dimension always has logical stride 1 (a run of
// consecutive logical indices), adding a length-1 dimension if needed.
Target simplify(const Target& in) {
  Target out = in;
  out.shape.clear();
  out.byte_strides.clear();
  out.logical_strides.clear();
  for (size_t d = 0; d < in.shape.size(); ++d) {
    if (in.shape[d] == 1) continue;
    if (!out.shape.empty()) {
      const int64_t n = in.shape[d];
      if (out.byte_strides.back() == in.byte_strides[d] * n &&
          out.logical_strides.back() == in.logical_strides[d] * n) {
        out.shape.back() *= n;
        out.byte_strides.back() = in.byte_strides[d];
        out.logical_strides.back() = in.logical_strides[d];
        continue;
      }
    }
    out.shape.push_back(in.shape[d]);
    out.byte_strides.push_back(in.byte_strides[d]);
    out.logical_strides.push_back(in.logical_strides[d]);
  }
  if (out.shape.empty() || out.logical_strides.back() != 1) {
    out.shape.push_back(1);
    out.byte_strides.push_back(static_cast<int64_t>(dtype_size(in.dtype)));
    out.logical_strides.push_back(1);
  }
  return out;
}

// Writes one run of n consecutive logical indices starting at `first` to dst, dst_stride bytes
// apart.
class RunWriter {
 public:
  RunWriter(const Kernels& k, const DistParams& p, StreamId id, DType dtype, bool aligned)
      : k_(k), p_(p), id_(id), dtype_(dtype), aligned_(aligned) {}

  void write(uint64_t first, int64_t n, char* dst, int64_t dst_stride) const {
    const int64_t item = static_cast<int64_t>(dtype_size(dtype_));
    if (aligned_ && dst_stride == item) {
      if (dtype_ == DType::f32)
        return k_.fill_f32(p_, id_, first, static_cast<size_t>(n), reinterpret_cast<float*>(dst));
      if (dtype_ == DType::f64)
        return k_.fill_f64(p_, id_, first, static_cast<size_t>(n), reinterpret_cast<double*>(dst));
    }
    alignas(64) char tile[kTileElements * 8];
    while (n > 0) {
      const int64_t m = std::min<int64_t>(n, static_cast<int64_t>(kTileElements));
      const size_t count = static_cast<size_t>(m);
      if (dtype_ == DType::f64)
        k_.fill_f64(p_, id_, first, count, reinterpret_cast<double*>(tile));
      else
        k_.fill_f32(p_, id_, first, count, reinterpret_cast<float*>(tile));
      put(tile, m, dst, dst_stride);
      first += static_cast<uint64_t>(m);
      dst += m * dst_stride;
      n -= m;
    }
  }

  // The values of n_blocks listed blocks (one gathered batch), then each run's `length` values
  // from the batch to its destination, dst_stride bytes apart.
  void write_gathered(const uint64_t* blocks, size_t n_blocks, const GatheredRun* runs, size_t n_runs, int64_t length,
                      int64_t dst_stride) const {
    alignas(64) char values[kMaxGatherBlocks * 4 * 4];  // 4 float32 or 2 float64 per block
    if (dtype_ == DType::f64)
      k_.gather_f64(p_, id_, blocks, n_blocks, reinterpret_cast<double*>(values));
    else
      k_.gather_f32(p_, id_, blocks, n_blocks, reinterpret_cast<float*>(values));
    const size_t computed_size = dtype_ == DType::f64 ? 8 : 4;
    for (size_t r = 0; r < n_runs; ++r) put(values + runs[r].at * computed_size, length, runs[r].dst, dst_stride);
  }

 private:
  // Copies m computed values (float64 for a float64 target, else float32) to dst, stride bytes
  // apart, rounding to the target's half type where it has one.
  void put(const char* values, int64_t m, char* dst, int64_t stride) const {
    const size_t count = static_cast<size_t>(m);
    switch (dtype_) {
      case DType::f64:
        for (int64_t i = 0; i < m; ++i) std::memcpy(dst + i * stride, values + i * 8, 8);
        return;
      case DType::f32:
        for (int64_t i = 0; i < m; ++i) std::memcpy(dst + i * stride, values + i * 4, 4);
        return;
      case DType::bf16: return k_.store_bf16(reinterpret_cast<const float*>(values), count, dst, stride);
      case DType::f16: return k_.store_f16(reinterpret_cast<const float*>(values), count, dst, stride);
    }
  }

  const Kernels& k_;
  const DistParams& p_;
  StreamId id_;
  DType dtype_;
  bool aligned_;
};

}  // namespace

uint64_t logical_end(const Target& target) {
  constexpr uint64_t kSaturated = ~uint64_t{0};
  for (int64_t n : target.shape)
    if (n == 0) return 0;
  uint64_t end = target.logical_offset;
  for (size_t d = 0; d < target.shape.size(); ++d) {
    const uint64_t steps = static_cast<uint64_t>(target.shape[d] - 1);
    const uint64_t stride = static_cast<uint64_t>(target.logical_strides[d]);
    if (target.logical_strides[d] < 0 || (stride != 0 && steps > kSaturated / stride)) return kSaturated;
    const uint64_t term = steps * stride;
    if (term > kSaturated - end) return kSaturated;
    end += term;
  }
  return end == kSaturated ? kSaturated : end + 1;
}

void fill_target(const Kernels& kernels, const DistParams& params, StreamId id, const Target& target,
                 const std::function<void()>& between_rounds) {
  for (int64_t n : target.shape)
    if (n == 0) return;
  const Target t = simplify(target);
  const size_t outer_dims = t.shape.size() - 1;
  const int64_t run_length = t.shape.back();
  int64_t rows = 1;
  for (size_t d = 0; d < outer_dims; ++d) rows *= t.shape[d];

  // A work item is either several whole rows or one piece of a long row.
  const int64_t rows_per_item = std::max<int64_t>(1, kItemElements / run_length);
  const int64_t pieces_per_row = run_length > kItemElements ? (run_length + kItemElements - 1) / kItemElements : 1;
  const int64_t piece_length = (run_length + pieces_per_row - 1) / pieces_per_row;
  const int64_t items = pieces_per_row > 1 ? rows * pieces_per_row : (rows + rows_per_item - 1) / rows_per_item;
  const int64_t item_elements = pieces_per_row > 1 ? piece_length : rows_per_item * run_length;

  const RunWriter writer(kernels, params, id, t.dtype, t.aligned);
  // Where row `row`'s run starts in memory and in the logical order.
  auto locate = [&](int64_t row, char*& dst, uint64_t& first) {
    dst = t.data;
    first = t.logical_offset;
    if (outer_dims == 1) {  // the common 2-D case, without divisions
      dst += row * t.byte_strides[0];
      first += static_cast<uint64_t>(row) * static_cast<uint64_t>(t.logical_strides[0]);
      return;
    }
    for (size_t d = outer_dims; d-- > 0;) {
      const int64_t i = row % t.shape[d];
      row /= t.shape[d];
      dst += i * t.byte_strides[d];
      first += static_cast<uint64_t>(i) * static_cast<uint64_t>(t.logical_strides[d]);
    }
  };
  auto write_row_part = [&](int64_t row, int64_t begin, int64_t count) {
    char* dst = nullptr;
    uint64_t first = 0;
    locate(row, dst, first);
    writer.write(first + static_cast<uint64_t>(begin), count, dst + begin * t.byte_strides.back(),
                 t.byte_strides.back());
  };
  // Many short runs (a column shard, a Fortran-ordered array with a short last axis): the blocks
  // of several rows go into one gathered batch of up to 64 blocks instead of a batch per row.
  const uint64_t per_block = t.dtype == DType::f64 ? 2 : 4;
  const bool gather_rows =
      outer_dims > 0 && rows > 1 && static_cast<uint64_t>(run_length) <= (kGatherMaxBlocks - 1) * per_block;
  auto write_short_rows = [&](int64_t row_begin, int64_t row_end) {
    uint64_t blocks[kMaxGatherBlocks];
    GatheredRun runs[kMaxGatherBlocks];
    size_t n_blocks = 0, n_runs = 0;
    for (int64_t row = row_begin; row < row_end; ++row) {
      char* dst = nullptr;
      uint64_t first = 0;
      locate(row, dst, first);
      const uint64_t first_block = first / per_block;
      const uint64_t last_block = (first + static_cast<uint64_t>(run_length) - 1) / per_block;
      const size_t need = static_cast<size_t>(last_block - first_block + 1);
      if (n_blocks + need > kMaxGatherBlocks) {
        writer.write_gathered(blocks, n_blocks, runs, n_runs, run_length, t.byte_strides.back());
        n_blocks = n_runs = 0;
      }
      runs[n_runs++] = GatheredRun{dst, n_blocks * per_block + static_cast<size_t>(first % per_block)};
      for (uint64_t b = first_block; b <= last_block; ++b) blocks[n_blocks++] = b;
    }
    writer.write_gathered(blocks, n_blocks, runs, n_runs, run_length, t.byte_strides.back());
  };
  auto run_item = [&](int64_t item) {
    if (pieces_per_row > 1) {
      const int64_t row = item / pieces_per_row;
      const int64_t begin = (item % pieces_per_row) * piece_length;
      write_row_part(row, begin, std::min(piece_length, run_length - begin));
      return;
    }
    const int64_t last = std::min(rows, (item + 1) * rows_per_item);
    if (gather_rows) return write_short_rows(item * rows_per_item, last);
    for (int64_t row = item * rows_per_item; row < last; ++row) write_row_part(row, 0, run_length);
  };

  const int64_t total = rows * run_length;
  if (static_cast<uint64_t>(total) < kParallelThreshold) {
    for (int64_t item = 0; item < items; ++item) run_item(item);
    return;
  }
  // A contiguous target in memory never touched (a new model's parameters) costs a page fault
  // per 4 KiB page on first write: each round checks a sample of its pages, and if they are not
  // mapped yet every work item maps its own pages in one call before writing them.
  const int64_t item_size = static_cast<int64_t>(dtype_size(t.dtype));
  const bool contiguous = outer_dims == 0 && t.byte_strides[0] == item_size;
  if (contiguous) fresh_memory::advise_huge_pages(t.data, static_cast<size_t>(total * item_size));
  const int64_t items_per_round = std::max<int64_t>(1, kRoundElements / item_elements);
  for (int64_t start = 0; start < items; start += items_per_round) {
    const int64_t count = std::min(items_per_round, items - start);
    const int64_t round_begin = start * piece_length;
    const int64_t round_end = std::min(run_length, (start + count) * piece_length);
    const bool populate =
        contiguous && fresh_memory::looks_unpopulated(t.data + round_begin * item_size,
                                                      static_cast<size_t>((round_end - round_begin) * item_size));
    parallel_for(static_cast<size_t>(count), [&](size_t i) {
      const int64_t item = start + static_cast<int64_t>(i);
      if (populate) {
        const int64_t begin = item * piece_length;
        const int64_t length = std::min(piece_length, run_length - begin);
        fresh_memory::populate_for_write(t.data + begin * item_size, static_cast<size_t>(length * item_size), t.data,
                                         t.data + total * item_size);
      }
      run_item(item);
    });
    if (start + count < items) between_rounds();
  }
}

}  // namespace fastinit
