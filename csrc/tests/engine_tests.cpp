// C++ tests of the engine without Python: every compiled kernel against the scalar one (bit for
// bit, all distributions and dtypes, odd offsets and lengths), short runs against long fills, strided and
// multi-threaded fills through the thread pool, exceptions carried out of the pool, thread-count changes while other
// threads fill, and fills into fresh (unmapped) pages. Built with -DFASTINIT_BUILD_TESTS=ON; CI
// runs it under AddressSanitizer + UndefinedBehaviorSanitizer and, separately, ThreadSanitizer
// (CMakePresets.json).
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ars_round.h"
#include "dispatch.h"
#include "fill.h"
#include "params.h"
#include "thread_pool.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

using namespace fastinit;

namespace {

int g_failed = 0;
int g_passed = 0;

void check(bool ok, const std::string& what) {
  if (ok) {
    ++g_passed;
  } else {
    ++g_failed;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

// The stream version the version-aware tests run under (main runs them under each).
int g_version = 1;

// ARS4x32 with 10 rounds reproduces Random123's known answers (kat_vectors), and version 2's
// words are ARS4x32-7 of (block, stream) under (seed, 0) on every ISA.
void test_ars_known_answers() {
  struct Case {
    uint32_t ctr[4], key[4], want[4];
  };
  const Case cases[] = {
      {{0, 0, 0, 0}, {0, 0, 0, 0}, {0x8d73ee19, 0x506401ef, 0x13c2dbe4, 0x0cbe9c0d}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0, 0x082efa98, 0xec4e6c89},
       {0xa516e7d6, 0x8357ad74, 0x5b59b3ec, 0x8763fff3}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff, 0, 0},
       {0xbb3743b1, 0x9f635551, 0xecbc87fc, 0xa19478a9}},
  };
  for (const Case& c : cases) {
    uint32_t x[4] = {c.ctr[0], c.ctr[1], c.ctr[2], c.ctr[3]};
    ars_block(x, c.key, 10);
    check(std::memcmp(x, c.want, sizeof x) == 0, "ars4x32-10 known answer");
  }
  const uint64_t seed = 0xfedcba9876543210ull, stream = 0x0123456789abcdefull, block = (uint64_t{1} << 33) + 5;
  const uint32_t key[4] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), 0, 0};
  uint32_t want[4] = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), static_cast<uint32_t>(stream),
                      static_cast<uint32_t>(stream >> 32)};
  ars_block(want, key, kArsRounds);
  for (const std::string& isa : available_isas()) {
    uint32_t got[4];
    kernels_for(isa).words_u32(StreamId{seed, stream, 2}, 4 * block, 4, got);
    check(std::memcmp(got, want, sizeof got) == 0, isa + " version 2 words are ARS4x32-7");
  }
}

// The laws to test under g_version: in version 2 only normals and truncated normals differ from
// version 1 (and a window of +-100 std holds every normal value: the normals, clamped; one of
// less than 2**-9 of the mass inverts in float64 for float32).
std::vector<DistParams> all_params(DType dtype) {
  if (g_version == 2)
    return {normal_params(0.5, 2.0, dtype),
            normal_params(-1.0, 1e-3, dtype),
            trunc_normal_params(0.0, 1.0, -0.7, 2.2, dtype),
            trunc_normal_params(0.0, 1.0, 3.0, 5.0, dtype),
            trunc_normal_params(0.0, 0.02, -2.0, 2.0, dtype),
            trunc_normal_params(0.0, 1.0, 0.5, 0.5001, dtype)};
  return {uniform_params(-1.5, 2.5, dtype), uniform_params(1.0, 1.0, dtype), normal_params(0.5, 2.0, dtype),
          trunc_normal_params(0.0, 1.0, -0.7, 2.2, dtype), trunc_normal_params(0.0, 1.0, 3.0, 5.0, dtype)};
}

// Every ISA's kernels agree with the scalar kernels bit for bit.
void test_kernels_match_scalar() {
  const Kernels& scalar = kernels_for("scalar");
  for (const std::string& isa : available_isas()) {
    const Kernels& k = kernels_for(isa);
    for (uint64_t first : {uint64_t{0}, uint64_t{3}, (uint64_t{1} << 34) + 5}) {
      for (size_t n : {size_t{1}, size_t{7}, size_t{1000}, size_t{4099}}) {
        const StreamId id{0x0123456789abcdefull, 42, g_version};
        std::vector<uint32_t> w1(n), w2(n);
        k.words_u32(id, first, n, w1.data());
        scalar.words_u32(id, first, n, w2.data());
        check(w1 == w2, isa + " words");
        for (const DistParams& p : all_params(DType::f32)) {
          std::vector<float> a(n), b(n);
          k.fill_f32(p, id, first, n, a.data());
          scalar.fill_f32(p, id, first, n, b.data());
          check(std::memcmp(a.data(), b.data(), n * 4) == 0, isa + " fill_f32");
          std::vector<uint16_t> h1(n), h2(n);
          k.store_bf16(a.data(), n, reinterpret_cast<char*>(h1.data()), 2);
          scalar.store_bf16(a.data(), n, reinterpret_cast<char*>(h2.data()), 2);
          check(h1 == h2, isa + " store_bf16");
          k.store_f16(a.data(), n, reinterpret_cast<char*>(h1.data()), 2);
          scalar.store_f16(a.data(), n, reinterpret_cast<char*>(h2.data()), 2);
          check(h1 == h2, isa + " store_f16");
        }
        // The fused half-precision fills: the scalar float32 values, rounded by the scalar store.
        for (DType half : {DType::bf16, DType::f16}) {
          const bool bf16 = half == DType::bf16;
          for (const DistParams& p : all_params(half)) {
            std::vector<float> b(n);
            scalar.fill_f32(p, id, first, n, b.data());
            std::vector<uint16_t> fused(n), staged(n);
            (bf16 ? k.fill_bf16 : k.fill_f16)(p, id, first, n, fused.data());
            (bf16 ? scalar.store_bf16 : scalar.store_f16)(b.data(), n, reinterpret_cast<char*>(staged.data()), 2);
            check(fused == staged, isa + (bf16 ? " fill_bf16" : " fill_f16"));
          }
        }
        for (const DistParams& p : all_params(DType::f64)) {
          std::vector<double> a(n), b(n);
          k.fill_f64(p, id, first, n, a.data());
          scalar.fill_f64(p, id, first, n, b.data());
          check(std::memcmp(a.data(), b.data(), n * 8) == 0, isa + " fill_f64");
        }
      }
    }
  }
}

// A short run (part of one batch) has the values of the same elements
// of a long fill, on every ISA, at every offset inside a block and across the 32-bit carry of
// the block counter.
// Every ISA's half-precision stores give the scalar target's bits across the float32 range: a
// sweep of finite bit patterns (both signs), and every pattern near the float16 subnormal and
// overflow edges, at an unaligned start so the vector and the leftover loops both run.
void test_half_stores_sweep() {
  std::vector<float> values;
  auto add_bits = [&](uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isfinite(f)) values.push_back(f);
  };
  for (uint64_t bits = 0; bits < (uint64_t{1} << 32); bits += 4099) add_bits(static_cast<uint32_t>(bits));
  for (uint32_t edge : {0x33000000u, 0x33800000u, 0x38800000u, 0x477fe000u, 0x477ff000u, 0x47800000u})
    for (uint32_t d = 0; d < 8192; ++d) {
      add_bits(edge - 4096 + d);
      add_bits((edge - 4096 + d) | 0x80000000u);
    }
  const Kernels& scalar = kernels_for("scalar");
  const size_t n = values.size() - 3;
  std::vector<uint16_t> want(n), got(n);
  for (const std::string& isa : available_isas()) {
    const Kernels& k = kernels_for(isa);
    scalar.store_f16(values.data() + 3, n, reinterpret_cast<char*>(want.data()), 2);
    k.store_f16(values.data() + 3, n, reinterpret_cast<char*>(got.data()), 2);
    check(got == want, isa + " store_f16 sweep");
    scalar.store_bf16(values.data() + 3, n, reinterpret_cast<char*>(want.data()), 2);
    k.store_bf16(values.data() + 3, n, reinterpret_cast<char*>(got.data()), 2);
    check(got == want, isa + " store_bf16 sweep");
  }
}

void test_short_runs_match_long_fill() {
  const uint64_t base = (uint64_t{1} << 34) - 300;  // block counters cross 2**32
  const StreamId id{7, 3, g_version};
  for (const std::string& isa : available_isas()) {
    const Kernels& k = kernels_for(isa);
    std::vector<uint32_t> long_words(2048);
    k.words_u32(id, base, long_words.size(), long_words.data());
    bool words_ok = true, f32_ok = true, f64_ok = true;
    for (size_t offset = 0; offset < 300; offset += 7) {
      for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{13}, size_t{17}, size_t{63},
                       size_t{65}, size_t{257}}) {
        std::vector<uint32_t> w(n);
        k.words_u32(id, base + offset, n, w.data());
        words_ok &= std::memcmp(w.data(), long_words.data() + offset, n * 4) == 0;
      }
    }
    for (const DistParams& p : all_params(DType::f32)) {
      std::vector<float> long_fill(2048), run(257);
      k.fill_f32(p, id, base, long_fill.size(), long_fill.data());
      for (size_t offset = 0; offset < 300; offset += 7)
        for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{16}, size_t{17}, size_t{65}, size_t{257}}) {
          k.fill_f32(p, id, base + offset, n, run.data());
          f32_ok &= std::memcmp(run.data(), long_fill.data() + offset, n * 4) == 0;
        }
    }
    for (const DistParams& p : all_params(DType::f64)) {
      std::vector<double> long_fill(2048), run(257);
      k.fill_f64(p, id, base, long_fill.size(), long_fill.data());
      for (size_t offset = 0; offset < 300; offset += 7)
        for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{8}, size_t{9}, size_t{33}, size_t{129}}) {
          k.fill_f64(p, id, base + offset, n, run.data());
          f64_ok &= std::memcmp(run.data(), long_fill.data() + offset, n * 8) == 0;
        }
    }
    check(words_ok, isa + " short runs of words equal the long fill");
    check(f32_ok, isa + " short float32 runs equal the long fill");
    check(f64_ok, isa + " short float64 runs equal the long fill");
  }
}

// A rows x cols target over buffer: element (r, c) at buffer[r * strides[0] + c * strides[1]],
// taking logical index offset + r * logical_row + c.
template <class T>
Target target_2d(std::vector<T>& buffer, DType dtype, int64_t rows, int64_t cols, std::array<int64_t, 2> strides,
                 int64_t logical_row, uint64_t offset = 0) {
  const int64_t item = static_cast<int64_t>(sizeof(T));
  Target t;
  t.data = reinterpret_cast<char*>(buffer.data());
  t.dtype = dtype;
  t.shape = {rows, cols};
  t.byte_strides = {strides[0] * item, strides[1] * item};
  t.logical_strides = {logical_row, 1};
  t.logical_offset = offset;
  return t;
}

// rows x cols float32 values, row_step * cols elements apart (1: contiguous), logically C-ordered.
Target strided_target(std::vector<float>& buffer, int64_t rows, int64_t cols, int64_t row_step) {
  return target_2d(buffer, DType::f32, rows, cols, {row_step * cols, 1}, cols);
}

// A strided parallel fill writes exactly the target's elements, with the values of a contiguous
// fill, whatever the thread count.
void test_strided_parallel_fill() {
  const int64_t rows = 700, cols = 300;
  const DistParams p = normal_params(0.0, 1.0, DType::f32);
  std::vector<float> contiguous(rows * cols);
  set_num_threads(1);
  fill_target(active_kernels(), p, StreamId{1, 2}, strided_target(contiguous, rows, cols, 1), [] {});
  for (size_t threads : {size_t{1}, size_t{2}, size_t{5}}) {
    set_num_threads(threads);
    std::vector<float> sparse(rows * cols * 2, -7.0f);
    fill_target(active_kernels(), p, StreamId{1, 2}, strided_target(sparse, rows, cols, 2), [] {});
    bool same = true, untouched = true;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        same = same && sparse[(2 * r) * cols + c] == contiguous[r * cols + c];
        untouched = untouched && sparse[(2 * r + 1) * cols + c] == -7.0f;
      }
    check(same, "strided fill values, threads=" + std::to_string(threads));
    check(untouched, "strided fill leaves gaps, threads=" + std::to_string(threads));
  }
}

// Shards with short rows (a column shard, a narrow band of columns, a Fortran-ordered array with
// a short last axis) are filled from gathered batches of blocks: each element gets the value of
// its logical index in a contiguous fill of the whole, for every dtype, ISA and thread count,
// and nothing between the shard's elements is written.
template <class T>
void check_column_bands(const std::string& isa, DType dtype, size_t threads) {
  const int64_t rows = 2100, global_cols = 259;
  const StreamId id{5, 9, g_version};
  const Kernels& k = kernels_for(isa);
  set_num_threads(threads);
  std::vector<DistParams> laws = {normal_params(0.25, 2.0, dtype), trunc_normal_params(0.0, 1.0, -0.5, 1.5, dtype)};
  if (g_version == 1) laws.push_back(uniform_params(-1.0, 3.0, dtype));  // version 2 changes the normal family
  for (const DistParams& p : laws) {
    std::vector<T> whole(static_cast<size_t>(rows * global_cols));
    fill_target(k, p, id, target_2d(whole, dtype, rows, global_cols, {global_cols, 1}, global_cols), [] {});
    bool same = true, gaps_untouched = true;
    for (int64_t width : {1, 2, 3, 5, 8, 13, 17, 31, 61, 64, 65}) {
      for (int64_t col : {0, 1, 3, 6}) {
        const int64_t pitch = width + 1;  // one untouched element after each row
        std::vector<T> band(static_cast<size_t>(rows * pitch), T(-7));
        fill_target(k, p, id, target_2d(band, dtype, rows, width, {pitch, 1}, global_cols, static_cast<uint64_t>(col)),
                    [] {});
        for (int64_t r = 0; r < rows; ++r) {
          same = same && std::memcmp(&band[r * pitch], &whole[r * global_cols + col], width * sizeof(T)) == 0;
          gaps_untouched = gaps_untouched && band[r * pitch + width] == T(-7);
        }
      }
    }
    // Fortran order, (rows, 4): each row's 4 elements lie `rows` elements apart in memory.
    std::vector<T> fortran(static_cast<size_t>(rows * 4));
    fill_target(k, p, id, target_2d(fortran, dtype, rows, 4, {1, rows}, 4), [] {});
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < 4; ++c)
        same = same && std::memcmp(&fortran[c * rows + r], &whole[r * 4 + c], sizeof(T)) == 0;
    check(same, isa + " short-row shards equal the whole, dtype " + std::to_string(static_cast<int>(dtype)) +
                    ", threads=" + std::to_string(threads));
    check(gaps_untouched, isa + " short-row shards leave their gaps alone");
  }
}

void test_short_row_shards() {
  // version 2 differs only in its generator and the normal family: one thread count covers it
  const std::vector<size_t> thread_counts = g_version == 2 ? std::vector<size_t>{3} : std::vector<size_t>{1, 3};
  for (const std::string& isa : available_isas())
    for (size_t threads : thread_counts) {
      check_column_bands<float>(isa, DType::f32, threads);
      check_column_bands<double>(isa, DType::f64, threads);
      check_column_bands<uint16_t>(isa, DType::bf16, threads);
      check_column_bands<uint16_t>(isa, DType::f16, threads);
    }
  set_num_threads(1);
}

#if defined(__linux__)
// A fill into a fresh anonymous mapping (no page mapped yet: the populate path) writes exactly the
// target, which starts and ends mid-page, with the values of a fill into touched memory.
void test_fill_into_fresh_pages() {
  const size_t bytes = size_t{8} << 20;
  void* mapping = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check(mapping != MAP_FAILED, "mmap for the fresh-page test");
  if (mapping == MAP_FAILED) return;
  char* raw = static_cast<char*>(mapping);
  const size_t lo = 4096 + 40, hi = bytes - 4096 - 24;
  const int64_t n = static_cast<int64_t>((hi - lo) / 4);
  const DistParams p = normal_params(0.0, 1.0, DType::f32);
  std::vector<float> touched(static_cast<size_t>(n), 1.0f);
  set_num_threads(2);
  fill_target(active_kernels(), p, StreamId{3, 4}, strided_target(touched, 1, n, 1), [] {});
  Target fresh;
  fresh.data = raw + lo;
  fresh.dtype = DType::f32;
  fresh.shape = {n};
  fresh.byte_strides = {4};
  fresh.logical_strides = {1};
  fill_target(active_kernels(), p, StreamId{3, 4}, fresh, [] {});
  check(std::memcmp(raw + lo, touched.data(), static_cast<size_t>(n) * 4) == 0, "fresh-page fill values");
  bool outside_zero = true;
  for (size_t i = 0; i < lo; ++i) outside_zero = outside_zero && raw[i] == 0;
  for (size_t i = lo + static_cast<size_t>(n) * 4; i < bytes; ++i) outside_zero = outside_zero && raw[i] == 0;
  check(outside_zero, "fresh-page fill leaves the rest of the mapping alone");
  munmap(mapping, bytes);
}
#endif

// logical_end saturates instead of wrapping, so the index-limit check cannot be bypassed.
void test_logical_end_saturates() {
  Target t;
  t.shape = {5, 1};
  t.byte_strides = {4, 4};
  t.logical_strides = {int64_t{1} << 62, 1};
  check(logical_end(t) == ~uint64_t{0}, "logical_end saturates at 2**64 - 1 (indices up to 2**64)");
  t.logical_strides = {int64_t{1} << 60, 1};
  check(logical_end(t) == (uint64_t{1} << 62) + 1, "logical_end of indices up to 2**62");
  t.shape = {0, 1};
  check(logical_end(t) == 0, "logical_end of an empty target");
}

// The first exception thrown by an item reaches the caller; the pool stays usable.
void test_pool_exceptions() {
  set_num_threads(3);
  bool caught = false;
  try {
    parallel_for(100, [](size_t i) {
      if (i == 37) throw std::runtime_error("item 37");
    });
  } catch (const std::runtime_error& e) {
    caught = std::string(e.what()) == "item 37";
  }
  check(caught, "exception carried out of the pool");
  std::atomic<int> count{0};
  parallel_for(1000, [&](size_t) { ++count; });
  check(count == 1000, "pool usable after an exception");
}

// Several threads fill at once while another changes the thread count.
void test_concurrent_callers() {
  const DistParams p = uniform_params(0.0, 1.0, DType::f32);
  std::vector<float> expected(1 << 18);
  set_num_threads(1);
  Target t;
  t.dtype = DType::f32;
  t.shape = {1 << 18};
  t.byte_strides = {4};
  t.logical_strides = {1};
  t.data = reinterpret_cast<char*>(expected.data());
  fill_target(active_kernels(), p, StreamId{9, 9}, t, [] {});
  std::atomic<bool> ok{true};
  std::vector<std::thread> callers;
  for (int c = 0; c < 6; ++c) {
    callers.emplace_back([&] {
      std::vector<float> mine(1 << 18);
      Target m = t;
      m.data = reinterpret_cast<char*>(mine.data());
      for (int rep = 0; rep < 5; ++rep) {
        fill_target(active_kernels(), p, StreamId{9, 9}, m, [] {});
        if (mine != expected) ok = false;
      }
    });
  }
  std::thread changer([] {
    for (size_t n = 1; n <= 8; ++n) set_num_threads(n % 4 + 1);
  });
  for (std::thread& c : callers) c.join();
  changer.join();
  check(ok, "concurrent fills give the same values");
}

// FNV-1a of the bytes of fills of every distribution and dtype by the active kernels: equal on
// every CPU (ci/portable.sh compares x86-64 with AArch64 under qemu).
void print_fingerprint() {
  const Kernels& k = active_kernels();
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* p, size_t n) {
    const unsigned char* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  };
  const size_t n = 100003;
  for (const DistParams& p : all_params(DType::f32)) {
    std::vector<float> a(n);
    k.fill_f32(p, StreamId{77, 5}, 3, n, a.data());
    mix(a.data(), n * 4);
    std::vector<uint16_t> half(n);
    k.store_bf16(a.data(), n, reinterpret_cast<char*>(half.data()), 2);
    mix(half.data(), n * 2);
    k.store_f16(a.data(), n, reinterpret_cast<char*>(half.data()), 2);
    mix(half.data(), n * 2);
  }
  for (const DistParams& p : all_params(DType::f64)) {
    std::vector<double> a(n);
    k.fill_f64(p, StreamId{77, 5}, 3, n, a.data());
    mix(a.data(), n * 8);
  }
  // version 2's normals and truncated normals
  std::vector<float> a32(n);
  std::vector<double> a64(n);
  for (const auto& [f32, f64] : {std::pair{normal_params(0.5, 2.0, DType::f32), normal_params(0.5, 2.0, DType::f64)},
                                 std::pair{trunc_normal_params(0.0, 1.0, -0.7, 2.2, DType::f32),
                                           trunc_normal_params(0.0, 1.0, -0.7, 2.2, DType::f64)},
                                 std::pair{trunc_normal_params(0.0, 0.02, -2.0, 2.0, DType::f32),
                                           trunc_normal_params(0.0, 0.02, -2.0, 2.0, DType::f64)}}) {
    k.fill_f32(f32, StreamId{77, 5, 2}, 3, n, a32.data());
    mix(a32.data(), n * 4);
    k.fill_f64(f64, StreamId{77, 5, 2}, 3, n, a64.data());
    mix(a64.data(), n * 8);
  }
  std::printf("fingerprint %016llx\n", static_cast<unsigned long long>(h));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--fingerprint") {
    print_fingerprint();
    return 0;
  }
  test_ars_known_answers();
  test_half_stores_sweep();
  for (int version : {1, 2}) {
    g_version = version;
    test_kernels_match_scalar();
    test_short_runs_match_long_fill();
    test_short_row_shards();
  }
  g_version = 1;
  test_logical_end_saturates();
  test_strided_parallel_fill();
  test_pool_exceptions();
  test_concurrent_callers();
#if defined(__linux__)
  test_fill_into_fresh_pages();
#endif
  std::string isas;
  for (const std::string& isa : available_isas()) isas += " " + isa;
  std::printf("%d passed, %d failed (ISAs:%s)\n", g_passed, g_failed, isas.c_str());
  return g_failed == 0 ? 0 : 1;
}
