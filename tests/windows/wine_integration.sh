#!/usr/bin/env bash
# The Windows build under wine, against the simulated CA built as certadm.dll:
#   casim.exe init; certvault.exe init; a full backup loading certadm.dll from beside
#   certvault.exe (no --library); casim.exe issue; an incremental; snapshots; export; the export
#   compared byte for byte with the CA's files; a restore through the API, casim verify after
#   recovery, and certvault.exe verify (a scratch restore through casim.exe); a repository deeper
#   than MAX_PATH; a stale lock record; the recovery set's configuration key read from wine's
#   registry and round-tripped through reg import; a DPAPI-sealed key file; backup --with-key
#   refused into a plaintext repository and a key wine cannot export recorded. Then the
#   repository format across systems: a repository
#   written by certvault.exe is read by the Linux build and one written by the Linux build is read
#   by certvault.exe, each export compared byte for byte with the other system's.
#   tests/windows/wine_integration.sh WINDOWS_BUILD_DIR LINUX_BUILD_DIR
# Every check that fails stops the test with "FAIL: <what>" and exit code 1.
set -euo pipefail
windows_build=$(realpath "$1")
linux_build=$(realpath "$2")
export PATH=/usr/lib/wine:$PATH  # Debian's wine64 package installs wine64 there
export WINEDEBUG=-all
export WINEPREFIX=$windows_build/wine-prefix
export LANG=C.UTF-8 LC_ALL=C.UTF-8  # wine turns the command line into UTF-16 from the locale's UTF-8
# Repositories are encrypted by default (issue 17): both builds read the passphrase from here;
# the cheapest Argon2id (tests only) keeps each command fast.
export CERTVAULT_PASSWORD="wine test passphrase" CERTVAULT_TEST_KDF=fast

work=$windows_build/wine-test
rm -rf "$work" "$WINEPREFIX"
mkdir -p "$work/bin"
step() { printf '== %s\n' "$*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# Z: is wine's drive for /, so every Unix path has a Windows name.
win() { printf 'Z:%s' "${1//\//\\}"; }
# certvault.exe, certadm.dll and casim.exe side by side, as installed on a CA.
cp "$windows_build/cli/certvault.exe" "$windows_build/sim/certadm.dll" "$windows_build/sim/casim.exe" "$work/bin/"
run_wine() {
  local output
  if ! output=$(timeout 300 wine64 "$@" 2>&1); then
    printf '%s\n' "$output" >&2
    fail "wine64 $(basename "$1") ${*:2} exited with an error"
  fi
  printf '%s\n' "$output" | tr -d '\r'
}
cv_win() { run_wine "$work/bin/certvault.exe" "$@"; }
casim_win() { run_wine "$work/bin/casim.exe" "$@"; }
cv_linux() { "$linux_build/cli/certvault" "$@"; }
casim_linux() { "$linux_build/sim/casim" "$@"; }

# Files of folder $1 that also exist in $2 must be identical; $3 names the comparison. Database
# files differ in the two header pages, where the CA records the backup after reading them.
compare_common() {
  local from=$1 to=$2 what=$3 compared=0
  while IFS= read -r -d '' file; do
    local name
    name=$(basename "$file")
    [ -f "$to/$name" ] || continue
    local skip=0
    [[ $name == *.edb ]] && skip=16384
    cmp -s -i "$skip" "$file" "$to/$name" || fail "$what: $name differs (cmp -i $skip $file \"$to/$name\")"
    compared=$((compared + 1))
  done < <(find "$from" -maxdepth 1 -type f -print0)
  [ "$compared" -gt 0 ] || fail "$what: no file of $from is in $to"
  echo "   $what: $compared file(s) identical"
}

step "wine prefix ($WINEPREFIX)"
timeout 300 wine64 wineboot -i >/dev/null 2>&1 || fail "wineboot could not create the wine prefix"

ca=$work/ca
repo=$work/repo
ca_name="Contoso Issuing CA Ä✓"
step "casim.exe init a CA; certvault.exe init"
casim_win init "$(win "$ca")" --ca-name "$ca_name" --db-size 8MiB
casim_win issue "$(win "$ca")" --count 40 >/dev/null
cv_win init --repo "$(win "$repo")"
[ -f "$repo/config" ] || fail "certvault.exe init wrote no $repo/config"

step "full backup through certadm.dll beside certvault.exe"
out=$(cv_win backup --repo "$(win "$repo")" --server "$(win "$ca")" --type full)
echo "   $out"
[[ $out == *"full backup of $ca_name"* ]] || fail "the full backup did not report a full backup of $ca_name"
full_id=$(grep -o '^snapshot [0-9a-f]*' <<<"$out" | head -n 1 | cut -d' ' -f2)
[ -n "$full_id" ] || fail "no snapshot id in the backup's output: $out"

step "export of the full backup equals the CA's files"
cv_win export "$full_id" --repo "$(win "$repo")" --to "$(win "$work/export-full")" >/dev/null
[ -f "$work/export-full/DataBase/$ca_name.edb" ] || fail "the export has no DataBase/$ca_name.edb"
compare_common "$work/export-full/DataBase" "$ca/CertLog" "full export vs CertLog"
compare_common "$work/export-full/Dynamic" "$ca/CertEnroll" "full export vs CertEnroll"

step "casim.exe issue; incremental backup"
casim_win issue "$(win "$ca")" --count 60 >/dev/null
logs_before=$work/logs-before-incremental
mkdir -p "$logs_before" && cp "$ca"/CertLog/edb0*.log "$logs_before/"
out=$(cv_win backup --repo "$(win "$repo")" --server "$(win "$ca")")
echo "   $out"
[[ $out == *"incremental backup"* ]] || fail "the second backup was not incremental"

step "certvault.exe snapshots"
out=$(cv_win snapshots --repo "$(win "$repo")")
printf '%s\n' "$out" | sed 's/^/   /'
[[ $out == *"2 snapshots"* ]] || fail "certvault.exe snapshots does not list 2 snapshots"
grep -q "full" <<<"$out" && grep -q "incremental" <<<"$out" || fail "snapshots lacks the full or the incremental"

step "export of the incremental equals the logs the CA wrote"
cv_win export latest --repo "$(win "$repo")" --to "$(win "$work/export-incremental")" >/dev/null
compare_common "$work/export-incremental/DataBase" "$logs_before" "incremental export vs the CA's finished logs"

step "the Linux build reads the repository certvault.exe wrote"
linux_list=$(cv_linux snapshots --repo "$repo")
[[ $linux_list == *"2 snapshots"* ]] || fail "Linux certvault snapshots does not list the 2 snapshots written on Windows"
cv_linux export "$full_id" --repo "$repo" --to "$work/export-full-linux" >/dev/null
diff -r "$work/export-full" "$work/export-full-linux" >/dev/null ||
  fail "the Linux export of a Windows-written snapshot differs from certvault.exe's export"
echo "   Linux export of $full_id identical to certvault.exe's"

step "restore through certadm.dll (CertSrvRestore*), recovery, casim verify"
casim_win stop "$(win "$ca")" >/dev/null
out=$(cv_win restore latest --point-in-time --repo "$(win "$repo")" --server "$(win "$ca")")
[[ $out == *"restored snapshot"* ]] || fail "certvault.exe restore did not report the restored snapshot"
out=$(casim_win start "$(win "$ca")")
[[ $out == *"restore recovered"* ]] || fail "casim start did not recover the registered restore: $out"
out=$(casim_win verify "$(win "$ca")")
printf '%s\n' "$out" | tail -n 2 | sed 's/^/   /'
[[ $out == *verified* ]] || fail "casim verify did not verify the recovered CA"
casim_win status "$(win "$ca")" >/dev/null

step "certvault.exe verify: a scratch restore through casim.exe started by certvault.exe"
out=$(cv_win verify latest --repo "$(win "$repo")")
[[ $out == *"is restorable"* ]] || fail "certvault.exe verify did not prove the snapshot restorable: $out"
echo "   ${out%%$'\n'*}"

step "certvault.exe status --plugin and install-eventsource (issue 19)"
# The verify above recorded its outcome (outcomes/) and wrote its event; wine's ReportEventW
# accepts the event but keeps no Application log to read it back from.
out=$(cv_win status --plugin --repo "$(win "$repo")") || fail "certvault.exe status --plugin is not OK: $out"
[[ $out == "CERTVAULT OK - "*"|"*"'space_used'="* ]] || fail "certvault.exe status --plugin printed: $out"
echo "   ${out%% |*}"
out=$(cv_win install-eventsource) || fail "certvault.exe install-eventsource failed: $out"
[[ $out == *"registered event source certvault"* ]] || fail "install-eventsource printed: $out"

step "a repository deeper than MAX_PATH (260 characters)"
deep=$work/deep
for i in 1 2 3 4 5 6 7 8; do deep=$deep/$(printf 'folder-%02d-abcdefghijklmnopqrstuvwxyz' "$i"); done
[ "${#deep}" -gt 260 ] || fail "the deep path is only ${#deep} characters"
cv_win init --repo "$(win "$deep/repo")" >/dev/null
cv_win backup --repo "$(win "$deep/repo")" --server "$(win "$ca")" --type full >/dev/null
cv_win export latest --repo "$(win "$deep/repo")" --to "$(win "$deep/export")" >/dev/null
compare_common "$deep/export/DataBase" "$ca/CertLog" "export under a ${#deep}-character path vs CertLog"

step "a lock record left by a process that no longer runs is taken over (LockFileEx, OpenProcess)"
host=$(timeout 60 wine64 cmd /c 'echo %COMPUTERNAME%' 2>/dev/null | tr -d '\r\n')
[ -n "$host" ] || fail "cannot read the wine machine's computer name"
printf 'host=%s pid=999999 started=1700000000 mode=exclusive\n' "$host" >"$repo/lock"
out=$(cv_win snapshots --repo "$(win "$repo")")
[[ $out == *"stale lock left by pid 999999"* ]] || fail "certvault.exe did not report the stale lock of pid 999999"
[[ $out == *"snapshots"* ]] || fail "certvault.exe snapshots failed after taking over a stale lock"
echo "   stale record of pid 999999 on $host reported and taken over"

step "recovery set: the configuration key from wine's registry (wine reg add), exported, reg import round trip"
key='HKLM\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration'
run_wine reg add "$key" /v Active /t REG_SZ /d "$ca_name" /f >/dev/null
run_wine reg add "$key" /v DBDirectory /t REG_SZ /d 'C:\Windows\system32\CertLog' /f >/dev/null
run_wine reg add "$key" /v Version /t REG_DWORD /d 393217 /f >/dev/null
run_wine reg add "$key\\$ca_name" /v CACertHash /t REG_MULTI_SZ \
  /d '0a 1b 2c 3d 4e 5f 60 71 82 93 a4 b5 c6 d7 e8 f9 0a 1b 2c 3d' /f >/dev/null
run_wine reg add "$key\\$ca_name" /v CRLPublicationURLs /t REG_MULTI_SZ \
  /d '65:C:\Windows\system32\CertSrv\CertEnroll\%3%8%9.crl\06:http://pki.contoso.com/CertEnroll/%3%8%9.crl' /f >/dev/null
run_wine reg add "$key\\$ca_name" /v CRLPeriodUnits /t REG_DWORD /d 1 /f >/dev/null
run_wine reg add "$key\\$ca_name\CSP" /v Provider /t REG_SZ /d 'Microsoft Software Key Storage Provider' /f >/dev/null
out=$(cv_win backup --repo "$(win "$repo")" --server "$(win "$ca")" --type full 2>&1)
[[ $out == *"Config/CA.reg"* ]] || fail "the full backup stored no Config/CA.reg: $out"
cv_win export latest --repo "$(win "$repo")" --to "$(win "$work/export-config")" >/dev/null
[ -f "$work/export-config/Config/CA.reg" ] || fail "the export has no Config/CA.reg"
head -c 2 "$work/export-config/Config/CA.reg" | od -An -tx1 | grep -q 'ff fe' || fail "Config/CA.reg has no UTF-16LE BOM"
run_wine reg export "$key" "$(win "$work/wine-before.reg")" /y >/dev/null
run_wine reg delete "$key" /f >/dev/null
run_wine reg import "$(win "$work/export-config/Config/CA.reg")" >/dev/null
run_wine reg export "$key" "$(win "$work/wine-after.reg")" /y >/dev/null
cmp -s "$work/wine-before.reg" "$work/wine-after.reg" ||
  fail "wine reg import of certvault's CA.reg does not give back the key (wine-before.reg, wine-after.reg)"
echo "   reg import of Config/CA.reg restores the key exactly (reg export before and after identical)"
if cmp -s "$work/export-config/Config/CA.reg" "$work/wine-before.reg"; then
  echo "   Config/CA.reg is byte for byte what wine's reg export writes"
else
  echo "   Config/CA.reg differs in layout from wine's reg export (same key; see the files)"
fi
# The CA certificate is not in wine's machine store and there is no CAPolicy.inf: both are notes.
[[ $out == *"not stored"* ]] || fail "the backup did not note the CA certificate missing from the store: $out"

step "a key file sealed with DPAPI for this account (key add --dpapi) opens the repository; a changed one does not"
cv_win key add --repo "$(win "$repo")" --dpapi --new-key-file "$(win "$work/task.key")" >/dev/null
head -n 1 "$work/task.key" | tr -d '\r' | grep -qx 'certvault DPAPI key file v1' ||
  fail "key add --dpapi wrote no DPAPI key file ($work/task.key)"
grep -qE '^[0-9a-f]{64}$' "$work/task.key" && fail "the DPAPI key file holds a plain 64-hex key"
out=$(CERTVAULT_PASSWORD='' cv_win snapshots --repo "$(win "$repo")" --key-file "$(win "$work/task.key")")
[[ $out == *"snapshots"* ]] || fail "certvault.exe did not open the repository with its DPAPI key file: $out"
awk 'NR == 2 { c = substr($0, 41, 1); $0 = substr($0, 1, 40) (c == "0" ? "1" : "0") substr($0, 42) } 1' \
  "$work/task.key" >"$work/changed.key"
if CERTVAULT_PASSWORD='' timeout 300 wine64 "$work/bin/certvault.exe" snapshots --repo "$(win "$repo")" \
  --key-file "$(win "$work/changed.key")" >/dev/null 2>&1; then
  fail "certvault.exe opened the repository with a changed DPAPI key file"
fi
set +e
linux_out=$(CERTVAULT_PASSWORD='' cv_linux snapshots --repo "$repo" --key-file "$work/task.key" 2>&1)
linux_rc=$?
set -e
[ "$linux_rc" -eq 2 ] && [[ $linux_out == *DPAPI* ]] ||
  fail "the Linux build did not refuse the DPAPI key file clearly (exit $linux_rc): $linux_out"
echo "   sealed for this account, opened, a changed copy refused; the Linux build names it a DPAPI key file"
echo "   (wine cannot show: another account or machine failing to open it; wine's DPAPI is not Windows')"

step "--with-key under wine: refused into a plaintext repository (exit 6); a key it cannot export is recorded, not a failure"
# Wine's machine store holds no CA certificate, so PFXExportCertStoreEx and the providers' export
# policies cannot run here (docs/windows.md): this shows the refusal and the record only.
printf 'p12 passphrase\n' >"$work/p12-passphrase"
cv_win init --repo "$(win "$work/plain-repo")" --insecure-no-encryption >/dev/null
set +e
out=$(timeout 300 wine64 "$work/bin/certvault.exe" backup --repo "$(win "$work/plain-repo")" --server "$(win "$ca")" \
  --type full --with-key --key-password-file "$(win "$work/p12-passphrase")" 2>&1)
code=$?
set -e
[ "$code" -eq 6 ] || fail "backup --with-key into a plaintext repository exited $code, not 6: $out"
[[ $out == *"refusing --with-key"* ]] || fail "the refusal does not say why: $out"
[[ $(cv_win snapshots --repo "$(win "$work/plain-repo")") == *"0 snapshots"* ]] ||
  fail "the refused backup left a snapshot in the plaintext repository"
echo "   plaintext repository: exit 6, nothing backed up"
out=$(cv_win backup --repo "$(win "$repo")" --server "$(win "$ca")" --type full --with-key \
  --key-password-file "$(win "$work/p12-passphrase")" --json 2>&1)
[[ $out == *'"stored": false'* ]] || fail "backup --with-key --json does not say the key was not stored: $out"
# Wine's prefix has no machine "My" store at all: CertOpenStore names it, with its HRESULT.
[[ $out == *"the CA's private key was not exported: CertOpenStore(LocalMachine"* ]] ||
  fail "the key's note does not say why the key was not exported: $out"
out=$(cv_win show latest --repo "$(win "$repo")")
[[ $out == *"missing files:"*"Config/"*".p12: the CA's private key was not exported"* ]] ||
  fail "show does not list the key as a missing file: $out"
echo "   encrypted repository: key not found in wine's store, recorded as Config/<CA>.p12 missing, exit 0"

step "certvault.exe reads a repository the Linux build wrote"
linux_ca=$work/linux-ca
linux_repo=$work/linux-repo
casim_linux init "$linux_ca" --ca-name "Linux CA" --db-size 4MiB >/dev/null
casim_linux issue "$linux_ca" --count 30 >/dev/null
cv_linux init --repo "$linux_repo" >/dev/null
cv_linux backup --repo "$linux_repo" --server "$linux_ca" --type full \
  --library "$linux_build/sim/libcertadm_sim.so" >/dev/null
casim_linux issue "$linux_ca" --count 30 >/dev/null
cv_linux backup --repo "$linux_repo" --server "$linux_ca" --library "$linux_build/sim/libcertadm_sim.so" >/dev/null
out=$(cv_win snapshots --repo "$(win "$linux_repo")")
[[ $out == *"2 snapshots"* ]] || fail "certvault.exe snapshots does not list the 2 snapshots written on Linux"
checked=0
for snapshot in $(cv_linux snapshots --repo "$linux_repo" | awk 'length($1) == 12 && $1 ~ /^[0-9a-f]+$/ {print $1}'); do
  cv_linux export "$snapshot" --repo "$linux_repo" --to "$work/linux-export-$snapshot" >/dev/null
  cv_win export "$snapshot" --repo "$(win "$linux_repo")" --to "$(win "$work/windows-export-$snapshot")" >/dev/null
  diff -r "$work/linux-export-$snapshot" "$work/windows-export-$snapshot" >/dev/null ||
    fail "certvault.exe's export of Linux snapshot $snapshot differs from the Linux export"
  echo "   snapshot $snapshot: certvault.exe's export identical to the Linux build's"
  checked=$((checked + 1))
done
[ "$checked" -eq 2 ] || fail "expected 2 Linux snapshots to compare, found $checked"

echo "PASS: the Windows build under wine"
