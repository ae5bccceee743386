#include "certvault/base/little_endian.h"

#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <span>
#include <vector>

#include "certvault/base/error.h"

using namespace certvault;

TEST_CASE("integers are stored least significant byte first and read back") {
  std::array<uint8_t, 16> bytes{};
  le::store<uint16_t>(bytes, 0, 0x1234);
  le::store<uint32_t>(bytes, 2, 0x89ABCDEF);
  le::store<uint64_t>(bytes, 6, 0x0102030405060708);
  const std::array<uint8_t, 16> expected = {0x34, 0x12, 0xEF, 0xCD, 0xAB, 0x89, 0x08, 0x07,
                                            0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00};
  CHECK(bytes == expected);
  CHECK(le::load<uint16_t>(bytes, 0) == 0x1234);
  CHECK(le::load<uint32_t>(bytes, 2) == 0x89ABCDEF);
  CHECK(le::load<uint64_t>(bytes, 6) == 0x0102030405060708);
  CHECK(le::load<uint8_t>(bytes, 13) == 0x01);
  CHECK(le::load<uint64_t>(std::array<uint8_t, 8>{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 0) == ~0ull);
}

TEST_CASE("append adds the same bytes as store") {
  std::vector<uint8_t> out = {0xAA};
  le::append<uint32_t>(out, 0x01020304);
  le::append<uint16_t>(out, 0xBEEF);
  CHECK(out == std::vector<uint8_t>{0xAA, 0x04, 0x03, 0x02, 0x01, 0xEF, 0xBE});
}

TEST_CASE("a load or store outside the span is an internal error and touches nothing") {
  std::array<uint8_t, 8> bytes{};
  const auto kind_of = [](auto&& call) {
    try {
      call();
    } catch (const Error& error) {
      return error.kind();
    }
    return ErrorKind::kFailure;  // not thrown: the CHECKs below fail
  };
  CHECK(kind_of([&] { le::load<uint32_t>(bytes, 5); }) == ErrorKind::kInternal);
  CHECK(kind_of([&] { le::load<uint64_t>(std::span(bytes).first(7), 0); }) == ErrorKind::kInternal);
  CHECK(kind_of([&] { le::load<uint16_t>(bytes, SIZE_MAX); }) == ErrorKind::kInternal);  // no overflow
  CHECK(kind_of([&] { le::store<uint16_t>(bytes, 7, 0xFFFF); }) == ErrorKind::kInternal);
  CHECK(bytes == std::array<uint8_t, 8>{});
  CHECK_THROWS_WITH(le::load<uint32_t>(bytes, 6), Catch::Contains("4 bytes at offset 6") && Catch::Contains("8-byte"));
  CHECK(le::load<uint32_t>(bytes, 4) == 0);  // the last whole field is inside
}
