# Every dependency comes from Debian 12's packages (see scripts/install-deps.sh).
# Nothing is vendored and nothing is downloaded at configure or build time.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(SQLite3 REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
find_package(CLI11 CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
if(CERTVAULT_TESTS)
  find_package(Catch2 2 CONFIG REQUIRED)
  include(Catch)
endif()
