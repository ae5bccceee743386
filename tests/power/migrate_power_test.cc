// Crash matrix of `migrate --encrypt` (issue 17, item 3): the power cut at every sync point of the
// migration and just after each. After every cut the repository opens (plaintext, encrypted, or
// encrypted with its migration unfinished) and exports every snapshot byte for byte as before; a
// rerun of the migration then completes it, and the result passes check --read-data with every
// object sealed.
#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>

#include "certvault/base/error.h"
#include "certvault/operations/folder_backup.h"
#include "certvault/repository/encryption_migration.h"
#include "power_matrix.h"

using namespace certvault;
using namespace power_test;
using certvault_test::random_bytes;

namespace {

const std::string kPassphrase = "certvault test passphrase";  // tests/test_main.cc puts it in the environment

fs::path repo(const fs::path& work) { return work / "repo"; }

void set_folder(const fs::path& folder, const Files& files) {
  fs::remove_all(folder);
  for (const auto& [name, bytes] : files) certvault_test::write_bytes(folder / name, bytes);
}

EncryptionMigrationReport migrate(const fs::path& work, const std::string& passphrase = kPassphrase) {
  EncryptionMigrationOptions options;
  options.credentials.passphrase = passphrase;
  options.credentials.passphrase_origin = "the test";
  options.warn = [](const std::string&) {};
  return encrypt_repository(repo(work), options);
}

bool starts_sealed(const fs::path& file) {
  const auto bytes = certvault_test::read_bytes(file);
  return bytes.size() >= 8 && std::string(bytes.begin(), bytes.begin() + 8) == "CVSEALED";
}

}  // namespace

TEST_CASE("power: migrate --encrypt, cut at each sync point and just after, then a rerun completes") {
  certvault_test::TempFolder temp("power-migrate");
  const fs::path pristine = temp.path() / "pristine";
  {
    InitOptions options;
    options.pack_target_bytes = 1u << 20;
    Repository::init(repo(pristine), options);
  }
  // Two snapshots sharing a file: a few packs, recipes and manifests, and a dedup reference.
  std::vector<std::pair<std::string, Files>> snapshots;
  const auto shared = random_bytes(150u << 10, 1);
  for (uint64_t seed : {2, 3}) {
    const Files files = {{"a.bin", shared}, {"b.bin", random_bytes(100u << 10, seed)}};
    set_folder(temp.path() / "source", files);
    auto repository = Repository::open(repo(pristine), LockMode::kExclusive);
    snapshots.emplace_back(back_up_folder(*repository, {temp.path() / "source", {}, {}}).snapshot_id, files);
  }
  std::vector<std::pair<std::string, Files>> expected;
  for (const auto& [id, files] : snapshots) expected.emplace_back(id, exported(repo(pristine), id, temp.path()));
  REQUIRE_FALSE(reopen(repo(pristine))->encrypted());

  // The states the cuts left (docs/format.md §8.5): each one must occur, or the matrix tests less
  // than it claims.
  int plaintext_with_leftovers = 0, unfinished = 0, encrypted = 0;
  std::optional<std::pair<std::string, Files>> late;  // a backup taken with the migration unfinished
  bool late_checked = false;
  const auto require_exports_as_before = [&](const fs::path& work) {
    for (const auto& [id, files] : expected) CHECK(exported(repo(work), id, work.parent_path()) == files);
  };
  const uint64_t points = cut_at_every_sync_point(
      temp.path(), [&](const fs::path& work) { fs::copy(pristine, work, fs::copy_options::recursive); },
      [&](const fs::path& work) { migrate(work); },
      [&](const fs::path& work, const Cut& cut) {
        INFO(cut.describe());
        // Whatever state the cut left, it opens, passes check --read-data and exports the same bytes.
        require_check_clean(repo(work));
        require_exports_as_before(work);
        const bool encrypted_at_cut = reopen(repo(work))->encrypted();
        const bool staged_at_cut =
            fs::exists(repo(work) / "migrating") &&
            std::any_of(fs::recursive_directory_iterator(repo(work) / "migrating"), fs::recursive_directory_iterator(),
                        [](const fs::directory_entry& e) { return e.is_regular_file(); });
        if (cut.returned) CHECK(encrypted_at_cut);
        if (!encrypted_at_cut && staged_at_cut) ++plaintext_with_leftovers;
        if (encrypted_at_cut && staged_at_cut) ++unfinished;
        if (encrypted_at_cut && !staged_at_cut) ++encrypted;
        // An interrupted migration is named on every open until a rerun completes it.
        std::vector<std::string> warnings;
        Repository::open(repo(work), LockMode::kShared, [&](const std::string& w) { warnings.push_back(w); });
        INFO("warnings: " << Catch::Detail::stringify(warnings));
        CHECK(warnings.size() == (staged_at_cut ? 1u : 0u));
        if (staged_at_cut) CHECK_THAT(warnings.front(), Catch::Contains("migrate --encrypt"));
        if (encrypted_at_cut && staged_at_cut) {
          // Finishing needs the key the interrupted run made: another passphrase changes nothing.
          try {
            migrate(work, "another passphrase");
            FAIL("a migration past its commit point was finished with a passphrase no key slot takes");
          } catch (const Error& e) {
            INFO(e.what());
            CHECK(e.kind() == ErrorKind::kKeyRejected);
          }
          require_exports_as_before(work);
          if (unfinished == 1) {
            // Writers work meanwhile: a backup taken now survives the finishing rerun.
            const Files files = {{"late.bin", random_bytes(120u << 10, 9)}};
            set_folder(work.parent_path() / "late-source", files);
            auto repository = Repository::open(repo(work), LockMode::kExclusive, [](const std::string&) {});
            late = {back_up_folder(*repository, {work.parent_path() / "late-source", {}, {}}).snapshot_id, files};
          }
        }
        // A rerun completes the migration; one that finds nothing left to do says so.
        try {
          const auto report = migrate(work);
          CHECK_FALSE(cut.returned);
          CHECK(report.finished_earlier_run == encrypted_at_cut);
        } catch (const Error& e) {
          INFO(e.what());
          REQUIRE(e.kind() == ErrorKind::kRefused);
          CHECK(encrypted_at_cut);
        }
        REQUIRE(reopen(repo(work))->encrypted());
        require_check_clean(repo(work));
        require_exports_as_before(work);
        CHECK_FALSE(fs::exists(repo(work) / "migrating"));
        if (late && !late_checked) {
          CHECK(exported(repo(work), late->first, work.parent_path()) == late->second);
          late_checked = true;
        }
        for (const char* folder : {"packs", "recipes", "snapshots"}) {
          for (const auto& entry : fs::recursive_directory_iterator(repo(work) / folder)) {
            if (!entry.is_regular_file()) continue;
            INFO(entry.path().string());
            CHECK(starts_sealed(entry.path()));
          }
        }
      });
  WARN("migrate --encrypt: " << points << " sync points; cuts leaving the repository plaintext with leftovers: "
                             << plaintext_with_leftovers << ", encrypted but unfinished: " << unfinished
                             << ", encrypted: " << encrypted);
  CHECK(points > 10);
  CHECK(plaintext_with_leftovers > 0);
  CHECK(unfinished > 0);
  CHECK(encrypted > 0);
  CHECK(late_checked);
}
