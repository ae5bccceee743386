// The recovery set on Windows: the CA configuration key through the registry API, the CA
// certificates from the machine's "My" store (CryptoAPI), %windir%\CAPolicy.inf. Never reg.exe.
#include <windows.h>
// after windows.h
#include <fmt/format.h>
#include <wincrypt.h>

#include <memory>

#include "certvault/base/os_file.h"
#include "certvault/base/win32_error.h"
#include "certvault/certadm/strings.h"
#include "recovery_set_os.h"

namespace certvault::recovery_os {

bool names_this_computer(const std::string& server) {
  wchar_t local[MAX_COMPUTERNAME_LENGTH + 1];
  DWORD size = MAX_COMPUTERNAME_LENGTH + 1;
  std::u16string name = certadm::utf8_to_utf16(server);
  while (!name.empty() && name.front() == u'\\') name.erase(0, 1);
  const size_t dot = name.find(u'.');
  const std::u16string short_name = dot == std::u16string::npos ? name : name.substr(0, dot);
  const bool is_folder = name.find_first_of(u"/\\:") != std::u16string::npos;
  return is_folder || name.empty() ||
         (GetComputerNameW(local, &size) &&
          CompareStringOrdinal(local, static_cast<int>(size),
                               std::wstring(short_name.begin(), short_name.end()).c_str(),
                               static_cast<int>(short_name.size()), TRUE) == CSTR_EQUAL);
}

namespace {

namespace fs = std::filesystem;

constexpr const wchar_t* kConfigurationSubkey = L"SYSTEM\\CurrentControlSet\\Services\\CertSvc\\Configuration";

std::wstring wide(const std::u16string& text) { return std::wstring(text.begin(), text.end()); }
std::u16string narrow16(const wchar_t* text, size_t length) { return std::u16string(text, text + length); }

std::string system_message(LONG code) { return os::win32_message(static_cast<DWORD>(code)); }

struct KeyCloser {
  void operator()(HKEY key) const { RegCloseKey(key); }
};
using KeyHandle = std::unique_ptr<std::remove_pointer_t<HKEY>, KeyCloser>;

// The computer's registry: this one's for a local name or a simulated CA's folder (wine), else the
// named computer's through the Remote Registry service.
LONG open_machine(const std::string& server, HKEY& machine, bool& remote) {
  remote = !names_this_computer(server);
  if (!remote) {
    machine = HKEY_LOCAL_MACHINE;
    return ERROR_SUCCESS;
  }
  std::u16string name = certadm::utf8_to_utf16(server);
  while (!name.empty() && name.front() == u'\\') name.erase(0, 1);
  const std::wstring unc = L"\\\\" + wide(name);
  return RegConnectRegistryW(unc.c_str(), HKEY_LOCAL_MACHINE, &machine);
}

LONG read_key(HKEY handle, RegistryKey& key) {
  DWORD subkeys = 0, longest_subkey = 0, values = 0, longest_name = 0, longest_data = 0;
  LONG status = RegQueryInfoKeyW(handle, nullptr, nullptr, nullptr, &subkeys, &longest_subkey, nullptr, &values,
                                 &longest_name, &longest_data, nullptr, nullptr);
  if (status != ERROR_SUCCESS) return status;
  std::vector<wchar_t> name(longest_name + 2);
  std::vector<BYTE> data(longest_data + 2);
  for (DWORD i = 0; i < values; ++i) {
    DWORD name_length = static_cast<DWORD>(name.size());
    DWORD data_size = static_cast<DWORD>(data.size());
    DWORD type = 0;
    status = RegEnumValueW(handle, i, name.data(), &name_length, nullptr, &type, data.data(), &data_size);
    if (status == ERROR_NO_MORE_ITEMS) break;
    if (status != ERROR_SUCCESS) return status;
    key.values.push_back(
        {narrow16(name.data(), name_length), type, std::vector<uint8_t>(data.begin(), data.begin() + data_size)});
  }
  std::vector<wchar_t> subkey_name(longest_subkey + 2);
  for (DWORD i = 0; i < subkeys; ++i) {
    DWORD length = static_cast<DWORD>(subkey_name.size());
    status = RegEnumKeyExW(handle, i, subkey_name.data(), &length, nullptr, nullptr, nullptr, nullptr);
    if (status == ERROR_NO_MORE_ITEMS) break;
    if (status != ERROR_SUCCESS) return status;
    HKEY child = nullptr;
    status = RegOpenKeyExW(handle, subkey_name.data(), 0, KEY_READ, &child);
    if (status != ERROR_SUCCESS) return status;
    KeyHandle closer(child);
    RegistryKey subkey;
    subkey.name = narrow16(subkey_name.data(), length);
    status = read_key(child, subkey);
    if (status != ERROR_SUCCESS) return status;
    key.subkeys.push_back(std::move(subkey));
  }
  return ERROR_SUCCESS;
}

}  // namespace

std::optional<RegistryKey> read_configuration_key(const std::string& server, std::string& origin,
                                                  std::string& why_not) {
  HKEY machine = nullptr;
  bool remote = false;
  LONG status = open_machine(server, machine, remote);
  if (status != ERROR_SUCCESS) {
    why_not = fmt::format("RegConnectRegistryW(\\\\{}) failed: {}", server, system_message(status));
    return std::nullopt;
  }
  KeyHandle machine_closer(remote ? machine : nullptr);
  HKEY handle = nullptr;
  status = RegOpenKeyExW(machine, kConfigurationSubkey, 0, KEY_READ, &handle);
  if (status != ERROR_SUCCESS) {
    why_not = fmt::format("RegOpenKeyExW({}) failed: {}", kCaConfigurationKey, system_message(status));
    return std::nullopt;
  }
  KeyHandle closer(handle);
  RegistryKey key;
  key.name = u"Configuration";
  status = read_key(handle, key);
  if (status != ERROR_SUCCESS) {
    why_not = fmt::format("reading {} (RegEnumValueW / RegEnumKeyExW) failed: {}", kCaConfigurationKey,
                          system_message(status));
    return std::nullopt;
  }
  origin = remote ? fmt::format("{} on {}", kCaConfigurationKey, server) : std::string(kCaConfigurationKey);
  return key;
}

std::optional<std::vector<uint8_t>> read_ca_certificate(const std::string& server, const std::string& thumbprint,
                                                        std::string& origin, std::string& why_not) {
  HKEY ignored = nullptr;
  bool remote = false;
  if (open_machine(server, ignored, remote) == ERROR_SUCCESS && remote) RegCloseKey(ignored);
  const std::wstring store_name = remote ? L"\\\\" + wide(certadm::utf8_to_utf16(server)) + L"\\My" : L"My";
  HCERTSTORE store = CertOpenStore(
      CERT_STORE_PROV_SYSTEM_W, 0, 0,
      CERT_SYSTEM_STORE_LOCAL_MACHINE | CERT_STORE_READONLY_FLAG | CERT_STORE_OPEN_EXISTING_FLAG, store_name.c_str());
  if (store == nullptr) {
    why_not = fmt::format("CertOpenStore(LocalMachine\\My) failed: {}", os::win32_message(GetLastError()));
    return std::nullopt;
  }
  BYTE hash[20];
  for (size_t i = 0; i < 20; ++i) hash[i] = static_cast<BYTE>(std::stoul(thumbprint.substr(2 * i, 2), nullptr, 16));
  CRYPT_HASH_BLOB blob{20, hash};
  PCCERT_CONTEXT found = CertFindCertificateInStore(store, X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, 0,
                                                    CERT_FIND_SHA1_HASH, &blob, nullptr);
  std::optional<std::vector<uint8_t>> der;
  if (found == nullptr) {
    why_not = "not found in the machine's \"My\" store (CertFindCertificateInStore)";
  } else {
    der.emplace(found->pbCertEncoded, found->pbCertEncoded + found->cbCertEncoded);
    CertFreeCertificateContext(found);
    origin = remote ? fmt::format("LocalMachine\\My store on {}", server) : std::string("LocalMachine\\My store");
  }
  CertCloseStore(store, 0);
  return der;
}

std::optional<std::vector<uint8_t>> read_capolicy(const std::string& server, std::string& origin,
                                                  std::string& why_not) {
  HKEY ignored = nullptr;
  bool remote = false;
  if (open_machine(server, ignored, remote) == ERROR_SUCCESS && remote) RegCloseKey(ignored);
  fs::path file;
  if (remote) {
    file = os::path_from_utf8("\\\\" + server + "\\admin$\\CAPolicy.inf");
  } else {
    wchar_t windows[MAX_PATH];
    const UINT length = GetWindowsDirectoryW(windows, MAX_PATH);
    if (length == 0 || length >= MAX_PATH) {
      why_not = fmt::format("GetWindowsDirectoryW failed: {}", os::win32_message(GetLastError()));
      return std::nullopt;
    }
    file = fs::path(std::wstring(windows, length)) / L"CAPolicy.inf";
  }
  origin = os::display(file);
  return read_whole(file, why_not);
}

}  // namespace certvault::recovery_os
