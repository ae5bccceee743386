// A remote repository shared by machines (location.h): each machine's catalog is a cache brought up
// to date from the objects, and locks are lock objects. The remote store here is a folder opened as
// if it were remote, so these run without a network; tests/s3 runs the same against Ceph RGW.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

#include "certvault/base/error.h"
#include "certvault/operations/folder_backup.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/check.h"
#include "certvault/repository/location.h"
#include "certvault/repository/prune.h"
#include "certvault/repository/repair.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_forget.h"
#include "test_support.h"

using namespace certvault;
using certvault_test::TempFolder;

namespace {

// The folder `objects` as a remote object store, and one cache folder per "machine".
struct SharedSetup {
  TempFolder temp{"shared"};
  std::filesystem::path objects = temp.path() / "bucket";
  RepositoryLocation location() const {
    const auto folder = objects;
    return RepositoryLocation::remote("remote-folder:" + folder.string(),
                                      [folder] { return open_local_object_store(folder); });
  }
  SharedSetup() {
    std::filesystem::create_directories(objects);
    Repository::init(location(), {});
  }
  std::filesystem::path cache(const std::string& machine) const { return temp.path() / ("cache-" + machine); }
  std::filesystem::path data(const std::string& name, size_t bytes, uint64_t seed) const {
    const auto folder = temp.path() / ("data-" + name);
    std::filesystem::create_directories(folder);
    certvault_test::write_bytes(folder / "ca.edb", certvault_test::random_bytes(bytes, seed));
    return folder;
  }
};

// Sets CERTVAULT_CACHE_DIR for the scope: which machine opens the repository.
struct AsMachine {
  explicit AsMachine(const std::filesystem::path& cache) { ::setenv("CERTVAULT_CACHE_DIR", cache.c_str(), 1); }
  ~AsMachine() { ::unsetenv("CERTVAULT_CACHE_DIR"); }
};

FolderBackupResult back_up(Repository& repository, const std::filesystem::path& folder, const std::string& source) {
  FolderBackupOptions options;
  options.folder = folder;
  options.source = source;
  return back_up_folder(repository, options);
}

CheckOptions read_everything() {
  CheckOptions options;
  options.read_data = true;
  return options;
}

ExportOptions export_to(const std::filesystem::path& target) {
  ExportOptions options;
  options.target = target;
  return options;
}

std::vector<std::string> snapshot_ids(const Repository& repository) {
  std::vector<std::string> ids;
  for (const auto& snapshot : repository.catalog().snapshots()) ids.push_back(snapshot.id);
  return ids;
}

}  // namespace

TEST_CASE("machines sharing a remote repository see each other's snapshots through their caches") {
  SharedSetup setup;
  const auto data_a = setup.data("a", 3 << 20, 1);
  std::string first;
  {
    AsMachine machine(setup.cache("a"));
    auto repository = Repository::open(setup.location(), LockMode::kAppend);
    CHECK(repository->root() == setup.cache("a") / repository->config().repository_id);
    first = back_up(*repository, data_a, "ca-a").snapshot_id;
  }
  AsMachine machine(setup.cache("b"));
  std::string second;
  {
    // B's first open builds its cache from the objects alone.
    auto repository = Repository::open(setup.location(), LockMode::kAppend);
    CHECK(snapshot_ids(*repository) == std::vector<std::string>{first});
    // The same bytes from B dedup against A's chunks.
    const auto result = back_up(*repository, data_a, "ca-b");
    second = result.snapshot_id;
    CHECK(result.new_bytes_stored < 64 * 1024);
  }
  {
    AsMachine again(setup.cache("a"));
    auto repository = Repository::open(setup.location(), LockMode::kShared);
    const auto ids = snapshot_ids(*repository);
    CHECK(ids.size() == 2);
    CHECK(std::find(ids.begin(), ids.end(), second) != ids.end());
    const auto report = check_repository(*repository, read_everything());
    INFO((report.problems.empty() ? std::string() : report.problems.front()));
    CHECK(report.ok());
  }
}

TEST_CASE("two machines back up into one remote repository at the same time") {
  SharedSetup setup;
  const auto data_a = setup.data("a", 2 << 20, 2);
  const auto data_b = setup.data("b", 2 << 20, 3);
  // Both open (shared lock objects) before either commits.
  std::unique_ptr<Repository> a, b;
  {
    AsMachine machine(setup.cache("a"));
    a = Repository::open(setup.location(), LockMode::kAppend);
  }
  {
    AsMachine machine(setup.cache("b"));
    b = Repository::open(setup.location(), LockMode::kAppend);
  }
  std::string id_a, id_b;
  std::thread other([&] { id_b = back_up(*b, data_b, "ca-b").snapshot_id; });
  id_a = back_up(*a, data_a, "ca-a").snapshot_id;
  other.join();
  a.reset();
  b.reset();
  AsMachine machine(setup.cache("c"));
  auto repository = Repository::open(setup.location(), LockMode::kShared);
  CHECK(snapshot_ids(*repository).size() == 2);
  const auto report = check_repository(*repository, read_everything());
  CHECK(report.ok());
  for (const auto& [id, data] : {std::pair{id_a, data_a}, std::pair{id_b, data_b}}) {
    const auto out = setup.temp.path() / ("export-" + id);
    export_snapshot(*repository, id, export_to(out));
    CHECK(certvault_test::read_bytes(out / "ca.edb") == certvault_test::read_bytes(data / "ca.edb"));
  }
}

TEST_CASE("lock objects keep prune alone and are taken over when stale") {
  SharedSetup setup;
  AsMachine machine(setup.cache("a"));
  SECTION("a backup's lock keeps prune out, naming the holder") {
    auto backup = Repository::open(setup.location(), LockMode::kAppend);
    ::setenv("CERTVAULT_CACHE_DIR", setup.cache("b").c_str(), 1);
    try {
      Repository::open(setup.location(), LockMode::kExclusive);
      FAIL("prune got the lock beside a running backup");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kLocked);
      CHECK_THAT(std::string(e.what()), Catch::Contains("shared") && Catch::Contains("pid"));
    }
    // Readers and other backups share.
    CHECK_NOTHROW(Repository::open(setup.location(), LockMode::kAppend));
  }
  SECTION("a lock whose holder stopped refreshing is taken over, and its holder stops before committing") {
    ::setenv("CERTVAULT_LOCK_STALE_SECONDS", "2", 1);
    auto stalled = Repository::open(setup.location(), LockMode::kAppend);
    // The holder's refresh thread keeps it alive...
    std::this_thread::sleep_for(std::chrono::milliseconds(3500));
    ::setenv("CERTVAULT_CACHE_DIR", setup.cache("b").c_str(), 1);
    CHECK_THROWS_AS(Repository::open(setup.location(), LockMode::kExclusive), Error);
    // ...until its lock object is gone (here: removed, as a takeover would).
    auto store = open_local_object_store(setup.objects);
    for (const auto& name : store->list("locks/")) store->remove(name);
    std::vector<std::string> stale_messages;
    auto prune = Repository::open(setup.location(), LockMode::kExclusive,
                                  [&](const std::string& m) { stale_messages.push_back(m); });
    try {
      stalled->check_lock("committing a snapshot");
      FAIL("a holder whose lock object vanished went on");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kLocked);
      CHECK_THAT(std::string(e.what()), Catch::Contains("committing a snapshot"));
    }
    ::unsetenv("CERTVAULT_LOCK_STALE_SECONDS");
  }
  SECTION("a lock object nobody refreshes any more is taken over with a message") {
    auto store = open_local_object_store(setup.objects);
    const std::string record = "host=elsewhere pid=4242 started=1000 mode=exclusive refreshed=1000\n";
    store->put("locks/0123456789abcdef0123456789abcdef-00000007",
               std::span(reinterpret_cast<const uint8_t*>(record.data()), record.size()));
    std::vector<std::string> messages;
    auto repository =
        Repository::open(setup.location(), LockMode::kExclusive, [&](const std::string& m) { messages.push_back(m); });
    REQUIRE(messages.size() == 1);
    CHECK_THAT(messages.front(), Catch::Contains("taking over a stale lock") && Catch::Contains("elsewhere"));
    CHECK(store->list("locks/").size() == 1);  // ours alone
  }
}

TEST_CASE("a cache follows forget and prune done on another machine") {
  SharedSetup setup;
  const auto data_1 = setup.data("1", 2 << 20, 4);
  const auto data_2 = setup.data("2", 2 << 20, 5);
  std::string keep, drop;
  {
    AsMachine machine(setup.cache("a"));
    auto repository = Repository::open(setup.location(), LockMode::kAppend);
    drop = back_up(*repository, data_1, "ca").snapshot_id;
    keep = back_up(*repository, data_2, "ca").snapshot_id;
  }
  {
    AsMachine machine(setup.cache("b"));
    auto repository = Repository::open(setup.location(), LockMode::kShared);
    CHECK(snapshot_ids(*repository).size() == 2);
  }
  {
    AsMachine machine(setup.cache("a"));
    auto repository = Repository::open(setup.location(), LockMode::kExclusive);
    forget_snapshots(*repository, {drop});
  }
  {
    AsMachine machine(setup.cache("b"));
    auto repository = Repository::open(setup.location(), LockMode::kShared);
    CHECK(snapshot_ids(*repository) == std::vector<std::string>{keep});
  }
  {
    AsMachine machine(setup.cache("a"));
    auto repository = Repository::open(setup.location(), LockMode::kExclusive);
    const auto report = prune_repository(*repository, {});
    CHECK(report.packs_deleted + report.packs_repacked > 0);
  }
  AsMachine machine(setup.cache("b"));
  std::vector<std::string> warnings;
  auto repository =
      Repository::open(setup.location(), LockMode::kShared, [&](const std::string& m) { warnings.push_back(m); });
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings.front(), Catch::Contains("rebuilt from its objects") && Catch::Contains("removed"));
  CHECK(snapshot_ids(*repository) == std::vector<std::string>{keep});
  const auto report = check_repository(*repository, read_everything());
  CHECK(report.ok());
  const auto out = setup.temp.path() / "export";
  export_snapshot(*repository, keep, export_to(out));
  CHECK(certvault_test::read_bytes(out / "ca.edb") == certvault_test::read_bytes(data_2 / "ca.edb"));
}

TEST_CASE("repair catalog rebuilds a remote repository's cache, and a damaged cache is rebuilt on open") {
  SharedSetup setup;
  const auto data = setup.data("1", 1 << 20, 6);
  AsMachine machine(setup.cache("a"));
  std::string id;
  std::filesystem::path catalog;
  {
    auto repository = Repository::open(setup.location(), LockMode::kAppend);
    id = back_up(*repository, data, "ca").snapshot_id;
    catalog = Repository::catalog_path(repository->root());
  }
  const auto report = repair_catalog(setup.location());
  CHECK(report.snapshots == 1);
  CHECK(report.problems.empty());
  CHECK_FALSE(report.old_catalog_moved_to.empty());
  // A cache that is not a catalog at all.
  certvault_test::write_bytes(catalog, std::vector<uint8_t>(4096, 'x'));
  std::vector<std::string> warnings;
  auto repository =
      Repository::open(setup.location(), LockMode::kShared, [&](const std::string& m) { warnings.push_back(m); });
  CHECK(snapshot_ids(*repository) == std::vector<std::string>{id});
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings.front(), Catch::Contains("rebuilt"));
}

TEST_CASE("init refuses a remote location that already holds objects") {
  SharedSetup setup;
  try {
    Repository::init(setup.location(), {});
    FAIL("init over a repository was accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kRefused);
    CHECK_THAT(std::string(e.what()), Catch::Contains("already a certvault repository"));
  }
  TempFolder other("shared-other");
  auto store = open_local_object_store(other.path());
  const std::string text = "x";
  store->put("something/else", std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  const auto folder = other.path();
  const auto location =
      RepositoryLocation::remote("remote-folder:x", [folder] { return open_local_object_store(folder); });
  try {
    Repository::init(location, {});
    FAIL("init into a non-empty location was accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kRefused);
    CHECK_THAT(std::string(e.what()), Catch::Contains("not empty") && Catch::Contains("something/else"));
  }
}
