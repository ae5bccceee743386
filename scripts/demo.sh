#!/usr/bin/env bash
# The main job: installs what is missing, builds, and shows certvault backing up
# a simulated Certificate Services CA: a full backup, certificates issued,
# incremental (logs-only) backups, a second full that stores only what changed,
# the snapshot list, an export in certutil's layout, and a verified re-read.
#   DEMO_DIR=/some/folder scripts/demo.sh   # keep the CA and repository there
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=build scripts/build.sh >/dev/null
bin=$PWD/build
certvault="$bin/cli/certvault"
casim="$bin/sim/casim"
work=${DEMO_DIR:-$(mktemp -d /tmp/certvault-demo.XXXXXX)}
ca="$work/ca"
repo="$work/repo"
export CERTVAULT_REPO="$repo"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a simulated CA with a 256 MiB database ($ca)"
"$casim" init "$ca" --ca-name "Contoso Issuing CA" --db-size 256MiB
"$casim" issue "$ca" --count 500 >/dev/null

step "a new repository ($repo)"
"$certvault" init

step "full backup through the Certadm API (logs truncated after the commit)"
"$certvault" backup --server "$ca" --type full --library "$bin/sim/libcertadm_sim.so"

for round in 1 2 3; do
  step "the CA issues 300 certificates; incremental backup $round (--type auto)"
  "$casim" issue "$ca" --count 300 >/dev/null
  "$certvault" backup --server "$ca" --library "$bin/sim/libcertadm_sim.so"
done

step "a second full backup: only the changed pages are stored"
"$casim" issue "$ca" --count 300 >/dev/null
"$certvault" backup --server "$ca" --type full --library "$bin/sim/libcertadm_sim.so"

step "the snapshots"
"$certvault" snapshots

step "export the latest full as a folder (every chunk and file digest verified)"
"$certvault" export latest --to "$work/export"
ls -R "$work/export" | head -20
du -sh "$repo" "$ca/CertLog" | sed 's/^/  /'
echo
echo "demo folder: $work"
