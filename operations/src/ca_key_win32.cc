// The CA's private keys on Windows: the CA certificates CACertHash names, found in the machine's
// "My" store, exported with their keys as one PKCS#12 by PFXExportCertStoreEx, as
// `certutil -backupKey` does. Before exporting, each key's provider is asked whether it allows
// export (CNG: NCRYPT_EXPORT_POLICY_PROPERTY; CryptoAPI: KP_PERMISSIONS), so that an HSM's or a
// non-exportable KSP key is recorded as such rather than as an unexplained failure.
#include <windows.h>
// after windows.h
#include <fmt/format.h>
#include <ncrypt.h>
#include <wincrypt.h>

#include <memory>

#include "certvault/certadm/api_error.h"
#include "certvault/certadm/strings.h"
#include "recovery_set_os.h"

namespace certvault::recovery_os {
namespace {

std::string last_error_text() { return certadm::describe_hresult(HRESULT_FROM_WIN32(GetLastError())); }

struct StoreCloser {
  void operator()(HCERTSTORE store) const { CertCloseStore(store, 0); }
};
using StoreHandle = std::unique_ptr<void, StoreCloser>;
struct CertificateFree {
  void operator()(PCCERT_CONTEXT certificate) const { CertFreeCertificateContext(certificate); }
};
using CertificateHandle = std::unique_ptr<const CERT_CONTEXT, CertificateFree>;

// The key's provider name from the certificate's CERT_KEY_PROV_INFO_PROP_ID ("" when unknown).
std::string provider_of(PCCERT_CONTEXT certificate) {
  DWORD size = 0;
  if (!CertGetCertificateContextProperty(certificate, CERT_KEY_PROV_INFO_PROP_ID, nullptr, &size)) return {};
  std::vector<BYTE> buffer(size);
  if (!CertGetCertificateContextProperty(certificate, CERT_KEY_PROV_INFO_PROP_ID, buffer.data(), &size)) return {};
  const auto* info = reinterpret_cast<const CRYPT_KEY_PROV_INFO*>(buffer.data());
  if (info->pwszProvName == nullptr) return {};
  const std::wstring name(info->pwszProvName);
  return certadm::utf16_to_utf8(std::u16string(name.begin(), name.end()));
}

enum class Exportability { kExportable, kNotExportable, kUnknown };

// Asks the key's provider whether it allows export. `why` says what it answered (or what failed).
Exportability ask_provider(PCCERT_CONTEXT certificate, const std::string& thumbprint, std::string& why) {
  HCRYPTPROV_OR_NCRYPT_KEY_HANDLE handle = 0;
  DWORD key_spec = 0;
  BOOL must_free = FALSE;
  if (!CryptAcquireCertificatePrivateKey(certificate, CRYPT_ACQUIRE_ALLOW_NCRYPT_KEY_FLAG | CRYPT_ACQUIRE_SILENT_FLAG,
                                         nullptr, &handle, &key_spec, &must_free)) {
    why = fmt::format("CryptAcquireCertificatePrivateKey for CA certificate {} failed: {}", thumbprint,
                      last_error_text());
    return Exportability::kUnknown;
  }
  Exportability answer = Exportability::kUnknown;
  const std::string provider = provider_of(certificate);
  if (key_spec == CERT_NCRYPT_KEY_SPEC) {
    DWORD policy = 0, size = 0;
    const SECURITY_STATUS status = NCryptGetProperty(handle, NCRYPT_EXPORT_POLICY_PROPERTY,
                                                     reinterpret_cast<PBYTE>(&policy), sizeof policy, &size, 0);
    if (status != ERROR_SUCCESS) {
      why = fmt::format("NCryptGetProperty(Export Policy) for CA certificate {} failed: {}", thumbprint,
                        certadm::describe_hresult(static_cast<HRESULT>(status)));
    } else if ((policy & NCRYPT_ALLOW_EXPORT_FLAG) == 0) {
      answer = Exportability::kNotExportable;
      why = fmt::format(
          "the key of CA certificate {} is held by '{}', whose export policy (0x{:X}) does not allow "
          "export (NCRYPT_ALLOW_EXPORT_FLAG unset)",
          thumbprint, provider, policy);
    } else {
      answer = Exportability::kExportable;
    }
    if (must_free) NCryptFreeObject(handle);
  } else {
    HCRYPTKEY key = 0;
    DWORD permissions = 0, size = sizeof permissions;
    if (!CryptGetUserKey(handle, key_spec, &key) ||
        !CryptGetKeyParam(key, KP_PERMISSIONS, reinterpret_cast<BYTE*>(&permissions), &size, 0)) {
      why = fmt::format("CryptGetUserKey / CryptGetKeyParam(KP_PERMISSIONS) for CA certificate {} failed: {}",
                        thumbprint, last_error_text());
    } else if ((permissions & CRYPT_EXPORT) == 0) {
      answer = Exportability::kNotExportable;
      why = fmt::format(
          "the key of CA certificate {} is held by '{}', whose permissions (0x{:X}) do not include "
          "CRYPT_EXPORT",
          thumbprint, provider, permissions);
    } else {
      answer = Exportability::kExportable;
    }
    if (key != 0) CryptDestroyKey(key);
    if (must_free) CryptReleaseContext(handle, 0);
  }
  return answer;
}

bool refused_export(HRESULT hresult) {
  return hresult == NTE_BAD_KEY_STATE || hresult == NTE_PERM || hresult == NTE_NOT_SUPPORTED;
}

}  // namespace

CaKeyExport export_ca_keys(const std::string& server, const std::vector<std::string>& thumbprints, const std::string&,
                           const std::string& passphrase) {
  CaKeyExport result;
  if (!names_this_computer(server)) {
    result.why_not = fmt::format(
        "the CA's private key can be exported only on the CA's own computer (PFXExportCertStoreEx reads this "
        "computer's key storage), not on {}: run certvault backup --with-key there",
        server);
    return result;
  }
  StoreHandle machine(
      CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
                    CERT_SYSTEM_STORE_LOCAL_MACHINE | CERT_STORE_READONLY_FLAG | CERT_STORE_OPEN_EXISTING_FLAG, L"My"));
  if (!machine) {
    result.why_not = "CertOpenStore(LocalMachine\\My) failed: " + last_error_text();
    return result;
  }
  // The certificates to export, with their key links (CERT_KEY_PROV_INFO_PROP_ID), in a store of
  // their own: PFXExportCertStoreEx exports a whole store.
  StoreHandle chosen(CertOpenStore(CERT_STORE_PROV_MEMORY, 0, 0, 0, nullptr));
  if (!chosen) {
    result.why_not = "CertOpenStore(memory) failed: " + last_error_text();
    return result;
  }
  for (const auto& thumbprint : thumbprints) {
    BYTE hash[20];
    for (size_t i = 0; i < 20; ++i) hash[i] = static_cast<BYTE>(std::stoul(thumbprint.substr(2 * i, 2), nullptr, 16));
    CRYPT_HASH_BLOB blob{20, hash};
    CertificateHandle certificate(CertFindCertificateInStore(machine.get(), X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, 0,
                                                             CERT_FIND_SHA1_HASH, &blob, nullptr));
    if (!certificate) {
      result.why_not = fmt::format(
          "CA certificate {} (CACertHash) is not in the machine's \"My\" store "
          "(CertFindCertificateInStore: {})",
          thumbprint, last_error_text());
      return result;
    }
    std::string why;
    const auto exportability = ask_provider(certificate.get(), thumbprint, why);
    if (exportability == Exportability::kNotExportable) {
      result.not_exportable = true;
      result.why_not = why;
      return result;
    }
    if (exportability == Exportability::kUnknown) {
      result.why_not = why;
      return result;
    }
    if (!CertAddCertificateContextToStore(chosen.get(), certificate.get(), CERT_STORE_ADD_ALWAYS, nullptr)) {
      result.why_not = "CertAddCertificateContextToStore failed: " + last_error_text();
      return result;
    }
  }
  std::u16string utf16 = certadm::utf8_to_utf16(passphrase);
  std::wstring password(utf16.begin(), utf16.end());
  SecureZeroMemory(utf16.data(), utf16.size() * sizeof(char16_t));
  // AES-256 with PBKDF2-SHA256 (PBES2) where Windows offers it (Windows 10 1709, Server 2019 and
  // later); older systems refuse the parameters, and then get Windows' default (3DES, SHA-1).
  const DWORD flags = EXPORT_PRIVATE_KEYS | REPORT_NOT_ABLE_TO_EXPORT_PRIVATE_KEY | REPORT_NO_PRIVATE_KEY;
  wchar_t algorithm[] = PKCS12_PBES2_ALG_AES256_SHA256;
  PKCS12_PBES2_EXPORT_PARAMS pbes2{sizeof(PKCS12_PBES2_EXPORT_PARAMS), nullptr, algorithm};
  std::vector<uint8_t> bytes;
  auto export_store = [&](void* parameters, DWORD extra_flags) -> HRESULT {
    CRYPT_DATA_BLOB pfx{0, nullptr};
    if (!PFXExportCertStoreEx(chosen.get(), &pfx, password.c_str(), parameters, flags | extra_flags)) {
      // CryptoAPI sets HRESULTs (NTE_*) as the last error; HRESULT_FROM_WIN32 leaves those unchanged.
      return HRESULT_FROM_WIN32(GetLastError());
    }
    bytes.resize(pfx.cbData);
    pfx.pbData = bytes.data();
    if (!PFXExportCertStoreEx(chosen.get(), &pfx, password.c_str(), parameters, flags | extra_flags)) {
      return HRESULT_FROM_WIN32(GetLastError());
    }
    bytes.resize(pfx.cbData);
    return S_OK;
  };
  HRESULT failure = export_store(&pbes2, PKCS12_EXPORT_PBES2_PARAMS);
  std::string protection = "AES-256, PBKDF2-SHA256";
  if (failure == E_INVALIDARG || failure == NTE_BAD_FLAGS) {
    failure = export_store(nullptr, 0);
    protection = "Windows' default protection: this Windows has no PBES2 export";
  }
  SecureZeroMemory(password.data(), password.size() * sizeof(wchar_t));
  if (FAILED(failure)) {
    // A provider may say "exportable" and still refuse at export time (some HSMs do).
    result.not_exportable = refused_export(failure);
    result.why_not = "PFXExportCertStoreEx(EXPORT_PRIVATE_KEYS) failed: " + certadm::describe_hresult(failure);
    return result;
  }
  result.pkcs12 = std::move(bytes);
  result.origin = "LocalMachine\\My store and the keys' providers (PFXExportCertStoreEx, " + protection + ")";
  return result;
}

}  // namespace certvault::recovery_os
