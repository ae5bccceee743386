# The Windows (mingw-w64) cross build's dependencies, prepared by scripts/build-windows.sh in
# CERTVAULT_WINDOWS_DEPS: include/ holds links to the header-only Debian packages (fmt, nlohmann,
# CLI, xxhash.h) and the headers of zstd and SQLite; lib/ holds libzstd.a and libsqlite3.a built
# with mingw from Debian's source packages, and libsodium.a. The targets carry the names the Linux build gets from
# find_package / pkg-config, so the rest of the build is the same on both platforms.
set(CERTVAULT_WINDOWS_DEPS "" CACHE PATH "Windows dependencies prepared by scripts/build-windows.sh")
if(NOT CERTVAULT_WINDOWS_DEPS OR NOT EXISTS "${CERTVAULT_WINDOWS_DEPS}/lib/libzstd.a")
  message(FATAL_ERROR "the Windows build needs CERTVAULT_WINDOWS_DEPS; run scripts/build-windows.sh")
endif()
set(deps_include "${CERTVAULT_WINDOWS_DEPS}/include")

find_package(Threads REQUIRED)

# fmt is used header-only: one less library to cross-build.
add_library(fmt::fmt-header-only INTERFACE IMPORTED)
target_include_directories(fmt::fmt-header-only SYSTEM INTERFACE "${deps_include}")
target_compile_definitions(fmt::fmt-header-only INTERFACE FMT_HEADER_ONLY=1)
add_library(fmt::fmt ALIAS fmt::fmt-header-only)

add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED)
target_include_directories(nlohmann_json::nlohmann_json SYSTEM INTERFACE "${deps_include}")

add_library(CLI11::CLI11 INTERFACE IMPORTED)
target_include_directories(CLI11::CLI11 SYSTEM INTERFACE "${deps_include}")

# xxHash inlined into every user: no library.
add_library(PkgConfig::XXHASH INTERFACE IMPORTED)
target_include_directories(PkgConfig::XXHASH SYSTEM INTERFACE "${deps_include}")
target_compile_definitions(PkgConfig::XXHASH INTERFACE "XXH_INLINE_ALL=")

add_library(PkgConfig::ZSTD STATIC IMPORTED)
set_target_properties(PkgConfig::ZSTD PROPERTIES IMPORTED_LOCATION "${CERTVAULT_WINDOWS_DEPS}/lib/libzstd.a")
target_include_directories(PkgConfig::ZSTD SYSTEM INTERFACE "${deps_include}")

# libsodium (issue 17): static, so its headers must not declare dllimport.
add_library(PkgConfig::SODIUM STATIC IMPORTED)
set_target_properties(PkgConfig::SODIUM PROPERTIES IMPORTED_LOCATION "${CERTVAULT_WINDOWS_DEPS}/lib/libsodium.a")
target_include_directories(PkgConfig::SODIUM SYSTEM INTERFACE "${deps_include}")
target_compile_definitions(PkgConfig::SODIUM INTERFACE SODIUM_STATIC=1)

add_library(SQLite::SQLite3 STATIC IMPORTED)
set_target_properties(SQLite::SQLite3 PROPERTIES IMPORTED_LOCATION "${CERTVAULT_WINDOWS_DEPS}/lib/libsqlite3.a")
target_include_directories(SQLite::SQLite3 SYSTEM INTERFACE "${deps_include}")
