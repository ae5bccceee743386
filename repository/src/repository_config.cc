#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <optional>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/repository/repository.h"
#include "config_format.h"
#include "config_sealing.h"
#include "crypto.h"

namespace certvault {
namespace {

using namespace config_format;

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

namespace {

std::string serialize_text(const RepositoryConfig& config, const std::function<std::string(std::string_view)>& mac) {
  std::string text = config.encrypted()
                         ? fmt::format(
                               "{}\n"
                               "# Keep this file and the keys/ folder: with the packs, recipes and snapshots\n"
                               "# they are all that `certvault repair catalog` needs. This repository is\n"
                               "# encrypted: without a passphrase or key file of one of its key slots\n"
                               "# nobody can read it.\n",
                               kFirstLine)
                         : fmt::format(
                               "{}\n"
                               "# Keep this file: with the packs, recipes and snapshots it is all that\n"
                               "# `certvault repair catalog` needs. The secrets below decide chunk cut points\n"
                               "# and chunk ids; they are not encryption keys.\n",
                               kFirstLine);
  const auto line = [&text](const char* key, const auto& value) {
    text += fmt::format("{}{}{}\n", key, kSeparator, value);
  };
  line(kFormatVersion, config.format_version);
  line(kRepositoryId, config.repository_id);
  line(kCreatedUnix, config.created_unix);
  line(kChunkMin, config.chunk_params.min_size);
  line(kChunkAvg, config.chunk_params.avg_size);
  line(kChunkMax, config.chunk_params.max_size);
  line(kZstdLevel, config.zstd_level);
  line(kPackTargetBytes, config.pack_target_bytes);
  if (config.encrypted()) {
    line(kEncryption, crypto_format::kEncryptionName);
    line(kSecrets, config.sealed_secrets);
    line(kConfigMac, mac(text));
  } else {
    line(kChunkerKey, to_hex(config.chunker_key));
    line(kChunkIdSecret, to_hex(config.chunk_id_secret));
  }
  line(kConfigXxh64, fmt::format("{:016x}", XXH64(text.data(), text.size(), 0)));
  return text;
}

std::vector<uint8_t> secrets_ad(const RepositoryConfig& config) {
  return crypto::concat(
      {crypto::bytes_of(crypto_format::kSecretsLabel), crypto::kZeroByte, crypto::bytes_of(config.repository_id)});
}

}  // namespace

std::string RepositoryConfig::serialize() const {
  return serialize_text(*this, [this](std::string_view) { return config_mac; });
}

std::string seal_config(RepositoryConfig& config, const crypto::MasterKey& key) {
  auto secrets = crypto::concat({config.chunker_key, config.chunk_id_secret});
  std::array<uint8_t, 24> nonce;
  fill_random(nonce);
  const auto sealed = crypto::seal(secrets, secrets_ad(config), nonce, key.config_secrets);
  std::fill(secrets.begin(), secrets.end(), 0);
  config.sealed_secrets = to_hex(crypto::concat({nonce, sealed}));
  return serialize_text(config, [&](std::string_view before) {
    config.config_mac = to_hex(crypto::mac(crypto::bytes_of(before), key.config_mac));
    return config.config_mac;
  });
}

void unseal_config(RepositoryConfig& config, const crypto::MasterKey& key, const std::string& origin) {
  const auto expected =
      to_hex(crypto::mac(crypto::bytes_of(std::string_view(config.text).substr(0, config.mac_covers)), key.config_mac));
  if (expected != config.config_mac) {
    throw Error(ErrorKind::kIntegrity,
                fmt::format("{}: '{}' does not authenticate the config under this repository's key: the config was "
                            "changed after it was written (or belongs to another repository)",
                            origin, kConfigMac));
  }
  const auto sealed = from_hex(config.sealed_secrets, origin + ": " + kSecrets);
  constexpr size_t kPlain = sizeof(config.chunker_key) + sizeof(config.chunk_id_secret);
  if (sealed.size() != 24 + kPlain + crypto_format::kTagSize) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: '{}' has {} bytes, not {}", origin, kSecrets, sealed.size(),
                                                   24 + kPlain + crypto_format::kTagSize));
  }
  std::vector<uint8_t> plain(kPlain);
  if (!crypto::open(std::span(sealed).subspan(24), secrets_ad(config), std::span(sealed).first(24), key.config_secrets,
                    plain)) {
    throw Error(
        ErrorKind::kIntegrity,
        fmt::format("{}: '{}' does not decrypt under this repository's key (damaged or replaced)", origin, kSecrets));
  }
  std::copy_n(plain.begin(), config.chunker_key.size(), config.chunker_key.begin());
  std::copy_n(plain.begin() + config.chunker_key.size(), config.chunk_id_secret.size(), config.chunk_id_secret.begin());
  std::fill(plain.begin(), plain.end(), 0);
}

RepositoryConfig RepositoryConfig::parse(std::string_view text, const std::string& origin) {
  const std::string_view whole = text;
  std::map<std::string, std::string> fields;
  std::optional<size_t> checksum_line_at;  // byte offset of the config-xxh64 line
  std::optional<size_t> mac_line_at;       // of the config-mac line (format 3)
  bool first = true;
  size_t line_number = 0;
  while (!text.empty()) {
    const size_t line_at = whole.size() - text.size();
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    if (checksum_line_at) {
      throw Error(ErrorKind::kIntegrity, fmt::format("{}: line {} follows the '{}' line, which must be the last",
                                                     origin, line_number, kConfigXxh64));
    }
    if (first) {
      if (line != kFirstLine) {
        throw Error(ErrorKind::kIntegrity,
                    fmt::format("{}: not a certvault repository config (first line is not '{}')", origin, kFirstLine));
      }
      first = false;
      continue;
    }
    if (line.empty() || line.front() == kCommentStart) continue;
    const size_t equals = line.find(kSeparator);
    if (equals == std::string_view::npos) {
      throw Error(ErrorKind::kIntegrity, fmt::format("{}: line {} is not 'key = value'", origin, line_number));
    }
    const std::string key(line.substr(0, equals));
    if (!fields.emplace(key, std::string(line.substr(equals + kSeparator.size()))).second) {
      throw Error(ErrorKind::kIntegrity, fmt::format("{}: line {}: '{}' is given twice", origin, line_number, key));
    }
    if (key == kConfigMac) mac_line_at = line_at;
    if (key == kConfigXxh64) {
      if (end == std::string_view::npos) {
        throw Error(ErrorKind::kIntegrity, fmt::format("{}: the '{}' line does not end with a newline (the file is "
                                                       "truncated)",
                                                       origin, kConfigXxh64));
      }
      checksum_line_at = line_at;
    }
  }
  if (first) throw Error(ErrorKind::kIntegrity, fmt::format("{}: empty config", origin));

  RepositoryConfig config;
  config.checksummed = checksum_line_at.has_value();
  if (checksum_line_at) {
    const auto& recorded = fields.at(kConfigXxh64);
    const auto actual = fmt::format("{:016x}", XXH64(whole.data(), *checksum_line_at, 0));
    if (recorded.size() != kConfigXxh64Digits || recorded.find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw Error(ErrorKind::kIntegrity, fmt::format("{}: '{}' is not {} lower-case hex digits: '{}'", origin,
                                                     kConfigXxh64, kConfigXxh64Digits, recorded));
    }
    if (recorded != actual) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("{}: checksum mismatch: '{}' records {} but the bytes before it hash to {}; the config "
                              "was changed or damaged after it was written",
                              origin, kConfigXxh64, recorded, actual));
    }
  }

  config.format_version = parse_int<uint32_t>(fields, kFormatVersion, origin);
  if (config.format_version < kOldestRepositoryFormatVersion || config.format_version > kRepositoryFormatVersion) {
    throw Error(ErrorKind::kRefused,
                fmt::format("{}: repository format version {} is not supported by this build "
                            "(it reads versions {} to {})",
                            origin, config.format_version, kOldestRepositoryFormatVersion, kRepositoryFormatVersion));
  }
  config.repository_id = field(fields, kRepositoryId, origin);
  if (config.repository_id.size() != 32 ||
      config.repository_id.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: '{}' is not 32 lower-case hex digits: '{}'", origin,
                                                   kRepositoryId, config.repository_id));
  }
  config.created_unix = parse_int<int64_t>(fields, kCreatedUnix, origin);
  config.chunk_params.min_size = parse_int<uint32_t>(fields, kChunkMin, origin);
  config.chunk_params.avg_size = parse_int<uint32_t>(fields, kChunkAvg, origin);
  config.chunk_params.max_size = parse_int<uint32_t>(fields, kChunkMax, origin);
  config.zstd_level = parse_int<int>(fields, kZstdLevel, origin);
  config.pack_target_bytes = parse_int<uint64_t>(fields, kPackTargetBytes, origin);
  if (config.encrypted()) {
    if (field(fields, kEncryption, origin) != crypto_format::kEncryptionName) {
      throw Error(ErrorKind::kRefused, fmt::format("{}: encryption '{}' is not supported by this build (it knows '{}')",
                                                   origin, fields.at(kEncryption), crypto_format::kEncryptionName));
    }
    config.sealed_secrets = field(fields, kSecrets, origin);
    config.config_mac = field(fields, kConfigMac, origin);
    if (!checksum_line_at || !mac_line_at) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("{}: an encrypted repository's config needs its '{}' and '{}' lines", origin, kConfigMac,
                              kConfigXxh64));
    }
    if (config.config_mac.size() != kConfigMacDigits ||
        config.config_mac.find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw Error(ErrorKind::kIntegrity,
                  fmt::format("{}: '{}' is not {} lower-case hex digits", origin, kConfigMac, kConfigMacDigits));
    }
    if (fields.contains(kChunkerKey) || fields.contains(kChunkIdSecret)) {
      throw Error(ErrorKind::kIntegrity, fmt::format("{}: an encrypted repository's config holds its secrets only "
                                                     "sealed, yet it has '{}' or '{}' in plain text",
                                                     origin, kChunkerKey, kChunkIdSecret));
    }
    config.mac_covers = *mac_line_at;
    config.text = std::string(whole);
  } else {
    from_hex_exact(field(fields, kChunkerKey, origin), config.chunker_key, origin + ": " + kChunkerKey);
    from_hex_exact(field(fields, kChunkIdSecret, origin), config.chunk_id_secret, origin + ": " + kChunkIdSecret);
  }
  try {
    config.chunk_params.validate();
  } catch (const Error& e) {
    throw Error(ErrorKind::kIntegrity, fmt::format("{}: {}", origin, e.what()));
  }
  return config;
}

}  // namespace certvault
