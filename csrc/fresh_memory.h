// Page-level advice for large fills into memory the process may never have touched: a new
// model's parameters, a fresh np.empty. The first write to each page costs a page fault; these
// helpers batch those faults and let each pool thread take its own. None of them ever changes
// a byte of memory: they only ask the kernel to map pages (Linux; elsewhere they do nothing).
#pragma once
#include <cstddef>

namespace fastinit::fresh_memory {

// True if some of the pages wholly inside [begin, begin + bytes) look unpopulated (not yet
// mapped): a sample of three pages, first, middle and last, is asked with mincore(). False
// when the range holds no whole page or the platform cannot tell.
bool looks_unpopulated(const char* begin, size_t bytes);

// Maps writable, in one system call (MADV_POPULATE_WRITE, Linux 5.14+), the pages that
// [begin, begin + bytes) touches and that lie wholly inside the enclosing buffer
// [whole_begin, whole_end), as the first writes would but without a trap per 4 KiB page. Pages
// that reach outside the buffer, which may hold other data, are left alone; so is memory the
// kernel refuses (read-only, special mappings). Neighbouring pieces of one buffer may share a
// page and both map it: that is harmless. On a kernel without the call it turns itself off for
// the rest of the process; FASTINIT_POPULATE=0 in the environment turns it off from the start.
void populate_for_write(char* begin, size_t bytes, const char* whole_begin, const char* whole_end);

// With FASTINIT_HUGEPAGES=1, asks for transparent huge pages (MADV_HUGEPAGE) on the 2 MiB
// aligned interior of [begin, begin + bytes) when it spans at least 16 MiB. Off by default: on
// the virtual machines we measured, huge pages came from memory the host had reclaimed and made
// first-touch fills slower (docs/torch.md).
void advise_huge_pages(char* begin, size_t bytes);

}  // namespace fastinit::fresh_memory
