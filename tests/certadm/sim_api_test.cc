// Errors, names and contexts through the binding against the simulated CA.
#include <catch2/catch.hpp>

#include "certvault/certadm/certadm.h"
#include "sim_fixture.h"

using namespace certvault;
using namespace certvault::certadm;
using certadm_test::SimCa;

#ifdef CERTADM_TESTS_HAVE_SIM
namespace {

std::shared_ptr<Library> sim_library() { return Library::load(certadm_test::sim_library_path()); }

std::vector<uint8_t> read_all(BackupContext& backup, const NameEntry& entry) {
  const uint64_t size = backup.open_file(entry, 0);
  std::vector<uint8_t> content;
  std::vector<uint8_t> buffer(64 * 1024);
  for (size_t got = backup.read(buffer); got != 0; got = backup.read(buffer)) {
    content.insert(content.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(got));
  }
  backup.close_file();
  CHECK(content.size() == size);
  return content;
}

// Runs `action`, which must throw ApiError; returns it for inspection.
template <typename Action>
ApiError api_error_of(Action&& action) {
  try {
    action();
  } catch (const ApiError& error) {
    return error;
  }
  FAIL("no ApiError was thrown");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("non-ASCII CA names and folders round-trip through the API", "[sim]") {
  const std::string ca_name = "Ünïcödé CA 証明書 \xF0\x9D\x84\x9E";  // U+1D11E: a surrogate pair in UTF-16
  SimCa ca(ca_name, "folder ✓ Ω", 5);
  Server server(sim_library(), ca.server());
  CHECK(server.is_online());
  auto backup = server.prepare_backup(CSBACKUP_TYPE_FULL);
  const NameList databases = backup.database_names();
  REQUIRE(databases.entries.size() == 1);
  const NameEntry& database = databases.entries[0];
  CHECK(database.path_utf8 == certadm_test::to_utf8(ca.database()));
  CHECK(database.path_utf16 == utf8_to_utf16(certadm_test::to_utf8(ca.database())));
  CHECK(read_all(backup, database) == certadm_test::file_bytes(ca.database()));
  const NameList dynamic = backup.dynamic_files();
  bool found_certificate = false;
  for (const auto& entry : dynamic.entries) {
    found_certificate = found_certificate || entry.path_utf8.ends_with(ca_name + ".crt");
  }
  CHECK(found_certificate);
  backup.end();
}

TEST_CASE("an injected API failure names the function, the argument and the HRESULT", "[sim]") {
  SimCa ca("Fault CA");
  Server server(sim_library(), ca.server());
  auto backup = server.prepare_backup(CSBACKUP_TYPE_FULL);
  const NameList databases = backup.database_names();
  REQUIRE(databases.entries.size() == 1);
  certadm_test::casim("fault " + ca.quoted_folder() + " --fail CertSrvBackupOpenFileW --hresult 0x80070005");
  const ApiError error = api_error_of([&] { backup.open_file(databases.entries[0], 0); });
  CHECK(error.function() == "CertSrvBackupOpenFileW");
  CHECK(error.hresult() == certadm_abi::kEAccessDenied);
  CHECK(error.kind() == ErrorKind::kApi);
  CHECK(std::string(error.what()) == "CertSrvBackupOpenFileW(\"" + certadm_test::to_utf8(ca.database()) +
                                         "\") failed: 0x80070005 (E_ACCESSDENIED: Access is denied)");
  CHECK(ca.calls().back() == "CertSrvBackupOpenFileW 0x80070005");
}

TEST_CASE("an injected read error names the file and the offset", "[sim]") {
  SimCa ca("Read Fault CA");
  certadm_test::casim("fault " + ca.quoted_folder() + " --read-error 100000 --file .edb");
  Server server(sim_library(), ca.server());
  auto backup = server.prepare_backup(CSBACKUP_TYPE_FULL);
  const NameList databases = backup.database_names();
  REQUIRE(databases.entries.size() == 1);
  backup.open_file(databases.entries[0], 0);
  std::vector<uint8_t> buffer(64 * 1024);
  CHECK(backup.read(buffer) == buffer.size());
  const ApiError error = api_error_of([&] { backup.read(buffer); });
  CHECK(error.function() == "CertSrvBackupRead");
  CHECK_THAT(error.what(), Catch::Contains("at offset 65536") && Catch::Contains("0x8007001E (ERROR_READ_FAULT"));
}

TEST_CASE("short reads are continued until the size OpenFile announced", "[sim]") {
  SimCa ca("Short Read CA");
  certadm_test::casim("fault " + ca.quoted_folder() + " --short-read 70000 --file .edb");
  Server server(sim_library(), ca.server());
  auto backup = server.prepare_backup(CSBACKUP_TYPE_FULL);
  const NameList databases = backup.database_names();
  CHECK(read_all(backup, databases.entries.at(0)) == certadm_test::file_bytes(ca.database()));
}

TEST_CASE("a stopped CA and a logs-only backup without a full one fail with named HRESULTs", "[sim]") {
  SimCa ca("Stopped CA");
  Server server(sim_library(), ca.server());
  const ApiError missing_full = api_error_of([&] { server.prepare_backup(CSBACKUP_TYPE_LOGS_ONLY); });
  CHECK(missing_full.hresult() == certadm_abi::kJetMissingFullBackup);
  CHECK_THAT(missing_full.what(),
             Catch::Contains("CertSrvBackupPrepareW(\"" + ca.server() + "\", grbitJet 0x0, CSBACKUP_TYPE_LOGS_ONLY)") &&
                 Catch::Contains("JET_errMissingFullBackup"));
  certadm_test::casim("stop " + ca.quoted_folder());
  CHECK_FALSE(server.is_online());
  const ApiError offline = api_error_of([&] { server.prepare_backup(CSBACKUP_TYPE_FULL); });
  CHECK(offline.function() == "CertSrvBackupPrepareW");
  CHECK_THAT(offline.what(), Catch::Contains("0x800706BA (RPC_S_SERVER_UNAVAILABLE"));
}

TEST_CASE("a server name that is no CA gives ERROR_BAD_NETPATH", "[sim]") {
  certadm_test::TempFolder empty;
  Server server(sim_library(), certadm_test::to_utf8(empty.path()));
  const ApiError error = api_error_of([&] { server.is_online(); });
  CHECK(error.function() == "CertSrvIsServerOnlineW");
  CHECK_THAT(error.what(), Catch::Contains("ERROR_BAD_NETPATH"));
}

TEST_CASE("an abandoned backup context is ended by its destructor, releasing the CA", "[sim]") {
  SimCa ca("Abandoned CA");
  Server server(sim_library(), ca.server());
  {
    auto abandoned = server.prepare_backup(CSBACKUP_TYPE_FULL);
    // A second session while one is open: ESE's JET_errBackupInProgress.
    const ApiError busy = api_error_of([&] { server.prepare_backup(CSBACKUP_TYPE_FULL); });
    CHECK(busy.hresult() == certadm_abi::kJetBackupInProgress);
    CHECK_THAT(busy.what(), Catch::Contains("JET_errBackupInProgress"));
  }
  CHECK(ca.calls().back() == "CertSrvBackupEnd 0x00000000");
  auto next = server.prepare_backup(CSBACKUP_TYPE_FULL);
  next.end();
}

TEST_CASE("restore registration: a full set with its map, then an incremental with a NULL map", "[sim]") {
  SimCa ca("Restore CA");
  auto library = sim_library();
  Server server(library, ca.server());
  std::vector<std::pair<std::string, std::string>> map;
  {
    auto backup = server.prepare_backup(CSBACKUP_TYPE_FULL);
    const NameList databases = backup.database_names();
    for (const auto& entry : databases.entries) map.emplace_back(entry.path_utf8, entry.path_utf8);
    backup.end();
  }
  const ApiError running = api_error_of([&] { server.prepare_restore(CSRESTORE_TYPE_FULL); });
  CHECK_THAT(running.what(),
             Catch::Contains("CertSrvRestorePrepareW") && Catch::Contains("ERROR_SERVICE_ALREADY_RUNNING"));
  certadm_test::casim("stop " + ca.quoted_folder());
  {
    auto incremental_first = server.prepare_restore(0);
    const ApiError no_full = api_error_of([&] { incremental_first.register_restore("", "", {}, "", 1, 1); });
    CHECK(no_full.function() == "CertSrvRestoreRegisterW");
    CHECK_THAT(no_full.what(), Catch::Contains("0 map entries") && Catch::Contains("JET_errMissingFullBackup"));
  }
  ca.clear_calls();
  auto restore = server.prepare_restore(CSRESTORE_TYPE_FULL);
  const std::string certlog = certadm_test::to_utf8(ca.folder() / "CertLog");
  restore.register_restore(certlog, certlog, map, certlog, 1, 1);
  restore.register_complete(0);
  restore.register_restore(certlog, certlog, {}, certlog, 2, 2);
  restore.register_complete(0);
  restore.end();
  CHECK_THROWS_WITH(restore.end(), Catch::Contains("already ended"));
  CHECK(ca.calls() ==
        std::vector<std::string>{"CertSrvRestorePrepareW 0x00000000", "CertSrvRestoreRegisterW 0x00000000",
                                 "CertSrvRestoreRegisterComplete 0x00000000", "CertSrvRestoreRegisterW 0x00000000",
                                 "CertSrvRestoreRegisterComplete 0x00000000", "CertSrvRestoreEnd 0x00000000"});
}

TEST_CASE("server control stops and restarts the CA and SUSPEND is not implemented", "[sim]") {
  SimCa ca("Control CA");
  Server server(sim_library(), ca.server());
  CHECK(server.control(CSCONTROL_RESTART).empty());
  CHECK(server.is_online());
  const ApiError suspend = api_error_of([&] { server.control(CSCONTROL_SUSPEND); });
  CHECK_THAT(suspend.what(), Catch::Contains("CertSrvServerControlW(\"" + ca.server() + "\", CSCONTROL_SUSPEND)") &&
                                 Catch::Contains("E_NOTIMPL"));
  server.control(CSCONTROL_SHUTDOWN);
  CHECK_FALSE(server.is_online());
}
#endif
