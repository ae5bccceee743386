// DPAPI in user scope (no CRYPTPROTECT_LOCAL_MACHINE): machine scope would let every process on
// the CA open the key file; user scope limits it to the account that sealed it, SYSTEM for the
// scheduled backup task.
#include <fmt/format.h>
#include <windows.h>
// dpapi.h needs the types windows.h declares.
#include <dpapi.h>

#include "certvault/base/account_protection.h"
#include "certvault/base/error.h"
#include "certvault/base/win32_error.h"

namespace certvault::os {
namespace {

struct LocalBlob {
  DATA_BLOB blob{};
  ~LocalBlob() {
    if (blob.pbData != nullptr) {
      SecureZeroMemory(blob.pbData, blob.cbData);
      LocalFree(blob.pbData);
    }
  }
};

DATA_BLOB view(std::span<const uint8_t> bytes) {
  return DATA_BLOB{static_cast<DWORD>(bytes.size()), const_cast<BYTE*>(bytes.data())};
}

DATA_BLOB view(std::string_view text) {
  return DATA_BLOB{static_cast<DWORD>(text.size()), reinterpret_cast<BYTE*>(const_cast<char*>(text.data()))};
}

}  // namespace

bool account_protection_available() { return true; }

void require_account_protection() {}

std::vector<uint8_t> protect_for_this_account(std::span<const uint8_t> secret, std::string_view purpose) {
  DATA_BLOB in = view(secret);
  DATA_BLOB entropy = view(purpose);
  LocalBlob out;
  if (!CryptProtectData(&in, L"certvault key file", &entropy, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN, &out.blob)) {
    throw_win32("CryptProtectData (DPAPI, this account)");
  }
  return std::vector<uint8_t>(out.blob.pbData, out.blob.pbData + out.blob.cbData);
}

std::vector<uint8_t> unprotect_for_this_account(std::span<const uint8_t> sealed, std::string_view purpose,
                                                const std::string& what) {
  DATA_BLOB in = view(sealed);
  DATA_BLOB entropy = view(purpose);
  LocalBlob out;
  if (!CryptUnprotectData(&in, nullptr, &entropy, nullptr, nullptr, CRYPTPROTECT_UI_FORBIDDEN, &out.blob)) {
    const DWORD error = GetLastError();
    throw Error(ErrorKind::kKeyRejected,
                fmt::format("{} does not open with DPAPI under this account: CryptUnprotectData failed: {} (it opens "
                            "only on the machine, and under the account, that created it: SYSTEM for a key file made "
                            "for the scheduled task)",
                            what, win32_message(error)));
  }
  return std::vector<uint8_t>(out.blob.pbData, out.blob.pbData + out.blob.cbData);
}

}  // namespace certvault::os
