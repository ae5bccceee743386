#include "framed_object.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <cstring>

#include "certvault/base/error.h"
#include "certvault/base/little_endian.h"

namespace certvault::framed {

std::vector<uint8_t> wrap(std::string_view magic, uint32_t version, std::span<const uint8_t> body) {
  return wrap(magic, version, {body});
}

std::vector<uint8_t> wrap(std::string_view magic, uint32_t version,
                          std::initializer_list<std::span<const uint8_t>> body_parts) {
  size_t body_size = 0;
  for (const auto& part : body_parts) body_size += part.size();
  std::vector<uint8_t> out;
  out.reserve(kHeaderSize + body_size);
  out.assign(magic.begin(), magic.end());
  le::append<uint32_t>(out, version);
  le::append<uint32_t>(out, static_cast<uint32_t>(body_size));
  le::append<uint64_t>(out, 0);  // the checksum, once the body is in place
  for (const auto& part : body_parts) out.insert(out.end(), part.begin(), part.end());
  const uint64_t checksum = XXH64(out.data() + kHeaderSize, body_size, 0);
  le::store<uint64_t>(out, kBodyXxh64At, checksum);
  return out;
}

std::span<const uint8_t> unwrap(std::span<const uint8_t> object, std::string_view magic, uint32_t max_version,
                                const std::string& what) {
  auto fail = [&](const std::string& why) { throw Error(ErrorKind::kIntegrity, fmt::format("{}: {}", what, why)); };
  if (object.size() < kHeaderSize) {
    fail(fmt::format("only {} bytes, shorter than its {}-byte header", object.size(), kHeaderSize));
  }
  if (std::memcmp(object.data() + kMagicAt, magic.data(), magic.size()) != 0)
    fail(fmt::format("magic is not '{}'", magic));
  const auto version = le::load<uint32_t>(object, kVersionAt);
  if (version == 0 || version > max_version) {
    fail(fmt::format("version {} is not supported (this build reads up to {})", version, max_version));
  }
  const uint64_t length = le::load<uint32_t>(object, kBodyLengthAt);
  if (length != object.size() - kHeaderSize) {
    fail(fmt::format("header says {} body bytes, object holds {}", length, object.size() - kHeaderSize));
  }
  const auto body = object.subspan(kHeaderSize);
  const uint64_t expected = le::load<uint64_t>(object, kBodyXxh64At);
  const uint64_t actual = XXH64(body.data(), body.size(), 0);
  if (expected != actual) fail(fmt::format("body checksum 0x{:016x} does not match 0x{:016x}", actual, expected));
  return body;
}

}  // namespace certvault::framed
