// Backups of the simulated CA through the Certadm binding, end to end.
#include "certvault/operations/api_backup.h"

#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <thread>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/hex.h"
#include "certvault/operations/ese_headers.h"
#include "certvault/operations/folder_backup.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/object_store.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_reader.h"
#include "fault_injecting_file_system.h"
#include "power_loss_file_system.h"
#include "test_support.h"

using namespace certvault;
using namespace certvault_test;

namespace {

class CaAndRepository {
 public:
  explicit CaAndRepository(const std::string& ca_name = "Contoso Root CA", const std::string& db_size = "4MiB") {
    casim("init " + quoted(ca().string()) + " --ca-name " + quoted(ca_name) + " --db-size " + db_size);
    casim("issue " + quoted(ca().string()) + " --count 50");
    InitOptions options;
    options.pack_target_bytes = 4u << 20;
    Repository::init(repo(), options);
  }
  std::filesystem::path ca() const { return temp_.path() / "ca"; }
  std::filesystem::path repo() const { return temp_.path() / "repo"; }
  std::filesystem::path scratch(const std::string& leaf) const { return temp_.path() / leaf; }

  std::unique_ptr<Repository> open(LockMode mode = LockMode::kExclusive) const {
    return Repository::open(repo(), mode);
  }

  ApiBackupResult back_up(RequestedBackupType type, bool keep_logs = false) const {
    auto repository = open();
    ApiBackupOptions options;
    options.server = ca().string();
    options.library = sim_library();
    options.type = type;
    options.keep_logs = keep_logs;
    options.read_buffer_bytes = 256 * 1024;
    return back_up_server(*repository, options);
  }

  void issue(int count) const { casim("issue " + quoted(ca().string()) + " --count " + std::to_string(count)); }

  // Finished logs (edbNNNNN.log) now in the CA's log folder.
  std::set<std::string> finished_logs() const {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(ca() / "CertLog")) {
      const auto name = entry.path().filename().string();
      if (name.size() == 12 && name.starts_with("edb") && name.ends_with(".log")) names.insert(name);
    }
    return names;
  }

  size_t snapshot_count() const { return open(LockMode::kShared)->catalog().snapshots().size(); }

 private:
  TempFolder temp_{"api"};
};

}  // namespace

TEST_CASE("a full then three incrementals, with truncation after each commit") {
  CaAndRepository setup;
  casim("calls " + quoted(setup.ca().string()) + " --clear");
  const auto full = setup.back_up(RequestedBackupType::kFull);
  // The sim's own call log: truncation comes after every read, then End.
  std::vector<std::string> calls;
  {
    std::ifstream log(setup.ca() / ".casim" / "calls.log");
    for (std::string line; std::getline(log, line);) calls.push_back(line.substr(0, line.find(' ')));
  }
  const auto position = [&](const std::string& name) {
    return std::find(calls.rbegin(), calls.rend(), name).base() - calls.begin();
  };
  REQUIRE(position("CertSrvBackupTruncateLogs") > 0);
  CHECK(position("CertSrvBackupTruncateLogs") > position("CertSrvBackupClose"));
  CHECK(position("CertSrvBackupTruncateLogs") > position("CertSrvBackupGetDynamicFileListW"));
  CHECK(position("CertSrvBackupEnd") > position("CertSrvBackupTruncateLogs"));
  CHECK(full.kind == BackupKind::kFull);
  CHECK(full.ca_name == "Contoso Root CA");
  CHECK(full.logs_truncated);
  REQUIRE(full.log_range.has_value());
  CHECK(full.missing_dynamic_files.empty());

  std::vector<ApiBackupResult> incrementals;
  for (int i = 0; i < 3; ++i) {
    setup.issue(200);
    const auto before = setup.finished_logs();
    incrementals.push_back(setup.back_up(RequestedBackupType::kAuto));
    const auto& result = incrementals.back();
    CHECK(result.kind == BackupKind::kIncremental);
    CHECK(result.logs_truncated);
    REQUIRE(result.log_range.has_value());
    // The chain continues without a gap.
    const auto previous = i == 0 ? *full.log_range : *incrementals[static_cast<size_t>(i) - 1].log_range;
    CHECK(result.log_range->low <= previous.high + 1);
    // Truncation removed the saved logs older than the checkpoint; nothing unsaved went.
    const auto after = setup.finished_logs();
    CHECK(after.size() < before.size());
    for (const auto& name : after) {
      CHECK(std::stoul(name.substr(3, 5), nullptr, 16) >= result.log_range->low);
    }
  }

  auto repository = setup.open(LockMode::kShared);
  const auto snapshots = repository->catalog().snapshots();
  REQUIRE(snapshots.size() == 4);
  CHECK(snapshots[0].kind == "full");
  for (size_t i = 1; i < 4; ++i) {
    CHECK(snapshots[i].kind == "incremental");
    CHECK(snapshots[i].base_full == snapshots[0].id);
    CHECK(snapshots[i].parent == snapshots[i - 1].id);
    CHECK(repository->catalog().truncations(snapshots[i].id).size() == 1);
  }
  // The restore map was kept exactly, raw bytes included.
  CHECK_FALSE(snapshots[0].restore_map_raw.empty());
  CHECK_FALSE(snapshots[0].restore_map.empty());
  // The full's files export identically to what the CA had at backup time for the database header.
  const auto files = repository->catalog().files(snapshots[0].id);
  bool has_database = false, has_dynamic = false;
  for (const auto& file : files) {
    has_database = has_database || file.role == "database";
    has_dynamic = has_dynamic || file.role == "dynamic";
  }
  CHECK(has_database);
  CHECK(has_dynamic);
}

TEST_CASE("a second full backup of a barely changed database stores only what changed") {
  CaAndRepository setup("Fabrikam CA", "32MiB");
  const auto first = setup.back_up(RequestedBackupType::kFull, true);
  setup.issue(20);
  const auto second = setup.back_up(RequestedBackupType::kFull, true);
  INFO("first stored " << first.new_bytes_stored << ", second " << second.new_bytes_stored);
  CHECK(second.new_bytes_stored * 10 < first.new_bytes_stored);
}

TEST_CASE("API and folder backups cut the same database bytes the same way, however short the first read") {
  CaAndRepository setup;
  // The CA's first CertSrvBackupRead of the database returns 100 bytes, less than the ESE header:
  // deciding the chunking from the first read alone would miss the database.
  casim("fault " + quoted(setup.ca().string()) + " --short-read 100 --file .edb");
  const auto api = setup.back_up(RequestedBackupType::kFull, true);
  auto repository = setup.open();
  const auto database_of = [&](const std::string& snapshot_id) {
    for (const auto& file : repository->catalog().files(snapshot_id)) {
      if (file.path.ends_with(".edb")) return file;
    }
    FAIL("snapshot " << snapshot_id << " holds no database");
    return catalog::FileRecord{};
  };
  const auto api_database = database_of(api.snapshot_id);
  std::vector<uint8_t> bytes;
  read_file_contents(*repository, api.snapshot_id, api_database,
                     [&](std::span<const uint8_t> piece) { bytes.insert(bytes.end(), piece.begin(), piece.end()); });
  const auto page_size = ese::database_page_size(bytes);
  REQUIRE(page_size.has_value());

  // The same bytes as a file in a folder, read 100 bytes at a time.
  const auto folder = setup.scratch("folder");
  std::filesystem::create_directories(folder);
  write_bytes(folder / "ca.edb", bytes);
  FolderBackupOptions options;
  options.folder = folder;
  options.read_buffer_bytes = 100;
  const auto folder_backup = back_up_folder(*repository, options);
  const auto folder_database = database_of(folder_backup.snapshot_id);

  // Equal chunk id lists give equal recipe ids; page-aligned chunks are one per page.
  CHECK(to_hex(folder_database.recipe) == to_hex(api_database.recipe));
  const auto recipe = repository->catalog().recipe(api_database.recipe);
  REQUIRE(recipe.has_value());
  CHECK(recipe->chunk_count == (bytes.size() + *page_size - 1) / *page_size);
  CHECK(folder_backup.new_bytes_stored == 0);
}

TEST_CASE("an incremental is refused without a full, and on a broken chain") {
  CaAndRepository setup;
  SECTION("no full backup in the repository") {
    try {
      setup.back_up(RequestedBackupType::kIncremental);
      FAIL("an incremental without a full was accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kRefused);
      CHECK_THAT(std::string(e.what()), Catch::Contains("no committed full backup"));
    }
  }
  SECTION("logs truncated by a backup into another repository leave a gap") {
    setup.back_up(RequestedBackupType::kFull, true);
    // Another tool backs the CA up and truncates: our chain now misses generations.
    const auto other_repo = setup.scratch("other-repo");
    Repository::init(other_repo, {});
    {
      auto other = Repository::open(other_repo, LockMode::kExclusive);
      ApiBackupOptions options;
      options.server = setup.ca().string();
      options.library = sim_library();
      options.type = RequestedBackupType::kFull;
      back_up_server(*other, options);
    }
    setup.issue(300);
    {
      auto other = Repository::open(other_repo, LockMode::kExclusive);
      ApiBackupOptions options;
      options.server = setup.ca().string();
      options.library = sim_library();
      options.type = RequestedBackupType::kIncremental;
      back_up_server(*other, options);
    }
    setup.issue(50);
    const auto logs_before = setup.finished_logs();
    try {
      setup.back_up(RequestedBackupType::kIncremental);
      FAIL("an incremental over a gap was accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kRefused);
      CHECK_THAT(std::string(e.what()), Catch::Contains("missing"));
      CHECK_THAT(std::string(e.what()), Catch::Contains("--type full"));
    }
    for (const auto& log : logs_before) CHECK(setup.finished_logs().contains(log));
    CHECK(setup.snapshot_count() == 1);
    // --type auto falls back to a full and says why.
    const auto automatic = setup.back_up(RequestedBackupType::kAuto);
    CHECK(automatic.kind == BackupKind::kFull);
    CHECK_THAT(automatic.kind_reason, Catch::Contains("chain"));
  }
}

TEST_CASE("any failure before the commit truncates nothing and leaves no snapshot") {
  const char* calls[] = {"CertSrvBackupPrepareW",
                         "CertSrvRestoreGetDatabaseLocationsW",
                         "CertSrvBackupGetDatabaseNamesW",
                         "CertSrvBackupOpenFileW",
                         "CertSrvBackupRead",
                         "CertSrvBackupClose",
                         "CertSrvBackupGetBackupLogsW",
                         "CertSrvBackupGetDynamicFileListW"};
  for (const char* call : calls) {
    DYNAMIC_SECTION("failing " << call) {
      CaAndRepository setup;
      setup.back_up(RequestedBackupType::kFull, true);
      setup.issue(100);
      casim("fault " + quoted(setup.ca().string()) + " --fail " + call + " --hresult 0x8007001F");
      const auto logs_before = setup.finished_logs();
      try {
        setup.back_up(RequestedBackupType::kFull);
        FAIL("the backup succeeded despite the fault");
      } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::kApi);
        CHECK_THAT(std::string(e.what()), Catch::Contains(call));
        CHECK_THAT(std::string(e.what()), Catch::Contains("0x8007001F"));
      }
      casim("fault " + quoted(setup.ca().string()) + " --clear");
      for (const auto& log : logs_before) CHECK(setup.finished_logs().contains(log));
      CHECK(setup.snapshot_count() == 1);
      // The next backup works.
      CHECK(setup.back_up(RequestedBackupType::kFull).logs_truncated);
    }
  }
  SECTION("a read error in the middle of the database") {
    CaAndRepository setup;
    casim("fault " + quoted(setup.ca().string()) + " --read-error 3000000 --file .edb");
    const auto logs_before = setup.finished_logs();
    try {
      setup.back_up(RequestedBackupType::kFull);
      FAIL("the read error was not reported");
    } catch (const Error& e) {
      CHECK_THAT(std::string(e.what()), Catch::Contains("CertSrvBackupRead"));
      CHECK_THAT(std::string(e.what()), Catch::Contains("offset"));
    }
    for (const auto& log : logs_before) CHECK(setup.finished_logs().contains(log));
    CHECK(setup.snapshot_count() == 0);
  }
  SECTION("a short read is not an error: reading goes on and the bytes are intact") {
    CaAndRepository setup;
    casim("fault " + quoted(setup.ca().string()) + " --short-read 3000000 --file .edb");
    const auto result = setup.back_up(RequestedBackupType::kFull, true);
    auto repository = setup.open(LockMode::kShared);
    for (const auto& file : repository->catalog().files(result.snapshot_id)) {
      if (file.role != "database") continue;
      std::vector<uint8_t> restored;
      read_file_contents(*repository, result.snapshot_id, file, [&](std::span<const uint8_t> bytes) {
        restored.insert(restored.end(), bytes.begin(), bytes.end());
      });
      const auto on_disk = read_bytes(setup.ca() / "CertLog" / "Contoso Root CA.edb");
      REQUIRE(restored.size() == on_disk.size());
      // The header pages change when the CA records the backup; the data pages must be identical.
      CHECK(std::equal(restored.begin() + 16384, restored.end(), on_disk.begin() + 16384));
    }
  }
  SECTION("the CA going offline mid-backup") {
    CaAndRepository setup;
    casim("fault " + quoted(setup.ca().string()) + " --offline-after CertSrvBackupGetDatabaseNamesW");
    const auto logs_before = setup.finished_logs();
    CHECK_THROWS_AS(setup.back_up(RequestedBackupType::kFull), Error);
    for (const auto& log : logs_before) CHECK(setup.finished_logs().contains(log));
    CHECK(setup.snapshot_count() == 0);
  }
}

TEST_CASE("a repository failure, or the process killed, before the commit truncates nothing") {
  // (tests/power cuts the power at each sync point of API backups.)
  for (const bool killed : {false, true}) {
    for (uint64_t step : {1, 3, 8, 20}) {
      CaAndRepository setup;
      const auto logs_before = setup.finished_logs();
      certvault_test::FaultInjectingFileSystem faults;
      faults.add({certvault_test::FaultKind::kIoError, step, {}, (setup.repo() / "").string()});
      certvault_test::PowerLossFileSystem kill(setup.repo());
      kill.cut_at(step, certvault_test::CutWhen::kBefore);
      bool failed = false;
      {
        os::ScopedFileSystem scope(killed ? static_cast<os::FileSystem&>(kill) : faults);
        try {
          auto repository = setup.open();
          ApiBackupOptions options;
          options.server = setup.ca().string();
          options.library = sim_library();
          options.type = RequestedBackupType::kFull;
          back_up_server(*repository, options);
        } catch (const std::exception&) {
          failed = true;
        }
      }
      INFO((killed ? "killed at sync point " : "I/O error at file-system call ") << step);
      CHECK(failed);
      // Logs go only once the snapshot holding them is committed.
      if (setup.snapshot_count() == 0) {
        for (const auto& log : logs_before) CHECK(setup.finished_logs().contains(log));
      }
      CHECK(setup.back_up(RequestedBackupType::kFull).logs_truncated);
    }
  }
}

TEST_CASE("a repository failure at any file-system call of an API backup loses no log") {
  // Every call in turn, each attempt from the same CA and repository, until the fault lies beyond
  // the backup's last call. The rule: a log the CA no longer has is held, byte for byte, by a
  // committed snapshot, and a backup that fails truncates nothing (even when its snapshot became
  // visible: the catalog's last journal sync can fail after the commit point, docs/design.md).
  CaAndRepository setup;
  setup.back_up(RequestedBackupType::kFull, /*keep_logs=*/true);
  setup.issue(100);
  const auto pristine_ca = setup.scratch("pristine-ca"), pristine_repo = setup.scratch("pristine-repo");
  std::filesystem::copy(setup.ca(), pristine_ca, std::filesystem::copy_options::recursive);
  std::filesystem::copy(setup.repo(), pristine_repo, std::filesystem::copy_options::recursive);
  const auto logs_before = setup.finished_logs();
  REQUIRE(logs_before.size() >= 2);

  bool fault_beyond_last_call = false;
  size_t truncated_after_failure = 0;
  uint64_t attempts = 0;
  for (uint64_t call = 1; call <= 20000 && !fault_beyond_last_call; ++call) {
    INFO("I/O error at file-system call " << call);
    ++attempts;
    if (call > 1) {
      for (const auto& [live, pristine] :
           {std::pair{setup.ca(), pristine_ca}, std::pair{setup.repo(), pristine_repo}}) {
        std::filesystem::remove_all(live);
        std::filesystem::copy(pristine, live, std::filesystem::copy_options::recursive);
      }
    }
    FaultInjectingFileSystem faults;
    faults.add({FaultKind::kIoError, call, {}, (setup.repo() / "").string()});
    std::optional<std::string> error;
    {
      os::ScopedFileSystem scope(faults);
      try {
        setup.back_up(RequestedBackupType::kFull);
      } catch (const std::exception& failure) {
        error = failure.what();
      }
    }
    if (faults.injected().empty()) {
      CHECK_FALSE(error);
      fault_beyond_last_call = true;
    }
    std::vector<std::string> gone;
    for (const auto& log : logs_before) {
      if (!setup.finished_logs().contains(log)) gone.push_back(log);
    }
    if (gone.empty()) continue;
    if (error) ++truncated_after_failure;
    auto repository = setup.open(LockMode::kShared);
    const auto snapshots = repository->catalog().snapshots();
    REQUIRE(snapshots.size() == 2);
    for (const auto& log : gone) {
      INFO("log " << log << " is gone from the CA" << (error ? " after the failure: " + *error : ""));
      bool held = false;
      for (const auto& snapshot : snapshots) {
        for (const auto& file : repository->catalog().files(snapshot.id)) {
          if (held || file.role != "log" || !file.path.ends_with(log)) continue;
          std::vector<uint8_t> stored;
          read_file_contents(*repository, snapshot.id, file, [&](std::span<const uint8_t> bytes) {
            stored.insert(stored.end(), bytes.begin(), bytes.end());
          });
          held = stored == read_bytes(pristine_ca / "CertLog" / log);
        }
      }
      CHECK(held);
    }
  }
  CHECK(fault_beyond_last_call);
  CHECK(attempts > 100);  // a full backup's calls: open, lock, catalog, packs, recipes, manifest, commit
  // A backup that reports failure never truncated a log: past the commit, a failure to record the
  // truncation's intent or outcome is a warning in the result (and the intent gates the call).
  CHECK(truncated_after_failure == 0);
}

TEST_CASE("a non-ASCII CA name round-trips into the snapshot") {
  CaAndRepository setup("ContosoIvità CA ✓");
  const auto result = setup.back_up(RequestedBackupType::kFull);
  CHECK(result.ca_name == "ContosoIvità CA ✓");
  auto repository = setup.open(LockMode::kShared);
  const auto files = repository->catalog().files(result.snapshot_id);
  bool found = false;
  for (const auto& file : files) found = found || file.path == "DataBase/ContosoIvità CA ✓.edb";
  CHECK(found);
}

TEST_CASE("a full backup taken while the CA issues certificates completes and holds every log it needs") {
  CaAndRepository setup("Busy CA", "16MiB");
  // casim issue runs in another process during the whole backup.
  CommandResult issued;
  std::thread issuer([&] {
    issued = run(quoted(casim_binary().string()) + " issue " + quoted(setup.ca().string()) + " --count 3000");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ApiBackupResult result;
  try {
    result = setup.back_up(RequestedBackupType::kFull);
  } catch (...) {
    issuer.join();
    throw;
  }
  issuer.join();
  INFO(issued.output);
  REQUIRE(issued.exit_code == 0);
  REQUIRE(result.log_range.has_value());
  auto repository = setup.open(LockMode::kShared);
  const auto files = repository->catalog().files(result.snapshot_id);
  std::set<uint32_t> generations;
  for (const auto& file : files) {
    if (file.log_generation) generations.insert(*file.log_generation);
  }
  // Contiguous from the low to the high generation: what recovery of the fuzzy copy needs.
  CHECK(generations.size() == result.log_range->high - result.log_range->low + 1);
  for (const auto& file : files) {
    uint64_t size = 0;
    read_file_contents(*repository, result.snapshot_id, file, [&](std::span<const uint8_t> b) { size += b.size(); });
    CHECK(size == file.size);
  }
}
