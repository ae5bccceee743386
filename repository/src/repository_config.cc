#include <fmt/format.h>

#include <charconv>
#include <map>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/repository/repository.h"

namespace certvault {
namespace {

constexpr std::string_view kFirstLine = "certvault repository";

template <typename Int>
Int parse_int(const std::map<std::string, std::string>& fields, const std::string& key, const std::string& origin) {
  const auto it = fields.find(key);
  if (it == fields.end()) throw Error(ErrorKind::kIntegrity, fmt::format("{}: missing '{}'", origin, key));
  Int value{};
  const auto& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: '{}' is not a number: '{}'", origin, key, text));
  }
  return value;
}

const std::string& field(const std::map<std::string, std::string>& fields, const std::string& key,
                         const std::string& origin) {
  const auto it = fields.find(key);
  if (it == fields.end()) throw Error(ErrorKind::kIntegrity, fmt::format("{}: missing '{}'", origin, key));
  return it->second;
}

}  // namespace

std::string RepositoryConfig::serialize() const {
  return fmt::format(
      "{}\n"
      "# Keep this file: with the packs, recipes and snapshots it is all that\n"
      "# `certvault repair catalog` needs. The secrets below decide chunk cut points\n"
      "# and chunk ids; they are not encryption keys.\n"
      "format-version = {}\n"
      "repository-id = {}\n"
      "created-unix = {}\n"
      "chunk-min = {}\n"
      "chunk-avg = {}\n"
      "chunk-max = {}\n"
      "zstd-level = {}\n"
      "pack-target-bytes = {}\n"
      "chunker-key = {}\n"
      "chunk-id-secret = {}\n",
      kFirstLine, format_version, repository_id, created_unix, chunk_params.min_size, chunk_params.avg_size,
      chunk_params.max_size, zstd_level, pack_target_bytes, to_hex(chunker_key), to_hex(chunk_id_secret));
}

RepositoryConfig RepositoryConfig::parse(std::string_view text, const std::string& origin) {
  std::map<std::string, std::string> fields;
  bool first = true;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (first) {
      if (line != kFirstLine) {
        throw Error(ErrorKind::kIntegrity,
                    fmt::format("{}: not a certvault repository config (first line is not '{}')", origin, kFirstLine));
      }
      first = false;
      continue;
    }
    if (line.empty() || line.front() == '#') continue;
    const size_t equals = line.find(" = ");
    if (equals == std::string_view::npos) {
      throw Error(ErrorKind::kIntegrity, fmt::format("{}: line {} is not 'key = value'", origin, line_number));
    }
    fields.emplace(std::string(line.substr(0, equals)), std::string(line.substr(equals + 3)));
  }
  if (first) throw Error(ErrorKind::kIntegrity, fmt::format("{}: empty config", origin));

  RepositoryConfig config;
  config.format_version = parse_int<uint32_t>(fields, "format-version", origin);
  if (config.format_version != kRepositoryFormatVersion) {
    throw Error(ErrorKind::kRefused, fmt::format("{}: repository format version {} is not supported by this build "
                                                 "(it reads version {})",
                                                 origin, config.format_version, kRepositoryFormatVersion));
  }
  config.repository_id = field(fields, "repository-id", origin);
  config.created_unix = parse_int<int64_t>(fields, "created-unix", origin);
  config.chunk_params.min_size = parse_int<uint32_t>(fields, "chunk-min", origin);
  config.chunk_params.avg_size = parse_int<uint32_t>(fields, "chunk-avg", origin);
  config.chunk_params.max_size = parse_int<uint32_t>(fields, "chunk-max", origin);
  config.zstd_level = parse_int<int>(fields, "zstd-level", origin);
  config.pack_target_bytes = parse_int<uint64_t>(fields, "pack-target-bytes", origin);
  from_hex_exact(field(fields, "chunker-key", origin), config.chunker_key, origin + ": chunker-key");
  from_hex_exact(field(fields, "chunk-id-secret", origin), config.chunk_id_secret, origin + ": chunk-id-secret");
  try {
    config.chunk_params.validate();
  } catch (const Error& e) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: {}", origin, e.what()));
  }
  return config;
}

}  // namespace certvault
