// The recovery set on a system without a registry: the simulated CA's models of the registry key,
// the machine store and %windir% (docs/sim.md, "The recovery set").
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "certvault/base/child_process.h"
#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/os_file.h"
#include "certvault/certadm/strings.h"
#include "recovery_set_os.h"

namespace certvault::recovery_os {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> utf16le(const std::u16string& text, bool terminate) {
  std::vector<uint8_t> bytes;
  for (char16_t c : text) {
    bytes.push_back(static_cast<uint8_t>(c & 0xFF));
    bytes.push_back(static_cast<uint8_t>(c >> 8));
  }
  if (terminate) bytes.insert(bytes.end(), {0, 0});
  return bytes;
}

uint32_t type_of(const std::string& name) {
  if (name == "REG_SZ") return kRegSz;
  if (name == "REG_EXPAND_SZ") return kRegExpandSz;
  if (name == "REG_BINARY") return kRegBinary;
  if (name == "REG_DWORD") return kRegDword;
  if (name == "REG_MULTI_SZ") return kRegMultiSz;
  if (name == "REG_QWORD") return kRegQword;
  throw Error(ErrorKind::kIntegrity, fmt::format("unknown registry type '{}'", name));
}

// Value data in the bytes RegEnumValueW would return.
std::vector<uint8_t> data_of(uint32_t type, const nlohmann::json& data) {
  switch (type) {
    case kRegSz:
    case kRegExpandSz:
      return utf16le(certadm::utf8_to_utf16(data.get<std::string>()), true);
    case kRegMultiSz: {
      std::vector<uint8_t> bytes;
      for (const auto& entry : data) {
        const auto one = utf16le(certadm::utf8_to_utf16(entry.get<std::string>()), true);
        bytes.insert(bytes.end(), one.begin(), one.end());
      }
      bytes.insert(bytes.end(), {0, 0});
      return bytes;
    }
    case kRegDword:
    case kRegQword: {
      // Checked before converting: a float or negative number would not be a registry number.
      if (!data.is_number_unsigned() || (type == kRegDword && data.get<uint64_t>() > 0xFFFFFFFFu)) {
        throw Error(ErrorKind::kIntegrity, fmt::format("registry {} data {} is not an unsigned {}-bit number",
                                                       type == kRegDword ? "REG_DWORD" : "REG_QWORD", data.dump(),
                                                       type == kRegDword ? 32 : 64));
      }
      const uint64_t number = data.get<uint64_t>();
      std::vector<uint8_t> bytes;
      for (int i = 0; i < (type == kRegDword ? 4 : 8); ++i) bytes.push_back(static_cast<uint8_t>(number >> (8 * i)));
      return bytes;
    }
    default:
      return from_hex(data.get<std::string>(), "registry REG_BINARY data");
  }
}

RegistryKey key_of(const nlohmann::json& node) {
  RegistryKey key;
  key.name = certadm::utf8_to_utf16(node.at("name").get<std::string>());
  for (const auto& value : node.at("values")) {
    RegistryValue entry;
    entry.name = certadm::utf8_to_utf16(value.at("name").get<std::string>());
    entry.type = type_of(value.at("type").get<std::string>());
    entry.data = data_of(entry.type, value.at("data"));
    key.values.push_back(std::move(entry));
  }
  for (const auto& subkey : node.at("subkeys")) key.subkeys.push_back(key_of(subkey));
  return key;
}

bool simulated(const std::string& server, std::string& why_not) {
  if (is_simulated_ca(server)) return true;
  why_not =
      fmt::format("'{}' is not a simulated CA, and this system has no registry or certificate store to read", server);
  return false;
}

}  // namespace

std::optional<RegistryKey> read_configuration_key(const std::string& server, std::string& origin,
                                                  std::string& why_not) {
  if (!simulated(server, why_not)) return std::nullopt;
  const fs::path model = os::path_from_utf8(server) / ".casim" / "registry.json";
  const auto bytes = read_whole(model, why_not);
  if (!bytes) return std::nullopt;
  try {
    const auto document = nlohmann::json::parse(bytes->begin(), bytes->end());
    origin = fmt::format("{} (the simulated CA's model of {})", os::display(model), kCaConfigurationKey);
    return key_of(document);
  } catch (const std::exception& e) {
    why_not = fmt::format("{} cannot be read as the simulated CA's registry model: {}", os::display(model), e.what());
    return std::nullopt;
  }
}

std::optional<std::vector<uint8_t>> read_ca_certificate(const std::string& server, const std::string& thumbprint,
                                                        std::string& origin, std::string& why_not) {
  if (!simulated(server, why_not)) return std::nullopt;
  const fs::path file = os::path_from_utf8(server) / ".casim" / "store" / (thumbprint + ".cer");
  origin = fmt::format("{} (the simulated CA's machine store)", os::display(file));
  return read_whole(file, why_not);
}

std::optional<std::vector<uint8_t>> read_capolicy(const std::string& server, std::string& origin,
                                                  std::string& why_not) {
  if (!simulated(server, why_not)) return std::nullopt;
  const fs::path file = os::path_from_utf8(server) / "Windows" / "CAPolicy.inf";
  origin = fmt::format("{} (the simulated CA's %windir%\\CAPolicy.inf)", os::display(file));
  return read_whole(file, why_not);
}

std::optional<std::vector<std::string>> read_published_templates(const std::string& server, const std::string&,
                                                                 std::string& origin, std::string& why_not) {
  if (!simulated(server, why_not)) return std::nullopt;
  const fs::path file = os::path_from_utf8(server) / ".casim" / "templates.txt";
  // A standalone CA publishes none: no file, and nothing to note.
  std::error_code ignored;
  if (!fs::exists(file, ignored)) return std::nullopt;
  const auto bytes = read_whole(file, why_not);
  if (!bytes) return std::nullopt;
  std::vector<std::string> names;
  std::string line;
  for (const uint8_t byte : *bytes) {
    if (byte != '\n' && byte != '\r') {
      line.push_back(static_cast<char>(byte));
    } else if (!line.empty()) {
      names.push_back(std::move(line));
      line.clear();
    }
  }
  if (!line.empty()) names.push_back(std::move(line));
  origin = fmt::format("{} (the simulated CA's CertificateTemplates property, CR_PROP_TEMPLATES)", os::display(file));
  return names;
}

}  // namespace certvault::recovery_os
