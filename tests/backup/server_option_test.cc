// --server (issue 20, item 5): one wording in --help and the documentation, series that follow
// the CA (not the string) across a computer's names, and `restore --start` refused up front.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "certvault/operations/api_backup.h"
#include "json_output.h"
#include "test_support.h"

using namespace certvault_test;
using certvault::same_computer;

namespace {

CommandResult cli(const std::string& arguments) { return certvault_test::certvault(arguments); }

std::string collapsed(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

std::string source_text(const std::string& relative) {
  const auto bytes = read_bytes(std::filesystem::path(CERTVAULT_SOURCE_DIR) / relative);
  return std::string(bytes.begin(), bytes.end());
}

// The description --help gives --server: from "the CA's computer" through "its folder".
std::string server_help_of(const std::string& command) {
  const auto help = cli(command + " --help");
  REQUIRE(help.exit_code == 0);
  const std::string text = collapsed(help.output);
  const auto begin = text.find("the CA's computer");
  REQUIRE(begin != std::string::npos);
  const std::string end_marker = "its folder";
  const auto end = text.find(end_marker, begin);
  REQUIRE(end != std::string::npos);
  return text.substr(begin, end + end_marker.size() - begin);
}

}  // namespace

TEST_CASE(
    "the server option: backup and restore help say what the user guide says, and no document says 'config string'") {
  const std::string backup = server_help_of("backup");
  CHECK(server_help_of("restore") == backup);
  CHECK_THAT(backup, Catch::Contains("NetBIOS or DNS name"));
  CHECK_THAT(collapsed(source_text("docs/user-guide.md")), Catch::Contains(backup));
  for (const char* document : {"README.md", "docs/user-guide.md", "docs/restore-runbook.md", "docs/windows.md"}) {
    INFO(document);
    const std::string text = collapsed(source_text(document));
    CHECK_THAT(text, Catch::Contains("NetBIOS or DNS name"));
    CHECK_THAT(text, !Catch::Contains("CA config string"));
    CHECK_THAT(text, !Catch::Contains("--server CA-HOST\\"));
  }
}

TEST_CASE("same_computer: a NetBIOS name and its DNS name are one computer, other names are not") {
  CHECK(same_computer("CA01", "ca01.contoso.com"));
  CHECK(same_computer("ca01.contoso.com", "CA01"));
  CHECK(same_computer("\\\\CA01", "ca01"));
  CHECK_FALSE(same_computer("CA01", "ca02.contoso.com"));
  CHECK_FALSE(same_computer("ca01.contoso.com", "ca01.fabrikam.com"));
  CHECK_FALSE(same_computer("CA0", "ca01.contoso.com"));
  CHECK_FALSE(same_computer("CA01", "/srv/CA01"));
}

TEST_CASE("a series continues when the same CA is reached by another name of its computer, not another CA") {
  TempFolder temp("server-alias");
  const auto ca = temp / "ca";
  const auto alias = temp / "ca-alias";  // the simulated CA's second name: a second path to its folder
  const std::string repo = "--repo " + quoted((temp / "repo").string()) + " ";
  const std::string library = " --library " + quoted(sim_library().string());
  casim("init " + quoted(ca.string()) + " --ca-name 'Contoso Issuing CA' --db-size 2MiB");
  casim("issue " + quoted(ca.string()) + " --count 20");
  std::filesystem::create_directory_symlink(ca, alias);
  REQUIRE(cli("init " + repo).exit_code == 0);
  const auto first = json_document(cli("backup " + repo + "--server " + quoted(ca.string()) + library + " --json"));
  CHECK(first.at("type") == "full");
  CHECK(first.at("series") == ca.string());
  casim("issue " + quoted(ca.string()) + " --count 20");

  const auto second = cli("backup " + repo + "--server " + quoted(alias.string()) + library + " --json");
  const auto summary = json_document(second);
  CHECK(summary.at("type") == "incremental");
  CHECK(summary.at("series") == ca.string());
  CHECK(summary.at("ca_name") == "Contoso Issuing CA");
  CHECK_THAT(second.output, Catch::Contains("continuing the series of"));
  const auto listed = json_document(cli("snapshots " + repo + "--json"));
  REQUIRE(listed.size() == 2);
  CHECK(listed[1].at("source") == ca.string());
  CHECK(listed[1].at("server") == alias.string());
  CHECK(listed[1].at("parent") == listed[0].at("id"));

  SECTION("another CA behind the same name starts its own series with a full") {
    std::filesystem::remove_all(ca);
    casim("init " + quoted(ca.string()) + " --ca-name 'Fabrikam CA' --db-size 2MiB");
    const auto other = cli("backup " + repo + "--server " + quoted(alias.string()) + library + " --json");
    const auto result = json_document(other);
    CHECK(result.at("type") == "full");
    CHECK(result.at("series") == alias.string());
    CHECK(result.at("ca_name") == "Fabrikam CA");
    CHECK_THAT(other.output, Catch::Contains("starting a new series"));
  }
}

TEST_CASE("restore --start on a CA certvault cannot start is refused before anything is read or registered") {
  TempFolder temp("restore-start");
  const std::string repo = "--repo " + quoted((temp / "repo").string()) + " ";
  REQUIRE(cli("init " + repo).exit_code == 0);
  const auto refused = cli("restore latest " + repo + "--server CA01 --start");
  INFO(refused.output);
  CHECK(refused.exit_code == 2);
  CHECK_THAT(refused.output, Catch::Contains("Nothing was restored"));
}
