// Stream version 2's words for the kernels: batches of ARS4x32-7 blocks (AES-NI where the target
// has it, the portable rounds of ars_round.h elsewhere), the batch source of either version
// (stream_batch), and version 2's extension words. The AES-instruction paths: x86's AES-NI and
// VAES, and Armv8's AES (the neon_aes target).
//
// Include only inside a per-target namespace (kernels-inl.h), after Batch, ConsecutiveBlocks,
// ListedBlocks and the Philox batch functions are defined.

// ARS4x32-7 of counters (lo32(j), hi32(j), lo32(stream), hi32(stream)) under key (lo32(seed),
// hi32(seed), 0, 0) for j = block(b), b < kBatch, word k to x<k>[b]: stream version 2's words.
// With AES instructions (the x86 targets), eight blocks in flight hide the rounds' latency and
// 4x4 transposes turn blocks into the batch's rows (with VAES, sixteen two to a YMM register or
// thirty-two four to a ZMM one); elsewhere the portable rounds of ars_round.h, a block at a
// time. The tests check both against Random123's known answers.
template <class BlockAt>
static inline void ars_batch(StreamId id, BlockAt block, Batch& out) {
  const uint32_t key[4] = {static_cast<uint32_t>(id.seed), static_cast<uint32_t>(id.seed >> 32), 0, 0};
  const uint32_t s0 = static_cast<uint32_t>(id.stream), s1 = static_cast<uint32_t>(id.stream >> 32);
#if defined(__VAES__) && defined(__AVX512F__)
  // Four blocks per ZMM register, thirty-two in flight: register i of a group of sixteen blocks
  // holds blocks i, i + 4, i + 8 and i + 12 in its four lanes, so the 4x4 transposes within the
  // lanes give each row's sixteen words in block order.
  __m512i rk[kArsRounds + 1];
  ars_key_schedule(key, kArsRounds, [&](const uint32_t* k, int r) {
    rk[r] = _mm512_broadcast_i32x4(
        _mm_setr_epi32(static_cast<int>(k[0]), static_cast<int>(k[1]), static_cast<int>(k[2]), static_cast<int>(k[3])));
  });
  constexpr int kInFlight = 32, kRegisters = kInFlight / 4;
  const auto stream = static_cast<long long>(id.stream);
  const auto counter = [stream](uint64_t b0, uint64_t b1, uint64_t b2, uint64_t b3) {
    return _mm512_set_epi64(stream, static_cast<long long>(b3), stream, static_cast<long long>(b2), stream,
                            static_cast<long long>(b1), stream, static_cast<long long>(b0));
  };
  for (int base = 0; base < kBatch; base += kInFlight) {
    __m512i v[kRegisters];
    for (int g = 0; g < kRegisters; g += 4) {
      const int first = base + 4 * g;  // the group's sixteen blocks: first .. first + 15
      if constexpr (std::is_same_v<BlockAt, ConsecutiveBlocks>) {
        const uint64_t j = block(first);
        __m512i c = counter(j, j + 4, j + 8, j + 12);
        const __m512i one = _mm512_set_epi64(0, 1, 0, 1, 0, 1, 0, 1);
        for (int i = 0; i < 4; ++i) {
          v[g + i] = _mm512_xor_si512(c, rk[0]);
          c = _mm512_add_epi64(c, one);
        }
      } else {
        for (int i = 0; i < 4; ++i)
          v[g + i] = _mm512_xor_si512(
              counter(block(first + i), block(first + 4 + i), block(first + 8 + i), block(first + 12 + i)), rk[0]);
      }
    }
    for (int r = 1; r < kArsRounds; ++r)
      for (int i = 0; i < kRegisters; ++i) v[i] = _mm512_aesenc_epi128(v[i], rk[r]);
    for (int i = 0; i < kRegisters; ++i) v[i] = _mm512_aesenclast_epi128(v[i], rk[kArsRounds]);
    for (int g = 0; g < kRegisters; g += 4) {
      const int first = base + 4 * g;
      const __m512i t0 = _mm512_unpacklo_epi32(v[g], v[g + 1]), t1 = _mm512_unpacklo_epi32(v[g + 2], v[g + 3]);
      const __m512i t2 = _mm512_unpackhi_epi32(v[g], v[g + 1]), t3 = _mm512_unpackhi_epi32(v[g + 2], v[g + 3]);
      _mm512_store_si512(out.x0 + first, _mm512_unpacklo_epi64(t0, t1));
      _mm512_store_si512(out.x1 + first, _mm512_unpackhi_epi64(t0, t1));
      _mm512_store_si512(out.x2 + first, _mm512_unpacklo_epi64(t2, t3));
      _mm512_store_si512(out.x3 + first, _mm512_unpackhi_epi64(t2, t3));
    }
  }
#elif defined(__VAES__)
  // Two blocks per YMM register, sixteen in flight: register i of a group of eight blocks holds
  // block i in its low lane and block i + 4 in its high one, so the 4x4 transposes within the
  // lanes give each row's eight words in block order.
  __m256i rk[kArsRounds + 1];
  ars_key_schedule(key, kArsRounds, [&](const uint32_t* k, int r) {
    rk[r] = _mm256_broadcastsi128_si256(
        _mm_setr_epi32(static_cast<int>(k[0]), static_cast<int>(k[1]), static_cast<int>(k[2]), static_cast<int>(k[3])));
  });
  constexpr int kInFlight = 16, kRegisters = kInFlight / 2;
  const auto counter = [s0, s1](uint64_t lo_block, uint64_t hi_block) {
    return _mm256_setr_epi32(static_cast<int>(lo_block), static_cast<int>(lo_block >> 32), static_cast<int>(s0),
                             static_cast<int>(s1), static_cast<int>(hi_block), static_cast<int>(hi_block >> 32),
                             static_cast<int>(s0), static_cast<int>(s1));
  };
  for (int base = 0; base < kBatch; base += kInFlight) {
    __m256i v[kRegisters];
    for (int g = 0; g < kRegisters; g += 4) {
      const int first = base + 2 * g;  // the group's eight blocks: first .. first + 7
      if constexpr (std::is_same_v<BlockAt, ConsecutiveBlocks>) {
        const uint64_t j = block(first);
        __m256i c = counter(j, j + 4);
        const __m256i one = _mm256_set_epi64x(0, 1, 0, 1);
        for (int i = 0; i < 4; ++i) {
          v[g + i] = _mm256_xor_si256(c, rk[0]);
          c = _mm256_add_epi64(c, one);
        }
      } else {
        for (int i = 0; i < 4; ++i) v[g + i] = _mm256_xor_si256(counter(block(first + i), block(first + 4 + i)), rk[0]);
      }
    }
    for (int r = 1; r < kArsRounds; ++r)
      for (int i = 0; i < kRegisters; ++i) v[i] = _mm256_aesenc_epi128(v[i], rk[r]);
    for (int i = 0; i < kRegisters; ++i) v[i] = _mm256_aesenclast_epi128(v[i], rk[kArsRounds]);
    for (int g = 0; g < kRegisters; g += 4) {
      const int first = base + 2 * g;
      const __m256i t0 = _mm256_unpacklo_epi32(v[g], v[g + 1]), t1 = _mm256_unpacklo_epi32(v[g + 2], v[g + 3]);
      const __m256i t2 = _mm256_unpackhi_epi32(v[g], v[g + 1]), t3 = _mm256_unpackhi_epi32(v[g + 2], v[g + 3]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(out.x0 + first), _mm256_unpacklo_epi64(t0, t1));
      _mm256_store_si256(reinterpret_cast<__m256i*>(out.x1 + first), _mm256_unpackhi_epi64(t0, t1));
      _mm256_store_si256(reinterpret_cast<__m256i*>(out.x2 + first), _mm256_unpacklo_epi64(t2, t3));
      _mm256_store_si256(reinterpret_cast<__m256i*>(out.x3 + first), _mm256_unpackhi_epi64(t2, t3));
    }
  }
#elif defined(__AES__)
  __m128i rk[kArsRounds + 1];
  ars_key_schedule(key, kArsRounds, [&](const uint32_t* k, int r) {
    rk[r] =
        _mm_setr_epi32(static_cast<int>(k[0]), static_cast<int>(k[1]), static_cast<int>(k[2]), static_cast<int>(k[3]));
  });
  constexpr int kInFlight = 8;
  for (int base = 0; base < kBatch; base += kInFlight) {
    __m128i v[kInFlight];
    if constexpr (std::is_same_v<BlockAt, ConsecutiveBlocks>) {
      // consecutive counters: the block number is the low 64-bit lane, one add per block
      const uint64_t j = block(base);
      __m128i c =
          _mm_setr_epi32(static_cast<int>(j), static_cast<int>(j >> 32), static_cast<int>(s0), static_cast<int>(s1));
      const __m128i one = _mm_set_epi64x(0, 1);
      for (int i = 0; i < kInFlight; ++i) {
        v[i] = _mm_xor_si128(c, rk[0]);
        c = _mm_add_epi64(c, one);
      }
    } else {
      for (int i = 0; i < kInFlight; ++i) {
        const uint64_t j = block(base + i);
        v[i] = _mm_xor_si128(
            _mm_setr_epi32(static_cast<int>(j), static_cast<int>(j >> 32), static_cast<int>(s0), static_cast<int>(s1)),
            rk[0]);
      }
    }
    for (int r = 1; r < kArsRounds; ++r)
      for (int i = 0; i < kInFlight; ++i) v[i] = _mm_aesenc_si128(v[i], rk[r]);
    for (int i = 0; i < kInFlight; ++i) v[i] = _mm_aesenclast_si128(v[i], rk[kArsRounds]);
    for (int h = 0; h < kInFlight; h += 4) {
      const __m128i t0 = _mm_unpacklo_epi32(v[h], v[h + 1]), t1 = _mm_unpacklo_epi32(v[h + 2], v[h + 3]);
      const __m128i t2 = _mm_unpackhi_epi32(v[h], v[h + 1]), t3 = _mm_unpackhi_epi32(v[h + 2], v[h + 3]);
      _mm_store_si128(reinterpret_cast<__m128i*>(out.x0 + base + h), _mm_unpacklo_epi64(t0, t1));
      _mm_store_si128(reinterpret_cast<__m128i*>(out.x1 + base + h), _mm_unpackhi_epi64(t0, t1));
      _mm_store_si128(reinterpret_cast<__m128i*>(out.x2 + base + h), _mm_unpacklo_epi64(t2, t3));
      _mm_store_si128(reinterpret_cast<__m128i*>(out.x3 + base + h), _mm_unpackhi_epi64(t2, t3));
    }
  }
#elif defined(__ARM_FEATURE_AES)
  // Armv8's AES instructions split a round differently: AESE xors the key in first, then
  // SubBytes and ShiftRows; AESMC is MixColumns. So x86's round, AESENC(x, k) =
  // MixColumns(ShiftRows(SubBytes(x))) ^ k, is AESMC(AESE(x, 0)) ^ k, and AESENCLAST(x, k) is
  // AESE(x, 0) ^ k. Eight blocks in flight hide the rounds' latency; VLD4 de-interleaves four
  // stored blocks into the batch's rows.
  uint8x16_t rk[kArsRounds + 1];
  ars_key_schedule(key, kArsRounds, [&](const uint32_t* k, int r) { rk[r] = vreinterpretq_u8_u32(vld1q_u32(k)); });
  const uint8x16_t zero = vdupq_n_u8(0);
  constexpr int kInFlight = 8;
  for (int base = 0; base < kBatch; base += kInFlight) {
    uint8x16_t v[kInFlight];
    for (int i = 0; i < kInFlight; ++i) {
      const uint64_t j = block(base + i);
      const uint32_t c[4] = {static_cast<uint32_t>(j), static_cast<uint32_t>(j >> 32), s0, s1};
      v[i] = veorq_u8(vreinterpretq_u8_u32(vld1q_u32(c)), rk[0]);
    }
    for (int r = 1; r < kArsRounds; ++r)
      for (int i = 0; i < kInFlight; ++i) v[i] = veorq_u8(vaesmcq_u8(vaeseq_u8(v[i], zero)), rk[r]);
    for (int i = 0; i < kInFlight; ++i) v[i] = veorq_u8(vaeseq_u8(v[i], zero), rk[kArsRounds]);
    for (int h = 0; h < kInFlight; h += 4) {
      alignas(16) uint32_t blocks[16];
      for (int i = 0; i < 4; ++i) vst1q_u32(blocks + 4 * i, vreinterpretq_u32_u8(v[h + i]));
      const uint32x4x4_t rows = vld4q_u32(blocks);
      vst1q_u32(out.x0 + base + h, rows.val[0]);
      vst1q_u32(out.x1 + base + h, rows.val[1]);
      vst1q_u32(out.x2 + base + h, rows.val[2]);
      vst1q_u32(out.x3 + base + h, rows.val[3]);
    }
  }
#else
  for (int b = 0; b < kBatch; ++b) {
    const uint64_t j = block(b);
    uint32_t x[4] = {static_cast<uint32_t>(j), static_cast<uint32_t>(j >> 32), s0, s1};
    ars_block(x, key, kArsRounds);
    out.x0[b] = x[0];
    out.x1[b] = x[1];
    out.x2[b] = x[2];
    out.x3[b] = x[3];
  }
#endif
}

// The words of a batch of consecutive blocks from j0, or of kBatch listed blocks, from the
// generator of stream version V.
template <int V>
static inline void stream_batch(StreamId id, uint64_t j0, Batch& out) {
  if constexpr (V == 2) {
    ars_batch(id, ConsecutiveBlocks{j0}, out);
  } else {
    philox_batch(id, j0, out);
  }
  out.first = j0;
  out.listed = nullptr;
}
template <int V>
static inline void stream_batch_listed(StreamId id, const uint64_t* list, Batch& out) {
  if constexpr (V == 2) {
    ars_batch(id, ListedBlocks{list}, out);
  } else {
    philox_batch_listed(id, list, out);
  }
  out.listed = list;
}

// Version 2's extension word of float32 normal pair k: word k mod 4 of the ARS block
// (3 << 56 | k / 4) of the stream (purpose tag 3, docs/stream.md). Read only for the pairs whose
// radius word is 0 (probability 2**-32), so computed one at a time by the portable rounds.
static inline uint32_t extension_word(StreamId id, uint64_t pair) {
  const uint64_t j = (uint64_t{3} << 56) | (pair >> 2);
  const uint32_t key[4] = {static_cast<uint32_t>(id.seed), static_cast<uint32_t>(id.seed >> 32), 0, 0};
  uint32_t x[4] = {static_cast<uint32_t>(j), static_cast<uint32_t>(j >> 32), static_cast<uint32_t>(id.stream),
                   static_cast<uint32_t>(id.stream >> 32)};
  ars_block(x, key, kArsRounds);
  return x[pair & 3];
}
