#!/usr/bin/env bash
# Portable binary, proven: the same build run in-process under qemu-user with old x86-64 CPU
# models (Nehalem: no AVX; SandyBridge: AVX without AVX2; Haswell: AVX2) must choose a lower
# instruction set and still produce values bit-identical to the native run; the AArch64 kernels,
# cross-compiled, must match the scalar ones under qemu-aarch64 and give the same fingerprint as
# x86-64. Needs Debian's qemu-user and g++-aarch64-linux-gnu; skips (exit 0, saying so) without.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
if ! command -v qemu-x86_64 >/dev/null; then
  echo "portable: qemu-user not installed; skipped"
  exit 0
fi
native=$($PY .ci/fingerprint.py)
echo "native:      $native"
PYBIN=$($PY -c 'import sys; print(sys.executable)')
# NumPy's bundled OpenBLAS can misread the emulated CPU (it chose Haswell kernels under
# -cpu Nehalem on a Zen 5 host, and `import numpy` died of SIGILL): pin its kernels to the
# oldest model here. fastinit's own dispatch is what this script checks, and it uses no BLAS.
export OPENBLAS_CORETYPE=Nehalem
for cpu in Nehalem SandyBridge Haswell; do
  emulated=$(qemu-x86_64 -cpu "$cpu" "$PYBIN" .ci/fingerprint.py)
  echo "$cpu: $emulated"
  [ "$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["sha256"])' "$native")" = \
    "$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["sha256"])' "$emulated")" ] || {
    echo "portable: values under -cpu $cpu differ from the native run"; exit 1; }
done
expect_isa() {  # the ISA chosen under each CPU model
  got=$(qemu-x86_64 -cpu "$1" "$PYBIN" -c 'import fastinit; print(fastinit.info()["isa"])')
  [ "$got" = "$2" ] || { echo "portable: -cpu $1 chose $got, expected $2"; exit 1; }
}
expect_isa Nehalem scalar
expect_isa SandyBridge scalar
expect_isa Haswell avx2

if command -v aarch64-linux-gnu-g++ >/dev/null && command -v qemu-aarch64 >/dev/null; then
  out=build/aarch64
  mkdir -p "$out"
  flags=(-std=c++17 -O2 -static -pthread -Icsrc -ffp-contract=off -fno-math-errno -fno-trapping-math
         -DFASTINIT_HAVE_scalar=1 -DFASTINIT_HAVE_neon=1 -DFASTINIT_HAVE_neon_aes=1)
  aarch64-linux-gnu-g++ "${flags[@]}" -fno-tree-vectorize -fno-tree-slp-vectorize -c csrc/kernels_scalar.cpp -o "$out/ks.o"
  aarch64-linux-gnu-g++ "${flags[@]}" -O3 -c csrc/kernels_neon.cpp -o "$out/kn.o"
  aarch64-linux-gnu-g++ "${flags[@]}" -O3 -march=armv8-a+crypto -c csrc/kernels_neon_aes.cpp -o "$out/kna.o"
  # the engine's sources: every csrc/*.cpp but the Python bindings and the per-ISA kernels
  mapfile -t engine < <(ls csrc/*.cpp | grep -v -e '/register_' -e '/module.cpp' -e '/kernels_')
  aarch64-linux-gnu-g++ "${flags[@]}" csrc/tests/engine_tests.cpp "${engine[@]}" "$out/ks.o" "$out/kn.o" \
    "$out/kna.o" -o "$out/engine_tests"
  # qemu's default CPU has the AES instructions, so all three AArch64 targets must run
  result=$(qemu-aarch64 "$out/engine_tests" | tee /dev/stderr | tail -n 1)
  case "$result" in
    *"ISAs: neon_aes neon scalar)") ;;
    *) echo "portable: expected the neon_aes, neon and scalar targets: $result"; exit 1 ;;
  esac
  arm=$(qemu-aarch64 "$out/engine_tests" --fingerprint)
  x86=$(build/cpp-tests/fastinit_engine_tests --fingerprint)
  echo "aarch64 $arm / x86-64 $x86"
  [ "$arm" = "$x86" ] || { echo "portable: AArch64 values differ from x86-64"; exit 1; }
else
  echo "portable: aarch64 cross compiler or qemu-aarch64 missing; NEON check skipped"
fi
echo "portable: ok"
