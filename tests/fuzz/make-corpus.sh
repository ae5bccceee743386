#!/usr/bin/env bash
# Writes the seed corpora in tests/fuzz/corpus/<target>/: valid inputs cut from real data (the
# golden repositories in tests/golden/v1, their exports, a fresh simulated CA) and a few edge
# cases (edge-*). fuzz_replay_tests replays every file in CI; scripts/fuzz.sh starts libFuzzer
# from them. Unlike goldens, corpora may be regenerated and extended (add what a fuzzer found).
#   BUILD_DIR=build tests/fuzz/make-corpus.sh     # needs a built tree, xxd and iconv
set -euo pipefail
cd "$(dirname "$0")"
corpus=$PWD/corpus
golden=$(cd ../golden/v1 && pwd)
build=$(cd ../.. && cd "${BUILD_DIR:-build}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

u8() { od -An -tu1 -j"$2" -N1 "$1" | tr -d ' '; }
u16() { od -An -tu2 -j"$2" -N2 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j"$2" -N4 "$1" | tr -d ' '; }
u64() { od -An -tu8 -j"$2" -N8 "$1" | tr -d ' '; }
cut_bytes() { dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=65536 status=none; }  # FILE OFFSET LENGTH
secret_of() { sed -n 's/^chunk-id-secret = //p' "$1/config" | xxd -r -p; }

# docs/format.md, "Pack files": footer = u64 index_offset, u32 entry_count, ...; index records of
# 40 bytes: id, u64 offset (16), u32 raw_size (24), u32 stored_size (28), u16 flags (32).
index_offset() { u64 "$1" $(($(stat -c %s "$1") - 32)); }
# Prints "offset flags stored_size" per entry.
entries() {
  local pack=$1 index count i record
  index=$(index_offset "$pack")
  count=$(u32 "$pack" $(($(stat -c %s "$pack") - 24)))
  for ((i = 0; i < count; i++)); do
    record=$((index + 40 * i))
    echo "$(u64 "$pack" $((record + 16))) $(u16 "$pack" $((record + 32))) $(u32 "$pack" $((record + 28)))"
  done
}
# SECRET-FILE PACK OFFSET STORED OUT: the fuzz_pack_entry input (secret, then the entry).
write_entry() { { cat "$1"; cut_bytes "$2" "$3" $((48 + $4)); } >"$5"; }

mkdir -p "$corpus"/{pack_entry,pack_index,repository_objects,lock_record,ese_headers,multistring,manifest,config} \
  "$corpus"/{key_slot,sealed_object,dictionary,recipe_object,s3_responses,repository_logs}
find "$corpus" -type f -delete

for name in ca folder; do
  repo=$golden/$name/repo
  secret_of "$repo" >"$work/$name.secret"
  # The first compressed and the first stored-as-is entry of the repository.
  for pack in "$repo"/packs/*/*.pack; do
    while read -r offset flags stored; do
      kind=$([ "$flags" = 1 ] && echo compressed || echo uncompressed)
      out=$corpus/pack_entry/golden-$name-$kind.entry
      [ -e "$out" ] || write_entry "$work/$name.secret" "$pack" "$offset" "$stored" "$out"
    done < <(entries "$pack")
    tail -c +"$(($(index_offset "$pack") + 1))" "$pack" >"$corpus/pack_index/golden-$name-$(basename "$pack" .pack | cut -c1-8).tail"
  done
  for recipe in "$repo"/recipes/*/*.recipe; do
    kind=$([ "$(u8 "$recipe" 40)" = 1 ] && echo delta || echo full)
    out=$corpus/repository_objects/golden-$name-recipe-$kind
    [ -e "$out.object" ] && continue
    cp "$recipe" "$out.object"
    tail -c +41 "$recipe" >"$out.body"  # the encoded recipe alone, as recipe::decode takes it
  done
  last=$(tail -n 1 "$golden/$name/snapshots.txt" | cut -d' ' -f1)
  cp "$repo/snapshots/$last.snap" "$corpus/repository_objects/golden-$name-manifest.snap"
  cp "$repo/config" "$corpus/repository_objects/golden-$name-config"
  cp "$repo/snapshots/$last.snap" "$corpus/manifest/golden-$name-manifest.snap"
  cp "$repo/config" "$corpus/config/golden-$name-config-without-checksum"  # v1 goldens predate config-xxh64
done
tail -c +25 "$corpus/manifest/golden-ca-manifest.snap" >"$corpus/manifest/golden-ca-manifest.body"  # the JSON alone
"$build/cli/certvault" init --repo "$work/fresh" >/dev/null
cp "$work/fresh/config" "$corpus/config/fresh-config-with-checksum"

# ESE headers and the restore map, as a backup reads them from the CA.
ca_export=$work/export
"$build/cli/certvault" export "$(tail -n 1 "$golden/ca/snapshots.txt" | cut -d' ' -f1)" \
  --repo "$golden/ca/repo" --to "$ca_export" >/dev/null
head -c 8192 "$ca_export/DataBase/Golden CA.edb" >"$corpus/ese_headers/golden-ca-database-header"
head -c 4096 "$ca_export/DataBase/edb00002.log" >"$corpus/ese_headers/golden-ca-log-header"
"$build/sim/casim" init "$work/ca" --ca-name "Golden CA" --db-size 256KiB --seed 13 >/dev/null
cp "$work/ca/CertLog/edb.chk" "$corpus/ese_headers/sim-checkpoint"
printf 'edb0001F.log' >"$corpus/ese_headers/sim-log-name"
cp "$ca_export/DataBase/certbkxp.dat" "$corpus/multistring/golden-ca-restore-map"
# An untyped list (the dynamic file names) as the API returns it: UTF-16LE, NUL after each, NUL at the end.
printf '%s\0' 'C:\Windows\System32\CertSrv\CertEnroll\Golden CA.crt' 'C:\Windows\System32\CertSrv\CertEnroll\Golden CA.crl' |
  { cat; printf '\0'; } | iconv -f UTF-8 -t UTF-16LE >"$corpus/multistring/sim-dynamic-files"
printf 'C:\\Windows\\System32\\CertLog\\gr\xc3\xbc\xc3\x9fe-\xe6\x97\xa5\xe6\x9c\xac.edb' >"$corpus/multistring/sim-utf8-name"

echo "host=CA01 pid=4242 started=1764000000 mode=exclusive" >"$corpus/lock_record/holder-exclusive"

# Edge cases. XXH64 of nothing is 0xef46db3751d8e999 (little-endian below).
empty_xxh64='\x99\xe9\xd8\x51\x37\xdb\x46\xef'
head -c 48 /dev/zero >"$corpus/pack_entry/edge-zero-header"
# An uncompressed entry whose header (checksums intact) claims a raw size smaller than its stored
# bytes: decode_entry once copied the stored bytes past the end of the raw buffer.
xxh64_le() { xxhsum -H1 - 2>/dev/null | cut -c1-16 | fold -w2 | tac | tr -d '\n' | xxd -r -p; }
head -c 100 /dev/zero | tr '\0' 'A' >"$work/stored"
{ printf 'CVCE\0\0\0\0'; head -c 16 /dev/zero; printf '\x01\0\0\0\x64\0\0\0'; xxh64_le <"$work/stored"; } >"$work/header"
{ cat "$work/header"; xxh64_le <"$work/header" | head -c 4; head -c 4 /dev/zero; cat "$work/stored"; } \
  >"$corpus/pack_entry/edge-uncompressed-raw-size-smaller-than-stored"
cp "$work/ca.secret" "$corpus/pack_entry/edge-secret-only"
printf "\x10\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0${empty_xxh64}CVPKEND\0" >"$corpus/pack_index/edge-empty-pack"
printf '\xff\xff\xff\xff\xff\xff\xff' >"$corpus/pack_index/edge-seven-bytes"
printf "CVRECIPE\x01\0\0\0\0\0\0\0${empty_xxh64}" >"$corpus/repository_objects/edge-empty-recipe-frame"
printf 'certvault repository\n' >"$corpus/repository_objects/edge-config-first-line-only"
manifest_edge='{"id":"0123456789abcdef0123456789abcdef","created_unix":1,"kind":"full","source":"s","server":"s","ca_name":"c","tags":[],"parent":null,"base_full":null'
printf '%s' "$manifest_edge"',"gen_low":1,"gen_high":1,"logical_size":0,"added_size":0,"restore_map_raw":"","restore_map":[{"type_code":70000,"path":"x"}],"files":[],"missing_files":[]}' \
  >"$corpus/manifest/edge-type-code-out-of-range.body"
printf '%s' "$manifest_edge"',"gen_low":-1,"gen_high":1.5,"logical_size":-1,"added_size":0,"restore_map_raw":"","restore_map":{},"files":7,"missing_files":[]}' \
  >"$corpus/manifest/edge-negative-and-fractional.body"
printf 'certvault repository\n' >"$corpus/config/edge-first-line-only"
printf 'certvault repository\nformat-version = 1\nformat-version = 1\n' >"$corpus/config/edge-duplicate-key"
printf 'host=CA01 pid=99999999999999999999999' >"$corpus/lock_record/edge-pid-overflow"
printf 'pid=1 started=1 mode=exclusive' >"$corpus/lock_record/edge-no-host"
: >"$corpus/lock_record/edge-empty"
head -c 700 "$corpus/ese_headers/golden-ca-database-header" >"$corpus/ese_headers/edge-truncated-header"
printf '\x3d\xd8\0\0\0\0' >"$corpus/multistring/edge-lone-surrogate"
printf 'A\0B' >"$corpus/multistring/edge-odd-length"
# Objects of the later goldens: v2's dictionary and truncation records (plain), v3's key slots and
# sealed objects (under v3's own key, which the target does not have: they reach its header and
# layout checks; a first byte picks the name, 3 = a dictionary, 5 = an object of no kind).
golden2=$(cd ../golden/v2/ca/repo && pwd)
golden3=$(cd ../golden/v3/ca/repo && pwd)
cp "$golden2"/dicts/*.dict "$corpus/dictionary/golden-v2-ca.dict"
for stage in intent outcome; do
  cp "$(ls "$golden2"/truncations/*."$stage" | head -n 1)" "$corpus/repository_logs/golden-v2-ca-truncation.$stage"
done
for slot in "$golden3"/keys/*; do cp "$slot" "$corpus/key_slot/golden-v3-ca-slot-$(basename "$slot")"; done
{ printf '\3'; cat "$golden3"/dicts/*.dict; } >"$corpus/sealed_object/golden-v3-ca-dictionary"
{ printf '\5'; cat "$(ls "$golden3"/outcomes/*.outcome | head -n 1)"; } >"$corpus/sealed_object/golden-v3-ca-outcome"
# Every target's seeds, the valid encodings its source builds (key slots and sealed objects under
# fixed test keys, trained dictionaries, recipe objects, S3 documents, log records): seed-<n>.
CERTVAULT_FUZZ_SEEDS_TO=$corpus "$build/tests/fuzz/fuzz_replay_tests" "[.write-seeds]" >/dev/null
# S3 bodies that nest elements 65 levels deep (one past parse_xml's bound) and a million deep (as
# a list page, a 7 MB body, kept out of the corpus: tests/s3/responses_test.cc has it).
nest() { printf '<%s>' "$1"; for ((i = 1; i < $2; i++)); do printf '<a>'; done; for ((i = 1; i < $2; i++)); do printf '</a>'; done; printf '</%s>' "$1"; }
nest ListBucketResult 65 >"$corpus/s3_responses/edge-nested-65-levels"
nest ListBucketResult 64 >"$corpus/s3_responses/edge-nested-64-levels"
printf '<Error><Code>\xff\xfe</Code>' >"$corpus/s3_responses/edge-unterminated-error"
# Log records with numbers beyond their fields (the frame's checksum left 0: the target re-frames).
# A number beyond 64 bits, held by nlohmann as a double, was once cast to an integer (UB).
log_record() { printf '%s\1\0\0\0' "$1"; head -c 12 /dev/zero; printf '%s' "$2"; }
log_record CVOUTCOM '{"command":"verify","time_us":176455555000000123456,"snapshots":[],"result":"ok","error":"","problems":0}' \
  >"$corpus/repository_logs/edge-outcome-time-beyond-64-bits"
log_record CVOUTCOM '{"command":"verify","time_us":1.5,"snapshots":[],"result":"ok","error":"","problems":-1}' \
  >"$corpus/repository_logs/edge-outcome-fraction-and-negative-count"
log_record CVTRUNCT '{"snapshot_id":"0123456789abcdef0123456789abcdef","time_unix":1e300,"hresult":4294967295,"message":"","outcome":"truncated"}' \
  >"$corpus/repository_logs/edge-truncation-time-and-hresult-out-of-range"
du -sh "$corpus"
find "$corpus" -type f | sort | sed "s|^$corpus/||"
