// Crash matrix of the backups through the Certadm API (the simulated CA
// in-process): the power is cut at every sync point of a full and of an
// incremental backup, and just after each.
#include <catch2/catch.hpp>
#include <set>

#include "certvault/operations/api_backup.h"
#include "power_matrix.h"

using namespace certvault;
using namespace power_test;

namespace {

// A CA with a committed full backup in the repository and certificates issued since.
class ApiStart {
 public:
  ApiStart() {
    certvault_test::casim("init " + certvault_test::quoted(ca().string()) +
                          " --ca-name 'Power CA' --db-size 2MiB --seed 7");
    certvault_test::casim("issue " + certvault_test::quoted(ca().string()) + " --count 20");
    InitOptions options;
    options.pack_target_bytes = 1u << 20;
    Repository::init(repo(pristine()), options);
    first_ = back_up(pristine(), RequestedBackupType::kFull).snapshot_id;
    first_files_ = exported(pristine(), first_);
    certvault_test::casim("issue " + certvault_test::quoted(ca().string()) + " --count 200");
    fs::copy(ca(), pristine_ca(), fs::copy_options::recursive);
  }

  fs::path scratch() const { return temp_.path(); }
  fs::path pristine() const { return temp_.path() / "pristine"; }
  static fs::path repo(const fs::path& work) { return work / "repo"; }
  // The CA lies outside the folder whose power is cut: the CA is the other party, its files are not
  // ours. Its path is the same in every run, since it names the CA an incremental continues.
  fs::path ca() const { return temp_.path() / "ca"; }
  fs::path pristine_ca() const { return temp_.path() / "pristine-ca"; }

  // A fresh copy of the repository in `work`, and of the CA in its place.
  void prepare(const fs::path& work) const {
    fs::create_directories(work);
    fs::copy(repo(pristine()), repo(work), fs::copy_options::recursive);
    fs::remove_all(ca());
    fs::copy(pristine_ca(), ca(), fs::copy_options::recursive);
  }

  ApiBackupResult back_up(const fs::path& work, RequestedBackupType type) const {
    auto repository = Repository::open(repo(work), LockMode::kExclusive, [](const std::string&) {});
    ApiBackupOptions options;
    options.server = ca().string();
    options.library = certvault_test::sim_library();
    options.type = type;
    options.read_buffer_bytes = 256 * 1024;
    return back_up_server(*repository, options);
  }

  static Files exported(const fs::path& work, const std::string& id) {
    return power_test::exported(repo(work), id, work.parent_path());
  }

  // Finished logs (edbNNNNN.log) in the CA's log folder.
  std::set<std::string> finished_logs() const {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(ca() / "CertLog")) {
      const auto name = entry.path().filename().string();
      if (name.size() == 12 && name.starts_with("edb") && name.ends_with(".log")) names.insert(name);
    }
    return names;
  }

  const std::string& first() const { return first_; }
  const Files& first_files() const { return first_files_; }

 private:
  certvault_test::TempFolder temp_{"power-api"};
  std::string first_;
  Files first_files_;
};

// Runs the matrix of one API backup type and returns its number of sync points.
uint64_t api_backup_matrix(RequestedBackupType type) {
  int may_have_truncated = 0;
  ApiStart start;
  start.prepare(start.scratch() / "before");
  const auto logs_before = start.finished_logs();

  // What the backup stores when nothing cuts it: the reference for "wholly there".
  const auto reference = start.scratch() / "reference";
  start.prepare(reference);
  const auto uncut = start.back_up(reference, type);
  REQUIRE(uncut.logs_truncated);
  const Files expected = ApiStart::exported(reference, uncut.snapshot_id);
  REQUIRE(start.finished_logs() != logs_before);

  const uint64_t points = cut_at_every_sync_point(
      start.scratch(), [&](const fs::path& work) { start.prepare(work); },
      [&](const fs::path& work) { start.back_up(work, type); },
      [&](const fs::path& work, const Cut& cut) {
        INFO(cut.describe());
        require_check_clean(ApiStart::repo(work));
        std::vector<catalog::SnapshotRecord> snapshots;
        {
          auto repository = reopen(ApiStart::repo(work));
          snapshots = repository->catalog().snapshots();
        }
        REQUIRE((snapshots.size() == 1 || snapshots.size() == 2));
        // The snapshot committed before the cut exports byte for byte.
        CHECK(snapshots[0].id == start.first());
        CHECK(ApiStart::exported(work, start.first()) == start.first_files());
        // The snapshot being written is wholly there or absent.
        if (snapshots.size() == 2) CHECK(ApiStart::exported(work, snapshots[1].id) == expected);
        if (cut.returned) CHECK(snapshots.size() == 2);
        // No log was truncated unless the snapshot whose commit allowed it survived.
        std::vector<std::string> truncated;
        const auto logs_now = start.finished_logs();
        for (const auto& log : logs_before) {
          if (!logs_now.contains(log)) truncated.push_back(log);
        }
        INFO("truncated logs: " << Catch::Detail::stringify(truncated));
        if (!truncated.empty()) CHECK(snapshots.size() == 2);
        // Issue 14/15: a truncation that may have happened is never unrecorded.
        if (!truncated.empty() && snapshots.size() == 2) {
          auto repository = reopen(ApiStart::repo(work));
          const auto records = repository->catalog().truncations(snapshots[1].id);
          REQUIRE(records.size() == 1);
          CHECK((records[0].outcome == "truncated" || records[0].outcome == "unknown"));
          if (records[0].outcome == "unknown") ++may_have_truncated;
        }
      });
  // Some cut falls between the call and its recorded outcome: `show` says the logs may have been truncated.
  CHECK(may_have_truncated > 0);
  return points;
}

}  // namespace

TEST_CASE("power: API full backup, cut at each sync point and just after") {
  const uint64_t points = api_backup_matrix(RequestedBackupType::kFull);
  WARN("API full backup: " << points << " sync points");
  CHECK(points > 10);
}

TEST_CASE("power: API incremental backup, cut at each sync point and just after") {
  const uint64_t points = api_backup_matrix(RequestedBackupType::kIncremental);
  WARN("API incremental backup: " << points << " sync points");
  CHECK(points > 5);
}
