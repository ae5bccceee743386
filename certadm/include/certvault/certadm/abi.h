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
// Both sim/ and certadm/ include this header; neither links the other.
#pragma once

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
