#include "certvault/repository/lock.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <thread>

#include "certvault/base/error.h"
#include "certvault/base/utc_time.h"
#include "lock_format.h"
#include "lock_os.h"
#include "lock_record.h"

namespace certvault {
namespace {

std::filesystem::path lock_path(const std::filesystem::path& repository) { return repository / lock_format::kFileName; }

using lock_os::this_host;

// "2026-11-24 19:33:51 UTC", as the lock's messages have always said it.
std::string lock_time_text(long long unix_seconds) { return format_utc(unix_seconds, UtcFormat::kDateTimeUtc); }

// Only a pid on this host can be checked; elsewhere it must be presumed alive.
bool holder_is_dead(const LockRecord& record) {
  if (record.host != this_host() || record.pid <= 0) return false;
  return lock_os::process_is_gone(record.pid);
}

[[noreturn]] void throw_busy(const std::filesystem::path& repository, LockMode wanted,
                             const std::optional<LockRecord>& record) {
  if (record && record->mode == lock_format::kExclusive && !holder_is_dead(*record)) {
    throw Error(ErrorKind::kLocked,
                fmt::format("repository {} is locked by pid {} on host {} since {} (exclusive)", repository.string(),
                            record->pid, record->host, lock_time_text(record->started_unix)));
  }
  if (wanted == LockMode::kExclusive) {
    throw Error(ErrorKind::kLocked,
                fmt::format("repository {} is locked by one or more readers (shared)", repository.string()));
  }
  // Only an exclusive holder blocks a reader; it has not written its record yet.
  throw Error(ErrorKind::kLocked, fmt::format("repository {} is locked by a writer that is just starting (exclusive)",
                                              repository.string()));
}

// A writer takes the lock first and writes its record just after, so a busy
// lock with no record yet may be a writer that is starting: give it a moment
// to name itself before the message says who holds the lock.
std::optional<LockRecord> read_holder_record(std::intptr_t fd) {
  auto record = parse_lock_record(lock_os::read_text(fd));
  for (int attempt = 0; !record && attempt < 25; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    record = parse_lock_record(lock_os::read_text(fd));
  }
  return record;
}

}  // namespace

std::unique_ptr<RepositoryLock> RepositoryLock::acquire(const std::filesystem::path& repository, LockMode mode,
                                                        const std::function<void(const std::string&)>& on_stale) {
  const auto path = lock_path(repository);
  const std::intptr_t fd = lock_os::open_lock_file(path);
  try {
    if (!lock_os::try_lock(fd, mode, path)) throw_busy(repository, mode, read_holder_record(fd));
    // We hold the flock, so any record left in the file belongs to a holder
    // that ended without releasing (killed, power loss).
    const std::string leftover = lock_os::read_text(fd);
    if (leftover.find_first_not_of(" \t\r\n") != std::string::npos) {
      const auto record = parse_lock_record(leftover);
      std::string message;
      if (record && holder_is_dead(*record)) {
        message = fmt::format(
            "repository {}: taking over a stale lock left by pid {} on host {} since {}, which no "
            "longer runs (record \"{}\")",
            repository.string(), record->pid, record->host, lock_time_text(record->started_unix),
            format_lock_record(*record));
      } else {
        message = fmt::format("repository {}: taking over a lock record that no running holder backs (record \"{}\")",
                              repository.string(), leftover.substr(0, leftover.find('\n')));
      }
      if (on_stale) {
        on_stale(message);
      } else {
        std::cerr << message << "\n";
      }
      if (mode == LockMode::kShared) lock_os::write_text(fd, path, "");  // no exclusive holder can be writing it now
    }
    if (mode == LockMode::kExclusive) {
      const auto now = static_cast<long long>(std::time(nullptr));
      const LockRecord record{this_host(), lock_os::this_process_id(), now, lock_format::kExclusive};
      lock_os::write_text(fd, path, format_lock_record(record) + "\n");
    }
  } catch (...) {
    lock_os::close_lock_file(fd);
    throw;
  }
  return std::unique_ptr<RepositoryLock>(new RepositoryLock(fd, mode));
}

RepositoryLock::~RepositoryLock() {
  // Clearing first: once the lock goes, a new holder may write its own record.
  if (mode_ == LockMode::kExclusive) {
    try {
      lock_os::write_text(handle_, std::filesystem::path(), "");
    } catch (const Error&) {
      // Destructors never throw; a record left behind is reported as stale by the next holder.
    }
  }
  lock_os::close_lock_file(handle_);
}

std::optional<LockRecord> RepositoryLock::read_record(const std::filesystem::path& repository) {
  const auto path = lock_path(repository);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  const std::intptr_t handle = lock_os::open_lock_file(path);
  std::string text;
  try {
    text = lock_os::read_text(handle);
  } catch (...) {
    lock_os::close_lock_file(handle);
    throw;
  }
  lock_os::close_lock_file(handle);
  return parse_lock_record(text);
}

}  // namespace certvault
