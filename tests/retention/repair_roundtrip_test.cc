// Issue 14: `repair catalog` reproduces what was there. Backups of every kind (several within one
// second), tags, a forget, a prune and a failed truncation; the listings are dumped, the catalog
// deleted and rebuilt, and the dumps compared byte for byte.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace certvault_test;
using nlohmann::json;

namespace {

class Roundtrip {
 public:
  Roundtrip() {
    REQUIRE(certvault("init --repo " + quoted(repo().string())).exit_code == 0);
    casim("init " + quoted(ca().string()) + " --ca-name 'Roundtrip CA' --db-size 1MiB --seed 3");
    casim("issue " + quoted(ca().string()) + " --count 20");
  }
  std::filesystem::path repo() const { return temp_ / "repo"; }
  std::filesystem::path ca() const { return temp_ / "ca"; }
  std::filesystem::path path(const std::string& leaf) const { return temp_ / leaf; }
  CommandResult cv(const std::string& arguments) const {
    return certvault(arguments + " --repo " + quoted(repo().string()));
  }
  std::string ok(const std::string& arguments) const {
    const auto result = cv(arguments);
    INFO(arguments << "\n" << result.output);
    REQUIRE(result.exit_code == 0);
    return result.output;
  }
  std::string api(const std::string& type, const std::string& extra = "") const {
    const auto output = ok("backup --json --server " + quoted(ca().string()) + " --library " +
                           quoted(sim_library().string()) + " --type " + type + " " + extra);
    return json::parse(output).at("snapshot").get<std::string>();
  }
  std::string folder(const std::string& dir, const std::string& extra = "") const {
    return json::parse(ok("backup --json --folder " + quoted(path(dir).string()) + " " + extra))
        .at("snapshot")
        .get<std::string>();
  }
  // Everything a user sees of the catalog.
  std::string dump() const {
    std::string text = ok("snapshots --json");
    for (const auto& s : json::parse(text)) text += ok("show --json " + s.at("id").get<std::string>());
    text += ok("stats --json");
    text += ok("forget --keep-last 1 --dry-run --json --now 2030-01-01");
    return text;
  }

 private:
  TempFolder temp_{"roundtrip"};
};

}  // namespace

TEST_CASE("repair catalog reproduces listings, order, tags, truncations and stats byte for byte") {
  Roundtrip r;
  r.api("full", "--tag weekly");
  // A full and incrementals within one second.
  casim("issue " + quoted(r.ca().string()) + " --count 30");
  const auto full = r.api("full");
  for (int i = 0; i < 3; ++i) {
    casim("issue " + quoted(r.ca().string()) + " --count 10");
    r.api("incremental", "--tag 'two words' --tag inc");
  }
  // A failed truncation.
  casim("issue " + quoted(r.ca().string()) + " --count 10");
  casim("fault " + quoted(r.ca().string()) + " --fail CertSrvBackupTruncateLogs --hresult 0x8007001F");
  const auto failed = r.cv("backup --json --server " + quoted(r.ca().string()) + " --library " +
                           quoted(sim_library().string()) + " --type incremental");
  INFO(failed.output);
  REQUIRE(failed.exit_code != 0);
  casim("fault " + quoted(r.ca().string()) + " --clear");
  // Folder snapshots, one forgotten, then pruned.
  write_bytes(r.path("dir/a.bin"), random_bytes(200000, 1));
  const auto gone = r.folder("dir", "--source files");
  write_bytes(r.path("dir/a.bin"), random_bytes(200000, 2));
  r.folder("dir", "--source files --tag kept");
  r.ok("forget " + gone);
  r.ok("prune");
  write_bytes(r.path("other/b.bin"), random_bytes(100000, 3));
  r.folder("other");

  const auto before = r.dump();
  CHECK(before.find("\"outcome\": \"failed\"") != std::string::npos);
  CHECK(before.find("\"outcome\": \"truncated\"") != std::string::npos);
  std::filesystem::remove(r.repo() / "catalog.db");
  std::filesystem::remove(r.repo() / "catalog.db-journal");
  r.ok("repair catalog");
  const auto after = r.dump();
  CHECK(after == before);
  // The next auto backup continues the chain: the order survived.
  casim("issue " + quoted(r.ca().string()) + " --count 10");
  const auto next = json::parse(r.ok("backup --json --server " + quoted(r.ca().string()) + " --library " +
                                     quoted(sim_library().string()) + " --type auto"));
  CHECK(next.at("type") == "incremental");
}
