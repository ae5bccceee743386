// parse_s3_location and the addressing decision: the forms the user guide documents, and a clear
// kUsage error naming the wrong part for everything else.
#include "certvault/s3/location.h"

#include <catch2/catch.hpp>

#include "certvault/base/error.h"
#include "certvault/s3/options.h"

using namespace certvault;
using namespace certvault::s3;

namespace {
std::string usage_error_of(const std::string& text) {
  try {
    parse_s3_location(text);
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::kUsage);
    return error.what();
  }
  FAIL("no error for " << text);
  return {};
}
}  // namespace

TEST_CASE("s3 location: https with a port, a bucket and a nested prefix") {
  const auto location = parse_s3_location("s3:https://s3.example.com:9000/backups/ca/contoso-issuing");
  CHECK(location.https);
  CHECK(location.host == "s3.example.com");
  CHECK(location.port == 9000);
  CHECK(location.bucket == "backups");
  CHECK(location.prefix == "ca/contoso-issuing");
  CHECK(location.endpoint() == "https://s3.example.com:9000");
  CHECK(location.key_of("config") == "ca/contoso-issuing/config");
  CHECK(location.to_string() == "s3:https://s3.example.com:9000/backups/ca/contoso-issuing");
}

TEST_CASE("s3 location: http, no port, no prefix, trailing slash ignored") {
  const auto location = parse_s3_location("s3:http://127.0.0.1/certvault/");
  CHECK_FALSE(location.https);
  CHECK(location.host == "127.0.0.1");
  CHECK(location.port == 0);
  CHECK(location.bucket == "certvault");
  CHECK(location.prefix.empty());
  CHECK(location.key_of("packs/ab/x.pack") == "packs/ab/x.pack");
  CHECK(location.endpoint() == "http://127.0.0.1");
}

TEST_CASE("s3 location: an IPv6 host in brackets keeps them, and its port follows them") {
  const auto location = parse_s3_location("s3:http://[::1]:7480/bucket-1");
  CHECK(location.host == "[::1]");
  CHECK(location.port == 7480);
  CHECK(location.endpoint() == "http://[::1]:7480");
}

TEST_CASE("s3 location: is_s3_location looks at the scheme only") {
  CHECK(is_s3_location("s3:https://h/b"));
  CHECK(is_s3_location("s3:nonsense"));
  CHECK_FALSE(is_s3_location("/var/backups/repo"));
  CHECK_FALSE(is_s3_location("C:\\backups"));
}

TEST_CASE("s3 location: bad input names the wrong part") {
  CHECK_THAT(usage_error_of("/local/path"), Catch::Contains("does not start with \"s3:\""));
  CHECK_THAT(usage_error_of("s3:ftp://host/bucket"), Catch::Contains("scheme must be https:// or http://"));
  CHECK_THAT(usage_error_of("s3:https://host"), Catch::Contains("bucket is missing"));
  CHECK_THAT(usage_error_of("s3:https:///bucket"), Catch::Contains("host is empty"));
  CHECK_THAT(usage_error_of("s3:https://host:0/bucket"), Catch::Contains("port \"0\""));
  CHECK_THAT(usage_error_of("s3:https://host:65536/bucket"), Catch::Contains("port \"65536\""));
  CHECK_THAT(usage_error_of("s3:https://host:http/bucket"), Catch::Contains("port \"http\""));
  CHECK_THAT(usage_error_of("s3:https://host/Bucket"), Catch::Contains("outside [a-z0-9.-]"));
  CHECK_THAT(usage_error_of("s3:https://host/ab"), Catch::Contains("3-63 characters"));
  CHECK_THAT(usage_error_of("s3:https://host/-bucket"), Catch::Contains("begin and end with a letter or digit"));
  CHECK_THAT(usage_error_of("s3:https://host/bucket/a//b"), Catch::Contains("empty segment"));
  CHECK_THAT(usage_error_of("s3:https://host/bucket/a/../b"), Catch::Contains("\"..\" segment"));
  CHECK_THAT(usage_error_of("s3:https://host/bucket/a b"), Catch::Contains("outside [A-Za-z0-9._-/]"));
  CHECK_THAT(usage_error_of("s3:https://host/bucket?x=1"), Catch::Contains("query or fragment"));
  CHECK_THAT(usage_error_of("s3:https://key:secret@host/bucket"), Catch::Contains("AWS_ACCESS_KEY_ID"));
  CHECK_THAT(usage_error_of("s3:https://ho_st/bucket"), Catch::Contains("host \"ho_st\""));
  // Every message shows the expected form.
  CHECK_THAT(usage_error_of("s3:https://host"), Catch::Contains("s3:https://HOST[:PORT]/BUCKET[/PREFIX]"));
}

TEST_CASE("s3 addressing: auto is path-style except for AWS, explicit choices win") {
  const auto aws = parse_s3_location("s3:https://s3.eu-west-1.amazonaws.com/my-bucket");
  const auto aws_dotted = parse_s3_location("s3:https://s3.eu-west-1.amazonaws.com/my.bucket");
  const auto rgw = parse_s3_location("s3:http://127.0.0.1:7480/my-bucket");
  const auto local = parse_s3_location("s3:http://localhost:9000/my-bucket");
  const auto minio = parse_s3_location("s3:https://minio.corp.example/my-bucket");
  CHECK_FALSE(use_path_style(aws, Addressing::kAuto));
  CHECK(use_path_style(aws_dotted, Addressing::kAuto));
  CHECK(use_path_style(rgw, Addressing::kAuto));
  CHECK(use_path_style(local, Addressing::kAuto));
  CHECK(use_path_style(minio, Addressing::kAuto));
  CHECK(use_path_style(aws, Addressing::kPathStyle));
  CHECK_FALSE(use_path_style(minio, Addressing::kVirtualHosted));
}

TEST_CASE("s3 options: region and credentials come from the environment") {
  setenv("AWS_DEFAULT_REGION", "eu-central-1", 1);
  setenv("AWS_REGION", "ignored-1", 1);
  setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
  setenv("AWS_SESSION_TOKEN", "token", 1);
  setenv("AWS_CA_BUNDLE", "/etc/ssl/private-ca.pem", 1);
  auto options = s3_options_from_environment();
  CHECK(options.ca_bundle == "/etc/ssl/private-ca.pem");
  unsetenv("AWS_CA_BUNDLE");
  CHECK(s3_options_from_environment().ca_bundle.empty());
  CHECK(s3_options_from_environment().max_attempts == 8);
  setenv("CERTVAULT_S3_MAX_ATTEMPTS", "3", 1);
  CHECK(s3_options_from_environment().max_attempts == 3);
  for (const char* bad : {"0", "101", "3x", "-1", " 3"}) {
    setenv("CERTVAULT_S3_MAX_ATTEMPTS", bad, 1);
    try {
      s3_options_from_environment();
      FAIL("CERTVAULT_S3_MAX_ATTEMPTS=" << bad << " was accepted");
    } catch (const Error& error) {
      CHECK(error.kind() == ErrorKind::kUsage);
      CHECK_THAT(error.what(), Catch::Contains("CERTVAULT_S3_MAX_ATTEMPTS"));
    }
  }
  unsetenv("CERTVAULT_S3_MAX_ATTEMPTS");
  CHECK(options.region == "eu-central-1");
  CHECK(options.access_key_id == "AKIDEXAMPLE");
  CHECK(options.secret_access_key == "secret");
  CHECK(options.session_token == "token");
  unsetenv("AWS_DEFAULT_REGION");
  CHECK(s3_options_from_environment().region == "ignored-1");
  unsetenv("AWS_REGION");
  CHECK(s3_options_from_environment().region == "us-east-1");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  try {
    s3_options_from_environment();
    FAIL("a key id without its secret was accepted");
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::kUsage);
    CHECK_THAT(error.what(), Catch::Contains("AWS_SECRET_ACCESS_KEY"));
  }
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SESSION_TOKEN");
  CHECK(s3_options_from_environment().access_key_id.empty());
}
