// os_file.h: conveniences over the current file system (file_system.h).
#include "certvault/base/os_file.h"

#include <fmt/format.h>

#include "certvault/base/error.h"

namespace certvault::os {
namespace {

const std::filesystem::path kNoPath;

}  // namespace

File::File(const std::filesystem::path& path, OpenFor mode, const std::string& operation)
    : file_(file_system().open(path, mode, operation)) {}

bool File::try_open(const std::filesystem::path& path, OpenFor mode, const std::string& operation, File& file,
                    std::string& reason) {
  auto opened = file_system().try_open(path, mode, operation, reason);
  if (!opened) return false;
  file.file_ = std::move(opened);
  file.position_ = 0;
  return true;
}

const std::filesystem::path& File::path() const { return file_ ? file_->path() : kNoPath; }

OpenFile& File::handle() {
  if (!file_) throw Error(ErrorKind::kFailure, "os::File: no file is open");
  return *file_;
}

size_t File::read(std::span<uint8_t> bytes) {
  const size_t done = handle().read_at(position_, bytes);
  position_ += done;
  return done;
}

size_t File::read_at(uint64_t offset, std::span<uint8_t> bytes) { return handle().read_at(offset, bytes); }

void File::write_all(std::span<const uint8_t> bytes) {
  handle().write_at(position_, bytes);
  position_ += bytes.size();
}

uint64_t File::size() { return handle().size(); }

void File::truncate(uint64_t size) { handle().truncate(size); }

void File::sync() { handle().sync(); }

void File::close() {
  auto file = std::move(file_);
  if (file) file->close();
}

void replace_file(const std::filesystem::path& from, const std::filesystem::path& to, const std::string& operation) {
  file_system().rename(from, to, operation);
}

void remove_file(const std::filesystem::path& path, const std::string& operation, bool missing_ok) {
  file_system().remove_file(path, operation, missing_ok);
}

void create_folder(const std::filesystem::path& path, const std::string& operation) {
  file_system().create_folder(path, operation);
}

void sync_folder(const std::filesystem::path& folder, const std::string& operation) {
  file_system().sync_folder(folder, operation);
}

bool regular_file_size(const std::filesystem::path& path, uint64_t& size) {
  const auto status = file_system().status(path, true);
  if (!status || status->type != EntryType::kFile) return false;
  size = status->size;
  return true;
}

std::filesystem::path path_from_utf8(std::string_view text) {
  return std::filesystem::path(std::u8string(text.begin(), text.end()));
}

std::string display(const std::filesystem::path& path) {
  const std::u8string text = path.u8string();
  return std::string(text.begin(), text.end());
}

}  // namespace certvault::os
