// Issue 15, item 9: the sim's database header carries ESE's checksum, as ESE computes it, so ESE
// readers (Debian's esedbinfo) get past it; databases older sims created still open.
#include "sim_headers.h"
#include "sim_test_support.h"

using namespace simtest;
using certvault_test::ese_xor_checksum;
using certvault_test::kSimPageSize;
using certvault_test::load_le32;
using certvault_test::read_prefix;

namespace {

fs::path database_of(const fs::path& ca) { return ca / "CertLog" / "Contoso CA.edb"; }

// Header page and shadow: ESE's checksum over the whole page, ESE's fields, zero past ESE's
// 668-byte header (so a reader checksumming only those 668 bytes agrees), the shadow identical.
void check_ese_header(const fs::path& database) {
  const auto pages = read_prefix(database, 2 * kSimPageSize);
  REQUIRE(pages.size() == 2 * kSimPageSize);
  const std::vector<uint8_t> page(pages.begin(), pages.begin() + kSimPageSize);
  CHECK(load_le32(page, 0) == ese_xor_checksum(page, kSimPageSize));
  CHECK(load_le32(page, 0) == ese_xor_checksum(page, 668));
  CHECK(load_le32(page, 4) == 0x89ABCDEFu);
  CHECK(load_le32(page, 8) == 0x620u);
  CHECK(load_le32(page, 12) == 0u);  // libesedb's file type: 0, a database (not a streaming file)
  CHECK(load_le32(page, 236) == kSimPageSize);
  CHECK(page[667] == 1);
  CHECK(std::all_of(page.begin() + 668, page.end(), [](uint8_t b) { return b == 0; }));
  CHECK(std::equal(page.begin(), page.end(), pages.begin() + kSimPageSize));
}

}  // namespace

TEST_CASE("the sim's database header checksums as ESE computes it, in every state the sim writes") {
  TempDir temp;
  const auto ca = make_ca(temp);
  check_ese_header(database_of(ca));  // as created
  casim_ok("issue", ca, "--count 300");
  check_ese_header(database_of(ca));  // rewritten at log rolls
  casim_ok("stop", ca);
  check_ese_header(database_of(ca));  // clean shutdown
  CHECK(load_le32(read_prefix(database_of(ca), 64), 52) == 3);
  casim_ok("verify", ca);
}

TEST_CASE("the sim refuses a database header whose ESE checksum fails, naming the offset and both values") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("verify", ca);
  certvault_test::overwrite_at(database_of(ca), 5000, {0x01});  // past ESE's fields, inside the checksummed page
  const auto result = casim("verify", ca);
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("checksum at offset 0 is 0x") != std::string::npos);
  CHECK(result.output.find("ESE's checksum of the page computes 0x") != std::string::npos);
}

TEST_CASE("Debian's esedbinfo gets past the header of a sim database") {
  const auto which = run_command("command -v esedbinfo");
  if (which.exit_code != 0) {
    WARN(
        "SKIPPED: esedbinfo is not installed (Debian package libesedb-utils, see scripts/install-deps.sh); the "
        "sim's header was not checked against libesedb");
    return;
  }
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("issue", ca, "--count 50");
  for (const char* state : {"running", "stopped"}) {
    if (std::string(state) == "stopped") casim_ok("stop", ca);
    const auto result = run_command("esedbinfo " + quote(utf8(database_of(ca))));
    INFO(state << ": esedbinfo output:\n" << result.output);
    // libesedb reads the header first and stops there on any problem with it ("unable to read file
    // header", after "mismatch in file header checksum" or "unsupported file signature"). The sim's
    // data pages are not ESE's B-trees, so what comes after the header may still fail.
    CHECK(result.output.find("file header checksum") == std::string::npos);
    CHECK(result.output.find("unable to read file header") == std::string::npos);
    CHECK(result.output.find("unsupported file signature") == std::string::npos);
    // It went on to the pages (or, one day, all the way through).
    CHECK((result.exit_code == 0 || result.output.find("libesedb_page") != std::string::npos));
  }
  // The check can fail: the header older sims wrote (XXH32) stops esedbinfo at its checksum.
  certvault_test::make_legacy_sim_header(database_of(ca));
  const auto legacy = run_command("esedbinfo " + quote(utf8(database_of(ca))));
  INFO("legacy header: esedbinfo output:\n" << legacy.output);
  CHECK(legacy.output.find("mismatch in file header checksum") != std::string::npos);
}

TEST_CASE("a database an older sim created (XXH32 header, sim area at 1024) still opens and is upgraded") {
  // What older sims wrote, as a golden repository holds it (tests/fuzz/corpus: its first 8 KiB).
  const auto golden = read_prefix(
      fs::path(CERTVAULT_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / "ese_headers" / "golden-ca-database-header",
      kSimPageSize);
  REQUIRE(golden.size() == kSimPageSize);
  REQUIRE(std::equal(golden.begin() + 1024, golden.begin() + 1032, "CASIMDB1"));
  REQUIRE(load_le32(golden, 0) == XXH32(golden.data() + 4, kSimPageSize - 4, 0));

  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("issue", ca, "--count 30");
  certvault_test::make_legacy_sim_header(database_of(ca));
  const auto legacy = read_prefix(database_of(ca), kSimPageSize);
  REQUIRE(load_le32(legacy, 0) == XXH32(legacy.data() + 4, kSimPageSize - 4, 0));
  REQUIRE(load_le32(legacy, 0) != ese_xor_checksum(legacy, kSimPageSize));

  casim_ok("verify", ca);  // the seed read from 1024: every page still matches its contents
  casim_ok("issue", ca, "--count 300");
  casim_ok("stop", ca);  // the header rewritten, in today's format
  check_ese_header(database_of(ca));
  casim_ok("verify", ca);
}
