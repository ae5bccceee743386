#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors (CERTVAULT_WERROR), and runs every
# test (ctest).
#   scripts/test.sh              # normal build in ./build (BUILD_TYPE, default RelWithDebInfo)
#   scripts/test.sh --sanitize   # ASan+UBSan build in ./build-asan
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ "${1:-}" = "--sanitize" ]; then
  export BUILD_DIR=build-asan
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  scripts/build.sh -DCERTVAULT_SANITIZE=ON -DCERTVAULT_BENCH=OFF -DCERTVAULT_WERROR=ON
else
  export BUILD_DIR=build
  scripts/build.sh -DCERTVAULT_WERROR=ON
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)" --timeout 900
