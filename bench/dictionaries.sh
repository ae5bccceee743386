#!/usr/bin/env bash
# Stored bytes with zstd dictionaries (issue 16), each against its baseline measured in the same run:
#   first full:  packs + dictionaries of a first full  vs  `zstd -3` of each backed-up file whole;
#   later full:  growth of packs + dictionaries + recipes  vs  the changed pages and the new logs
#                compressed together with `zstd -3`.
#
#   BUILD_DIR=build bench/dictionaries.sh [--db-size 256MiB] [--issue 40] [--work DIR]
#
# Needs a built tree (certvault, casim, libcertadm_sim.so), zstd and python3. Prints the figures,
# then one JSON line.
set -euo pipefail
db_size=256MiB
issue=40
work=${TMPDIR:-/tmp}/certvault-bench-dictionaries
while [ $# -gt 0 ]; do
  case $1 in
    --db-size) db_size=$2; shift 2 ;;
    --issue) issue=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
build=$(cd "$(dirname "$0")/.." && cd "${BUILD_DIR:-build}" && pwd)
certvault=$build/cli/certvault casim=$build/sim/casim library=$build/sim/libcertadm_sim.so
rm -rf "$work" && mkdir -p "$work" && cd "$work"
stored() { local total=0 d; for d in packs dicts recipes; do [ -d "repo/$d" ] && total=$((total + $(du -sb "repo/$d" | cut -f1))); done; echo $total; }
backup() { "$certvault" backup --repo repo --server ca --type full --library "$library" --keep-logs --json >backup.json; }
gens() { python3 -c 'import json; g=json.load(open("backup.json"))["log_generations"]; print(g["low"], g["high"])'; }

"$casim" init ca --ca-name BenchCA --db-size "$db_size" --seed 7 >/dev/null
"$casim" issue ca --count 200 >/dev/null
# Plaintext on purpose: the stored bytes are compared with zstd -3 of the same data.
"$certvault" init --repo repo --insecure-no-encryption >/dev/null
"$casim" changed-pages ca --reset >/dev/null
backup
first=$(stored)
read -r low high < <(gens)
edb=$(ls ca/CertLog/*.edb)
baseline_first=$(python3 - "$edb" "$low" "$high" <<'PY'
import subprocess, sys, glob, os
edb, low, high = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files = [edb, "ca/CertLog/edb.chk"] + glob.glob("ca/CertEnroll/*")
files += ["ca/CertLog/edb%05X.log" % g for g in range(low, high + 1)]
print(sum(len(subprocess.run(["zstd", "-3", "-c", f], capture_output=True, check=True).stdout) for f in files if os.path.exists(f)))
PY
)
"$casim" issue ca --count "$issue" >/dev/null
"$casim" changed-pages ca >pages.txt
backup
growth=$(( $(stored) - first ))
read -r low2 high2 < <(gens)
baseline_growth=$(python3 - "$edb" "$high" "$high2" <<'PY'
import subprocess, sys
edb, old_high, high = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytearray()
with open(edb, "rb") as db:
    for number in map(int, open("pages.txt").read().split()):
        db.seek((number + 1) * 8192)  # data page N sits at (N + 1) * 8192 (docs/sim.md)
        data += db.read(8192)
for g in range(old_high + 1, high + 1):
    data += open("ca/CertLog/edb%05X.log" % g, "rb").read()
print(len(subprocess.run(["zstd", "-3", "-c"], input=bytes(data), capture_output=True, check=True).stdout))
PY
)
pages=$(wc -l <pages.txt)
python3 - "$db_size" "$first" "$baseline_first" "$growth" "$baseline_growth" "$pages" <<'PY'
import json, sys
size, first, bf, growth, bg, pages = sys.argv[1], *map(int, sys.argv[2:])
print(f"first full: {first} bytes stored, zstd -3 of the files whole {bf}: {first / bf:.3f}x")
print(f"later full ({pages} pages changed): {growth} bytes grown, changed pages + new logs with zstd -3 {bg}: {growth / bg:.3f}x")
print(json.dumps({"db_size": size, "first_full_bytes": first, "first_full_baseline": bf, "first_full_ratio": round(first / bf, 4),
                  "changed_pages": pages, "growth_bytes": growth, "growth_baseline": bg, "growth_ratio": round(growth / bg, 4)}))
PY
