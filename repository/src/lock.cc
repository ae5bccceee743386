#include "certvault/repository/lock.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <thread>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/os_file.h"
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

// A record is one short line; more than this is not a record.
constexpr size_t kMaxRecordBytes = 4096;

// REPO/lock is opened without following a symlink and without blocking, and used only when it is
// a regular file with no other name: the lock rewrites (truncates) its record, and must never
// truncate a file certvault did not create (a symlink's or a hard link's target).
std::unique_ptr<os::OpenFile> open_lock_file(const std::filesystem::path& repository) {
  const auto path = lock_path(repository);
  std::string reason;
  auto file = os::file_system().try_open(path, os::OpenFor::kReadWriteCreateNoFollow,
                                         "lock repository " + os::display(repository), reason);
  const auto refuse = [&](const std::string& what) {
    throw Error(ErrorKind::kLocked, fmt::format("repository {}: {} is {}; certvault uses only a regular lock file it "
                                                "created, so nothing was opened or changed (remove it, then retry)",
                                                os::display(repository), os::display(path), what));
  };
  if (!file) {
    const auto status = os::file_system().status(path, false);
    if (status && status->type == os::EntryType::kSymlink) refuse("a symbolic link");
    if (status && status->type != os::EntryType::kFile) refuse("not a regular file");
    throw Error(ErrorKind::kFailure,
                fmt::format("lock repository {}: open {}: {}", os::display(repository), os::display(path), reason));
  }
  const auto identity = file->identity();
  if (identity.type == os::EntryType::kSymlink) refuse("a symbolic link (reparse point)");
  if (identity.type != os::EntryType::kFile) refuse("not a regular file");
  if (identity.links != 1) refuse(fmt::format("a file with {} names (a hard link)", identity.links));
  return file;
}

std::string read_text(os::OpenFile& file) {
  std::string text(kMaxRecordBytes, '\0');
  const size_t got = file.read_at(0, std::span(reinterpret_cast<uint8_t*>(text.data()), text.size()));
  text.resize(got);
  return text;
}

// Replaces the record with `text` and makes it durable.
void write_text(os::OpenFile& file, const std::string& text) {
  file.truncate(0);
  file.write_at(0, std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  file.sync();
}

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
std::optional<LockRecord> read_holder_record(os::OpenFile& file) {
  auto record = parse_lock_record(read_text(file));
  for (int attempt = 0; !record && attempt < 25; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    record = parse_lock_record(read_text(file));
  }
  return record;
}

}  // namespace

std::unique_ptr<RepositoryLock> RepositoryLock::acquire(const std::filesystem::path& repository, LockMode mode,
                                                        const std::function<void(const std::string&)>& on_stale) {
  if (mode == LockMode::kAppend) mode = LockMode::kExclusive;  // one local writer at a time (lock.h)
  auto file = open_lock_file(repository);
  if (!file->try_lock_file(mode == LockMode::kExclusive ? os::LockKind::kExclusive : os::LockKind::kShared)) {
    throw_busy(repository, mode, read_holder_record(*file));
  }
  // We hold the flock, so any record left in the file belongs to a holder
  // that ended without releasing (killed, power loss).
  const std::string leftover = read_text(*file);
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
    if (mode == LockMode::kShared) write_text(*file, "");  // no exclusive holder can be writing it now
  }
  if (mode == LockMode::kExclusive) {
    const auto now = static_cast<long long>(std::time(nullptr));
    const LockRecord record{this_host(), lock_os::this_process_id(), now, lock_format::kExclusive};
    write_text(*file, format_lock_record(record) + "\n");
  }
  return std::unique_ptr<RepositoryLock>(new RepositoryLock(std::move(file), mode));
}

RepositoryLock::RepositoryLock(std::unique_ptr<os::OpenFile> file, LockMode mode)
    : file_(std::move(file)), mode_(mode), identity_(file_->identity()) {}

void RepositoryLock::check_held(const std::string& before) const {
  // The flock guards the file this process opened, not the name: once REPO/lock is deleted or
  // replaced, another process locks a new file and runs alongside this one. So the name must
  // still lead to the file whose lock is held.
  const auto& path = file_->path();
  std::string reason;
  const auto current =
      os::file_system().try_open(path, os::OpenFor::kReadNoFollow, "check the repository lock", reason);
  std::string what;
  if (!current) {
    what = fmt::format("cannot be opened any more ({})", reason);
  } else if (const auto identity = current->identity(); !identity.same_file(identity_)) {
    what = "was replaced by another file";
  } else if (identity.type != os::EntryType::kFile) {
    what = "is no longer a regular file";
  }
  if (!what.empty()) {
    throw Error(ErrorKind::kLocked,
                fmt::format("the repository lock {} held by this process {}: another process may be writing the "
                            "repository now; stopping before {} (nothing of it was done)",
                            os::display(path), what, before));
  }
}

RepositoryLock::~RepositoryLock() {
  // Clearing first: once the lock goes, a new holder may write its own record.
  try {
    if (mode_ == LockMode::kExclusive) write_text(*file_, "");
    file_->close();  // releases the lock
  } catch (const Error&) {
    // Destructors never throw; a record left behind is reported as stale by the next holder.
  }
}

std::optional<LockRecord> RepositoryLock::read_record(const std::filesystem::path& repository) {
  if (!os::file_system().status(lock_path(repository), true)) return std::nullopt;
  return parse_lock_record(read_text(*open_lock_file(repository)));
}

}  // namespace certvault
