// Compiled in the Windows build only: the sim's exports and the binding's
// function-pointer types, checked against the real <certbcli.h> from
// mingw-w64, in the spirit of the header's own _CERTBCLI_TYPECHECK.
//
// Any signature drift fails the build here, three ways:
// 1. certvault/certadm/abi.h (without CERTADM_SIM_EXPORTS) includes <certbcli.h>; the
//    sim's exports.h then redeclares the seventeen functions with C linkage.
//    A C function redeclared with a different type is an error ("conflicting
//    declaration"), so each of the sim's signatures must be the header's.
//    exports.h declares them __declspec(dllimport), as the header does, so the
//    redeclarations agree on linkage too; the sim itself (CERTADM_SIM_EXPORTS)
//    never sees <certbcli.h> and exports through certadm.def.
// 2. decltype of every function (now certbcli.h's and the sim's declaration
//    at once) must be the header's FNCERTSRV* type.
// 3. Every certadm_abi pointer type the binding resolves with GetProcAddress
//    must be the header's FNCERTSRV* pointer type.
// Layout of the types the sim declares itself (CERTADM_SIM_EXPORTS) is checked
// by size below; their names are the header's.
#include <cstddef>
#include <type_traits>

#include "certadm_sim/exports.h"
#include "certvault/certadm/abi.h"

#ifndef __CERTBCLI_H__
#error "certbcli.h must be the header in use here"
#endif

#define CERTVAULT_CHECK_EXPORT(function, fn_type)              \
  static_assert(std::is_same_v<decltype(&function), fn_type*>, \
                #function " in sim/include/certadm_sim/exports.h differs from certbcli.h")

CERTVAULT_CHECK_EXPORT(CertSrvIsServerOnlineW, FNCERTSRVISSERVERONLINEW);
CERTVAULT_CHECK_EXPORT(CertSrvBackupPrepareW, FNCERTSRVBACKUPPREPAREW);
CERTVAULT_CHECK_EXPORT(CertSrvRestoreGetDatabaseLocationsW, FNCERTSRVRESTOREGETDATABASELOCATIONSW);
CERTVAULT_CHECK_EXPORT(CertSrvBackupGetDatabaseNamesW, FNCERTSRVBACKUPGETDATABASENAMESW);
CERTVAULT_CHECK_EXPORT(CertSrvBackupOpenFileW, FNCERTSRVBACKUPOPENFILEW);
CERTVAULT_CHECK_EXPORT(CertSrvBackupRead, FNCERTSRVBACKUPREAD);
CERTVAULT_CHECK_EXPORT(CertSrvBackupClose, FNCERTSRVBACKUPCLOSE);
CERTVAULT_CHECK_EXPORT(CertSrvBackupGetBackupLogsW, FNCERTSRVBACKUPGETBACKUPLOGSW);
CERTVAULT_CHECK_EXPORT(CertSrvBackupTruncateLogs, FNCERTSRVBACKUPTRUNCATELOGS);
CERTVAULT_CHECK_EXPORT(CertSrvBackupGetDynamicFileListW, FNCERTSRVBACKUPGETDYNAMICFILELISTW);
CERTVAULT_CHECK_EXPORT(CertSrvBackupEnd, FNCERTSRVBACKUPEND);
CERTVAULT_CHECK_EXPORT(CertSrvBackupFree, FNCERTSRVBACKUPFREE);
CERTVAULT_CHECK_EXPORT(CertSrvRestorePrepareW, FNCERTSRVRESTOREPREPAREW);
CERTVAULT_CHECK_EXPORT(CertSrvRestoreRegisterW, FNCERTSRVRESTOREREGISTERW);
CERTVAULT_CHECK_EXPORT(CertSrvRestoreRegisterComplete, FNCERTSRVRESTOREREGISTERCOMPLETE);
CERTVAULT_CHECK_EXPORT(CertSrvRestoreEnd, FNCERTSRVRESTOREEND);
CERTVAULT_CHECK_EXPORT(CertSrvServerControlW, FNCERTSRVSERVERCONTROLW);

#define CERTVAULT_CHECK_POINTER(abi_type, fn_type)               \
  static_assert(std::is_same_v<certadm_abi::abi_type, fn_type*>, \
                "certadm_abi::" #abi_type " (resolved by the binding) differs from certbcli.h")

CERTVAULT_CHECK_POINTER(IsServerOnlineW, FNCERTSRVISSERVERONLINEW);
CERTVAULT_CHECK_POINTER(BackupPrepareW, FNCERTSRVBACKUPPREPAREW);
CERTVAULT_CHECK_POINTER(RestoreGetDatabaseLocationsW, FNCERTSRVRESTOREGETDATABASELOCATIONSW);
CERTVAULT_CHECK_POINTER(BackupGetDatabaseNamesW, FNCERTSRVBACKUPGETDATABASENAMESW);
CERTVAULT_CHECK_POINTER(BackupOpenFileW, FNCERTSRVBACKUPOPENFILEW);
CERTVAULT_CHECK_POINTER(BackupRead, FNCERTSRVBACKUPREAD);
CERTVAULT_CHECK_POINTER(BackupClose, FNCERTSRVBACKUPCLOSE);
CERTVAULT_CHECK_POINTER(BackupGetBackupLogsW, FNCERTSRVBACKUPGETBACKUPLOGSW);
CERTVAULT_CHECK_POINTER(BackupTruncateLogs, FNCERTSRVBACKUPTRUNCATELOGS);
CERTVAULT_CHECK_POINTER(BackupGetDynamicFileListW, FNCERTSRVBACKUPGETDYNAMICFILELISTW);
CERTVAULT_CHECK_POINTER(BackupEnd, FNCERTSRVBACKUPEND);
CERTVAULT_CHECK_POINTER(BackupFree, FNCERTSRVBACKUPFREE);
CERTVAULT_CHECK_POINTER(RestorePrepareW, FNCERTSRVRESTOREPREPAREW);
CERTVAULT_CHECK_POINTER(RestoreRegisterW, FNCERTSRVRESTOREREGISTERW);
CERTVAULT_CHECK_POINTER(RestoreRegisterComplete, FNCERTSRVRESTOREREGISTERCOMPLETE);
CERTVAULT_CHECK_POINTER(RestoreEnd, FNCERTSRVRESTOREEND);
CERTVAULT_CHECK_POINTER(ServerControlW, FNCERTSRVSERVERCONTROLW);

// What the sim declares itself under CERTADM_SIM_EXPORTS must have the header's layout.
static_assert(sizeof(CSEDB_RSTMAPW) == 2 * sizeof(WCHAR*) &&
              offsetof(CSEDB_RSTMAPW, pwszNewDatabaseName) == sizeof(WCHAR*));
static_assert(std::is_same_v<CSBFT, WCHAR> && std::is_same_v<HCSBC, void*>);
static_assert(CSBFT_LOG == 0x21 && CSBFT_CERTSERVER_DATABASE == 0x44 && CSBFT_CHECKPOINT_DIR == 0x83);
static_assert(CSBACKUP_TYPE_FULL == 1 && CSBACKUP_TYPE_LOGS_ONLY == 2 && CSRESTORE_TYPE_FULL == 1);
