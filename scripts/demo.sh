#!/usr/bin/env bash
# The main job: installs what is missing, builds, and shows certvault at work.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=build scripts/build.sh
bin=build
echo "== chunking 256 MiB of random data (content-defined, FastCDC family) =="
"$bin"/bench/certvault-bench chunker --size-mib 256
