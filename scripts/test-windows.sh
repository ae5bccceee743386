#!/usr/bin/env bash
# Builds the Windows programs (scripts/build-windows.sh) and the Linux build, then runs the wine
# integration test (tests/windows/wine_integration.sh) in a fresh wine prefix inside the Windows
# build folder.
#   scripts/test-windows.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${WINDOWS_BUILD_DIR:-build-windows}
CERTVAULT_WINE=1 scripts/build-windows.sh -DCERTVAULT_WERROR=ON
BUILD_DIR=${LINUX_BUILD_DIR:-build} scripts/build.sh
tests/windows/wine_integration.sh "$BUILD_DIR" "${LINUX_BUILD_DIR:-build}"
