// Windows DPAPI (CryptProtectData) for secrets that only one account of one machine may read: a
// repository key file for a scheduled task that runs as SYSTEM.
//
// Contract:
// - protect_for_this_account(): the bytes sealed for the account that runs this process, on this
//   machine (DPAPI user scope: a copy of the result opens nowhere else, and not under another
//   account of the same machine). Error(kUsage) where the OS has no DPAPI (every POSIX build).
// - unprotect_for_this_account(): the bytes back; Error(kKeyRejected) naming `what` when the blob
//   was sealed for another account or machine or was changed; Error(kUsage) without DPAPI.
// - `purpose` is bound into the seal (DPAPI's optional entropy), so a blob sealed for one purpose
//   is not accepted for another.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace certvault::os {

bool account_protection_available();
// Error(kUsage) saying why where there is no DPAPI; nothing on Windows. For checks made before
// anything is created.
void require_account_protection();
std::vector<uint8_t> protect_for_this_account(std::span<const uint8_t> secret, std::string_view purpose);
std::vector<uint8_t> unprotect_for_this_account(std::span<const uint8_t> sealed, std::string_view purpose,
                                                const std::string& what);

}  // namespace certvault::os
