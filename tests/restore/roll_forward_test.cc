// Restores onto a CA whose log folder still holds logs newer than the snapshot (issue 20, item 3):
// refused without a choice, replayed with --roll-forward, moved aside with --point-in-time.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "test_support.h"

using namespace certvault_test;

namespace {

// A CA backed up once (full), then 300 certificates issued, then stopped with its database lost.
class LostDatabase {
 public:
  LostDatabase() {
    casim("init " + quoted(ca().string()) + " --ca-name 'Contoso Issuing CA' --db-size 2MiB");
    casim("issue " + quoted(ca().string()) + " --count 40");
    REQUIRE(certvault("init --repo " + quoted(repo().string())).exit_code == 0);
    const auto backup = certvault("backup " + repo_arg() + sim_args() + " --type full --json");
    INFO(backup.output);
    REQUIRE(backup.exit_code == 0);
    const auto summary = nlohmann::json::parse(backup.output.substr(backup.output.find('{')));
    backup_gen_high = summary.at("log_generations").at("high").get<uint32_t>();
    casim("issue " + quoted(ca().string()) + " --count 300");
    casim("stop " + quoted(ca().string()));
    const auto state = state_json();
    newest_generation = state.at("current_generation").get<uint32_t>();
    certificates = state.at("certificates").get<uint64_t>();
    REQUIRE(newest_generation > backup_gen_high + 2);
    std::filesystem::remove(ca() / "CertLog" / "Contoso Issuing CA.edb");
  }

  std::filesystem::path ca() const { return temp_.path() / "ca"; }
  std::filesystem::path repo() const { return temp_.path() / "repo"; }
  std::filesystem::path scratch(const std::string& leaf) const { return temp_.path() / leaf; }
  std::string repo_arg() const { return "--repo " + quoted(repo().string()) + " "; }
  std::string sim_args() const {
    return " --server " + quoted(ca().string()) + " --library " + quoted(sim_library().string());
  }
  nlohmann::json state_json() const {
    const auto bytes = read_bytes(ca() / ".casim" / "state.json");
    return nlohmann::json::parse(bytes.begin(), bytes.end());
  }
  std::string log_name(uint32_t generation) const {
    char name[32];
    std::snprintf(name, sizeof(name), "edb%05X.log", generation);
    return name;
  }
  uint32_t recover_and_verify() const { return certvault_test::recover_and_verify(ca()); }

  uint32_t backup_gen_high = 0;
  uint32_t newest_generation = 0;
  uint64_t certificates = 0;

 private:
  TempFolder temp_{"roll-forward"};
};

std::string hex(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof(text), "0x%X", value);
  return text;
}

}  // namespace

TEST_CASE("restore onto surviving newer logs is refused without a choice, before the CA is contacted") {
  LostDatabase setup;
  const auto before = folder_contents(setup.ca() / "CertLog");
  const auto refused = certvault("restore latest " + setup.repo_arg() + setup.sim_args());
  INFO(refused.output);
  CHECK(refused.exit_code == 6);
  CHECK_THAT(refused.output, Catch::Contains("--roll-forward"));
  CHECK_THAT(refused.output, Catch::Contains("--point-in-time"));
  CHECK_THAT(refused.output,
             Catch::Contains("generations " + hex(setup.backup_gen_high + 1) + "-" + hex(setup.newest_generation)));
  CHECK(folder_contents(setup.ca() / "CertLog") == before);
  const auto calls = setup.ca() / ".casim" / "calls.log";
  CHECK(run("cat " + quoted(calls.string())).output.find("CertSrvRestorePrepareW") == std::string::npos);
  CHECK(certvault("restore latest --roll-forward --point-in-time " + setup.repo_arg() + setup.sim_args()).exit_code ==
        2);
}

TEST_CASE("restore --roll-forward replays the surviving logs: nothing issued since the backup is lost") {
  LostDatabase setup;
  const auto restored = certvault("restore latest --roll-forward --json " + setup.repo_arg() + setup.sim_args());
  INFO(restored.output);
  REQUIRE(restored.exit_code == 0);
  const auto summary = nlohmann::json::parse(restored.output.substr(restored.output.find('{')));
  CHECK(summary.at("rolled_forward") == true);
  CHECK(summary.at("newer_logs").at("gen_low") == setup.backup_gen_high + 1);
  CHECK(summary.at("newer_logs").at("gen_high") == setup.newest_generation);
  CHECK(setup.recover_and_verify() == setup.newest_generation);
  CHECK(setup.state_json().at("certificates").get<uint64_t>() == setup.certificates);
}

TEST_CASE("restore --roll-forward refuses a gap between the snapshot and the surviving logs, naming it") {
  LostDatabase setup;
  const uint32_t missing = setup.backup_gen_high + 2;
  std::filesystem::remove(setup.ca() / "CertLog" / setup.log_name(missing));
  const auto before = folder_contents(setup.ca() / "CertLog");
  const auto refused = certvault("restore latest --roll-forward " + setup.repo_arg() + setup.sim_args());
  INFO(refused.output);
  CHECK(refused.exit_code == 6);
  CHECK_THAT(refused.output, Catch::Contains("log generations " + hex(missing) + " are missing"));
  CHECK(folder_contents(setup.ca() / "CertLog") == before);

  SECTION("--point-in-time still restores the snapshot as it was") {
    const auto restored = certvault("restore latest --point-in-time " + setup.repo_arg() + setup.sim_args());
    INFO(restored.output);
    REQUIRE(restored.exit_code == 0);
    CHECK_THAT(restored.output, Catch::Contains("certvault-replaced-"));
    CHECK(setup.recover_and_verify() == setup.backup_gen_high);
  }
}

TEST_CASE("the certutil route rolls forward too: casim restore-db keeps the surviving logs, recovery replays them") {
  LostDatabase setup;
  const auto target = setup.scratch("export");
  REQUIRE(certvault("export latest " + setup.repo_arg() + "--to " + quoted(target.string())).exit_code == 0);
  casim("restore-db " + quoted(target.string()) + " " + quoted(setup.ca().string()));
  CHECK(setup.recover_and_verify() == setup.newest_generation);
}
