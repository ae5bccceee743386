// The new-server path of docs/restore-runbook.md ("A new server"), step by step on the simulated
// CA (issue 20, item 4): from an empty machine folder to a recovered CA with the old configuration,
// a published CRL and a new full backup.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "json_output.h"
#include "test_support.h"

using namespace certvault_test;

namespace {

CommandResult cli(const std::string& arguments) { return certvault_test::certvault(arguments); }

}  // namespace

TEST_CASE("a new server: role with the existing key, CAPolicy.inf, configuration, relocated restore, CRL, new full") {
  TempFolder temp("new-server");
  const auto old_ca = temp / "old-machine" / "ca";
  const auto machine = temp / "new-machine";
  const auto new_ca = machine / "ca";
  const std::string repo = "--repo " + quoted((temp / "repo").string()) + " ";
  const std::string library = " --library " + quoted(sim_library().string());
  std::filesystem::create_directories(old_ca.parent_path());
  casim("init " + quoted(old_ca.string()) + " --ca-name 'Contoso Issuing CA' --db-size 2MiB");
  casim("issue " + quoted(old_ca.string()) + " --count 40");
  REQUIRE(cli("init " + repo).exit_code == 0);
  json_document(cli("backup " + repo + "--server " + quoted(old_ca.string()) + library + " --type full --json"), "{");
  casim("issue " + quoted(old_ca.string()) + " --count 30");
  const auto last =
      json_document(cli("backup " + repo + "--server " + quoted(old_ca.string()) + library + " --json"), "{");
  REQUIRE(last.at("type") == "incremental");
  const uint32_t gen_high = last.at("log_generations").at("high");

  // The old machine is gone (its folder stays only as the sim's ground truth). The new machine
  // starts empty.
  std::filesystem::create_directories(machine);
  REQUIRE(std::filesystem::is_empty(machine));

  // 1. The snapshot with its recovery set, where the new machine can read it.
  const auto media = machine / "restore";
  REQUIRE(cli("export latest " + repo + "--to " + quoted(media.string())).exit_code == 0);
  const auto config = media / "Config";
  REQUIRE(std::filesystem::exists(config / "CA.reg"));
  REQUIRE(std::filesystem::exists(config / "CAPolicy.inf"));
  std::filesystem::path certificate;
  for (const auto& entry : std::filesystem::directory_iterator(config)) {
    if (entry.path().extension() == ".cer") certificate = entry.path();
  }
  REQUIRE_FALSE(certificate.empty());

  // 2. Install the role with the existing key and the same CA name (the sim: a CA folder with the
  //    old identity, stopped, no database), its certificate in the machine store, and
  //    CAPolicy.inf in %windir%.
  casim("scratch " + quoted(old_ca.string()) + " --to " + quoted(new_ca.string()));
  std::filesystem::create_directories(new_ca / ".casim" / "store");
  std::filesystem::copy_file(certificate, new_ca / ".casim" / "store" / certificate.filename());
  std::filesystem::create_directories(new_ca / "Windows");
  std::filesystem::copy_file(config / "CAPolicy.inf", new_ca / "Windows" / "CAPolicy.inf");

  // 3. Import the configuration (reg import; the sim: casim import-reg).
  casim("import-reg " + quoted(new_ca.string()) + " " + quoted((config / "CA.reg").string()));

  // 4. Restore the database under the new paths, start the service (recovery).
  const auto restored = cli("restore latest " + repo + "--server " + quoted(new_ca.string()) + library +
                            " --relocate " + quoted(old_ca.string() + "=" + new_ca.string()) + " --start");
  INFO(restored.output);
  REQUIRE(restored.exit_code == 0);
  const auto verify = run(quoted(casim_binary().string()) + " verify " + quoted(new_ca.string()));
  INFO(verify.output);
  REQUIRE(verify.exit_code == 0);
  CHECK_THAT(verify.output, Catch::Contains("ground truth of generation " + std::to_string(gen_high) + " "));
  CHECK(std::filesystem::exists(new_ca / "CertEnroll" / "Contoso Issuing CA.crt"));

  // 5. Publish a CRL (certutil -crl).
  casim("crl " + quoted(new_ca.string()));

  // 6. A new full backup: its recovery set is the old one, byte for byte.
  const auto full = json_document(
      cli("backup " + repo + "--server " + quoted(new_ca.string()) + library + " --type full --json"), "{");
  CHECK(full.at("recovery_set").size() == 3);
  CHECK(full.at("recovery_set_notes").empty());
  const auto again = temp / "again";
  REQUIRE(cli("export latest " + repo + "--to " + quoted(again.string())).exit_code == 0);
  for (const auto& name : {std::string("CA.reg"), std::string("CAPolicy.inf"), certificate.filename().string()}) {
    INFO(name);
    CHECK(read_bytes(again / "Config" / name) == read_bytes(config / name));
  }
}
