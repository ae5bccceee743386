#include "core/configuration.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/ca_key.h"
#include "core/file_layer.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim {
namespace {

// The sim's thumbprint: 20 bytes as ESE-independent as SHA-1's, from XXH3-128 and XXH32 of the
// DER bytes (not SHA-1: the sim has no SHA-1; nothing checks it but the store's file name).
std::string thumbprint(const std::vector<uint8_t>& der) {
  const XXH128_hash_t wide = XXH3_128bits(der.data(), der.size());
  const uint32_t narrow = XXH32(der.data(), der.size(), 0);
  return fmt::format("{:016x}{:016x}{:08x}", wide.high64, wide.low64, narrow);
}

// "a1b2..." -> "a1 b2 ..." : how CACertHash spells a thumbprint.
std::string spaced(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (!out.empty()) out += ' ';
    out += hex.substr(i, 2);
  }
  return out;
}

nlohmann::json value(const std::string& name, const std::string& type, nlohmann::json data) {
  return {{"name", name}, {"type", type}, {"data", std::move(data)}};
}

}  // namespace

void write_configuration(const CaLayout& layout, const std::string& ca_name) {
  const auto der = files::read_bytes(layout.certificate);
  const std::string hash = thumbprint(der);
  const auto store = layout.state_dir / "store";
  files::create_directories(store);
  files::write_bytes(store / (hash + ".cer"), der);
  // The certificate's key beside it, as the store links a certificate to its key (ca_key.h).
  write_ca_key(layout, hash, XXH64(der.data(), der.size(), 0));

  const std::string certlog = path_to_utf8(layout.certlog);
  const std::string certenroll = path_to_utf8(layout.certenroll);
  nlohmann::json csp = {{"name", "CSP"},
                        {"values",
                         {value("Provider", "REG_SZ", "Microsoft Software Key Storage Provider"),
                          value("ProviderType", "REG_DWORD", 0), value("CNGHashAlgorithm", "REG_SZ", "SHA256")}},
                        {"subkeys", nlohmann::json::array()}};
  nlohmann::json ca = {
      {"name", ca_name},
      {"values",
       {value("CACertHash", "REG_MULTI_SZ", {spaced(hash)}), value("CAType", "REG_DWORD", 3),
        value("CommonName", "REG_SZ", ca_name), value("CRLPeriod", "REG_SZ", "Weeks"),
        value("CRLPeriodUnits", "REG_DWORD", 1), value("CRLDeltaPeriod", "REG_SZ", "Days"),
        value("CRLDeltaPeriodUnits", "REG_DWORD", 1),
        value("CRLPublicationURLs", "REG_MULTI_SZ",
              {"65:" + certenroll + "\\%3%8%9.crl", "6:http://pki.contoso.com/CertEnroll/%3%8%9.crl"}),
        value("CACertPublicationURLs", "REG_MULTI_SZ",
              {"1:" + certenroll + "\\%1_%3%4.crt", "2:http://pki.contoso.com/CertEnroll/%1_%3%4.crt"}),
        value("ValidityPeriod", "REG_SZ", "Years"), value("ValidityPeriodUnits", "REG_DWORD", 2),
        value("CRLFlags", "REG_DWORD", 2), value("DSConfigDN", "REG_SZ", "")}},
      {"subkeys", {csp}}};
  nlohmann::json root = {{"key", "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\CertSvc\\Configuration"},
                         {"name", "Configuration"},
                         {"values",
                          {value("Active", "REG_SZ", ca_name), value("DBDirectory", "REG_SZ", certlog),
                           value("DBLogDirectory", "REG_SZ", certlog), value("DBSystemDirectory", "REG_SZ", certlog),
                           value("DBTempDirectory", "REG_SZ", certlog), value("DBSessionCount", "REG_DWORD", 100),
                           value("Version", "REG_DWORD", 0x00060001), value("SetupStatus", "REG_DWORD", 0x6003)}},
                         {"subkeys", {ca}}};
  const std::string text = root.dump(2) + "\n";
  files::write_bytes(layout.state_dir / "registry.json",
                     std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));

  const std::string policy =
      "[Version]\r\nSignature=\"$Windows NT$\"\r\n\r\n[Certsrv_Server]\r\nRenewalKeyLength=2048\r\n"
      "RenewalValidityPeriod=Years\r\nRenewalValidityPeriodUnits=10\r\nCRLPeriod=Weeks\r\nCRLPeriodUnits=1\r\n"
      "LoadDefaultTemplates=0\r\nAlternateSignatureAlgorithm=0\r\n";
  const auto windows = layout.root / "Windows";
  files::create_directories(windows);
  files::write_bytes(windows / "CAPolicy.inf",
                     std::span(reinterpret_cast<const uint8_t*>(policy.data()), policy.size()));
}

namespace {

constexpr std::string_view kConfigurationKey =
    "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\CertSvc\\Configuration";

[[noreturn]] void malformed(const std::filesystem::path& file, size_t line, const std::string& why) {
  throw SimError(certadm_sim::kEInvalidArg, fmt::format("{} line {}: {}", path_to_utf8(file), line, why));
}

std::vector<uint8_t> hex_bytes(std::string_view text, const std::filesystem::path& file, size_t line) {
  std::vector<uint8_t> bytes;
  size_t at = 0;
  while (at < text.size()) {
    if (at + 2 > text.size() || !std::isxdigit(static_cast<unsigned char>(text[at])) ||
        !std::isxdigit(static_cast<unsigned char>(text[at + 1]))) {
      malformed(file, line, "expected two hex digits");
    }
    bytes.push_back(static_cast<uint8_t>(std::stoul(std::string(text.substr(at, 2)), nullptr, 16)));
    at += 2;
    if (at < text.size() && text[at] != ',') malformed(file, line, "expected ',' between hex bytes");
    if (at < text.size()) ++at;
  }
  return bytes;
}

std::u16string utf16_units(const std::vector<uint8_t>& bytes) {
  std::u16string units;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2)
    units.push_back(static_cast<char16_t>(bytes[i] | (bytes[i + 1] << 8)));
  return units;
}

// "quoted \"text\"" at `at`; returns the text and moves `at` past the closing quote.
std::string quoted_at(const std::string& line, size_t& at, const std::filesystem::path& file, size_t number) {
  if (at >= line.size() || line[at] != '"') malformed(file, number, "expected '\"'");
  std::string text;
  for (++at; at < line.size(); ++at) {
    if (line[at] == '\\' && at + 1 < line.size()) {
      text += line[++at];
    } else if (line[at] == '"') {
      ++at;
      return text;
    } else {
      text += line[at];
    }
  }
  malformed(file, number, "unterminated string");
}

nlohmann::json parse_value(const std::string& text, const std::filesystem::path& file, size_t line) {
  if (!text.empty() && text.front() == '"') {
    size_t at = 0;
    return {{"type", "REG_SZ"}, {"data", quoted_at(text, at, file, line)}};
  }
  if (text.starts_with("dword:")) return {{"type", "REG_DWORD"}, {"data", std::stoul(text.substr(6), nullptr, 16)}};
  const size_t colon = text.find(':');
  if (!text.starts_with("hex") || colon == std::string::npos) malformed(file, line, "unknown value form");
  const auto bytes = hex_bytes(std::string_view(text).substr(colon + 1), file, line);
  const std::string kind = text.substr(0, colon);
  if (kind == "hex") {
    std::string hex;
    for (uint8_t b : bytes) hex += fmt::format("{:02x}", b);
    return {{"type", "REG_BINARY"}, {"data", hex}};
  }
  if (kind == "hex(7)") {
    nlohmann::json strings = nlohmann::json::array();
    std::u16string current;
    for (char16_t c : utf16_units(bytes)) {
      if (c != 0) {
        current.push_back(c);
      } else if (!current.empty()) {
        strings.push_back(utf16_to_utf8(current));
        current.clear();
      }
    }
    return {{"type", "REG_MULTI_SZ"}, {"data", strings}};
  }
  if (kind == "hex(2)") {
    auto units = utf16_units(bytes);
    if (const size_t nul = units.find(u'\0'); nul != std::u16string::npos) units.resize(nul);
    return {{"type", "REG_EXPAND_SZ"}, {"data", utf16_to_utf8(units)}};
  }
  if (kind == "hex(b)" && bytes.size() == 8) {
    uint64_t number = 0;
    for (int i = 7; i >= 0; --i) number = number << 8 | bytes[static_cast<size_t>(i)];
    return {{"type", "REG_QWORD"}, {"data", number}};
  }
  malformed(file, line, "value type " + kind + " is not modelled by the sim");
}

}  // namespace

size_t import_reg_file(const CaLayout& layout, const std::filesystem::path& reg_file) {
  const auto bytes = files::read_bytes(reg_file);
  if (bytes.size() < 2 || bytes[0] != 0xFF || bytes[1] != 0xFE || bytes.size() % 2 != 0) {
    malformed(reg_file, 1, "not UTF-16LE with a byte-order mark (as reg export writes)");
  }
  const std::string text = utf16_to_utf8(utf16_units(std::vector<uint8_t>(bytes.begin() + 2, bytes.end())));
  std::vector<std::pair<size_t, std::string>> lines;  // logical lines with their first line number
  size_t number = 0, start = 0;
  bool continued = false;
  while (start < text.size()) {
    size_t end = text.find("\r\n", start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 2;
    ++number;
    if (continued) {
      const size_t first = line.find_first_not_of(' ');
      lines.back().second += first == std::string::npos ? "" : line.substr(first);
    } else {
      lines.emplace_back(number, line);
    }
    continued = !lines.back().second.empty() && lines.back().second.back() == '\\';
    if (continued) lines.back().second.pop_back();
  }
  if (lines.empty() || lines.front().second != "Windows Registry Editor Version 5.00") {
    malformed(reg_file, 1, "expected 'Windows Registry Editor Version 5.00'");
  }
  nlohmann::json root = {{"key", std::string(kConfigurationKey)},
                         {"name", "Configuration"},
                         {"values", nlohmann::json::array()},
                         {"subkeys", nlohmann::json::array()}};
  nlohmann::json* current = nullptr;
  size_t values = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto& [line_number, line] = lines[i];
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']') malformed(reg_file, line_number, "a key line ends with ']'");
      const std::string path = line.substr(1, line.size() - 2);
      if (!path.starts_with(kConfigurationKey)) {
        malformed(reg_file, line_number, "key " + path + " is outside " + std::string(kConfigurationKey));
      }
      current = &root;
      std::string rest = path.substr(kConfigurationKey.size());
      while (!rest.empty()) {
        if (rest.front() != '\\') malformed(reg_file, line_number, "key " + path + " is outside the configuration");
        rest.erase(0, 1);
        const size_t slash = rest.find('\\');
        const std::string name = rest.substr(0, slash);
        rest = slash == std::string::npos ? "" : rest.substr(slash);
        nlohmann::json* next = nullptr;
        for (auto& subkey : current->at("subkeys")) {
          if (subkey.at("name") == name) next = &subkey;
        }
        if (next == nullptr) {
          current->at("subkeys").push_back(
              {{"name", name}, {"values", nlohmann::json::array()}, {"subkeys", nlohmann::json::array()}});
          next = &current->at("subkeys").back();
        }
        current = next;
      }
      continue;
    }
    if (current == nullptr) malformed(reg_file, line_number, "a value before any key");
    size_t at = 0;
    std::string name;
    if (line.front() == '@') {
      at = 1;
    } else {
      name = quoted_at(line, at, reg_file, line_number);
    }
    if (at >= line.size() || line[at] != '=') malformed(reg_file, line_number, "expected '='");
    auto value = parse_value(line.substr(at + 1), reg_file, line_number);
    value["name"] = name;
    current->at("values").push_back(std::move(value));
    ++values;
  }
  const std::string json = root.dump(2) + "\n";
  files::write_bytes(layout.state_dir / "registry.json",
                     std::span(reinterpret_cast<const uint8_t*>(json.data()), json.size()));
  return values;
}

}  // namespace casim
