// Names from the API, the restore map or a damaged catalog never lead outside the target.
#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/base/safe_path.h"
#include "certvault/operations/api_restore.h"

using namespace certvault;

namespace {

void require_refused(const std::string& path) {
  INFO("path: " << path);
  try {
    check_relative_path(path);
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kRefused);
    CHECK_THAT(std::string(e.what()), Catch::Contains("refused"));
  }
}

void require_location_refused(const std::string& path) {
  INFO("location: " << path);
  try {
    check_restore_location(path, "test entry");
    FAIL("accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kRefused);
    CHECK_THAT(std::string(e.what()), Catch::Contains("test entry"));
  }
}

}  // namespace

TEST_CASE("relative snapshot paths: every unsafe form is refused") {
  for (const char* path : {"",
                           "/etc/passwd",
                           "\\Windows\\x",
                           "C:\\x",
                           "c:x",
                           "C:/x",
                           "\\\\server\\share\\x",
                           "//server/share/x",
                           "../x",
                           "a/../../x",
                           "a/..",
                           "./a",
                           "a/./b",
                           "a//b",
                           "a/",
                           "a\\b",
                           "a:stream",
                           "DataBase/ca.edb:$DATA",
                           "CON",
                           "con",
                           "nul.txt",
                           "Aux.log",
                           "COM1",
                           "com9.dat",
                           "LPT1",
                           "lpt5.x.y",
                           "PRN",
                           "a/NUL",
                           "CONIN$",
                           "COM\xC2\xB9",
                           "lpt\xC2\xB3.log",
                           "name.",
                           "name ",
                           "a./b",
                           "a /b",
                           "tab\tname",
                           "what?.txt",
                           "a/pipe|x",
                           "star*",
                           "q\"uote",
                           "less<",
                           "more>",
                           "new\nline",
                           std::string("nul\0byte", 8).c_str()}) {
    require_refused(path);
  }
  require_refused(std::string("nul\0byte", 8));
}

TEST_CASE("relative snapshot paths: ordinary names are accepted") {
  for (const char* path : {"DataBase/Contoso Root CA.edb", "DataBase/edb0000A.log", "Dynamic/Contoso+.crl", "COM10",
                           "LPT0", "CONSOLE", "nulx", "a.b.c", "Ünïcödé/名前.crt", "00-full/DataBase/x"}) {
    INFO(path);
    CHECK_NOTHROW(check_relative_path(path));
  }
  CHECK(safe_join("/t", "a/b") == std::filesystem::path("/t/a/b"));
}

TEST_CASE("restore locations: absolute paths of this system only, no '..', no devices") {
  for (const char* path : {"", "relative/CertLog", "CertLog", "../CertLog", "/ca/../etc", "/ca/./x", "/ca//x",
                           "//server/share/CertLog", "\\\\server\\share", "/ca/x:stream", "/ca/NUL", "/ca/com1.log",
                           "/ca/dir./x", "/ca/x ", "/ca/\x01", "C:\\Windows\\CertLog"}) {
    require_location_refused(path);
  }
  CHECK(check_restore_location("/srv/ca/CertLog", "x") == std::filesystem::path("/srv/ca/CertLog"));
  CHECK(check_restore_location("/srv/ca/CertLog/", "x") == std::filesystem::path("/srv/ca/CertLog"));
  CHECK(check_restore_location("/srv/ca/Contoso Root CA.edb", "x") ==
        std::filesystem::path("/srv/ca/Contoso Root CA.edb"));
}

TEST_CASE("relocation replaces whole leading segments only") {
  const std::vector<Relocation> relocations{parse_relocation("/old/ca=/new/place")};
  CHECK(relocate("/old/ca/CertLog/x.edb", relocations) == "/new/place/CertLog/x.edb");
  CHECK(relocate("/old/ca", relocations) == "/new/place");
  CHECK(relocate("/old/cabinet/x", relocations) == "/old/cabinet/x");
  CHECK(relocate("C:\\old\\ca\\x", {parse_relocation("C:\\old\\ca=D:\\ca")}) == "D:\\ca\\x");
  CHECK_THROWS_AS(parse_relocation("no-equals"), Error);
  CHECK_THROWS_AS(parse_relocation("=/x"), Error);
  CHECK_THROWS_AS(parse_relocation("/x="), Error);
}

TEST_CASE("export paths: case-only twins and a file that is also a folder are refused") {
  auto refused = [](const std::vector<std::string>& paths, const std::string& expected) {
    INFO("paths: " << paths.size());
    try {
      check_distinct_paths(paths, "snapshot x");
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::kRefused);
      CHECK_THAT(std::string(e.what()), Catch::Contains(expected));
    }
  };
  refused({"DataBase/edb00005.log", "DataBase/EDB00005.LOG"}, "same file on Windows");
  refused({"Dynamic/a", "Dynamic/a.b", "Dynamic/a/b"}, "also a folder");
  refused({"x/y/z", "X/Y"}, "also a folder");
  CHECK_NOTHROW(check_distinct_paths(
      {"DataBase/a.edb", "DataBase/edb00001.log", "DataBase/edb00001.log.x", "Dynamic/a", "Dynamic/a.b", "Dynamic/ab/c",
       "COM\xC2\xB9"
       "4"},
      "snapshot x"));
}
