// Backups copied through the API, restored and recovered, verified against the ground truth.
#include <thread>

#include "sim_test_support.h"

using namespace simtest;
namespace hr = certadm_sim;

namespace {

std::vector<uint32_t> finished_generations(const fs::path& ca) {
  std::vector<uint32_t> generations;
  for (const auto& entry : fs::directory_iterator(ca / "CertLog")) {
    const auto name = entry.path().filename().string();
    if (name.size() == 12 && name.rfind("edb", 0) == 0 && name != "edb.log") {
      generations.push_back(static_cast<uint32_t>(std::stoul(name.substr(3, 5), nullptr, 16)));
    }
  }
  std::sort(generations.begin(), generations.end());
  return generations;
}

uint32_t header_u32(const fs::path& ca, size_t offset) {
  std::ifstream in(ca / "CertLog" / "Contoso CA.edb", std::ios::binary);
  unsigned char bytes[4] = {};
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(bytes), 4);
  return bytes[0] | bytes[1] << 8 | bytes[2] << 16 | static_cast<uint32_t>(bytes[3]) << 24;
}

void require_verified_at(const fs::path& ca, uint32_t generation) {
  const auto result = casim("verify", ca);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK(result.output.find("ground truth of generation " + std::to_string(generation) + " ") != std::string::npos);
}

}  // namespace

TEST_CASE("a full backup copied by hand restores and recovers to its last generation") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("issue", ca, "--count 80");
  const auto set = run_backup(ca, temp.path() / "full", CSBACKUP_TYPE_FULL, false, 10000);
  REQUIRE(set.database_files == std::vector<std::string>{"Contoso CA.edb"});
  REQUIRE(set.gen_high >= set.gen_low);
  CHECK(set.log_files.size() == set.gen_high - set.gen_low + 1);
  casim_ok("issue", ca, "--count 40");  // changes after the backup, which the restore must not show
  stop_through_api(ca);
  restore_sets(ca, "Contoso CA", {set});
  const auto started = casim("start", ca);
  INFO(started.output);
  REQUIRE(started.exit_code == 0);
  CHECK(started.output.find("restore recovered") != std::string::npos);
  require_verified_at(ca, set.gen_high);
  // The CA keeps working after the restore, and a new full backup is needed before an incremental.
  casim_ok("issue", ca, "--count 5");
  casim_ok("verify", ca);
  const auto server = wide(ca);
  HCSBC context = nullptr;
  CHECK(hex(CertSrvBackupPrepareW(reinterpret_cast<const WCHAR*>(server.c_str()), 0, CSBACKUP_TYPE_LOGS_ONLY,
                                  &context)) == hex(hr::kJetMissingFullBackup));
}

TEST_CASE("a full set and its incrementals restore to the last incremental") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("issue", ca, "--count 30");
  const auto full = run_backup(ca, temp.path() / "full", CSBACKUP_TYPE_FULL, true);
  // End recorded the full backup in the database header (BKINFO at 136: genLow at +16, genHigh at +20).
  CHECK(header_u32(ca, 136 + 16) == full.gen_low);
  CHECK(header_u32(ca, 136 + 20) == full.gen_high);
  CHECK(header_u32(ca, 160 + 20) == 0);
  casim_ok("issue", ca, "--count 50");
  const auto first = run_backup(ca, temp.path() / "inc1", CSBACKUP_TYPE_LOGS_ONLY, true);
  CHECK(first.gen_low == full.gen_high + 1);
  CHECK(header_u32(ca, 160 + 16) == first.gen_low);
  CHECK(header_u32(ca, 160 + 20) == first.gen_high);
  CHECK(header_u32(ca, 136 + 20) == full.gen_high);
  casim_ok("revoke", ca, "--count 20");
  const auto second = run_backup(ca, temp.path() / "inc2", CSBACKUP_TYPE_LOGS_ONLY, false);
  CHECK(second.gen_low == first.gen_high + 1);
  // The database header records the last backups at ESE's offsets.
  const auto status = casim("status", ca);
  CHECK(status.output.find("last incremental:   generations " + std::to_string(second.gen_low) + ".." +
                           std::to_string(second.gen_high)) != std::string::npos);
  stop_through_api(ca);
  restore_sets(ca, "Contoso CA", {full, first, second});
  casim_ok("start", ca);
  require_verified_at(ca, second.gen_high);
}

TEST_CASE("a backup taken while casim issue runs in another process recovers clean") {
  TempDir temp;
  const auto ca = make_ca(temp, "Contoso CA", "4MiB");
  const std::string command = quote(casim_path()) + " issue " + quote(utf8(ca)) + " --count 2000 > " +
                              quote(utf8(temp.path() / "issue.out")) + " 2>&1";
  FILE* issuer = ::popen(command.c_str(), "r");
  REQUIRE(issuer != nullptr);
  // Wait until the other process is writing, so the copy is fuzzy.
  for (int i = 0; i < 2000 && read_lines(ca / ".casim" / "truth.log").size() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto set = run_backup(ca, temp.path() / "full", CSBACKUP_TYPE_FULL, false, 8192);
  REQUIRE(::pclose(issuer) == 0);
  stop_through_api(ca);
  restore_sets(ca, "Contoso CA", {set});
  const auto started = casim("start", ca);
  INFO(started.output);
  REQUIRE(started.exit_code == 0);
  require_verified_at(ca, set.gen_high);
}

TEST_CASE("a fuzzy copy (pages written by another process mid-read) is made consistent by the logs") {
  TempDir temp;
  const auto ca = make_ca(temp, "Contoso CA", "4MiB");
  casim_ok("issue", ca, "--count 20");
  const auto server = wide(ca);
  HCSBC context = nullptr;
  REQUIRE(CertSrvBackupPrepareW(reinterpret_cast<const WCHAR*>(server.c_str()), 0, CSBACKUP_TYPE_FULL, &context) ==
          hr::kSOk);
  WCHAR* list = nullptr;
  DWORD bytes = 0;
  REQUIRE(CertSrvBackupGetDatabaseNamesW(context, &list, &bytes) == hr::kSOk);
  const auto name = take_list(list, bytes).at(0).substr(1);
  LARGE_INTEGER size{};
  REQUIRE(CertSrvBackupOpenFileW(context, reinterpret_cast<const WCHAR*>(name.c_str()), 0, &size) == hr::kSOk);
  const fs::path copy = temp.path() / "set";
  fs::create_directories(copy);
  std::ofstream out(copy / "Contoso CA.edb", std::ios::binary);
  std::vector<char> buffer(static_cast<size_t>(size.QuadPart));
  const DWORD half = static_cast<DWORD>(size.QuadPart / 2);
  DWORD got = 0;
  REQUIRE(CertSrvBackupRead(context, buffer.data(), half, &got) == hr::kSOk);
  REQUIRE(got == half);
  casim_ok("issue", ca, "--count 300");  // rewrites pages on both sides of the read position
  DWORD rest = 0;
  REQUIRE(CertSrvBackupRead(context, buffer.data() + half, static_cast<DWORD>(size.QuadPart) - half, &rest) ==
          hr::kSOk);
  REQUIRE(got + rest == size.QuadPart);
  out.write(buffer.data(), size.QuadPart);
  out.close();
  REQUIRE(CertSrvBackupClose(context) == hr::kSOk);
  BackupSet set;
  set.folder = copy;
  set.database_files = {"Contoso CA.edb"};
  REQUIRE(CertSrvBackupGetBackupLogsW(context, &list, &bytes) == hr::kSOk);
  for (const auto& entry : take_list(list, bytes)) {
    const auto file = utf8(path_of(narrow(entry.substr(1))).filename());
    copy_through_api(context, entry.substr(1), copy / file);
    set.log_files.push_back(file);
    set.gen_high = generation_of(entry.substr(1));
    if (set.gen_low == 0) set.gen_low = set.gen_high;
  }
  REQUIRE(CertSrvBackupEnd(context) == hr::kSOk);
  stop_through_api(ca);
  restore_sets(ca, "Contoso CA", {set});
  const auto started = casim("start", ca);
  INFO(started.output);
  REQUIRE(started.exit_code == 0);
  // Records newer than the copied first half had to be applied.
  CHECK(started.output.find(" 0 applied") == std::string::npos);
  require_verified_at(ca, set.gen_high);
}

TEST_CASE("recovery refuses a gap, a torn log and a log of another CA") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("issue", ca, "--count 150");
  const auto set = run_backup(ca, temp.path() / "full", CSBACKUP_TYPE_FULL, false);
  REQUIRE(set.log_files.size() >= 3);
  stop_through_api(ca);
  restore_sets(ca, "Contoso CA", {set});
  const fs::path middle = ca / "CertLog" / set.log_files[1];
  std::string expected;
  SECTION("gap") {
    fs::remove(middle);
    expected = "is missing";
  }
  SECTION("torn") {
    fs::resize_file(middle, 4096 + 5000);
    expected = "torn";
  }
  SECTION("damaged record") {
    std::fstream file(middle, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4096 + 100);
    file.put('\x55');
    file.put('\x66');
    expected = "torn";
  }
  SECTION("another CA's log") {
    TempDir other_temp;
    const auto other = make_ca(other_temp, "Other CA");
    casim_ok("issue", other, "--count 10");
    run_backup(other, other_temp.path() / "b", CSBACKUP_TYPE_FULL, false);
    fs::copy_file(other / "CertLog" / "edb00001.log", middle, fs::copy_options::overwrite_existing);
    expected = "signature";
  }
  const auto started = casim("start", ca);
  INFO(started.output);
  CHECK(started.exit_code == 1);
  CHECK(started.output.find(expected) != std::string::npos);
  CHECK(started.output.find("0xC8") != std::string::npos);
  // Refused: still stopped, restore still registered.
  CHECK(casim("status", ca).output.find("service:            stopped") != std::string::npos);
  CHECK(fs::exists(ca / ".casim" / "restore.json"));
}

TEST_CASE("TruncateLogs removes only logs older than the backup's checkpoint") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("issue", ca, "--count 200");
  const auto before = finished_generations(ca);
  REQUIRE(before.size() >= 4);
  const auto set = run_backup(ca, temp.path() / "full", CSBACKUP_TYPE_FULL, true);
  const auto after = finished_generations(ca);
  // The full backup starts at the checkpoint: everything older goes, everything from it on stays.
  REQUIRE(!after.empty());
  CHECK(after.front() == set.gen_low);
  CHECK(after.back() == set.gen_high);
  for (uint32_t generation : before) {
    const bool kept = std::find(after.begin(), after.end(), generation) != after.end();
    CHECK(kept == (generation >= set.gen_low));
  }
  CHECK(set.gen_low > before.front());
  casim_ok("verify", ca);
}

TEST_CASE("non-ASCII CA names round-trip through the lists and a restore") {
  TempDir temp;
  const std::string name = "ContosoIvità CA ✓";
  const auto ca = make_ca(temp, name, "2MiB", "cartella-àè");
  casim_ok("issue", ca, "--count 20");
  const auto server = wide(ca);
  HCSBC context = nullptr;
  REQUIRE(CertSrvBackupPrepareW(reinterpret_cast<const WCHAR*>(server.c_str()), 0, CSBACKUP_TYPE_FULL, &context) ==
          hr::kSOk);
  WCHAR* list = nullptr;
  DWORD bytes = 0;
  REQUIRE(CertSrvBackupGetDynamicFileListW(context, &list, &bytes) == hr::kSOk);
  const auto dynamic = take_list(list, bytes);
  REQUIRE(dynamic.size() == 3);
  CHECK(dynamic[0] == wide(ca / "CertEnroll" / path_of(name + ".crt")));
  CHECK(dynamic[2] == wide(ca / "CertEnroll" / path_of(name + "+.crl")));
  REQUIRE(CertSrvRestoreGetDatabaseLocationsW(context, &list, &bytes) == hr::kSOk);
  const auto locations = take_list(list, bytes);
  REQUIRE(locations.size() == 3);
  std::u16string database_entry(1, CSBFT_CERTSERVER_DATABASE);
  database_entry += wide(ca / "CertLog" / path_of(name + ".edb"));
  CHECK(locations[2] == database_entry);
  CHECK(locations[0][0] == CSBFT_LOG_DIR);
  CHECK(locations[1][0] == CSBFT_CHECKPOINT_DIR);
  REQUIRE(CertSrvBackupEnd(context) == hr::kSOk);
  const auto set = run_backup(ca, temp.path() / "full", CSBACKUP_TYPE_FULL, false);
  REQUIRE(set.database_files == std::vector<std::string>{name + ".edb"});
  stop_through_api(ca);
  restore_sets(ca, name, {set});
  casim_ok("start", ca);
  require_verified_at(ca, set.gen_high);
}
