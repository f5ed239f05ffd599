// What the CPU and the operating system let this process run. On x86-64, cpuid for the
// instruction sets and xgetbv for the register state the OS saves (AVX needs YMM, AVX-512 also
// opmask and ZMM); on AArch64, what the OS reports of Armv8's optional AES instructions.
#pragma once

namespace fastinit {

struct CpuFeatures {
  bool avx2_fma = false;     // AVX2 + FMA + BMI2 + F16C + AES-NI, YMM state enabled by the OS
  bool avx2_vaes = false;    // avx2_fma and VAES (AES rounds on YMM registers: two blocks each)
  bool avx512 = false;       // AVX-512 F/DQ/BW/VL, ZMM and opmask state enabled by the OS
  bool avx512_vaes = false;  // avx512 and VAES (AES rounds on ZMM registers: four blocks each)
  bool arm_aes = false;      // AArch64 with the AES instructions (FEAT_AES: AESE, AESMC)
};

CpuFeatures detect_cpu_features();

}  // namespace fastinit
