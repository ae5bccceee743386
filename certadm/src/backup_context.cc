#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "api_buffer.h"
#include "call_support.h"
#include "certvault/certadm/server.h"

namespace certvault::certadm {
namespace {

using detail::check;
using detail::in_quotes;

// A read that returns no bytes before the end is retried this often before it
// counts as a failure: a short read is legal, an endless one is not.
constexpr int kEmptyReadAttempts = 4;

}  // namespace

BackupContext::BackupContext(std::shared_ptr<Library> library, HCSBC handle, std::string server_utf8, bool full)
    : library_(std::move(library)), handle_(handle), server_utf8_(std::move(server_utf8)), full_(full) {}

BackupContext::BackupContext(BackupContext&& other) noexcept
    : library_(std::move(other.library_)),
      handle_(std::exchange(other.handle_, nullptr)),
      server_utf8_(std::move(other.server_utf8_)),
      open_(std::move(other.open_)),
      full_(other.full_),
      database_listed_(other.database_listed_),
      logs_listed_(other.logs_listed_),
      listed_(std::move(other.listed_)),
      read_fully_(std::move(other.read_fully_)) {}

BackupContext& BackupContext::operator=(BackupContext&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) library_->functions().backup_end(handle_);
    library_ = std::move(other.library_);
    handle_ = std::exchange(other.handle_, nullptr);
    server_utf8_ = std::move(other.server_utf8_);
    open_ = std::move(other.open_);
    full_ = other.full_;
    database_listed_ = other.database_listed_;
    logs_listed_ = other.logs_listed_;
    listed_ = std::move(other.listed_);
    read_fully_ = std::move(other.read_fully_);
  }
  return *this;
}

BackupContext::~BackupContext() {
  // An abandoned session must not keep the CA's backup slot; the HRESULT has
  // nowhere to go from a destructor.
  if (handle_ != nullptr) library_->functions().backup_end(handle_);
}

std::string BackupContext::on_server() const { return "on " + in_quotes(server_utf8_); }

void BackupContext::require_active(const char* function) const {
  if (handle_ == nullptr) {
    throw Error(ErrorKind::kInternal,
                fmt::format("{} {}: the backup context was already ended (or moved from)", function, on_server()));
  }
}

NameList BackupContext::fetch_list(ListFunction Functions::*call, const char* function, bool has_type_codes) {
  require_active(function);  // before library_, which a moved-from context no longer holds
  WCHAR* list = nullptr;
  DWORD size = 0;
  const std::string description = fmt::format("{}() {}", function, on_server());
  check((library_->functions().*call)(handle_, &list, &size), function, description);
  auto owned = detail::own_api_buffer(library_, list);
  if (list == nullptr && size != 0) {
    throw Error(ErrorKind::kApi, fmt::format("{} returned a NULL list of {} bytes", description, size));
  }
  NameList names;
  try {
    names = parse_multistring(std::span(reinterpret_cast<const uint8_t*>(list), size), has_type_codes);
  } catch (const Error& error) {
    throw Error(ErrorKind::kApi,
                fmt::format("{} returned a list this binding cannot read: {}", description, error.what()));
  }
  names.api_buffer = std::move(owned);
  return names;
}

NameList BackupContext::restore_locations() {
  return fetch_list(&Functions::restore_get_database_locations, "CertSrvRestoreGetDatabaseLocationsW", true);
}

NameList BackupContext::database_names() {
  NameList names = fetch_list(&Functions::backup_get_database_names, "CertSrvBackupGetDatabaseNamesW", true);
  for (const auto& entry : names.entries) listed_.insert(entry.path_utf8);
  database_listed_ = true;
  return names;
}

NameList BackupContext::backup_logs() {
  NameList names = fetch_list(&Functions::backup_get_backup_logs, "CertSrvBackupGetBackupLogsW", true);
  for (const auto& entry : names.entries) listed_.insert(entry.path_utf8);
  logs_listed_ = true;
  return names;
}

NameList BackupContext::dynamic_files() {
  return fetch_list(&Functions::backup_get_dynamic_file_list, "CertSrvBackupGetDynamicFileListW", false);
}

uint64_t BackupContext::open_file(const NameEntry& entry, uint32_t read_hint) {
  require_active("CertSrvBackupOpenFileW");
  const std::string call = fmt::format("CertSrvBackupOpenFileW({})", in_quotes(entry.path_utf8));
  if (open_) {
    throw Error(ErrorKind::kInternal, fmt::format("{}: {} is still open; close it first (one file at a time)", call,
                                                  in_quotes(open_->path_utf8)));
  }
  std::u16string name = entry.path_utf16;
  if (name.empty() && !entry.path_utf8.empty()) name = utf8_to_utf16(entry.path_utf8);
  LARGE_INTEGER size{};
  check(library_->functions().backup_open_file(handle_, detail::wide(name), read_hint, &size), "CertSrvBackupOpenFileW",
        call);
  if (size.QuadPart < 0) {
    throw Error(ErrorKind::kApi, fmt::format("{} returned a negative file size {}", call, size.QuadPart));
  }
  open_ = OpenFile{entry.path_utf8, static_cast<uint64_t>(size.QuadPart), 0};
  if (open_->size == 0) read_fully_.insert(open_->path_utf8);
  return open_->size;
}

size_t BackupContext::read(std::span<uint8_t> buffer) {
  require_active("CertSrvBackupRead");
  if (!open_) throw Error(ErrorKind::kInternal, fmt::format("CertSrvBackupRead {}: no file is open", on_server()));
  OpenFile& file = *open_;
  if (buffer.empty()) {
    throw Error(ErrorKind::kInternal, fmt::format("CertSrvBackupRead({}): an empty buffer", in_quotes(file.path_utf8)));
  }
  if (file.position == file.size) return 0;
  const uint64_t wanted64 =
      std::min<uint64_t>({buffer.size(), file.size - file.position, std::numeric_limits<DWORD>::max()});
  const auto wanted = static_cast<DWORD>(wanted64);
  for (int attempt = 0; attempt < kEmptyReadAttempts; ++attempt) {
    DWORD got = 0;
    const std::string call =
        fmt::format("CertSrvBackupRead({} at offset {}, {} bytes)", in_quotes(file.path_utf8), file.position, wanted);
    check(library_->functions().backup_read(handle_, buffer.data(), wanted, &got), "CertSrvBackupRead", call);
    if (got > wanted) {
      throw Error(ErrorKind::kApi, fmt::format("{} claims {} bytes, more than the buffer holds", call, got));
    }
    if (got == 0) continue;
    file.position += got;
    if (file.position == file.size) read_fully_.insert(file.path_utf8);
    return got;
  }
  throw Error(ErrorKind::kApi, fmt::format("CertSrvBackupRead({}) returned no bytes {} times at offset {} of {}",
                                           in_quotes(file.path_utf8), kEmptyReadAttempts, file.position, file.size));
}

void BackupContext::close_file() {
  require_active("CertSrvBackupClose");
  if (!open_) throw Error(ErrorKind::kInternal, fmt::format("CertSrvBackupClose {}: no file is open", on_server()));
  check(library_->functions().backup_close(handle_), "CertSrvBackupClose",
        fmt::format("CertSrvBackupClose({})", in_quotes(open_->path_utf8)));
  open_.reset();
}

void BackupContext::truncate_logs(const CommittedSnapshot& proof) {
  require_active("CertSrvBackupTruncateLogs");
  const std::string call =
      fmt::format("CertSrvBackupTruncateLogs() {} after snapshot {}", on_server(), proof.snapshot_id());
  // The real API trusts the caller; a log truncated before it was saved is lost for good.
  if (!logs_listed_) throw Error(ErrorKind::kRefused, call + " refused: the backup logs were never listed");
  if (full_ && !database_listed_) {
    throw Error(ErrorKind::kRefused, call + " refused: the database files of this full backup were never listed");
  }
  std::vector<std::string> unread;
  for (const auto& path : listed_) {
    if (!read_fully_.contains(path)) unread.push_back(path);
  }
  if (!unread.empty()) {
    throw Error(ErrorKind::kRefused, fmt::format("{} refused: {} listed file(s) not read to the end: {}", call,
                                                 unread.size(), fmt::join(unread, ", ")));
  }
  check(library_->functions().backup_truncate_logs(handle_), "CertSrvBackupTruncateLogs", call);
}

void BackupContext::end() {
  require_active("CertSrvBackupEnd");
  // Ended whatever the result: a failed End is not retried, and the destructor must not call it again.
  const HCSBC handle = std::exchange(handle_, nullptr);
  open_.reset();
  check(library_->functions().backup_end(handle), "CertSrvBackupEnd",
        fmt::format("CertSrvBackupEnd() {}", on_server()));
}

}  // namespace certvault::certadm
