#!/usr/bin/env bash
# The main job: installs what is missing, builds, and shows certvault backing up
# a simulated Certificate Services CA: a full backup, certificates issued,
# incremental (logs-only) backups, a second full that stores only what changed,
# the snapshot list, retention (forget + prune, chain-aware), a repository
# check, an export in certutil's layout, and a restore proven on a scratch CA.
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
# The repository is encrypted; a real installation keeps its passphrase in a file only the backup
# account reads (--password-file / CERTVAULT_PASSWORD_FILE, docs/user-guide.md "Keys and recovery").
export CERTVAULT_PASSWORD=${CERTVAULT_PASSWORD:-demo passphrase, not for real use}
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

step "the CA issues 300 certificates; an incremental on top of the second full"
"$casim" issue "$ca" --count 300 >/dev/null
"$certvault" backup --server "$ca" --library "$bin/sim/libcertadm_sim.so"

step "the snapshots"
"$certvault" snapshots

step "space accounting"
"$certvault" stats

step "retention: keep the last 2 (the incremental keeps its full: chain-aware), dry run, then forget + prune"
"$certvault" forget --keep-last 2 --dry-run
"$certvault" forget --keep-last 2 --prune
"$certvault" snapshots

step "check the repository, reading and verifying every chunk"
"$certvault" check --read-data

step "export the latest snapshot in certutil's layout (every chunk and file digest verified)"
"$certvault" export latest --to "$work/export"
ls -R "$work/export" | head -20

step "verify: restore the latest snapshot into a scratch simulated CA, run recovery, compare with the ground truth"
"$certvault" verify latest --library "$bin/sim/libcertadm_sim.so"
du -sh "$repo" "$ca/CertLog" | sed 's/^/  /'
echo
echo "demo folder: $work"
