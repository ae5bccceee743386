// The seed's sixteen backup steps, in order, through the binding against the
// simulated CA, checked against the sim's own call log line by line.
#include <dlfcn.h>

#include <catch2/catch.hpp>

#include "certvault/certadm/certadm.h"
#include "sim_fixture.h"

using namespace certvault;
using namespace certvault::certadm;
using certadm_test::SimCa;

namespace {

constexpr size_t kReadBuffer = 256 * 1024;
const std::string kOk = " 0x00000000";

// Steps 7-9 for one file: returns its bytes and appends the expected call-log lines.
std::vector<uint8_t> back_up_file(BackupContext& backup, const NameEntry& entry, std::vector<std::string>& expected) {
  const uint64_t size = backup.open_file(entry, static_cast<uint32_t>(kReadBuffer));  // 7
  expected.push_back("CertSrvBackupOpenFileW" + kOk);
  std::vector<uint8_t> content;
  std::vector<uint8_t> buffer(kReadBuffer);
  for (size_t got = backup.read(buffer); got != 0; got = backup.read(buffer)) {  // 8
    content.insert(content.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(got));
    expected.push_back("CertSrvBackupRead" + kOk);
  }
  backup.close_file();  // 9
  expected.push_back("CertSrvBackupClose" + kOk);
  CHECK(content.size() == size);
  return content;
}

}  // namespace

#ifdef CERTADM_TESTS_HAVE_SIM
TEST_CASE("the sixteen steps of a full backup, against the sim", "[sim]") {
  SimCa ca("Contoso Root CA", "ca", 40, "2MiB");
  std::vector<std::string> expected;
  const std::filesystem::path library_path = certadm_test::sim_library_path();
  {
    // 1-2: load the library and resolve every function.
    auto library = Library::load(library_path);
    REQUIRE(library->functions().backup_truncate_logs != nullptr);
    Server server(library, ca.server());

    CHECK(server.is_online());  // 3
    expected.push_back("CertSrvIsServerOnlineW" + kOk);
    auto backup = server.prepare_backup(CSBACKUP_TYPE_FULL);  // 4
    expected.push_back("CertSrvBackupPrepareW" + kOk);
    {
      const NameList locations = backup.restore_locations();  // 5
      expected.push_back("CertSrvRestoreGetDatabaseLocationsW" + kOk);
      REQUIRE(locations.entries.size() == 3);
      CHECK(locations.entries[0].type_code == CSBFT_LOG_DIR);
      CHECK(locations.entries[1].type_code == CSBFT_CHECKPOINT_DIR);
      CHECK(locations.entries[2].type_code == CSBFT_CERTSERVER_DATABASE);
      CHECK(locations.entries[2].path_utf8 == certadm_test::to_utf8(ca.database()));
      CHECK(parse_multistring(locations.raw, true).entries.size() == 3);  // raw is stored as certbkxp.dat

      const NameList databases = backup.database_names();  // 6
      expected.push_back("CertSrvBackupGetDatabaseNamesW" + kOk);
      REQUIRE(databases.entries.size() == 1);
      CHECK(databases.entries[0].type_code == CSBFT_CERTSERVER_DATABASE);
      for (const auto& entry : databases.entries) {
        const auto content = back_up_file(backup, entry, expected);  // 7-9
        CHECK(content == certadm_test::file_bytes(entry.path_utf8));
      }

      const NameList logs = backup.backup_logs();  // 10
      expected.push_back("CertSrvBackupGetBackupLogsW" + kOk);
      REQUIRE_FALSE(logs.entries.empty());
      for (const auto& entry : logs.entries) {
        CHECK(entry.type_code == CSBFT_LOG);
        const auto content = back_up_file(backup, entry, expected);  // 7-9
        CHECK(content.size() == 1024 * 1024);
        CHECK(content == certadm_test::file_bytes(entry.path_utf8));
      }

      // 11: BackupContext::truncate_logs needs a CommittedSnapshot, which only the repository
      // makes (stub_api_test.cc asserts there is no other way); the seed's call goes raw here.
      CHECK(library->functions().backup_truncate_logs(backup.native_handle()) == 0);
      expected.push_back("CertSrvBackupTruncateLogs" + kOk);

      const NameList dynamic = backup.dynamic_files();  // 12
      expected.push_back("CertSrvBackupGetDynamicFileListW" + kOk);
      REQUIRE(dynamic.entries.size() == 3);
      for (const auto& entry : dynamic.entries) {
        CHECK(entry.type_code == 0);
        CHECK_FALSE(certadm_test::file_bytes(entry.path_utf8).empty());  // 13: copied by other means
      }

      backup.end();  // 14
      expected.push_back("CertSrvBackupEnd" + kOk);
    }  // 15: the four lists go, each buffer is freed
    for (int i = 0; i < 4; ++i) expected.push_back("CertSrvBackupFree -");
    CHECK(certadm_test::is_loaded(library_path));
  }
  // 16: the last owner is gone, so the library was unloaded.
  CHECK_FALSE(certadm_test::is_loaded(library_path));

  const std::vector<std::string> calls = ca.calls();
  REQUIRE(calls.size() == expected.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    INFO("call log line " << i + 1);
    CHECK(calls[i] == expected[i]);
  }
}
#endif
