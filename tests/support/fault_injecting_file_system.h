// A file system that fails on purpose (tests only): it passes every call to
// `inner` and injects the planned faults.
//
// A fault counts the calls it applies to — those of the kinds it names (by
// default: every call for kIoError, writes for kNoSpace, reads for kShortRead
// and kFlippedByte) on a path containing `path_contains` — and fires at the
// `at`-th one (1-based), or at every one when `at` is 0:
// - kIoError: the call throws Error as the system would ("Input/output error
//   (errno 5)"), after doing nothing;
// - kNoSpace: a write stores its first half, then throws "No space left on
//   device (errno 28)"; on other calls it throws without doing anything;
// - kShortRead: a read returns half the bytes asked for, although more are
//   there (the contract allows fewer only at the end: readers must notice);
// - kFlippedByte: a read succeeds with one bit of its middle byte flipped.
// Every fault that fired is listed by injected(). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "certvault/base/file_system.h"

namespace certvault_test {

enum class FaultKind { kIoError, kNoSpace, kShortRead, kFlippedByte };

enum class Call {
  kOpen,
  kRead,
  kWrite,
  kSize,
  kTruncate,
  kSync,
  kClose,
  kLock,
  kRename,
  kRemoveFile,
  kCreateFolder,
  kRemoveFolder,
  kSyncFolder,
  kListFolder,
  kStatus,
  kMakePrivate,
};

struct Fault {
  FaultKind kind = FaultKind::kIoError;
  uint64_t at = 1;            // the at-th counted call; 0: every counted call
  std::set<Call> calls;       // empty: the kind's own calls (see above)
  std::string path_contains;  // empty: any path
};

class FaultInjectingFileSystem final : public certvault::os::FileSystem {
 public:
  explicit FaultInjectingFileSystem(certvault::os::FileSystem& inner = certvault::os::os_file_system());

  void add(Fault fault);
  // Calls counted by each fault so far (in the order they were added).
  std::vector<uint64_t> counted() const;
  // "kind call path", one line per fault that fired.
  std::vector<std::string> injected() const;

  // A nearly full disk: from now on `free_bytes` are left for every file this file system
  // writes. A write that would grow files beyond it writes nothing and throws "No space left
  // on device (errno 28)"; removing, truncating or replacing a file gives its bytes back;
  // free_space() reports what is left.
  void limit_space(uint64_t free_bytes);
  std::optional<uint64_t> space_left() const;

  void rename(const std::filesystem::path& from, const std::filesystem::path& to,
              const std::string& operation) override;
  void remove_file(const std::filesystem::path& path, const std::string& operation, bool missing_ok) override;
  void create_folder(const std::filesystem::path& path, const std::string& operation) override;
  void remove_folder(const std::filesystem::path& path, const std::string& operation) override;
  void sync_folder(const std::filesystem::path& path, const std::string& operation) override;
  std::vector<certvault::os::FolderEntry> list_folder(const std::filesystem::path& path,
                                                      const std::string& operation) override;
  std::optional<certvault::os::FileStatus> status(const std::filesystem::path& path, bool follow_symlinks) override;
  void make_private(const std::filesystem::path& path, const std::string& operation) override;
  std::optional<uint64_t> free_space(const std::filesystem::path& path) override;

 protected:
  std::unique_ptr<certvault::os::OpenFile> open_file(const std::filesystem::path& path, certvault::os::OpenFor mode,
                                                     const std::string& operation, std::string* failure) override;

 private:
  friend class FaultInjectingFile;
  // The fault that fires on this call, if one does (counts the call for every matching fault).
  std::optional<Fault> fire(Call call, const std::filesystem::path& path);
  // Throws the error the system would report for `fault`.
  [[noreturn]] void fail(const Fault& fault, const std::string& operation, const std::string& what) const;

  // With a space limit: takes `growth` bytes of it, or throws as a full disk would.
  void take_space(uint64_t growth, const std::string& operation, const std::string& what);
  void give_space(uint64_t bytes);
  // The size of the file at `path`, 0 when there is none.
  uint64_t size_of(const std::filesystem::path& path);

  certvault::os::FileSystem& inner_;
  std::optional<uint64_t> space_left_;
  mutable std::mutex mutex_;
  std::vector<Fault> faults_;
  std::vector<uint64_t> counted_;
  std::vector<std::string> injected_;
};

}  // namespace certvault_test
