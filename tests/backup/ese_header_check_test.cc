// Issue 15, item 9: the database a backup reads is checked too. Its header page must verify as ESE
// computes the checksum; a damaged or torn header stops the backup with exit 4 before the commit,
// so nothing is committed and no log is truncated — through the Certadm API and with --folder.
#include <catch2/catch.hpp>
#include <set>

#include "sim_headers.h"
#include "test_support.h"

using namespace certvault_test;

namespace {

struct Ca {
  TempFolder temp{"ese-header"};
  std::filesystem::path ca = temp / "ca";
  std::filesystem::path repo = temp / "repo";
  std::filesystem::path database = ca / "CertLog" / "Contoso CA.edb";
  Ca() {
    casim("init " + quoted(ca.string()) + " --ca-name 'Contoso CA' --db-size 1MiB");
    casim("issue " + quoted(ca.string()) + " --count 300");  // several finished logs to truncate
    REQUIRE(certvault("init --repo " + quoted(repo.string())).exit_code == 0);
  }
  CommandResult back_up() const {
    return certvault("backup --repo " + quoted(repo.string()) + " --server " + quoted(ca.string()) +
                     " --type full --library " + quoted(sim_library().string()));
  }
  CommandResult back_up_folder(const std::filesystem::path& folder) const {
    return certvault("backup --repo " + quoted(repo.string()) + " --folder " + quoted(folder.string()));
  }
  std::set<std::string> logs() const {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(ca / "CertLog")) {
      if (entry.path().extension() == ".log") names.insert(entry.path().filename().string());
    }
    return names;
  }
  size_t committed_snapshots() const {
    size_t count = 0;
    if (!std::filesystem::exists(repo / "snapshots")) return 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(repo / "snapshots")) {
      if (entry.is_regular_file()) ++count;
    }
    return count;
  }
  bool truncate_was_called() const {
    std::ifstream in(ca / ".casim" / "calls.log");
    for (std::string line; std::getline(in, line);) {
      if (line.find("CertSrvBackupTruncateLogs") != std::string::npos) return true;
    }
    return false;
  }
};

// The failure every damaged header must produce: exit 4 naming the database, nothing committed,
// nothing truncated.
void check_refused(const Ca& setup, const CommandResult& result, const std::set<std::string>& logs_before,
                   const std::string& named) {
  INFO(result.output);
  CHECK(result.exit_code == 4);
  CHECK_THAT(result.output, Catch::Contains("ESE database header of") && Catch::Contains("Contoso CA.edb"));
  CHECK_THAT(result.output, Catch::Contains(named));
  CHECK(setup.committed_snapshots() == 0);
  CHECK(setup.logs() == logs_before);
  CHECK_FALSE(setup.truncate_was_called());
}

}  // namespace

TEST_CASE("API backup: a flipped byte anywhere in the database's header page fails before the commit") {
  Ca setup;
  const auto logs_before = setup.logs();
  REQUIRE(logs_before.size() > 2);
  const auto original = read_prefix(setup.database, kSimPageSize);
  // Offset 5000 holds no field anyone reads; only a checksum over the whole page sees it.
  for (const uint64_t offset : {uint64_t{300}, uint64_t{5000}}) {
    DYNAMIC_SECTION("byte at offset " << offset) {
      overwrite_at(setup.database, offset, {static_cast<uint8_t>(original[offset] ^ 0x40)});
      check_refused(setup, setup.back_up(), logs_before, "checksum at offset 0 is 0x");
      // The same CA with its header intact backs up and truncates: the header was the only cause.
      overwrite_at(setup.database, 0, original);
      const auto repaired = setup.back_up();
      INFO(repaired.output);
      CHECK(repaired.exit_code == 0);
      CHECK(setup.committed_snapshots() == 1);
      CHECK(setup.truncate_was_called());
    }
  }
}

TEST_CASE(
    "API backup: a torn database header (zero page, file shorter than its header page) fails before the "
    "commit") {
  Ca setup;
  const auto logs_before = setup.logs();
  SECTION("the header page is all zeros") {
    overwrite_at(setup.database, 0, std::vector<uint8_t>(kSimPageSize, 0));
    check_refused(setup, setup.back_up(), logs_before, "are all zero: a torn or never-written header page");
  }
  SECTION("the database ends inside its header page") {
    std::filesystem::resize_file(setup.database, 4096);
    check_refused(setup, setup.back_up(), logs_before, "the file is only 4096 bytes, but its header page is 8192");
  }
}

TEST_CASE("folder backup: a copied database must verify too, and damaged or torn it fails before the commit") {
  Ca setup;
  casim("stop " + quoted(setup.ca.string()));
  const auto folder = setup.temp / "copy";
  const auto copy = folder / "DataBase" / "Contoso CA.edb";
  write_bytes(copy, read_bytes(setup.database));
  write_bytes(folder / "DataBase" / "edb00001.log", read_bytes(setup.ca / "CertLog" / "edb00001.log"));
  const auto logs_before = setup.logs();
  SECTION("a flipped byte in the header page") {
    overwrite_at(copy, 6000, {0x5A});
    check_refused(setup, setup.back_up_folder(folder), logs_before, "checksum at offset 0 is 0x");
  }
  SECTION("cut short inside the header page") {
    std::filesystem::resize_file(copy, 5000);
    check_refused(setup, setup.back_up_folder(folder), logs_before,
                  "the file is only 5000 bytes, but its header page is 8192");
  }
  SECTION("intact, it backs up") {
    const auto result = setup.back_up_folder(folder);
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(setup.committed_snapshots() == 1);
  }
}

TEST_CASE("a CA whose database an older sim created (XXH32 header) backs up: the sim upgrades the header first") {
  Ca setup;
  make_legacy_sim_header(setup.database);
  const auto result = setup.back_up();
  INFO(result.output);
  CHECK(result.exit_code == 0);
  const auto page = read_prefix(setup.database, kSimPageSize);
  CHECK(load_le32(page, 0) == ese_xor_checksum(page, kSimPageSize));
}
