// casim as a process: sizes, bad input, verify catching damage, changed pages, call log.
#include "sim_test_support.h"

using namespace simtest;

TEST_CASE("casim init accepts KiB/MiB/GiB sizes and rejects bad ones") {
  TempDir temp;
  casim_ok("init", temp.path() / "a", "--ca-name A --db-size 512KiB");
  CHECK(fs::file_size(temp.path() / "a" / "CertLog" / "A.edb") == 512 * 1024);
  CHECK(fs::file_size(temp.path() / "a" / "CertLog" / "edb.log") == 1024 * 1024);
  CHECK(fs::file_size(temp.path() / "a" / "CertLog" / "edb.chk") == 4096);
  CHECK(casim("init", temp.path() / "a", "--ca-name A --db-size 1MiB").exit_code == 1);  // exists
  CHECK(casim("init", temp.path() / "b", "--ca-name B --db-size 12XB").exit_code == 2);
  CHECK(casim("init", temp.path() / "b", "--ca-name B --db-size MiB").exit_code == 2);
  CHECK(casim("init", temp.path() / "b", "--ca-name B --db-size 1KiB").exit_code == 1);  // below the minimum
  CHECK(casim("init", temp.path() / "b", "--ca-name 'a/b' --db-size 1MiB").exit_code == 1);
  CHECK(casim("init", temp.path() / "b", "--db-size 1MiB").exit_code == 2);
  CHECK(casim("issue", temp.path() / "a", "--count many").exit_code == 2);
  CHECK(casim("frobnicate", temp.path() / "a").exit_code == 2);
  CHECK(casim("verify", temp.path() / "nothing").exit_code == 1);
}

TEST_CASE("database headers carry ESE's fields at ESE's offsets") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("issue", ca, "--count 100");
  auto read_u32 = [](const std::vector<unsigned char>& bytes, size_t at) {
    return bytes[at] | bytes[at + 1] << 8 | bytes[at + 2] << 16 | static_cast<uint32_t>(bytes[at + 3]) << 24;
  };
  auto prefix = [](const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<unsigned char> bytes(8192);
    in.read(reinterpret_cast<char*>(bytes.data()), 8192);
    return bytes;
  };
  const auto db = prefix(ca / "CertLog" / "Contoso CA.edb");
  CHECK(read_u32(db, 4) == 0x89ABCDEFu);
  CHECK(read_u32(db, 52) == 2);  // running: dirty
  CHECK(read_u32(db, 236) == 8192);
  CHECK(db[667] == 1);
  const uint32_t high = read_u32(db, 300);
  CHECK(read_u32(db, 296) <= high);
  const auto log = prefix(ca / "CertLog" / "edb.log");
  CHECK(log[667] == 3);
  CHECK(read_u32(log, 4) == high);
  const auto checkpoint = prefix(ca / "CertLog" / "edb.chk");
  CHECK(checkpoint[667] == 4);
  CHECK(read_u32(checkpoint, 12) == read_u32(db, 296));
  casim_ok("stop", ca);
  CHECK(read_u32(prefix(ca / "CertLog" / "Contoso CA.edb"), 52) == 3);  // clean shutdown
  const auto log_one = prefix(ca / "CertLog" / "edb00001.log");
  CHECK(read_u32(log_one, 4) == 1);
  CHECK(std::equal(log_one.begin() + 44, log_one.begin() + 72, db.begin() + 104));  // log signature
}

TEST_CASE("casim verify catches a damaged page and a missing log") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("issue", ca, "--count 100");
  casim_ok("verify", ca);
  SECTION("page") {
    std::fstream file(ca / "CertLog" / "Contoso CA.edb", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(5 * 8192 + 3000);
    file.put('\x01');
    file.close();
    const auto result = casim("verify", ca);
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("page 4 (offset 40960): checksum") != std::string::npos);
  }
  SECTION("log") {
    fs::remove(ca / "CertLog" / "edb00002.log");
    const auto result = casim("verify", ca);
    CHECK(result.exit_code == 1);
    CHECK(result.output.find("jump from 1 to 3") != std::string::npos);
  }
}

TEST_CASE("casim changed-pages lists the pages written since the last reset") {
  TempDir temp;
  const auto ca = make_ca(temp);
  CHECK(casim("changed-pages", ca).output.empty());
  casim_ok("issue", ca, "--count 10");
  const auto listed = casim("changed-pages", ca, "--reset");
  REQUIRE(listed.exit_code == 0);
  std::istringstream lines(listed.output);
  std::vector<uint32_t> pages;
  for (uint32_t page = 0; lines >> page;) pages.push_back(page);
  CHECK(pages.size() >= 10);
  CHECK(pages.size() <= 50);
  CHECK(std::is_sorted(pages.begin(), pages.end()));
  CHECK(casim("changed-pages", ca).output.empty());
}

TEST_CASE("casim calls prints and clears the call log, casim crl rewrites the CRLs") {
  TempDir temp;
  const auto ca = make_ca(temp);
  const auto server = wide(ca);
  CertadmBool online = 0;
  REQUIRE(CertSrvIsServerOnlineW(reinterpret_cast<const WCHAR*>(server.c_str()), &online) == certadm_sim::kSOk);
  CHECK(casim("calls", ca).output == "CertSrvIsServerOnlineW 0x00000000\n");
  casim_ok("calls", ca, "--clear");
  CHECK(casim("calls", ca).output.empty());
  const auto crl = ca / "CertEnroll" / "Contoso CA.crl";
  const auto before = fs::file_size(crl);
  casim_ok("revoke", ca, "--count 3");
  casim_ok("crl", ca);
  CHECK(fs::file_size(crl) > before);
  CHECK(casim("status", ca).output.find("CRL number 2") != std::string::npos);
}
