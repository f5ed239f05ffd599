#include "dispatch.h"

#include <cstdlib>
#include <stdexcept>

#include "cpu_features.h"
#include "environment.h"

namespace fastinit {

namespace {

#if defined(FASTINIT_HAVE_avx2) || defined(FASTINIT_HAVE_avx2_vaes) || defined(FASTINIT_HAVE_avx512) || \
    defined(FASTINIT_HAVE_avx512_vaes)
#define FASTINIT_ARCH_X86_TARGETS 1
#endif
#if defined(FASTINIT_ARCH_X86_TARGETS) || defined(FASTINIT_HAVE_neon_aes)
#define FASTINIT_DETECTS_FEATURES 1
#endif

struct Candidate {
  const char* name;
  const Kernels* table;
};

// Compiled-in targets this machine can run, best first; the portable one always last.
std::vector<Candidate> runnable_targets() {
  std::vector<Candidate> out;
#if defined(FASTINIT_DETECTS_FEATURES)
  const CpuFeatures cpu = detect_cpu_features();
#endif
#if defined(FASTINIT_HAVE_avx512_vaes)
  if (cpu.avx512_vaes) out.push_back({"avx512_vaes", &avx512_vaes::kernels()});
#endif
#if defined(FASTINIT_HAVE_avx512)
  if (cpu.avx512) out.push_back({"avx512", &avx512::kernels()});
#endif
#if defined(FASTINIT_HAVE_avx2_vaes)
  if (cpu.avx2_vaes) out.push_back({"avx2_vaes", &avx2_vaes::kernels()});
#endif
#if defined(FASTINIT_HAVE_avx2)
  if (cpu.avx2_fma) out.push_back({"avx2", &avx2::kernels()});
#endif
#if defined(FASTINIT_HAVE_neon_aes)
  if (cpu.arm_aes) out.push_back({"neon_aes", &neon_aes::kernels()});
#endif
#if defined(FASTINIT_HAVE_neon)
  out.push_back({"neon", &neon::kernels()});  // Advanced SIMD is part of every AArch64 CPU
#endif
  out.push_back({"scalar", &scalar::kernels()});
  return out;
}

const std::vector<Candidate>& targets() {
  static const std::vector<Candidate> cached = runnable_targets();
  return cached;
}

const Kernels& choose() {
  const std::string forced = environment::isa();
  if (forced.empty()) return *targets().front().table;
  return kernels_for(forced);
}

}  // namespace

std::vector<std::string> available_isas() {
  std::vector<std::string> names;
  for (const Candidate& c : targets()) names.emplace_back(c.name);
  return names;
}

const Kernels& kernels_for(const std::string& isa) {
  std::string allowed;
  for (const Candidate& c : targets()) {
    if (isa == c.name) return *c.table;
    allowed += allowed.empty() ? c.name : std::string(", ") + c.name;
  }
  throw std::invalid_argument("FASTINIT_ISA='" + isa + "' is not available on this CPU and build; allowed: " + allowed);
}

const Kernels& active_kernels() {
  static const Kernels& chosen = choose();
  return chosen;
}

}  // namespace fastinit
