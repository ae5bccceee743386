// os_file.h: the conveniences over the file-system seam, on this system's half
// (file_system_posix.cc here; the wine test drives file_system_win32.cc through certvault.exe).
#include "certvault/base/os_file.h"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <string>

#include "certvault/base/error.h"
#include "test_support.h"

using certvault::Error;
using certvault::ErrorKind;
namespace os = certvault::os;

namespace {

std::vector<uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

}  // namespace

TEST_CASE("os::File writes, syncs, reads back at offsets, and truncates") {
  certvault_test::TempFolder temp("os-file");
  const auto path = temp.path() / "data";
  {
    os::File file(path, os::OpenFor::kCreateNew, "test write");
    file.write_all(bytes_of("0123456789"));
    file.sync();
    file.close();
    CHECK_FALSE(file.is_open());
  }
  os::File file(path, os::OpenFor::kRead, "test read");
  CHECK(file.size() == 10);
  std::array<uint8_t, 4> middle{};
  CHECK(file.read_at(3, middle) == 4);
  CHECK(std::string(middle.begin(), middle.end()) == "3456");
  std::array<uint8_t, 8> tail{};
  CHECK(file.read_at(6, tail) == 4);  // fewer bytes only at the end
  std::array<uint8_t, 16> all{};
  CHECK(file.read(all) == 10);
  CHECK(file.read(all) == 0);

  os::File writable(path, os::OpenFor::kReadWriteCreate, "test truncate");
  writable.truncate(4);
  CHECK(writable.size() == 4);
}

TEST_CASE("os::File kCreateNew refuses an existing file and names it") {
  certvault_test::TempFolder temp("os-file");
  const auto path = temp.path() / "taken";
  certvault_test::write_bytes(path, bytes_of("x"));
  try {
    os::File file(path, os::OpenFor::kCreateNew, "create object x");
    FAIL("an existing file was opened as new");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::kFailure);
    CHECK_THAT(error.what(),
               Catch::Contains("create object x") && Catch::Contains(path.string()) && Catch::Contains("exists"));
  }
}

TEST_CASE("os::File::try_open reports why a file cannot be opened, without throwing") {
  certvault_test::TempFolder temp("os-file");
  os::File file;
  std::string reason;
  CHECK_FALSE(os::File::try_open(temp.path() / "missing", os::OpenFor::kRead, "test", file, reason));
  CHECK_FALSE(file.is_open());
  CHECK_THAT(reason, Catch::Contains("No such file"));
  certvault_test::write_bytes(temp.path() / "present", bytes_of("abc"));
  CHECK(os::File::try_open(temp.path() / "present", os::OpenFor::kRead, "test", file, reason));
  CHECK(file.size() == 3);
}

TEST_CASE("os::replace_file replaces the target, and os::remove_file tolerates a missing file only when told") {
  certvault_test::TempFolder temp("os-file");
  const auto from = temp.path() / ".tmp-new";
  const auto to = temp.path() / "object";
  certvault_test::write_bytes(from, bytes_of("new"));
  certvault_test::write_bytes(to, bytes_of("old"));
  os::replace_file(from, to, "commit object");
  os::sync_folder(temp.path(), "commit object");
  CHECK_FALSE(std::filesystem::exists(from));
  CHECK(certvault_test::read_bytes(to) == bytes_of("new"));

  os::remove_file(to, "remove object");
  CHECK_FALSE(std::filesystem::exists(to));
  CHECK_NOTHROW(os::remove_file(to, "remove object", true));
  CHECK_THROWS_WITH(os::remove_file(to, "remove object"),
                    Catch::Contains("remove object") && Catch::Contains(to.string()));
  CHECK_THROWS_AS(os::replace_file(from, to, "commit object"), Error);
}

TEST_CASE("os::regular_file_size sees files only, and os::create_folder tolerates an existing folder") {
  certvault_test::TempFolder temp("os-file");
  uint64_t size = 0;
  CHECK_FALSE(os::regular_file_size(temp.path(), size));
  CHECK_FALSE(os::regular_file_size(temp.path() / "missing", size));
  certvault_test::write_bytes(temp.path() / "five", bytes_of("12345"));
  CHECK(os::regular_file_size(temp.path() / "five", size));
  CHECK(size == 5);
  os::create_folder(temp.path() / "sub", "test");
  CHECK_NOTHROW(os::create_folder(temp.path() / "sub", "test"));
  CHECK(std::filesystem::is_directory(temp.path() / "sub"));
}

TEST_CASE("os::path_from_utf8 keeps non-ASCII names byte for byte") {
  certvault_test::TempFolder temp("os-file");
  const std::string name = "Contoso Zertifizierungsstelle \xC3\x84 \xE2\x9C\x93.edb";  // Ä ✓
  const auto path = temp.path() / os::path_from_utf8(name);
  {
    os::File file(path, os::OpenFor::kCreateNew, "test");
    file.write_all(bytes_of("x"));
  }
  CHECK(os::display(path.filename()) == name);
  CHECK(std::filesystem::exists(temp.path() / name));
}

TEST_CASE("os::random_bytes fills the whole buffer with fresh bytes") {
  std::array<uint8_t, 64> first{}, second{};
  os::random_bytes(first);
  os::random_bytes(second);
  CHECK(first != second);  // equal with probability 2^-512
  CHECK(std::any_of(first.begin() + 48, first.end(), [](uint8_t b) { return b != 0; }));  // the end too
}
