#include "fresh_memory.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "environment.h"

namespace fastinit::fresh_memory {

#if defined(__linux__)

namespace {

#ifndef MADV_POPULATE_WRITE
constexpr int MADV_POPULATE_WRITE = 23;  // Linux 5.14; older headers lack the name
#endif

uintptr_t page_size() {
  static const uintptr_t size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  return size;
}

// The whole pages inside [begin, begin + bytes), as [first, last); empty if there are none.
void interior_pages(const char* begin, size_t bytes, uintptr_t& first, uintptr_t& last) {
  const uintptr_t page = page_size();
  const uintptr_t b = reinterpret_cast<uintptr_t>(begin);
  first = (b + page - 1) & ~(page - 1);
  last = (b + bytes) & ~(page - 1);
  if (last < first) last = first;
}

// FASTINIT_POPULATE=0 turns the populate step off (to measure what it saves).
std::atomic<bool> populate_supported{environment::populate()};

}  // namespace

bool looks_unpopulated(const char* begin, size_t bytes) {
  uintptr_t first = 0, last = 0;
  interior_pages(begin, bytes, first, last);
  if (first == last) return false;
  const uintptr_t page = page_size();
  const uintptr_t pages = (last - first) / page;
  for (uintptr_t sample : {uintptr_t{0}, pages / 2, pages - 1}) {
    unsigned char resident = 1;
    if (mincore(reinterpret_cast<void*>(first + sample * page), page, &resident) != 0) return false;
    if ((resident & 1) == 0) return true;
  }
  return false;
}

void populate_for_write(char* begin, size_t bytes, const char* whole_begin, const char* whole_end) {
  if (!populate_supported.load(std::memory_order_relaxed)) return;
  const uintptr_t page = page_size();
  uintptr_t first = 0, last = 0;
  interior_pages(whole_begin, static_cast<size_t>(whole_end - whole_begin), first, last);
  const uintptr_t b = reinterpret_cast<uintptr_t>(begin);
  first = std::max(first, b & ~(page - 1));
  last = std::min(last, (b + bytes + page - 1) & ~(page - 1));
  if (last <= first) return;
  if (madvise(reinterpret_cast<void*>(first), last - first, MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
    populate_supported.store(false, std::memory_order_relaxed);  // kernel older than 5.14
}

void advise_huge_pages(char* begin, size_t bytes) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  constexpr size_t kMinBytes = size_t{16} << 20;
  static const bool enabled = environment::huge_pages();
  if (!enabled || bytes < kMinBytes) return;
  const uintptr_t b = reinterpret_cast<uintptr_t>(begin);
  const uintptr_t first = (b + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t last = (b + bytes) & ~(kHuge - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

#else  // other platforms: no advice

bool looks_unpopulated(const char*, size_t) { return false; }
void populate_for_write(char*, size_t, const char*, const char*) {}
void advise_huge_pages(char*, size_t) {}

#endif

}  // namespace fastinit::fresh_memory
