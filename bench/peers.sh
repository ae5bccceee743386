#!/usr/bin/env bash
# certvault against restic, borg, zpaq, bup and casync on a simulated CA history,
# with the page-level storage ideal (docs/benchmarks.md, "Against restic, borg and zpaq").
#
#   bench/peers.sh                 # 1 GiB database, 12 generations, ~0.5% of pages per generation
#   bench/peers.sh --tiny          # 16 MiB, 3 generations: a smoke run (results stay in the work folder)
#   bench/peers.sh --db-size 4GiB --generations 6 --pages-percent 1 --work /var/tmp/peers
#
# Each generation: casim issues enough certificates to touch the given share of
# pages (about 3 pages per certificate) and publishes a CRL; certvault takes a full
# backup through the Certadm API (simulated library); restic, borg, zpaq, bup and
# casync each back up the folder certutil -backupDB would write (see copy_database).
# Every step runs alone, under /usr/bin/time. Writes a CSV, a PNG plot (gnuplot)
# and a markdown summary.
set -euo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
db_size=1GiB
generations=12
pages_percent=0.5
work=""
csv=""
png=""
summary=""
tiny=0
keep=0
restore_runs=3
build_dir=${BUILD_DIR:-$repo_root/build}
case "$build_dir" in /*) ;; *) build_dir=$PWD/$build_dir ;; esac  # the script changes folders later

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  cat <<EOF
options:
  --tiny                 16 MiB database, 3 generations; outputs go to the work folder
  --db-size SIZE         casim init --db-size (default $db_size)
  --generations N        full backups taken by every tool (default $generations)
  --pages-percent P      share of the database's pages touched per generation (default $pages_percent)
  --work DIR             work folder (CA, repositories, restores); default: a new folder under \${TMPDIR:-/tmp}
  --csv FILE             default bench/results/peers.csv (--tiny: WORK/peers.csv)
  --png FILE             default docs/img/peers-size.png (--tiny: WORK/peers-size.png)
  --summary FILE         markdown summary; default WORK/peers.md
  --restore-runs N       restores of the last snapshot per tool, for the median (default $restore_runs)
  --keep                 keep the work folder (default: delete the CA, repositories and restores at the end)
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --tiny) tiny=1; db_size=16MiB; generations=3 ;;
    --db-size) db_size=$2; shift ;;
    --generations) generations=$2; shift ;;
    --pages-percent) pages_percent=$2; shift ;;
    --work) work=$2; shift ;;
    --csv) csv=$2; shift ;;
    --png) png=$2; shift ;;
    --summary) summary=$2; shift ;;
    --keep) keep=1 ;;
    --restore-runs) restore_runs=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "peers.sh: unknown argument '$1' (--help lists the options)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$generations" =~ ^[1-9][0-9]*$ ]] || { echo "peers.sh: --generations needs a positive integer, got '$generations'" >&2; exit 2; }
[[ "$restore_runs" =~ ^[1-9][0-9]*$ ]] || { echo "peers.sh: --restore-runs needs a positive integer, got '$restore_runs'" >&2; exit 2; }

log() { printf '[peers %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() { echo "peers.sh: $*" >&2; exit 1; }

# ---- tools -----------------------------------------------------------------
install_missing() {
  local missing=() p
  for p in restic borgbackup zpaq bup casync gnuplot-nox time zstd; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "need root or sudo to install: ${missing[*]}"
    sudo=(sudo)
  fi
  log "installing ${missing[*]} from Debian"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Configures a missing build folder, then brings the four targets up to date
# (a no-op when they are), so a stale build never lacks `certvault-bench ideal`.
build_certvault() {
  local targets=(certvault casim certadm_sim certvault-bench)
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    "$repo_root/scripts/install-deps.sh"
    cmake -S "$repo_root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  log "building ${targets[*]} in $build_dir (if out of date)"
  cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}" >/dev/null
}

install_missing
build_certvault
certvault=$build_dir/cli/certvault
casim=$build_dir/sim/casim
simlib=$build_dir/sim/libcertadm_sim.so
bench=$build_dir/bench/certvault-bench

# ---- folders and outputs ---------------------------------------------------
if [ -z "$work" ]; then work=$(mktemp -d "${TMPDIR:-/tmp}/certvault-peers.XXXXXX"); fi
mkdir -p "$work"
work=$(cd "$work" && pwd)
if [ $tiny -eq 1 ]; then
  csv=${csv:-$work/peers.csv}
  png=${png:-$work/peers-size.png}
else
  csv=${csv:-$repo_root/bench/results/peers.csv}
  png=${png:-$repo_root/docs/img/peers-size.png}
fi
summary=${summary:-$work/peers.md}
mkdir -p "$(dirname "$csv")" "$(dirname "$png")"
ca=$work/ca                 # the simulated CA
input=$work/input           # the folder the peers back up (certutil -backupDB layout)
repos=$work/repos
restores=$work/restore
timing=$work/time.txt
rm -rf "$ca" "$input" "$repos" "$restores"
mkdir -p "$repos" "$restores" "$work/home"
ca_name="Peers Bench CA"

# Peers keep their caches and configuration inside the work folder.
export RESTIC_PASSWORD=certvault-bench   # restic always encrypts; the password is required and noted
export RESTIC_CACHE_DIR=$work/home/restic-cache
export BORG_BASE_DIR=$work/home
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
export BORG_DELETE_I_KNOW_WHAT_I_AM_DOING=YES
export BUP_DIR=$repos/bup                # bup's own index (a client-side cache) goes to $bup_index
bup_index=$work/home/bupindex

echo "tool,step,generation,wall_s,cpu_s,peak_rss_kib,repo_bytes,input_bytes,ok,note" >"$csv"

# measured TOOL STEP GEN NOTE -- command...: runs the command under GNU time,
# appends a CSV row (repository size measured afterwards), keeps its output in WORK/logs.
mkdir -p "$work/logs"
measured() {
  local tool=$1 step=$2 gen=$3 note=$4
  shift 5
  local out=$work/logs/$tool-$step-$gen.out ok=1
  # Untimed: the previous step's dirty pages are not this step's to write back
  # (except for restore_sync, whose job is exactly that).
  [ "$step" = restore_sync ] || sync
  if ! /usr/bin/time -f '%e %U %S %M' -o "$timing" "$@" >"$out" 2>&1; then
    ok=0
    log "$tool $step (generation $gen) FAILED: $* (output: $out)"
    tail -5 "$out" >&2
  fi
  local wall user sys rss
  read -r wall user sys rss < <(tail -1 "$timing")
  local size
  size=$(repo_size "$tool")
  local input_bytes=""  # certvault reads the CA itself, not the folder
  [ "$tool" = certvault ] || input_bytes=$(folder_bytes "$input")
  printf '%s,%s,%s,%s,%.2f,%s,%s,%s,%s,%s\n' "$tool" "$step" "$gen" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN{print u + s}')" \
    "$rss" "$size" "$input_bytes" "$ok" "$note" >>"$csv"
  log "$tool $step gen $gen: ${wall}s wall, ${user}+${sys}s cpu, ${rss} KiB peak, repo $size bytes"
  return 0
}

folder_bytes() { if [ -e "$1" ]; then du -sb "$1" | cut -f1; else echo 0; fi; }

repo_size() {
  case "$1" in
    certvault) du -sb "$repos/certvault" | cut -f1 ;;
    restic) du -sb "$repos/restic" | cut -f1 ;;
    borg) du -sb "$repos/borg" | cut -f1 ;;
    zpaq) if [ -e "$repos/zpaq.zpaq" ]; then du -sb "$repos/zpaq.zpaq" | cut -f1; else echo 0; fi ;;
    bup) du -sb "$repos/bup" | cut -f1 ;;
    # The chunk store and every .caidx index. Like restic's data/, the store keeps
    # its chunks in folders (one per 4-hex-digit prefix, up to 65536), and du -sb
    # counts each folder's 4 KiB as it does for every other tool.
    casync) du -sb "$repos/casync" | cut -f1 ;;
  esac
}

# The folder certutil -backupDB writes: DataBase/<CA>.edb, the logs the backup
# holds (genLow..genHigh) and certbkxp.dat (the restore map: here the UTF-16LE
# multi-string CertSrvRestoreGetDatabaseLocationsW returns), plus the dynamic files
# under Dynamic/ as certvault stores them. The files are copied from the CA's
# folder while the CA is idle, independently of the tool under test (certvault's
# export of the last snapshot is compared with them at the end): the database just
# before certvault's backup (CertSrvBackupEnd then records the backup in its
# header, and the log roll refreshes it, so a later copy would differ from what the
# API delivered), the logs and dynamic files just after it (the backup closes
# edb.log as its last generation). Logs are copied with -p and the database is
# rewritten in place, so the peers' file caches (mtime, inode) see what they would
# see when certutil refreshes one folder.
copy_database() {
  mkdir -p "$input/DataBase"
  cp -p "$ca/CertLog/$ca_name.edb" "$input/DataBase/$ca_name.edb"
}

copy_logs_and_dynamic_files() {
  local low=$1 high=$2 g name
  mkdir -p "$input/DataBase" "$input/Dynamic"
  for f in "$input"/DataBase/edb*.log; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .log)
    g=$((16#${name#edb}))
    if [ "$g" -lt "$low" ] || [ "$g" -gt "$high" ]; then rm -f "$f"; fi
  done
  for ((g = low; g <= high; g++)); do
    name=$(printf 'edb%05X.log' "$g")
    [ -e "$input/DataBase/$name" ] || cp -p "$ca/CertLog/$name" "$input/DataBase/$name"
  done
  cp -p "$ca"/CertEnroll/* "$input/Dynamic/"
  { printf '\xc2\x82%s\0\xc2\x83%s\0D%s\0\0' "$ca/CertLog" "$ca/CertLog" "$ca/CertLog/$ca_name.edb"; } |
    iconv -f UTF-8 -t UTF-16LE >"$input/DataBase/certbkxp.dat"
}

json_field() { sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p" | tail -1; }

# ---- the history -----------------------------------------------------------
log "work folder $work; database $db_size, $generations generations, ${pages_percent}% of pages each"
"$casim" init "$ca" --ca-name "$ca_name" --db-size "$db_size" >/dev/null
db_pages=$(($(stat -c %s "$ca/CertLog/$ca_name.edb") / 8192 - 2))
certificates=$(awk -v p="$db_pages" -v f="$pages_percent" 'BEGIN{printf "%d", p * f / 100 / 3}')
[ "$certificates" -ge 1 ] || certificates=1
log "$db_pages data pages; $certificates certificates per generation"

# Encrypted, as restic is (borg runs without encryption: its figures are the upper bound).
export CERTVAULT_PASSWORD=${CERTVAULT_PASSWORD:-bench passphrase}
"$certvault" init --repo "$repos/certvault" >/dev/null
restic -r "$repos/restic" init --repository-version 2 >/dev/null
borg init --encryption none "$repos/borg" >/dev/null
bup init >/dev/null 2>&1  # bup (git packs, zlib -1) and casync (zstd chunks) do not encrypt either
mkdir -p "$repos/casync/index"  # casync: one shared chunk store ($repos/casync/store), one .caidx per generation
ideal_total=0
previous_high=0

for ((gen = 1; gen <= generations; gen++)); do
  if [ "$gen" -gt 1 ]; then
    "$casim" issue "$ca" --count "$certificates" >/dev/null
  fi
  "$casim" crl "$ca" >/dev/null
  "$casim" changed-pages "$ca" >"$work/changed-pages.txt"
  "$casim" changed-pages "$ca" --reset >/dev/null

  copy_database
  measured certvault backup "$gen" "" -- "$certvault" backup --repo "$repos/certvault" --server "$ca" \
    --library "$simlib" --type full --json
  backup_json=$(cat "$work/logs/certvault-backup-$gen.out")
  low=$(echo "$backup_json" | json_field low)
  high=$(echo "$backup_json" | json_field high)
  { [ -n "$low" ] && [ -n "$high" ]; } || fail "certvault backup of generation $gen gave no log range: $backup_json"
  copy_logs_and_dynamic_files "$low" "$high"

  # The ideal: the first backup stores every page; later ones the pages casim
  # wrote since the previous backup. Plus the logs no earlier backup held.
  new_logs=()
  for ((g = (low > previous_high ? low : previous_high + 1); g <= high; g++)); do
    new_logs+=("$input/DataBase/$(printf 'edb%05X.log' "$g")")
  done
  if [ "$gen" -eq 1 ]; then pages_args=(--all-pages); else pages_args=(--pages "$work/changed-pages.txt"); fi
  ideal_json=$("$bench" ideal --database "$input/DataBase/$ca_name.edb" "${pages_args[@]}" --files "${new_logs[@]}" | tail -1)
  ideal_step=$(echo "$ideal_json" | json_field total_bytes)
  changed=$(echo "$ideal_json" | json_field pages)
  ideal_total=$((ideal_total + ideal_step))
  echo "ideal,backup,$gen,,,,$ideal_total,$(folder_bytes "$input"),1,$changed pages + ${#new_logs[@]} logs" >>"$csv"
  previous_high=$high

  cd "$work"
  measured restic backup "$gen" "" -- restic -r "$repos/restic" backup --host peers "$input"
  measured borg backup "$gen" "" -- borg create "$repos/borg::g$gen" input
  measured zpaq backup "$gen" "" -- zpaq add "$repos/zpaq.zpaq" input
  # bup: index then save (content-defined chunks of about 8 KiB, bup's default), saved as /input.
  # shellcheck disable=SC2016 # $1.. are expanded by sh
  measured bup backup "$gen" "index + save" -- sh -c 'bup index -f "$1" "$2" && bup save -f "$1" -n peers --strip-path "$3" "$2"' \
    sh "$bup_index" "$input" "$work"
  measured casync backup "$gen" "" -- casync make --chunk-size=2048:8192:32768 --store="$repos/casync/store" \
    "$repos/casync/index/g$gen.caidx" input
  cd "$repo_root"
done

# ---- after the last generation ---------------------------------------------
last=$generations
measured certvault list "$last" "" -- "$certvault" snapshots --repo "$repos/certvault"
measured restic list "$last" "" -- restic -r "$repos/restic" snapshots
measured borg list "$last" "" -- borg list "$repos/borg"
measured zpaq list "$last" "versions and files (zpaq list -all)" -- zpaq list "$repos/zpaq.zpaq" -all
measured bup list "$last" "saves (bup ls peers)" -- bup ls peers
measured casync list "$last" "the .caidx index files (ls -l)" -- ls -l "$repos/casync/index"

# Restores of the last snapshot, restore_runs times each (medians in the summary).
# certvault export fsyncs every file it writes; the peers do not, so each restore
# is followed by a separate, timed fsync of the restored files (sync FILE...) and
# the summary reports both the tool alone and restore + fsync.
restore_once() {
  local tool=$1 run=$2
  rm -rf "${restores:?}/$tool"
  mkdir -p "$restores/$tool"
  case "$tool" in
    certvault)
      measured certvault restore "$last" "run $run" -- "$certvault" export latest --repo "$repos/certvault" \
        --to "$restores/certvault" ;;
    restic) measured restic restore "$last" "run $run" -- restic -r "$repos/restic" restore latest --target "$restores/restic" ;;
    borg) (cd "$restores/borg" && measured borg restore "$last" "run $run" -- borg extract "$repos/borg::g$last") ;;
    zpaq) (cd "$work" && measured zpaq restore "$last" "run $run" -- zpaq extract "$repos/zpaq.zpaq" input -to "$restores/zpaq/input") ;;
    bup) measured bup restore "$last" "run $run" -- bup restore -C "$restores/bup" peers/latest/input ;;
    casync)
      measured casync restore "$last" "run $run" -- casync extract --store="$repos/casync/store" \
        "$repos/casync/index/g$last.caidx" "$restores/casync/input" ;;
  esac
  # shellcheck disable=SC2016 # $1 is expanded by sh
  measured "$tool" restore_sync "$last" "run $run" -- sh -c 'find "$1" -type f -exec sync {} +' sh "$restores/$tool"
}
for ((run = 1; run <= restore_runs; run++)); do
  for t in certvault restic borg zpaq bup casync; do restore_once "$t" "$run"; done
done

# Byte comparison of every restored file with the input folder (certbkxp.dat
# included: certvault export writes the restore map the API returned). The files
# allowed beyond the input (an extended regex of paths, empty for none) are
# certvault's MANIFEST (chain and digests) and its recovery set under Config/
# (CA.reg, CA certificates, CAPolicy.inf), which certutil -backupDB does not write.
compare_tree() {
  local restored=$1 allowed_extra=$2 f differences=0
  while IFS= read -r f; do
    cmp -s "$input/$f" "$restored/$f" || { log "differs or missing: $restored/$f"; differences=1; }
  done < <(cd "$input" && find . -type f | sort)
  while IFS= read -r f; do
    [ -e "$input/$f" ] || { [ -n "$allowed_extra" ] && [[ $f =~ $allowed_extra ]]; } ||
      { log "extra file: $restored/$f"; differences=1; }
  done < <(cd "$restored" && find . -type f | sort)
  return $differences
}
declare -A identical
compare_tree "$restores/certvault" '^\./(MANIFEST|Config/[^/]+)$' && identical[certvault]=1 || identical[certvault]=0
compare_tree "$restores/restic$input" "" && identical[restic]=1 || identical[restic]=0
compare_tree "$restores/borg/input" "" && identical[borg]=1 || identical[borg]=0
compare_tree "$restores/zpaq/input" "" && identical[zpaq]=1 || identical[zpaq]=0
compare_tree "$restores/bup/input" "" && identical[bup]=1 || identical[bup]=0
compare_tree "$restores/casync/input" "" && identical[casync]=1 || identical[casync]=0
for t in certvault restic borg zpaq bup casync; do
  echo "$t,compare,$last,,,,,,${identical[$t]},cmp of every restored file with the input" >>"$csv"
done

if "$certvault" --help 2>&1 | grep -Eq '^ +forget( |$)'; then
  measured certvault prune "$last" "forget --keep-last 3 --prune" -- \
    "$certvault" forget --repo "$repos/certvault" --keep-last 3 --prune
else
  echo "certvault,prune,$last,,,,,,0,not yet available (no certvault forget)" >>"$csv"
fi
measured restic prune "$last" "forget --keep-last 3 --prune" -- restic -r "$repos/restic" forget --keep-last 3 --prune
# shellcheck disable=SC2016 # $1 is expanded by sh
measured borg prune "$last" "prune --keep-last 3 then compact" -- \
  sh -c 'borg prune --keep-last 3 "$1" && borg compact "$1"' sh "$repos/borg"
echo "zpaq,prune,$last,,,,,,0,zpaq has no prune (archives are append-only journals)" >>"$csv"
# bup has no --keep-last: prune-older keeps every save within a period ending at
# the newest save, here the span back to the third newest (commit times, 1 s
# resolution), then collects the garbage (--gc, its default).
mapfile -t bup_saves < <(git --git-dir="$BUP_DIR" log --format=%ct refs/heads/peers)
bup_oldest_kept=$((${#bup_saves[@]} < 3 ? ${#bup_saves[@]} - 1 : 2))
bup_span=$((bup_saves[0] - bup_saves[bup_oldest_kept]))
measured bup prune "$last" "prune-older --keep-all-for ${bup_span}s (the last 3 saves) --gc" -- \
  bup prune-older --unsafe --wrt "${bup_saves[0]}" --keep-all-for "${bup_span}s" peers
bup_kept=$(git --git-dir="$BUP_DIR" rev-list --count refs/heads/peers)
[ "$bup_kept" -eq $((bup_oldest_kept + 1)) ] ||
  log "bup prune kept $bup_kept saves instead of $((bup_oldest_kept + 1)) (saves within the same second)"
# casync: drop the older indexes, then gc deletes the chunks no remaining index names.
casync_dropped=()
for ((g = 1; g <= last - 3; g++)); do casync_dropped+=("$repos/casync/index/g$g.caidx"); done
# shellcheck disable=SC2016 # $1.. are expanded by sh
measured casync prune "$last" "rm the older .caidx then gc --store with the last 3" -- \
  sh -c 'store=$1 index=$2; shift 2; rm -f -- "$@" && casync gc --store="$store" "$index"/*.caidx' \
  sh "$repos/casync/store" "$repos/casync/index" "${casync_dropped[@]}"

# ---- plot and summary ------------------------------------------------------
gnuplot -e "csv='$csv'; out='$png'; title='$db_size database, $generations full backups, ${pages_percent}% of pages changed each'" \
  "$repo_root/bench/peers/size.gp"
{
  echo "- database $db_size ($db_pages data pages), $generations generations, $certificates certificates per generation"
  echo "- versions: certvault $(git -C "$repo_root" rev-parse --short HEAD), $(restic version | cut -d' ' -f1-2)," \
    "$(borg --version), zpaq $(zpaq 2>&1 | head -1 | awk '{print $2}'), bup $(bup --version), $(casync --version)," \
    "zstd $(zstd --version | grep -o 'v[0-9.]*[0-9]' | head -1)"
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
  echo
  awk -f "$repo_root/bench/peers/summary.awk" "$csv"
} >"$summary"
cat "$summary"
log "CSV $csv, plot $png, summary $summary"
if [ $keep -eq 0 ]; then rm -rf "$ca" "$input" "$repos" "$restores" "${work:?}/home"; fi
fail_count=0
for t in certvault restic borg zpaq bup casync; do [ "${identical[$t]}" -eq 1 ] || fail_count=$((fail_count + 1)); done
[ $fail_count -eq 0 ] || fail "$fail_count tool(s) did not restore the input byte for byte (see the log above)"
