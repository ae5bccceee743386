// The CA's private key and its published templates, as the simulated CA models them (docs/sim.md,
// "The recovery set"): what certvault backup --with-key exports from the machine store, and what an
// enterprise CA answers for its CertificateTemplates property.
//
// Contract:
// - write_ca_key() (casim init) stores the key of the CA certificate `thumbprint` beside it in the
//   model of the "My" store: DIR/.casim/store/<thumbprint>.key, a PKCS#8 DER private key, and
//   DIR/.casim/store/<thumbprint>.key.json, its key-storage provider and whether it is exportable
//   (the property CNG's NCRYPT_EXPORT_POLICY_PROPERTY holds on Windows). The key is Ed25519
//   because its PKCS#8 form is a fixed prefix and 32 random bytes: the sim needs no crypto library
//   to make one, and OpenSSL reads it like any other key. A pure function of the CA's seed.
// - set_key_export_policy() (casim key) marks every key in the store exportable or not, and names
//   its provider: a non-exportable key models an HSM or a KSP key created without export rights.
// - write_published_templates() (casim templates) models an enterprise CA: the template names
//   in DIR/.casim/templates.txt (one per line, what CR_PROP_TEMPLATES lists), and CAType 0
//   (enterprise root) in the registry model. A standalone CA has no templates.txt.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/layout.h"

namespace casim {

inline constexpr const char* kSoftwareKeyProvider = "Microsoft Software Key Storage Provider";

void write_ca_key(const CaLayout& layout, const std::string& thumbprint, uint64_t seed);

// Returns how many keys were marked.
size_t set_key_export_policy(const CaLayout& layout, bool exportable, const std::string& provider);

void write_published_templates(const CaLayout& layout, const std::vector<std::string>& templates);

}  // namespace casim
