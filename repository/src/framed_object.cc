#include "framed_object.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <cstring>

#include "certvault/base/error.h"

namespace certvault::framed {
namespace {
void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t get_le(std::span<const uint8_t> bytes, size_t offset, int width) {
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | bytes[offset + static_cast<size_t>(i)];
  return v;
}
}  // namespace

std::vector<uint8_t> wrap(std::string_view magic, uint32_t version, std::span<const uint8_t> body) {
  std::vector<uint8_t> out(magic.begin(), magic.end());
  put_u32(out, version);
  put_u32(out, static_cast<uint32_t>(body.size()));
  put_u64(out, XXH64(body.data(), body.size(), 0));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::span<const uint8_t> unwrap(std::span<const uint8_t> object, std::string_view magic, uint32_t max_version,
                                const std::string& what) {
  auto fail = [&](const std::string& why) { throw Error(ErrorKind::kIntegrity, fmt::format("{}: {}", what, why)); };
  if (object.size() < kHeaderSize) fail(fmt::format("only {} bytes, shorter than its 24-byte header", object.size()));
  if (std::memcmp(object.data(), magic.data(), magic.size()) != 0) fail(fmt::format("magic is not '{}'", magic));
  const auto version = static_cast<uint32_t>(get_le(object, 8, 4));
  if (version == 0 || version > max_version) {
    fail(fmt::format("version {} is not supported (this build reads up to {})", version, max_version));
  }
  const uint64_t length = get_le(object, 12, 4);
  if (length != object.size() - kHeaderSize) {
    fail(fmt::format("header says {} body bytes, object holds {}", length, object.size() - kHeaderSize));
  }
  const auto body = object.subspan(kHeaderSize);
  const uint64_t expected = get_le(object, 16, 8);
  const uint64_t actual = XXH64(body.data(), body.size(), 0);
  if (expected != actual) fail(fmt::format("body checksum 0x{:016x} does not match 0x{:016x}", actual, expected));
  return body;
}

}  // namespace certvault::framed
