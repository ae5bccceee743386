// file_system.h on POSIX systems: open(2), pread/pwrite, fsync, rename(2),
// fsync of the folder, flock(2) for the repository lock and open file
// description locks (F_OFD_SETLK) for SQLite's byte ranges.
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "certvault/base/error.h"
#include "certvault/base/file_system.h"
#include "certvault/base/os_file.h"

namespace certvault::os {
namespace {

// Everything certvault creates is for its owner alone: a repository, its
// cache and an export hold a CA's database.
constexpr mode_t kPrivateFileMode = 0600;
constexpr mode_t kPrivateFolderMode = 0700;

int open_flags(OpenFor mode) {
  switch (mode) {
    case OpenFor::kRead:
      return O_RDONLY;
    case OpenFor::kReadNoFollow:
      return O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
    case OpenFor::kReadWrite:
      return O_RDWR;
    case OpenFor::kCreateNew:
      return O_RDWR | O_CREAT | O_EXCL;
    case OpenFor::kCreateOrTruncate:
      return O_RDWR | O_CREAT | O_TRUNC;
    case OpenFor::kReadWriteCreate:
      return O_RDWR | O_CREAT;
    case OpenFor::kReadWriteCreateNoFollow:
      return O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK;
  }
  return O_RDONLY;
}

int open_retrying(const std::filesystem::path& path, int flags) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags, kPrivateFileMode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

// Gives a file or folder certvault just created exactly `mode`, whatever the
// umask took away. A file system without POSIX modes (vfat, a CIFS mount)
// refuses the change; its files keep what the mount gives them. False with
// errno on any other failure.
bool set_private_mode(int fd, mode_t mode) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  if ((st.st_mode & 07777) == mode) return true;
  if (::fchmod(fd, mode) == 0) return true;
  return errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == EROFS;
}

EntryType type_of(mode_t mode) {
  if (S_ISREG(mode)) return EntryType::kFile;
  if (S_ISDIR(mode)) return EntryType::kFolder;
  if (S_ISLNK(mode)) return EntryType::kSymlink;
  return EntryType::kOther;
}

class PosixFile final : public OpenFile {
 public:
  PosixFile(int fd, std::filesystem::path path, std::string operation)
      : fd_(fd), path_(std::move(path)), operation_(std::move(operation)) {}
  ~PosixFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  const std::filesystem::path& path() const override { return path_; }

  size_t read_at(uint64_t offset, std::span<uint8_t> bytes) override {
    require_open("pread");
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pread(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(fmt::format("pread {} at offset {}", display(path_), offset + done));
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

  void write_at(uint64_t offset, std::span<const uint8_t> bytes) override {
    require_open("pwrite");
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(fmt::format("pwrite {} at offset {}", display(path_), offset + done));
      }
      done += static_cast<size_t>(n);
    }
  }

  uint64_t size() override {
    require_open("fstat");
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail(fmt::format("fstat {}", display(path_)));
    return static_cast<uint64_t>(st.st_size);
  }

  void truncate(uint64_t size) override {
    require_open("ftruncate");
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      fail(fmt::format("truncate {} to {} bytes", display(path_), size));
    }
  }

  void sync() override {
    require_open("fsync");
    if (::fsync(fd_) != 0) fail(fmt::format("fsync {}", display(path_)));
  }

  void close() override {
    require_open("close");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail(fmt::format("close {}", display(path_)));
  }

  bool try_lock_file(LockKind kind) override {
    require_open("flock");
    const int operation = (kind == LockKind::kExclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    int result;
    do {
      result = ::flock(fd_, operation);
    } while (result != 0 && errno == EINTR);
    if (result == 0) return true;
    if (errno != EWOULDBLOCK) fail(fmt::format("flock {}", display(path_)));
    return false;
  }

  bool try_lock_range(uint64_t offset, uint64_t length, LockKind kind) override {
    require_open("fcntl(F_OFD_SETLK)");
    if (set_range_lock(offset, length, kind == LockKind::kExclusive ? F_WRLCK : F_RDLCK)) return true;
    if (errno != EAGAIN && errno != EACCES) {
      fail(fmt::format("lock {} bytes at offset {} of {} (fcntl F_OFD_SETLK)", length, offset, display(path_)));
    }
    return false;
  }

  void unlock_range(uint64_t offset, uint64_t length) override {
    require_open("fcntl(F_OFD_SETLK)");
    if (!set_range_lock(offset, length, F_UNLCK)) {
      fail(fmt::format("unlock {} bytes at offset {} of {} (fcntl F_OFD_SETLK)", length, offset, display(path_)));
    }
  }

  FileIdentity identity() override {
    require_open("fstat");
    struct stat st {};
    if (::fstat(fd_, &st) != 0) fail(fmt::format("fstat {}", display(path_)));
    return FileIdentity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), type_of(st.st_mode),
                        static_cast<uint64_t>(st.st_nlink)};
  }

 private:
  bool set_range_lock(uint64_t offset, uint64_t length, short type) {
    struct flock lock {};
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = static_cast<off_t>(offset);
    lock.l_len = static_cast<off_t>(length);
    lock.l_pid = 0;  // required by open file description locks
    int result;
    do {
      result = ::fcntl(fd_, F_OFD_SETLK, &lock);
    } while (result != 0 && errno == EINTR);
    return result == 0;
  }

  void require_open(const char* call) const {
    if (fd_ < 0) {
      throw Error(ErrorKind::kFailure,
                  fmt::format("{}: {} {}: the file is already closed", operation_, call, display(path_)));
    }
  }

  [[noreturn]] void fail(const std::string& what) const { throw_errno(fmt::format("{}: {}", operation_, what)); }

  int fd_;
  std::filesystem::path path_;
  std::string operation_;
};

class PosixFileSystem final : public FileSystem {
 public:
  void rename(const std::filesystem::path& from, const std::filesystem::path& to,
              const std::string& operation) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      throw_errno(fmt::format("{}: rename {} to {}", operation, display(from), display(to)));
    }
  }

  void remove_file(const std::filesystem::path& path, const std::string& operation, bool missing_ok) override {
    if (::unlink(path.c_str()) != 0 && !(missing_ok && errno == ENOENT)) {
      throw_errno(fmt::format("{}: unlink {}", operation, display(path)));
    }
  }

  void create_folder(const std::filesystem::path& path, const std::string& operation) override {
    if (::mkdir(path.c_str(), kPrivateFolderMode) == 0) {
      const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      const bool done = fd >= 0 && set_private_mode(fd, kPrivateFolderMode);
      const int saved = errno;
      if (fd >= 0) ::close(fd);
      errno = saved;
      if (!done) throw_errno(fmt::format("{}: chmod 0700 {}", operation, display(path)));
      return;
    }
    const int saved = errno;
    struct stat st {};
    if (saved == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
    errno = saved;
    throw_errno(fmt::format("{}: mkdir {}", operation, display(path)));
  }

  void remove_folder(const std::filesystem::path& path, const std::string& operation) override {
    if (::rmdir(path.c_str()) != 0) throw_errno(fmt::format("{}: rmdir {}", operation, display(path)));
  }

  void sync_folder(const std::filesystem::path& path, const std::string& operation) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno(fmt::format("{}: open folder {} to fsync it", operation, display(path)));
    const int result = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (result != 0) throw_errno(fmt::format("{}: fsync folder {}", operation, display(path)));
  }

  std::vector<FolderEntry> list_folder(const std::filesystem::path& path, const std::string& operation) override {
    DIR* folder = ::opendir(path.c_str());
    if (folder == nullptr) throw_errno(fmt::format("{}: opendir {}", operation, display(path)));
    std::vector<FolderEntry> entries;
    for (;;) {
      errno = 0;
      const dirent* entry = ::readdir(folder);
      if (entry == nullptr) break;
      const std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      struct stat st {};
      EntryType type = EntryType::kOther;
      if (::fstatat(::dirfd(folder), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        type = type_of(st.st_mode);
      } else if (errno != ENOENT) {  // ENOENT: removed since readdir; report it as something else
        const int saved = errno;
        ::closedir(folder);
        errno = saved;
        throw_errno(fmt::format("{}: stat {}", operation, display(path / std::string(name))));
      }
      entries.push_back({std::filesystem::path(std::string(name)), type});
    }
    const int saved = errno;
    ::closedir(folder);
    if (saved != 0) {
      errno = saved;
      throw_errno(fmt::format("{}: readdir {}", operation, display(path)));
    }
    return entries;
  }

  std::optional<uint64_t> free_space(const std::filesystem::path& path) override {
    struct statvfs volume {};
    if (::statvfs(path.c_str(), &volume) != 0) return std::nullopt;
    return static_cast<uint64_t>(volume.f_bavail) * static_cast<uint64_t>(volume.f_frsize);
  }

  std::optional<FileStatus> status(const std::filesystem::path& path, bool follow_symlinks) override {
    struct stat st {};
    const int result = follow_symlinks ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (result != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
      throw_errno(fmt::format("stat {}", display(path)));
    }
    const EntryType type = type_of(st.st_mode);
    return FileStatus{type, type == EntryType::kFile ? static_cast<uint64_t>(st.st_size) : 0,
                      static_cast<uint32_t>(st.st_mode & 07777)};
  }

  void make_private(const std::filesystem::path& path, const std::string& operation) override {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw_errno(fmt::format("{}: stat {}", operation, display(path)));
    if (S_ISLNK(st.st_mode)) return;  // chmod would follow it; a symlink's own mode means nothing
    const mode_t wanted = S_ISDIR(st.st_mode) ? kPrivateFolderMode : kPrivateFileMode;
    if ((st.st_mode & 07777) == wanted) return;
    if (::chmod(path.c_str(), wanted) != 0) {
      throw_errno(fmt::format("{}: chmod {:04o} {}", operation, static_cast<unsigned>(wanted), display(path)));
    }
  }

 protected:
  std::unique_ptr<OpenFile> open_file(const std::filesystem::path& path, OpenFor mode, const std::string& operation,
                                      std::string* failure) override {
    const int flags = open_flags(mode) | O_CLOEXEC;
    bool created = false;
    int fd = -1;
    if ((flags & O_CREAT) != 0 && (flags & O_EXCL) == 0) {
      // Create first, to know whether this open made the file: only a file certvault created gets
      // its mode set, never one it found.
      for (;;) {
        fd = open_retrying(path, flags | O_EXCL);
        if (fd >= 0) {
          created = true;
          break;
        }
        if (errno != EEXIST) break;
        fd = open_retrying(path, flags & ~O_CREAT);
        if (fd >= 0 || errno != ENOENT) break;  // ENOENT: removed between the two opens; create it
      }
    } else {
      fd = open_retrying(path, flags);
      created = fd >= 0 && (flags & O_CREAT) != 0;
    }
    if (fd >= 0 && created && !set_private_mode(fd, kPrivateFileMode)) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      if (failure == nullptr) throw_errno(fmt::format("{}: chmod 0600 {}", operation, display(path)));
      *failure = std::strerror(errno);
      return nullptr;
    }
    if (fd < 0) {
      if (failure == nullptr) throw_errno(fmt::format("{}: open {}", operation, display(path)));
      *failure = std::strerror(errno);
      return nullptr;
    }
    return std::make_unique<PosixFile>(fd, path, operation);
  }
};

}  // namespace

FileSystem& os_file_system() {
  static PosixFileSystem file_system;
  return file_system;
}

}  // namespace certvault::os
