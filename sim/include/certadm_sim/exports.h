// The seventeen functions libcertadm_sim.so exports, declared exactly as
// certbcli.h declares them (C linkage, UTF-16 WCHAR strings).
//
// Contract: the archiver never includes this header; it loads the library by path
// and resolves these names (the same way it loads certadm.dll). Tests that link
// certadm_sim call them directly. The static_asserts keep every signature equal
// to the function-pointer types of certvault/certadm/abi.h.
#pragma once

#include <type_traits>

#include "certvault/certadm/abi.h"

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvIsServerOnlineW(const WCHAR* server, CertadmBool* online);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupPrepareW(const WCHAR* server, ULONG grbitJet, ULONG backupFlags,
                                                          HCSBC* context);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreGetDatabaseLocationsW(HCSBC context, WCHAR** list, DWORD* bytes);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupGetDatabaseNamesW(HCSBC context, WCHAR** list, DWORD* bytes);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupOpenFileW(HCSBC context, const WCHAR* name, DWORD readHint,
                                                           LARGE_INTEGER* size);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupRead(HCSBC context, VOID* buffer, DWORD bufferBytes, DWORD* bytesRead);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupClose(HCSBC context);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupGetBackupLogsW(HCSBC context, WCHAR** list, DWORD* bytes);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupTruncateLogs(HCSBC context);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupGetDynamicFileListW(HCSBC context, WCHAR** list, DWORD* bytes);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupEnd(HCSBC context);
CERTADM_EXPORT VOID CERTADM_CALL CertSrvBackupFree(VOID* buffer);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestorePrepareW(const WCHAR* server, ULONG restoreFlags, HCSBC* context);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreRegisterW(HCSBC context, const WCHAR* checkpointPath,
                                                            const WCHAR* logPath, CSEDB_RSTMAPW restoreMap[],
                                                            LONG mapCount, const WCHAR* backupLogPath, ULONG genLow,
                                                            ULONG genHigh);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreRegisterComplete(HCSBC context, HRESULT restoreState);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreEnd(HCSBC context);
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvServerControlW(const WCHAR* server, DWORD command, DWORD* outBytes,
                                                          BYTE** out);

// The exports must keep certbcli.h's exact signatures (the binding resolves them by name).
static_assert(std::is_same_v<decltype(&CertSrvIsServerOnlineW), certadm_abi::IsServerOnlineW>);
static_assert(std::is_same_v<decltype(&CertSrvBackupPrepareW), certadm_abi::BackupPrepareW>);
static_assert(
    std::is_same_v<decltype(&CertSrvRestoreGetDatabaseLocationsW), certadm_abi::RestoreGetDatabaseLocationsW>);
static_assert(std::is_same_v<decltype(&CertSrvBackupGetDatabaseNamesW), certadm_abi::BackupGetDatabaseNamesW>);
static_assert(std::is_same_v<decltype(&CertSrvBackupOpenFileW), certadm_abi::BackupOpenFileW>);
static_assert(std::is_same_v<decltype(&CertSrvBackupRead), certadm_abi::BackupRead>);
static_assert(std::is_same_v<decltype(&CertSrvBackupClose), certadm_abi::BackupClose>);
static_assert(std::is_same_v<decltype(&CertSrvBackupGetBackupLogsW), certadm_abi::BackupGetBackupLogsW>);
static_assert(std::is_same_v<decltype(&CertSrvBackupTruncateLogs), certadm_abi::BackupTruncateLogs>);
static_assert(std::is_same_v<decltype(&CertSrvBackupGetDynamicFileListW), certadm_abi::BackupGetDynamicFileListW>);
static_assert(std::is_same_v<decltype(&CertSrvBackupEnd), certadm_abi::BackupEnd>);
static_assert(std::is_same_v<decltype(&CertSrvBackupFree), certadm_abi::BackupFree>);
static_assert(std::is_same_v<decltype(&CertSrvRestorePrepareW), certadm_abi::RestorePrepareW>);
static_assert(std::is_same_v<decltype(&CertSrvRestoreRegisterW), certadm_abi::RestoreRegisterW>);
static_assert(std::is_same_v<decltype(&CertSrvRestoreRegisterComplete), certadm_abi::RestoreRegisterComplete>);
static_assert(std::is_same_v<decltype(&CertSrvRestoreEnd), certadm_abi::RestoreEnd>);
static_assert(std::is_same_v<decltype(&CertSrvServerControlW), certadm_abi::ServerControlW>);
