// ObjectStore on a local folder: each object is a file under the root.
#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/os_file.h"
#include "certvault/repository/object_store.h"
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
    file_ = os::File(temp_path_, os::OpenFor::kCreateNew, "create object " + name_);
    buffer_.reserve(kWriteBufferSize);
  }

  ~LocalObjectWriter() override {
    if (file_.is_open()) {
      try {
        file_.close();
        if (!committed_ && !abandoned_) os::remove_file(temp_path_, "discard object " + name_, true);
      } catch (const Error&) {
        // Destructors never throw; a leftover temp file is removed by remove_temporaries().
      }
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
    file_.sync();
    // Closed before the rename: Windows cannot rename a file that is open for writing.
    file_.close();
    os::replace_file(temp_path_, final_path_, "commit object " + name_);
    committed_ = true;
    os::sync_folder(final_path_.parent_path(), "commit object " + name_);
    // A folder made for this object is durable only once its own parent is.
    for (const auto& folder : created_folders_) {
      os::sync_folder(folder.parent_path(), "commit object " + name_);
    }
  }

  void abandon() override {
    abandoned_ = true;
    try {
      if (file_.is_open()) file_.close();
    } catch (const Error&) {
      // Abandoned: its bytes no longer matter.
    }
  }

 private:
  void require_open(const char* operation) const {
    if (!file_.is_open() || committed_) {
      throw Error(ErrorKind::kInternal, fmt::format("cannot {} object {}: its writer is already {}", operation, name_,
                                                    committed_ ? "committed" : "abandoned"));
    }
  }

  void flush() {
    write_all(buffer_);
    buffer_.clear();
  }

  void write_all(std::span<const uint8_t> bytes) {
    try {
      file_.write_all(bytes);
    } catch (const Error& error) {
      throw Error(error.kind(), fmt::format("write object {} at offset {}: {}", name_, written_, error.what()));
    }
    written_ += bytes.size();
  }

  std::string name_;
  fs::path final_path_;
  fs::path temp_path_;
  std::vector<fs::path> created_folders_;
  std::vector<uint8_t> buffer_;
  uint64_t size_ = 0;
  uint64_t written_ = 0;
  os::File file_;
  bool committed_ = false;
  bool abandoned_ = false;
};

class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(fs::path root) : root_(std::move(root)) {
    std::error_code ec;
    const auto status = fs::status(root_, ec);
    if (ec) {
      throw Error(ErrorKind::kFailure, fmt::format("open object store {}: {}", root_.string(), ec.message()));
    }
    if (!fs::is_directory(status)) {
      throw Error(ErrorKind::kFailure, fmt::format("open object store {}: not a folder", root_.string()));
    }
  }

  std::unique_ptr<ObjectWriter> create(const std::string& name) override {
    validate_object_name(name);
    const fs::path final_path = root_ / name;
    std::vector<fs::path> created;
    for (fs::path folder = final_path.parent_path(); folder != root_; folder = folder.parent_path()) {
      std::error_code ec;
      if (fs::exists(folder, ec)) break;
      created.push_back(folder);
    }
    std::reverse(created.begin(), created.end());  // outermost first
    for (const auto& folder : created) {
      os::create_folder(folder, "create object " + name);
    }
    return std::make_unique<LocalObjectWriter>(name, final_path, std::move(created));
  }

  std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const override {
    validate_object_name(name);
    const fs::path path = root_ / name;
    os::File file(path, os::OpenFor::kRead, "read object " + name);
    const uint64_t file_size = file.size();
    // Checked before allocating, so a corrupt size never becomes a huge buffer.
    if (offset > file_size || length > file_size - offset) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("read object {}: {} bytes at offset {} lie beyond its end ({} bytes)", name, length,
                              offset, file_size));
    }
    std::vector<uint8_t> bytes(length);
    const uint64_t done = file.read_at(offset, bytes);
    if (done < length) {
      throw Error(ErrorKind::kIntegrity, fmt::format("read object {}: short read at offset {} ({} of {} bytes)", name,
                                                     offset + done, done, length));
    }
    return bytes;
  }

  uint64_t size(const std::string& name) const override {
    validate_object_name(name);
    const fs::path path = root_ / name;
    uint64_t size = 0;
    if (!os::regular_file_size(path, size)) {
      std::error_code ec;
      if (!fs::exists(path, ec)) {
        throw Error(ErrorKind::kFailure, fmt::format("size of object {}: {} does not exist", name, path.string()));
      }
      throw Error(ErrorKind::kFailure, fmt::format("size of object {}: {} is not a file", name, path.string()));
    }
    return size;
  }

  bool exists(const std::string& name) const override {
    validate_object_name(name);
    uint64_t size = 0;
    return os::regular_file_size(root_ / name, size);
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
    os::remove_file(path, "remove object " + name);
    os::sync_folder(path.parent_path(), "remove object " + name);
  }

  size_t remove_temporaries() override {
    size_t removed = 0;
    for (const auto& path : local_files::regular_files_under(root_, "remove temporary objects")) {
      if (!local_files::is_temporary(path)) continue;
      std::error_code ec;
      if (!fs::exists(path, ec)) continue;  // another cleaner got there first
      os::remove_file(path, "remove temporary object", true);
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
