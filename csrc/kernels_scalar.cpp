// The kernels compiled for the "scalar" target (flags in cmake/KernelTargets.cmake).
#define FASTINIT_TARGET scalar
#define FASTINIT_TARGET_NAME "scalar"
#include "kernels-inl.h"
