#!/usr/bin/env bash
# Backups into an S3 repository against s3cmd, same gateway, same run (issue 18, item 5):
# - a first full of an M MiB simulated CA through the Certadm API into an empty encrypted S3
#   repository, against `s3cmd put` of the same files (the database and its logs, uncompressed:
#   what a copy of the backup folder to the bucket would send);
# - a second full after a few certificates were issued (a barely changed database): what it sent
#   (`traffic` in backup --json: requests and request-body bytes, opening included) against the
#   ideal, the chunks it added (`new_bytes_stored`);
# - an export of the second full from the bucket against `s3cmd get` of the same files;
# - the same first full and export with a folder repository on the local disk: what certvault
#   itself costs (reading through the API, chunking, compressing, encrypting; verifying, writing,
#   syncing), which bounds what any store can reach.
# Each figure is the median of --rounds runs (fresh repository prefix per round).
#
#   eval "$(CERTVAULT_CEPH_MEMSTORE_BYTES=$((8 << 30)) scripts/ceph-rgw.sh start)"
#   BUILD_DIR=build-rel bench/s3_backup.sh [--db-size 256MiB] [--issue 20] [--rounds 3] [--work DIR]
#
# A round writes about 2.7x the database into the gateway, and its memory-backed OSD reclaims
# deleted objects only after its garbage collection: with the default 2 GiB it fills up (and
# stops answering) after a few rounds of 256 MiB, hence the 8 GiB above.
# Key slots use the cheapest Argon2id (CERTVAULT_TEST_KDF=fast). Prints the figures, then one JSON line.
set -euo pipefail
db_size=256MiB
issue=20
rounds=3
work=${TMPDIR:-/tmp}/certvault-bench-s3-backup
while [ $# -gt 0 ]; do
  case $1 in
    --db-size) db_size=$2; shift 2 ;;
    --issue) issue=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
: "${CERTVAULT_S3_ENDPOINT:?start the gateway: eval \"\$(scripts/ceph-rgw.sh start)\"}"
: "${CERTVAULT_S3_BUCKET:?start the gateway: eval \"\$(scripts/ceph-rgw.sh start)\"}"
build=$(cd "$(dirname "$0")/.." && cd "${BUILD_DIR:-build}" && pwd)
certvault=$build/cli/certvault casim=$build/sim/casim library=$build/sim/libcertadm_sim.so
export CERTVAULT_TEST_KDF=fast CERTVAULT_PASSWORD="bench passphrase"
host=${CERTVAULT_S3_ENDPOINT#http://}
s3cmd=(s3cmd --access_key="$AWS_ACCESS_KEY_ID" --secret_key="$AWS_SECRET_ACCESS_KEY" --host="$host"
  --host-bucket="$host" --no-ssl --region="${AWS_DEFAULT_REGION:-us-east-1}" --no-check-md5 -q -c /dev/null)
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$casim" init ca-template --ca-name BenchCA --db-size "$db_size" --seed 7 >/dev/null
"$casim" issue ca-template --count 200 >/dev/null

now() { python3 -c 'import time; print(time.time())'; }
seconds() { python3 -c "import time,sys; print(f'{time.time() - float(sys.argv[1]):.3f}')" "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d' + sys.argv[2]))" "$1" "$2"; }

declare -a full_s put_s second_s second_sent second_requests second_stored first_sent first_stored
declare -a export_s get_s local_full_s local_export_s
for round in $(seq "$rounds"); do
  rm -rf ca ca-local local out-local cache out s3cmd-out && cp -a ca-template ca && cp -a ca-template ca-local && mkdir s3cmd-out
  "$certvault" init --repo local >/dev/null
  start=$(now)
  "$certvault" backup --repo local --server "$work/ca-local" --library "$library" --type full >/dev/null
  local_full_s+=("$(seconds "$start")")
  start=$(now)
  "$certvault" export latest --repo local --to out-local >/dev/null
  local_export_s+=("$(seconds "$start")")
  repo="s3:$CERTVAULT_S3_ENDPOINT/$CERTVAULT_S3_BUCKET/bench-backup-$round-$$"
  export CERTVAULT_CACHE_DIR=$work/cache
  "$certvault" init --repo "$repo" >/dev/null
  # s3cmd first, of the files as the CA holds them before the backup truncates its logs.
  start=$(now)
  "${s3cmd[@]}" put --recursive ca/CertLog/ "s3://$CERTVAULT_S3_BUCKET/bench-s3cmd-$round-$$/"
  put_s+=("$(seconds "$start")")
  start=$(now)
  "$certvault" backup --json --repo "$repo" --server "$work/ca" --library "$library" --type full >first.json
  full_s+=("$(seconds "$start")")
  first_sent+=("$(field first.json '["traffic"]["bytes_sent"]')")
  first_stored+=("$(field first.json '["new_bytes_stored"]')")
  "$casim" issue ca --count "$issue" >/dev/null
  start=$(now)
  "$certvault" backup --json --repo "$repo" --server "$work/ca" --library "$library" --type full >second.json
  second_s+=("$(seconds "$start")")
  second_sent+=("$(field second.json '["traffic"]["bytes_sent"]')")
  second_requests+=("$(field second.json '["traffic"]["requests"]')")
  second_stored+=("$(field second.json '["new_bytes_stored"]')")
  start=$(now)
  "${s3cmd[@]}" get --recursive "s3://$CERTVAULT_S3_BUCKET/bench-s3cmd-$round-$$/" s3cmd-out/
  get_s+=("$(seconds "$start")")
  start=$(now)
  "$certvault" export latest --repo "$repo" --to out >/dev/null
  export_s+=("$(seconds "$start")")
  # The live database moved on after the backup (its logs hold the difference): sizes, not bytes.
  # Every chunk the export wrote was verified against its id.
  edb=$(ls ca/CertLog/*.edb)
  [ "$(stat -c %s "$edb")" = "$(stat -c %s "out/DataBase/$(basename "$edb")")" ] ||
    { echo "s3_backup.sh: the exported database differs in size from the CA's" >&2; exit 1; }
  # The gateway of scripts/ceph-rgw.sh keeps objects in 2 GiB of memory: leave nothing behind.
  "${s3cmd[@]}" del --recursive "s3://$CERTVAULT_S3_BUCKET/bench-s3cmd-$round-$$/" >/dev/null
  "${s3cmd[@]}" del --recursive "s3://$CERTVAULT_S3_BUCKET/bench-backup-$round-$$/" >/dev/null
  echo "round $round: first full ${full_s[-1]} s (s3cmd put ${put_s[-1]} s), second full ${second_s[-1]} s:" \
    "${second_sent[-1]} B in ${second_requests[-1]} requests for ${second_stored[-1]} B stored;" \
    "export ${export_s[-1]} s (s3cmd get ${get_s[-1]} s); into a folder: full ${local_full_s[-1]} s, export ${local_export_s[-1]} s"
done
logical=$(field first.json '["logical_bytes"]')
python3 - "$logical" "$(median "${full_s[@]}")" "$(median "${put_s[@]}")" "$(median "${second_s[@]}")" \
  "$(median "${second_sent[@]}")" "$(median "${second_requests[@]}")" "$(median "${second_stored[@]}")" \
  "$(median "${export_s[@]}")" "$(median "${get_s[@]}")" "$(median "${first_sent[@]}")" \
  "$(median "${first_stored[@]}")" "$(median "${local_full_s[@]}")" "$(median "${local_export_s[@]}")" \
  "$db_size" "$rounds" <<'EOF'
import json, sys
(logical, full, put, second, sent, requests, stored, export, get, first_sent, first_stored, local_full,
 local_export) = (float(x) for x in sys.argv[1:14])
db_size, rounds = sys.argv[14], int(sys.argv[15])
print(f"database {db_size}, {logical / 1e6:.1f} MB read by a full; medians of {rounds} rounds")
print(f"first full into S3: {full:.2f} s against s3cmd put of the files {put:.2f} s: "
      f"{100 * put / full:.0f}% of s3cmd's speed; sent {first_sent / 1e6:.1f} MB for {first_stored / 1e6:.1f} MB stored")
print(f"second full: {second:.2f} s, sent {sent:.0f} B in {requests:.0f} requests for {stored:.0f} B of new chunks: "
      f"{100 * sent / max(stored, 1):.1f}% of the ideal")
print(f"export from S3: {export:.2f} s against s3cmd get {get:.2f} s: {100 * get / export:.0f}% of s3cmd's speed")
print(f"the same into and from a folder repository: full {local_full:.2f} s (S3 at {100 * local_full / full:.0f}% of "
      f"its speed), export {local_export:.2f} s (S3 at {100 * local_export / export:.0f}%)")
print(json.dumps({"db_size": db_size, "rounds": rounds, "logical_bytes": int(logical), "first_full_s": full,
                  "s3cmd_put_s": put, "second_full_s": second, "second_bytes_sent": int(sent),
                  "second_requests": int(requests), "second_new_bytes_stored": int(stored),
                  "export_s": export, "s3cmd_get_s": get, "local_full_s": local_full,
                  "local_export_s": local_export}))
EOF
