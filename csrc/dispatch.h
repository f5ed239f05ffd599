// Run-time choice of the kernel table: the best instruction set that both the CPU and the
// operating system support, unless FASTINIT_ISA names a lower one.
#pragma once
#include <string>
#include <vector>

#include "kernels.h"

namespace fastinit {

// The instruction sets compiled into this binary that this CPU and OS can run, best first.
std::vector<std::string> available_isas();

// The kernels in use: chosen on first call (FASTINIT_ISA honoured), then fixed for the process.
// Throws std::invalid_argument for an unknown or unsupported FASTINIT_ISA.
const Kernels& active_kernels();

// The kernels of one named instruction set; throws std::invalid_argument if it is not available.
const Kernels& kernels_for(const std::string& isa);

}  // namespace fastinit
