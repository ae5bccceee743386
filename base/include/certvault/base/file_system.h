// The file-system seam: every file operation that certvault's durability
// depends on goes through FileSystem (LevelDB's Env is the model) — object
// writes and reads, renames, folder syncs, the lock file, export and restore
// files, and SQLite (the catalog registers a VFS on top of it). The operating
// system's implementation lives in file_system_posix.cc / file_system_win32.cc;
// tests substitute their own (tests/support/: fault injection, power loss).
//
// Contract of every implementation:
// - Every failure throws certvault::Error(kFailure) whose message names the
//   operation the caller gave, the call, the path (and the offset where one
//   applies) and the system's reason (strerror and errno, or the Win32 message
//   and error number).
// - Durability: bytes written to a file are durable once sync() on it returns;
//   a create, rename or remove is durable once sync_folder() on the folder
//   holding the name returns (on Windows rename() itself is write-through and
//   sync_folder() has nothing left to do). Nothing else is promised: a power
//   cut may drop any write, create, rename or remove not yet made durable.
// - Paths are std::filesystem::path (UTF-16 on Windows, where long absolute
//   paths get the \\?\ prefix).
//
// Which file system is used: one process-wide current file system, the OS's
// unless a test installed another with ScopedFileSystem. Passing a FileSystem&
// explicitly would reach every constructor from the CLI down to the object
// store and SQLite, whose VFS callbacks receive no context of ours anyway; the
// code under test would also have to be trusted to pass it everywhere, while a
// process-wide seam catches every call. Tests install their file system before
// starting the work and remove it after all of it ended (worker threads
// included), so the current file system never changes under a running
// operation; an open file keeps using the file system that opened it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace certvault::os {

enum class OpenFor {
  kRead,                     // an existing file, read-only
  kReadNoFollow,             // as kRead, but a symlink (reparse point) is never followed (POSIX: the open
                             // fails, O_NOFOLLOW; Windows: the reparse point itself is opened) and the open
                             // never blocks (O_NONBLOCK: a FIFO cannot hang it); check identity().type
  kReadWrite,                // an existing file, read-write
  kCreateNew,                // a new file, read-write; fails if the name exists
  kCreateOrTruncate,         // read-write, emptied or created
  kReadWriteCreate,          // read-write, created if missing, never truncated
  kReadWriteCreateNoFollow,  // as kReadWriteCreate, but never following a symlink (reparse point)
                             // and never blocking, as kReadNoFollow: the repository lock
};

enum class LockKind { kShared, kExclusive };

enum class EntryType { kFile, kFolder, kSymlink, kOther };

struct FolderEntry {
  std::filesystem::path name;  // the entry's name alone, without its folder
  EntryType type = EntryType::kOther;
};

// What an open file is, from the open handle itself (fstat; GetFileInformationByHandle and
// GetFileType on Windows): which file it is, so a path can be checked to still name it, and
// what kind of file it is.
struct FileIdentity {
  uint64_t device = 0;                 // st_dev; the volume serial number on Windows
  uint64_t file = 0;                   // st_ino; the 64-bit file index on Windows
  EntryType type = EntryType::kOther;  // kSymlink only for a reparse point opened as itself
  uint64_t links = 0;                  // hard links to the file
  bool same_file(const FileIdentity& other) const { return device == other.device && file == other.file; }
};

struct FileStatus {
  EntryType type = EntryType::kOther;
  uint64_t size = 0;  // of a file; 0 otherwise
  // POSIX permission bits (07777) where the system has them; nullopt on
  // Windows, where access is an ACL.
  std::optional<uint32_t> posix_mode;
};

// An open file. Not thread-safe: one user at a time (different files may be
// used from different threads).
class OpenFile {
 public:
  virtual ~OpenFile() = default;  // closes without reporting errors; call close() to see them

  virtual const std::filesystem::path& path() const = 0;

  // Reads at `offset`; fewer bytes than asked only at the end of the file.
  virtual size_t read_at(uint64_t offset, std::span<uint8_t> bytes) = 0;
  // Writes all of `bytes` at `offset` (extending the file if needed).
  virtual void write_at(uint64_t offset, std::span<const uint8_t> bytes) = 0;
  virtual uint64_t size() = 0;
  virtual void truncate(uint64_t size) = 0;
  // Makes the file's contents and size durable (fsync / FlushFileBuffers).
  virtual void sync() = 0;
  // Closes the file; later calls are errors. Releases the file's locks.
  virtual void close() = 0;

  // The repository lock: a lock on the whole file, held until close() and
  // released by the system when the process dies (flock(2); LockFileEx on a
  // byte range far beyond any data on Windows). False when another open file
  // holds a conflicting lock.
  virtual bool try_lock_file(LockKind kind) = 0;
  // SQLite's locks: a byte-range lock owned by this open file, independent of
  // other open files of the same process (open file description locks,
  // F_OFD_SETLK; LockFileEx on Windows, where such ranges are also mandatory:
  // lock only bytes nobody reads or writes). False on a conflict.
  virtual bool try_lock_range(uint64_t offset, uint64_t length, LockKind kind) = 0;
  virtual void unlock_range(uint64_t offset, uint64_t length) = 0;
  // Which file this is and what kind (see FileIdentity).
  virtual FileIdentity identity() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens `path`; a failure throws Error naming `operation`.
  std::unique_ptr<OpenFile> open(const std::filesystem::path& path, OpenFor mode, const std::string& operation);
  // As open(), but a failure to open returns nullptr with the system's reason
  // alone in `reason` ("No such file or directory").
  std::unique_ptr<OpenFile> try_open(const std::filesystem::path& path, OpenFor mode, const std::string& operation,
                                     std::string& reason);

  // Renames `from` to `to`, replacing a file at `to` (a folder is renamed
  // only to a free name).
  virtual void rename(const std::filesystem::path& from, const std::filesystem::path& to,
                      const std::string& operation) = 0;
  // Removes a file; a missing file is an error unless `missing_ok`.
  virtual void remove_file(const std::filesystem::path& path, const std::string& operation, bool missing_ok) = 0;
  // Creates one folder; an existing folder is not an error.
  virtual void create_folder(const std::filesystem::path& path, const std::string& operation) = 0;
  // Removes an empty folder.
  virtual void remove_folder(const std::filesystem::path& path, const std::string& operation) = 0;
  // Makes the folder's entries (creates, renames, removes) durable.
  virtual void sync_folder(const std::filesystem::path& path, const std::string& operation) = 0;
  // The folder's entries, without "." and "..", in no particular order;
  // symlinks are reported as such, never followed.
  virtual std::vector<FolderEntry> list_folder(const std::filesystem::path& path, const std::string& operation) = 0;
  // What is at `path` (a symlink is followed when `follow_symlinks`, else
  // reported as kSymlink), or nothing when no such path exists.
  virtual std::optional<FileStatus> status(const std::filesystem::path& path, bool follow_symlinks) = 0;
  // Restricts an existing file or folder to its owner. POSIX: a file becomes
  // 0600, a folder 0700 (a symlink is left alone, never followed). Windows: a
  // folder gets a protected ACL granting SYSTEM, Administrators and Backup
  // Operators full control, inherited by everything created inside; a file
  // is left to inherit its folder's. Files and folders this seam creates are
  // already private on POSIX (0600/0700 whatever the umask, except on file
  // systems without POSIX modes, which keep their mount's).
  virtual void make_private(const std::filesystem::path& path, const std::string& operation) = 0;
  // Bytes this process may still write on the volume holding `path` (statvfs: f_bavail * f_frsize;
  // GetDiskFreeSpaceExW: the bytes free to the caller), or nothing when the system cannot tell.
  // Prune asks before each repack step, so that on a nearly full disk it stops before a write
  // could fail (a test file system simulates a nearly full disk through this call).
  virtual std::optional<uint64_t> free_space(const std::filesystem::path& path) = 0;

 protected:
  // `failure` null: throw on failure; otherwise a failure to open returns
  // nullptr and the system's reason in *failure.
  virtual std::unique_ptr<OpenFile> open_file(const std::filesystem::path& path, OpenFor mode,
                                              const std::string& operation, std::string* failure) = 0;
};

// The operating system's file system.
FileSystem& os_file_system();

// The process's current file system: os_file_system() unless a test installed
// another (see the header comment for why it is process-wide).
FileSystem& file_system();

// Installs `replacement` as the current file system for its lifetime.
class ScopedFileSystem {
 public:
  explicit ScopedFileSystem(FileSystem& replacement);
  ~ScopedFileSystem();
  ScopedFileSystem(const ScopedFileSystem&) = delete;
  ScopedFileSystem& operator=(const ScopedFileSystem&) = delete;

 private:
  FileSystem* previous_;
};

// Helpers built on the current file system.

// Creates `path` and any missing parents; returns the folders it created,
// outermost first (a caller that needs them durable syncs each one's parent).
std::vector<std::filesystem::path> create_folders(const std::filesystem::path& path, const std::string& operation);

// Removes `path` and everything below it (symlinks are removed, never
// followed); a missing path is not an error.
void remove_tree(const std::filesystem::path& path, const std::string& operation);

}  // namespace certvault::os
