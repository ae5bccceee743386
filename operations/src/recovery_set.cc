#include "certvault/operations/recovery_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "certvault/base/os_file.h"
#include "certvault/certadm/strings.h"
#include "recovery_set_os.h"

namespace certvault::recovery_os {

std::optional<std::vector<uint8_t>> read_whole(const std::filesystem::path& path, std::string& why_not) {
  os::File file;
  if (!os::File::try_open(path, os::OpenFor::kReadNoFollow, "read the recovery set", file, why_not)) {
    why_not = os::display(path) + ": " + why_not;
    return std::nullopt;
  }
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> buffer(65536);
  while (const size_t n = file.read(buffer)) bytes.insert(bytes.end(), buffer.begin(), buffer.begin() + n);
  return bytes;
}

}  // namespace certvault::recovery_os

namespace certvault {
namespace {

class RegText {
 public:
  void add(std::u16string_view text) {
    for (char16_t c : text) {
      out_.push_back(c);
      column_ = c == u'\n' ? 0 : column_ + 1;
    }
  }
  void add(std::string_view ascii) {
    for (char c : ascii) add(std::u16string(1, static_cast<char16_t>(static_cast<unsigned char>(c))));
  }
  void line_end() { add("\r\n"); }
  // "hex(7):61,00,..." with reg export's continuation lines ("\" and two spaces) at 80 columns.
  void hex_bytes(const std::vector<uint8_t>& data) {
    for (size_t i = 0; i < data.size(); ++i) {
      const bool last = i + 1 == data.size();
      if (column_ + (last ? 2 : 3) > 79) {
        add("\\");
        line_end();
        add("  ");
      }
      add(fmt::format("{:02x}{}", data[i], last ? "" : ","));
    }
  }
  std::vector<uint8_t> utf16le_with_bom() const {
    std::vector<uint8_t> bytes{0xFF, 0xFE};
    for (char16_t c : out_) {
      bytes.push_back(static_cast<uint8_t>(c & 0xFF));
      bytes.push_back(static_cast<uint8_t>(c >> 8));
    }
    return bytes;
  }

 private:
  std::u16string out_;
  size_t column_ = 0;
};

std::u16string quoted_reg(std::u16string_view text) {
  std::u16string out = u"\"";
  for (char16_t c : text) {
    if (c == u'\\' || c == u'"') out.push_back(u'\\');
    out.push_back(c);
  }
  out.push_back(u'"');
  return out;
}

// A REG_SZ's text up to its first NUL; nullopt when the data is not whole UTF-16 code units.
std::optional<std::u16string> string_of(const std::vector<uint8_t>& data) {
  if (data.size() % 2 != 0) return std::nullopt;
  std::u16string text;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    const auto c = static_cast<char16_t>(data[i] | (data[i + 1] << 8));
    if (c == 0) break;
    text.push_back(c);
  }
  return text;
}

std::vector<std::u16string> strings_of(const std::vector<uint8_t>& data) {
  std::vector<std::u16string> strings;
  std::u16string current;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    const auto c = static_cast<char16_t>(data[i] | (data[i + 1] << 8));
    if (c != 0) {
      current.push_back(c);
    } else if (!current.empty()) {
      strings.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) strings.push_back(std::move(current));
  return strings;
}

void format_key(RegText& text, const RegistryKey& key, const std::u16string& path) {
  text.add(u"[" + path + u"]");
  text.line_end();
  for (const auto& value : key.values) {
    text.add(value.name.empty() ? u"@" : quoted_reg(value.name));
    text.add("=");
    const auto as_string = value.type == kRegSz ? string_of(value.data) : std::nullopt;
    if (as_string) {
      text.add(quoted_reg(*as_string));
    } else if (value.type == kRegDword && value.data.size() == 4) {
      const uint32_t number = static_cast<uint32_t>(value.data[0]) | static_cast<uint32_t>(value.data[1]) << 8 |
                              static_cast<uint32_t>(value.data[2]) << 16 | static_cast<uint32_t>(value.data[3]) << 24;
      text.add(fmt::format("dword:{:08x}", number));
    } else {
      text.add(value.type == kRegBinary ? std::string("hex:") : fmt::format("hex({:x}):", value.type));
      text.hex_bytes(value.data);
    }
    text.line_end();
  }
  text.line_end();
  for (const auto& subkey : key.subkeys) format_key(text, subkey, path + u"\\" + subkey.name);
}

std::string hex_digits_of(std::u16string_view text) {
  std::string hex;
  for (char16_t c : text) {
    if (c == u' ') continue;
    if (c > 0x7F || !std::isxdigit(static_cast<int>(c))) return {};
    hex.push_back(static_cast<char>(std::tolower(static_cast<int>(c))));
  }
  return hex.size() == 40 ? hex : std::string{};
}

std::optional<std::u16string> active_ca(const RegistryKey& configuration) {
  for (const auto& value : configuration.values) {
    if (value.name == u"Active" && value.type == kRegSz) return string_of(value.data);
  }
  return std::nullopt;
}

// The active CA's CAType (0 enterprise root, 1 enterprise subordinate, 3 and 4 standalone).
std::optional<uint32_t> ca_type(const RegistryKey& configuration) {
  const auto active = active_ca(configuration);
  for (const auto& ca : configuration.subkeys) {
    if (active && ca.name != *active) continue;
    for (const auto& value : ca.values) {
      if (value.name == u"CAType" && value.type == kRegDword && value.data.size() == 4) {
        return static_cast<uint32_t>(value.data[0]) | static_cast<uint32_t>(value.data[1]) << 8 |
               static_cast<uint32_t>(value.data[2]) << 16 | static_cast<uint32_t>(value.data[3]) << 24;
      }
    }
  }
  return std::nullopt;
}

// The thumbprints CACertHash names in the active CA's subkey (any CA's, without Active).
std::vector<std::string> ca_certificate_thumbprints(const RegistryKey& configuration) {
  const auto active = active_ca(configuration);
  std::vector<std::string> thumbprints;
  std::set<std::string> seen;
  for (const auto& ca : configuration.subkeys) {
    if (active && ca.name != *active) continue;
    for (const auto& value : ca.values) {
      if (value.name != u"CACertHash" || (value.type != kRegMultiSz && value.type != kRegSz)) continue;
      for (const auto& entry : strings_of(value.data)) {
        const std::string hex = hex_digits_of(entry);
        if (!hex.empty() && seen.insert(hex).second) thumbprints.push_back(hex);
      }
    }
  }
  return thumbprints;
}

}  // namespace

std::vector<uint8_t> format_reg_file(const RegistryKey& key, const std::u16string& path) {
  RegText text;
  text.add("Windows Registry Editor Version 5.00");
  text.line_end();
  text.line_end();
  format_key(text, key, path);
  return text.utf16le_with_bom();
}

namespace {

// Config/<CA>.p12: every key CACertHash names (a renewed CA signs with its newest key but its older
// certificates' CRLs still need theirs), as `certutil -backupKey` exports them.
void add_ca_keys(RecoverySet& set, const std::string& server, const std::vector<std::string>& thumbprints,
                 const std::string& ca_name, const std::string& passphrase) {
  const std::string name = ca_name + ".p12";
  auto exported = thumbprints.empty() ? recovery_os::CaKeyExport{std::nullopt,
                                                                 {},
                                                                 false,
                                                                 "the CA configuration names no CA certificate "
                                                                 "(CACertHash), so no key to export is known"}
                                      : recovery_os::export_ca_keys(server, thumbprints, ca_name, passphrase);
  if (exported.pkcs12) {
    set.files.push_back({name, std::move(*exported.pkcs12), exported.origin});
    return;
  }
  KeyNotStored missing{"Config/" + name, "", exported.not_exportable};
  missing.reason = exported.not_exportable
                       ? fmt::format("the CA's private key cannot be exported: {}; {}", exported.why_not, kHsmProcedure)
                       : fmt::format("the CA's private key was not exported: {}", exported.why_not);
  set.notes.push_back(missing.reason);
  set.key_not_stored = std::move(missing);
}

}  // namespace

RecoverySet read_recovery_set(const std::string& server, const RecoverySetRequest& request) {
  RecoverySet set;
  std::string origin, why_not;
  std::vector<std::string> thumbprints;
  std::string ca_name = request.ca_name;
  bool standalone = false;  // only an enterprise CA publishes templates: a standalone one is not asked
  if (const auto key = recovery_os::read_configuration_key(server, origin, why_not)) {
    set.files.push_back({"CA.reg", format_reg_file(*key, certadm::utf8_to_utf16(kCaConfigurationKey)), origin});
    if (const auto active = active_ca(*key); active && ca_name.empty()) ca_name = certadm::utf16_to_utf8(*active);
    thumbprints = ca_certificate_thumbprints(*key);
    const auto type = ca_type(*key);
    standalone = type && *type >= 2;
    if (thumbprints.empty()) set.notes.push_back("the CA configuration names no CA certificate (CACertHash)");
    for (const auto& thumbprint : thumbprints) {
      std::string certificate_origin, missing;
      if (auto der = recovery_os::read_ca_certificate(server, thumbprint, certificate_origin, missing)) {
        set.files.push_back({thumbprint + ".cer", std::move(*der), certificate_origin});
      } else {
        set.notes.push_back(fmt::format("CA certificate {} (CACertHash) not stored: {}", thumbprint, missing));
      }
    }
  } else {
    set.notes.push_back("CA configuration key not stored: " + why_not);
  }
  std::string policy_origin, no_policy;
  if (auto policy = recovery_os::read_capolicy(server, policy_origin, no_policy)) {
    set.files.push_back({"CAPolicy.inf", std::move(*policy), policy_origin});
  } else {
    set.notes.push_back("no CAPolicy.inf stored: " + no_policy);
  }
  std::string templates_origin, no_templates;
  if (standalone) {
    // Nothing to store, nothing to note.
  } else if (const auto templates =
                 recovery_os::read_published_templates(server, ca_name, templates_origin, no_templates)) {
    std::string text;
    for (const auto& name : *templates) text += name + "\r\n";
    set.files.push_back({"templates.txt", std::vector<uint8_t>(text.begin(), text.end()), templates_origin});
  } else if (!no_templates.empty()) {
    set.notes.push_back("the published certificate templates not stored: " + no_templates);
  }
  if (request.key_passphrase) add_ca_keys(set, server, thumbprints, ca_name, *request.key_passphrase);
  return set;
}

}  // namespace certvault
