// Issue 15, item 6: the repository lock never follows a symlink nor truncates a file it did not
// create, a holder whose lock file is deleted or replaced stops (exit 3) before committing or
// deleting, and `unlock` refuses a folder that is not a repository.
#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/operations/folder_backup.h"
#include "certvault/repository/prune.h"
#include "certvault/repository/repository.h"
#include "test_support.h"

using namespace certvault;
using namespace certvault_test;

namespace {

struct Repo {
  TempFolder temp{"safety-lock"};
  std::filesystem::path repo = temp / "repo";
  std::filesystem::path source = temp / "source";
  Repo() {
    REQUIRE(certvault_test::certvault("init --repo " + quoted(repo.string())).exit_code == 0);
    write_bytes(source / "a.bin", random_bytes(200000, 7));
  }
};

}  // namespace

TEST_CASE("REPO/lock as a symlink or a hard link is refused with exit 3 and its target is left intact") {
  for (const bool symbolic : {true, false}) {
    INFO((symbolic ? "symlink" : "hard link"));
    Repo setup;
    const auto victim = setup.temp / "victim.txt";
    write_bytes(victim, {'k', 'e', 'e', 'p', ' ', 'm', 'e'});
    std::filesystem::remove(setup.repo / "lock");
    if (symbolic) {
      std::filesystem::create_symlink(victim, setup.repo / "lock");
    } else {
      std::filesystem::create_hard_link(victim, setup.repo / "lock");
    }
    for (const std::string& command :
         std::vector<std::string>{"snapshots", "backup --folder " + quoted(setup.source.string()), "prune"}) {
      const auto result = certvault_test::certvault(command + " --repo " + quoted(setup.repo.string()));
      INFO(command << "\n" << result.output);
      CHECK(result.exit_code == 3);
      CHECK_THAT(result.output, Catch::Contains(symbolic ? "a symbolic link" : "hard link"));
      CHECK(read_bytes(victim) == std::vector<uint8_t>{'k', 'e', 'e', 'p', ' ', 'm', 'e'});
    }
  }
}

TEST_CASE("a writer whose lock file was deleted or replaced stops before committing or deleting") {
  for (const bool replace : {false, true}) {
    INFO((replace ? "replaced" : "deleted"));
    Repo setup;
    REQUIRE(certvault_test::certvault("backup --repo " + quoted(setup.repo.string()) + " --folder " +
                                      quoted(setup.source.string()))
                .exit_code == 0);
    auto repository = Repository::open(setup.repo, LockMode::kExclusive);
    std::filesystem::remove(setup.repo / "lock");
    if (replace) write_bytes(setup.repo / "lock", {});
    // Another writer can now take the lock: this one must stop at its next commit or deletion.
    FolderBackupOptions options;
    options.folder = setup.source;
    try {
      back_up_folder(*repository, options);
      FAIL("the backup committed without its lock");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kLocked);
      CHECK_THAT(std::string(e.what()), Catch::Contains("stopping before committing snapshot"));
    }
    try {
      prune_repository(*repository, {});
      FAIL("prune ran without its lock");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kLocked);
      CHECK_THAT(std::string(e.what()), Catch::Contains("stopping before removing"));
    }
    CHECK(repository->catalog().snapshots().size() == 1);
  }
}

TEST_CASE("unlock refuses a folder that is not a repository and creates nothing there") {
  TempFolder temp("safety-unlock");
  const auto result = certvault_test::certvault("unlock --repo " + quoted(temp.path().string()));
  INFO(result.output);
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Catch::Contains("not a certvault repository"));
  CHECK(!std::filesystem::exists(temp / "lock"));
  CHECK(std::filesystem::is_empty(temp.path()));
}
