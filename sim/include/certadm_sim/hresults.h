// Every HRESULT the simulated Certificate Services (libcertadm_sim.so) returns.
//
// Contract: the sim returns only the codes listed in kHresultTable, each with the
// meaning given there; docs/sim.md says which call returns which code and when.
// Win32 errors are HRESULT_FROM_WIN32 (0x8007xxxx); ESE errors are 0xC800xxxx
// with the low 16 bits = -JET_err (e.g. JET_errMissingFullBackup -560 -> 0xC8000230),
// the form Certadm uses. The values are defined once, in certvault/certadm/abi.h, which the
// binding's meaning table and the tests use too; this list says which of them the sim returns
// and when.
#pragma once

#include <cstdint>
#include <string_view>

#include "certvault/certadm/abi.h"

namespace certadm_sim {

// Success.
inline constexpr int32_t kSOk = certadm_abi::kSOk;
// A handle that this library never issued, or one already ended (calls after End).
inline constexpr int32_t kEHandle = certadm_abi::kEHandle;  // E_HANDLE = HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)
// A required pointer argument (out parameter, buffer, name) is NULL.
inline constexpr int32_t kEPointer = certadm_abi::kEPointer;
// An argument has a value the call does not accept (flags, command, map, buffer size, bad UTF-16).
inline constexpr int32_t kEInvalidArg = certadm_abi::kEInvalidArg;
// Out of memory while building a list.
inline constexpr int32_t kEOutOfMemory = certadm_abi::kEOutOfMemory;
// A feature the real API declares but does not support (SUSPEND, ONLINE/CATCHUP restores).
inline constexpr int32_t kENotImpl = certadm_abi::kENotImpl;
// Unexpected internal failure (an I/O error of the sim's own files, a damaged state file).
inline constexpr int32_t kEFail = certadm_abi::kEFail;
// OpenFile of a name that is not in a list this session returned, or of a listed file since deleted.
inline constexpr int32_t kFileNotFound = certadm_abi::kFileNotFound;  // HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)
// The server argument names no CA folder (no DIR/.casim/state.json).
inline constexpr int32_t kBadNetPath = certadm_abi::kBadNetPath;  // HRESULT_FROM_WIN32(ERROR_BAD_NETPATH)
// A read of a CA file failed (also the default of an injected read error).
inline constexpr int32_t kReadFault = certadm_abi::kReadFault;  // HRESULT_FROM_WIN32(ERROR_READ_FAULT)
// RestorePrepare while the CA service is running.
inline constexpr int32_t kServiceAlreadyRunning = certadm_abi::kServiceAlreadyRunning;  // ERROR_SERVICE_ALREADY_RUNNING
// The CA service is stopped (casim stop, ServerControl SHUTDOWN, or an injected offline).
inline constexpr int32_t kServerUnavailable = certadm_abi::kServerUnavailable;  // RPC_S_SERVER_UNAVAILABLE
// JET_errBackupInProgress (-505): BackupPrepare while another backup session of this CA is open.
inline constexpr int32_t kJetBackupInProgress = certadm_abi::kJetBackupInProgress;
// JET_errInvalidLogSequence (-515): logs-only backup whose log chain since the last backup is broken.
inline constexpr int32_t kJetInvalidLogSequence = certadm_abi::kJetInvalidLogSequence;
// JET_errInvalidBackupSequence (-521): a call out of the backup order (Read/Close with no open file,
// OpenFile while another file is open, GetBackupLogs of a full backup before the database was read).
inline constexpr int32_t kJetInvalidBackupSequence = certadm_abi::kJetInvalidBackupSequence;
// JET_errMissingFullBackup (-560): logs-only backup, or incremental restore registration, with no full.
inline constexpr int32_t kJetMissingFullBackup = certadm_abi::kJetMissingFullBackup;
// -616 (sim): TruncateLogs before every listed database file and log was read to its end.
inline constexpr int32_t kJetTruncateBeforeBackupComplete = certadm_abi::kJetTruncateBeforeBackupComplete;

// Error codes `casim start` names when recovery refuses (it prints them; the API never returns them).
inline constexpr int32_t kJetLogFileCorrupt = certadm_abi::kJetLogFileCorrupt;    // -501 torn or damaged log
inline constexpr int32_t kJetMissingLogFile = certadm_abi::kJetMissingLogFile;    // -528 gap in the log chain
inline constexpr int32_t kJetBadLogSignature = certadm_abi::kJetBadLogSignature;  // -530 log of another database
inline constexpr int32_t kJetLogGenerationMismatch = certadm_abi::kJetLogGenerationMismatch;  // -513 header vs name

struct HresultMeaning {
  int32_t code;
  std::string_view name;
  std::string_view meaning;
};

inline constexpr HresultMeaning kHresultTable[] = {
    {kSOk, "S_OK", "success"},
    {kEHandle, "E_HANDLE", "invalid or already ended context handle"},
    {kEPointer, "E_POINTER", "a required pointer argument is NULL"},
    {kEInvalidArg, "E_INVALIDARG", "an argument has a value the call does not accept"},
    {kEOutOfMemory, "E_OUTOFMEMORY", "out of memory"},
    {kENotImpl, "E_NOTIMPL", "declared by the API but not supported"},
    {kEFail, "E_FAIL", "internal failure of the CA (its own files)"},
    {kFileNotFound, "ERROR_FILE_NOT_FOUND", "the name is not in a list returned by this session"},
    {kBadNetPath, "ERROR_BAD_NETPATH", "no Certificate Services server at that name"},
    {kReadFault, "ERROR_READ_FAULT", "reading the file failed"},
    {kServiceAlreadyRunning, "ERROR_SERVICE_ALREADY_RUNNING", "the CA service must be stopped for a restore"},
    {kServerUnavailable, "RPC_S_SERVER_UNAVAILABLE", "the CA service is not running"},
    {kJetBackupInProgress, "JET_errBackupInProgress", "another backup of this CA is in progress"},
    {kJetInvalidLogSequence, "JET_errInvalidLogSequence", "the log chain since the last backup is broken"},
    {kJetInvalidBackupSequence, "JET_errInvalidBackupSequence", "call out of the backup sequence"},
    {kJetMissingFullBackup, "JET_errMissingFullBackup", "no full backup precedes this incremental"},
    {kJetTruncateBeforeBackupComplete, "JET_err(-616)", "truncating logs before every listed file was read to its end"},
    {kJetLogFileCorrupt, "JET_errLogFileCorrupt", "a log file is torn or damaged"},
    {kJetMissingLogFile, "JET_errMissingLogFile", "a log generation needed by recovery is missing"},
    {kJetBadLogSignature, "JET_errBadLogSignature", "a log belongs to another log sequence"},
    {kJetLogGenerationMismatch, "JET_errLogGenerationMismatch", "a log's header generation differs from its name"},
};

// The table entry for `code`, or nullptr when the sim never returns it.
inline constexpr const HresultMeaning* find_hresult(int32_t code) {
  for (const auto& entry : kHresultTable) {
    if (entry.code == code) return &entry;
  }
  return nullptr;
}

}  // namespace certadm_sim
