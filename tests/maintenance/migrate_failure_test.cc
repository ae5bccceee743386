// `migrate --encrypt` failing (issue 17, item 3): on a disk too small for
// the encrypted copies it refuses before writing; an I/O error while it stages leaves the plaintext
// repository as it was, without leftovers; a rerun then migrates. The disk is simulated through the
// file-system seam (FaultInjectingFileSystem), failing each call of a migration in turn. The crash
// matrix is tests/power/migrate_power_test.cc.
#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/repository/encryption_migration.h"
#include "fault_injecting_file_system.h"
#include "maintenance_fixture.h"

using namespace certvault;
using namespace certvault_test;

namespace {

using Files = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

EncryptionMigrationOptions migration_options() {
  EncryptionMigrationOptions options;
  options.credentials.passphrase = "certvault test passphrase";  // tests/test_main.cc: the environment's
  options.credentials.passphrase_origin = "the test";
  return options;
}

// A plaintext repository with one snapshot, and its export.
struct Plaintext {
  MaintenanceRepo repo;
  std::string id;
  Files files;
  Plaintext() {
    const auto source = repo.scratch("source");
    set_folder(source, {{"a.bin", random_bytes(300u << 10, 1)}, {"b.bin", random_bytes(200u << 10, 2)}});
    id = repo.back_up(source);
    files = repo.exported(id);
  }
  void require_unchanged_plaintext() const {
    CHECK_FALSE(repo.open(LockMode::kShared)->encrypted());
    CHECK_FALSE(std::filesystem::exists(repo.repo_path() / "migrating"));
    CHECK(repo.exported(id) == files);
    CHECK(repo.check().ok());
  }
};

}  // namespace

TEST_CASE("migrate --encrypt on a disk too small for the encrypted copies refuses before it writes") {
  Plaintext plaintext;
  const uint64_t objects = plaintext.repo.bytes_under("packs") + plaintext.repo.bytes_under("recipes") +
                           plaintext.repo.bytes_under("snapshots");
  FaultInjectingFileSystem disk;
  disk.limit_space(objects / 2);
  {
    os::ScopedFileSystem scope(disk);
    try {
      encrypt_repository(plaintext.repo.repo_path(), migration_options());
      FAIL("the migration ran on a disk without room for its copies");
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(e.kind() == ErrorKind::kFailure);
      CHECK_THAT(e.what(), Catch::Contains("free on the volume") && Catch::Contains("nothing was changed"));
    }
  }
  CHECK(disk.space_left() == objects / 2);  // nothing written
  plaintext.require_unchanged_plaintext();
}

TEST_CASE("migrate --encrypt failing while it stages leaves the plaintext repository without leftovers") {
  Plaintext plaintext;
  for (uint64_t at : {1, 2, 3}) {
    DYNAMIC_SECTION("an I/O error at the write " << at << " of a staged object") {
      FaultInjectingFileSystem disk;
      disk.add({FaultKind::kIoError, at, {Call::kWrite}, "migrating"});
      {
        os::ScopedFileSystem scope(disk);
        CHECK_THROWS_AS(encrypt_repository(plaintext.repo.repo_path(), migration_options()), Error);
      }
      CHECK(disk.injected().size() == 1);
      plaintext.require_unchanged_plaintext();
    }
  }
  // And then it migrates.
  const auto report = encrypt_repository(plaintext.repo.repo_path(), migration_options());
  CHECK_FALSE(report.discarded_earlier_run);
  CHECK(report.objects_sealed >= 3);
  CHECK(plaintext.repo.open(LockMode::kShared)->encrypted());
  CHECK(plaintext.repo.exported(plaintext.id) == plaintext.files);
  CHECK(plaintext.repo.check().ok());
}

TEST_CASE(
    "migrate --encrypt failing at any file-system call leaves a repository that exports the same, and a rerun "
    "completes") {
  Plaintext plaintext;
  const auto starting_state = plaintext.repo.scratch("starting-state");
  std::filesystem::copy(plaintext.repo.repo_path(), starting_state, std::filesystem::copy_options::recursive);
  bool fault_beyond_last_call = false;
  uint64_t attempts = 0, failed_plaintext = 0, failed_encrypted = 0;
  for (uint64_t call = 1; call <= 20000 && !fault_beyond_last_call; ++call) {
    INFO("I/O error at file-system call " << call);
    ++attempts;
    if (call > 1) {
      std::filesystem::remove_all(plaintext.repo.repo_path());
      std::filesystem::copy(starting_state, plaintext.repo.repo_path(), std::filesystem::copy_options::recursive);
    }
    FaultInjectingFileSystem disk;
    disk.add({FaultKind::kIoError, call, {}, (plaintext.repo.repo_path() / "").string()});
    bool failed = false;
    {
      os::ScopedFileSystem scope(disk);
      try {
        encrypt_repository(plaintext.repo.repo_path(), migration_options());
      } catch (const std::exception& e) {
        INFO(e.what());
        failed = true;
      }
    }
    if (disk.injected().empty()) {
      CHECK_FALSE(failed);
      fault_beyond_last_call = true;
    }
    // Plaintext as before, or encrypted (with the migration finished or still to finish): it opens and
    // exports the same bytes either way.
    const bool encrypted = plaintext.repo.open(LockMode::kShared)->encrypted();
    if (failed) ++(encrypted ? failed_encrypted : failed_plaintext);
    CHECK(plaintext.repo.exported(plaintext.id) == plaintext.files);
    // A rerun after every failure past the commit point, and after every 16th before it (each rerun is
    // a whole migration's fsyncs; the failures before the commit point all leave the same state).
    if (!failed || (!encrypted && failed_plaintext % 16 != 1)) continue;
    try {
      encrypt_repository(plaintext.repo.repo_path(), migration_options());
    } catch (const Error& e) {
      INFO(e.what());
      CHECK(e.kind() == ErrorKind::kRefused);  // already encrypted: nothing left to do
      CHECK(encrypted);
    }
    CHECK(plaintext.repo.open(LockMode::kShared)->encrypted());
    CHECK_FALSE(std::filesystem::exists(plaintext.repo.repo_path() / "migrating"));
    CHECK(plaintext.repo.exported(plaintext.id) == plaintext.files);
    CHECK(plaintext.repo.check().ok());
  }
  CHECK(fault_beyond_last_call);
  CHECK(attempts > 50);
  CHECK(failed_plaintext > 0);  // failures before the commit point (the config's rename)
  CHECK(failed_encrypted > 0);  // and after it, while the plaintext objects are removed
}
