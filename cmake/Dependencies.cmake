# Every dependency comes from Debian 12's packages (see scripts/install-deps.sh).
# Nothing is vendored and nothing is downloaded at configure or build time.
if(WIN32)
  include(${CMAKE_CURRENT_LIST_DIR}/DependenciesWindows.cmake)
  return()
endif()
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(SQLite3 REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# PKCS#12 of the simulated CA's private key (operations/src/ca_key_posix.cc) and the tests that open
# it: OpenSSL's PKCS12_create, not a hand-written PKCS#12. Windows exports through CryptoAPI instead.
pkg_check_modules(LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto)
# S3 repositories (s3/, issue 18): HTTP with SigV4 signing, and the XML of S3's answers.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl>=7.75)
pkg_check_modules(EXPAT REQUIRED IMPORTED_TARGET expat)
find_package(CLI11 CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
if(CERTVAULT_TESTS)
  find_package(Catch2 2 CONFIG REQUIRED)
  include(Catch)
endif()
