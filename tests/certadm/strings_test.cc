#include "certvault/certadm/strings.h"

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "certvault/base/error.h"

using namespace certvault;
using namespace certvault::certadm;

namespace {

// Joined by appending: `u"a" + std::u16string(...)` makes GCC 12 at -O3 report a false
// -Wrestrict inside std::u16string::insert.
std::u16string concat(std::initializer_list<std::u16string_view> parts) {
  std::u16string text;
  for (const auto part : parts) text.append(part);
  return text;
}

// UTF-16LE bytes of `text`, as the API lays out a multi-string.
std::vector<uint8_t> le_bytes(std::u16string_view text) {
  std::vector<uint8_t> bytes;
  for (char16_t unit : text) {
    bytes.push_back(static_cast<uint8_t>(unit & 0xFF));
    bytes.push_back(static_cast<uint8_t>(unit >> 8));
  }
  return bytes;
}

std::string error_of(std::span<const uint8_t> bytes, bool typed) {
  try {
    parse_multistring(bytes, typed);
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::kIntegrity);
    return error.what();
  }
  FAIL("parse_multistring accepted a malformed list");
  return {};
}

}  // namespace

TEST_CASE("UTF-16 and UTF-8 round-trip every plane") {
  const std::string text = "C:\\CA\\Ünïcödé 証明書 \xF0\x9D\x84\x9E.edb";  // U+1D11E needs a surrogate pair
  const std::u16string wide = utf8_to_utf16(text);
  CHECK(wide == u"C:\\CA\\Ünïcödé 証明書 \U0001D11E.edb");
  CHECK(utf16_to_utf8(wide) == text);
  CHECK(utf8_to_utf16("").empty());
  CHECK(utf16_to_utf8(u"").empty());
  CHECK(utf8_to_utf16("\xF4\x8F\xBF\xBF") == u"\U0010FFFF");
}

TEST_CASE("invalid UTF-16 is rejected with the offending code unit") {
  auto message = [](std::u16string_view text) -> std::string {
    try {
      utf16_to_utf8(text);
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::kIntegrity);
      return error.what();
    }
    return "accepted";
  };
  CHECK_THAT(message(std::u16string(u"ab") + char16_t(0xD800)), Catch::Contains("0xD800 at code unit 2"));
  CHECK_THAT(message(std::u16string(1, char16_t(0xD83D)) + u"x"), Catch::Contains("not followed by a low surrogate"));
  CHECK_THAT(message(std::u16string(1, char16_t(0xDC00))), Catch::Contains("low surrogate without a high"));
  // Reversed pair.
  CHECK_THAT(message(std::u16string{char16_t(0xDD1E), char16_t(0xD834)}), Catch::Contains("code unit 0"));
}

TEST_CASE("invalid UTF-8 is rejected with the offending byte") {
  auto message = [](std::string_view text) -> std::string {
    try {
      utf8_to_utf16(text);
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::kIntegrity);
      return error.what();
    }
    return "accepted";
  };
  CHECK_THAT(message("a\xC0\xAF"), Catch::Contains("byte 1") && Catch::Contains("overlong"));  // overlong '/'
  CHECK_THAT(message("\xE0\x80\xAF"), Catch::Contains("overlong 3-byte form"));
  CHECK_THAT(message("\xF0\x80\x80\xAF"), Catch::Contains("overlong 4-byte form"));
  CHECK_THAT(message("\xED\xA0\x80"), Catch::Contains("surrogate"));  // CESU-style encoded U+D800
  CHECK_THAT(message("\xF4\x90\x80\x80"), Catch::Contains("above U+10FFFF"));
  CHECK_THAT(message("\xF5\x80\x80\x80"), Catch::Contains("cannot start"));
  CHECK_THAT(message("ok\xE2\x82"), Catch::Contains("byte 2") && Catch::Contains("cut short"));
  CHECK_THAT(message("\xE2(\xAC"), Catch::Contains("byte 1") && Catch::Contains("not a continuation"));
  CHECK_THAT(message("\x80"), Catch::Contains("cannot start"));
}

TEST_CASE("a type-coded multi-string yields type codes, paths and the raw bytes") {
  const std::u16string text = std::u16string(1, 0x82) + u"C:\\CA\\CertLog" + std::u16string(1, 0) +
                              std::u16string(1, 0x44) + u"C:\\CA\\ca.edb" + std::u16string(2, 0);
  const auto bytes = le_bytes(text);
  const NameList list = parse_multistring(bytes, true);
  CHECK(list.raw == bytes);
  REQUIRE(list.entries.size() == 2);
  CHECK(list.entries[0].type_code == 0x82);
  CHECK(list.entries[0].path_utf8 == "C:\\CA\\CertLog");
  CHECK(list.entries[1].type_code == 0x44);
  CHECK(list.entries[1].path_utf16 == u"C:\\CA\\ca.edb");
  CHECK(list.api_buffer == nullptr);

  const NameList plain = parse_multistring(bytes, false);
  REQUIRE(plain.entries.size() == 2);
  CHECK(plain.entries[0].type_code == 0);
  CHECK(plain.entries[0].path_utf16 == std::u16string(1, 0x82) + u"C:\\CA\\CertLog");
}

TEST_CASE("empty multi-strings: two NULs, one NUL, or nothing") {
  for (const std::vector<uint8_t>& bytes :
       {std::vector<uint8_t>{0, 0, 0, 0}, std::vector<uint8_t>{0, 0}, std::vector<uint8_t>{}}) {
    const NameList list = parse_multistring(bytes, true);
    CHECK(list.entries.empty());
    CHECK(list.raw == bytes);
  }
  // NUL padding after the terminator is tolerated and kept in raw.
  const auto padded = le_bytes(concat({u"a", std::u16string(4, 0)}));
  const NameList list = parse_multistring(padded, false);
  CHECK(list.entries.size() == 1);
  CHECK(list.raw.size() == 10);
}

TEST_CASE("malformed multi-strings are rejected naming the offset and the fault") {
  // Odd byte count.
  auto odd = le_bytes(concat({u"ab", std::u16string(2, 0)}));
  odd.push_back(0);
  CHECK_THAT(error_of(odd, false), Catch::Contains("odd byte count 9"));
  // An entry without its NUL.
  CHECK_THAT(error_of(le_bytes(u"abc"), false), Catch::Contains("byte 0") && Catch::Contains("no terminating NUL"));
  CHECK_THAT(error_of(le_bytes(concat({u"a", std::u16string(1, 0), u"bc"})), false),
             Catch::Contains("byte 4") && Catch::Contains("no terminating NUL"));
  // Entries, but no final terminator.
  CHECK_THAT(error_of(le_bytes(concat({u"ab", std::u16string(1, 0)})), false), Catch::Contains("final NUL terminator"));
  // A type code and no path.
  CHECK_THAT(error_of(le_bytes(concat({u"\x0021", std::u16string(2, 0)})), true),
             Catch::Contains("type code 0x21 has no path"));
  // Text after the terminator.
  CHECK_THAT(error_of(le_bytes(concat({u"a", std::u16string(2, 0), u"z", std::u16string(1, 0)})), false),
             Catch::Contains("byte 6") && Catch::Contains("after the list's final NUL"));
  // A lone surrogate in an entry.
  CHECK_THAT(error_of(le_bytes(concat({u"\x0044", std::u16string(1, 0xD800), std::u16string(2, 0)})), true),
             Catch::Contains("not valid UTF-16"));
}
