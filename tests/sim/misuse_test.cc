// Each misuse of the Certadm API fails with the HRESULT docs/sim.md promises.
#include "sim_test_support.h"

using namespace simtest;
namespace hr = certadm_sim;

namespace {

struct Server {
  explicit Server(const fs::path& root) : text(wide(root)) {}
  const WCHAR* get() const { return reinterpret_cast<const WCHAR*>(text.c_str()); }
  std::u16string text;
};

HCSBC prepare(const Server& server, ULONG flags = CSBACKUP_TYPE_FULL) {
  HCSBC context = nullptr;
  REQUIRE(hex(CertSrvBackupPrepareW(server.get(), 0, flags, &context)) == hex(hr::kSOk));
  REQUIRE(context != nullptr);
  return context;
}

std::u16string database_name(HCSBC context) {
  WCHAR* list = nullptr;
  DWORD bytes = 0;
  REQUIRE(CertSrvBackupGetDatabaseNamesW(context, &list, &bytes) == hr::kSOk);
  const auto entries = take_list(list, bytes);
  REQUIRE(entries.size() == 1);
  REQUIRE(entries[0][0] == CSBFT_CERTSERVER_DATABASE);
  return entries[0].substr(1);
}

const WCHAR* w(const std::u16string& text) { return reinterpret_cast<const WCHAR*>(text.c_str()); }

}  // namespace

TEST_CASE("an offline server refuses backups and reports itself offline") {
  TempDir temp;
  const auto ca = make_ca(temp);
  const Server server(ca);
  CertadmBool online = 0;
  REQUIRE(CertSrvIsServerOnlineW(server.get(), &online) == hr::kSOk);
  CHECK(online == 1);
  HCSBC running = prepare(server);
  casim_ok("stop", ca);
  REQUIRE(CertSrvIsServerOnlineW(server.get(), &online) == hr::kSOk);
  CHECK(online == 0);
  HCSBC context = nullptr;
  CHECK(hex(CertSrvBackupPrepareW(server.get(), 0, CSBACKUP_TYPE_FULL, &context)) == hex(hr::kServerUnavailable));
  WCHAR* list = nullptr;
  DWORD bytes = 0;
  CHECK(hex(CertSrvBackupGetDatabaseNamesW(running, &list, &bytes)) == hex(hr::kServerUnavailable));
  CHECK(hex(CertSrvBackupEnd(running)) == hex(hr::kServerUnavailable));
  const auto calls = calls_of(ca);
  REQUIRE(calls.size() >= 3);
  CHECK(calls[calls.size() - 3] == "CertSrvBackupPrepareW 0x800706BA");
  CHECK(calls.back() == "CertSrvBackupEnd 0x800706BA");
}

TEST_CASE("a server name that is no CA folder is rejected") {
  TempDir temp;
  const Server server(temp.path() / "nothing-here");
  CertadmBool online = 1;
  CHECK(hex(CertSrvIsServerOnlineW(server.get(), &online)) == hex(hr::kBadNetPath));
  CHECK(hex(CertSrvIsServerOnlineW(nullptr, &online)) == hex(hr::kEPointer));
}

TEST_CASE("file calls out of sequence fail with JET_errInvalidBackupSequence") {
  TempDir temp;
  const auto ca = make_ca(temp);
  const Server server(ca);
  HCSBC context = prepare(server);
  char buffer[512];
  DWORD got = 99;
  CHECK(hex(CertSrvBackupRead(context, buffer, sizeof buffer, &got)) == hex(hr::kJetInvalidBackupSequence));
  CHECK(got == 0);
  CHECK(hex(CertSrvBackupClose(context)) == hex(hr::kJetInvalidBackupSequence));
  const auto name = database_name(context);
  WCHAR* list = nullptr;
  DWORD bytes = 0;
  // A full backup lists its logs only after the database was read.
  CHECK(hex(CertSrvBackupGetBackupLogsW(context, &list, &bytes)) == hex(hr::kJetInvalidBackupSequence));
  LARGE_INTEGER size{};
  REQUIRE(CertSrvBackupOpenFileW(context, w(name), 0, &size) == hr::kSOk);
  CHECK(size.QuadPart == 2 * 1024 * 1024);
  CHECK(hex(CertSrvBackupOpenFileW(context, w(name), 0, &size)) == hex(hr::kJetInvalidBackupSequence));
  REQUIRE(CertSrvBackupClose(context) == hr::kSOk);
  REQUIRE(CertSrvBackupEnd(context) == hr::kSOk);
  const auto calls = calls_of(ca);
  CHECK(std::find(calls.begin(), calls.end(), "CertSrvBackupRead 0xC8000209") != calls.end());
  CHECK(std::find(calls.begin(), calls.end(), "CertSrvBackupGetDatabaseNamesW 0x00000000") != calls.end());
  CHECK(std::find(calls.begin(), calls.end(), "CertSrvBackupFree -") != calls.end());
}

TEST_CASE("a name that is not in the lists cannot be opened") {
  TempDir temp;
  const auto ca = make_ca(temp);
  const Server server(ca);
  HCSBC context = prepare(server);
  LARGE_INTEGER size{};
  const auto checkpoint = wide(ca / "CertLog" / "edb.chk");
  // Not listed yet: the database names were never asked for.
  const auto database = wide(ca / "CertLog" / "Contoso CA.edb");
  CHECK(hex(CertSrvBackupOpenFileW(context, w(database), 0, &size)) == hex(hr::kFileNotFound));
  database_name(context);
  CHECK(hex(CertSrvBackupOpenFileW(context, w(checkpoint), 0, &size)) == hex(hr::kFileNotFound));
  CHECK(hex(CertSrvBackupOpenFileW(context, nullptr, 0, &size)) == hex(hr::kEPointer));
  CHECK(CertSrvBackupOpenFileW(context, w(database), 0, &size) == hr::kSOk);
  REQUIRE(CertSrvBackupEnd(context) == hr::kSOk);
}

TEST_CASE("TruncateLogs before every listed file was read fails with -616") {
  TempDir temp;
  const auto ca = make_ca(temp);
  const Server server(ca);
  HCSBC context = prepare(server);
  CHECK(hex(CertSrvBackupTruncateLogs(context)) == hex(hr::kJetTruncateBeforeBackupComplete));
  const auto name = database_name(context);
  copy_through_api(context, name, temp.path() / "db.copy");
  CHECK(hex(CertSrvBackupTruncateLogs(context)) == hex(hr::kJetTruncateBeforeBackupComplete));
  WCHAR* list = nullptr;
  DWORD bytes = 0;
  REQUIRE(CertSrvBackupGetBackupLogsW(context, &list, &bytes) == hr::kSOk);
  const auto logs = take_list(list, bytes);
  REQUIRE(!logs.empty());
  // Read all but the last byte of the last log: still incomplete.
  for (size_t i = 0; i + 1 < logs.size(); ++i) copy_through_api(context, logs[i].substr(1), temp.path() / "log.copy");
  LARGE_INTEGER size{};
  REQUIRE(CertSrvBackupOpenFileW(context, w(logs.back().substr(1)), 0, &size) == hr::kSOk);
  std::vector<char> buffer(static_cast<size_t>(size.QuadPart) - 1);
  DWORD got = 0;
  REQUIRE(CertSrvBackupRead(context, buffer.data(), static_cast<DWORD>(buffer.size()), &got) == hr::kSOk);
  REQUIRE(CertSrvBackupClose(context) == hr::kSOk);
  CHECK(hex(CertSrvBackupTruncateLogs(context)) == hex(hr::kJetTruncateBeforeBackupComplete));
  REQUIRE(CertSrvBackupEnd(context) == hr::kSOk);
  CHECK(calls_of(ca).back() == "CertSrvBackupEnd 0x00000000");
}

TEST_CASE("a logs-only backup needs a full backup and an unbroken log chain") {
  TempDir temp;
  const auto ca = make_ca(temp);
  const Server server(ca);
  HCSBC context = nullptr;
  CHECK(hex(CertSrvBackupPrepareW(server.get(), 0, CSBACKUP_TYPE_LOGS_ONLY, &context)) ==
        hex(hr::kJetMissingFullBackup));
  CHECK(context == nullptr);
  run_backup(ca, temp.path() / "full", CSBACKUP_TYPE_FULL, false);
  casim_ok("issue", ca, "--count 120");  // several new log generations
  SECTION("the chain is intact: the incremental works") {
    const auto set = run_backup(ca, temp.path() / "inc", CSBACKUP_TYPE_LOGS_ONLY, false);
    CHECK(set.database_files.empty());
    CHECK(set.log_files.size() >= 2);
  }
  SECTION("a log missing since the last backup breaks the chain") {
    std::vector<fs::path> finished;
    for (const auto& entry : fs::directory_iterator(ca / "CertLog")) {
      const auto name = entry.path().filename().string();
      if (name.size() == 12 && name.rfind("edb", 0) == 0) finished.push_back(entry.path());
    }
    std::sort(finished.begin(), finished.end());
    REQUIRE(finished.size() >= 2);
    fs::remove(finished.back());
    CHECK(hex(CertSrvBackupPrepareW(server.get(), 0, CSBACKUP_TYPE_LOGS_ONLY, &context)) ==
          hex(hr::kJetInvalidLogSequence));
  }
}

TEST_CASE("bad handles and calls after End fail with E_HANDLE") {
  TempDir temp;
  const auto ca = make_ca(temp);
  const Server server(ca);
  char buffer[16];
  DWORD got = 0;
  CHECK(hex(CertSrvBackupRead(reinterpret_cast<HCSBC>(0x1234), buffer, sizeof buffer, &got)) == hex(hr::kEHandle));
  CHECK(hex(CertSrvBackupEnd(nullptr)) == hex(hr::kEHandle));
  HCSBC context = prepare(server);
  REQUIRE(CertSrvBackupEnd(context) == hr::kSOk);
  CHECK(hex(CertSrvBackupEnd(context)) == hex(hr::kEHandle));
  WCHAR* list = nullptr;
  DWORD bytes = 0;
  CHECK(hex(CertSrvBackupGetDatabaseNamesW(context, &list, &bytes)) == hex(hr::kEHandle));
  CHECK(hex(CertSrvRestoreEnd(context)) == hex(hr::kEHandle));
  CHECK(calls_of(ca).back() == "CertSrvRestoreEnd 0x80070006");
  // The backup lock went with the ended session: a new backup may start.
  HCSBC next = prepare(server);
  HCSBC second = nullptr;
  CHECK(hex(CertSrvBackupPrepareW(server.get(), 0, CSBACKUP_TYPE_FULL, &second)) == hex(hr::kJetBackupInProgress));
  CHECK(hex(CertSrvRestoreRegisterComplete(next, hr::kSOk)) == hex(hr::kEHandle));  // a backup handle
  REQUIRE(CertSrvBackupEnd(next) == hr::kSOk);
}

TEST_CASE("restores need a stopped server and a full set first") {
  TempDir temp;
  const auto ca = make_ca(temp);
  const Server server(ca);
  HCSBC context = nullptr;
  CHECK(hex(CertSrvRestorePrepareW(server.get(), CSRESTORE_TYPE_FULL, &context)) == hex(hr::kServiceAlreadyRunning));
  casim_ok("stop", ca);
  CHECK(hex(CertSrvRestorePrepareW(server.get(), CSRESTORE_TYPE_ONLINE, &context)) == hex(hr::kENotImpl));
  REQUIRE(CertSrvRestorePrepareW(server.get(), 0, &context) == hr::kSOk);
  const auto folder = wide(ca / "CertLog");
  CHECK(hex(CertSrvRestoreRegisterW(context, w(folder), w(folder), nullptr, 0, w(folder), 3, 5)) ==
        hex(hr::kJetMissingFullBackup));
  CHECK(hex(CertSrvRestoreRegisterW(context, w(folder), w(folder), nullptr, 0, w(folder), 5, 3)) ==
        hex(hr::kEInvalidArg));
  CHECK(hex(CertSrvRestoreRegisterComplete(context, hr::kSOk)) == hex(hr::kJetInvalidBackupSequence));
  REQUIRE(CertSrvRestoreEnd(context) == hr::kSOk);
  const auto status = casim("start", ca);
  CHECK(status.exit_code == 0);  // nothing was registered: an ordinary start
}

TEST_CASE("ServerControl stops the service and rejects unknown commands") {
  TempDir temp;
  const auto ca = make_ca(temp);
  const Server server(ca);
  DWORD out_bytes = 7;
  BYTE* out = reinterpret_cast<BYTE*>(0x1);
  CHECK(hex(CertSrvServerControlW(server.get(), 99, &out_bytes, &out)) == hex(hr::kEInvalidArg));
  CHECK(out == nullptr);
  CHECK(out_bytes == 0);
  CHECK(hex(CertSrvServerControlW(server.get(), CSCONTROL_SUSPEND, nullptr, nullptr)) == hex(hr::kENotImpl));
  REQUIRE(CertSrvServerControlW(server.get(), CSCONTROL_RESTART, nullptr, nullptr) == hr::kSOk);
  REQUIRE(CertSrvServerControlW(server.get(), CSCONTROL_SHUTDOWN, nullptr, nullptr) == hr::kSOk);
  CertadmBool online = 1;
  REQUIRE(CertSrvIsServerOnlineW(server.get(), &online) == hr::kSOk);
  CHECK(online == 0);
  CHECK(hex(CertSrvServerControlW(server.get(), CSCONTROL_SHUTDOWN, nullptr, nullptr)) == hex(hr::kServerUnavailable));
  CHECK(calls_of(ca).back() == "CertSrvServerControlW 0x800706BA");
}

TEST_CASE("start waits for RegisterComplete, and a failed restore is abandoned") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("issue", ca, "--count 30");
  const auto set = run_backup(ca, temp.path() / "full", CSBACKUP_TYPE_FULL, false);
  casim_ok("stop", ca);
  const Server server(ca);
  HCSBC context = nullptr;
  REQUIRE(CertSrvRestorePrepareW(server.get(), CSRESTORE_TYPE_FULL, &context) == hr::kSOk);
  auto database = wide(ca / "CertLog" / "Contoso CA.edb");
  CSEDB_RSTMAPW map{reinterpret_cast<WCHAR*>(database.data()), reinterpret_cast<WCHAR*>(database.data())};
  const auto folder = wide(ca / "CertLog");
  CHECK(hex(CertSrvRestoreRegisterW(context, w(folder), w(folder), &map, -1, w(folder), 1, 2)) ==
        hex(hr::kEInvalidArg));
  REQUIRE(CertSrvRestoreRegisterW(context, w(folder), w(folder), &map, 1, w(folder), set.gen_low, set.gen_high) ==
          hr::kSOk);
  const auto refused = casim("start", ca);
  CHECK(refused.exit_code == 1);
  CHECK(refused.output.find("not completed") != std::string::npos);
  REQUIRE(CertSrvRestoreRegisterComplete(context, hr::kEFail) == hr::kSOk);  // the caller gives up
  CHECK_FALSE(fs::exists(ca / ".casim" / "restore.json"));
  REQUIRE(CertSrvRestoreEnd(context) == hr::kSOk);
  CHECK(hex(CertSrvRestoreEnd(context)) == hex(hr::kEHandle));
  casim_ok("start", ca);  // an ordinary start: nothing to restore
  casim_ok("verify", ca);
}

TEST_CASE("recovery refuses a restore map that moves the database elsewhere") {
  TempDir temp;
  const auto ca = make_ca(temp);
  const auto set = run_backup(ca, temp.path() / "full", CSBACKUP_TYPE_FULL, false);
  casim_ok("stop", ca);
  const Server server(ca);
  HCSBC context = nullptr;
  REQUIRE(CertSrvRestorePrepareW(server.get(), CSRESTORE_TYPE_FULL, &context) == hr::kSOk);
  auto database = wide(ca / "CertLog" / "Contoso CA.edb");
  auto moved = wide(temp.path() / "elsewhere.edb");
  CSEDB_RSTMAPW map{reinterpret_cast<WCHAR*>(database.data()), reinterpret_cast<WCHAR*>(moved.data())};
  const auto folder = wide(ca / "CertLog");
  REQUIRE(CertSrvRestoreRegisterW(context, w(folder), w(folder), &map, 1, w(folder), set.gen_low, set.gen_high) ==
          hr::kSOk);
  REQUIRE(CertSrvRestoreRegisterComplete(context, hr::kSOk) == hr::kSOk);
  REQUIRE(CertSrvRestoreEnd(context) == hr::kSOk);
  const auto refused = casim("start", ca);
  CHECK(refused.exit_code == 1);
  CHECK(refused.output.find("elsewhere.edb") != std::string::npos);
}
