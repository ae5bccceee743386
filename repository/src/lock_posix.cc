// RepositoryLock's system calls on POSIX: flock(2) and kill(pid, 0).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "certvault/base/error.h"
#include "lock_os.h"

namespace certvault::lock_os {

std::intptr_t open_lock_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("lock repository " + path.parent_path().string() + ": open " + path.string());
  return fd;
}

void close_lock_file(std::intptr_t handle) { ::close(static_cast<int>(handle)); }

bool try_lock(std::intptr_t handle, LockMode mode, const std::filesystem::path& path) {
  const int operation = (mode == LockMode::kExclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
  int result;
  do {
    result = ::flock(static_cast<int>(handle), operation);
  } while (result != 0 && errno == EINTR);
  if (result == 0) return true;
  if (errno != EWOULDBLOCK) throw_errno("lock repository " + path.parent_path().string() + ": flock " + path.string());
  return false;
}

std::string read_text(std::intptr_t handle) {
  std::string text;
  char buffer[512];
  off_t offset = 0;
  while (text.size() < 4096) {
    const ssize_t n = ::pread(static_cast<int>(handle), buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  return text;
}

void write_text(std::intptr_t handle, const std::filesystem::path& path, const std::string& text) {
  const int fd = static_cast<int>(handle);
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

std::string this_host() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

long this_process_id() { return static_cast<long>(::getpid()); }

bool process_is_gone(long pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

}  // namespace certvault::lock_os
