// Issue 17, item 4: everything certvault creates in a repository, an export or verify's scratch
// folder is its owner's alone (0600/0700) whatever the umask; `check` warns about group- or
// world-accessible files of an existing repository and `check --fix-permissions` fixes them.
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "test_support.h"

namespace {

using certvault_test::quoted;

// "path mode" for every file and folder under `root` (root included) whose permission bits are
// not 0600 for a file or 0700 for a folder; symlinks are not followed.
std::vector<std::string> not_private(const std::filesystem::path& root) {
  std::vector<std::string> found;
  auto inspect = [&found](const std::filesystem::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    const unsigned mode = st.st_mode & 07777;
    if ((S_ISDIR(st.st_mode) && mode != 0700) || (S_ISREG(st.st_mode) && mode != 0600)) {
      char octal[8];
      std::snprintf(octal, sizeof octal, "%04o", mode);
      found.push_back(path.string() + " " + octal);
    }
  };
  inspect(root);
  if (std::filesystem::is_directory(std::filesystem::symlink_status(root))) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) inspect(entry.path());
  }
  return found;
}

// Runs certvault under `umask`.
certvault_test::CommandResult certvault_with_umask(const std::string& umask, const std::string& arguments) {
  return certvault_test::run("umask " + umask + " && " + quoted(certvault_test::certvault_binary().string()) + " " +
                             arguments);
}

}  // namespace

TEST_CASE("a repository, its catalog, lock and objects, and an export are 0600/0700 whatever the umask") {
  for (const std::string umask : {"0000", "0022", "0277"}) {
    SECTION("umask " + umask) {
      certvault_test::TempFolder temp("permissions");
      const auto ca = temp / "ca";
      const auto repo = temp / "nested" / "repo";
      certvault_test::casim("init " + quoted(ca.string()) + " --ca-name 'Contoso Root CA' --db-size 1MiB");
      certvault_test::casim("issue " + quoted(ca.string()) + " --count 10");
      const std::string r = " --repo " + quoted(repo.string());
      auto result = certvault_with_umask(umask, "init" + r);
      INFO(result.output);
      REQUIRE(result.exit_code == 0);
      result =
          certvault_with_umask(umask, "backup" + r + " --server " + quoted(ca.string()) + " --type full --library " +
                                          quoted(certvault_test::sim_library().string()));
      INFO(result.output);
      REQUIRE(result.exit_code == 0);
      result = certvault_with_umask(umask, "export latest --to " + quoted((temp / "out").string()) + r);
      INFO(result.output);
      REQUIRE(result.exit_code == 0);
      result = certvault_with_umask(umask, "export latest --tar " + quoted((temp / "out.tar").string()) + r);
      INFO(result.output);
      REQUIRE(result.exit_code == 0);

      CHECK(not_private(repo).empty());
      CHECK(not_private(temp / "nested").size() == 0);  // a parent init created is private too
      CHECK(not_private(temp / "out").empty());
      CHECK(not_private(temp / "out.tar").empty());
      // The catalog's SQLite files and the lock are there, so the walk above covered them.
      CHECK(std::filesystem::exists(repo / "catalog.db"));
      CHECK(std::filesystem::exists(repo / "lock"));

      result = certvault_with_umask(umask, "check" + r);
      INFO(result.output);
      CHECK(result.exit_code == 0);
      CHECK_THAT(result.output, !Catch::Contains("accessible to its group or others"));
    }
  }
}

TEST_CASE("check warns about group- and world-accessible files and --fix-permissions makes them private") {
  certvault_test::TempFolder temp("permissions-fix");
  const auto repo = temp / "repo";
  const auto source = temp / "source";
  certvault_test::write_bytes(source / "a.bin", certvault_test::random_bytes(100000, 3));
  const std::string r = " --repo " + quoted(repo.string());
  REQUIRE(certvault_test::certvault("init" + r).exit_code == 0);
  REQUIRE(certvault_test::certvault("backup --folder " + quoted(source.string()) + r).exit_code == 0);
  // As an older certvault, a copy with cp, or an administrator's chmod would leave them.
  std::filesystem::permissions(repo, std::filesystem::perms(0755));
  std::filesystem::permissions(repo / "config", std::filesystem::perms(0644));
  std::filesystem::permissions(repo / "catalog.db", std::filesystem::perms(0666));

  auto checked = certvault_test::certvault("check" + r);
  INFO(checked.output);
  CHECK(checked.exit_code == 0);  // a warning, not damage
  CHECK_THAT(checked.output, Catch::Contains("folder " + repo.string() +
                                             " is accessible to its group or others "
                                             "(mode 0755)"));
  CHECK_THAT(checked.output, Catch::Contains((repo / "config").string() + " is accessible") &&
                                 Catch::Contains("(mode 0644)") && Catch::Contains("(mode 0666)") &&
                                 Catch::Contains("--fix-permissions"));

  auto fixed = certvault_test::certvault("check --fix-permissions --json" + r);
  INFO(fixed.output);
  CHECK(fixed.exit_code == 0);
  CHECK_THAT(fixed.output, Catch::Contains("\"permissions_fixed\": 3"));
  CHECK(not_private(repo).empty());

  checked = certvault_test::certvault("check" + r);
  INFO(checked.output);
  CHECK(checked.exit_code == 0);
  CHECK_THAT(checked.output, !Catch::Contains("accessible to its group or others"));
}
