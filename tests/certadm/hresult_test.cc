#include <catch2/catch.hpp>

#include "certvault/certadm/api_error.h"

using namespace certvault;
using namespace certvault::certadm;

namespace {
HRESULT hr(uint32_t bits) { return static_cast<HRESULT>(bits); }
}  // namespace

TEST_CASE("known HRESULTs are named with their meaning") {
  CHECK(describe_hresult(hr(0x80070002)) ==
        "0x80070002 (ERROR_FILE_NOT_FOUND: The system cannot find the file specified)");
  CHECK_THAT(describe_hresult(hr(0x80004005)), Catch::StartsWith("0x80004005 (E_FAIL:"));
  CHECK_THAT(describe_hresult(hr(0x80070057)), Catch::StartsWith("0x80070057 (E_INVALIDARG:"));
  CHECK_THAT(describe_hresult(hr(0x80070006)), Catch::StartsWith("0x80070006 (E_HANDLE:"));
  CHECK_THAT(describe_hresult(hr(0x800706BA)), Catch::StartsWith("0x800706BA (RPC_S_SERVER_UNAVAILABLE:"));
  CHECK_THAT(describe_hresult(hr(0x80070522)), Catch::Contains("ERROR_PRIVILEGE_NOT_HELD"));
  CHECK_THAT(describe_hresult(hr(0x8000FFFF)), Catch::Contains("E_UNEXPECTED"));
  CHECK_THAT(describe_hresult(0), Catch::Contains("S_OK"));
}

TEST_CASE("ESE errors in Certadm's 0xC800xxxx form are named") {
  CHECK_THAT(describe_hresult(hr(0xC8000000 | 528)), Catch::Contains("JET_errMissingLogFile"));
  CHECK_THAT(describe_hresult(hr(0xC8000000 | 530)), Catch::Contains("JET_errBadLogSignature"));
  CHECK_THAT(describe_hresult(hr(0xC8000000 | 515)), Catch::Contains("JET_errInvalidLogSequence"));
  CHECK_THAT(describe_hresult(hr(0xC8000230)), Catch::StartsWith("0xC8000230 (JET_errMissingFullBackup:"));
  CHECK_THAT(describe_hresult(hr(0xC8000000 | 616)), Catch::Contains("truncation"));
  CHECK_THAT(describe_hresult(hr(0xC8000000 | 1022)), Catch::Contains("JET_errDiskIO"));
  CHECK_THAT(describe_hresult(hr(0xC8000000 | 1811)), Catch::Contains("JET_errFileNotFound"));
  // An ESE code outside the table still shows the JET error number.
  CHECK_THAT(describe_hresult(hr(0xC8000000 | 4321)), Catch::Contains("unknown HRESULT") && Catch::Contains("-4321"));
}

TEST_CASE("unknown HRESULTs are decoded into severity, facility and code") {
  CHECK(describe_hresult(hr(0x80071234)) ==
        "0x80071234 (unknown HRESULT: severity failure, facility 7 (FACILITY_WIN32), code 4660 (0x1234))");
  CHECK_THAT(describe_hresult(hr(0x800B0109)), Catch::Contains("facility 11 (FACILITY_CERT)"));
  CHECK_THAT(describe_hresult(hr(0x0ABC0001)), Catch::Contains("severity success"));
}

TEST_CASE("ApiError carries the function, the HRESULT and a complete message") {
  const ApiError error("CertSrvBackupOpenFileW", "CertSrvBackupOpenFileW(\"C:\\CA\\ca.edb\")", hr(0x80070002));
  CHECK(error.function() == "CertSrvBackupOpenFileW");
  CHECK(error.hresult() == hr(0x80070002));
  CHECK(error.kind() == ErrorKind::kApi);
  CHECK(std::string(error.what()) ==
        "CertSrvBackupOpenFileW(\"C:\\CA\\ca.edb\") failed: 0x80070002 (ERROR_FILE_NOT_FOUND: The system cannot "
        "find the file specified)");
  const Error& base = error;  // callers catch certvault::Error
  CHECK(dynamic_cast<const ApiError*>(&base) != nullptr);
}
