#!/usr/bin/env bash
# Installs, from Debian 12's archive only, whatever build and test
# dependencies are missing. Safe to run again: it installs nothing when all is there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libsqlite3-dev libxxhash-dev libzstd-dev libcli11-dev catch2
  nlohmann-json3-dev libfmt-dev libarchive-dev libsodium-dev
  # The simulated CA's private key as PKCS#12 (backup --with-key off Windows; OpenSSL's libcrypto).
  libssl-dev
  # S3 repositories (issue 18): HTTP and SigV4 signing through libcurl, XML responses through expat.
  # The Ceph gateway the s3 tests run against is installed by scripts/ceph-rgw.sh, not here.
  libcurl4-openssl-dev libexpat1-dev
  sqlite3 tar
  # Tests: esedbinfo reads the simulated CA's database header as an ESE reader does (tests/sim).
  libesedb-utils
  # Tests: status --html is loaded in headless Chromium and its screenshot decoded (tests/status).
  chromium libpng-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
