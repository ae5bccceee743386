// Fault injection set with `casim fault` and honoured by the library.
#include "sim_test_support.h"

using namespace simtest;
namespace hr = certadm_sim;

namespace {

struct Session {
  explicit Session(const fs::path& root) : server(wide(root)) {
    REQUIRE(hex(CertSrvBackupPrepareW(reinterpret_cast<const WCHAR*>(server.c_str()), 0, CSBACKUP_TYPE_FULL,
                                      &context)) == hex(hr::kSOk));
  }
  ~Session() { CertSrvBackupEnd(context); }
  std::u16string open_database(LARGE_INTEGER& size) {
    WCHAR* list = nullptr;
    DWORD bytes = 0;
    REQUIRE(CertSrvBackupGetDatabaseNamesW(context, &list, &bytes) == hr::kSOk);
    const auto name = take_list(list, bytes).at(0).substr(1);
    REQUIRE(CertSrvBackupOpenFileW(context, reinterpret_cast<const WCHAR*>(name.c_str()), 0, &size) == hr::kSOk);
    return name;
  }
  std::u16string server;
  HCSBC context = nullptr;
};

}  // namespace

TEST_CASE("a named call fails with the injected HRESULT on its Nth call") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("fault", ca, "--fail CertSrvBackupGetDatabaseNamesW --hresult 0x80070005 --nth 2");
  Session session(ca);
  WCHAR* list = nullptr;
  DWORD bytes = 0;
  REQUIRE(CertSrvBackupGetDatabaseNamesW(session.context, &list, &bytes) == hr::kSOk);
  take_list(list, bytes);
  CHECK(hex(CertSrvBackupGetDatabaseNamesW(session.context, &list, &bytes)) == "0x80070005");
  CHECK(calls_of(ca).back() == "CertSrvBackupGetDatabaseNamesW 0x80070005");
  REQUIRE(CertSrvBackupGetDatabaseNamesW(session.context, &list, &bytes) == hr::kSOk);
  take_list(list, bytes);
  casim_ok("fault", ca, "--clear");
  casim_ok("fault", ca, "--fail CertSrvIsServerOnlineW --hresult 0x800706BA");
  CertadmBool online = 1;
  CHECK(hex(CertSrvIsServerOnlineW(reinterpret_cast<const WCHAR*>(session.server.c_str()), &online)) == "0x800706BA");
  CHECK(hex(CertSrvIsServerOnlineW(reinterpret_cast<const WCHAR*>(session.server.c_str()), &online)) == "0x800706BA");
}

TEST_CASE("a read error at a file offset fails the read that covers it, once") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("fault", ca, "--read-error 100000 --file .edb");
  Session session(ca);
  LARGE_INTEGER size{};
  session.open_database(size);
  std::vector<char> buffer(65536);
  DWORD got = 0;
  REQUIRE(CertSrvBackupRead(session.context, buffer.data(), 65536, &got) == hr::kSOk);  // 0..65535
  CHECK(got == 65536);
  CHECK(hex(CertSrvBackupRead(session.context, buffer.data(), 65536, &got)) == hex(hr::kReadFault));
  CHECK(got == 0);
  CHECK(calls_of(ca).back() == "CertSrvBackupRead 0x8007001E");
  // The fault fired once; the retry reads the same range.
  REQUIRE(CertSrvBackupRead(session.context, buffer.data(), 65536, &got) == hr::kSOk);
  CHECK(got == 65536);
}

TEST_CASE("a short read stops at the injected offset and the rest follows") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("fault", ca, "--short-read 70000");
  Session session(ca);
  LARGE_INTEGER size{};
  session.open_database(size);
  std::vector<char> buffer(65536);
  DWORD got = 0;
  REQUIRE(CertSrvBackupRead(session.context, buffer.data(), 65536, &got) == hr::kSOk);
  CHECK(got == 65536);
  REQUIRE(CertSrvBackupRead(session.context, buffer.data(), 65536, &got) == hr::kSOk);
  CHECK(got == 70000 - 65536);
  REQUIRE(CertSrvBackupRead(session.context, buffer.data(), 65536, &got) == hr::kSOk);
  CHECK(got == 65536);
}

TEST_CASE("the CA goes offline after a named call") {
  TempDir temp;
  const auto ca = make_ca(temp);
  casim_ok("fault", ca, "--offline-after CertSrvBackupOpenFileW");
  Session session(ca);
  LARGE_INTEGER size{};
  session.open_database(size);
  std::vector<char> buffer(4096);
  DWORD got = 0;
  CHECK(hex(CertSrvBackupRead(session.context, buffer.data(), 4096, &got)) == hex(hr::kServerUnavailable));
  CHECK(casim("status", ca).output.find("service:            stopped") != std::string::npos);
}

TEST_CASE("casim fault rejects bad input") {
  TempDir temp;
  const auto ca = make_ca(temp);
  CHECK(casim("fault", ca, "--fail CertSrvNoSuchCall --hresult 0x80004005").exit_code == 2);
  CHECK(casim("fault", ca, "--fail CertSrvBackupRead").exit_code == 2);
  CHECK(casim("fault", ca, "--fail CertSrvBackupRead --hresult 0").exit_code == 2);
  CHECK(casim("fault", ca, "--read-error -5").exit_code == 2);
  CHECK(casim("fault", ca, "").exit_code == 2);
  CHECK(casim("fault", temp.path() / "missing", "--clear").exit_code == 1);
}
