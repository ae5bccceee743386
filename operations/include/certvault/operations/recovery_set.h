// The recovery set: what a CA needs beyond its database and logs to be rebuilt, stored by a full
// backup under Config/ (issue 20; docs/restore-runbook.md, "A new server").
//
// Contract: read_recovery_set(server) gathers, without changing anything on the CA,
//   - Config/CA.reg: the key HKLM\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration with
//     every value and subkey, in the format `reg export` writes and `reg import` reads (UTF-16LE
//     with a BOM, CRLF); read through the registry API on Windows (RegOpenKeyExW, RegEnumValueW,
//     RegEnumKeyExW; never reg.exe), from the simulated CA's model elsewhere;
//   - Config/CAPolicy.inf: %windir%\CAPolicy.inf when present;
//   - Config/<thumbprint>.cer: each CA certificate CACertHash names, DER, from the machine's "My"
//     store.
// What cannot be read (no key, a certificate missing from the store, no CAPolicy.inf) is a note,
// never an error: the database backup does not depend on it. format_reg_file() is pure.
// The CA's private key is not part of it (it needs an encrypted repository: issue 17).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace certvault {

inline constexpr const char* kCaConfigurationKey =
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\CertSvc\\Configuration";

// Registry value types (winnt.h).
enum RegistryType : uint32_t {
  kRegNone = 0,
  kRegSz = 1,
  kRegExpandSz = 2,
  kRegBinary = 3,
  kRegDword = 4,
  kRegMultiSz = 7,
  kRegQword = 11,
};

struct RegistryValue {
  std::u16string name;        // empty: the key's default value
  uint32_t type = kRegNone;   // RegistryType or any other number the registry holds
  std::vector<uint8_t> data;  // exactly as RegEnumValueW returns it (strings UTF-16LE with NULs)
};

struct RegistryKey {
  std::u16string name;  // the last segment of the key's path
  std::vector<RegistryValue> values;
  std::vector<RegistryKey> subkeys;
};

// The .reg file of `key` at `path` (e.g. kCaConfigurationKey) and its subkeys, as `reg export`
// writes it: "Windows Registry Editor Version 5.00", one [path] section per key, REG_SZ as
// "text", REG_DWORD as dword:, everything else as hex(type): bytes with 80-column continuation
// lines; UTF-16LE with a BOM and CRLF line ends.
std::vector<uint8_t> format_reg_file(const RegistryKey& key, const std::u16string& path);

struct RecoverySetFile {
  std::string name;  // file name under Config/
  std::vector<uint8_t> bytes;
  std::string origin;  // where it was read, for the MANIFEST and show
};

struct RecoverySet {
  std::vector<RecoverySetFile> files;
  std::vector<std::string> notes;  // what is missing and why
};

RecoverySet read_recovery_set(const std::string& server);

}  // namespace certvault
