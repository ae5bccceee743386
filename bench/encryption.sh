#!/usr/bin/env bash
# Encrypted (format 3) against plaintext (format 2) repositories, measured in the same run on the
# same simulated CA (issue 17): a first full backup, a second full of a barely changed database,
# and an export of that second full. Each figure is the median of --rounds runs; the two modes
# alternate within a round so that drift of the machine's load hits both alike.
#
#   BUILD_DIR=build bench/encryption.sh [--db-size 256MiB] [--issue 20] [--rounds 3] [--work DIR]
#
# Key slots use the cheapest Argon2id (CERTVAULT_TEST_KDF=fast): the figures are the data path;
# opening a default slot adds a constant ~0.5 s per command (`certvault-bench aead` measures it).
# Needs a built tree (certvault, casim, libcertadm_sim.so) and python3. Prints the figures, then
# one JSON line.
set -euo pipefail
db_size=256MiB
issue=20
rounds=3
work=${TMPDIR:-/tmp}/certvault-bench-encryption
while [ $# -gt 0 ]; do
  case $1 in
    --db-size) db_size=$2; shift 2 ;;
    --issue) issue=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
build=$(cd "$(dirname "$0")/.." && cd "${BUILD_DIR:-build}" && pwd)
certvault=$build/cli/certvault casim=$build/sim/casim library=$build/sim/libcertadm_sim.so
export CERTVAULT_PASSWORD="bench passphrase" CERTVAULT_TEST_KDF=fast
rm -rf "$work" && mkdir -p "$work" && cd "$work"

"$casim" init ca --ca-name BenchCA --db-size "$db_size" --seed 7 >/dev/null
"$casim" issue ca --count 200 >/dev/null

seconds() { local start=$1; python3 -c "import time,sys; print(f'{time.time() - float(sys.argv[1]):.3f}')" "$start"; }
now() { python3 -c 'import time; print(time.time())'; }

declare -A times
one_run() {  # MODE ROUND
  local mode=$1 round=$2 init_args=() start
  [ "$mode" = plaintext ] && init_args=(--insecure-no-encryption)
  rm -rf "ca-$mode" "repo-$mode" "out-$mode"
  cp -a ca "ca-$mode"
  "$certvault" init --repo "repo-$mode" "${init_args[@]}" >/dev/null
  sync
  start=$(now)
  "$certvault" backup --repo "repo-$mode" --server "ca-$mode" --library "$library" --type full --keep-logs >/dev/null
  times[$mode,first,$round]=$(seconds "$start")
  "$casim" issue "ca-$mode" --count "$issue" >/dev/null
  sync
  start=$(now)
  "$certvault" backup --repo "repo-$mode" --server "ca-$mode" --library "$library" --type full --keep-logs >/dev/null
  times[$mode,second,$round]=$(seconds "$start")
  sync
  start=$(now)
  "$certvault" export latest --repo "repo-$mode" --to "out-$mode" >/dev/null
  times[$mode,export,$round]=$(seconds "$start")
}

for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then order=(plaintext encrypted); else order=(encrypted plaintext); fi
  for mode in "${order[@]}"; do one_run "$mode" "$round"; done
  echo "round $round: plaintext first ${times[plaintext,first,$round]} s, second ${times[plaintext,second,$round]} s, export ${times[plaintext,export,$round]} s;" \
    "encrypted first ${times[encrypted,first,$round]} s, second ${times[encrypted,second,$round]} s, export ${times[encrypted,export,$round]} s"
done
# The two CA copies live in different folders (restore-map paths, headers differ): the exports must
# hold the same files; their bytes are compared with the CA by the tests, not here.
cmp -s <(cd out-plaintext && find . -type f | sort) <(cd out-encrypted && find . -type f | sort) ||
  { echo "bench/encryption.sh: the two exports hold different files" >&2; exit 1; }

median() {  # MODE STEP
  local values=() round
  for ((round = 1; round <= rounds; round++)); do values+=("${times[$1,$2,$round]}"); done
  printf '%s\n' "${values[@]}" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}
json="{\"db_size\": \"$db_size\", \"rounds\": $rounds"
for step in first second export; do
  p=$(median plaintext "$step") e=$(median encrypted "$step")
  ratio=$(awk -v p="$p" -v e="$e" 'BEGIN{printf "%.1f", 100 * p / e}')
  echo "$step: plaintext $p s, encrypted $e s (medians of $rounds): encrypted runs at $ratio% of the plaintext speed"
  json+=", \"${step}_plaintext_s\": $p, \"${step}_encrypted_s\": $e, \"${step}_speed_percent\": $ratio"
done
echo "$json}"
