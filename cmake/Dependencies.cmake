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
# Debian's x86-64 libxxhash exports XXH3 entry points that pick AVX-512/AVX2/SSE2 at run time
# (xxh_x86dispatch.h); chunk ids and digests use them where the library has them.
include(CheckSymbolExists)
set(CMAKE_REQUIRED_INCLUDES ${XXHASH_INCLUDE_DIRS})
set(CMAKE_REQUIRED_LIBRARIES ${XXHASH_LINK_LIBRARIES})
check_symbol_exists(XXH3_128bits_withSecret_dispatch "xxh_x86dispatch.h" CERTVAULT_HAVE_XXH3_DISPATCH)
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
if(CERTVAULT_HAVE_XXH3_DISPATCH)
  set_property(TARGET PkgConfig::XXHASH APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS CERTVAULT_XXH3_DISPATCH)
endif()
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
