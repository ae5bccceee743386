#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 60).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Each run starts from the committed seeds (tests/fuzz/corpus/<target>, read only) and keeps what
# it finds in build-fuzz/corpus/fuzz_<target>; crashes are written to build-fuzz/crashes/ (add a
# fixed one to tests/fuzz/corpus/ so fuzz_replay_tests keeps replaying it). Exit 1 on a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
scripts/install-deps.sh
if ! command -v clang++ >/dev/null || [ ! -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ]; then
  sudo=(); [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
fi
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCERTVAULT_FUZZ=ON \
  -DCERTVAULT_BENCH=OFF >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd tests/fuzz && ls fuzz_*.cc | grep -v replay | sed 's/\.cc$//')
fi
cmake --build build-fuzz --target "${targets[@]}" -j"$(nproc)"
mkdir -p build-fuzz/crashes
# Undefined behaviour is a finding, not a note in the log; a smaller quarantine keeps ASan's freed
# memory from tripping libFuzzer's RSS limit on targets that allocate per input.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS="quarantine_size_mb=64${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
failed=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  echo "== $t (${seconds}s)"
  if ! build-fuzz/tests/fuzz/"$t" -max_total_time="$seconds" -artifact_prefix=build-fuzz/crashes/"$t"- \
    "build-fuzz/corpus/$t" "tests/fuzz/corpus/${t#fuzz_}" >"build-fuzz/$t.log" 2>&1; then
    failed=1
    grep -E "ERROR|SUMMARY|Test unit written" "build-fuzz/$t.log" || tail -n 20 "build-fuzz/$t.log"
  fi
  tail -n 3 "build-fuzz/$t.log"
done
exit "$failed"
