// The kernels compiled for the "neon" target (flags in cmake/KernelTargets.cmake).
#define FASTINIT_TARGET neon
#define FASTINIT_TARGET_NAME "neon"
#include "kernels-inl.h"
