#include <fmt/format.h>

#include <limits>

#include "call_support.h"
#include "certvault/certadm/server.h"

namespace certvault::certadm {
namespace {

using detail::check;
using detail::in_quotes;

std::string shown(const std::string& path) { return path.empty() ? "NULL" : in_quotes(path); }

// Converts a path argument; an empty path stays empty (passed as NULL).
std::u16string to_utf16(const std::string& path, const char* argument) {
  try {
    return utf8_to_utf16(path);
  } catch (const Error& error) {
    throw Error(ErrorKind::kUsage,
                fmt::format("CertSrvRestoreRegisterW: {} is not usable: {}", argument, error.what()));
  }
}

const WCHAR* wide_or_null(const std::u16string& text) { return text.empty() ? nullptr : detail::wide(text); }

}  // namespace

RestoreContext::RestoreContext(std::shared_ptr<Library> library, HCSBC handle, std::string server_utf8)
    : library_(std::move(library)), handle_(handle), server_utf8_(std::move(server_utf8)) {}

RestoreContext::RestoreContext(RestoreContext&& other) noexcept
    : library_(std::move(other.library_)),
      handle_(std::exchange(other.handle_, nullptr)),
      server_utf8_(std::move(other.server_utf8_)) {}

RestoreContext& RestoreContext::operator=(RestoreContext&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) library_->functions().restore_end(handle_);
    library_ = std::move(other.library_);
    handle_ = std::exchange(other.handle_, nullptr);
    server_utf8_ = std::move(other.server_utf8_);
  }
  return *this;
}

RestoreContext::~RestoreContext() {
  if (handle_ != nullptr) library_->functions().restore_end(handle_);
}

void RestoreContext::require_active(const char* function) const {
  if (handle_ == nullptr) {
    throw Error(ErrorKind::kInternal, fmt::format("{} on {}: the restore context was already ended (or moved from)",
                                                  function, in_quotes(server_utf8_)));
  }
}

void RestoreContext::register_restore(const std::string& checkpoint_path, const std::string& log_path,
                                      const std::vector<std::pair<std::string, std::string>>& map,
                                      const std::string& backup_log_path, uint32_t gen_low, uint32_t gen_high) {
  require_active("CertSrvRestoreRegisterW");
  if (map.size() > static_cast<size_t>(std::numeric_limits<LONG>::max())) {
    throw Error(ErrorKind::kInternal, fmt::format("CertSrvRestoreRegisterW: a restore map of {} entries", map.size()));
  }
  const std::u16string checkpoint = to_utf16(checkpoint_path, "the checkpoint path");
  const std::u16string logs = to_utf16(log_path, "the log path");
  const std::u16string backup_logs = to_utf16(backup_log_path, "the backup log path");
  // The API takes non-const WCHAR*; these strings live until the call returns.
  std::vector<std::u16string> names;
  names.reserve(2 * map.size());
  for (const auto& [old_name, new_name] : map) {
    names.push_back(to_utf16(old_name, "a restore map name"));
    names.push_back(to_utf16(new_name, "a restore map name"));
  }
  std::vector<CSEDB_RSTMAPW> entries(map.size());
  for (size_t i = 0; i < map.size(); ++i) {
    entries[i].pwszDatabaseName = detail::wide_mutable(names[2 * i]);
    entries[i].pwszNewDatabaseName = detail::wide_mutable(names[2 * i + 1]);
  }
  const std::string call = fmt::format(
      "CertSrvRestoreRegisterW({}, checkpoint {}, logs {}, {} map entries, backup logs {}, generations "
      "0x{:X}-0x{:X})",
      in_quotes(server_utf8_), shown(checkpoint_path), shown(log_path), map.size(), shown(backup_log_path), gen_low,
      gen_high);
  check(library_->functions().restore_register(
            handle_, wide_or_null(checkpoint), wide_or_null(logs), entries.empty() ? nullptr : entries.data(),
            static_cast<LONG>(entries.size()), wide_or_null(backup_logs), gen_low, gen_high),
        "CertSrvRestoreRegisterW", call);
}

void RestoreContext::register_complete(HRESULT state) {
  require_active("CertSrvRestoreRegisterComplete");
  check(library_->functions().restore_register_complete(handle_, state), "CertSrvRestoreRegisterComplete",
        fmt::format("CertSrvRestoreRegisterComplete({}, state 0x{:08X})", in_quotes(server_utf8_),
                    static_cast<uint32_t>(state)));
}

void RestoreContext::end() {
  require_active("CertSrvRestoreEnd");
  const HCSBC handle = std::exchange(handle_, nullptr);
  check(library_->functions().restore_end(handle), "CertSrvRestoreEnd",
        fmt::format("CertSrvRestoreEnd({})", in_quotes(server_utf8_)));
}

}  // namespace certvault::certadm
