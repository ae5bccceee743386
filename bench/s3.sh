#!/usr/bin/env bash
# Upload and download throughput of the S3 object store against `s3cmd put/get` of the same file,
# to the same gateway in the same run (issue 18: certvault >= 80% of s3cmd both ways).
#   eval "$(scripts/ceph-rgw.sh start)"; bench/s3.sh [BUILD_DIR] [SIZE_MIB] [ROUNDS]
# Rounds alternate the tools; each figure is the median wall time (process start included for
# both) of its rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-rel}
size_mib=${2:-256}
rounds=${3:-5}
bench=$build/bench/certvault-bench
: "${CERTVAULT_S3_ENDPOINT:?start the gateway: eval \"\$(scripts/ceph-rgw.sh start)\"}"
host=${CERTVAULT_S3_ENDPOINT#http://}
work=$(mktemp -d /tmp/certvault-s3-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
head -c $((size_mib << 20)) /dev/urandom >"$work/in"
s3cmd=(s3cmd --access_key="$AWS_ACCESS_KEY_ID" --secret_key="$AWS_SECRET_ACCESS_KEY" --host="$host"
  --host-bucket="$host" --no-ssl --region="${AWS_DEFAULT_REGION:-us-east-1}" --no-check-md5 -q -c /dev/null)

timed() {
  local start end
  start=$(date +%s.%N)
  "$@" >/dev/null
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a ours_put theirs_put ours_get theirs_get
for round in $(seq "$rounds"); do
  theirs_put+=("$(timed "${s3cmd[@]}" put "$work/in" "s3://$CERTVAULT_S3_BUCKET/bench/s3cmd")")
  ours_put+=("$(timed "$bench" s3 put "$work/in" ours)")
  theirs_get+=("$(timed "${s3cmd[@]}" get --force "s3://$CERTVAULT_S3_BUCKET/bench/s3cmd" "$work/s3cmd.out")")
  ours_get+=("$(timed "$bench" s3 get ours "$work/ours.out")")
  cmp -s "$work/in" "$work/ours.out" || { echo "s3.sh: certvault's download differs from the file" >&2; exit 1; }
  cmp -s "$work/in" "$work/s3cmd.out" || { echo "s3.sh: s3cmd's download differs from the file" >&2; exit 1; }
  echo "round $round: put ours ${ours_put[-1]} s, s3cmd ${theirs_put[-1]} s; get ours ${ours_get[-1]} s, s3cmd ${theirs_get[-1]} s"
done
"${s3cmd[@]}" del "s3://$CERTVAULT_S3_BUCKET/bench/s3cmd" "s3://$CERTVAULT_S3_BUCKET/bench/ours" >/dev/null
report() {
  local what=$1 ours=$2 theirs=$3
  printf '%s %d MiB: certvault %.2f s (%.1f MB/s), s3cmd %.2f s (%.1f MB/s), certvault at %.0f%% of s3cmd\n' \
    "$what" "$size_mib" "$ours" "$(echo "$size_mib * 1.048576 / $ours" | bc -l)" "$theirs" \
    "$(echo "$size_mib * 1.048576 / $theirs" | bc -l)" "$(echo "100 * $theirs / $ours" | bc -l)"
}
report put "$(median "${ours_put[@]}")" "$(median "${theirs_put[@]}")"
report get "$(median "${ours_get[@]}")" "$(median "${theirs_get[@]}")"
