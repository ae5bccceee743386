// C++ wrappers of the Certadm backup and restore calls.
//
// Contract:
// - Every failed call throws ApiError (api_error.h) naming the function,
//   its meaningful arguments and the HRESULT with its meaning. Output the API
//   returns that breaks its own rules (a malformed list, a NULL handle, more
//   bytes than asked) throws Error(kApi) naming the function. Calls on an
//   ended context, or out of order (a read with no file open), throw
//   Error(kInternal) without reaching the API.
// - Contexts are movable, not copyable. A context not ended explicitly is ended
//   by its destructor (the HRESULT is ignored there: destructors never throw).
// - Every buffer the API returns is released with CertSrvBackupFree: lists when
//   the last copy of NameList::api_buffer goes, ServerControl output at once.
// - Every object holds the Library, so FreeLibrary/dlclose comes last.
// - Log truncation takes a CommittedSnapshot, which only SnapshotWriter::commit()
//   can make; it is also refused (Error(kRefused)) unless this context listed
//   the logs (and, for a full backup, the database files) and read every
//   listed file to its end.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "certvault/base/committed_snapshot.h"
#include "certvault/certadm/abi.h"
#include "certvault/certadm/library.h"
#include "certvault/certadm/strings.h"

namespace certvault::certadm {

class BackupContext {
 public:
  BackupContext(BackupContext&& other) noexcept;
  BackupContext& operator=(BackupContext&& other) noexcept;
  BackupContext(const BackupContext&) = delete;
  BackupContext& operator=(const BackupContext&) = delete;
  ~BackupContext();

  // CertSrvRestoreGetDatabaseLocationsW: the restore map (type-coded); store raw as certbkxp.dat.
  NameList restore_locations();
  // CertSrvBackupGetDatabaseNamesW (type-coded; empty for a logs-only backup).
  NameList database_names();
  // CertSrvBackupGetBackupLogsW (type-coded).
  NameList backup_logs();
  // CertSrvBackupGetDynamicFileListW: plain paths, no type codes.
  NameList dynamic_files();

  // Opens one listed file (one at a time) and returns its size in bytes.
  // Passes entry.path_utf16, or entry.path_utf8 converted when path_utf16 is empty.
  uint64_t open_file(const NameEntry& entry, uint32_t read_hint);
  // Reads the next bytes of the open file; returns how many, 0 only at its end.
  // An empty buffer is a usage error (it could not tell the end apart).
  size_t read(std::span<uint8_t> buffer);
  void close_file();

  // CertSrvBackupTruncateLogs, only once the snapshot holding every file of
  // database_names() and backup_logs() is committed.
  void truncate_logs(const CommittedSnapshot& proof);

  void end();
  bool ended() const noexcept { return handle_ == nullptr; }
  // The raw HCSBC, for diagnostics and tests (nullptr once ended).
  HCSBC native_handle() const noexcept { return handle_; }

 private:
  friend class Server;
  BackupContext(std::shared_ptr<Library> library, HCSBC handle, std::string server_utf8, bool full);

  struct OpenFile {
    std::string path_utf8;
    uint64_t size = 0;
    uint64_t position = 0;
  };

  void require_active(const char* function) const;
  using ListFunction = HRESULT(CERTADM_CALL*)(HCSBC, WCHAR**, DWORD*);
  NameList fetch_list(ListFunction Functions::*call, const char* function, bool has_type_codes);
  std::string on_server() const;

  std::shared_ptr<Library> library_;
  HCSBC handle_ = nullptr;
  std::string server_utf8_;
  std::optional<OpenFile> open_;
  bool full_ = false;
  bool database_listed_ = false;
  bool logs_listed_ = false;
  std::set<std::string> listed_;      // database files and logs this context listed
  std::set<std::string> read_fully_;  // those read to their end
};

class RestoreContext {
 public:
  RestoreContext(RestoreContext&& other) noexcept;
  RestoreContext& operator=(RestoreContext&& other) noexcept;
  RestoreContext(const RestoreContext&) = delete;
  RestoreContext& operator=(const RestoreContext&) = delete;
  ~RestoreContext();

  // CertSrvRestoreRegisterW. Paths are UTF-8; an empty path is passed as NULL
  // (the server's default). `map` pairs (database name, new database name);
  // an empty map is passed as NULL with count 0 (an incremental set).
  void register_restore(const std::string& checkpoint_path, const std::string& log_path,
                        const std::vector<std::pair<std::string, std::string>>& map, const std::string& backup_log_path,
                        uint32_t gen_low, uint32_t gen_high);
  void register_complete(HRESULT state);
  void end();
  bool ended() const noexcept { return handle_ == nullptr; }
  HCSBC native_handle() const noexcept { return handle_; }

 private:
  friend class Server;
  RestoreContext(std::shared_ptr<Library> library, HCSBC handle, std::string server_utf8);

  void require_active(const char* function) const;

  std::shared_ptr<Library> library_;
  HCSBC handle_ = nullptr;
  std::string server_utf8_;
};

class Server {
 public:
  // `server_utf8` names the CA (on the sim: the CA folder). Throws
  // Error(kUsage) if it is not valid UTF-8.
  Server(std::shared_ptr<Library> library, std::string server_utf8);

  bool is_online();
  BackupContext prepare_backup(uint32_t backup_flags /*CSBACKUP_TYPE_*/, uint32_t grbit_jet = 0);
  RestoreContext prepare_restore(uint32_t restore_flags /*CSRESTORE_TYPE_*/);
  // CertSrvServerControlW (CSCONTROL_*): the output bytes, if any.
  std::vector<uint8_t> control(uint32_t command);

  const std::string& name() const noexcept { return server_utf8_; }

 private:
  const WCHAR* wide_name() const noexcept;

  std::shared_ptr<Library> library_;
  std::string server_utf8_;
  std::u16string server_utf16_;
};

}  // namespace certvault::certadm
