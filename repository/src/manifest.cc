#include "manifest.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "framed_object.h"

namespace certvault::manifest {
namespace {

using nlohmann::json;

template <typename T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

template <typename T>
std::optional<T> optional_from(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

catalog::Digest digest_from(const json& value, const std::string& what) {
  catalog::Digest digest{};
  from_hex_exact(value.get<std::string>(), digest, what);
  return digest;
}

}  // namespace

std::string object_name(const std::string& snapshot_id) { return "snapshots/" + snapshot_id + ".snap"; }

std::vector<uint8_t> encode(const Manifest& manifest) {
  const auto& s = manifest.snapshot;
  json restore_map = json::array();
  for (const auto& entry : s.restore_map) restore_map.push_back({{"type_code", entry.type_code}, {"path", entry.path}});
  json files = json::array();
  for (const auto& f : manifest.files) {
    files.push_back({{"seq", f.seq},
                     {"path", f.path},
                     {"role", f.role},
                     {"type_code", f.type_code},
                     {"api_path", f.api_path},
                     {"size", f.size},
                     {"digest", to_hex(f.digest)},
                     {"recipe", to_hex(f.recipe)},
                     {"log_generation", optional_json(f.log_generation)}});
  }
  json missing = json::array();
  for (const auto& m : manifest.missing_files) missing.push_back({{"path", m.path}, {"reason", m.reason}});
  const json document = {{"id", s.id},
                         {"created_unix", s.created_unix},
                         {"created_us", s.created_us},
                         {"commit_seq", s.commit_seq},
                         {"source_path", s.source_path},
                         {"kind", s.kind},
                         {"source", s.source},
                         {"server", s.server},
                         {"ca_name", s.ca_name},
                         {"tags", s.tags},
                         {"parent", optional_json(s.parent)},
                         {"base_full", optional_json(s.base_full)},
                         {"gen_low", optional_json(s.gen_low)},
                         {"gen_high", optional_json(s.gen_high)},
                         {"logical_size", s.logical_size},
                         {"added_size", s.added_size},
                         {"restore_map_raw", to_hex(s.restore_map_raw)},
                         {"restore_map", restore_map},
                         {"files", files},
                         {"missing_files", missing}};
  const std::string text = document.dump();
  return framed::wrap(framed::kManifestMagic, kVersion,
                      std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Manifest decode(std::span<const uint8_t> object, const std::string& what) {
  const auto body = framed::unwrap(object, framed::kManifestMagic, kVersion, what);
  try {
    const json document = json::parse(body.begin(), body.end());
    Manifest manifest;
    auto& s = manifest.snapshot;
    s.id = document.at("id").get<std::string>();
    if (s.id.size() != 32 || s.id.find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw Error(ErrorKind::kIntegrity, fmt::format("{}: snapshot id '{}' is not 32 hex digits", what, s.id));
    }
    s.created_unix = document.at("created_unix").get<int64_t>();
    // Fields added by issue 14; a manifest written before has none of them (docs/format.md §4.2).
    s.created_us = optional_from<int64_t>(document, "created_us").value_or(s.created_unix * 1000000);
    s.commit_seq = optional_from<uint64_t>(document, "commit_seq").value_or(0);
    s.source_path = optional_from<std::string>(document, "source_path").value_or("");
    if (s.created_us < 0 || s.created_us / 1000000 != s.created_unix) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("{}: created_us {} is not within created_unix {}", what, s.created_us, s.created_unix));
    }
    s.kind = document.at("kind").get<std::string>();
    s.source = document.at("source").get<std::string>();
    s.server = document.at("server").get<std::string>();
    s.ca_name = document.at("ca_name").get<std::string>();
    s.tags = document.at("tags").get<std::vector<std::string>>();
    s.parent = optional_from<std::string>(document, "parent");
    s.base_full = optional_from<std::string>(document, "base_full");
    s.gen_low = optional_from<uint32_t>(document, "gen_low");
    s.gen_high = optional_from<uint32_t>(document, "gen_high");
    s.logical_size = document.at("logical_size").get<uint64_t>();
    s.added_size = document.at("added_size").get<uint64_t>();
    s.restore_map_raw = from_hex(document.at("restore_map_raw").get<std::string>(), what + ": restore_map_raw");
    for (const auto& entry : document.at("restore_map")) {
      s.restore_map.push_back({entry.at("type_code").get<uint16_t>(), entry.at("path").get<std::string>()});
    }
    s.manifest = object_name(s.id);
    for (const auto& f : document.at("files")) {
      catalog::FileRecord file;
      file.seq = f.at("seq").get<uint32_t>();
      file.path = f.at("path").get<std::string>();
      file.role = f.at("role").get<std::string>();
      file.type_code = f.at("type_code").get<uint16_t>();
      file.api_path = f.at("api_path").get<std::string>();
      file.size = f.at("size").get<uint64_t>();
      file.digest = digest_from(f.at("digest"), what + ": file digest");
      file.recipe = digest_from(f.at("recipe"), what + ": file recipe");
      file.log_generation = optional_from<uint32_t>(f, "log_generation");
      manifest.files.push_back(std::move(file));
    }
    for (const auto& m : document.at("missing_files")) {
      manifest.missing_files.push_back({m.at("path").get<std::string>(), m.at("reason").get<std::string>()});
    }
    return manifest;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: malformed manifest: {}", what, e.what()));
  }
}

}  // namespace certvault::manifest
