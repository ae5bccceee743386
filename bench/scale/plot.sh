#!/bin/sh
# Plots what `certvault-bench scale` measured: peak RSS and MB/s of each command against the
# database size (docs/benchmarks.md, "Scale").
#   bench/scale/plot.sh SCALE_OUTPUT OUT.png
# SCALE_OUTPUT is the bench's output (its last line is the JSON object). Needs jq and gnuplot.
set -eu
output=$1
png=$2
here=$(dirname "$0")
csv=$(mktemp)
trap 'rm -f "$csv"' EXIT
# size_gib,step,peak_rss_mib,mbps (mbps empty for steps without a byte count)
tail -n 1 "$output" | jq -r '
  to_entries[] | (.value.db_bytes / 1073741824) as $gib | .value.steps | to_entries[]
  | select(.value.peak_rss_mib != null)
  | [$gib, .key, .value.peak_rss_mib, (.value.mbps // "")] | @csv' |
  tr -d '"' | sort -t, -k2,2 -k1,1n >"$csv"
gnuplot -e "csv='$csv'; out='$png'" "$here/scale.gp"
