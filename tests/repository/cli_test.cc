#include <catch2/catch.hpp>

#include "test_support.h"

using namespace certvault_test;

TEST_CASE("certvault --help lists the commands and exit codes; --version works") {
  const auto help = certvault("--help");
  CHECK(help.exit_code == 0);
  for (const char* command : {"init", "backup", "snapshots", "export", "repair", "unlock"}) {
    CHECK_THAT(help.output, Catch::Contains(command));
  }
  CHECK_THAT(help.output, Catch::Contains("Exit codes"));
  const auto version = certvault("--version");
  CHECK(version.exit_code == 0);
  CHECK_THAT(version.output, Catch::Contains("certvault 0."));
  CHECK(certvault("no-such-command").exit_code == 2);
}

TEST_CASE("init, backup --folder, snapshots and export through the binary") {
  TempFolder temp("cli");
  const auto repo = temp / "repo";
  const auto source = temp / "source";
  write_bytes(source / "DataBase/ca.edb", random_bytes(2u << 20, 1));
  write_bytes(source / "DataBase/edb00001.log", random_bytes(1u << 20, 2));
  REQUIRE(certvault("init --repo " + quoted(repo.string())).exit_code == 0);

  SECTION("init refuses a non-empty folder that is not a repository, and an existing repository") {
    const auto again = certvault("init --repo " + quoted(repo.string()));
    CHECK(again.exit_code == 6);
    CHECK_THAT(again.output, Catch::Contains("already a certvault repository"));
    const auto other = certvault("init --repo " + quoted(source.string()));
    CHECK(other.exit_code == 6);
    CHECK_THAT(other.output, Catch::Contains("not empty"));
  }
  SECTION("a backup lists and exports identically") {
    const auto backup =
        certvault("backup --json --repo " + quoted(repo.string()) + " --folder " + quoted(source.string()));
    REQUIRE(backup.exit_code == 0);
    CHECK_THAT(backup.output, Catch::Contains("\"files\": 2"));
    CHECK_THAT(backup.output, Catch::Contains("\"logical_bytes\": 3145728"));
    const auto list = certvault("snapshots --repo " + quoted(repo.string()));
    CHECK(list.exit_code == 0);
    CHECK_THAT(list.output, Catch::Contains("1 snapshot"));
    const auto json = certvault("snapshots --json --repo " + quoted(repo.string()));
    CHECK_THAT(json.output, Catch::Contains("\"kind\": \"folder\""));
    const auto target = temp / "out";
    const auto exported =
        certvault("export latest --repo " + quoted(repo.string()) + " --to " + quoted(target.string()));
    REQUIRE(exported.exit_code == 0);
    CHECK(folder_contents(target) == folder_contents(source));
    const auto refused =
        certvault("export latest --repo " + quoted(repo.string()) + " --to " + quoted(target.string()));
    CHECK(refused.exit_code == 6);
  }
  SECTION("bad input fails with a message and a documented exit code") {
    CHECK(certvault("snapshots --repo " + quoted((temp / "missing").string())).exit_code == 2);
    const auto bad_spec =
        certvault("export nothex --repo " + quoted(repo.string()) + " --to " + quoted((temp / "x").string()));
    CHECK(bad_spec.exit_code == 2);
    CHECK_THAT(bad_spec.output, Catch::Contains("not a snapshot id"));
    CHECK(certvault("init --repo " + quoted((temp / "r2").string()) + " --chunk-avg 1000").exit_code == 2);
  }
}

TEST_CASE("exit code 2 means a bad command line or argument value") {
  TempFolder temp("cli");
  const auto repo = temp / "repo";
  REQUIRE(certvault("init --repo " + quoted(repo.string())).exit_code == 0);
  const std::string repo_arg = " --repo " + quoted(repo.string());
  const auto bad_duration = certvault("forget --keep-within 3w --dry-run" + repo_arg);
  CHECK(bad_duration.exit_code == 2);
  CHECK_THAT(bad_duration.output, Catch::Contains("unknown unit 'w'"));
  const auto bad_time = certvault("forget --keep-last 1 --now 2026-13-01" + repo_arg);
  CHECK(bad_time.exit_code == 2);
  CHECK_THAT(bad_time.output, Catch::Contains("'2026-13-01' is not a time"));
  const auto bad_level = certvault("init --repo " + quoted((temp / "r2").string()) + " --compression 42");
  CHECK(bad_level.exit_code == 2);
  CHECK_THAT(bad_level.output, Catch::Contains("--compression") && Catch::Contains("'42'") && Catch::Contains("1..19"));
  CHECK(certvault("check --read-data-subset 150" + repo_arg).exit_code == 2);
  CHECK(certvault("snapshots --no-such-option" + repo_arg).exit_code == 2);
  // Damage is not the user's bad input: the same command on a repository without its catalog is 4.
  std::filesystem::remove(repo / "catalog.db");
  const auto damaged = certvault("snapshots" + repo_arg);
  CHECK(damaged.exit_code == 4);
  CHECK_THAT(damaged.output, Catch::Contains("repair catalog"));
}

TEST_CASE("a CA bundle (--ca-bundle) that is not a file is a usage error naming it, before any request") {
  TempFolder temp("cli");
  // Nothing listens on port 1: had a request been sent, the error would be a connection failure.
  const std::string bucket = " --repo s3:http://127.0.0.1:1/certvault-test";
  const auto missing = certvault("snapshots" + bucket + " --ca-bundle " + quoted((temp / "no-ca.pem").string()));
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.output,
             Catch::Contains("no-ca.pem") && Catch::Contains("no such file") && Catch::Contains("--ca-bundle"));
  std::filesystem::create_directories(temp / "folder.pem");
  const auto folder =
      certvault("init" + bucket + " --insecure-no-encryption --ca-bundle " + quoted((temp / "folder.pem").string()));
  CHECK(folder.exit_code == 2);
  CHECK_THAT(folder.output, Catch::Contains("folder.pem") && Catch::Contains("not a regular file"));
  // copy takes them for both ends.
  std::string copy_command = "copy --all --from";
  copy_command += bucket.substr(std::string(" --repo").size());
  copy_command += " --to " + quoted((temp / "r").string());
  copy_command += " --region eu-west-9 --ca-bundle " + quoted((temp / "no-ca.pem").string());
  const auto copy = certvault(copy_command);
  CHECK(copy.exit_code == 2);
  CHECK_THAT(copy.output, Catch::Contains("no-ca.pem"));
}
