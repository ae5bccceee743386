#include <catch2/catch.hpp>
#include <utility>

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

TEST_CASE("every HRESULT abi.h names has its value and its name in the meaning table") {
  // The values are written once (abi.h); this pins each to the number winerror.h / esent.h give it.
  const std::pair<HRESULT, const char*> named[] = {
      {certadm_abi::kSOk, "0x00000000 (S_OK:"},
      {certadm_abi::kENotImpl, "0x80004001 (E_NOTIMPL:"},
      {certadm_abi::kEPointer, "0x80004003 (E_POINTER:"},
      {certadm_abi::kEAbort, "0x80004004 (E_ABORT:"},
      {certadm_abi::kEFail, "0x80004005 (E_FAIL:"},
      {certadm_abi::kEAccessDenied, "0x80070005 (E_ACCESSDENIED:"},
      {certadm_abi::kEHandle, "0x80070006 (E_HANDLE:"},
      {certadm_abi::kEOutOfMemory, "0x8007000E (E_OUTOFMEMORY:"},
      {certadm_abi::kEInvalidArg, "0x80070057 (E_INVALIDARG:"},
      {certadm_abi::kFileNotFound, "0x80070002 (ERROR_FILE_NOT_FOUND:"},
      {certadm_abi::kReadFault, "0x8007001E (ERROR_READ_FAULT:"},
      {certadm_abi::kBadNetPath, "0x80070035 (ERROR_BAD_NETPATH:"},
      {certadm_abi::kServiceAlreadyRunning, "0x80070420 (ERROR_SERVICE_ALREADY_RUNNING:"},
      {certadm_abi::kServerUnavailable, "0x800706BA (RPC_S_SERVER_UNAVAILABLE:"},
      {certadm_abi::kJetLogFileCorrupt, "0xC80001F5 (JET_errLogFileCorrupt:"},
      {certadm_abi::kJetBackupInProgress, "0xC80001F9 (JET_errBackupInProgress:"},
      {certadm_abi::kJetLogGenerationMismatch, "0xC8000201 (JET_errLogGenerationMismatch:"},
      {certadm_abi::kJetInvalidLogSequence, "0xC8000203 (JET_errInvalidLogSequence:"},
      {certadm_abi::kJetInvalidBackupSequence, "0xC8000209 (JET_errInvalidBackupSequence:"},
      {certadm_abi::kJetMissingLogFile, "0xC8000210 (JET_errMissingLogFile:"},
      {certadm_abi::kJetBadLogSignature, "0xC8000212 (JET_errBadLogSignature:"},
      {certadm_abi::kJetMissingFullBackup, "0xC8000230 (JET_errMissingFullBackup:"},
      {certadm_abi::kJetTruncateBeforeBackupComplete, "0xC8000268 (JET_err(-616):"},
  };
  for (const auto& [code, described] : named) CHECK_THAT(describe_hresult(code), Catch::StartsWith(described));
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
