// A service that does not answer: the client retries, then fails naming the request, the cause
// and the attempts. (No gateway needed: nothing listens on 127.0.0.1 port 1.)
#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/s3/client.h"

using namespace certvault;
using namespace certvault::s3;

TEST_CASE("s3 client: an unreachable service fails after the retries, saying so") {
  S3Options options;
  options.access_key_id = "AKIDEXAMPLE";
  options.secret_access_key = "secret";
  options.max_attempts = 3;
  options.base_delay = std::chrono::milliseconds(1);
  S3Client client(parse_s3_location("s3:http://127.0.0.1:1/bucket/prefix"), options);
  try {
    client.head_object("prefix/config");
    FAIL("no error");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::kFailure);
    CHECK_THAT(error.what(), Catch::Contains("S3 HEAD s3://bucket/prefix/config") && Catch::Contains("connect") &&
                                 Catch::Contains("after 3 attempts"));
  }
  CHECK(client.requests_sent() == 3);
}
