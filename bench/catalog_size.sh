#!/usr/bin/env bash
# The catalog's bytes per chunk after a first full backup through the Certadm API (issue 16, item 7):
# the whole catalog.db, its chunk index and its recipes (SQLite's dbstat), and in the same run the
# schema-3 baseline of the same rows: a copy whose chunk index is rebuilt in schema 3's layout (the
# dictionary id in flags, the index by pack) in pack order, as backups inserted rows. Needs the
# sqlite3 shell. Last line JSON. certvault-bench catalog-size measures the index alone, without
# a CA. Usage: BUILD_DIR=build bench/catalog_size.sh [--db-size 8GiB]
set -euo pipefail

build_dir=${BUILD_DIR:-build}
db_size=8GiB
while [ $# -gt 0 ]; do
  case $1 in
    --db-size) db_size=$2; shift 2 ;;
    *) echo "usage: BUILD_DIR=build $0 [--db-size SIZE]" >&2; exit 2 ;;
  esac
done
command -v sqlite3 >/dev/null || { echo "catalog_size.sh: needs the sqlite3 shell (Debian: sqlite3)" >&2; exit 2; }
work=$(mktemp -d "${CERTVAULT_BENCH_DIR:-/tmp}/certvault-catalog-size.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$build_dir/sim/casim" init "$work/ca" --ca-name "Bench CA" --db-size "$db_size" >/dev/null
export CERTVAULT_PASSWORD=${CERTVAULT_PASSWORD:-bench passphrase}
"$build_dir/cli/certvault" init --repo "$work/repo" >/dev/null
"$build_dir/cli/certvault" backup --repo "$work/repo" --server "$work/ca" \
  --library "$build_dir/sim/libcertadm_sim.so" --type full --json >/dev/null

catalog=$work/repo/catalog.db
# Bytes of the B-trees whose name starts with $2 (a table and its indexes), from dbstat.
btree_bytes() { sqlite3 -readonly "$1" "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE '$2%'"; }
chunks=$(sqlite3 -readonly "$catalog" "SELECT count(*) FROM chunks")
file_bytes=$(stat -c %s "$catalog")
index_bytes=$(btree_bytes "$catalog" chunks)
recipe_bytes=$(btree_bytes "$catalog" recipes)

baseline=$work/schema3.db
cp "$catalog" "$baseline"
sqlite3 "$baseline" <<'SQL'
CREATE TABLE chunks3(
  id BLOB PRIMARY KEY, pack_id INTEGER NOT NULL REFERENCES packs(id), offset INTEGER NOT NULL,
  stored_size INTEGER NOT NULL, raw_size INTEGER NOT NULL, flags INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX chunks3_by_pack ON chunks3(pack_id);
INSERT INTO chunks3 SELECT c.id, c.pack_id, c.offset, c.stored_size, c.raw_size,
  c.flags | (coalesce(n.id, 0) << 16)
  FROM chunks c LEFT JOIN dictionary_numbers n ON n.number = c.dictionary_number ORDER BY c.pack_id, c.offset;
DROP TABLE chunks;
DROP TABLE dictionary_numbers;
SQL
# In use, not the file: VACUUM would rewrite the old index in key order, denser than backups leave it.
baseline_file_bytes=$(sqlite3 -readonly "$baseline" \
  "SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size) - \
   (SELECT freelist_count FROM pragma_freelist_count) * (SELECT page_size FROM pragma_page_size)")
baseline_index_bytes=$(btree_bytes "$baseline" chunks3)

per() { awk -v a="$1" -v n="$chunks" 'BEGIN { printf "%.1f", a / n }'; }
echo "first full of a $db_size simulated CA: $chunks chunks"
echo "catalog.db:  $file_bytes bytes, $(per "$file_bytes") bytes/chunk (schema 3: $baseline_file_bytes, $(per "$baseline_file_bytes"))"
echo "chunk index: $index_bytes bytes, $(per "$index_bytes") bytes/chunk (schema 3: $baseline_index_bytes, $(per "$baseline_index_bytes"))"
echo "recipes:     $recipe_bytes bytes, $(per "$recipe_bytes") bytes/chunk (the same in both)"
printf '{"mode":"catalog-size-api","db_size":"%s","chunks":%s,"catalog_bytes":%s,"catalog_bytes_per_chunk":%s,' \
  "$db_size" "$chunks" "$file_bytes" "$(per "$file_bytes")"
printf '"index_bytes_per_chunk":%s,"recipe_bytes_per_chunk":%s,"baseline_catalog_bytes_per_chunk":%s,' \
  "$(per "$index_bytes")" "$(per "$recipe_bytes")" "$(per "$baseline_file_bytes")"
printf '"baseline_index_bytes_per_chunk":%s}\n' "$(per "$baseline_index_bytes")"
