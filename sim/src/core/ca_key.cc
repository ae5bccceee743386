#include "core/ca_key.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/file_layer.h"
#include "core/page_content.h"
#include "core/sim_error.h"
#include "core/utf.h"

namespace casim {
namespace {

constexpr std::string_view kKeySuffix = ".key";
constexpr std::string_view kPolicySuffix = ".key.json";

// PKCS#8 PrivateKeyInfo of an Ed25519 key (RFC 8410): version 0, algorithm id-Ed25519
// (1.3.101.112), and the 32-byte seed as an OCTET STRING inside the privateKey OCTET STRING.
constexpr uint8_t kEd25519Pkcs8Prefix[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                           0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};

void write_json(const fs::path& path, const nlohmann::json& document) {
  files::write_text_atomic(path, document.dump(2) + "\n");
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void write_ca_key(const CaLayout& layout, const std::string& thumbprint, uint64_t seed) {
  std::vector<uint8_t> der(std::begin(kEd25519Pkcs8Prefix), std::end(kEd25519Pkcs8Prefix));
  for (int word = 0; word < 4; ++word) {
    const uint64_t bits = mix64(seed ^ (0x6B65790000ULL + static_cast<uint64_t>(word)));
    for (int i = 0; i < 8; ++i) der.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  }
  const auto store = layout.state_dir / "store";
  files::create_directories(store);
  files::write_bytes(store / (thumbprint + std::string(kKeySuffix)), der);
  write_json(store / (thumbprint + std::string(kPolicySuffix)),
             {{"provider", kSoftwareKeyProvider}, {"algorithm", "Ed25519"}, {"exportable", true}});
}

size_t set_key_export_policy(const CaLayout& layout, bool exportable, const std::string& provider) {
  const auto store = layout.state_dir / "store";
  size_t marked = 0;
  for (const auto& name : files::list_file_names(store)) {
    if (!ends_with(name, kPolicySuffix)) continue;
    auto policy = nlohmann::json::parse(files::read_text(store / name));
    policy["exportable"] = exportable;
    policy["provider"] = provider;
    write_json(store / name, policy);
    ++marked;
  }
  if (marked == 0) {
    throw SimError(certadm_sim::kEFail,
                   fmt::format("{} holds no CA key (*.key.json): the CA was created before the sim modelled "
                               "its key",
                               path_to_utf8(store)));
  }
  return marked;
}

void write_published_templates(const CaLayout& layout, const std::vector<std::string>& templates) {
  std::string text;
  for (const auto& name : templates) text += name + "\n";
  files::write_text_atomic(layout.state_dir / "templates.txt", text);
  // An enterprise CA (CAType 0, ENUM_ENTERPRISE_ROOTCA) is the only kind that publishes templates.
  const auto registry = layout.state_dir / "registry.json";
  auto model = nlohmann::json::parse(files::read_text(registry));
  for (auto& ca : model.at("subkeys")) {
    for (auto& value : ca.at("values")) {
      if (value.at("name") == "CAType") value["data"] = 0;
    }
  }
  write_json(registry, model);
}

}  // namespace casim
