// ObjectStore on a local folder: each object is a file under the root.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "certvault/archive/error.h"
#include "certvault/archive/hex.h"
#include "certvault/archive/object_store.h"
#include "local_object_store_files.h"

namespace certvault {
namespace {

namespace fs = std::filesystem;

// Large enough that pack writing (a 48-byte header, then a chunk) costs few
// system calls, small enough to be irrelevant next to the chunk buffers.
constexpr size_t kWriteBufferSize = 1 << 20;

class LocalObjectWriter final : public ObjectWriter {
 public:
  LocalObjectWriter(std::string name, fs::path final_path, std::vector<fs::path> created_folders)
      : name_(std::move(name)), final_path_(std::move(final_path)), created_folders_(std::move(created_folders)) {
    uint8_t random[8];
    fill_random(random);
    temp_path_ = final_path_.parent_path() /
                 (std::string(local_files::kTempPrefix) + to_hex(random) + "-" + final_path_.filename().string());
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_errno(fmt::format("create object {}: open {}", name_, temp_path_.string()));
    buffer_.reserve(kWriteBufferSize);
  }

  ~LocalObjectWriter() override {
    if (fd_ >= 0) {
      ::close(fd_);
      if (!committed_ && !abandoned_) ::unlink(temp_path_.c_str());
    }
  }

  void append(std::span<const uint8_t> bytes) override {
    require_open("append to");
    if (buffer_.size() + bytes.size() > kWriteBufferSize) flush();
    if (bytes.size() >= kWriteBufferSize) {
      write_all(bytes);
    } else {
      buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    }
    size_ += bytes.size();
  }

  uint64_t size() const override { return size_; }

  void commit() override {
    require_open("commit");
    flush();
    if (::fsync(fd_) != 0) throw_errno(fmt::format("commit object {}: fsync {}", name_, temp_path_.string()));
    if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
      throw_errno(fmt::format("commit object {}: rename {} to {}", name_, temp_path_.string(), final_path_.string()));
    }
    committed_ = true;
    ::close(fd_);
    fd_ = -1;
    local_files::fsync_folder(final_path_.parent_path(), "commit object " + name_);
    // A folder made for this object is durable only once its own parent is.
    for (const auto& folder : created_folders_) {
      local_files::fsync_folder(folder.parent_path(), "commit object " + name_);
    }
  }

  void abandon() override {
    abandoned_ = true;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  void require_open(const char* operation) const {
    if (fd_ < 0) {
      throw Error(ErrorKind::kUsage, fmt::format("cannot {} object {}: its writer is already {}", operation, name_,
                                                 committed_ ? "committed" : "abandoned"));
    }
  }

  void flush() {
    write_all(buffer_);
    buffer_.clear();
  }

  void write_all(std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno(fmt::format("write object {}: write {} at offset {}", name_, temp_path_.string(), written_));
      }
      bytes = bytes.subspan(static_cast<size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
  }

  std::string name_;
  fs::path final_path_;
  fs::path temp_path_;
  std::vector<fs::path> created_folders_;
  std::vector<uint8_t> buffer_;
  uint64_t size_ = 0;
  uint64_t written_ = 0;
  int fd_ = -1;
  bool committed_ = false;
  bool abandoned_ = false;
};

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(fs::path root) : root_(std::move(root)) {
    struct stat st {};
    if (::stat(root_.c_str(), &st) != 0) throw_errno("open object store " + root_.string());
    if (!S_ISDIR(st.st_mode)) {
      throw Error(ErrorKind::kFailure, fmt::format("open object store {}: not a folder", root_.string()));
    }
  }

  std::unique_ptr<ObjectWriter> create(const std::string& name) override {
    validate_object_name(name);
    const fs::path final_path = root_ / name;
    std::vector<fs::path> created;
    for (fs::path folder = final_path.parent_path(); folder != root_; folder = folder.parent_path()) {
      struct stat st {};
      if (::stat(folder.c_str(), &st) == 0) break;
      created.push_back(folder);
    }
    std::reverse(created.begin(), created.end());  // outermost first
    for (const auto& folder : created) {
      if (::mkdir(folder.c_str(), 0755) != 0 && errno != EEXIST) {
        throw_errno(fmt::format("create object {}: mkdir {}", name, folder.string()));
      }
    }
    return std::make_unique<LocalObjectWriter>(name, final_path, std::move(created));
  }

  std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const override {
    validate_object_name(name);
    const fs::path path = root_ / name;
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw_errno(fmt::format("read object {}: open {}", name, path.string()));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno(fmt::format("read object {}: fstat {}", name, path.string()));
    const auto file_size = static_cast<uint64_t>(st.st_size);
    // Checked before allocating, so a corrupt size never becomes a huge buffer.
    if (offset > file_size || length > file_size - offset) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("read object {}: {} bytes at offset {} lie beyond its end ({} bytes)", name, length,
                              offset, file_size));
    }
    std::vector<uint8_t> bytes(length);
    uint64_t done = 0;
    while (done < length) {
      const ssize_t n = ::pread(fd.get(), bytes.data() + done, length - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno(fmt::format("read object {}: pread {} at offset {}", name, path.string(), offset + done));
      }
      if (n == 0) {
        throw Error(ErrorKind::kIntegrity, fmt::format("read object {}: short read at offset {} ({} of {} bytes)", name,
                                                       offset + done, done, length));
      }
      done += static_cast<uint64_t>(n);
    }
    return bytes;
  }

  uint64_t size(const std::string& name) const override {
    validate_object_name(name);
    const fs::path path = root_ / name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw_errno(fmt::format("size of object {}: stat {}", name, path.string()));
    if (!S_ISREG(st.st_mode)) {
      throw Error(ErrorKind::kFailure, fmt::format("size of object {}: {} is not a file", name, path.string()));
    }
    return static_cast<uint64_t>(st.st_size);
  }

  bool exists(const std::string& name) const override {
    validate_object_name(name);
    struct stat st {};
    return ::stat((root_ / name).c_str(), &st) == 0 && S_ISREG(st.st_mode);
  }

  std::vector<std::string> list(const std::string& prefix) const override {
    std::vector<std::string> names;
    // Walk only the folder the prefix names, not the whole repository.
    const auto slash = prefix.rfind('/');
    fs::path start = root_;
    if (slash != std::string::npos) {
      try {
        validate_object_name(prefix.substr(0, slash));
      } catch (const Error&) {
        return names;  // no valid object name starts with it; never walk outside the root
      }
      start = root_ / prefix.substr(0, slash);
    }
    std::error_code ec;
    if (!fs::is_directory(start, ec)) return names;
    for (const auto& path : local_files::regular_files_under(start, "list objects under " + prefix)) {
      if (local_files::is_temporary(path)) continue;
      std::string name = path.lexically_relative(root_).generic_string();
      if (name.compare(0, prefix.size(), prefix) == 0) names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  void remove(const std::string& name) override {
    validate_object_name(name);
    const fs::path path = root_ / name;
    if (::unlink(path.c_str()) != 0) throw_errno(fmt::format("remove object {}: unlink {}", name, path.string()));
    local_files::fsync_folder(path.parent_path(), "remove object " + name);
  }

  size_t remove_temporaries() override {
    size_t removed = 0;
    for (const auto& path : local_files::regular_files_under(root_, "remove temporary objects")) {
      if (!local_files::is_temporary(path)) continue;
      if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT) continue;  // another cleaner got there first
        throw_errno("remove temporary object " + path.string());
      }
      ++removed;
    }
    return removed;
  }

 private:
  fs::path root_;
};

}  // namespace

std::unique_ptr<ObjectStore> open_local_object_store(const std::filesystem::path& root) {
  return std::make_unique<LocalObjectStore>(root);
}

}  // namespace certvault
