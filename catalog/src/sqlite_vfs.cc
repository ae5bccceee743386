// sqlite_vfs.h: SQLite's file calls on the file-system seam.
#include "sqlite_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "certvault/base/file_system.h"
#include "certvault/base/os_file.h"

namespace certvault::catalog {
namespace {

constexpr const char* kVfsName = "certvault-seam";

// SQLite's lock bytes (os.h): the page at 1 GiB that SQLite never reads or
// writes, so they may be mandatory locks (Windows) without blocking I/O.
constexpr uint64_t kPendingByte = 0x40000000;
constexpr uint64_t kReservedByte = kPendingByte + 1;
constexpr uint64_t kSharedFirst = kPendingByte + 2;
constexpr uint64_t kSharedSize = 510;

// As SQLite's unix VFS: the sector size it assumes, and the promise that a
// write changes nothing outside the bytes written, even across a power cut.
constexpr int kSectorSize = 4096;

thread_local std::exception_ptr last_failure;

// Runs one VFS call; an exception becomes `error_code`, kept for take_vfs_failure().
template <class Call>
int guarded(int error_code, Call&& call) {
  try {
    return call();
  } catch (...) {
    last_failure = std::current_exception();
    return error_code;
  }
}

sqlite3_vfs* default_vfs() {
  static sqlite3_vfs* const vfs = sqlite3_vfs_find(nullptr);
  return vfs;
}

std::string describe(std::string_view sqlite_name) { return "SQLite catalog file " + std::string(sqlite_name); }

enum class RangeHeld { kNone, kShared, kExclusive };

// What SQLite's file handle owns: the open file and the locks it holds.
struct FileState {
  std::unique_ptr<os::OpenFile> file;
  bool sync_folder_at_first_sync = false;
  int level = SQLITE_LOCK_NONE;
  bool pending = false;
  bool reserved = false;
  RangeHeld shared_range = RangeHeld::kNone;
};

// The memory SQLite allocates for a file (szOsFile bytes): plain data only.
struct SeamFile {
  sqlite3_file base;  // first, so that SQLite's sqlite3_file* is a SeamFile*
  FileState* state;
};

FileState& state_of(sqlite3_file* file) { return *reinterpret_cast<SeamFile*>(file)->state; }

int seam_close(sqlite3_file* file) {
  auto* seam = reinterpret_cast<SeamFile*>(file);
  std::unique_ptr<FileState> state(seam->state);
  seam->state = nullptr;
  return guarded(SQLITE_IOERR_CLOSE, [&] {
    state->file->close();  // releases the file's locks
    return SQLITE_OK;
  });
}

int seam_read(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  return guarded(SQLITE_IOERR_READ, [&] {
    auto* bytes = static_cast<uint8_t*>(buffer);
    const size_t want = static_cast<size_t>(amount);
    const size_t got = state_of(file).file->read_at(static_cast<uint64_t>(offset), std::span(bytes, want));
    if (got == want) return SQLITE_OK;
    std::memset(bytes + got, 0, want - got);  // SQLite's contract for a read past the end
    return SQLITE_IOERR_SHORT_READ;
  });
}

int seam_write(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
  return guarded(SQLITE_IOERR_WRITE, [&] {
    const auto* bytes = static_cast<const uint8_t*>(buffer);
    state_of(file).file->write_at(static_cast<uint64_t>(offset), std::span(bytes, static_cast<size_t>(amount)));
    return SQLITE_OK;
  });
}

int seam_truncate(sqlite3_file* file, sqlite3_int64 size) {
  return guarded(SQLITE_IOERR_TRUNCATE, [&] {
    state_of(file).file->truncate(static_cast<uint64_t>(size));
    return SQLITE_OK;
  });
}

int seam_sync(sqlite3_file* file, int) {
  return guarded(SQLITE_IOERR_FSYNC, [&] {
    auto& state = state_of(file);
    state.file->sync();
    // As SQLite's unix VFS: a new journal's name becomes durable before the
    // database is written over, or a power cut could lose the journal and
    // leave a half-written database with nothing to roll it back.
    if (state.sync_folder_at_first_sync) {
      const auto folder = state.file->path().parent_path();
      os::file_system().sync_folder(folder.empty() ? "." : folder,
                                    "sync the folder of a new " + describe(os::display(state.file->path())));
      state.sync_folder_at_first_sync = false;
    }
    return SQLITE_OK;
  });
}

int seam_file_size(sqlite3_file* file, sqlite3_int64* size) {
  return guarded(SQLITE_IOERR_FSTAT, [&] {
    *size = static_cast<sqlite3_int64>(state_of(file).file->size());
    return SQLITE_OK;
  });
}

// Lock levels as SQLite's os_win.c takes them, because a byte-range lock
// cannot be upgraded in place on Windows: SHARED is a shared lock on the
// SHARED range, taken while holding PENDING shared (a writer waiting for
// EXCLUSIVE holds PENDING exclusively and so keeps new readers out); RESERVED
// is the RESERVED byte; EXCLUSIVE is PENDING plus the SHARED range swapped
// from shared to exclusive, which succeeds only once the last reader left.
int seam_lock(sqlite3_file* file, int level) {
  return guarded(SQLITE_IOERR_LOCK, [&] {
    auto& state = state_of(file);
    auto& handle = *state.file;
    if (state.level >= level) return SQLITE_OK;
    if (level == SQLITE_LOCK_SHARED) {
      if (!handle.try_lock_range(kPendingByte, 1, os::LockKind::kShared)) return SQLITE_BUSY;
      const bool got = handle.try_lock_range(kSharedFirst, kSharedSize, os::LockKind::kShared);
      handle.unlock_range(kPendingByte, 1);
      if (!got) return SQLITE_BUSY;
      state.shared_range = RangeHeld::kShared;
      state.level = SQLITE_LOCK_SHARED;
      return SQLITE_OK;
    }
    if (level == SQLITE_LOCK_RESERVED) {
      if (!handle.try_lock_range(kReservedByte, 1, os::LockKind::kExclusive)) return SQLITE_BUSY;
      state.reserved = true;
      state.level = SQLITE_LOCK_RESERVED;
      return SQLITE_OK;
    }
    // EXCLUSIVE (SQLite never asks for PENDING itself).
    if (!state.pending) {
      if (!handle.try_lock_range(kPendingByte, 1, os::LockKind::kExclusive)) return SQLITE_BUSY;
      state.pending = true;
      state.level = SQLITE_LOCK_PENDING;
    }
    handle.unlock_range(kSharedFirst, kSharedSize);
    state.shared_range = RangeHeld::kNone;
    if (handle.try_lock_range(kSharedFirst, kSharedSize, os::LockKind::kExclusive)) {
      state.shared_range = RangeHeld::kExclusive;
      state.level = SQLITE_LOCK_EXCLUSIVE;
      return SQLITE_OK;
    }
    // Readers remain: stay at PENDING, still a reader ourselves. Nobody can
    // hold the range exclusively while we hold PENDING, so this cannot fail.
    if (!handle.try_lock_range(kSharedFirst, kSharedSize, os::LockKind::kShared)) return SQLITE_IOERR_LOCK;
    state.shared_range = RangeHeld::kShared;
    return SQLITE_BUSY;
  });
}

int seam_unlock(sqlite3_file* file, int level) {
  return guarded(SQLITE_IOERR_UNLOCK, [&] {
    auto& state = state_of(file);
    auto& handle = *state.file;
    if (state.level <= level) return SQLITE_OK;
    if (state.shared_range == RangeHeld::kExclusive) {
      handle.unlock_range(kSharedFirst, kSharedSize);
      state.shared_range = RangeHeld::kNone;
      // Back to a reader while still holding PENDING, so no writer slips in between.
      if (level == SQLITE_LOCK_SHARED) {
        if (!handle.try_lock_range(kSharedFirst, kSharedSize, os::LockKind::kShared)) return SQLITE_IOERR_UNLOCK;
        state.shared_range = RangeHeld::kShared;
      }
    }
    if (state.reserved) {
      handle.unlock_range(kReservedByte, 1);
      state.reserved = false;
    }
    if (state.pending) {
      handle.unlock_range(kPendingByte, 1);
      state.pending = false;
    }
    if (level == SQLITE_LOCK_NONE && state.shared_range == RangeHeld::kShared) {
      handle.unlock_range(kSharedFirst, kSharedSize);
      state.shared_range = RangeHeld::kNone;
    }
    state.level = level;
    return SQLITE_OK;
  });
}

int seam_check_reserved_lock(sqlite3_file* file, int* reserved) {
  return guarded(SQLITE_IOERR_CHECKRESERVEDLOCK, [&] {
    auto& state = state_of(file);
    if (state.reserved) {
      *reserved = 1;
      return SQLITE_OK;
    }
    const bool free = state.file->try_lock_range(kReservedByte, 1, os::LockKind::kExclusive);
    if (free) state.file->unlock_range(kReservedByte, 1);
    *reserved = free ? 0 : 1;
    return SQLITE_OK;
  });
}

int seam_file_control(sqlite3_file*, int, void*) { return SQLITE_NOTFOUND; }

int seam_sector_size(sqlite3_file*) { return kSectorSize; }

int seam_device_characteristics(sqlite3_file*) { return SQLITE_IOCAP_POWERSAFE_OVERWRITE; }

const sqlite3_io_methods kMethods = {
    1,  // iVersion: no shared memory, no memory mapping
    seam_close,
    seam_read,
    seam_write,
    seam_truncate,
    seam_sync,
    seam_file_size,
    seam_lock,
    seam_unlock,
    seam_check_reserved_lock,
    seam_file_control,
    seam_sector_size,
    seam_device_characteristics,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

os::OpenFor open_mode(int flags) {
  if ((flags & SQLITE_OPEN_READONLY) != 0) return os::OpenFor::kRead;
  if ((flags & SQLITE_OPEN_CREATE) == 0) return os::OpenFor::kReadWrite;
  if ((flags & SQLITE_OPEN_EXCLUSIVE) != 0) return os::OpenFor::kCreateNew;
  return os::OpenFor::kReadWriteCreate;
}

bool is_journal(int flags) {
  return (flags & (SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL | SQLITE_OPEN_WAL)) != 0;
}

int seam_open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  // Temporary files hold nothing durable: SQLite's own VFS keeps them.
  if (name == nullptr || (flags & SQLITE_OPEN_DELETEONCLOSE) != 0) {
    return default_vfs()->xOpen(default_vfs(), name, file, flags, out_flags);
  }
  auto* seam = reinterpret_cast<SeamFile*>(file);
  seam->base.pMethods = nullptr;  // SQLite calls no xClose for a failed open
  seam->state = nullptr;
  return guarded(SQLITE_CANTOPEN, [&] {
    auto state = std::make_unique<FileState>();
    state->file = os::file_system().open(os::path_from_utf8(name), open_mode(flags), "open " + describe(name));
    state->sync_folder_at_first_sync = (flags & SQLITE_OPEN_CREATE) != 0 && is_journal(flags);
    seam->state = state.release();
    seam->base.pMethods = &kMethods;
    if (out_flags != nullptr) *out_flags = flags;
    return SQLITE_OK;
  });
}

int seam_delete(sqlite3_vfs*, const char* name, int sync_folder) {
  return guarded(SQLITE_IOERR_DELETE, [&] {
    auto& files = os::file_system();
    const auto path = os::path_from_utf8(name);
    if (!files.status(path, false)) return SQLITE_IOERR_DELETE_NOENT;
    files.remove_file(path, "delete " + describe(name), false);
    if (sync_folder != 0) {
      const auto folder = path.parent_path();
      files.sync_folder(folder.empty() ? "." : folder, "delete " + describe(name));
    }
    return SQLITE_OK;
  });
}

int seam_access(sqlite3_vfs*, const char* name, int flags, int* result) {
  return guarded(SQLITE_IOERR_ACCESS, [&] {
    const auto status = os::file_system().status(os::path_from_utf8(name), true);
    // As SQLite's unix VFS: an empty file does not "exist" (a journal truncated
    // to nothing is no journal). Write permission is not checked: the open that
    // follows reports it.
    if (flags == SQLITE_ACCESS_EXISTS) {
      *result = status && (status->type != os::EntryType::kFile || status->size > 0) ? 1 : 0;
    } else {
      *result = status ? 1 : 0;
    }
    return SQLITE_OK;
  });
}

int seam_full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return guarded(SQLITE_CANTOPEN, [&] {
    const std::string full = os::display(std::filesystem::absolute(os::path_from_utf8(name)).lexically_normal());
    if (full.size() + 1 > static_cast<size_t>(size)) return SQLITE_CANTOPEN;
    std::memcpy(out, full.c_str(), full.size() + 1);
    return SQLITE_OK;
  });
}

// The rest is not about files: SQLite's default VFS does it.
void* seam_dl_open(sqlite3_vfs*, const char* name) { return default_vfs()->xDlOpen(default_vfs(), name); }
void seam_dl_error(sqlite3_vfs*, int size, char* out) { default_vfs()->xDlError(default_vfs(), size, out); }
void (*seam_dl_sym(sqlite3_vfs*, void* library, const char* symbol))(void) {
  return default_vfs()->xDlSym(default_vfs(), library, symbol);
}
void seam_dl_close(sqlite3_vfs*, void* library) { default_vfs()->xDlClose(default_vfs(), library); }
int seam_randomness(sqlite3_vfs*, int size, char* out) { return default_vfs()->xRandomness(default_vfs(), size, out); }
int seam_sleep(sqlite3_vfs*, int microseconds) { return default_vfs()->xSleep(default_vfs(), microseconds); }
int seam_current_time(sqlite3_vfs*, double* now) { return default_vfs()->xCurrentTime(default_vfs(), now); }
int seam_current_time_int64(sqlite3_vfs*, sqlite3_int64* now) {
  return default_vfs()->xCurrentTimeInt64(default_vfs(), now);
}
int seam_get_last_error(sqlite3_vfs*, int, char*) { return 0; }  // failures travel as take_vfs_failure()

}  // namespace

const char* seam_vfs_name() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    static sqlite3_vfs vfs{};
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(std::max<size_t>(sizeof(SeamFile), static_cast<size_t>(default_vfs()->szOsFile)));
    vfs.mxPathname = 4096;
    vfs.zName = kVfsName;
    vfs.xOpen = seam_open;
    vfs.xDelete = seam_delete;
    vfs.xAccess = seam_access;
    vfs.xFullPathname = seam_full_pathname;
    vfs.xDlOpen = seam_dl_open;
    vfs.xDlError = seam_dl_error;
    vfs.xDlSym = seam_dl_sym;
    vfs.xDlClose = seam_dl_close;
    vfs.xRandomness = seam_randomness;
    vfs.xSleep = seam_sleep;
    vfs.xCurrentTime = seam_current_time;
    vfs.xGetLastError = seam_get_last_error;
    vfs.xCurrentTimeInt64 = seam_current_time_int64;
    sqlite3_vfs_register(&vfs, 0);
  });
  return kVfsName;
}

std::exception_ptr take_vfs_failure() { return std::exchange(last_failure, nullptr); }

}  // namespace certvault::catalog
