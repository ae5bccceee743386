#!/usr/bin/env bash
# Writes the golden repositories of repository format version 3 (encrypted, issue 17) into
# tests/golden/v3/.
#
# GOLDENS ARE ONLY EVER ADDED, NEVER REGENERATED OR EDITED (see make-v1.sh and README.md): this
# script refuses to touch an existing v3/.
#
#   BUILD_DIR=build tests/golden/make-v3.sh      # needs a built tree, xxhsum and jq
#
# What it writes (tests/golden/README.md says the same for readers):
#   v3/ca/      an encrypted repository (format 3) holding API backups of the simulated CA (1 MiB
#               database, a dictionary): a full with the recovery set (Config/), a second full
#               after one certificate (a delta recipe), two incrementals, a folder snapshot, a
#               verification outcome and truncation records. Two key slots: the passphrase in
#               v3/ca/passphrase.txt and the key file v3/ca/golden.key, so that both slot kinds are
#               read by every later build. Argon2id at libsodium's minimum cost (CERTVAULT_TEST_KDF=
#               fast): a golden's key protects nothing, and every test run opens it many times.
# and repo/, snapshots.txt and expected/<snapshot id>.xxh128, as for v1.
set -euo pipefail
cd "$(dirname "$0")"
golden=$PWD/v3
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
work=${TMPDIR:-/tmp}/certvault-golden-v3
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
staging=$work/v3  # moved to $golden only when everything succeeded

# Deterministic bytes: the AES-128-CTR keystream of a fixed key. The seed is the IV's high half,
# so two seeds' streams (counter blocks) never overlap.
pseudo_random() {  # SIZE SEED
  head -c "$1" /dev/zero |
    openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv "$(printf '%016x%016x' "$2" 0)"
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
    # The catalog uses a rollback journal since issue 15: between transactions it is empty and is not
  # committed (a non-empty one would be a hot journal: refuse it, like WAL leftovers).
  if [ -e "$repo/catalog.db-journal" ] && [ ! -s "$repo/catalog.db-journal" ]; then rm "$repo/catalog.db-journal"; fi
  if compgen -G "$repo/catalog.db-*" >/dev/null; then
    echo "$repo has catalog journal/WAL/SHM leftovers" >&2
    exit 1
  fi
  cp -a "$repo" "$out/repo"
}

echo "== v3/ca"
export CERTVAULT_TEST_KDF=fast
passphrase="golden v3 passphrase"
export CERTVAULT_PASSWORD=$passphrase
repo=$work/ca/repo
ca=$work/ca/ca
mkdir -p "$staging/ca"
"$casim" init "$ca" --ca-name "Golden CA v3" --db-size 1MiB --seed 23 >/dev/null
"$certvault" init --repo "$repo" --chunk-avg 4096 --pack-size-mib 1 >/dev/null
"$certvault" key add --repo "$repo" --new-key-file "$staging/ca/golden.key" >/dev/null
printf '%s\n' "$passphrase" >"$staging/ca/passphrase.txt"
api=(--server "$ca" --library "$library")
backup "$repo" "${api[@]}" --type full --tag golden >/dev/null
"$casim" issue "$ca" --count 1 >/dev/null
backup "$repo" "${api[@]}" --type full >/dev/null
"$casim" issue "$ca" --count 3 >/dev/null
backup "$repo" "${api[@]}" --type incremental >/dev/null
"$casim" issue "$ca" --count 2 >/dev/null
"$casim" revoke "$ca" --count 1 >/dev/null
"$casim" crl "$ca" >/dev/null
backup "$repo" "${api[@]}" --type incremental --tag last >/dev/null
mkdir -p "$work/ca/folder/nested"
pseudo_random 200000 5 >"$work/ca/folder/binary.bin"
printf 'a text file in a folder snapshot\n' >"$work/ca/folder/nested/text.txt"
backup "$repo" --folder "$work/ca/folder" --source golden-folder >/dev/null
"$certvault" check --repo "$repo" --read-data >/dev/null  # records a verification outcome
require_delta_recipe_sealed() {  # the recipes are sealed: ask the catalog instead of byte 40
  [ "$(sqlite3 "$1/catalog.db" 'SELECT count(*) FROM recipes WHERE base IS NOT NULL')" -gt 0 ] ||
    { echo "$1 holds no delta recipe" >&2; exit 1; }
}
require_delta_recipe_sealed "$repo"
compgen -G "$repo/dicts/*" >/dev/null || { echo "$repo holds no dictionary" >&2; exit 1; }
compgen -G "$repo/keys/*" >/dev/null || { echo "$repo holds no key slot" >&2; exit 1; }
compgen -G "$repo/outcomes/*" >/dev/null || { echo "$repo holds no verification outcome" >&2; exit 1; }
grep -qx 'format-version = 3' "$repo/config" || { echo "$repo is not format 3" >&2; exit 1; }
record_expectations ca

mv "$staging" "$golden"
du -sh "$golden"/*/repo
