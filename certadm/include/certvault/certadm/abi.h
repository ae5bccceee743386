// The Certadm backup/restore ABI (certbcli.h) as certvault sees it.
//
// Contract: on Windows this header includes the real <certbcli.h>, so every
// type below is the platform's own (except inside certadm.dll, the sim, which
// defines the functions and so declares the types itself: see below, and the
// type check in sim/src/typecheck/). Elsewhere it declares the same types with
// the same widths (HRESULT and LONG are 32-bit, WCHAR is a UTF-16 code unit)
// so that the simulated CA (sim/) exports, and the binding (certadm/) resolves,
// functions whose signatures match certbcli.h exactly.
//
// Both sim/ and certadm/ include this header; neither links the other. It also
// defines, once, the HRESULTs that either side names in code (certadm_abi::k...,
// at the end): the sim returns them, the binding describes them and branches on
// them, the tests expect them.
#pragma once

#include <cstdint>

#if defined(_WIN32) && !defined(CERTADM_SIM_EXPORTS)
// The binding, and anything else that calls Certadm.dll: the platform's own declarations.
// windows.h first: certbcli.h uses its types without including it.
#include <windows.h>
// (a separate include block, so that formatting never sorts certbcli.h above windows.h)
#include <certbcli.h>
#define CERTADM_CALL WINAPI
// What certbcli.h itself declares, so a redeclaration (sim/include/certadm_sim/exports.h in the
// type check, sim/src/typecheck/) is compatible only if its signature is exactly the header's.
#define CERTADM_EXPORT extern "C" __declspec(dllimport)
typedef WINBOOL CertadmBool;
#else
#ifdef _WIN32
// The sim built as certadm.dll (CERTADM_SIM_EXPORTS): it defines the functions certbcli.h
// declares __declspec(dllimport), so it must not include certbcli.h; it declares the same
// types below. sim/src/typecheck/certbcli_typecheck_win32.cc checks them against the header.
#include <windows.h>
#define CERTADM_CALL WINAPI
#define CERTADM_EXPORT extern "C" __declspec(dllexport)
typedef WINBOOL CertadmBool;
#else
#include <cstdint>

typedef int32_t HRESULT;
typedef uint32_t DWORD;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint8_t BYTE;
typedef int32_t BOOL;
typedef char16_t WCHAR;
typedef void VOID;
typedef union _LARGE_INTEGER {
  struct {
    DWORD LowPart;
    LONG HighPart;
  } u;
  int64_t QuadPart;
} LARGE_INTEGER;
#define CERTADM_CALL
#define CERTADM_EXPORT extern "C" __attribute__((visibility("default")))
typedef BOOL CertadmBool;
#endif  // _WIN32

typedef void* HCSBC;
typedef WCHAR CSBFT;

typedef struct tagCSEDB_RSTMAPW {
  WCHAR* pwszDatabaseName;
  WCHAR* pwszNewDatabaseName;
} CSEDB_RSTMAPW;

#define CSBACKUP_TYPE_FULL 0x00000001
#define CSBACKUP_TYPE_LOGS_ONLY 0x00000002
#define CSBACKUP_TYPE_MASK 0x00000003
#define CSRESTORE_TYPE_FULL 0x00000001
#define CSRESTORE_TYPE_ONLINE 0x00000002
#define CSRESTORE_TYPE_CATCHUP 0x00000004
#define CSRESTORE_TYPE_MASK 0x00000005

#define CSBFT_DIRECTORY 0x80
#define CSBFT_DATABASE_DIRECTORY 0x40
#define CSBFT_LOG_DIRECTORY 0x20
#define CSBFT_LOG ((CSBFT)(0x01 | CSBFT_LOG_DIRECTORY))
#define CSBFT_LOG_DIR ((CSBFT)(0x02 | CSBFT_DIRECTORY))
#define CSBFT_CHECKPOINT_DIR ((CSBFT)(0x03 | CSBFT_DIRECTORY))
#define CSBFT_CERTSERVER_DATABASE ((CSBFT)(0x04 | CSBFT_DATABASE_DIRECTORY))
#define CSBFT_PATCH_FILE ((CSBFT)(0x05 | CSBFT_LOG_DIRECTORY))
#define CSBFT_UNKNOWN ((CSBFT)(0x0f))

#define CSCONTROL_SHUTDOWN 0x000000001
#define CSCONTROL_SUSPEND 0x000000002
#define CSCONTROL_RESTART 0x000000003

#endif

static_assert(sizeof(HRESULT) == 4, "HRESULT is 32-bit on every platform");
static_assert(sizeof(WCHAR) == 2, "WCHAR is a UTF-16 code unit");
static_assert(sizeof(DWORD) == 4 && sizeof(LONG) == 4 && sizeof(ULONG) == 4, "Win32 widths");
static_assert(sizeof(LARGE_INTEGER) == 8, "LARGE_INTEGER is 64-bit");

// Function types, named as certbcli.h names them (without the FN prefix
// clash: the real header declares FNCERTSRV... only under _CERTBCLI_TYPECHECK).
namespace certadm_abi {
using IsServerOnlineW = HRESULT(CERTADM_CALL*)(const WCHAR* server, CertadmBool* online);
using BackupPrepareW = HRESULT(CERTADM_CALL*)(const WCHAR* server, ULONG grbitJet, ULONG backupFlags, HCSBC* context);
using RestoreGetDatabaseLocationsW = HRESULT(CERTADM_CALL*)(HCSBC context, WCHAR** list, DWORD* bytes);
using BackupGetDatabaseNamesW = HRESULT(CERTADM_CALL*)(HCSBC context, WCHAR** list, DWORD* bytes);
using BackupOpenFileW = HRESULT(CERTADM_CALL*)(HCSBC context, const WCHAR* name, DWORD readHint, LARGE_INTEGER* size);
using BackupRead = HRESULT(CERTADM_CALL*)(HCSBC context, VOID* buffer, DWORD bufferBytes, DWORD* bytesRead);
using BackupClose = HRESULT(CERTADM_CALL*)(HCSBC context);
using BackupGetBackupLogsW = HRESULT(CERTADM_CALL*)(HCSBC context, WCHAR** list, DWORD* bytes);
using BackupTruncateLogs = HRESULT(CERTADM_CALL*)(HCSBC context);
using BackupGetDynamicFileListW = HRESULT(CERTADM_CALL*)(HCSBC context, WCHAR** list, DWORD* bytes);
using BackupEnd = HRESULT(CERTADM_CALL*)(HCSBC context);
using BackupFree = VOID(CERTADM_CALL*)(VOID* buffer);
using RestorePrepareW = HRESULT(CERTADM_CALL*)(const WCHAR* server, ULONG restoreFlags, HCSBC* context);
using RestoreRegisterW = HRESULT(CERTADM_CALL*)(HCSBC context, const WCHAR* checkpointPath, const WCHAR* logPath,
                                                CSEDB_RSTMAPW restoreMap[], LONG mapCount, const WCHAR* backupLogPath,
                                                ULONG genLow, ULONG genHigh);
using RestoreRegisterComplete = HRESULT(CERTADM_CALL*)(HCSBC context, HRESULT restoreState);
using RestoreEnd = HRESULT(CERTADM_CALL*)(HCSBC context);
using ServerControlW = HRESULT(CERTADM_CALL*)(const WCHAR* server, DWORD command, DWORD* outBytes, BYTE** out);
}  // namespace certadm_abi

// HRESULTs. Win32 errors are HRESULT_FROM_WIN32 (0x8007xxxx); ESE errors are Certadm's
// 0xC800xxxx, whose low 16 bits are -JET_err (JET_errMissingFullBackup -560 -> 0xC8000230).
// Names are winerror.h's and esent.h's with a k prefix (on Windows theirs are macros). Only
// codes that code names are here; certadm/src/hresult_table.cc describes many more.
namespace certadm_abi {
constexpr HRESULT hresult_from_bits(uint32_t bits) { return static_cast<HRESULT>(bits); }
constexpr HRESULT hresult_from_win32(uint32_t error) { return hresult_from_bits(0x80070000u | error); }
constexpr HRESULT hresult_from_jet(int32_t jet_error) {
  return hresult_from_bits(0xC8000000u | static_cast<uint32_t>(-jet_error));
}

inline constexpr HRESULT kSOk = 0;
// COM.
inline constexpr HRESULT kENotImpl = hresult_from_bits(0x80004001);
inline constexpr HRESULT kEPointer = hresult_from_bits(0x80004003);
inline constexpr HRESULT kEAbort = hresult_from_bits(0x80004004);
inline constexpr HRESULT kEFail = hresult_from_bits(0x80004005);
inline constexpr HRESULT kEAccessDenied = hresult_from_win32(5);  // E_ACCESSDENIED
inline constexpr HRESULT kEHandle = hresult_from_win32(6);        // E_HANDLE (ERROR_INVALID_HANDLE)
inline constexpr HRESULT kEOutOfMemory = hresult_from_win32(14);  // E_OUTOFMEMORY
inline constexpr HRESULT kEInvalidArg = hresult_from_win32(87);   // E_INVALIDARG
// Win32, as HRESULT_FROM_WIN32.
inline constexpr HRESULT kFileNotFound = hresult_from_win32(2);              // ERROR_FILE_NOT_FOUND
inline constexpr HRESULT kReadFault = hresult_from_win32(30);                // ERROR_READ_FAULT
inline constexpr HRESULT kBadNetPath = hresult_from_win32(53);               // ERROR_BAD_NETPATH
inline constexpr HRESULT kServiceAlreadyRunning = hresult_from_win32(1056);  // ERROR_SERVICE_ALREADY_RUNNING
inline constexpr HRESULT kServerUnavailable = hresult_from_win32(1722);      // RPC_S_SERVER_UNAVAILABLE
// ESE (JET) errors, in Certadm's form.
inline constexpr HRESULT kJetLogFileCorrupt = hresult_from_jet(-501);         // JET_errLogFileCorrupt
inline constexpr HRESULT kJetBackupInProgress = hresult_from_jet(-505);       // JET_errBackupInProgress
inline constexpr HRESULT kJetLogGenerationMismatch = hresult_from_jet(-513);  // JET_errLogGenerationMismatch
inline constexpr HRESULT kJetInvalidLogSequence = hresult_from_jet(-515);     // JET_errInvalidLogSequence
inline constexpr HRESULT kJetInvalidBackupSequence = hresult_from_jet(-521);  // JET_errInvalidBackupSequence
inline constexpr HRESULT kJetMissingLogFile = hresult_from_jet(-528);         // JET_errMissingLogFile
inline constexpr HRESULT kJetBadLogSignature = hresult_from_jet(-530);        // JET_errBadLogSignature
inline constexpr HRESULT kJetMissingFullBackup = hresult_from_jet(-560);      // JET_errMissingFullBackup
// -616: not in esent.h; the Certadm guide and the sim: TruncateLogs before every listed file was read.
inline constexpr HRESULT kJetTruncateBeforeBackupComplete = hresult_from_jet(-616);
}  // namespace certadm_abi
