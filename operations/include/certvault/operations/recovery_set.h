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
//   - Config/templates.txt: for an enterprise CA, the certificate templates it publishes (one name a
//     line), as the CA answers for its CertificateTemplates property (CR_PROP_TEMPLATES);
//   - Config/<CA>.p12, only when asked (RecoverySetRequest::key_passphrase): the CA's private keys
//     with the certificates CACertHash names, PKCS#12 protected by that passphrase, exported
//     through CryptoAPI/CNG (PFXExportCertStoreEx) on Windows, from the simulated CA's key model
//     (OpenSSL's PKCS12_create) elsewhere. Callers put it only into an encrypted repository.
// What cannot be read (no key, a certificate missing from the store, no CAPolicy.inf) is a note,
// never an error: the database backup does not depend on it. A key asked for but not stored is
// also `key_not_stored`, which the backup records in the snapshot; `not_exportable` when the key
// exists but its provider refuses to export it (an HSM, a non-exportable KSP key): only the HSM
// vendor's procedure backs such a key up. format_reg_file() is pure.
#pragma once

#include <cstdint>
#include <optional>
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

struct RecoverySetRequest {
  std::string ca_name;  // names Config/<CA>.p12 (the API's answer); empty: the configuration's Active
  std::optional<std::string> key_passphrase;  // set: export the CA's private key as Config/<CA>.p12
};

struct KeyNotStored {
  std::string path;             // "Config/<CA>.p12"
  std::string reason;           // what failed and why, and what to do about it
  bool not_exportable = false;  // the provider refuses to export it (HSM, non-exportable key)
};

struct RecoverySet {
  std::vector<RecoverySetFile> files;
  std::vector<std::string> notes;  // what is missing and why
  std::optional<KeyNotStored> key_not_stored;
};

RecoverySet read_recovery_set(const std::string& server, const RecoverySetRequest& request = {});

// The sentence show, status and backup print for a key that was not exported.
inline constexpr const char* kHsmProcedure =
    "the CA's private key must be backed up with the HSM vendor's procedure (or the key storage provider's "
    "own export tool)";

}  // namespace certvault
