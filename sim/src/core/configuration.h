// The parts of a CA the Certadm API does not back up, as the simulated CA models them
// (docs/sim.md, "The recovery set"): the registry key
// HKLM\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration (DIR/.casim/registry.json), the
// CA certificate in the machine's "My" store (DIR/.casim/store/<thumbprint>.cer) and
// %windir%\CAPolicy.inf (DIR/Windows/CAPolicy.inf).
//
// Contract: write_configuration() creates all three for a new CA (casim init); the registry
// model names the certificate by its thumbprint in CACertHash, as the real key does.
#pragma once

#include <string>

#include "core/layout.h"

namespace casim {

void write_configuration(const CaLayout& layout, const std::string& ca_name_utf8);

// What `reg import FILE` does to the configuration key (casim import-reg): reads a .reg file as
// `reg export` writes it (UTF-16LE with BOM; "string", dword:, hex(type): values with continuation
// lines) and replaces DIR/.casim/registry.json with its keys under
// HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\CertSvc\Configuration. Returns the
// number of values imported; a malformed file or a key outside the configuration is
// SimError(E_INVALIDARG) naming the line.
size_t import_reg_file(const CaLayout& layout, const std::filesystem::path& reg_file);

}  // namespace casim
