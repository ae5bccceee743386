// fault_injecting_file_system.h: faults planned by call and path.
#include "fault_injecting_file_system.h"

#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"

namespace certvault_test {

namespace os = certvault::os;
namespace fs = std::filesystem;

namespace {

bool applies_by_default(FaultKind kind, Call call) {
  switch (kind) {
    case FaultKind::kIoError:
      return true;
    case FaultKind::kNoSpace:
      return call == Call::kWrite;
    case FaultKind::kShortRead:
    case FaultKind::kFlippedByte:
      return call == Call::kRead;
  }
  return false;
}

const char* name_of(FaultKind kind) {
  switch (kind) {
    case FaultKind::kIoError:
      return "I/O error";
    case FaultKind::kNoSpace:
      return "no space";
    case FaultKind::kShortRead:
      return "short read";
    case FaultKind::kFlippedByte:
      return "flipped byte";
  }
  return "fault";
}

}  // namespace

class FaultInjectingFile final : public os::OpenFile {
 public:
  FaultInjectingFile(FaultInjectingFileSystem& owner, std::unique_ptr<os::OpenFile> inner, std::string operation)
      : owner_(owner), inner_(std::move(inner)), operation_(std::move(operation)) {}

  const fs::path& path() const override { return inner_->path(); }

  size_t read_at(uint64_t offset, std::span<uint8_t> bytes) override {
    const auto fault = owner_.fire(Call::kRead, path());
    if (!fault) return inner_->read_at(offset, bytes);
    switch (fault->kind) {
      case FaultKind::kShortRead:
        return inner_->read_at(offset, bytes.first(bytes.size() / 2));
      case FaultKind::kFlippedByte: {
        const size_t got = inner_->read_at(offset, bytes);
        if (got > 0) bytes[got / 2] ^= 0x01;
        return got;
      }
      default:
        owner_.fail(*fault, operation_, fmt::format("pread {} at offset {}", os::display(path()), offset));
    }
  }
  void write_at(uint64_t offset, std::span<const uint8_t> bytes) override {
    if (const auto fault = owner_.fire(Call::kWrite, path())) {
      // A disk that fills up mid-write keeps what it took.
      if (fault->kind == FaultKind::kNoSpace) inner_->write_at(offset, bytes.first(bytes.size() / 2));
      owner_.fail(*fault, operation_, fmt::format("pwrite {} at offset {}", os::display(path()), offset));
    }
    if (owner_.space_left()) {
      const uint64_t before = inner_->size();
      const uint64_t end = offset + bytes.size();
      if (end > before) {
        owner_.take_space(end - before, operation_, fmt::format("pwrite {} at offset {}", os::display(path()), offset));
      }
    }
    inner_->write_at(offset, bytes);
  }
  uint64_t size() override {
    if (const auto fault = owner_.fire(Call::kSize, path())) {
      owner_.fail(*fault, operation_, "fstat " + os::display(path()));
    }
    return inner_->size();
  }
  void truncate(uint64_t size) override {
    if (const auto fault = owner_.fire(Call::kTruncate, path())) {
      owner_.fail(*fault, operation_, fmt::format("truncate {} to {} bytes", os::display(path()), size));
    }
    if (owner_.space_left()) {
      const uint64_t before = inner_->size();
      if (size > before) owner_.take_space(size - before, operation_, "truncate " + os::display(path()));
      if (size < before) owner_.give_space(before - size);
    }
    inner_->truncate(size);
  }
  void sync() override {
    if (const auto fault = owner_.fire(Call::kSync, path())) {
      owner_.fail(*fault, operation_, "fsync " + os::display(path()));
    }
    inner_->sync();
  }
  void close() override {
    if (const auto fault = owner_.fire(Call::kClose, path())) {
      inner_->close();  // a failing close(2) still releases the descriptor
      owner_.fail(*fault, operation_, "close " + os::display(path()));
    }
    inner_->close();
  }
  bool try_lock_file(os::LockKind kind) override {
    if (const auto fault = owner_.fire(Call::kLock, path())) {
      owner_.fail(*fault, operation_, "flock " + os::display(path()));
    }
    return inner_->try_lock_file(kind);
  }
  bool try_lock_range(uint64_t offset, uint64_t length, os::LockKind kind) override {
    if (const auto fault = owner_.fire(Call::kLock, path())) {
      owner_.fail(*fault, operation_, "lock a range of " + os::display(path()));
    }
    return inner_->try_lock_range(offset, length, kind);
  }
  void unlock_range(uint64_t offset, uint64_t length) override {
    if (const auto fault = owner_.fire(Call::kLock, path())) {
      owner_.fail(*fault, operation_, "unlock a range of " + os::display(path()));
    }
    inner_->unlock_range(offset, length);
  }
  os::FileIdentity identity() override { return inner_->identity(); }

 private:
  FaultInjectingFileSystem& owner_;
  std::unique_ptr<os::OpenFile> inner_;
  std::string operation_;
};

FaultInjectingFileSystem::FaultInjectingFileSystem(os::FileSystem& inner) : inner_(inner) {}

void FaultInjectingFileSystem::add(Fault fault) {
  const std::lock_guard lock(mutex_);
  faults_.push_back(std::move(fault));
  counted_.push_back(0);
}

std::vector<uint64_t> FaultInjectingFileSystem::counted() const {
  const std::lock_guard lock(mutex_);
  return counted_;
}

std::vector<std::string> FaultInjectingFileSystem::injected() const {
  const std::lock_guard lock(mutex_);
  return injected_;
}

std::optional<Fault> FaultInjectingFileSystem::fire(Call call, const fs::path& path) {
  const std::lock_guard lock(mutex_);
  std::optional<Fault> firing;
  const std::string text = os::display(path);
  for (size_t i = 0; i < faults_.size(); ++i) {
    const auto& fault = faults_[i];
    const bool kind_of_call = fault.calls.empty() ? applies_by_default(fault.kind, call) : fault.calls.contains(call);
    if (!kind_of_call || text.find(fault.path_contains) == std::string::npos) continue;
    const uint64_t number = ++counted_[i];
    if (!firing && (fault.at == 0 || fault.at == number)) {
      firing = fault;
      injected_.push_back(fmt::format("{} on call {} at {}", name_of(fault.kind), number, text));
    }
  }
  return firing;
}

void FaultInjectingFileSystem::fail(const Fault& fault, const std::string& operation, const std::string& what) const {
  const bool full = fault.kind == FaultKind::kNoSpace;
  throw certvault::Error(certvault::ErrorKind::kFailure,
                         fmt::format("{}: {}: {} (errno {}, injected by the test)", operation, what,
                                     full ? "No space left on device" : "Input/output error", full ? 28 : 5));
}

std::unique_ptr<os::OpenFile> FaultInjectingFileSystem::open_file(const fs::path& path, os::OpenFor mode,
                                                                  const std::string& operation, std::string* failure) {
  if (const auto fault = fire(Call::kOpen, path)) fail(*fault, operation, "open " + os::display(path));
  auto file =
      failure != nullptr ? inner_.try_open(path, mode, operation, *failure) : inner_.open(path, mode, operation);
  if (!file) return nullptr;
  return std::make_unique<FaultInjectingFile>(*this, std::move(file), operation);
}

void FaultInjectingFileSystem::limit_space(uint64_t free_bytes) {
  const std::lock_guard lock(mutex_);
  space_left_ = free_bytes;
}

std::optional<uint64_t> FaultInjectingFileSystem::space_left() const {
  const std::lock_guard lock(mutex_);
  return space_left_;
}

void FaultInjectingFileSystem::take_space(uint64_t growth, const std::string& operation, const std::string& what) {
  const std::lock_guard lock(mutex_);
  if (!space_left_) return;
  if (growth > *space_left_) {
    injected_.push_back(fmt::format("no space ({} bytes asked, {} left) at {}", growth, *space_left_, what));
    throw certvault::Error(
        certvault::ErrorKind::kFailure,
        fmt::format("{}: {}: No space left on device (errno 28, the test's nearly full disk)", operation, what));
  }
  *space_left_ -= growth;
}

void FaultInjectingFileSystem::give_space(uint64_t bytes) {
  const std::lock_guard lock(mutex_);
  if (space_left_) *space_left_ += bytes;
}

uint64_t FaultInjectingFileSystem::size_of(const fs::path& path) {
  const auto status = inner_.status(path, false);
  return status && status->type == os::EntryType::kFile ? status->size : 0;
}

std::optional<uint64_t> FaultInjectingFileSystem::free_space(const fs::path& path) {
  if (const auto left = space_left()) return left;
  return inner_.free_space(path);
}

void FaultInjectingFileSystem::rename(const fs::path& from, const fs::path& to, const std::string& operation) {
  if (const auto fault = fire(Call::kRename, to)) {
    fail(*fault, operation, "rename " + os::display(from) + " to " + os::display(to));
  }
  const uint64_t replaced = space_left() && from != to ? size_of(to) : 0;
  inner_.rename(from, to, operation);
  give_space(replaced);
}

void FaultInjectingFileSystem::remove_file(const fs::path& path, const std::string& operation, bool missing_ok) {
  if (const auto fault = fire(Call::kRemoveFile, path)) fail(*fault, operation, "unlink " + os::display(path));
  const uint64_t size = space_left() ? size_of(path) : 0;
  inner_.remove_file(path, operation, missing_ok);
  give_space(size);
}

void FaultInjectingFileSystem::create_folder(const fs::path& path, const std::string& operation) {
  if (const auto fault = fire(Call::kCreateFolder, path)) fail(*fault, operation, "mkdir " + os::display(path));
  inner_.create_folder(path, operation);
}

void FaultInjectingFileSystem::remove_folder(const fs::path& path, const std::string& operation) {
  if (const auto fault = fire(Call::kRemoveFolder, path)) fail(*fault, operation, "rmdir " + os::display(path));
  inner_.remove_folder(path, operation);
}

void FaultInjectingFileSystem::sync_folder(const fs::path& path, const std::string& operation) {
  if (const auto fault = fire(Call::kSyncFolder, path)) fail(*fault, operation, "fsync folder " + os::display(path));
  inner_.sync_folder(path, operation);
}

std::vector<os::FolderEntry> FaultInjectingFileSystem::list_folder(const fs::path& path, const std::string& operation) {
  if (const auto fault = fire(Call::kListFolder, path)) fail(*fault, operation, "opendir " + os::display(path));
  return inner_.list_folder(path, operation);
}

std::optional<os::FileStatus> FaultInjectingFileSystem::status(const fs::path& path, bool follow_symlinks) {
  if (const auto fault = fire(Call::kStatus, path)) fail(*fault, "status", "stat " + os::display(path));
  return inner_.status(path, follow_symlinks);
}

void FaultInjectingFileSystem::make_private(const fs::path& path, const std::string& operation) {
  if (const auto fault = fire(Call::kMakePrivate, path)) fail(*fault, operation, "chmod " + os::display(path));
  inner_.make_private(path, operation);
}

}  // namespace certvault_test
