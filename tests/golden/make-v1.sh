#!/usr/bin/env bash
# Writes the golden repositories of repository format version 1 into tests/golden/v1/.
#
# GOLDENS ARE ONLY EVER ADDED, NEVER REGENERATED OR EDITED. The committed files under v1/ were
# written once, by the build of the day they were added; every later build must read them as they
# are. Rerunning this script writes new repositories (new random keys, new snapshot ids, new
# times), so it refuses to touch an existing v1/. It is committed to show exactly how the goldens
# were made, and as the model for the script of the next format version (make-v2.sh into v2/).
#
#   BUILD_DIR=build tests/golden/make-v1.sh      # needs a built tree and xxhsum (Debian: xxhash)
#
# What it writes (tests/golden/README.md says the same for readers):
#   v1/folder/  folder snapshots, delta recipes, and a pack repacked by forget + prune
#   v1/ca/      API backups of the simulated CA: a full; a second full after one certificate,
#               whose database recipe is a delta against the first's; two incrementals on top of
#               it (restore map, dynamic files, CRLs rewritten before the second)
# and for each: repo/ (the repository), snapshots.txt (id and kind of every snapshot, oldest
# first) and expected/<snapshot id>.xxh128 (every file `certvault export ID --to DIR` writes,
# except MANIFEST, with its plain XXH3-128 in `xxhsum -H2` format: `cd DIR && xxhsum -c FILE`).
set -euo pipefail
cd "$(dirname "$0")"
golden=$PWD/v1
build=$(cd ../.. && cd "${BUILD_DIR:-build}" && pwd)
certvault=$build/cli/certvault
casim=$build/sim/casim
library=$build/sim/libcertadm_sim.so
for tool in "$certvault" "$casim" "$library"; do
  [ -e "$tool" ] || { echo "missing $tool: build first (scripts/build.sh)" >&2; exit 1; }
done
command -v xxhsum >/dev/null || { echo "needs xxhsum (apt-get install xxhash)" >&2; exit 1; }
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 1; }
if [ -e "$golden" ]; then
  echo "$golden exists: goldens are never regenerated; write a new version folder instead" >&2
  exit 1
fi

# A fixed work folder, so the absolute CA paths inside restore maps are the same on every run.
work=${TMPDIR:-/tmp}/certvault-golden-v1
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
staging=$work/v1  # moved to $golden only when everything succeeded

# Deterministic bytes: the AES-128-CTR keystream of a fixed key. The seed is the IV's high half,
# so two seeds' streams (counter blocks) never overlap.
pseudo_random() {  # SIZE SEED
  head -c "$1" /dev/zero |
    openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv "$(printf '%016x%016x' "$2" 0)"
}

# A recipe object's byte 40 is its kind (24-byte frame, two u64 sizes): 1 is a delta.
require_delta_recipe() {  # REPO
  local recipe
  for recipe in "$1"/recipes/*/*.recipe; do
    [ "$(od -An -tu1 -j40 -N1 "$recipe" | tr -d ' ')" = 1 ] && return 0
  done
  echo "$1 holds no delta recipe" >&2
  exit 1
}

backup() {  # REPO ARGS... -> prints the new snapshot id
  local repo=$1
  shift
  "$certvault" backup --repo "$repo" --json "$@" | jq -r .snapshot
}

# The expected digests: export every snapshot, hash what was exported, and cross-check the
# hashes with the export's own MANIFEST lines.
record_expectations() {  # NAME
  local name=$1 repo=$work/$1/repo out=$staging/$1
  mkdir -p "$out/expected"
  "$certvault" snapshots --repo "$repo" --json | jq -r '.[] | "\(.id) \(.kind)"' >"$out/snapshots.txt"
  while read -r id kind; do
    local export_dir=$work/$name/export-$id
    "$certvault" export "$id" --repo "$repo" --to "$export_dir" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
    (cd "$export_dir" && find . -type f ! -path ./MANIFEST | sed 's|^\./||' | LC_ALL=C sort |
      while IFS= read -r file; do xxhsum -H2 "$file" 2>/dev/null; done) >"$out/expected/$id.xxh128"
    if [ -e "$export_dir/MANIFEST" ]; then
      while read -r digest file; do
        grep -qF "$digest" "$export_dir/MANIFEST" || { echo "$id: $file: $digest not in MANIFEST" >&2; exit 1; }
      done <"$out/expected/$id.xxh128"
    fi
    echo "  $name: snapshot $id ($kind): $(wc -l <"$out/expected/$id.xxh128") files"
  done <"$out/snapshots.txt"
  "$certvault" check --repo "$repo" --read-data >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
  # Closing the catalog checkpoints its WAL; what is committed is the catalog file alone.
  if compgen -G "$repo/catalog.db-*" >/dev/null; then
    echo "$repo has catalog WAL/SHM leftovers" >&2
    exit 1
  fi
  cp -a "$repo" "$out/repo"
}

echo "== v1/folder"
repo=$work/folder/repo
src=$work/folder/source
mkdir -p "$src/nested/deeper"
printf 'golden v1 folder snapshot\n' >"$src/readme.txt"
: >"$src/empty.txt"
seq 1 20000 >"$src/numbers.txt"  # about 30 content-defined chunks of 4 KiB: later edits make deltas
pseudo_random 65536 1 >"$src/nested/random.bin"
head -c 262144 /dev/zero >"$src/nested/zeros.bin"
printf 'Zertifikat f\xc3\xbcr \xe6\x97\xa5\xe6\x9c\xac\n' >"$src/nested/deeper/$(printf 'gr\xc3\xbc\xc3\x9fe-\xe6\x97\xa5\xe6\x9c\xac.txt')"
"$certvault" init --repo "$repo" --chunk-avg 4096 --pack-size-mib 1 >/dev/null
backup "$repo" --folder "$src" --tag golden --tag first >/dev/null
# Second snapshot: numbers.txt grows at its end (a delta recipe), random.bin changes one byte.
seq 20001 20100 >>"$src/numbers.txt"
printf X | dd of="$src/nested/random.bin" bs=1 seek=1000 conv=notrunc status=none
backup "$repo" --folder "$src" >/dev/null
# Third snapshot, later forgotten: its pack holds scratch.bin (only it uses it) and keep.bin
# (the fourth snapshot uses it too), so prune finds the pack partly used and repacks it.
pseudo_random 40000 2 >"$src/scratch.bin"
pseudo_random 40000 3 >"$src/keep.bin"
scratch=$(backup "$repo" --folder "$src")
rm "$src/scratch.bin"
seq 30001 30050 >>"$src/numbers.txt"
backup "$repo" --folder "$src" --tag last >/dev/null
"$certvault" forget --repo "$repo" "$scratch" >/dev/null
"$certvault" prune --repo "$repo" --json | jq -e '.packs_repacked >= 1' >/dev/null ||
  { echo "prune repacked no pack" >&2; exit 1; }
require_delta_recipe "$repo"
record_expectations folder

echo "== v1/ca"
repo=$work/ca/repo
ca=$work/ca/ca
"$casim" init "$ca" --ca-name "Golden CA" --db-size 256KiB --seed 13 >/dev/null
"$certvault" init --repo "$repo" --chunk-avg 4096 --pack-size-mib 1 >/dev/null
api=(--server "$ca" --library "$library")
backup "$repo" "${api[@]}" --type full --tag golden >/dev/null
# A second full after one certificate: a few pages changed, so its database recipe is a delta
# against the first full's. The incrementals then build on it (their chain starts at a delta).
"$casim" issue "$ca" --count 1 >/dev/null
backup "$repo" "${api[@]}" --type full >/dev/null
"$casim" issue "$ca" --count 3 >/dev/null
backup "$repo" "${api[@]}" --type incremental >/dev/null
"$casim" issue "$ca" --count 2 >/dev/null
"$casim" revoke "$ca" --count 1 >/dev/null
"$casim" crl "$ca" >/dev/null
backup "$repo" "${api[@]}" --type incremental --tag last >/dev/null
require_delta_recipe "$repo"
record_expectations ca

mv "$staging" "$golden"
du -sh "$golden"/*/repo
