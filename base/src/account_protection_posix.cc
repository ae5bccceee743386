// No DPAPI outside Windows: a key file there is protected by its mode (0600) alone.
#include "certvault/base/account_protection.h"
#include "certvault/base/error.h"

namespace certvault::os {

bool account_protection_available() { return false; }

void require_account_protection() {
  throw Error(ErrorKind::kUsage,
              "DPAPI protection of a key file exists only on Windows; on this system the key file is protected by "
              "its mode (0600, readable by its owner only)");
}

std::vector<uint8_t> protect_for_this_account(std::span<const uint8_t>, std::string_view) {
  require_account_protection();
  return {};
}

std::vector<uint8_t> unprotect_for_this_account(std::span<const uint8_t>, std::string_view, const std::string& what) {
  throw Error(ErrorKind::kUsage, what +
                                     " is protected with Windows DPAPI: it opens only on the Windows machine, and "
                                     "under the account, that created it");
}

}  // namespace certvault::os
