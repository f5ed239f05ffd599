// The kernels compiled for the "avx512_vaes" target: avx512's, with stream version 2's AES rounds
// on ZMM registers (flags in cmake/KernelTargets.cmake).
#define FASTINIT_TARGET avx512_vaes
#define FASTINIT_TARGET_NAME "avx512_vaes"
#include "kernels-inl.h"
