// The restore half of certbcli.h and CertSrvServerControlW.
#include <fmt/format.h>

#include "api/api_support.h"
#include "certadm_sim/exports.h"
#include "core/engine.h"
#include "core/file_layer.h"
#include "core/recovery.h"
#include "core/restore_record.h"
#include "core/sessions.h"
#include "core/sim_error.h"
#include "core/state.h"
#include "core/utf.h"

namespace {

using casim::Session;
using casim::SimError;
using namespace casim::api;
namespace hr = certadm_sim;

}  // namespace

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestorePrepareW(const WCHAR* server, ULONG restoreFlags, HCSBC* context) {
  std::lock_guard guard(casim::api_mutex());
  HRESULT result = hr::kSOk;
  const auto root = folder_of_server(server, result);
  if (!root) return result;
  return run_for_folder(*root, "CertSrvRestorePrepareW", [&]() -> HRESULT {
    if (context == nullptr) throw SimError(hr::kEPointer, "phbc is NULL");
    *context = nullptr;
    if ((restoreFlags & ~static_cast<ULONG>(CSRESTORE_TYPE_FULL | CSRESTORE_TYPE_ONLINE | CSRESTORE_TYPE_CATCHUP)) !=
        0) {
      throw SimError(hr::kEInvalidArg, fmt::format("restore flags 0x{:X} hold unknown bits", restoreFlags));
    }
    if ((restoreFlags & (CSRESTORE_TYPE_ONLINE | CSRESTORE_TYPE_CATCHUP)) != 0) {
      throw SimError(hr::kENotImpl, "online and catch-up restores are declared by certbcli.h but not supported");
    }
    if (casim::load_state(*root).online) {
      throw SimError(hr::kServiceAlreadyRunning, "stop the CA service before a restore");
    }
    auto session = std::make_unique<Session>(casim::files::FileLock::none());
    session->kind = Session::Kind::kRestore;
    session->root = *root;
    session->restore_full = (restoreFlags & CSRESTORE_TYPE_FULL) != 0;
    *context = casim::register_session(std::move(session));
    return hr::kSOk;
  });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreRegisterW(HCSBC context, const WCHAR* checkpointPath,
                                                            const WCHAR* logPath, CSEDB_RSTMAPW restoreMap[],
                                                            LONG mapCount, const WCHAR* backupLogPath, ULONG genLow,
                                                            ULONG genHigh) {
  std::lock_guard guard(casim::api_mutex());
  return run_for_session(
      context, "CertSrvRestoreRegisterW", Session::Kind::kRestore, false, [&](Session& session) -> HRESULT {
        if (mapCount < 0) throw SimError(hr::kEInvalidArg, fmt::format("map count {} is negative", mapCount));
        if (mapCount > 0 && restoreMap == nullptr) throw SimError(hr::kEPointer, "map count > 0 but the map is NULL");
        if (genLow == 0 || genLow > genHigh) {
          throw SimError(hr::kEInvalidArg, fmt::format("log range {}..{} is empty or starts at 0", genLow, genHigh));
        }
        const auto layout = casim::layout_of(session.root, casim::load_state(session.root));
        const std::string default_folder = casim::path_to_utf8(layout.certlog);
        auto path_or_default = [&](const WCHAR* path) { return path == nullptr ? default_folder : utf8_of(path); };
        auto record = casim::load_restore(layout);
        if (mapCount > 0) {
          if (!session.restore_full) {
            throw SimError(hr::kEInvalidArg,
                           "a restore map (full set) in a session not prepared with "
                           "CSRESTORE_TYPE_FULL");
          }
          casim::RestoreRecord full;
          full.checkpoint_path = path_or_default(checkpointPath);
          full.log_path = path_or_default(logPath);
          full.backup_log_path = path_or_default(backupLogPath);
          for (LONG i = 0; i < mapCount; ++i) {
            if (restoreMap[i].pwszDatabaseName == nullptr || restoreMap[i].pwszNewDatabaseName == nullptr) {
              throw SimError(hr::kEPointer, fmt::format("restore map entry {} has a NULL name", i));
            }
            full.map.emplace_back(utf8_of(restoreMap[i].pwszDatabaseName), utf8_of(restoreMap[i].pwszNewDatabaseName));
          }
          full.sets.push_back(casim::RestoreSet{genLow, genHigh, true});
          casim::save_restore(layout, full);
        } else {
          if (!record || record->sets.empty() || !record->sets.front().full) {
            throw SimError(hr::kJetMissingFullBackup, "an incremental set registered before any full set");
          }
          record->sets.push_back(casim::RestoreSet{genLow, genHigh, false});
          record->complete = false;
          casim::save_restore(layout, *record);
        }
        return hr::kSOk;
      });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreRegisterComplete(HCSBC context, HRESULT restoreState) {
  std::lock_guard guard(casim::api_mutex());
  return run_for_session(context, "CertSrvRestoreRegisterComplete", Session::Kind::kRestore, false,
                         [&](Session& session) -> HRESULT {
                           const auto layout = casim::layout_of(session.root, casim::load_state(session.root));
                           auto record = casim::load_restore(layout);
                           if (!record) {
                             throw SimError(hr::kJetInvalidBackupSequence, "no restore was registered");
                           }
                           if (failed(restoreState)) {
                             casim::files::remove_file(layout.restore_file);  // the caller abandoned the restore
                           } else {
                             record->complete = true;
                             casim::save_restore(layout, *record);
                           }
                           return hr::kSOk;
                         });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreEnd(HCSBC context) {
  std::lock_guard guard(casim::api_mutex());
  return run_for_session(context, "CertSrvRestoreEnd", Session::Kind::kRestore, false,
                         [&](Session& session) -> HRESULT {
                           end_session(session);
                           return hr::kSOk;
                         });
}

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvServerControlW(const WCHAR* server, DWORD command, DWORD* outBytes,
                                                          BYTE** out) {
  std::lock_guard guard(casim::api_mutex());
  HRESULT result = hr::kSOk;
  const auto root = folder_of_server(server, result);
  if (!root) return result;
  return run_for_folder(*root, "CertSrvServerControlW", [&]() -> HRESULT {
    if (outBytes != nullptr) *outBytes = 0;
    if (out != nullptr) *out = nullptr;
    if (command != CSCONTROL_SHUTDOWN && command != CSCONTROL_SUSPEND && command != CSCONTROL_RESTART) {
      throw SimError(hr::kEInvalidArg, fmt::format("unknown control command {}", command));
    }
    require_online(*root);
    if (command == CSCONTROL_SUSPEND) throw SimError(hr::kENotImpl, "CSCONTROL_SUSPEND is not simulated");
    casim::stop_ca(*root);
    if (command == CSCONTROL_RESTART) casim::start_ca(*root);
    return hr::kSOk;
  });
}
