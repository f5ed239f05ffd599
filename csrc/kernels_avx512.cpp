// The kernels compiled for the "avx512" target (flags in cmake/KernelTargets.cmake).
#define FASTINIT_TARGET avx512
#define FASTINIT_TARGET_NAME "avx512"
#include "kernels-inl.h"
