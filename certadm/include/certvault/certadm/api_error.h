// Errors of the Certadm binding and the meaning of the HRESULTs Certadm returns.
//
// Contract: every failed Certadm call surfaces as an ApiError (kind kApi) whose
// what() reads
//   CertSrvBackupOpenFileW("C:\...\ca.edb") failed: 0x80070002 (ERROR_FILE_NOT_FOUND: The system cannot
//   find the file specified)
// i.e. the call with its meaningful arguments, the HRESULT as 8 hex digits and
// its symbolic name and meaning. function() is the bare exported name, so
// callers can branch on it without parsing text.
#pragma once

#include <cstdint>
#include <string>

#include "certvault/base/error.h"
#include "certvault/certadm/abi.h"

namespace certvault::certadm {

class ApiError : public Error {
 public:
  // `call` is the function name with the arguments worth showing, e.g.
  // `CertSrvBackupOpenFileW("C:\CA\ca.edb")`; `function` is the bare name.
  ApiError(std::string function, const std::string& call, HRESULT hresult);

  const std::string& function() const noexcept { return function_; }
  HRESULT hresult() const noexcept { return hresult_; }

 private:
  std::string function_;
  HRESULT hresult_;
};

// "0x80070002 (ERROR_FILE_NOT_FOUND: The system cannot find the file specified)".
// Known codes: common Win32 errors as HRESULT_FROM_WIN32, COM errors, and ESE
// (JET) errors in Certadm's form 0xC800xxxx (low 16 bits = -JET_err). Any other
// code is printed as "unknown HRESULT" with its severity, facility and code.
std::string describe_hresult(HRESULT hresult);

// True for a failure HRESULT (the sign bit set), as the FAILED() macro.
constexpr bool hresult_failed(HRESULT hresult) noexcept { return hresult < 0; }

}  // namespace certvault::certadm
