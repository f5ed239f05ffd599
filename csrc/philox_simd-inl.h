// Philox4x32-10 over a batch of consecutive counters, with explicit vector code where the
// compiler's own vectorization is poor (it widens the 32x32->64-bit products into full 64-bit
// multiplies). Each 32-bit state word lives in the low half of a 64-bit lane, so one unsigned
// 32x32 multiply (vpmuludq) yields the whole product; the high halves carry don't-care bits that
// the multiplies ignore and the final narrowing drops. Several groups of counters run
// interleaved to hide the multiply latency.
//
// The rounds are philox_round (philox_round.h) in intrinsics, keyed by the same schedule
// (philox_round_keys); the tests compare every target's words with the scalar ones.
//
// Include only inside a per-target namespace (kernels-inl.h), after Batch and philox_round_keys
// are defined.

// Not inlined into its callers: inlined into a transform's loop (a half-precision fill's, say)
// it competes for registers and the compiler spills the round keys; on its own it keeps them.
#if defined(_MSC_VER)
#define FASTINIT_NOINLINE __declspec(noinline)
#else
#define FASTINIT_NOINLINE __attribute__((noinline))
#endif

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#define FASTINIT_PHILOX_SIMD 1
// counters(at) gives the 64-bit block counters of batch positions at .. at + 7.
template <class Counters>
FASTINIT_NOINLINE static void philox_batch_simd(StreamId id, Counters counters, Batch& out) {
  constexpr int kLanes = 8, kGroups = 4;  // 32 blocks in flight
  const __m512i m0 = _mm512_set1_epi64(kPhiloxM0), m1 = _mm512_set1_epi64(kPhiloxM1);
  const __m512i s0 = _mm512_set1_epi64(static_cast<uint32_t>(id.stream));
  const __m512i s1 = _mm512_set1_epi64(static_cast<uint32_t>(id.stream >> 32));
  for (int base = 0; base < kBatch; base += kLanes * kGroups) {
    __m512i x0[kGroups], x1[kGroups], x2[kGroups], x3[kGroups];
    for (int g = 0; g < kGroups; ++g) {
      const __m512i j = counters(base + g * kLanes);
      x0[g] = j;
      x1[g] = _mm512_srli_epi64(j, 32);
      x2[g] = s0;
      x3[g] = s1;
    }
    philox_round_keys(id, [&](uint32_t k0, uint32_t k1) {
      const __m512i key0 = _mm512_set1_epi64(k0), key1 = _mm512_set1_epi64(k1);
      for (int g = 0; g < kGroups; ++g) {
        const __m512i p0 = _mm512_mul_epu32(x0[g], m0);
        const __m512i p1 = _mm512_mul_epu32(x2[g], m1);
        x0[g] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), x1[g], key0, 0x96);
        x2[g] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), x3[g], key1, 0x96);
        x1[g] = p1;
        x3[g] = p0;
      }
    });
    // The low halves of two groups' lanes, in order, make one vector of 16 words: one
    // two-source permute instead of two narrowing moves (2 micro-ops each).
    const __m512i low_halves = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int g = 0; g < kGroups; g += 2) {
      const int at = base + g * kLanes;
      _mm512_store_si512(out.x0 + at, _mm512_permutex2var_epi32(x0[g], low_halves, x0[g + 1]));
      _mm512_store_si512(out.x1 + at, _mm512_permutex2var_epi32(x1[g], low_halves, x1[g + 1]));
      _mm512_store_si512(out.x2 + at, _mm512_permutex2var_epi32(x2[g], low_halves, x2[g + 1]));
      _mm512_store_si512(out.x3 + at, _mm512_permutex2var_epi32(x3[g], low_halves, x3[g + 1]));
    }
  }
}
static inline void philox_batch(StreamId id, uint64_t j0, Batch& out) {
  const __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
  philox_batch_simd(
      id, [&](int at) { return _mm512_add_epi64(_mm512_set1_epi64(static_cast<int64_t>(j0 + at)), lane); }, out);
}
// list: kBatch counters, 64-byte aligned.
static inline void philox_batch_listed(StreamId id, const uint64_t* list, Batch& out) {
  philox_batch_simd(id, [list](int at) { return _mm512_load_si512(list + at); }, out);
}
#elif defined(__AVX2__)
#define FASTINIT_PHILOX_SIMD 1
// The low 32 bits of each 64-bit lane of a and b, packed into one vector of 8 words.
static inline __m256i narrow_pair(__m256i a, __m256i b) {
  const __m256i idx = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
  const __m256i lo = _mm256_permutevar8x32_epi32(a, idx);
  const __m256i hi = _mm256_permutevar8x32_epi32(b, idx);
  return _mm256_permute2x128_si256(lo, hi, 0x20);
}
// counters(at) gives the 64-bit block counters of batch positions at .. at + 3.
template <class Counters>
FASTINIT_NOINLINE static void philox_batch_simd(StreamId id, Counters counters, Batch& out) {
  constexpr int kLanes = 4, kGroups = 2;  // 8 blocks in flight (16 ymm registers)
  const __m256i m0 = _mm256_set1_epi64x(kPhiloxM0), m1 = _mm256_set1_epi64x(kPhiloxM1);
  const __m256i s0 = _mm256_set1_epi64x(static_cast<uint32_t>(id.stream));
  const __m256i s1 = _mm256_set1_epi64x(static_cast<uint32_t>(id.stream >> 32));
  for (int base = 0; base < kBatch; base += kLanes * kGroups) {
    __m256i x0[kGroups], x1[kGroups], x2[kGroups], x3[kGroups];
    for (int g = 0; g < kGroups; ++g) {
      const __m256i j = counters(base + g * kLanes);
      x0[g] = j;
      x1[g] = _mm256_srli_epi64(j, 32);
      x2[g] = s0;
      x3[g] = s1;
    }
    philox_round_keys(id, [&](uint32_t k0, uint32_t k1) {
      const __m256i key0 = _mm256_set1_epi64x(k0), key1 = _mm256_set1_epi64x(k1);
      for (int g = 0; g < kGroups; ++g) {
        const __m256i p0 = _mm256_mul_epu32(x0[g], m0);
        const __m256i p1 = _mm256_mul_epu32(x2[g], m1);
        x0[g] = _mm256_xor_si256(_mm256_srli_epi64(p1, 32), _mm256_xor_si256(x1[g], key0));
        x2[g] = _mm256_xor_si256(_mm256_srli_epi64(p0, 32), _mm256_xor_si256(x3[g], key1));
        x1[g] = p1;
        x3[g] = p0;
      }
    });
    const int at = base;
    _mm256_store_si256(reinterpret_cast<__m256i*>(out.x0 + at), narrow_pair(x0[0], x0[1]));
    _mm256_store_si256(reinterpret_cast<__m256i*>(out.x1 + at), narrow_pair(x1[0], x1[1]));
    _mm256_store_si256(reinterpret_cast<__m256i*>(out.x2 + at), narrow_pair(x2[0], x2[1]));
    _mm256_store_si256(reinterpret_cast<__m256i*>(out.x3 + at), narrow_pair(x3[0], x3[1]));
  }
}
static inline void philox_batch(StreamId id, uint64_t j0, Batch& out) {
  const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
  philox_batch_simd(
      id, [&](int at) { return _mm256_add_epi64(_mm256_set1_epi64x(static_cast<int64_t>(j0 + at)), lane); }, out);
}
// list: kBatch counters, 32-byte aligned.
static inline void philox_batch_listed(StreamId id, const uint64_t* list, Batch& out) {
  philox_batch_simd(id, [list](int at) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(list + at)); }, out);
}
#endif
