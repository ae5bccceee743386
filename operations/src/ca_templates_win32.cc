// The certificate templates an enterprise CA publishes, asked of the CA itself: ICertAdmin2's
// GetCAProperty(CR_PROP_TEMPLATES) through the CertificateAuthority.Admin COM class, which answers
// "Name1\nOID1\nName2\nOID2\n..." (MS-WCCE 3.2.2.6.3.1.1). Reached through IDispatch by name, so
// that no interface GUID has to be restated here (mingw-w64 ships none for certadm.h).
#include <windows.h>
// after windows.h
#include <fmt/format.h>
#include <oleauto.h>

#include "certvault/certadm/api_error.h"
#include "certvault/certadm/strings.h"
#include "recovery_set_os.h"

namespace certvault::recovery_os {
namespace {

constexpr LONG kCrPropTemplates = 29;  // CR_PROP_TEMPLATES (certcli.h)
constexpr LONG kPropTypeString = 4;    // PROPTYPE_STRING (certsrv.h)

std::wstring wide(const std::string& utf8) {
  const auto text = certadm::utf8_to_utf16(utf8);
  return std::wstring(text.begin(), text.end());
}

std::string narrow(const wchar_t* text, size_t length) {
  return certadm::utf16_to_utf8(std::u16string(text, text + length));
}

// COM for this thread, for the call's duration (S_FALSE: already initialised, still balanced).
class ComScope {
 public:
  ComScope() : result_(CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED)) {}
  ~ComScope() {
    if (SUCCEEDED(result_)) CoUninitialize();
  }
  HRESULT result() const { return result_; }

 private:
  HRESULT result_;
};

// The CA's configuration string, COMPUTER\CA: the computer's name for a simulated CA's folder.
std::wstring config_string(const std::string& server, const std::string& ca_name) {
  std::string computer = server;
  while (!computer.empty() && computer.front() == '\\') computer.erase(0, 1);
  if (computer.empty() || computer.find_first_of("/\\:") != std::string::npos) {
    wchar_t local[MAX_COMPUTERNAME_LENGTH + 1];
    DWORD size = MAX_COMPUTERNAME_LENGTH + 1;
    computer = GetComputerNameW(local, &size) ? narrow(local, size) : std::string(".");
  }
  return wide(computer + "\\" + ca_name);
}

}  // namespace

std::optional<std::vector<std::string>> read_published_templates(const std::string& server, const std::string& ca_name,
                                                                 std::string& origin, std::string& why_not) {
  ComScope com;
  if (FAILED(com.result())) {
    why_not = "CoInitializeEx failed: " + certadm::describe_hresult(com.result());
    return std::nullopt;
  }
  CLSID clsid;
  HRESULT hr = CLSIDFromProgID(L"CertificateAuthority.Admin", &clsid);
  if (FAILED(hr)) {
    why_not =
        "CLSIDFromProgID(CertificateAuthority.Admin) failed (the CA administration tools are not installed "
        "here): " +
        certadm::describe_hresult(hr);
    return std::nullopt;
  }
  IDispatch* admin = nullptr;
  hr = CoCreateInstance(clsid, nullptr, CLSCTX_INPROC_SERVER, IID_IDispatch, reinterpret_cast<void**>(&admin));
  if (FAILED(hr)) {
    why_not = "CoCreateInstance(CertificateAuthority.Admin) failed: " + certadm::describe_hresult(hr);
    return std::nullopt;
  }
  OLECHAR method_name[] = L"GetCAProperty";
  LPOLESTR method_names[] = {method_name};
  DISPID method = 0;
  hr = admin->GetIDsOfNames(IID_NULL, method_names, 1, LOCALE_USER_DEFAULT, &method);
  const std::wstring config = config_string(server, ca_name);
  VARIANT answer;
  VariantInit(&answer);
  if (SUCCEEDED(hr)) {
    // GetCAProperty(strConfig, PropId, PropIndex, PropType, Flags): IDispatch takes them last first.
    VARIANT arguments[5];
    for (auto& argument : arguments) VariantInit(&argument);
    arguments[4].vt = VT_BSTR;
    arguments[4].bstrVal = SysAllocString(config.c_str());
    arguments[3].vt = VT_I4;
    arguments[3].lVal = kCrPropTemplates;
    arguments[2].vt = VT_I4;
    arguments[2].lVal = 0;
    arguments[1].vt = VT_I4;
    arguments[1].lVal = kPropTypeString;
    arguments[0].vt = VT_I4;
    arguments[0].lVal = 0;
    DISPPARAMS parameters{arguments, nullptr, 5, 0};
    hr = admin->Invoke(method, IID_NULL, LOCALE_USER_DEFAULT, DISPATCH_METHOD, &parameters, &answer, nullptr, nullptr);
    VariantClear(&arguments[4]);
  }
  admin->Release();
  const std::string config_utf8 = narrow(config.c_str(), config.size());
  if (FAILED(hr)) {
    why_not = fmt::format("ICertAdmin2::GetCAProperty({}, CR_PROP_TEMPLATES) failed: {}", config_utf8,
                          certadm::describe_hresult(hr));
    VariantClear(&answer);
    return std::nullopt;
  }
  std::vector<std::string> names;
  if (answer.vt == VT_BSTR && answer.bstrVal != nullptr) {
    const std::wstring text(answer.bstrVal, SysStringLen(answer.bstrVal));
    // Name and OID alternate, one a line; an OID may be empty (version 1 templates).
    size_t start = 0;
    for (size_t line = 0; start < text.size(); ++line) {
      size_t end = text.find(L'\n', start);
      if (end == std::wstring::npos) end = text.size();
      if (line % 2 == 0 && end > start) names.push_back(narrow(text.data() + start, end - start));
      start = end + 1;
    }
  }
  VariantClear(&answer);
  if (names.empty()) return std::nullopt;  // a CA that publishes no template (a standalone CA)
  origin = fmt::format("ICertAdmin2::GetCAProperty({}, CR_PROP_TEMPLATES)", config_utf8);
  return names;
}

}  // namespace certvault::recovery_os
