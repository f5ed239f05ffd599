#include "cpu_features.h"

#include <cstdint>

#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_AMD64))
#include <immintrin.h>
#include <intrin.h>
#define FASTINIT_X86 1
#elif defined(__x86_64__)
#include <cpuid.h>
#define FASTINIT_X86 1
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#define FASTINIT_ARM64_LINUX 1
#elif defined(__aarch64__) && defined(__APPLE__)
#include <sys/sysctl.h>

#include <cstddef>
#define FASTINIT_ARM64_APPLE 1
#endif

namespace fastinit {

#if defined(FASTINIT_X86)
namespace {

struct Regs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Regs cpuid(uint32_t leaf, uint32_t subleaf) {
  Regs r;
#if defined(_MSC_VER)
  int v[4];
  __cpuidex(v, static_cast<int>(leaf), static_cast<int>(subleaf));
  r.eax = static_cast<uint32_t>(v[0]);
  r.ebx = static_cast<uint32_t>(v[1]);
  r.ecx = static_cast<uint32_t>(v[2]);
  r.edx = static_cast<uint32_t>(v[3]);
#else
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#endif
  return r;
}

uint64_t xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
#endif
}

bool bit(uint32_t reg, int n) { return (reg >> n) & 1u; }

}  // namespace

CpuFeatures detect_cpu_features() {
  CpuFeatures f;
  const Regs leaf0 = cpuid(0, 0);
  if (leaf0.eax < 7) return f;
  const Regs leaf1 = cpuid(1, 0);
  const bool osxsave = bit(leaf1.ecx, 27);
  const bool avx = bit(leaf1.ecx, 28);
  const bool fma = bit(leaf1.ecx, 12);
  const bool f16c = bit(leaf1.ecx, 29);
  const bool aes = bit(leaf1.ecx, 25);
  if (!osxsave || !avx) return f;
  const uint64_t xcr0 = xgetbv0();
  const bool ymm_state = (xcr0 & 0x6) == 0x6;    // SSE and AVX state
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;  // plus opmask, ZMM_Hi256, Hi16_ZMM
  const Regs leaf7 = cpuid(7, 0);
  const bool avx2 = bit(leaf7.ebx, 5);
  const bool bmi2 = bit(leaf7.ebx, 8);
  f.avx2_fma = ymm_state && avx2 && fma && bmi2 && f16c && aes;
  f.avx2_vaes = f.avx2_fma && bit(leaf7.ecx, 9);
  const bool avx512f = bit(leaf7.ebx, 16), avx512dq = bit(leaf7.ebx, 17);
  const bool avx512bw = bit(leaf7.ebx, 30), avx512vl = bit(leaf7.ebx, 31);
  f.avx512 = f.avx2_fma && zmm_state && avx512f && avx512dq && avx512bw && avx512vl;
  f.avx512_vaes = f.avx512 && f.avx2_vaes;
  return f;
}
#elif defined(FASTINIT_ARM64_LINUX)
CpuFeatures detect_cpu_features() {
  CpuFeatures f;
  constexpr unsigned long kHwcapAes = 1ul << 3;  // HWCAP_AES of the AArch64 Linux ABI
  f.arm_aes = (getauxval(AT_HWCAP) & kHwcapAes) != 0;
  return f;
}
#elif defined(FASTINIT_ARM64_APPLE)
CpuFeatures detect_cpu_features() {
  CpuFeatures f;
  int value = 0;
  size_t size = sizeof value;
  f.arm_aes = sysctlbyname("hw.optional.arm.FEAT_AES", &value, &size, nullptr, 0) == 0 && value != 0;
  return f;
}
#else
CpuFeatures detect_cpu_features() { return CpuFeatures{}; }
#endif

}  // namespace fastinit
