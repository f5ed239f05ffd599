# One kernel source (csrc/kernels-inl.h), compiled once per instruction set into its own object
# library, each inside its own namespace (fastinit::<target>), so no inline function compiled
# for AVX-512 can ever be linked into a caller running on an older CPU. The choice among them
# is made at run time (csrc/dispatch.cpp); nothing here depends on the build machine's CPU.
#
# Every target is compiled without floating-point contraction: an fma appears only where the
# kernel writes std::fma, so all targets produce bit-identical values.

if(MSVC)
    set(FASTINIT_FP_FLAGS /fp:precise)
    set(FASTINIT_NOVEC_FLAGS)
else()
    set(FASTINIT_FP_FLAGS -ffp-contract=off -fno-math-errno -fno-trapping-math)
    set(FASTINIT_NOVEC_FLAGS -fno-tree-vectorize -fno-tree-slp-vectorize)
    if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
        set(FASTINIT_NOVEC_FLAGS -fno-vectorize -fno-slp-vectorize)
    endif()
endif()

# The target architecture: on macOS the one being built for (cibuildwheel cross-compiles arm64
# on x86_64 hosts), which must be a single one - a universal2 binary would pass x86 flags to
# the arm64 half.
set(_fastinit_arch "${CMAKE_SYSTEM_PROCESSOR}")
if(APPLE AND CMAKE_OSX_ARCHITECTURES)
    list(LENGTH CMAKE_OSX_ARCHITECTURES _fastinit_n_arch)
    if(_fastinit_n_arch GREATER 1)
        message(
            FATAL_ERROR
            "fastinit builds one architecture per binary; got CMAKE_OSX_ARCHITECTURES="
            "${CMAKE_OSX_ARCHITECTURES} (build x86_64 and arm64 wheels separately)"
        )
    endif()
    set(_fastinit_arch "${CMAKE_OSX_ARCHITECTURES}")
endif()
string(TOLOWER "${_fastinit_arch}" _fastinit_arch)
if(_fastinit_arch MATCHES "^(x86_64|amd64|x64)$")
    set(FASTINIT_ARCH_X86 ON)
elseif(_fastinit_arch MATCHES "^(aarch64|arm64)$")
    set(FASTINIT_ARCH_ARM64 ON)
endif()

add_library(fastinit_kernels INTERFACE)

function(fastinit_add_kernel target)
    set(lib fastinit_kernels_${target})
    add_library(${lib} OBJECT csrc/kernels_${target}.cpp)
    target_include_directories(${lib} PRIVATE ${PROJECT_SOURCE_DIR}/csrc)
    target_compile_options(${lib} PRIVATE ${FASTINIT_FP_FLAGS} ${ARGN})
    if(NOT MSVC)
        target_compile_options(${lib} PRIVATE -O3 -fvisibility=hidden)
    endif()
    target_sources(fastinit_kernels INTERFACE $<TARGET_OBJECTS:${lib}>)
    target_compile_definitions(
        fastinit_kernels
        INTERFACE FASTINIT_HAVE_${target}=1
    )
endfunction()

fastinit_add_kernel(scalar ${FASTINIT_NOVEC_FLAGS})
if(FASTINIT_ARCH_X86)
    if(MSVC)
        fastinit_add_kernel(avx2 /arch:AVX2)
        fastinit_add_kernel(avx512 /arch:AVX512)
    else()
        fastinit_add_kernel(avx2 -mavx2 -mfma -mbmi2 -mf16c -maes -mprefer-vector-width=256)
        # AVX2 with VAES (Zen 3, Alder Lake): version 2's AES rounds on two blocks per register
        fastinit_add_kernel(avx2_vaes -mavx2 -mfma -mbmi2 -mf16c -maes -mvaes -mprefer-vector-width=256)
        fastinit_add_kernel(avx512 -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma
                            -mbmi2 -mf16c -maes -mprefer-vector-width=512
        )
        # AVX-512 with VAES (Ice Lake, Zen 4): version 2's AES rounds on four blocks per register
        fastinit_add_kernel(avx512_vaes -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma
                            -mbmi2 -mf16c -maes -mvaes -mprefer-vector-width=512
        )
    endif()
elseif(FASTINIT_ARCH_ARM64)
    fastinit_add_kernel(neon)
    if(NOT MSVC)
        # with Armv8's AES instructions (+crypto: AES and SHA-2; most AArch64 CPUs, not every A72 or A53)
        fastinit_add_kernel(neon_aes -march=armv8-a+crypto)
    endif()
endif()
