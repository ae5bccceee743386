// Issue 17, item 3: `certvault migrate --encrypt` through the real binary. A migrated repository
// exports every snapshot byte for byte as before, passes check --read-data, holds no plaintext of
// the CA's database, and takes new backups; wrong input is refused and changes nothing. The crash
// matrix of the migration is tests/power/migrate_power_test.cc.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "encryption_support.h"

namespace {

namespace fs = std::filesystem;
using certvault_test::quoted;
using namespace encryption_test;
using Files = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

constexpr int kExitUsage = 2;  // README's exit code table
constexpr int kExitIntegrity = 4;
constexpr int kExitRefused = 6;  // refused by a safety rule: already encrypted
constexpr int kExitKeyRejected = 9;

std::string r(const fs::path& repo) { return " --repo " + quoted(repo.string()) + " "; }

std::string text_of(const fs::path& file) {
  const auto bytes = certvault_test::read_bytes(file);
  return {bytes.begin(), bytes.end()};
}

// Every snapshot of `repo` exported into a fresh folder under `scratch`, by id.
std::map<std::string, Files> export_all(const fs::path& repo, const std::vector<std::string>& ids,
                                        const fs::path& scratch, const std::string& round) {
  std::map<std::string, Files> exports;
  for (const auto& id : ids) {
    const auto to = scratch / (round + "-" + id);
    const auto result = certvault_test::certvault("export " + id + " --to " + quoted(to.string()) + r(repo));
    INFO("export " << id << ": " << result.output);
    REQUIRE(result.exit_code == 0);
    exports[id] = certvault_test::folder_contents(to);
    REQUIRE_FALSE(exports[id].empty());
    fs::remove_all(to);
  }
  return exports;
}

std::vector<std::string> snapshot_ids(const fs::path& repo) {
  const auto listed = certvault_test::certvault("snapshots --json" + r(repo));
  INFO(listed.output);
  REQUIRE(listed.exit_code == 0);
  std::vector<std::string> ids;
  for (const auto& snapshot : nlohmann::json::parse(listed.output)) ids.push_back(snapshot.at("id"));
  return ids;
}

void migrate_ok(const fs::path& repo) {
  const auto migrated = certvault_test::certvault("migrate --encrypt" + r(repo));
  INFO(migrated.output);
  REQUIRE(migrated.exit_code == 0);
  CHECK_THAT(migrated.output, Catch::Contains("no plaintext object is left"));
}

// What a migrated repository must be: format 3 with a key slot and no staging folder left, every
// object sealed, check --read-data clean, and the same exports as before.
void require_encrypted_like_before(const fs::path& repo, const std::map<std::string, Files>& before,
                                   const fs::path& scratch) {
  CHECK_THAT(text_of(repo / "config"), Catch::Contains("format-version = 3"));
  CHECK_THAT(text_of(repo / "config"), !Catch::Contains("chunk-id-secret"));
  CHECK_FALSE(fs::exists(repo / "migrating"));
  CHECK_FALSE(fs::is_empty(repo / "keys"));
  for (const auto& name : object_names(repo)) {
    INFO(name);
    CHECK(text_of(repo / name).substr(0, 8) == "CVSEALED");
  }
  const auto checked = certvault_test::certvault("check --read-data" + r(repo));
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
  CHECK_THAT(checked.output, !Catch::Contains("NOT encrypted"));
  std::vector<std::string> ids;
  for (const auto& [id, files] : before) ids.push_back(id);
  CHECK(export_all(repo, ids, scratch, "after") == before);
}

}  // namespace

TEST_CASE("migrate --encrypt converts copies of the golden repositories, which export byte for byte as before") {
  const fs::path goldens = fs::path(CERTVAULT_SOURCE_DIR) / "tests" / "golden";
  size_t migrated = 0;
  for (const auto& version : fs::directory_iterator(goldens)) {
    if (!version.is_directory()) continue;
    for (const auto& golden : fs::directory_iterator(version.path())) {
      if (!fs::exists(golden.path() / "snapshots.txt")) continue;
      DYNAMIC_SECTION(fs::relative(golden.path(), goldens).generic_string()) {
        // The goldens are never written: a copy is migrated.
        certvault_test::TempFolder temp("migrate-golden");
        const auto repo = temp / "repo";
        fs::copy(golden.path() / "repo", repo, fs::copy_options::recursive);
        // The modes certvault gives what it writes, as tests/golden/golden_test.cc's copies get them:
        // git checks the goldens out 0644/0755, which check would rightly warn about.
        fs::permissions(repo, fs::perms::owner_all);
        for (const auto& entry : fs::recursive_directory_iterator(repo)) {
          fs::permissions(entry.path(),
                          entry.is_directory() ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write);
        }
        const auto ids = snapshot_ids(repo);
        REQUIRE(ids.size() >= 2);
        const auto before = export_all(repo, ids, temp.path(), "before");
        migrate_ok(repo);
        require_encrypted_like_before(repo, before, temp.path());
        std::vector<std::string> found;
        files_containing_ca_strings(repo, found);
        INFO("files with plaintext of the CA's database: " << Catch::Detail::stringify(found));
        CHECK(found.empty());
        // A format-1 golden becomes format 3 (version-2 packs, dictionaries): it takes new backups.
        const auto source = temp / "source";
        certvault_test::write_bytes(source / "new.bin", certvault_test::random_bytes(300u << 10, 7));
        const auto backup = certvault_test::certvault("backup --folder " + quoted(source.string()) + r(repo));
        INFO(backup.output);
        CHECK(backup.exit_code == 0);
        const auto checked = certvault_test::certvault("check --read-data" + r(repo));
        INFO(checked.output);
        CHECK(checked.exit_code == 0);
        ++migrated;
      }
    }
  }
  CHECK(migrated >= 1);
}

TEST_CASE("migrate --encrypt converts a plaintext repository with several snapshots, which then takes backups") {
  BackedUpCa plaintext(" --insecure-no-encryption");
  plaintext.back_up("full");
  const auto ids = snapshot_ids(plaintext.repo());
  REQUIRE(ids.size() == 3);
  const auto before = export_all(plaintext.repo(), ids, plaintext.path("scratch"), "before");
  std::vector<std::string> found;
  REQUIRE(files_containing_ca_strings(plaintext.repo(), found) > 0);  // the search finds plaintext

  migrate_ok(plaintext.repo());
  require_encrypted_like_before(plaintext.repo(), before, plaintext.path("scratch"));
  found.clear();
  CHECK(files_containing_ca_strings(plaintext.repo(), found) == 0);
  INFO("files with plaintext of the CA's database: " << Catch::Detail::stringify(found));

  // Without the key nothing opens it any more; with it, backups continue.
  const auto wrong = certvault_with("CERTVAULT_PASSWORD=wrong", "snapshots" + plaintext.r());
  INFO(wrong.output);
  CHECK(wrong.exit_code == kExitKeyRejected);
  plaintext.back_up("incremental");
  CHECK(snapshot_ids(plaintext.repo()).size() == 4);
  const auto checked = certvault_test::certvault("check --read-data" + plaintext.r());
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
}

TEST_CASE("migrate --encrypt with a key file creates it, and the key file opens the repository") {
  certvault_test::TempFolder temp("migrate-key-file");
  const auto repo = temp / "repo";
  const auto init = certvault_test::certvault("init --insecure-no-encryption" + r(repo));
  REQUIRE(init.exit_code == 0);
  const auto key = temp / "repo.key";
  const auto migrated =
      certvault_with("CERTVAULT_PASSWORD=", "migrate --encrypt --key-file " + quoted(key.string()) + r(repo));
  INFO(migrated.output);
  REQUIRE(migrated.exit_code == 0);
  CHECK_THAT(migrated.output, Catch::Contains("keep a copy apart from the repository"));
  CHECK(fs::exists(key));
  const auto listed = certvault_with("CERTVAULT_PASSWORD=", "key list --key-file " + quoted(key.string()) + r(repo));
  INFO(listed.output);
  CHECK(listed.exit_code == 0);
}

TEST_CASE("migrate --encrypt refuses an encrypted repository, a folder that is no repository and a missing key") {
  certvault_test::TempFolder temp("migrate-refusals");
  const auto encrypted = temp / "encrypted";
  REQUIRE(certvault_test::certvault("init" + r(encrypted)).exit_code == 0);
  const auto again = certvault_test::certvault("migrate --encrypt" + r(encrypted));
  INFO(again.output);
  CHECK(again.exit_code == kExitRefused);
  CHECK_THAT(again.output, Catch::Contains("is already encrypted") && Catch::Contains("nothing to migrate"));

  const auto nothing = certvault_test::certvault("migrate --encrypt" + r(temp / "absent"));
  INFO(nothing.output);
  CHECK(nothing.exit_code == kExitUsage);
  CHECK_THAT(nothing.output, Catch::Contains("not a certvault repository"));

  const auto plaintext = temp / "plaintext";
  REQUIRE(certvault_test::certvault("init --insecure-no-encryption" + r(plaintext)).exit_code == 0);
  const auto config = text_of(plaintext / "config");
  // No passphrase anywhere and no terminal (the test's stdin is not one): nothing changes.
  const auto keyless = certvault_with("CERTVAULT_PASSWORD= CERTVAULT_PASSWORD_FILE=",
                                      "migrate --encrypt" + r(plaintext) + " < /dev/null");
  INFO(keyless.output);
  CHECK(keyless.exit_code == kExitUsage);
  CHECK_THAT(keyless.output, Catch::Contains("needs the new key"));
  CHECK(text_of(plaintext / "config") == config);

  const auto without_flag = certvault_test::certvault("migrate" + r(plaintext));
  INFO(without_flag.output);
  CHECK(without_flag.exit_code == kExitUsage);
  CHECK(text_of(plaintext / "config") == config);

  // An object that is sealed already in a repository whose config says plaintext (a copy mixed up,
  // or a second migration racing the first) is never sealed twice: nothing is switched.
  const std::string pack = "packs/00/" + std::string(32, '0') + ".pack";
  auto sealed = ascii("CVSEALED");
  sealed.resize(100, 0x5a);
  certvault_test::write_bytes(plaintext / pack, sealed);
  const auto mixed = certvault_test::certvault("migrate --encrypt" + r(plaintext));
  INFO(mixed.output);
  CHECK(mixed.exit_code == kExitIntegrity);
  CHECK_THAT(mixed.output, Catch::Contains(pack) && Catch::Contains("is already encrypted"));
  CHECK(text_of(plaintext / "config") == config);
  CHECK_FALSE(fs::exists(plaintext / "migrating"));
}
