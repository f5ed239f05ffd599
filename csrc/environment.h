// Every FASTINIT_* environment variable the C++ core reads, read here and nowhere else
// (python/fastinit/engine/environment.py documents all of them and checks the ones Python can).
#pragma once
#include <string>

namespace fastinit::environment {

// FASTINIT_ISA: the instruction set to use ("scalar", "avx2", "avx2_vaes", "avx512",
// "avx512_vaes", "neon", "neon_aes"); empty if unset.
std::string isa();

// FASTINIT_SPIN_US: how long idle pool workers watch for the next fill, a whole number of
// microseconds in [0, 100000]; 100 if unset or invalid (Python rejects invalid values at import).
long spin_microseconds();

// FASTINIT_POPULATE=0 turns off pre-faulting the pages of fresh buffers (to measure its effect).
bool populate();

// FASTINIT_HUGEPAGES=1 advises transparent huge pages for large fresh buffers.
bool huge_pages();

}  // namespace fastinit::environment
