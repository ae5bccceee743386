// The operating-system half of the recovery set (recovery_set.h): recovery_set_win32.cc reads
// the registry, the machine's certificate store and %windir%; recovery_set_posix.cc reads the
// simulated CA's models of them (DIR/.casim/registry.json, DIR/.casim/store/, DIR/Windows/).
// Each returns nullopt with the reason in `why_not` when there is nothing to read.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "certvault/operations/recovery_set.h"

namespace certvault::recovery_os {

std::optional<RegistryKey> read_configuration_key(const std::string& server, std::string& origin, std::string& why_not);
// `thumbprint`: 40 lower-case hex digits.
std::optional<std::vector<uint8_t>> read_ca_certificate(const std::string& server, const std::string& thumbprint,
                                                        std::string& origin, std::string& why_not);
std::optional<std::vector<uint8_t>> read_capolicy(const std::string& server, std::string& origin, std::string& why_not);

// The CA's private keys, for the CA certificates `thumbprints` (as CACertHash lists them), as one
// PKCS#12 protected by `passphrase` with `friendly_name` on the keys. Exactly one of: `pkcs12` set;
// `not_exportable` (the key exists, its provider refuses to export it) with the provider's answer in
// `why_not`; or only `why_not` (no key, no store, no access). ca_key_win32.cc / ca_key_posix.cc.
struct CaKeyExport {
  std::optional<std::vector<uint8_t>> pkcs12;
  std::string origin;
  bool not_exportable = false;
  std::string why_not;
};
CaKeyExport export_ca_keys(const std::string& server, const std::vector<std::string>& thumbprints,
                           const std::string& friendly_name, const std::string& passphrase);

// The certificate templates an enterprise CA publishes (its CertificateTemplates property,
// CR_PROP_TEMPLATES), names only. nullopt with an empty `why_not` for a CA that publishes none (a
// standalone CA); with the reason when they could not be read. ca_templates_win32.cc / recovery_set_posix.cc.
std::optional<std::vector<std::string>> read_published_templates(const std::string& server, const std::string& ca_name,
                                                                 std::string& origin, std::string& why_not);

#ifdef _WIN32
// Whether --server names this computer (its NetBIOS or DNS name, empty, or a simulated CA's
// folder under wine): the key is exported only there. recovery_set_win32.cc.
bool names_this_computer(const std::string& server);
#endif

// A whole file, opened without following a symlink (both halves read their files with it;
// defined in recovery_set.cc).
std::optional<std::vector<uint8_t>> read_whole(const std::filesystem::path& path, std::string& why_not);

}  // namespace certvault::recovery_os
