// Philox4x32 constants (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as
// 1, 2, 3", SC'11; the values Random123 uses). Plain data only: safe to include anywhere.
#pragma once
#include <cstdint>

namespace fastinit {

inline constexpr uint32_t kPhiloxM0 = 0xD2511F53u;  // multiplier applied to counter word 0
inline constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;  // multiplier applied to counter word 2
inline constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;  // Weyl increment of key word 0 (golden ratio)
inline constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;  // Weyl increment of key word 1 (sqrt(3) - 1)
inline constexpr int kPhiloxRounds = 10;

// Purpose tags: the top 8 bits of the 64-bit block index j (docs/stream.md, "Purpose tags").
inline constexpr uint64_t kTagShift = 56;
inline constexpr uint64_t kMaxBlock = uint64_t{1} << kTagShift;  // element blocks use j < 2**56
inline constexpr uint64_t kTagElements = 0;                      // the values of the elements

}  // namespace fastinit
