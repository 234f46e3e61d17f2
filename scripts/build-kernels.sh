#!/bin/sh
# Builds src/model/kernels/kernels.wasm from the C sources beside it with Debian's clang and lld
# (`apt-get install clang lld`; version 14 in Debian 12). The same compiler version gives the same
# bytes: test/model/kernels-build.test.ts rebuilds and compares when clang is present.
#   -msimd128        128-bit SIMD (every Node >= 16.4 runs it)
#   -mbulk-memory    memory.fill/copy instead of calls to a memset this module does not have
#   --import-memory  the module lives in tfjs-wasm's memory (src/model/kernels/module.ts)
# The module must own no memory: the check below fails the build when the code uses the stack
# pointer (a global) or carries data, either of which would write over tfjs-wasm's heap.
set -eu
cd "$(dirname "$0")/../src/model/kernels"
CLANG=${CLANG:-clang}
OUT=${1:-kernels.wasm}
"$CLANG" --target=wasm32 -O3 -msimd128 -mbulk-memory -nostdlib -Wall -Wextra -Werror \
  -Wl,--no-entry -Wl,--import-memory -Wl,--initial-memory=65536 -Wl,-z,stack-size=0 -Wl,--strip-all \
  -o "$OUT" conv.c winograd.c pool.c elementwise.c batchnorm.c gemm.c adam.c
OBJDUMP=${OBJDUMP:-llvm-objdump}
if command -v "$OBJDUMP" >/dev/null 2>&1; then
  if "$OBJDUMP" -d "$OUT" | grep -q 'global\.[gs]et'; then
    echo "build-kernels: $OUT uses a global (the stack pointer): a kernel has a local array or takes a local's address" >&2
    exit 1
  fi
  if "$OBJDUMP" -h "$OUT" | grep -q ' DATA '; then
    echo "build-kernels: $OUT has a data section: kernels must not have static data" >&2
    exit 1
  fi
fi
echo "built $OUT ($(wc -c <"$OUT") bytes)"
