// The config of an encrypted repository (docs/format.md §8.4): its secrets sealed under the
// master key, its plain text part authenticated by it.
#pragma once

#include <string>

#include "certvault/repository/repository.h"
#include "crypto.h"

namespace certvault {

// Seals `config`'s secrets (a fresh nonce) and returns the config's text with its MAC.
std::string seal_config(RepositoryConfig& config, const crypto::MasterKey& key);
// Checks the MAC of a parsed format-3 config and decrypts its secrets into it; Error(kIntegrity)
// naming `origin` when either fails.
void unseal_config(RepositoryConfig& config, const crypto::MasterKey& key, const std::string& origin);

}  // namespace certvault
