// The backup half of certbcli.h (and CertSrvIsServerOnlineW, CertSrvBackupFree).
#include <fmt/format.h>

#include <algorithm>

#include "api/api_support.h"
#include "certadm_sim/exports.h"
#include "core/engine.h"
#include "core/faults.h"
#include "core/file_layer.h"
#include "core/sessions.h"
#include "core/sim_error.h"
#include "core/state.h"
#include "core/utf.h"

namespace {

using casim::Session;
using casim::SimError;
using namespace casim::api;
namespace fs = std::filesystem;
namespace hr = certadm_sim;

// Logs of generations [low, high] that must exist as finished logs; the first missing one, if any.
std::optional<uint32_t> first_missing_log(const casim::CaLayout& layout, uint32_t low, uint32_t high) {
  for (uint32_t generation = low; generation <= high; ++generation) {
    if (!casim::files::exists(layout.finished_log(generation))) return generation;
  }
  return std::nullopt;
}

uint32_t last_backed_up_generation(const casim::SimState& state) {
  return std::max(state.last_full.gen_high, state.last_incremental.gen_high);
}

void record_backup_completion(Session& session) {
  casim::Engine engine(session.root);
  casim::SimState& state = engine.state();
  const casim::BackupInfo info{session.gen_low, session.gen_high, casim::now_seconds()};
  if (session.full) {
    state.last_full = info;
    state.last_incremental = casim::BackupInfo{};
  } else {
    state.last_incremental = info;
  }
  engine.update_db_header([&](casim::DbHeader& header) {
    header.last_full = state.last_full;
    header.last_incremental = state.last_incremental;
  });
  engine.save();
}

bool backup_complete(const Session& session) {
  return (!session.full || (session.database_names_listed && session.all_read(session.database_names))) &&
         session.logs_listed && session.all_read(session.log_names);
}

}  // namespace

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvIsServerOnlineW(const WCHAR* server, CertadmBool* online) {
  std::lock_guard guard(casim::api_mutex());
  HRESULT result = hr::kSOk;
  const auto root = folder_of_server(server, result);
  if (!root) return result;
  return run_for_folder(*root, "CertSrvIsServerOnlineW", [&]() -> HRESULT {
    if (online == nullptr) throw SimError(hr::kEPointer, "pfServerOnline is NULL");
    *online = casim::load_state(*root).online ? 1 : 0;
    return hr::kSOk;
  });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupPrepareW(const WCHAR* server, ULONG grbitJet, ULONG backupFlags,
                                                          HCSBC* context) {
  std::lock_guard guard(casim::api_mutex());
  (void)grbitJet;  // passed through to ESE by the real server; the sim has no engine options
  HRESULT result = hr::kSOk;
  const auto root = folder_of_server(server, result);
  if (!root) return result;
  return run_for_folder(*root, "CertSrvBackupPrepareW", [&]() -> HRESULT {
    if (context == nullptr) throw SimError(hr::kEPointer, "phbc is NULL");
    *context = nullptr;
    if (backupFlags != CSBACKUP_TYPE_FULL && backupFlags != CSBACKUP_TYPE_LOGS_ONLY) {
      throw SimError(hr::kEInvalidArg, fmt::format("backup flags 0x{:X} are neither CSBACKUP_TYPE_FULL (1) nor "
                                                   "CSBACKUP_TYPE_LOGS_ONLY (2)",
                                                   backupFlags));
    }
    require_online(*root);
    const casim::SimState state = casim::load_state(*root);
    const casim::CaLayout layout = casim::layout_of(*root, state);
    auto lock = casim::files::FileLock::try_exclusive(layout.backup_lock_file);
    if (!lock.held()) throw SimError(hr::kJetBackupInProgress, "another backup session of this CA is open");
    // A database an older sim created gets today's header (ESE's checksum) before it is read.
    casim::Engine(*root).upgrade_legacy_db_header();
    auto session = std::make_unique<Session>(std::move(lock));
    session->root = *root;
    session->full = backupFlags == CSBACKUP_TYPE_FULL;
    session->checkpoint_at_prepare = state.checkpoint_generation;
    if (session->full) {
      session->gen_low = state.checkpoint_generation;
    } else {
      if (!state.last_full.present()) {
        throw SimError(hr::kJetMissingFullBackup, "a logs-only backup needs a full backup first");
      }
      session->gen_low = last_backed_up_generation(state) + 1;
      if (auto missing = first_missing_log(layout, session->gen_low, state.current_generation - 1)) {
        throw SimError(hr::kJetInvalidLogSequence,
                       fmt::format("log chain since the last backup (generation {}) is broken: {} is missing",
                                   session->gen_low - 1, casim::path_to_utf8(layout.finished_log(*missing))));
      }
    }
    *context = casim::register_session(std::move(session));
    return hr::kSOk;
  });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreGetDatabaseLocationsW(HCSBC context, WCHAR** list, DWORD* bytes) {
  std::lock_guard guard(casim::api_mutex());
  Session* session = casim::find_session(context);
  const auto kind = session != nullptr ? session->kind : Session::Kind::kBackup;
  return run_for_session(context, "CertSrvRestoreGetDatabaseLocationsW", kind, kind == Session::Kind::kBackup,
                         [&](Session& current) -> HRESULT {
                           if (list == nullptr || bytes == nullptr) throw SimError(hr::kEPointer, "out pointer NULL");
                           const auto layout = casim::layout_of(current.root, casim::load_state(current.root));
                           return return_list(
                               current.root,
                               {typed(CSBFT_LOG_DIR, layout.certlog), typed(CSBFT_CHECKPOINT_DIR, layout.certlog),
                                typed(CSBFT_CERTSERVER_DATABASE, layout.database)},
                               list, bytes);
                         });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupGetDatabaseNamesW(HCSBC context, WCHAR** list, DWORD* bytes) {
  std::lock_guard guard(casim::api_mutex());
  return run_for_session(context, "CertSrvBackupGetDatabaseNamesW", Session::Kind::kBackup, true,
                         [&](Session& session) -> HRESULT {
                           if (list == nullptr || bytes == nullptr) throw SimError(hr::kEPointer, "out pointer NULL");
                           const auto layout = casim::layout_of(session.root, casim::load_state(session.root));
                           std::vector<std::u16string> entries;
                           session.database_names.clear();
                           if (session.full) {
                             entries.push_back(typed(CSBFT_CERTSERVER_DATABASE, layout.database));
                             session.database_names.push_back(casim::path_to_utf8(layout.database));
                           }
                           session.database_names_listed = true;
                           return return_list(session.root, entries, list, bytes);
                         });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupOpenFileW(HCSBC context, const WCHAR* name, DWORD readHint,
                                                           LARGE_INTEGER* size) {
  std::lock_guard guard(casim::api_mutex());
  (void)readHint;
  return run_for_session(
      context, "CertSrvBackupOpenFileW", Session::Kind::kBackup, true, [&](Session& session) -> HRESULT {
        if (name == nullptr || size == nullptr) throw SimError(hr::kEPointer, "pwszAttachmentName or pliFileSize NULL");
        if (session.open_file) {
          throw SimError(
              hr::kJetInvalidBackupSequence,
              fmt::format("{} is still open; close it before opening another file", session.open_file->name));
        }
        const std::string wanted = without_type_code(utf8_of(name));
        auto listed = [&](const std::vector<std::string>& names) {
          return std::find(names.begin(), names.end(), wanted) != names.end();
        };
        if (!listed(session.database_names) && !listed(session.log_names)) {
          throw SimError(hr::kFileNotFound, fmt::format("{} is not in a list this session returned", utf8_of(name)));
        }
        casim::OpenBackupFile open;
        open.name = wanted;
        open.file = casim::files::File(casim::path_from_utf8(wanted), casim::files::OpenMode::kRead);
        open.size = open.file.size();
        size->QuadPart = static_cast<int64_t>(open.size);
        session.open_file = std::move(open);
        return hr::kSOk;
      });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupRead(HCSBC context, VOID* buffer, DWORD bufferBytes,
                                                      DWORD* bytesRead) {
  std::lock_guard guard(casim::api_mutex());
  return run_for_session(context, "CertSrvBackupRead", Session::Kind::kBackup, true, [&](Session& session) -> HRESULT {
    if (buffer == nullptr || bytesRead == nullptr) throw SimError(hr::kEPointer, "pvBuffer or pcbRead NULL");
    *bytesRead = 0;
    if (!session.open_file) throw SimError(hr::kJetInvalidBackupSequence, "no file is open");
    auto& open = *session.open_file;
    uint64_t wanted = std::min<uint64_t>(bufferBytes, open.size - open.position);
    const auto decision = casim::faults::on_read(session.root, open.name, open.position, wanted);
    if (decision.error) {
      throw SimError(*decision.error, fmt::format("injected read error in {} at offset {}", open.name, open.position));
    }
    if (decision.limit) wanted = std::min(wanted, *decision.limit);
    {
      // Shared engine lock: a transaction of `casim issue` never interleaves with a read.
      casim::files::FileLock lock(casim::state_dir_of(session.root) / "lock", casim::files::FileLock::Kind::kShared);
      const size_t got =
          open.file.read_at(open.position, std::span(static_cast<uint8_t*>(buffer), static_cast<size_t>(wanted)));
      if (got != wanted) {
        throw SimError(hr::kReadFault, fmt::format("{} ends at offset {}, before its backup size {}", open.name,
                                                   open.position + got, open.size));
      }
    }
    open.position += wanted;
    *bytesRead = static_cast<DWORD>(wanted);
    if (open.position == open.size) session.fully_read.insert(open.name);
    return hr::kSOk;
  });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupClose(HCSBC context) {
  std::lock_guard guard(casim::api_mutex());
  return run_for_session(context, "CertSrvBackupClose", Session::Kind::kBackup, true, [&](Session& session) -> HRESULT {
    if (!session.open_file) throw SimError(hr::kJetInvalidBackupSequence, "no file is open");
    session.open_file.reset();
    return hr::kSOk;
  });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupGetBackupLogsW(HCSBC context, WCHAR** list, DWORD* bytes) {
  std::lock_guard guard(casim::api_mutex());
  return run_for_session(
      context, "CertSrvBackupGetBackupLogsW", Session::Kind::kBackup, true, [&](Session& session) -> HRESULT {
        if (list == nullptr || bytes == nullptr) throw SimError(hr::kEPointer, "out pointer NULL");
        if (session.full && !(session.database_names_listed && session.all_read(session.database_names))) {
          throw SimError(hr::kJetInvalidBackupSequence,
                         "a full backup lists its logs only after every database file was read to its end");
        }
        if (!session.logs_listed) {
          casim::Engine engine(session.root);
          // As ESE does: close edb.log as the next generation, so the backup holds complete logs.
          session.gen_high = engine.close_current_log();
          engine.save();
          if (auto missing = first_missing_log(engine.layout(), session.gen_low, session.gen_high)) {
            throw SimError(hr::kJetInvalidLogSequence,
                           fmt::format("log {} of the backup's range {}..{} is missing",
                                       casim::path_to_utf8(engine.layout().finished_log(*missing)), session.gen_low,
                                       session.gen_high));
          }
          for (uint32_t generation = session.gen_low; generation <= session.gen_high; ++generation) {
            session.log_names.push_back(casim::path_to_utf8(engine.layout().finished_log(generation)));
          }
          session.logs_listed = true;
        }
        std::vector<std::u16string> entries;
        for (const auto& name : session.log_names) {
          // Appended, not `u16string + u16string&&`: GCC 12 at -O3 reports a false -Wrestrict there.
          std::u16string entry(1, static_cast<char16_t>(CSBFT_LOG));
          entry += casim::utf8_to_utf16(name);
          entries.push_back(std::move(entry));
        }
        return return_list(session.root, entries, list, bytes);
      });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupTruncateLogs(HCSBC context) {
  std::lock_guard guard(casim::api_mutex());
  return run_for_session(
      context, "CertSrvBackupTruncateLogs", Session::Kind::kBackup, true, [&](Session& session) -> HRESULT {
        if (!backup_complete(session)) {
          throw SimError(hr::kJetTruncateBeforeBackupComplete,
                         "not every listed database file and log was read to its end; truncating now would leave "
                         "logs unsaved");
        }
        casim::Engine engine(session.root);
        for (const auto& name : casim::files::list_file_names(engine.layout().certlog)) {
          const auto generation = casim::generation_from_log_name(name);
          if (generation && *generation < session.checkpoint_at_prepare) {
            casim::files::remove_file(engine.layout().certlog / casim::path_from_utf8(name));
          }
        }
        return hr::kSOk;
      });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupGetDynamicFileListW(HCSBC context, WCHAR** list, DWORD* bytes) {
  std::lock_guard guard(casim::api_mutex());
  return run_for_session(context, "CertSrvBackupGetDynamicFileListW", Session::Kind::kBackup, true,
                         [&](Session& session) -> HRESULT {
                           if (list == nullptr || bytes == nullptr) throw SimError(hr::kEPointer, "out pointer NULL");
                           const auto layout = casim::layout_of(session.root, casim::load_state(session.root));
                           std::vector<std::u16string> entries;
                           for (const auto& path : {layout.certificate, layout.crl, layout.delta_crl}) {
                             if (casim::files::exists(path)) entries.push_back(plain(path));
                           }
                           return return_list(session.root, entries, list, bytes);
                         });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupEnd(HCSBC context) {
  std::lock_guard guard(casim::api_mutex());
  return run_for_session(context, "CertSrvBackupEnd", Session::Kind::kBackup, false, [&](Session& session) -> HRESULT {
    const bool online = casim::load_state(session.root).online;
    if (online && backup_complete(session)) record_backup_completion(session);
    end_session(session);
    if (!online) throw SimError(hr::kServerUnavailable, "the CA service stopped; the session is released");
    return hr::kSOk;
  });
}

CERTADM_EXPORT VOID CERTADM_CALL CertSrvBackupFree(VOID* buffer) {
  std::lock_guard guard(casim::api_mutex());
  if (buffer == nullptr) return;
  if (const auto root = casim::release_buffer(buffer)) {
    try {
      casim::faults::log_call(*root, "CertSrvBackupFree", std::nullopt);
    } catch (...) {
      // Nothing to report through a void function.
    }
  }
}
