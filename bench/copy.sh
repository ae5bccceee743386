#!/usr/bin/env bash
# `certvault copy` against the backups it copies, measured in the same run on the same simulated CA
# (issue 18, item 3). A series full, incremental, incremental, full, incremental of an M MiB CA
# (certificates issued between them) is backed up into an encrypted source repository: those
# backups are the baseline ("a fresh backup of the same data"). Then `copy --all` into an empty
# encrypted repository under another passphrase, and a second `copy --all` (which must add
# nothing). Each figure is the median of --rounds runs; peak RSS from /usr/bin/time when present.
#
#   BUILD_DIR=build-rel bench/copy.sh [--db-size 256MiB] [--issue 20] [--rounds 3] [--work DIR]
#
# Key slots use the cheapest Argon2id (CERTVAULT_TEST_KDF=fast). Needs a built tree (certvault,
# casim, libcertadm_sim.so) and python3. Prints the figures, then one JSON line.
set -euo pipefail
db_size=256MiB
issue=20
rounds=3
work=${TMPDIR:-/tmp}/certvault-bench-copy
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
export CERTVAULT_TEST_KDF=fast
source_pass="bench source passphrase" target_pass="bench offsite passphrase"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$casim" init ca-template --ca-name BenchCA --db-size "$db_size" --seed 7 >/dev/null
"$casim" issue ca-template --count 200 >/dev/null

now() { python3 -c 'import time; print(time.time())'; }
seconds() { python3 -c "import time,sys; print(f'{time.time() - float(sys.argv[1]):.3f}')" "$1"; }
timed() {  # RSS_FILE COMMAND...: runs it, peak RSS (KiB) into RSS_FILE when /usr/bin/time exists
  local rss=$1; shift
  if [ -x /usr/bin/time ]; then /usr/bin/time -f %M -o "$rss" "$@"; else echo 0 >"$rss"; "$@"; fi
}
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
added_sum() {  # REPO PASSPHRASE: sum of the snapshots' added bytes
  CERTVAULT_PASSWORD=$2 "$certvault" snapshots --json --repo "$1" |
    python3 -c 'import json,sys; print(sum(s["added_bytes"] for s in json.load(sys.stdin)))'
}

declare -A v
one_round() {  # ROUND
  local r=$1 start total=0 type
  rm -rf ca source offsite
  cp -a ca-template ca
  CERTVAULT_PASSWORD=$source_pass "$certvault" init --repo source >/dev/null
  CERTVAULT_PASSWORD=$target_pass "$certvault" init --repo offsite >/dev/null
  for type in full incremental incremental full incremental; do
    sync
    start=$(now)
    CERTVAULT_PASSWORD=$source_pass "$certvault" backup --repo source --server ca --library "$library" --type $type >/dev/null
    total=$(python3 -c "print(f'{$total + $(seconds "$start"):.3f}')")
    "$casim" issue ca --count "$issue" >/dev/null
  done
  v[backup_s,$r]=$total
  v[backup_added,$r]=$(added_sum source "$source_pass")
  sync
  start=$(now)
  CERTVAULT_FROM_PASSWORD=$source_pass CERTVAULT_PASSWORD=$target_pass \
    timed rss1 "$certvault" copy --all --from source --to offsite --json >copy1.json
  v[copy_s,$r]=$(seconds "$start")
  v[copy_added,$r]=$(json_field bytes_added <copy1.json)
  v[copy_read,$r]=$(json_field bytes_read <copy1.json)
  v[copy_rss_kib,$r]=$(cat rss1)
  sync
  start=$(now)
  CERTVAULT_FROM_PASSWORD=$source_pass CERTVAULT_PASSWORD=$target_pass \
    "$certvault" copy --all --from source --to offsite --json >copy2.json
  v[again_s,$r]=$(seconds "$start")
  v[again_added,$r]=$(json_field bytes_added <copy2.json)
  [ "$(json_field copied <copy2.json)" = 0 ] || { echo "bench/copy.sh: the second copy copied snapshots" >&2; exit 1; }
  v[source_bytes,$r]=$(du -sb --exclude=catalog.db source | cut -f1)
  v[offsite_bytes,$r]=$(du -sb --exclude=catalog.db offsite | cut -f1)
  echo "round $r: backups ${v[backup_s,$r]} s added ${v[backup_added,$r]} B; copy ${v[copy_s,$r]} s" \
    "read ${v[copy_read,$r]} B added ${v[copy_added,$r]} B peak RSS ${v[copy_rss_kib,$r]} KiB;" \
    "second copy ${v[again_s,$r]} s added ${v[again_added,$r]} B; objects: source ${v[source_bytes,$r]} B, offsite ${v[offsite_bytes,$r]} B"
}
for ((r = 1; r <= rounds; r++)); do one_round "$r"; done
# The last round's copy must export what the source exports, snapshot by snapshot.
for id in $(CERTVAULT_PASSWORD=$source_pass "$certvault" snapshots --json --repo source |
  python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))'); do
  rm -rf a b
  CERTVAULT_PASSWORD=$source_pass "$certvault" export "$id" --repo source --to a >/dev/null
  CERTVAULT_PASSWORD=$target_pass "$certvault" export "$id" --repo offsite --to b >/dev/null
  diff -r a b >/dev/null || { echo "bench/copy.sh: snapshot $id exports differently from the copy" >&2; exit 1; }
done

median() {
  local values=() r
  for ((r = 1; r <= rounds; r++)); do values+=("${v[$1,$r]}"); done
  printf '%s\n' "${values[@]}" | sort -g | awk '{x[NR]=$1} END {print x[int((NR+1)/2)]}'
}
json="{\"db_size\": \"$db_size\", \"rounds\": $rounds"
for key in backup_s backup_added copy_s copy_read copy_added copy_rss_kib again_s again_added source_bytes offsite_bytes; do
  json+=", \"$key\": $(median $key)"
done
bs=$(median backup_s) cs=$(median copy_s) ba=$(median backup_added) ca=$(median copy_added)
echo "copy of the series: $cs s against $bs s for the backups that made it ($(awk -v b="$bs" -v c="$cs" 'BEGIN{printf "%.1f", 100*c/b}')% of their time);" \
  "added $ca B against $ba B ($(awk -v b="$ba" -v c="$ca" 'BEGIN{printf "%.1f", 100*c/b}')%); second copy $(median again_s) s, added $(median again_added) B"
echo "$json}"
