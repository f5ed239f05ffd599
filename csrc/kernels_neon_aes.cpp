// The kernels compiled for the "neon_aes" target: neon's, with stream version 2's AES rounds on
// Armv8's AES instructions (flags in cmake/KernelTargets.cmake).
#define FASTINIT_TARGET neon_aes
#define FASTINIT_TARGET_NAME "neon_aes"
#define FASTINIT_TARGET_NEON 1  // the NEON vector code of the -inl.h fragments
#include "kernels-inl.h"
