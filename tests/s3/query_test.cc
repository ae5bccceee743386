// SigV4's canonical query string, which libcurl 7.88 signs exactly as the URL carries it.
#include "certvault/s3/query.h"

#include <catch2/catch.hpp>

using namespace certvault::s3;

TEST_CASE("s3 query: unreserved characters stay, everything else is %XX in upper case") {
  CHECK(uri_encode("AZaz09-._~", false) == "AZaz09-._~");
  CHECK(uri_encode("a b/c+d=e&f", false) == "a%20b%2Fc%2Bd%3De%26f");
  CHECK(uri_encode("a b/c", true) == "a%20b/c");
  CHECK(uri_encode("\xC3\xA9", false) == "%C3%A9");  // UTF-8 bytes one by one
  CHECK(uri_encode("*", false) == "%2A");
}

TEST_CASE("s3 query: parameters are encoded, sorted by name, and written name=value") {
  CHECK(canonical_query({}).empty());
  CHECK(canonical_query({{"uploads", ""}}) == "uploads=");
  CHECK(canonical_query({{"uploadId", "x/y"}, {"partNumber", "10"}}) == "partNumber=10&uploadId=x%2Fy");
  CHECK(canonical_query({{"prefix", "ca/packs/"}, {"list-type", "2"}, {"continuation-token", "1Ab+/=="}}) ==
        "continuation-token=1Ab%2B%2F%3D%3D&list-type=2&prefix=ca%2Fpacks%2F");
  // Sorting happens on the encoded names (byte order: upper case before lower case).
  CHECK(canonical_query({{"b", "1"}, {"B", "2"}, {"a", "3"}}) == "B=2&a=3&b=1");
}
