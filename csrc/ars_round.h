// ARS4x32 (Random123's "AES Random Stream": Salmon et al., SC'11), the word generator of stream
// version 2's normals (docs/stream.md, section 7), written once in portable C++: the AES
// encryption round on four 32-bit words and the ARS key schedule. The scalar path of every
// kernel target and the bare-bijection binding use these; targets with AES instructions run the
// same rounds as _mm_aesenc_si128 / _mm_aesenclast_si128 (kernels-inl.h), and the tests check
// both against Random123's known answers.
//
// Byte order is AES's on a little-endian 128-bit value: byte i of the state is bits 8i .. 8i + 7
// of word i / 4, so the words mean the same on every host. Static functions, as in
// philox_round.h, so each target keeps its own copy.
#pragma once
#include <cstdint>

namespace fastinit {

inline constexpr int kArsRounds = 7;                           // Random123's default for ars4x32
inline constexpr uint64_t kArsWeylLo = 0x9E3779B97F4A7C15ull;  // golden ratio, 64-bit lanes
inline constexpr uint64_t kArsWeylHi = 0xBB67AE8584CAA73Bull;  // sqrt(3) - 1

// Multiplication in GF(2**8) modulo AES's polynomial x**8 + x**4 + x**3 + x + 1.
constexpr uint8_t gf256_mul(uint8_t a, uint8_t b) {
  uint8_t p = 0;
  for (int i = 0; i < 8; ++i) {
    if (b & 1) p ^= a;
    a = static_cast<uint8_t>((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
    b >>= 1;
  }
  return p;
}

struct AesSbox {
  uint8_t v[256];
};

// The AES S-box from its definition: the inverse in GF(2**8) (a**254; 0 maps to 0), then the
// affine map b ^ rotl(b, 1..4) ^ 0x63.
constexpr AesSbox make_aes_sbox() {
  AesSbox s{};
  for (int a = 0; a < 256; ++a) {
    uint8_t inv = 1, base = static_cast<uint8_t>(a);
    for (int e = 254; e > 0; e >>= 1) {
      if (e & 1) inv = gf256_mul(inv, base);
      base = gf256_mul(base, base);
    }
    if (a == 0) inv = 0;
    uint8_t out = 0x63;
    for (int r = 0; r < 5; ++r) out ^= static_cast<uint8_t>((inv << r) | (inv >> ((8 - r) & 7)));
    s.v[a] = out;
  }
  return s;
}
inline constexpr AesSbox kAesSbox = make_aes_sbox();
static_assert(kAesSbox.v[0] == 0x63 && kAesSbox.v[1] == 0x7c && kAesSbox.v[0x53] == 0xed, "AES S-box");

// SubBytes and MixColumns of one byte, as a word: for S = S-box(a), the column (2S, S, S, 3S)
// that a byte in row 0 contributes (rows 1-3 contribute the same word rotated by 8, 16, 24
// bits), so a round is four table lookups per column (the classic "T-table" AES).
struct AesTable {
  uint32_t v[256];
};
constexpr AesTable make_aes_table() {
  AesTable t{};
  for (int a = 0; a < 256; ++a) {
    const uint8_t s = kAesSbox.v[a];
    t.v[a] = static_cast<uint32_t>(gf256_mul(s, 2)) | static_cast<uint32_t>(s) << 8 | static_cast<uint32_t>(s) << 16 |
             static_cast<uint32_t>(gf256_mul(s, 3)) << 24;
  }
  return t;
}
inline constexpr AesTable kAesTable = make_aes_table();

static inline uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> ((32 - r) & 31)); }

// One AES encryption round on state x under round key k, in place: SubBytes, ShiftRows,
// MixColumns (skipped when last, as AESENCLAST does), then the round key xored in. ShiftRows
// moves row r of column c + r to column c, so output column c reads byte r of word c + r.
static inline void aes_round(uint32_t x[4], const uint32_t k[4], bool last) {
  uint32_t y[4];
  for (int c = 0; c < 4; ++c) {
    const uint32_t b0 = x[c] & 0xffu, b1 = (x[(c + 1) & 3] >> 8) & 0xffu;
    const uint32_t b2 = (x[(c + 2) & 3] >> 16) & 0xffu, b3 = x[(c + 3) & 3] >> 24;
    if (last) {
      y[c] = static_cast<uint32_t>(kAesSbox.v[b0]) | static_cast<uint32_t>(kAesSbox.v[b1]) << 8 |
             static_cast<uint32_t>(kAesSbox.v[b2]) << 16 | static_cast<uint32_t>(kAesSbox.v[b3]) << 24;
    } else {
      y[c] = kAesTable.v[b0] ^ rotl32(kAesTable.v[b1], 8) ^ rotl32(kAesTable.v[b2], 16) ^ rotl32(kAesTable.v[b3], 24);
    }
  }
  for (int c = 0; c < 4; ++c) x[c] = y[c] ^ k[c];
}

// The key schedule: calls step(round_key, r) for r = 0 .. rounds with the key of that step, as
// four words. Step 0's key is the key itself; each later one adds the Weyl increments to the
// key's two 64-bit halves (words 0-1 and 2-3), mod 2**64.
template <class Step>
static inline void ars_key_schedule(const uint32_t key[4], int rounds, Step&& step) {
  uint64_t lo = key[0] | static_cast<uint64_t>(key[1]) << 32;
  uint64_t hi = key[2] | static_cast<uint64_t>(key[3]) << 32;
  for (int r = 0; r <= rounds; ++r) {
    const uint32_t k[4] = {static_cast<uint32_t>(lo), static_cast<uint32_t>(lo >> 32), static_cast<uint32_t>(hi),
                           static_cast<uint32_t>(hi >> 32)};
    step(k, r);
    lo += kArsWeylLo;
    hi += kArsWeylHi;
  }
}

// ARS4x32 with `rounds` rounds (>= 1) on one counter, in place: x ^= key, then rounds - 1 AES
// rounds and a last round, each under the next key of the schedule.
static inline void ars_block(uint32_t x[4], const uint32_t key[4], int rounds) {
  ars_key_schedule(key, rounds, [&](const uint32_t* k, int r) {
    if (r == 0) {
      for (int w = 0; w < 4; ++w) x[w] ^= k[w];
    } else {
      aes_round(x, k, r == rounds);
    }
  });
}

}  // namespace fastinit
