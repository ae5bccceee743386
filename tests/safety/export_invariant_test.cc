// Issue 15, item 3: no snapshot backs up with exit 0 and then fails to export with exit 6.
// Through the real binary and the simulated CA, for CA names that no export could write.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "test_support.h"

using namespace certvault_test;

namespace {

std::set<std::string> finished_logs(const std::filesystem::path& ca) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(ca / "CertLog")) {
    const auto name = entry.path().filename().string();
    if (name.size() == 12 && name.starts_with("edb") && name.ends_with(".log")) names.insert(name);
  }
  return names;
}

}  // namespace

TEST_CASE("a CA backup that exits 0 always exports, and one that cannot export commits and truncates nothing") {
  // Device names (plain, with an extension, with a superscript digit), reserved characters,
  // trailing dots and spaces, and an ordinary name that must keep working.
  const std::vector<std::string> names = {"CON",      "com1",      "NUL.txt",    "LPT\xC2\xB9",
                                          "Aux",      "ask?",      "pipe|name",  "star*",
                                          "quote\"d", "less<than", "ends in a.", "Contoso Root CA"};
  for (const auto& name : names) {
    INFO("CA name: " << name);
    TempFolder temp("safety-names");
    const auto ca = temp / "ca";
    const auto repo = temp / "repo";
    // casim itself refuses names a Windows file name cannot hold ('?', '|', ...); those
    // are covered by the path rule's unit tests (tests/restore/path_safety_test.cc).
    const auto created = run(quoted(casim_binary().string()) + " init " + quoted(ca.string()) + " --ca-name " +
                             quoted(name) + " --db-size 1MiB");
    if (created.exit_code != 0) {
      CHECK_THAT(created.output, Catch::Contains("cannot hold"));
      continue;
    }
    casim("issue " + quoted(ca.string()) + " --count 30");
    REQUIRE(certvault("init --repo " + quoted(repo.string())).exit_code == 0);
    const auto logs_before = finished_logs(ca);
    const auto backup = certvault("backup --repo " + quoted(repo.string()) + " --server " + quoted(ca.string()) +
                                  " --type full --library " + quoted(sim_library().string()));
    INFO(backup.output);
    if (backup.exit_code == 0) {
      for (const char* layout : {"certutil", "sets"}) {
        const auto target = temp / (std::string("export-") + layout);
        const auto exported = certvault("export --repo " + quoted(repo.string()) + " latest --layout " + layout +
                                        " --to " + quoted(target.string()));
        INFO(exported.output);
        CHECK(exported.exit_code == 0);
      }
      const auto verified = certvault("verify --repo " + quoted(repo.string()) + " latest");
      INFO(verified.output);
      CHECK(verified.exit_code == 0);
    } else {
      CHECK(backup.exit_code == 6);
      CHECK_THAT(backup.output, Catch::Contains("that export could not write"));
      // Nothing truncated: every finished log is still there, with the one the backup closed.
      const auto logs_after = finished_logs(ca);
      CHECK(std::includes(logs_after.begin(), logs_after.end(), logs_before.begin(), logs_before.end()));
      CHECK(!logs_after.empty());
      const auto listed = certvault("snapshots --repo " + quoted(repo.string()) + " --json");
      CHECK(listed.output.find("\"id\"") == std::string::npos);  // nothing committed
    }
    if (name == "Contoso Root CA") CHECK(backup.exit_code == 0);
    if (name == "CON" || name == "NUL.txt" || name == "LPT\xC2\xB9") CHECK(backup.exit_code == 6);
  }
}

TEST_CASE("a folder backup skips and names what export could not write, and its snapshot exports") {
  TempFolder temp("safety-folder");
  const auto source = temp / "source";
  write_bytes(source / "fine.txt", random_bytes(100, 1));
  write_bytes(source / "CON", random_bytes(100, 2));
  write_bytes(source / "sub" / "what?.txt", random_bytes(100, 3));
  write_bytes(source / "Case.txt", random_bytes(100, 4));
  write_bytes(source / "case.txt", random_bytes(100, 5));
  write_bytes(source / "trailing.", random_bytes(100, 6));
  const auto repo = temp / "repo";
  REQUIRE(certvault("init --repo " + quoted(repo.string())).exit_code == 0);
  const auto backup = certvault("backup --repo " + quoted(repo.string()) + " --folder " + quoted(source.string()));
  INFO(backup.output);
  REQUIRE(backup.exit_code == 0);
  CHECK_THAT(backup.output, Catch::Contains("skipped CON"));
  CHECK_THAT(backup.output, Catch::Contains("skipped sub/what?.txt"));
  CHECK_THAT(backup.output, Catch::Contains("skipped case.txt"));
  CHECK_THAT(backup.output, Catch::Contains("skipped trailing."));
  const auto exported =
      certvault("export --repo " + quoted(repo.string()) + " latest --to " + quoted((temp / "out").string()));
  INFO(exported.output);
  CHECK(exported.exit_code == 0);
  CHECK(std::filesystem::exists(temp / "out" / "fine.txt"));
  CHECK(std::filesystem::exists(temp / "out" / "Case.txt"));
}

TEST_CASE("a CA folder name with a newline is refused before the commit, and no message line is forged") {
  TempFolder temp("safety-manifest");
  // The folder (the --server given) holds a newline and a would-be MANIFEST file line after it.
  const auto ca = temp / "ca\n  0123456789abcdef0123456789abcdef          1 Dynamic/forged.crt  <- x";
  const auto repo = temp / "repo";
  casim("init " + quoted(ca.string()) + " --ca-name 'Contoso Root CA' --db-size 1MiB");
  casim("issue " + quoted(ca.string()) + " --count 10");
  REQUIRE(certvault("init --repo " + quoted(repo.string())).exit_code == 0);
  const auto backup = certvault("backup --repo " + quoted(repo.string()) + " --server " + quoted(ca.string()) +
                                " --type full --library " + quoted(sim_library().string()));
  INFO(backup.output);
  // Restore could not write to that folder on any platform: refused like an unexportable name.
  CHECK(backup.exit_code == 6);
  // The message quotes the name escaped: one line, no forged line after it.
  CHECK(backup.output.find("\n  0123456789abcdef") == std::string::npos);
  CHECK_THAT(backup.output, Catch::Contains("ca\\n  0123456789abcdef"));
}
