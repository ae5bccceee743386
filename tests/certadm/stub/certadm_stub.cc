// A scripted stand-in for Certadm, to test how the binding treats output the
// simulated CA never produces (malformed lists, empty reads) and a library
// that lacks an export (built with CERTADM_STUB_OMIT_TRUNCATE).
// Control functions (certadm_stub_*) let the test script the behaviour.
#include <cstring>
#include <string>
#include <vector>

#include "certvault/certadm/abi.h"

namespace {

constexpr HRESULT kOk = 0;
constexpr uint64_t kFileSize = 10;

std::vector<uint8_t> g_list = {0, 0, 0, 0};
int g_outstanding_buffers = 0;
bool g_zero_reads = false;
uint64_t g_position = 0;
std::string g_calls;
int g_context_token = 0;

void record(const char* call) {
  g_calls += call;
  g_calls += ';';
}

HRESULT return_list(WCHAR** list, DWORD* bytes) {
  auto* buffer = new uint8_t[g_list.empty() ? 1 : g_list.size()];
  if (!g_list.empty()) std::memcpy(buffer, g_list.data(), g_list.size());
  ++g_outstanding_buffers;
  *list = reinterpret_cast<WCHAR*>(buffer);
  *bytes = static_cast<DWORD>(g_list.size());
  return kOk;
}

}  // namespace

CERTADM_EXPORT void certadm_stub_set_list(const uint8_t* bytes, uint32_t size) { g_list.assign(bytes, bytes + size); }
CERTADM_EXPORT void certadm_stub_set_zero_reads(int enabled) { g_zero_reads = enabled != 0; }
CERTADM_EXPORT int certadm_stub_outstanding_buffers() { return g_outstanding_buffers; }
CERTADM_EXPORT const char* certadm_stub_calls() { return g_calls.c_str(); }

CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvIsServerOnlineW(const WCHAR*, CertadmBool* online) {
  record("IsServerOnline");
  *online = 1;
  return kOk;
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupPrepareW(const WCHAR*, ULONG, ULONG, HCSBC* context) {
  record("BackupPrepare");
  *context = &g_context_token;
  return kOk;
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreGetDatabaseLocationsW(HCSBC, WCHAR** list, DWORD* bytes) {
  record("RestoreGetDatabaseLocations");
  return return_list(list, bytes);
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupGetDatabaseNamesW(HCSBC, WCHAR** list, DWORD* bytes) {
  record("BackupGetDatabaseNames");
  return return_list(list, bytes);
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupOpenFileW(HCSBC, const WCHAR*, DWORD, LARGE_INTEGER* size) {
  record("BackupOpenFile");
  g_position = 0;
  size->QuadPart = kFileSize;
  return kOk;
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupRead(HCSBC, VOID* buffer, DWORD bytes, DWORD* read) {
  record("BackupRead");
  const uint64_t left = kFileSize - g_position;
  *read = g_zero_reads ? 0 : static_cast<DWORD>(bytes < left ? bytes : left);
  std::memset(buffer, 'x', *read);
  g_position += *read;
  return kOk;
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupClose(HCSBC) {
  record("BackupClose");
  return kOk;
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupGetBackupLogsW(HCSBC, WCHAR** list, DWORD* bytes) {
  record("BackupGetBackupLogs");
  return return_list(list, bytes);
}
#ifndef CERTADM_STUB_OMIT_TRUNCATE
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupTruncateLogs(HCSBC) {
  record("BackupTruncateLogs");
  return kOk;
}
#endif
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupGetDynamicFileListW(HCSBC, WCHAR** list, DWORD* bytes) {
  record("BackupGetDynamicFileList");
  return return_list(list, bytes);
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvBackupEnd(HCSBC) {
  record("BackupEnd");
  return kOk;
}
CERTADM_EXPORT VOID CERTADM_CALL CertSrvBackupFree(VOID* buffer) {
  record("BackupFree");
  --g_outstanding_buffers;
  delete[] static_cast<uint8_t*>(buffer);
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestorePrepareW(const WCHAR*, ULONG, HCSBC* context) {
  record("RestorePrepare");
  *context = &g_context_token;
  return kOk;
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreRegisterW(HCSBC, const WCHAR*, const WCHAR*, CSEDB_RSTMAPW[], LONG,
                                                            const WCHAR*, ULONG, ULONG) {
  record("RestoreRegister");
  return kOk;
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreRegisterComplete(HCSBC, HRESULT) {
  record("RestoreRegisterComplete");
  return kOk;
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvRestoreEnd(HCSBC) {
  record("RestoreEnd");
  return kOk;
}
CERTADM_EXPORT HRESULT CERTADM_CALL CertSrvServerControlW(const WCHAR*, DWORD, DWORD* bytes, BYTE** out) {
  record("ServerControl");
  auto* buffer = new uint8_t[3]{1, 2, 3};
  ++g_outstanding_buffers;
  *bytes = 3;
  *out = buffer;
  return kOk;
}
