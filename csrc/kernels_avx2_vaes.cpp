// The kernels compiled for the "avx2_vaes" target: avx2's, with stream version 2's AES rounds on
// YMM registers (flags in cmake/KernelTargets.cmake).
#define FASTINIT_TARGET avx2_vaes
#define FASTINIT_TARGET_NAME "avx2_vaes"
#include "kernels-inl.h"
