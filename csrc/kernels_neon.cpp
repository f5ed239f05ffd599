// The kernels compiled for the "neon" target (flags in cmake/KernelTargets.cmake).
#define FASTINIT_TARGET neon
#define FASTINIT_TARGET_NAME "neon"
#define FASTINIT_TARGET_NEON 1  // the NEON vector code of the -inl.h fragments
#include "kernels-inl.h"
