// One Philox4x32 round and the key schedule, written once (docs/stream.md, section 1): the
// bare-bijection binding (register_philox.cpp) and the scalar batch loop of every kernel target
// (kernels-inl.h) use these; the vector rounds (philox_simd-inl.h) are the same round spelled in
// intrinsics, driven by the same schedule.
//
// Every function here is static, as Highway declares its ops (HWY_API): each translation unit
// keeps its own copy, compiled with its own instruction-set flags. An inline function with
// external linkage would be merged across units by the linker, which could then hand a scalar
// caller the copy compiled for AVX-512.
#pragma once
#include <cstdint>

#include "philox_constants.h"

namespace fastinit {

// One round under key (k0, k1), in place: p0 = M0 * x0 and p1 = M1 * x2 as 64-bit products,
// then (x0, x1, x2, x3) <- (hi(p1) ^ x1 ^ k0, lo(p1), hi(p0) ^ x3 ^ k1, lo(p0)). The words are
// the caller's (locals, or element b of four structure-of-arrays rows, the loop compilers
// vectorize); all four are read before any is written. In place rather than a struct returned
// by value: clang packs such a struct into two 64-bit halves and then spends four multiplies
// per round instead of two.
static inline void philox_round(uint32_t& x0, uint32_t& x1, uint32_t& x2, uint32_t& x3, uint32_t k0, uint32_t k1) {
  const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * x0;
  const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * x2;
  const uint32_t y0 = static_cast<uint32_t>(p1 >> 32) ^ x1 ^ k0;
  const uint32_t y2 = static_cast<uint32_t>(p0 >> 32) ^ x3 ^ k1;
  x0 = y0;
  x1 = static_cast<uint32_t>(p1);
  x2 = y2;
  x3 = static_cast<uint32_t>(p0);
}

// The key schedule: calls round(k0, k1) once per round, `rounds` times, with the key of that
// round; the first round uses the key as given, each later one adds the Weyl increments
// (mod 2**32). A callback rather than a table of keys, so the vector code can broadcast each
// key as it comes and the loop over rounds stays outermost.
template <class Round>
static inline void philox_key_schedule(uint32_t k0, uint32_t k1, int rounds, Round&& round) {
  for (int r = 0; r < rounds; ++r) {
    round(k0, k1);
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
}

}  // namespace fastinit
