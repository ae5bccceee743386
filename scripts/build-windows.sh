#!/usr/bin/env bash
# Cross-builds certvault for 64-bit Windows with Debian's mingw-w64:
#   BUILD_DIR/cli/certvault.exe   statically linked (imports only Windows system DLLs)
#   BUILD_DIR/sim/certadm.dll     the simulated Certificate Services, same 17 exports as Certadm.dll
#   BUILD_DIR/sim/casim.exe       the simulated CA's control program
# zstd, SQLite and libsodium are built with mingw from Debian's own source packages (apt-get source) into
# BUILD_DIR/deps, which is reused when present; fmt, nlohmann_json, CLI11 and xxHash are the
# header-only Debian packages. Nothing is downloaded from anywhere but the Debian archive.
#   scripts/build-windows.sh                 # into ./build-windows
#   BUILD_DIR=/tmp/w scripts/build-windows.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
build_dir=$(realpath -m "${BUILD_DIR:-build-windows}")
deps=$build_dir/deps
host=x86_64-w64-mingw32
jobs=$(nproc)

# --- packages -----------------------------------------------------------------------------
scripts/install-deps.sh
packages=(g++-mingw-w64-x86-64-posix mingw-w64-x86-64-dev dpkg-dev tcl xz-utils)
[ "${CERTVAULT_WINE:-0}" = 1 ] && packages+=(wine64)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-windows: installing ${missing[*]}" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# apt-get source needs a deb-src entry for the archive the binary packages come from: the same
# URIs and suites as the deb822 entry in /etc/apt/sources.list.d (or the one-line sources.list).
ensure_deb_src() {
  if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then return; fi
  local from uris suites
  from=$(grep -lsE '^URIs:.*debian' /etc/apt/sources.list.d/*.sources | head -n 1 || true)
  if [ -n "$from" ]; then
    uris=$(awk '/^URIs:/ {sub(/^URIs: */, ""); print; exit}' "$from")
    suites=$(awk '/^Suites:/ {sub(/^Suites: */, ""); print; exit}' "$from")
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$uris" "$suites" | "${sudo[@]}" tee /etc/apt/sources.list.d/certvault-deb-src.sources >/dev/null
  else
    grep -hE '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' |
      "${sudo[@]}" tee /etc/apt/sources.list.d/certvault-deb-src.list >/dev/null
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
}

# Unpacks Debian's source package $1 (with Debian's patches applied) into $deps/src/$1.
debian_source() {
  local package=$1
  [ -d "$deps/src/$package" ] && return
  ensure_deb_src
  local download=$deps/download/$package
  rm -rf "$download" && mkdir -p "$download"
  (cd "$download" && apt-get source --download-only -qq "$package" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  local dsc
  dsc=$(ls "$download"/*.dsc | head -n 1)
  mkdir -p "$deps/src"
  dpkg-source --no-check -x "$dsc" "$deps/src/$package.tmp" >/dev/null
  mv "$deps/src/$package.tmp" "$deps/src/$package"
}

mkdir -p "$deps/include" "$deps/lib"

# --- zstd: the library's C sources, compiled directly (no threads, no assembly needed) -----------
# dictBuilder (ZDICT, issue 16) joined later: a library built without it is rebuilt.
if [ ! -f "$deps/lib/libzstd.a" ] || [ ! -f "$deps/obj/zstd/dictBuilder_zdict.o" ]; then
  debian_source libzstd
  echo "build-windows: building zstd for Windows" >&2
  zsrc=$deps/src/libzstd/lib
  zobj=$deps/obj/zstd
  rm -rf "$zobj" && mkdir -p "$zobj"
  printf '%s\n' "$zsrc"/common/*.c "$zsrc"/compress/*.c "$zsrc"/decompress/*.c "$zsrc"/dictBuilder/*.c |
    xargs -P "$jobs" -I{} sh -c 'f={}; o='"$zobj"'/$(basename "$(dirname "$f")")_$(basename "$f" .c).o;
      '"$host"'-gcc-posix -O2 -DZSTD_DISABLE_ASM -DXXH_NAMESPACE=ZSTD_ -c "$f" -o "$o"'
  rm -f "$deps/lib/libzstd.a.tmp"
  $host-ar rcs "$deps/lib/libzstd.a.tmp" "$zobj"/*.o
  cp "$zsrc"/zstd.h "$zsrc"/zstd_errors.h "$zsrc"/zdict.h "$deps/include/"
  mv "$deps/lib/libzstd.a.tmp" "$deps/lib/libzstd.a"
fi

# --- SQLite: the amalgamation is generated with the build machine's tools (tclsh, lemon), then
# compiled with mingw ---------------------------------------------------------------------------
if [ ! -f "$deps/lib/libsqlite3.a" ]; then
  debian_source sqlite3
  echo "build-windows: building SQLite for Windows" >&2
  sqlite_native=$deps/obj/sqlite-amalgamation
  rm -rf "$sqlite_native" && mkdir -p "$sqlite_native"
  (cd "$sqlite_native" && "$deps/src/sqlite3/configure" --disable-tcl >/dev/null && make -s sqlite3.c >/dev/null)
  $host-gcc-posix -O2 -DSQLITE_THREADSAFE=1 -DSQLITE_DEFAULT_FOREIGN_KEYS=1 -DSQLITE_OMIT_LOAD_EXTENSION \
    -c "$sqlite_native/sqlite3.c" -o "$deps/obj/sqlite3.o"
  cp "$sqlite_native/sqlite3.h" "$deps/include/"
  $host-ar rcs "$deps/lib/libsqlite3.a.tmp" "$deps/obj/sqlite3.o"
  mv "$deps/lib/libsqlite3.a.tmp" "$deps/lib/libsqlite3.a"
fi

# --- libsodium (issue 17): Debian's source has no generated configure (it is upstream's git tree),
# so its C sources are compiled directly, as zstd's are: portable C, version.h filled in from its
# template; randombytes uses RtlGenRandom (advapi32) ----------------------------------------------
if [ ! -f "$deps/lib/libsodium.a" ]; then
  debian_source libsodium
  echo "build-windows: building libsodium for Windows" >&2
  ssrc=$deps/src/libsodium/src/libsodium
  sobj=$deps/obj/sodium
  rm -rf "$sobj" && mkdir -p "$sobj"
  sed -e 's/@VERSION@/1.0.18/' -e 's/@SODIUM_LIBRARY_VERSION_MAJOR@/10/' -e 's/@SODIUM_LIBRARY_VERSION_MINOR@/3/' \
    -e 's/@SODIUM_LIBRARY_MINIMAL_DEF@//' "$ssrc/include/sodium/version.h.in" >"$ssrc/include/sodium/version.h"
  find "$ssrc" -name '*.c' -print |
    xargs -P "$jobs" -I{} sh -c 'f={}; o='"$sobj"'/$(echo "$f" | sed "s|.*/src/libsodium/||; s|/|_|g; s|\.c$|.o|");
      '"$host"'-gcc-posix -O2 -DCONFIGURED=1 -DNATIVE_LITTLE_ENDIAN=1 -DSODIUM_STATIC=1 -DHAVE_TI_MODE=1 \
        -I'"$ssrc"'/include -I'"$ssrc"'/include/sodium -c "$f" -o "$o"'
  rm -f "$deps/lib/libsodium.a.tmp"
  $host-ar rcs "$deps/lib/libsodium.a.tmp" "$sobj"/*.o
  rm -rf "$deps/include/sodium"
  cp -r "$ssrc/include/sodium" "$ssrc/include/sodium.h" "$deps/include/"
  mv "$deps/lib/libsodium.a.tmp" "$deps/lib/libsodium.a"
fi

# --- header-only packages: only their own folders, never the whole of /usr/include ----------------
for header in fmt nlohmann CLI xxhash.h catch2; do
  [ -e "/usr/include/$header" ] && ln -sfn "/usr/include/$header" "$deps/include/$header"
done

# --- certvault ---------------------------------------------------------------------------------
cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} \
  -DCMAKE_TOOLCHAIN_FILE="$source_dir/cmake/toolchain-mingw-w64.cmake" -DCERTVAULT_WINDOWS_DEPS="$deps" \
  -DCERTVAULT_TESTS=OFF -DCERTVAULT_BENCH=OFF "$@" >/dev/null
cmake --build "$build_dir" -j"$jobs"

# Runs on a bare Windows: nothing but system DLLs may be imported. ncrypt (CNG key storage, since
# Vista) and oleaut32 (COM automation) are for backup --with-key and the published templates.
for artifact in cli/certvault.exe sim/certadm.dll sim/casim.exe; do
  imports=$($host-objdump -p "$build_dir/$artifact" | awk '/DLL Name:/ {print tolower($3)}' | sort -u)
  unexpected=$(echo "$imports" | grep -vE '^(kernel32|advapi32|bcrypt|crypt32|msvcrt|user32|ws2_32|shell32|ole32|oleaut32|ncrypt)\.dll$' || true)
  if [ -n "$unexpected" ]; then
    echo "build-windows: $artifact imports non-system DLLs: $(echo $unexpected)" >&2
    exit 1
  fi
done
echo "build-windows: $build_dir/cli/certvault.exe, $build_dir/sim/certadm.dll, $build_dir/sim/casim.exe"
