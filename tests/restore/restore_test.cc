// Export, restore and verify against the simulated CA, end to end through the real binaries.
#include <xxhash.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "certvault/base/error.h"
#include "certvault/operations/api_backup.h"
#include "certvault/operations/api_restore.h"
#include "certvault/repository/repository.h"
#include "test_support.h"

using certvault::LockMode;
using certvault::Repository;
using namespace certvault_test;

namespace {

CommandResult cli(const std::string& arguments) { return certvault_test::certvault(arguments); }

struct Backup {
  std::string id;
  uint32_t gen_low = 0, gen_high = 0;
};

// A CA with a full backup and three incrementals, certificates issued between each.
class BackedUpCa {
 public:
  // A test that forges a manifest consistently needs a plaintext repository: an encrypted one's seal
  // refuses any object not written with its key (tests/encryption).
  explicit BackedUpCa(bool plaintext = false) {
    casim("init " + quoted(ca().string()) + " --ca-name 'Contoso Root CA' --db-size 2MiB");
    casim("issue " + quoted(ca().string()) + " --count 40");
    REQUIRE(cli("init --repo " + quoted(repo().string()) + (plaintext ? " --insecure-no-encryption" : "")).exit_code ==
            0);
    for (int i = 0; i < 4; ++i) {
      backups.push_back(back_up(i == 0 ? "full" : "incremental"));
      casim("issue " + quoted(ca().string()) + " --count 30");
    }
  }

  std::filesystem::path ca() const { return temp_.path() / "ca"; }
  std::filesystem::path repo() const { return temp_.path() / "repo"; }
  std::filesystem::path scratch(const std::string& leaf) const { return temp_.path() / leaf; }
  std::string repo_arg() const { return "--repo " + quoted(repo().string()) + " "; }
  std::string sim_args() const {
    return " --server " + quoted(ca().string()) + " --library " + quoted(sim_library().string());
  }

  Backup back_up(const std::string& type) {
    const auto result = cli("backup " + repo_arg() + "--server " + quoted(ca().string()) + " --library " +
                            quoted(sim_library().string()) + " --type " + type + " --json");
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    auto repository = Repository::open(repo(), LockMode::kShared);
    const auto snapshot = repository->catalog().latest_snapshot({});
    REQUIRE(snapshot);
    return {snapshot->id, snapshot->gen_low.value_or(0), snapshot->gen_high.value_or(0)};
  }

  void wipe_certlog() const {
    for (const auto& entry : std::filesystem::directory_iterator(ca() / "CertLog")) std::filesystem::remove(entry);
  }

  uint32_t recover_and_verify() const { return certvault_test::recover_and_verify(ca()); }

  void sql(const std::string& statement) const {
    const auto result = run("sqlite3 " + quoted(Repository::catalog_path(repo()).string()) + " " + quoted(statement));
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
  }

  std::vector<Backup> backups;

 private:
  TempFolder temp_{"restore"};
};

std::set<std::string> names_in(const std::filesystem::path& folder) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) names.insert(entry.path().filename().string());
  return names;
}

std::string log_name(uint32_t generation) {
  char name[32];
  std::snprintf(name, sizeof(name), "edb%05X.log", generation);
  return name;
}

// Rewrites a manifest object's JSON body with `change` and a valid frame (length, XXH64): a
// forgery no checksum catches, as a bug in a writer or a deliberate edit would leave.
template <typename Change>
void forge_manifest(const std::filesystem::path& object, Change&& change) {
  auto bytes = read_bytes(object);
  auto document = nlohmann::json::parse(bytes.begin() + 24, bytes.end());
  change(document);
  const std::string body = document.dump();
  std::vector<uint8_t> forged(bytes.begin(), bytes.begin() + 12);
  for (int i = 0; i < 4; ++i) forged.push_back(static_cast<uint8_t>(body.size() >> (8 * i)));
  const uint64_t checksum = XXH64(body.data(), body.size(), 0);
  for (int i = 0; i < 8; ++i) forged.push_back(static_cast<uint8_t>(checksum >> (8 * i)));
  forged.insert(forged.end(), body.begin(), body.end());
  write_bytes(object, forged);
}

}  // namespace

TEST_CASE("restore latest, then every earlier snapshot, recovers to each one's ground truth") {
  BackedUpCa setup;
  casim("stop " + quoted(setup.ca().string()));
  setup.wipe_certlog();
  auto restored = cli("restore latest " + setup.repo_arg() + setup.sim_args());
  INFO(restored.output);
  REQUIRE(restored.exit_code == 0);
  CHECK(setup.recover_and_verify() == setup.backups.back().gen_high);

  // Point in time: the CA is running a newer history; the restore stops it and moves its files aside.
  for (int i = static_cast<int>(setup.backups.size()) - 2; i >= 0; --i) {
    const auto& backup = setup.backups[static_cast<size_t>(i)];
    INFO("snapshot " << i << " " << backup.id);
    restored = cli("restore " + backup.id + " " + setup.repo_arg() + setup.sim_args() + " --point-in-time --start");
    INFO(restored.output);
    REQUIRE(restored.exit_code == 0);
    CHECK_THAT(restored.output, Catch::Contains("certvault-replaced-"));
    const auto verify = run(quoted(casim_binary().string()) + " verify " + quoted(setup.ca().string()));
    INFO(verify.output);
    REQUIRE(verify.exit_code == 0);
    CHECK_THAT(verify.output, Catch::Contains("ground truth of generation " + std::to_string(backup.gen_high) + " "));
  }
  // The CA's call log shows the scenario in order.
  const auto calls = run("cat " + quoted((setup.ca() / ".casim" / "calls.log").string())).output;
  const auto prepare = calls.rfind("CertSrvRestorePrepareW 0x00000000");
  const auto register_call = calls.rfind("CertSrvRestoreRegisterW 0x00000000");
  const auto end = calls.rfind("CertSrvRestoreEnd 0x00000000");
  CHECK(prepare != std::string::npos);
  CHECK(prepare < register_call);
  CHECK(register_call < end);
}

TEST_CASE("export of an incremental holds the base database, every log of the chain and the raw restore map") {
  BackedUpCa setup;
  const auto target = setup.scratch("export");
  const auto exported = cli("export latest " + setup.repo_arg() + "--to " + quoted(target.string()) + " --json");
  INFO(exported.output);
  REQUIRE(exported.exit_code == 0);
  std::set<std::string> expected{"Contoso Root CA.edb", "certbkxp.dat"};
  for (uint32_t g = setup.backups.front().gen_low; g <= setup.backups.back().gen_high; ++g)
    expected.insert(log_name(g));
  CHECK(names_in(target / "DataBase") == expected);
  CHECK(names_in(target / "Dynamic") ==
        std::set<std::string>{"Contoso Root CA.crt", "Contoso Root CA.crl", "Contoso Root CA+.crl"});
  CHECK(std::filesystem::exists(target / "MANIFEST"));
  auto repository = Repository::open(setup.repo(), LockMode::kShared);
  const auto full = repository->catalog().snapshot(setup.backups.front().id);
  CHECK(read_bytes(target / "DataBase" / "certbkxp.dat") == full->restore_map_raw);
  // UTF-16LE with type codes: the first character of the first entry is 0x82, 0x83 or 0x44.
  REQUIRE(full->restore_map_raw.size() > 4);
  CHECK(full->restore_map_raw[1] == 0);
  const auto manifest = read_bytes(target / "MANIFEST");
  const std::string text(manifest.begin(), manifest.end());
  CHECK_THAT(text, Catch::Contains(setup.backups.back().id));
  CHECK_THAT(text, Catch::Contains("0x44 "));
  CHECK_THAT(exported.output, Catch::Contains("\"xxh128\""));
  // Nothing but the export itself is left beside it.
  CHECK(names_in(setup.scratch("")).count("export") == 1);
  for (const auto& name : names_in(setup.scratch(""))) CHECK(name.find("certvault-partial") == std::string::npos);

  SECTION("an existing non-empty target is refused without --force") {
    const auto again = cli("export latest " + setup.repo_arg() + "--to " + quoted(target.string()));
    CHECK(again.exit_code == 6);
    CHECK(cli("export latest " + setup.repo_arg() + "--to " + quoted(target.string()) + " --force").exit_code == 0);
  }
  SECTION("the tar stream unpacks to exactly the folder export") {
    const auto tar = setup.scratch("x.tar");
    const auto streamed = run(quoted(certvault_binary().string()) + " export latest " + setup.repo_arg() +
                              "--tar - > " + quoted(tar.string()));
    INFO(streamed.output);
    REQUIRE(streamed.exit_code == 0);
    std::filesystem::create_directories(setup.scratch("untarred"));
    REQUIRE(run("tar -xf " + quoted(tar.string()) + " -C " + quoted(setup.scratch("untarred").string())).exit_code ==
            0);
    CHECK(folder_contents(setup.scratch("untarred")) == folder_contents(target));
  }
  SECTION("--layout sets writes one certutil folder per backup set") {
    const auto sets = setup.scratch("sets");
    REQUIRE(cli("export latest " + setup.repo_arg() + "--layout sets --to " + quoted(sets.string())).exit_code == 0);
    CHECK(names_in(sets) == std::set<std::string>{"00-full", "01-incremental", "02-incremental", "03-incremental",
                                                  "Config", "Dynamic", "MANIFEST"});
    CHECK(names_in(sets / "00-full" / "DataBase").count("Contoso Root CA.edb") == 1);
    CHECK(names_in(sets / "01-incremental" / "DataBase").count("Contoso Root CA.edb") == 0);
    for (size_t i = 0; i < setup.backups.size(); ++i) {
      const auto folder =
          sets / (std::string(i == 0 ? "00-full" : "0" + std::to_string(i) + "-incremental")) / "DataBase";
      for (uint32_t g = setup.backups[i].gen_low; g <= setup.backups[i].gen_high; ++g) {
        INFO(folder << " " << log_name(g));
        CHECK(read_bytes(folder / log_name(g)) == read_bytes(target / "DataBase" / log_name(g)));
      }
      CHECK(names_in(folder).count("certbkxp.dat") == 1);
    }
  }
  SECTION("restore by hand from the export folder (the runbook's certutil route, casim restore-db on the sim)") {
    casim("stop " + quoted(setup.ca().string()));
    setup.wipe_certlog();
    casim("restore-db " + quoted(target.string()) + " " + quoted(setup.ca().string()));
    CHECK(setup.recover_and_verify() == setup.backups.back().gen_high);
  }
}

TEST_CASE(
    "a log missing from the catalog's copy of a snapshot is exit 4 before anything is written or the CA is touched") {
  BackedUpCa setup;
  const auto& middle = setup.backups[2];
  const std::string missing = log_name(middle.gen_low);
  setup.sql("DELETE FROM files WHERE snapshot_id='" + middle.id + "' AND path='DataBase/" + missing + "'");
  const auto target = setup.scratch("export");
  const auto exported = cli("export latest " + setup.repo_arg() + "--to " + quoted(target.string()));
  INFO(exported.output);
  CHECK(exported.exit_code == 4);
  CHECK_THAT(exported.output, Catch::Contains("snapshot " + middle.id + ": its manifest snapshots/" + middle.id +
                                              ".snap disagrees with the catalog"));
  CHECK_FALSE(std::filesystem::exists(target));
  CHECK(names_in(setup.scratch("")) == std::set<std::string>{"ca", "repo"});

  // An earlier snapshot of the same chain is still whole.
  CHECK(cli("export " + setup.backups[1].id + " " + setup.repo_arg() + "--to " + quoted(target.string())).exit_code ==
        0);

  casim("calls " + quoted(setup.ca().string()) + " --clear");
  const auto before = folder_contents(setup.ca() / "CertLog");
  const auto restored = cli("restore latest " + setup.repo_arg() + setup.sim_args());
  CHECK(restored.exit_code == 4);
  CHECK_THAT(restored.output, Catch::Contains("disagrees with the catalog"));
  CHECK(folder_contents(setup.ca() / "CertLog") == before);
  const auto calls = setup.ca() / ".casim" / "calls.log";
  CHECK((!std::filesystem::exists(calls) || std::filesystem::file_size(calls) == 0));

  const auto verified = cli("verify latest " + setup.repo_arg());
  CHECK(verified.exit_code == 4);
}

TEST_CASE(
    "export, verify and restore take the snapshot from its manifest: a catalog that disagrees is exit 4 naming "
    "the field") {
  BackedUpCa setup;
  const auto& latest = setup.backups.back();
  const auto& full = setup.backups.front();
  std::string field;
  std::string owner = latest.id;
  SECTION("a log's path: a generation exported under another's name") {
    setup.sql("UPDATE files SET path='DataBase/edb00009.log' WHERE role='log' AND snapshot_id='" + latest.id +
              "' AND log_generation=" + std::to_string(latest.gen_high));
    field = "path is 'DataBase/" + log_name(latest.gen_high) + "' in the object but 'DataBase/edb00009.log'";
  }
  SECTION("a log's generation") {
    setup.sql("UPDATE files SET log_generation=log_generation+8 WHERE role='log' AND snapshot_id='" + latest.id +
              "' AND log_generation=" + std::to_string(latest.gen_high));
    field = "log generation is " + std::to_string(latest.gen_high) + " in the object but " +
            std::to_string(latest.gen_high + 8) + " in the catalog";
  }
  SECTION("a dynamic file's role") {
    setup.sql("UPDATE files SET role='file' WHERE role='dynamic' AND snapshot_id='" + latest.id + "'");
    field = "role is 'dynamic' in the object but 'file' in the catalog";
  }
  SECTION("one byte of the full's raw restore map (certbkxp.dat)") {
    setup.sql(
        "UPDATE snapshots SET restore_map_raw = substr(restore_map_raw, 1, 9) || X'5A' || "
        "substr(restore_map_raw, 11) WHERE id='" +
        full.id + "'");
    field = "the raw restore map is ";
    owner = full.id;
  }
  SECTION("a parsed restore map entry leading elsewhere") {
    setup.sql("UPDATE restore_map SET path='" + setup.ca().string() + "/CertLog/../../elsewhere' WHERE type_code=" +
              std::to_string(0x82) + " AND snapshot_id='" + full.id + "'");
    field = "restore map entry ";
    owner = full.id;
  }
  const auto target = setup.scratch("export");
  const auto exported = cli("export latest " + setup.repo_arg() + "--to " + quoted(target.string()));
  INFO(exported.output);
  CHECK(exported.exit_code == 4);
  CHECK_THAT(exported.output, Catch::Contains("snapshot " + owner + ": its manifest snapshots/" + owner +
                                              ".snap disagrees with the catalog"));
  CHECK_THAT(exported.output, Catch::Contains(field));
  CHECK_FALSE(std::filesystem::exists(target));
  CHECK(cli("export latest " + setup.repo_arg() + "--tar " + quoted(target.string() + ".tar")).exit_code == 4);
  CHECK_FALSE(std::filesystem::exists(target.string() + ".tar"));
  CHECK(cli("verify latest " + setup.repo_arg()).exit_code == 4);
  const auto before = folder_contents(setup.ca() / "CertLog");
  CHECK(cli("restore latest " + setup.repo_arg() + setup.sim_args()).exit_code == 4);
  CHECK(folder_contents(setup.ca() / "CertLog") == before);
  CHECK_FALSE(std::filesystem::exists(setup.scratch("elsewhere")));
  const auto checked = cli("check " + setup.repo_arg());
  CHECK(checked.exit_code == 4);
  CHECK_THAT(checked.output, Catch::Contains(field));
}

TEST_CASE("an unsafe name that the manifest itself holds is refused by export (exit 6) and reported by check") {
  BackedUpCa setup(true);
  const auto& latest = setup.backups.front();  // the full: it holds the database
  // Forge the manifest consistently (body, frame checksum) and the catalog to match: only the name rules stand.
  std::string old_path;
  forge_manifest(setup.repo() / "snapshots" / (latest.id + ".snap"), [&](nlohmann::json& document) {
    for (auto& file : document.at("files")) {
      if (file.at("role") == "database") {
        old_path = file.at("path").get<std::string>();
        file["path"] = "../escaped.edb";
      }
    }
  });
  REQUIRE_FALSE(old_path.empty());
  setup.sql("UPDATE files SET path='../escaped.edb' WHERE snapshot_id='" + latest.id + "' AND path='" + old_path + "'");
  const auto checked = cli("check " + setup.repo_arg());
  INFO(checked.output);
  CHECK(checked.exit_code == 4);
  CHECK_THAT(checked.output, Catch::Contains("unsafe path '../escaped.edb' refused"));
  CHECK_THAT(checked.output, Catch::Contains("export and restore refuse this snapshot"));
  const auto target = setup.scratch("export");
  const auto exported = cli("export " + latest.id + " " + setup.repo_arg() + "--to " + quoted(target.string()));
  INFO(exported.output);
  CHECK(exported.exit_code == 6);
  CHECK_THAT(exported.output, Catch::Contains("unsafe path '../escaped.edb' refused"));
  CHECK_FALSE(std::filesystem::exists(target));
  CHECK_FALSE(std::filesystem::exists(setup.scratch("escaped.edb")));
}

TEST_CASE("verify restores into a scratch simulated CA and leaves the CA alone") {
  BackedUpCa setup;
  const auto before = folder_contents(setup.ca());
  const auto verified = cli("verify latest " + setup.repo_arg() + "--library " + quoted(sim_library().string()) +
                            " --casim " + quoted(casim_binary().string()));
  INFO(verified.output);
  REQUIRE(verified.exit_code == 0);
  CHECK_THAT(verified.output, Catch::Contains("scratch-restore"));
  CHECK_THAT(verified.output,
             Catch::Contains("ground truth of generation " + std::to_string(setup.backups.back().gen_high) + " "));
  CHECK(folder_contents(setup.ca()) == before);

  const auto chain = cli("verify " + setup.backups[1].id + " " + setup.repo_arg() + "--chain-only --json");
  INFO(chain.output);
  REQUIRE(chain.exit_code == 0);
  CHECK_THAT(chain.output, Catch::Contains("\"chain-check\""));

  SECTION("a corrupted pack fails the verification (exit 4)") {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(setup.repo() / "packs")) {
      if (entry.path().extension() != ".pack") continue;
      auto bytes = read_bytes(entry.path());
      bytes[bytes.size() / 2] ^= 0x10;
      write_bytes(entry.path(), bytes);
    }
    CHECK(cli("verify latest " + setup.repo_arg() + "--chain-only").exit_code == 4);
  }
}

TEST_CASE("a failed restore step names the step and HRESULT, withdraws the registration, and can be rerun") {
  BackedUpCa setup;
  casim("fault " + quoted(setup.ca().string()) + " --fail CertSrvRestoreRegisterW --hresult 0x80070005 --nth 2");
  const auto failed = cli("restore latest " + setup.repo_arg() + setup.sim_args() + " --point-in-time");
  INFO(failed.output);
  CHECK(failed.exit_code == 5);
  CHECK_THAT(failed.output, Catch::Contains("restore step 'register the incremental set"));
  CHECK_THAT(failed.output, Catch::Contains("0x80070005"));
  // The full set was registered, then withdrawn: the CA must not recover half a restore.
  CHECK_FALSE(std::filesystem::exists(setup.ca() / ".casim" / "restore.json"));
  for (const auto& entry : std::filesystem::directory_iterator(setup.ca() / "CertLog")) {
    CHECK(entry.path().filename().string().find(".certvault-restore-") == std::string::npos);
  }

  casim("fault " + quoted(setup.ca().string()) + " --clear");
  const auto rerun = cli("restore latest " + setup.repo_arg() + setup.sim_args() + " --point-in-time");
  INFO(rerun.output);
  REQUIRE(rerun.exit_code == 0);
  CHECK(setup.recover_and_verify() == setup.backups.back().gen_high);
}

TEST_CASE("an export never replaces the repository, a folder holding it, or the current folder") {
  BackedUpCa setup;
  const auto before = folder_contents(setup.repo());
  SECTION("--force on the folder that holds the repository") {
    const auto result =
        cli("export latest " + setup.repo_arg() + "--to " + quoted(setup.repo().parent_path().string()) + " --force");
    INFO(result.output);
    CHECK(result.exit_code == 6);
    CHECK_THAT(result.output, Catch::Contains("overlaps the repository"));
  }
  SECTION("a target inside the repository") {
    const auto result = cli("export latest " + setup.repo_arg() + "--to " + quoted((setup.repo() / "out").string()));
    INFO(result.output);
    CHECK(result.exit_code == 6);
    CHECK(!std::filesystem::exists(setup.repo() / "out"));
  }
  SECTION("--to . --force from a folder with the user's files") {
    const auto work = setup.scratch("work");
    std::filesystem::create_directories(work);
    write_bytes(work / "notes.txt", random_bytes(100, 1));
    const auto result = run("cd " + quoted(work.string()) + " && " + quoted(certvault_binary().string()) +
                            " export latest " + setup.repo_arg() + "--to . --force");
    INFO(result.output);
    CHECK(result.exit_code == 6);
    CHECK(std::filesystem::exists(work / "notes.txt"));
  }
  CHECK(folder_contents(setup.repo()) == before);
}

TEST_CASE("a confined restore refuses destinations outside its folder before touching the CA") {
  BackedUpCa setup;
  const auto before = folder_contents(setup.ca());
  auto repository = Repository::open(setup.repo(), LockMode::kShared);
  certvault::ApiRestoreOptions options;
  options.server = setup.ca().string();
  options.library = sim_library();
  options.confine_to = setup.scratch("elsewhere");
  try {
    certvault::restore_through_api(*repository, setup.backups.back().id, options);
    FAIL("the restore was not refused");
  } catch (const certvault::Error& error) {
    CHECK(error.kind() == certvault::ErrorKind::kRefused);
    CHECK_THAT(error.what(), Catch::Contains("outside"));
  }
  CHECK(folder_contents(setup.ca()) == before);
}

TEST_CASE("a raw restore map (certbkxp.dat) that disagrees with the parsed one is exit 4 before anything is written") {
  BackedUpCa setup(true);
  const auto& full = setup.backups.front();
  forge_manifest(setup.repo() / "snapshots" / (full.id + ".snap"), [](nlohmann::json& document) {
    auto& entry = document.at("restore_map").at(0);
    entry["path"] = entry.at("path").get<std::string>() + "-elsewhere";
  });
  setup.sql("UPDATE restore_map SET path = path || '-elsewhere' WHERE seq = 0 AND snapshot_id='" + full.id + "'");
  const auto target = setup.scratch("export");
  const auto exported = cli("export " + full.id + " " + setup.repo_arg() + "--to " + quoted(target.string()));
  INFO(exported.output);
  CHECK(exported.exit_code == 4);
  CHECK_THAT(exported.output, Catch::Contains("its raw restore map (certbkxp.dat) and its parsed restore map disagree: "
                                              "entry 0"));
  CHECK_FALSE(std::filesystem::exists(target));
  const auto before = folder_contents(setup.ca() / "CertLog");
  CHECK(cli("restore " + full.id + " " + setup.repo_arg() + setup.sim_args()).exit_code == 4);
  CHECK(folder_contents(setup.ca() / "CertLog") == before);
}
