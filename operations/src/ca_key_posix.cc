// The CA's private key on a system without CryptoAPI: the simulated CA's key model (docs/sim.md,
// "The recovery set"; sim/src/core/ca_key.h) exported as PKCS#12 with OpenSSL's PKCS12_create,
// the same file PFXExportCertStoreEx writes on Windows. The key's .key.json says whether its
// provider allows export, as NCRYPT_EXPORT_POLICY_PROPERTY does on Windows.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "certvault/base/child_process.h"
#include "certvault/base/os_file.h"
#include "recovery_set_os.h"

namespace certvault::recovery_os {
namespace {

namespace fs = std::filesystem;

// OpenSSL's error queue as one sentence ("what failed" comes from the caller).
std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? std::string("no OpenSSL error recorded") : text;
}

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct Pkcs12Free {
  void operator()(PKCS12* p12) const { PKCS12_free(p12); }
};

// The PKCS#12 of the PKCS#8 keys, one safe bag each. The sim's certificates are not X.509 (a
// DER-shaped blob), so the file holds the keys only: on Windows it holds the certificates too.
std::optional<std::vector<uint8_t>> pkcs12_of(const std::vector<std::vector<uint8_t>>& keys,
                                              const std::string& friendly_name, const std::string& passphrase,
                                              std::string& why_not) {
  STACK_OF(PKCS12_SAFEBAG)* bags = sk_PKCS12_SAFEBAG_new_null();
  std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), void (*)(STACK_OF(PKCS12_SAFEBAG)*)> bags_owner(
      bags, [](STACK_OF(PKCS12_SAFEBAG) * s) { sk_PKCS12_SAFEBAG_pop_free(s, PKCS12_SAFEBAG_free); });
  for (const auto& der : keys) {
    const unsigned char* at = der.data();
    std::unique_ptr<EVP_PKEY, KeyFree> key(d2i_AutoPrivateKey(nullptr, &at, static_cast<long>(der.size())));
    if (!key) {
      why_not = "d2i_AutoPrivateKey failed (not a PKCS#8 private key): " + openssl_errors();
      return std::nullopt;
    }
    // Shrouded (encrypted) key bags with OpenSSL 3's defaults: AES-256-CBC, PBKDF2, 2048 iterations.
    PKCS12_SAFEBAG* bag = PKCS12_add_key(&bags, key.get(), 0, PKCS12_DEFAULT_ITER, NID_aes_256_cbc, passphrase.c_str());
    if (bag == nullptr || !PKCS12_add_friendlyname_utf8(bag, friendly_name.c_str(), -1)) {
      why_not = "PKCS12_add_key failed: " + openssl_errors();
      return std::nullopt;
    }
  }
  STACK_OF(PKCS7)* safes = nullptr;
  std::unique_ptr<STACK_OF(PKCS7)*, void (*)(STACK_OF(PKCS7)**)> safes_owner(
      &safes, [](STACK_OF(PKCS7) * *s) { sk_PKCS7_pop_free(*s, PKCS7_free); });
  if (!PKCS12_add_safe(&safes, bags, -1, 0, nullptr)) {
    why_not = "PKCS12_add_safe failed: " + openssl_errors();
    return std::nullopt;
  }
  std::unique_ptr<PKCS12, Pkcs12Free> p12(PKCS12_add_safes(safes, 0));
  if (!p12 || !PKCS12_set_mac(p12.get(), passphrase.c_str(), -1, nullptr, 0, PKCS12_DEFAULT_ITER, EVP_sha256())) {
    why_not = "PKCS12_add_safes / PKCS12_set_mac failed: " + openssl_errors();
    return std::nullopt;
  }
  unsigned char* out = nullptr;
  const int length = i2d_PKCS12(p12.get(), &out);
  if (length <= 0) {
    why_not = "i2d_PKCS12 failed: " + openssl_errors();
    return std::nullopt;
  }
  std::vector<uint8_t> bytes(out, out + length);
  OPENSSL_free(out);
  return bytes;
}

}  // namespace

CaKeyExport export_ca_keys(const std::string& server, const std::vector<std::string>& thumbprints,
                           const std::string& friendly_name, const std::string& passphrase) {
  CaKeyExport result;
  if (!is_simulated_ca(server)) {
    result.why_not = fmt::format(
        "'{}' is not a simulated CA, and this system has no certificate store or key storage provider to export "
        "from",
        server);
    return result;
  }
  const fs::path store = os::path_from_utf8(server) / ".casim" / "store";
  std::vector<std::vector<uint8_t>> keys;
  for (const auto& thumbprint : thumbprints) {
    const fs::path policy_file = store / (thumbprint + ".key.json");
    std::string why_not;
    const auto policy_bytes = read_whole(policy_file, why_not);
    if (!policy_bytes) {
      result.why_not = fmt::format("no private key for CA certificate {} in the simulated CA's machine store: {}",
                                   thumbprint, why_not);
      return result;
    }
    nlohmann::json policy;
    try {
      policy = nlohmann::json::parse(policy_bytes->begin(), policy_bytes->end());
      if (!policy.at("exportable").get<bool>()) {
        result.not_exportable = true;
        result.why_not = fmt::format(
            "the key of CA certificate {} is held by '{}', which does not allow export (the simulated CA's "
            "model of NCRYPT_EXPORT_POLICY_PROPERTY without NCRYPT_ALLOW_EXPORT_FLAG, {})",
            thumbprint, policy.at("provider").get<std::string>(), os::display(policy_file));
        return result;
      }
    } catch (const std::exception& e) {
      result.why_not =
          fmt::format("{} cannot be read as the simulated CA's key policy: {}", os::display(policy_file), e.what());
      return result;
    }
    const fs::path key_file = store / (thumbprint + ".key");
    auto der = read_whole(key_file, why_not);
    if (!der) {
      result.why_not = fmt::format("the key of CA certificate {} cannot be read: {}", thumbprint, why_not);
      return result;
    }
    keys.push_back(std::move(*der));
  }
  std::string why_not;
  result.pkcs12 = pkcs12_of(keys, friendly_name, passphrase, why_not);
  for (auto& key : keys) OPENSSL_cleanse(key.data(), key.size());
  if (!result.pkcs12) {
    result.why_not = "PKCS#12 of the simulated CA's key: " + why_not;
    return result;
  }
  result.origin = fmt::format("{} (the simulated CA's keys of {}, PKCS#12 by OpenSSL)", os::display(store),
                              fmt::join(thumbprints, ", "));
  return result;
}

}  // namespace certvault::recovery_os
