#include "certvault/archive/repository_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <iostream>
#include <sstream>

#include "certvault/archive/error.h"

namespace certvault {
namespace {

std::filesystem::path lock_path(const std::filesystem::path& repository) { return repository / "lock"; }

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string utc_time(long long unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr) return fmt::format("unix time {}", unix_seconds);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

std::string read_text(int fd) {
  std::string text;
  char buffer[512];
  off_t offset = 0;
  // The record is one short line; a bigger file is not ours to trust.
  while (text.size() < 4096) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  return text;
}

std::optional<LockRecord> parse_record(const std::string& text) {
  LockRecord record;
  bool has_pid = false;
  std::istringstream fields(text.substr(0, text.find('\n')));
  std::string field;
  while (fields >> field) {
    const auto equals = field.find('=');
    if (equals == std::string::npos) continue;
    const std::string key = field.substr(0, equals);
    const std::string value = field.substr(equals + 1);
    try {
      if (key == "host") record.host = value;
      if (key == "pid") record.pid = std::stol(value), has_pid = true;
      if (key == "started") record.started_unix = std::stoll(value);
      if (key == "mode") record.mode = value;
    } catch (const std::exception&) {
      return std::nullopt;  // an unreadable record names nobody
    }
  }
  if (!has_pid || record.host.empty()) return std::nullopt;
  return record;
}

std::string describe(const LockRecord& record) {
  return fmt::format("host={} pid={} started={} mode={}", record.host, record.pid, record.started_unix, record.mode);
}

// Only a pid on this host can be checked; elsewhere it must be presumed alive.
bool holder_is_dead(const LockRecord& record) {
  if (record.host != this_host() || record.pid <= 0) return false;
  return ::kill(static_cast<pid_t>(record.pid), 0) != 0 && errno == ESRCH;
}

void write_record(int fd, const std::filesystem::path& path, const std::string& text) {
  if (::ftruncate(fd, 0) != 0) throw_errno("write lock record: truncate " + path.string());
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write lock record: write " + path.string());
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) throw_errno("write lock record: fsync " + path.string());
}

[[noreturn]] void throw_busy(const std::filesystem::path& repository, LockMode wanted,
                             const std::optional<LockRecord>& record) {
  if (record && record->mode == "exclusive" && !holder_is_dead(*record)) {
    throw Error(ErrorKind::kLocked,
                fmt::format("repository {} is locked by pid {} on host {} since {} (exclusive)", repository.string(),
                            record->pid, record->host, utc_time(record->started_unix)));
  }
  if (wanted == LockMode::kExclusive) {
    throw Error(ErrorKind::kLocked,
                fmt::format("repository {} is locked by one or more readers (shared)", repository.string()));
  }
  // Only an exclusive holder blocks a reader; it has not written its record yet.
  throw Error(ErrorKind::kLocked, fmt::format("repository {} is locked by a writer that is just starting (exclusive)",
                                              repository.string()));
}

}  // namespace

std::unique_ptr<RepositoryLock> RepositoryLock::acquire(const std::filesystem::path& repository, LockMode mode,
                                                        const std::function<void(const std::string&)>& on_stale) {
  const auto path = lock_path(repository);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("lock repository " + repository.string() + ": open " + path.string());
  try {
    const int operation = (mode == LockMode::kExclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    int result;
    do {
      result = ::flock(fd, operation);
    } while (result != 0 && errno == EINTR);
    if (result != 0) {
      if (errno != EWOULDBLOCK) throw_errno("lock repository " + repository.string() + ": flock " + path.string());
      throw_busy(repository, mode, parse_record(read_text(fd)));
    }
    // We hold the flock, so any record left in the file belongs to a holder
    // that ended without releasing (killed, power loss).
    const std::string leftover = read_text(fd);
    if (leftover.find_first_not_of(" \t\r\n") != std::string::npos) {
      const auto record = parse_record(leftover);
      std::string message;
      if (record && holder_is_dead(*record)) {
        message = fmt::format(
            "repository {}: taking over a stale lock left by pid {} on host {} since {}, which no "
            "longer runs (record \"{}\")",
            repository.string(), record->pid, record->host, utc_time(record->started_unix), describe(*record));
      } else {
        message = fmt::format("repository {}: taking over a lock record that no running holder backs (record \"{}\")",
                              repository.string(), leftover.substr(0, leftover.find('\n')));
      }
      if (on_stale) {
        on_stale(message);
      } else {
        std::cerr << message << "\n";
      }
      if (mode == LockMode::kShared) write_record(fd, path, "");  // no exclusive holder can be writing it now
    }
    if (mode == LockMode::kExclusive) {
      const auto now = static_cast<long long>(std::time(nullptr));
      write_record(fd, path, fmt::format("host={} pid={} started={} mode=exclusive\n", this_host(), ::getpid(), now));
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  return std::unique_ptr<RepositoryLock>(new RepositoryLock(fd, mode));
}

RepositoryLock::~RepositoryLock() {
  // Clearing first: once the flock goes, a new holder may write its own record.
  if (mode_ == LockMode::kExclusive && ::ftruncate(fd_, 0) == 0) ::fsync(fd_);
  ::close(fd_);
}

std::optional<LockRecord> RepositoryLock::read_record(const std::filesystem::path& repository) {
  const auto path = lock_path(repository);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_errno("read lock record " + path.string());
  }
  const std::string text = read_text(fd);
  ::close(fd);
  return parse_record(text);
}

}  // namespace certvault
