#include "crypto.h"

#include <fmt/format.h>
#include <sodium.h>

#include <cstring>
#include <mutex>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"

namespace certvault::crypto {

static_assert(crypto_kdf_CONTEXTBYTES == crypto_format::kKdfContext.size());
static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == crypto_format::kKeySize);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == crypto_format::kTagSize);
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == crypto_format::kSealedNoncePrefixSize + sizeof(uint64_t));
static_assert(crypto_pwhash_SALTBYTES == 16);

void require_sodium() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] { result = sodium_init(); });
  if (result < 0) throw Error(ErrorKind::kFailure, "libsodium could not be initialised (sodium_init failed)");
}

MasterKey::~MasterKey() {
  sodium_memzero(master.data(), master.size());
  sodium_memzero(sealing.data(), sealing.size());
  sodium_memzero(config_secrets.data(), config_secrets.size());
  sodium_memzero(config_mac.data(), config_mac.size());
}

std::shared_ptr<const MasterKey> derive_master_key(const Key& master, const std::string& repository_id) {
  require_sodium();
  auto key = std::make_shared<MasterKey>();
  key->master = master;
  key->repository_id = repository_id;
  from_hex_exact(repository_id, key->repository_id_bytes, "repository id");
  const char* context = crypto_format::kKdfContext.data();
  crypto_kdf_derive_from_key(key->sealing.data(), key->sealing.size(), crypto_format::kSubkeyObjectSealing, context,
                             master.data());
  crypto_kdf_derive_from_key(key->config_secrets.data(), key->config_secrets.size(),
                             crypto_format::kSubkeyConfigSecrets, context, master.data());
  crypto_kdf_derive_from_key(key->config_mac.data(), key->config_mac.size(), crypto_format::kSubkeyConfigMac, context,
                             master.data());
  return key;
}

std::shared_ptr<const MasterKey> new_master_key(const std::string& repository_id) {
  require_sodium();
  Key master;
  crypto_kdf_keygen(master.data());
  auto key = derive_master_key(master, repository_id);
  sodium_memzero(master.data(), master.size());
  return key;
}

std::vector<uint8_t> concat(std::initializer_list<std::span<const uint8_t>> parts) {
  size_t size = 0;
  for (const auto& part : parts) size += part.size();
  std::vector<uint8_t> out(size);
  size_t at = 0;
  for (const auto& part : parts) {
    if (!part.empty()) std::memcpy(out.data() + at, part.data(), part.size());
    at += part.size();
  }
  return out;
}

std::vector<uint8_t> seal(std::span<const uint8_t> plain, std::span<const uint8_t> ad, std::span<const uint8_t> nonce,
                          const Key& key) {
  std::vector<uint8_t> out(plain.size() + crypto_format::kTagSize);
  unsigned long long length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &length, plain.data(), plain.size(), ad.data(), ad.size(),
                                             nullptr, nonce.data(), key.data());
  out.resize(length);
  return out;
}

bool open(std::span<const uint8_t> sealed, std::span<const uint8_t> ad, std::span<const uint8_t> nonce, const Key& key,
          std::span<uint8_t> plain_out) {
  if (sealed.size() < crypto_format::kTagSize || plain_out.size() != sealed.size() - crypto_format::kTagSize) {
    return false;
  }
  unsigned long long length = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(plain_out.data(), &length, nullptr, sealed.data(), sealed.size(),
                                                    ad.data(), ad.size(), nonce.data(), key.data()) == 0;
}

std::array<uint8_t, 32> mac(std::span<const uint8_t> message, const Key& key) {
  require_sodium();
  std::array<uint8_t, 32> out;
  crypto_generichash(out.data(), out.size(), message.data(), message.size(), key.data(), key.size());
  return out;
}

std::vector<uint8_t> digest(std::span<const uint8_t> message, size_t size) {
  require_sodium();
  std::vector<uint8_t> out(size);
  crypto_generichash(out.data(), out.size(), message.data(), message.size(), nullptr, 0);
  return out;
}

}  // namespace certvault::crypto
