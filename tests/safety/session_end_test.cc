// Issue 15, item 5: a failed CertSrvBackupEnd is reported (exit 8, text and JSON), and dynamic
// files are read only when they are regular files, never through a symlink, never hanging on a FIFO.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "test_support.h"

using namespace certvault_test;

namespace {

struct Ca {
  TempFolder temp{"safety-session"};
  std::filesystem::path ca = temp / "ca";
  std::filesystem::path repo = temp / "repo";
  Ca() {
    casim("init " + quoted(ca.string()) + " --ca-name 'Fabrikam CA' --db-size 1MiB");
    casim("issue " + quoted(ca.string()) + " --count 20");
    REQUIRE(certvault("init --repo " + quoted(repo.string())).exit_code == 0);
  }
  CommandResult back_up(const std::string& extra = "") const {
    return certvault("backup --repo " + quoted(repo.string()) + " --server " + quoted(ca.string()) +
                     " --type full --library " + quoted(sim_library().string()) + " " + extra);
  }
};

}  // namespace

TEST_CASE("a failed CertSrvBackupEnd after the commit exits 8 and says so in text and JSON") {
  Ca setup;
  casim("fault " + quoted(setup.ca.string()) + " --fail CertSrvBackupEnd --hresult 0x80004005 --times 1");
  const auto text = setup.back_up();
  INFO(text.output);
  CHECK(text.exit_code == 8);
  CHECK_THAT(text.output, Catch::Contains("committed and safe, but the CA did not record the end of the backup"));
  CHECK_THAT(text.output, Catch::Contains("CertSrvBackupEnd"));

  casim("fault " + quoted(setup.ca.string()) + " --fail CertSrvBackupEnd --hresult 0x80004005 --times 1");
  const auto json = setup.back_up("--json");
  INFO(json.output);
  CHECK(json.exit_code == 8);
  CHECK_THAT(json.output, Catch::Contains("\"session_end_error\": \"") && Catch::Contains("CertSrvBackupEnd"));

  const auto clean = setup.back_up("--json");
  INFO(clean.output);
  CHECK(clean.exit_code == 0);
  CHECK_THAT(clean.output, Catch::Contains("\"session_end_error\": \"\""));
}

TEST_CASE("a FIFO or a symlink among the dynamic files is named and not read, and the backup does not hang") {
  Ca setup;
  const auto enroll = setup.ca / "CertEnroll";
  std::filesystem::path crt, crl;
  for (const auto& entry : std::filesystem::directory_iterator(enroll)) {
    if (entry.path().extension() == ".crt") crt = entry.path();
    if (entry.path().extension() == ".crl" && entry.path().filename().string().find('+') == std::string::npos) {
      crl = entry.path();
    }
  }
  REQUIRE(!crt.empty());
  REQUIRE(!crl.empty());
  std::filesystem::remove(crt);
  REQUIRE(::mkfifo(crt.c_str(), 0644) == 0);
  const auto secret = setup.temp / "secret.txt";
  write_bytes(secret, {'s', 'e', 'c', 'r', 'e', 't'});
  std::filesystem::remove(crl);
  std::filesystem::create_symlink(secret, crl);

  // `timeout` turns a hang into a failure instead of a stuck test run.
  const auto result =
      run("timeout 60 " + quoted(certvault_binary().string()) + " backup --repo " + quoted(setup.repo.string()) +
          " --server " + quoted(setup.ca.string()) + " --type full --library " + quoted(sim_library().string()));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("not a regular file (a FIFO"));
  CHECK_THAT(result.output, Catch::Contains("a symbolic link, not followed"));
  const auto out = setup.temp / "out";
  const auto exported =
      certvault("export --repo " + quoted(setup.repo.string()) + " latest --to " + quoted(out.string()));
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  CHECK(!std::filesystem::exists(out / "Dynamic" / crl.filename()));
  CHECK(!std::filesystem::exists(out / "Dynamic" / crt.filename()));
}
