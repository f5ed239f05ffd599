// The kernels compiled for the "avx2" target (flags in cmake/KernelTargets.cmake).
#define FASTINIT_TARGET avx2
#define FASTINIT_TARGET_NAME "avx2"
#include "kernels-inl.h"
