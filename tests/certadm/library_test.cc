#include "certvault/certadm/library.h"

#include <dlfcn.h>

#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "sim_fixture.h"

using namespace certvault;
using namespace certvault::certadm;

namespace {
std::string load_error(const std::filesystem::path& path) {
  try {
    Library::load(path);
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::kFailure);
    return error.what();
  }
  FAIL("Library::load accepted " << path);
  return {};
}
}  // namespace

TEST_CASE("a library path that does not exist gives a clear error") {
  certadm_test::TempFolder folder;
  const auto missing = folder.path() / "no-such-certadm.so";
  const std::string message = load_error(missing);
  CHECK_THAT(message, Catch::Contains("cannot load the Certadm library") &&
                          Catch::Contains(certadm_test::to_utf8(missing)) && Catch::Contains("dlopen failed") &&
                          Catch::Contains("No such file"));
}

TEST_CASE("a file that is not a shared library gives the loader's reason") {
  certadm_test::TempFolder folder;
  const auto bogus = folder.path() / "libcertadm_sim.so";
  std::ofstream(bogus) << "not an ELF file";
  CHECK_THAT(load_error(bogus), Catch::Contains(certadm_test::to_utf8(bogus)) && Catch::Contains("dlopen failed"));
}

TEST_CASE("a library missing one Certadm export is refused, naming it") {
  const std::string message = load_error(CERTADM_TEST_STUB_INCOMPLETE);
  CHECK_THAT(message, Catch::Contains(CERTADM_TEST_STUB_INCOMPLETE) &&
                          Catch::Contains("does not export 1 of the 17 functions") &&
                          Catch::Contains("CertSrvBackupTruncateLogs") && Catch::Contains("dlsym"));
  CHECK_THAT(message, !Catch::Contains("CertSrvBackupEnd"));
  // The refused library was closed again.
  CHECK_FALSE(certadm_test::is_loaded(CERTADM_TEST_STUB_INCOMPLETE));
}

TEST_CASE("a library with none of the exports names all seventeen") {
  // libc is a real shared library with none of the CertSrv* functions.
  Dl_info info{};
  REQUIRE(dladdr(reinterpret_cast<void*>(&std::abort), &info) != 0);
  REQUIRE(info.dli_fname != nullptr);
  const std::string message = load_error(info.dli_fname);
  CHECK_THAT(message, Catch::Contains("does not export 17 of the 17"));
  for (auto name : kFunctionNames) CHECK_THAT(message, Catch::Contains(std::string(name)));
}

TEST_CASE("every function resolves from a complete library, which unloads with the last owner") {
  {
    const auto library = Library::load(CERTADM_TEST_STUB);
    const Functions& functions = library->functions();
    CHECK(functions.is_server_online != nullptr);
    CHECK(functions.backup_truncate_logs != nullptr);
    CHECK(functions.server_control != nullptr);
    CHECK(library->display_path() == CERTADM_TEST_STUB);
    CHECK(certadm_test::is_loaded(CERTADM_TEST_STUB));
  }
  CHECK_FALSE(certadm_test::is_loaded(CERTADM_TEST_STUB));
}

TEST_CASE("the default library is the sim beside the executable or in ../sim/") {
  const auto path = Library::default_path();
  CHECK(path.filename() == "libcertadm_sim.so");
  const auto executable_folder = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  const bool beside = path.parent_path() == executable_folder;
  const bool in_sim = path.parent_path() == executable_folder.parent_path() / "sim";
  CHECK((beside || in_sim));
}
