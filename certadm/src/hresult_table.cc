// Names and meanings of the HRESULTs a Certadm call can return.
// Sources: winerror.h (Win32 error numbers, COM codes, facilities) and esent.h
// (JET_err numbers) as shipped by mingw-w64; the meanings are short
// restatements. Certadm returns ESE errors as 0xC8000000 | (-JET_err). A code
// that certvault or the sim names in code is a certadm_abi constant (abi.h),
// used here, so that its value is written down once.
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "certvault/certadm/api_error.h"

namespace certvault::certadm {
namespace {

struct Meaning {
  HRESULT code;
  std::string_view name;
  std::string_view text;
};

using certadm_abi::hresult_from_bits;
constexpr HRESULT from_win32(uint32_t error) { return certadm_abi::hresult_from_win32(error); }
constexpr HRESULT from_jet(int32_t jet_error) { return certadm_abi::hresult_from_jet(jet_error); }

// Where a COM name and HRESULT_FROM_WIN32 give the same value, the COM name wins
// (E_ACCESSDENIED, E_HANDLE, E_OUTOFMEMORY, E_INVALIDARG).
constexpr Meaning kMeanings[] = {
    {certadm_abi::kSOk, "S_OK", "success"},
    {hresult_from_bits(0x00000001), "S_FALSE", "success, with a negative answer"},
    // COM.
    {hresult_from_bits(0x8000FFFF), "E_UNEXPECTED", "Catastrophic failure"},
    {certadm_abi::kENotImpl, "E_NOTIMPL", "Not implemented"},
    {hresult_from_bits(0x80004002), "E_NOINTERFACE", "No such interface supported"},
    {certadm_abi::kEPointer, "E_POINTER", "Invalid pointer"},
    {certadm_abi::kEAbort, "E_ABORT", "Operation aborted"},
    {certadm_abi::kEFail, "E_FAIL", "Unspecified error"},
    {hresult_from_bits(0x8000000A), "E_PENDING", "The data necessary to complete this operation is not yet available"},
    {certadm_abi::kEAccessDenied, "E_ACCESSDENIED", "Access is denied"},
    {certadm_abi::kEHandle, "E_HANDLE", "The handle is invalid"},
    {certadm_abi::kEOutOfMemory, "E_OUTOFMEMORY",
     "Not enough memory resources are available to complete this operation"},
    {certadm_abi::kEInvalidArg, "E_INVALIDARG", "The parameter is incorrect"},
    {hresult_from_bits(0x80010108), "RPC_E_DISCONNECTED", "The object invoked has disconnected from its clients"},
    {hresult_from_bits(0x800401F0), "CO_E_NOTINITIALIZED", "CoInitialize has not been called"},
    {hresult_from_bits(0x800401F3), "CO_E_CLASSSTRING", "Invalid class string (the ProgID is not registered)"},
    {hresult_from_bits(0x80040154), "REGDB_E_CLASSNOTREG", "Class not registered"},
    {hresult_from_bits(0x80020006), "DISP_E_UNKNOWNNAME", "Unknown name"},
    // CryptoAPI and CNG (winerror.h), for exporting the CA's private key (backup --with-key).
    {hresult_from_bits(0x80090009), "NTE_BAD_FLAGS", "Invalid flags specified"},
    {hresult_from_bits(0x8009000B), "NTE_BAD_KEY_STATE", "Key not valid for use in specified state (not exportable)"},
    {hresult_from_bits(0x8009000D), "NTE_NO_KEY", "Key does not exist"},
    {hresult_from_bits(0x80090010), "NTE_PERM", "Access denied"},
    {hresult_from_bits(0x80090016), "NTE_BAD_KEYSET", "Keyset does not exist"},
    {hresult_from_bits(0x80090029), "NTE_NOT_SUPPORTED", "The requested operation is not supported"},
    {hresult_from_bits(0x80092004), "CRYPT_E_NOT_FOUND", "Cannot find object or property"},
    // Win32, as HRESULT_FROM_WIN32.
    {from_win32(1), "ERROR_INVALID_FUNCTION", "Incorrect function"},
    {certadm_abi::kFileNotFound, "ERROR_FILE_NOT_FOUND", "The system cannot find the file specified"},
    {from_win32(3), "ERROR_PATH_NOT_FOUND", "The system cannot find the path specified"},
    {from_win32(4), "ERROR_TOO_MANY_OPEN_FILES", "The system cannot open the file"},
    {from_win32(8), "ERROR_NOT_ENOUGH_MEMORY", "Not enough memory resources are available to process this command"},
    {from_win32(11), "ERROR_BAD_FORMAT", "An attempt was made to load a program with an incorrect format"},
    {from_win32(13), "ERROR_INVALID_DATA", "The data is invalid"},
    {from_win32(21), "ERROR_NOT_READY", "The device is not ready"},
    {from_win32(23), "ERROR_CRC", "Data error (cyclic redundancy check)"},
    {from_win32(29), "ERROR_WRITE_FAULT", "The system cannot write to the specified device"},
    {certadm_abi::kReadFault, "ERROR_READ_FAULT", "The system cannot read from the specified device"},
    {from_win32(32), "ERROR_SHARING_VIOLATION",
     "The process cannot access the file because it is being used by another process"},
    {from_win32(33), "ERROR_LOCK_VIOLATION",
     "The process cannot access the file because another process has locked a portion of the file"},
    {from_win32(38), "ERROR_HANDLE_EOF", "Reached the end of the file"},
    {from_win32(50), "ERROR_NOT_SUPPORTED", "The request is not supported"},
    {certadm_abi::kBadNetPath, "ERROR_BAD_NETPATH", "The network path was not found"},
    {from_win32(67), "ERROR_BAD_NET_NAME", "The network name cannot be found"},
    {from_win32(112), "ERROR_DISK_FULL", "There is not enough space on the disk"},
    {from_win32(121), "ERROR_SEM_TIMEOUT", "The semaphore timeout period has expired"},
    {from_win32(122), "ERROR_INSUFFICIENT_BUFFER", "The data area passed to a system call is too small"},
    {from_win32(123), "ERROR_INVALID_NAME", "The filename, directory name, or volume label syntax is incorrect"},
    {from_win32(126), "ERROR_MOD_NOT_FOUND", "The specified module could not be found"},
    {from_win32(127), "ERROR_PROC_NOT_FOUND", "The specified procedure could not be found"},
    {from_win32(161), "ERROR_BAD_PATHNAME", "The specified path is invalid"},
    {from_win32(183), "ERROR_ALREADY_EXISTS", "Cannot create a file when that file already exists"},
    {from_win32(193), "ERROR_BAD_EXE_FORMAT", "The file is not a valid application for this platform"},
    {from_win32(234), "ERROR_MORE_DATA", "More data is available"},
    {from_win32(995), "ERROR_OPERATION_ABORTED",
     "The I/O operation has been aborted because of either a thread exit or an application request"},
    {from_win32(1052), "ERROR_INVALID_SERVICE_CONTROL", "The requested control is not valid for this service"},
    {from_win32(1053), "ERROR_SERVICE_REQUEST_TIMEOUT",
     "The service did not respond to the start or control request in a timely fashion"},
    {certadm_abi::kServiceAlreadyRunning, "ERROR_SERVICE_ALREADY_RUNNING",
     "An instance of the service is already running"},
    {from_win32(1058), "ERROR_SERVICE_DISABLED", "The service cannot be started because it is disabled"},
    {from_win32(1060), "ERROR_SERVICE_DOES_NOT_EXIST", "The specified service does not exist as an installed service"},
    {from_win32(1061), "ERROR_SERVICE_CANNOT_ACCEPT_CTRL", "The service cannot accept control messages at this time"},
    {from_win32(1062), "ERROR_SERVICE_NOT_ACTIVE", "The service has not been started"},
    {from_win32(1114), "ERROR_DLL_INIT_FAILED", "A dynamic link library (DLL) initialization routine failed"},
    {from_win32(1117), "ERROR_IO_DEVICE", "The request could not be performed because of an I/O device error"},
    {from_win32(1168), "ERROR_NOT_FOUND", "Element not found"},
    {from_win32(1223), "ERROR_CANCELLED", "The operation was canceled by the user"},
    {from_win32(1231), "ERROR_NETWORK_UNREACHABLE", "The network location cannot be reached"},
    {from_win32(1313), "ERROR_NO_SUCH_PRIVILEGE", "A specified privilege does not exist"},
    {from_win32(1314), "ERROR_PRIVILEGE_NOT_HELD",
     "A required privilege is not held by the client (backup needs SeBackupPrivilege, restore SeRestorePrivilege)"},
    {from_win32(1392), "ERROR_FILE_CORRUPT", "The file or directory is corrupted and unreadable"},
    {from_win32(1460), "ERROR_TIMEOUT", "This operation returned because the timeout period expired"},
    {certadm_abi::kServerUnavailable, "RPC_S_SERVER_UNAVAILABLE",
     "The RPC server is unavailable (is the CA service running?)"},
    {from_win32(1723), "RPC_S_SERVER_TOO_BUSY", "The RPC server is too busy to complete this operation"},
    {from_win32(1726), "RPC_S_CALL_FAILED", "The remote procedure call failed"},
    {from_win32(1727), "RPC_S_CALL_FAILED_DNE", "The remote procedure call failed and did not execute"},
    {from_win32(1753), "EPT_S_NOT_REGISTERED", "There are no more endpoints available from the endpoint mapper"},
    {from_win32(1816), "ERROR_NOT_ENOUGH_QUOTA", "Not enough quota is available to process this command"},
    // ESE (JET) errors, as Certadm returns them.
    {certadm_abi::kJetLogFileCorrupt, "JET_errLogFileCorrupt", "a log file is damaged"},
    {from_jet(-503), "JET_errNoBackupDirectory", "no backup directory was given"},
    {from_jet(-504), "JET_errBackupDirectoryNotEmpty", "the backup directory is not empty"},
    {certadm_abi::kJetBackupInProgress, "JET_errBackupInProgress", "a backup of this database is already in progress"},
    {from_jet(-506), "JET_errRestoreInProgress", "a restore is in progress"},
    {from_jet(-509), "JET_errMissingPreviousLogFile", "the log file of the checkpoint is missing"},
    {from_jet(-510), "JET_errLogWriteFail", "writing to a log file failed"},
    {certadm_abi::kJetLogGenerationMismatch, "JET_errLogGenerationMismatch",
     "a log file's name does not match its internal generation"},
    {from_jet(-514), "JET_errBadLogVersion", "a log file's version is not compatible with this engine"},
    {certadm_abi::kJetInvalidLogSequence, "JET_errInvalidLogSequence",
     "the log sequence is broken (a log does not follow the previous one)"},
    {from_jet(-516), "JET_errLoggingDisabled", "logging is disabled"},
    {from_jet(-519), "JET_errLogSequenceEnd", "the log generation numbers are exhausted"},
    {from_jet(-520), "JET_errNoBackup", "no backup is in progress"},
    {certadm_abi::kJetInvalidBackupSequence, "JET_errInvalidBackupSequence", "a backup call came out of sequence"},
    {from_jet(-523), "JET_errBackupNotAllowedYet", "a backup cannot be taken now"},
    {from_jet(-524), "JET_errDeleteBackupFileFail", "a backup file could not be deleted"},
    {from_jet(-525), "JET_errMakeBackupDirectoryFail", "the backup directory could not be created"},
    {from_jet(-526), "JET_errInvalidBackup", "incremental backup is impossible while circular logging is on"},
    {from_jet(-527), "JET_errRecoveredWithErrors", "recovery finished but with errors"},
    {certadm_abi::kJetMissingLogFile, "JET_errMissingLogFile", "a log file needed for recovery is missing"},
    {from_jet(-529), "JET_errLogDiskFull", "the log disk is full"},
    {certadm_abi::kJetBadLogSignature, "JET_errBadLogSignature",
     "a log file belongs to another log sequence (bad signature)"},
    {from_jet(-531), "JET_errBadDbSignature", "a database file has a bad signature"},
    {from_jet(-532), "JET_errBadCheckpointSignature", "the checkpoint file has a bad signature"},
    {from_jet(-533), "JET_errCheckpointCorrupt", "the checkpoint file is missing or damaged"},
    {from_jet(-538), "JET_errPatchFileMissing", "the patch file is missing from the backup set"},
    {from_jet(-539), "JET_errDatabaseLogSetMismatch", "the database does not belong to these logs"},
    {from_jet(-541), "JET_errLogFileSizeMismatch", "a log file has the wrong size"},
    {from_jet(-542), "JET_errCheckpointFileNotFound", "the checkpoint file was not found"},
    {from_jet(-543), "JET_errRequiredLogFilesMissing", "log files required to recover the database are missing"},
    {from_jet(-550), "JET_errDatabaseDirtyShutdown", "the database was not shut down cleanly; recovery must run first"},
    {from_jet(-553), "JET_errEndingRestoreLogTooLow", "the restored logs end before the database needs"},
    {from_jet(-554), "JET_errStartingRestoreLogTooHigh", "the restored logs start after the database needs"},
    {from_jet(-555), "JET_errGivenLogFileHasBadSignature", "a restored log file has a bad signature"},
    {from_jet(-556), "JET_errGivenLogFileIsNotContiguous", "the restored log files are not contiguous"},
    {from_jet(-557), "JET_errMissingRestoreLogFiles", "log files of the restore set are missing"},
    {certadm_abi::kJetMissingFullBackup, "JET_errMissingFullBackup", "no full backup precedes this incremental backup"},
    {from_jet(-561), "JET_errBadBackupDatabaseSize", "the backed-up database has an invalid size"},
    {from_jet(-565), "JET_errMissingCurrentLogFiles", "the current log files are missing"},
    {from_jet(-569), "JET_errMissingFileToBackup", "some log or patch files are missing during backup"},
    {from_jet(-573), "JET_errLogCorruptDuringHardRestore", "a log file is damaged during restore"},
    {from_jet(-610), "JET_errExistingLogFileHasBadSignature", "an existing log file has a bad signature"},
    {from_jet(-611), "JET_errExistingLogFileIsNotContiguous", "the existing log files are not contiguous"},
    {from_jet(-612), "JET_errLogReadVerifyFailure", "a log file failed its checksum"},
    {from_jet(-615), "JET_errRestoreOfNonBackupDatabase", "the database restored was not made by a backup"},
    // Not in mingw-w64's esent.h; the project's Certadm guide (certadm-api.md) and the sim give this meaning.
    {certadm_abi::kJetTruncateBeforeBackupComplete, "JET_err(-616)",
     "log truncation refused: not every listed database file and log was backed up"},
    {from_jet(-1003), "JET_errInvalidParameter", "an argument is invalid"},
    {from_jet(-1011), "JET_errOutOfMemory", "the database engine is out of memory"},
    {from_jet(-1018), "JET_errReadVerifyFailure", "a database page failed its checksum"},
    {from_jet(-1022), "JET_errDiskIO", "a disk I/O error"},
    {from_jet(-1023), "JET_errInvalidPath", "an invalid file path"},
    {from_jet(-1032), "JET_errFileAccessDenied", "access to a file was denied"},
    {from_jet(-1090), "JET_errInstanceUnavailable", "the database instance is unavailable after a fatal error"},
    {from_jet(-1203), "JET_errDatabaseNotFound", "the database was not found"},
    {from_jet(-1206), "JET_errDatabaseCorrupted", "the database is damaged"},
    {from_jet(-1808), "JET_errDiskFull", "the disk is full"},
    {from_jet(-1809), "JET_errPermissionDenied", "permission denied"},
    {from_jet(-1811), "JET_errFileNotFound", "a file was not found"},
    {from_jet(-1812), "JET_errFileInvalidType", "a file has an invalid type"},
};

constexpr bool codes_are_unique() {
  for (size_t i = 0; i < std::size(kMeanings); ++i) {
    for (size_t j = i + 1; j < std::size(kMeanings); ++j) {
      if (kMeanings[i].code == kMeanings[j].code) return false;
    }
  }
  return true;
}
static_assert(codes_are_unique(), "every HRESULT has one meaning");

std::string_view facility_name(uint32_t facility) {
  switch (facility) {
    case 0:
      return "FACILITY_NULL";
    case 1:
      return "FACILITY_RPC";
    case 2:
      return "FACILITY_DISPATCH";
    case 3:
      return "FACILITY_STORAGE";
    case 4:
      return "FACILITY_ITF";
    case 7:
      return "FACILITY_WIN32";
    case 8:
      return "FACILITY_WINDOWS";
    case 9:
      return "FACILITY_SECURITY";
    case 10:
      return "FACILITY_CONTROL";
    case 11:
      return "FACILITY_CERT";
    case 0x800:
      return "ESE, as Certadm returns it";
    default:
      return "unnamed facility";
  }
}

}  // namespace

std::string describe_hresult(HRESULT hresult) {
  const auto bits = static_cast<uint32_t>(hresult);
  for (const auto& meaning : kMeanings) {
    if (meaning.code == hresult) return fmt::format("0x{:08X} ({}: {})", bits, meaning.name, meaning.text);
  }
  const uint32_t facility = (bits >> 16) & 0x1FFF;
  const uint32_t code = bits & 0xFFFF;
  const char* severity = (bits & 0x80000000u) != 0 ? "failure" : "success";
  if ((bits & 0xFFFF0000u) == 0xC8000000u) {
    return fmt::format("0x{:08X} (unknown HRESULT: severity {}, facility 0x{:X} ({}), ESE error JET_err {})", bits,
                       severity, facility, facility_name(facility), -static_cast<int32_t>(code));
  }
  return fmt::format("0x{:08X} (unknown HRESULT: severity {}, facility {} ({}), code {} (0x{:X}))", bits, severity,
                     facility, facility_name(facility), code, code);
}

}  // namespace certvault::certadm
