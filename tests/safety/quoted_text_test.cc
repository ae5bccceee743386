// Issue 15, item 4: names quoted into line-based text cannot end a line.
#include "certvault/base/quoted_text.h"

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("quoted_if_needed leaves ordinary names alone and escapes what could end a line") {
  CHECK(certvault::quoted_if_needed("C:\\Windows\\system32\\CertLog\\Contoso Root CA.edb") ==
        "C:\\Windows\\system32\\CertLog\\Contoso Root CA.edb");
  CHECK(certvault::quoted_if_needed("a\nb") == "\"a\\nb\"");
  CHECK(certvault::quoted_if_needed("\"x") == "\"\\\"x\"");
  CHECK(certvault::quoted_if_needed(std::string("t\x01\\", 3)) == "\"t\\u0001\\\\\"");
}
