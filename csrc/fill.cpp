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
      if (dtype_ == DType::bf16)
        return k_.fill_bf16(p_, id_, first, static_cast<size_t>(n), reinterpret_cast<uint16_t*>(dst));
      if (dtype_ == DType::f16)
        return k_.fill_f16(p_, id_, first, static_cast<size_t>(n), reinterpret_cast<uint16_t*>(dst));
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

// ---- planning: how a fill is cut into work ------------------------------------------------

// The work of one fill, decided before anything is written. The simplified target is `rows`
// runs of run_length consecutive logical indices (its last dimension). A work item, what one
// pool thread takes at a time, is rows_per_item whole rows, or one of the pieces_per_row pieces
// of a row longer than an item; the pool runs items_per_round items between two interrupt
// checks. Items are numbered row by row (C order of the outer dimensions), pieces in order.
struct FillPlan {
  Target t;                     // simplified: the last dimension is the run
  int64_t rows = 0;             // runs: the product of the outer dimensions
  int64_t run_length = 0;       // elements per run
  int64_t rows_per_item = 1;    // whole rows per item (pieces_per_row == 1)
  int64_t pieces_per_row = 1;   // > 1: an item is one piece of a row
  int64_t piece_length = 0;     // elements per piece; a row's last piece may be shorter
  int64_t items = 0;            // work items in all
  int64_t items_per_round = 1;  // work items between two interrupt checks
  bool gather_rows = false;     // short rows: the blocks of several rows in one gathered batch
  bool parallel = false;        // big enough for the pool (else: the calling thread, no checks)
  bool contiguous = false;      // one dense run, so its pages may be mapped ahead (fresh_memory)

  int64_t elements() const { return rows * run_length; }
  int64_t item_size() const { return static_cast<int64_t>(dtype_size(t.dtype)); }
  // Elements [begin, end) of the run covered by items [first, first + n) of a one-row plan.
  int64_t span_begin(int64_t first) const { return first * piece_length; }
  int64_t span_end(int64_t first, int64_t n) const { return std::min(run_length, (first + n) * piece_length); }
};

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Values per Philox block in the computed precision: 4 float32 (also for half types), 2 float64.
uint64_t values_per_block(DType dtype) { return dtype == DType::f64 ? 2 : 4; }

// Cuts a target with no zero extent into rows, items and rounds. Items hold about
// kItemElements elements, so that uneven items still balance across threads; rounds about
// kRoundElements, so that Ctrl-C is noticed within a few milliseconds.
FillPlan plan_fill(const Target& target) {
  FillPlan p;
  p.t = simplify(target);
  const size_t outer_dims = p.t.shape.size() - 1;
  p.run_length = p.t.shape.back();
  int64_t rows = 1;
  for (size_t d = 0; d < outer_dims; ++d) rows *= p.t.shape[d];
  p.rows = rows;

  p.rows_per_item = std::max<int64_t>(1, kItemElements / p.run_length);
  p.pieces_per_row = p.run_length > kItemElements ? ceil_div(p.run_length, kItemElements) : 1;
  p.piece_length = ceil_div(p.run_length, p.pieces_per_row);
  const bool pieces = p.pieces_per_row > 1;
  p.items = pieces ? p.rows * p.pieces_per_row : ceil_div(p.rows, p.rows_per_item);
  const int64_t item_elements = pieces ? p.piece_length : p.rows_per_item * p.run_length;
  p.items_per_round = std::max<int64_t>(1, kRoundElements / item_elements);

  // Many short runs (a column shard, a Fortran-ordered array with a short last axis): the blocks
  // of several rows go into one gathered batch of up to 64 blocks instead of a batch per row.
  p.gather_rows = outer_dims > 0 && p.rows > 1 &&
                  static_cast<uint64_t>(p.run_length) <= (kGatherMaxBlocks - 1) * values_per_block(p.t.dtype);
  p.parallel = static_cast<uint64_t>(p.elements()) >= kParallelThreshold;
  p.contiguous = outer_dims == 0 && p.t.byte_strides[0] == p.item_size();
  return p;
}

// ---- running: the items of a plan ---------------------------------------------------------

// Writes the work items of a plan; one object serves every pool thread (it holds no state of
// its own).
class ItemWriter {
 public:
  ItemWriter(const FillPlan& plan, const RunWriter& writer) : p_(plan), writer_(writer) {}

  // Writes every element of work item `item`.
  void write(int64_t item) const {
    if (p_.pieces_per_row > 1) {
      const int64_t row = item / p_.pieces_per_row;
      const int64_t begin = (item % p_.pieces_per_row) * p_.piece_length;
      return write_row_part(row, begin, std::min(p_.piece_length, p_.run_length - begin));
    }
    const int64_t row_begin = item * p_.rows_per_item;
    const int64_t row_end = std::min(p_.rows, (item + 1) * p_.rows_per_item);
    if (p_.gather_rows) return write_short_rows(row_begin, row_end);
    for (int64_t row = row_begin; row < row_end; ++row) write_row_part(row, 0, p_.run_length);
  }

  // Maps the pages of work item `item` of a contiguous plan in one call, from the thread that
  // is about to write them, instead of a page fault per 4 KiB page (fresh_memory.h).
  void populate(int64_t item) const {
    const int64_t size = p_.item_size();
    char* const data = p_.t.data;
    const int64_t begin = p_.span_begin(item);
    const int64_t end = p_.span_end(item, 1);
    fresh_memory::populate_for_write(data + begin * size, static_cast<size_t>((end - begin) * size), data,
                                     data + p_.elements() * size);
  }

 private:
  // Where a row's run starts, in memory and in the logical order.
  struct RowStart {
    char* dst;
    uint64_t first;
  };

  RowStart locate(int64_t row) const {
    const Target& t = p_.t;
    const size_t outer_dims = t.shape.size() - 1;
    RowStart at{t.data, t.logical_offset};
    if (outer_dims == 1) {  // the common 2-D case, without divisions
      at.dst += row * t.byte_strides[0];
      at.first += static_cast<uint64_t>(row) * static_cast<uint64_t>(t.logical_strides[0]);
      return at;
    }
    for (size_t d = outer_dims; d-- > 0;) {
      const int64_t i = row % t.shape[d];
      row /= t.shape[d];
      at.dst += i * t.byte_strides[d];
      at.first += static_cast<uint64_t>(i) * static_cast<uint64_t>(t.logical_strides[d]);
    }
    return at;
  }

  // Elements [begin, begin + count) of one row, through the row's own batches.
  void write_row_part(int64_t row, int64_t begin, int64_t count) const {
    const RowStart at = locate(row);
    const int64_t stride = p_.t.byte_strides.back();
    writer_.write(at.first + static_cast<uint64_t>(begin), count, at.dst + begin * stride, stride);
  }

  // Whole short rows [row_begin, row_end): the blocks each row touches are listed one after the
  // other, and every 64 blocks (never splitting a row) go to the kernel as one gathered batch.
  void write_short_rows(int64_t row_begin, int64_t row_end) const {
    const uint64_t per_block = values_per_block(p_.t.dtype);
    const int64_t length = p_.run_length;
    const int64_t stride = p_.t.byte_strides.back();
    uint64_t blocks[kMaxGatherBlocks];
    GatheredRun runs[kMaxGatherBlocks];
    size_t n_blocks = 0, n_runs = 0;
    for (int64_t row = row_begin; row < row_end; ++row) {
      const RowStart at = locate(row);
      const uint64_t first_block = at.first / per_block;
      const uint64_t last_block = (at.first + static_cast<uint64_t>(length) - 1) / per_block;
      const size_t need = static_cast<size_t>(last_block - first_block + 1);
      if (n_blocks + need > kMaxGatherBlocks) {
        writer_.write_gathered(blocks, n_blocks, runs, n_runs, length, stride);
        n_blocks = n_runs = 0;
      }
      runs[n_runs++] = GatheredRun{at.dst, n_blocks * per_block + static_cast<size_t>(at.first % per_block)};
      for (uint64_t b = first_block; b <= last_block; ++b) blocks[n_blocks++] = b;
    }
    writer_.write_gathered(blocks, n_blocks, runs, n_runs, length, stride);
  }

  const FillPlan& p_;
  const RunWriter& writer_;
};

// Runs items [start, start + count) on the pool. In a contiguous target that looks never touched
// (a sample of the round's pages is not mapped yet), each item first maps its own pages.
void run_round(const FillPlan& p, const ItemWriter& items, int64_t start, int64_t count) {
  const int64_t size = p.item_size();
  const int64_t begin = p.span_begin(start);
  const int64_t end = p.span_end(start, count);
  const bool populate = p.contiguous && fresh_memory::looks_unpopulated(p.t.data + begin * size,
                                                                        static_cast<size_t>((end - begin) * size));
  parallel_for(static_cast<size_t>(count), [&](size_t i) {
    const int64_t item = start + static_cast<int64_t>(i);
    if (populate) items.populate(item);
    items.write(item);
  });
}

// Runs every item on the pool, a round at a time, and between_rounds() after each round but
// the last: the caller's chance to stop a long fill (it throws; finished rounds stay written).
void run_rounds(const FillPlan& p, const ItemWriter& items, const std::function<void()>& between_rounds) {
  if (p.contiguous) fresh_memory::advise_huge_pages(p.t.data, static_cast<size_t>(p.elements() * p.item_size()));
  for (int64_t start = 0; start < p.items; start += p.items_per_round) {
    const int64_t count = std::min(p.items_per_round, p.items - start);
    run_round(p, items, start, count);
    if (start + count < p.items) between_rounds();
  }
}

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
  const FillPlan plan = plan_fill(target);
  const RunWriter writer(kernels, params, id, plan.t.dtype, plan.t.aligned);
  const ItemWriter items(plan, writer);
  if (plan.parallel) return run_rounds(plan, items, between_rounds);
  // A small fill, one round at most: on the calling thread, as waking the pool would cost more
  // than it saves.
  for (int64_t item = 0; item < plan.items; ++item) items.write(item);
}

}  // namespace fastinit
