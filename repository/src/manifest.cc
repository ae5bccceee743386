#include "manifest.h"

#include <fmt/format.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "framed_object.h"
#include "json_fields.h"

namespace certvault::manifest {
namespace {

using json_fields::field_of;

using nlohmann::json;

template <typename T>
json optional_json(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

const json& array_of(const json& object, const char* key, const std::string& where) {
  const auto& value = object.at(key);
  if (!value.is_array()) throw Error(ErrorKind::kIntegrity, fmt::format("{}: field '{}' is not an array", where, key));
  return value;
}

template <typename T>
std::optional<T> optional_from(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  return field_of<T>(object, key, where);
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
    if (!document.is_object())
      throw Error(ErrorKind::kIntegrity, fmt::format("{}: the body is not a JSON object", what));
    s.id = field_of<std::string>(document, "id", what);
    if (s.id.size() != 32 || s.id.find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw Error(ErrorKind::kIntegrity, fmt::format("{}: snapshot id '{}' is not 32 hex digits", what, s.id));
    }
    s.created_unix = field_of<int64_t>(document, "created_unix", what);
    // Fields added by issue 14; a manifest written before has none of them (docs/format.md §4.2).
    s.created_us = optional_from<int64_t>(document, "created_us", what).value_or(s.created_unix * 1000000);
    s.commit_seq = optional_from<uint64_t>(document, "commit_seq", what).value_or(0);
    s.source_path = optional_from<std::string>(document, "source_path", what).value_or("");
    if (s.created_us < 0 || s.created_us / 1000000 != s.created_unix) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("{}: created_us {} is not within created_unix {}", what, s.created_us, s.created_unix));
    }
    s.kind = field_of<std::string>(document, "kind", what);
    s.source = field_of<std::string>(document, "source", what);
    s.server = field_of<std::string>(document, "server", what);
    s.ca_name = field_of<std::string>(document, "ca_name", what);
    s.tags = field_of<std::vector<std::string>>(document, "tags", what);
    s.parent = optional_from<std::string>(document, "parent", what);
    s.base_full = optional_from<std::string>(document, "base_full", what);
    s.gen_low = optional_from<uint32_t>(document, "gen_low", what);
    s.gen_high = optional_from<uint32_t>(document, "gen_high", what);
    s.logical_size = field_of<uint64_t>(document, "logical_size", what);
    s.added_size = field_of<uint64_t>(document, "added_size", what);
    s.restore_map_raw = from_hex(field_of<std::string>(document, "restore_map_raw", what), what + ": restore_map_raw");
    for (const auto& entry : array_of(document, "restore_map", what)) {
      const auto where = fmt::format("{}: restore map entry {}", what, s.restore_map.size());
      s.restore_map.push_back(
          {field_of<uint16_t>(entry, "type_code", where), field_of<std::string>(entry, "path", where)});
    }
    s.manifest = object_name(s.id);
    for (const auto& f : array_of(document, "files", what)) {
      const auto where = fmt::format("{}: file {}", what, manifest.files.size());
      catalog::FileRecord file;
      file.seq = field_of<uint32_t>(f, "seq", where);
      file.path = field_of<std::string>(f, "path", where);
      file.role = field_of<std::string>(f, "role", where);
      file.type_code = field_of<uint16_t>(f, "type_code", where);
      file.api_path = field_of<std::string>(f, "api_path", where);
      file.size = field_of<uint64_t>(f, "size", where);
      file.digest = digest_from(f.at("digest"), where + ": digest");
      file.recipe = digest_from(f.at("recipe"), where + ": recipe");
      file.log_generation = optional_from<uint32_t>(f, "log_generation", where);
      manifest.files.push_back(std::move(file));
    }
    for (const auto& m : array_of(document, "missing_files", what)) {
      const auto where = fmt::format("{}: missing file {}", what, manifest.missing_files.size());
      manifest.missing_files.push_back(
          {field_of<std::string>(m, "path", where), field_of<std::string>(m, "reason", where)});
    }
    return manifest;
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: malformed manifest: {}", what, e.what()));
  }
}

}  // namespace certvault::manifest
