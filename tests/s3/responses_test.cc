// The XML documents of S3's answers, read with expat: listing pages, errors, multipart answers.
#include "certvault/s3/responses.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "certvault/base/error.h"

using namespace certvault;
using namespace certvault::s3;

namespace {
std::string failure_of(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const Error& error) {
    CHECK(error.kind() == ErrorKind::kFailure);
    return error.what();
  }
  FAIL("no error");
  return {};
}
}  // namespace

TEST_CASE("s3 responses: a truncated ListObjectsV2 page with its continuation token") {
  const std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>certvault</Name><Prefix>ca/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>ca/config</Key><LastModified>2026-12-06T07:00:00.000Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>312</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>ca/packs/a&amp;b</Key><Size>17179869184</Size></Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";
  const auto page = parse_list_objects_v2(body, "list");
  REQUIRE(page.objects.size() == 2);
  CHECK(page.objects[0] == ObjectEntry{"ca/config", 312});
  CHECK(page.objects[1] == ObjectEntry{"ca/packs/a&b", 17179869184ULL});  // entity resolved, 64-bit size
  CHECK(page.truncated);
  CHECK(page.next_continuation_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST_CASE("s3 responses: the last page, an empty page, and a namespace prefix") {
  auto page = parse_list_objects_v2(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key><![CDATA[k<1>]]></Key><Size>0</Size>"
      "</Contents></ListBucketResult>",
      "list");
  REQUIRE(page.objects.size() == 1);
  CHECK(page.objects[0].key == "k<1>");
  CHECK_FALSE(page.truncated);
  page = parse_list_objects_v2("<ListBucketResult><KeyCount>0</KeyCount></ListBucketResult>", "list");
  CHECK(page.objects.empty());
  CHECK_FALSE(page.truncated);
  page = parse_list_objects_v2(
      "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Contents><s3:Key>x</s3:Key>"
      "<s3:Size>5</s3:Size></s3:Contents></s3:ListBucketResult>",
      "list");
  REQUIRE(page.objects.size() == 1);
  CHECK(page.objects[0] == ObjectEntry{"x", 5});
}

TEST_CASE("s3 responses: malformed listings are errors naming the request and the problem") {
  CHECK_THAT(failure_of([] { parse_list_objects_v2("<ListBucketResult><Contents>", "S3 GET list"); }),
             Catch::Contains("S3 GET list") && Catch::Contains("not XML"));
  CHECK_THAT(failure_of([] { parse_list_objects_v2("<html><body>proxy error</body></html>", "list"); }),
             Catch::Contains("root element is <html>"));
  CHECK_THAT(failure_of([] {
               parse_list_objects_v2(
                   "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>", "list");
             }),
             Catch::Contains("size of k is \"-1\""));
  CHECK_THAT(failure_of([] {
               parse_list_objects_v2("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
                                     "list");
             }),
             Catch::Contains("<Contents> has no <Key>"));
  CHECK_THAT(failure_of([] {
               parse_list_objects_v2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", "list");
             }),
             Catch::Contains("NextContinuationToken"));
  CHECK_THAT(failure_of([] { parse_list_objects_v2("", "list"); }), Catch::Contains("not XML"));
}

TEST_CASE("s3 responses: elements nested deeper than 64 levels are refused, a million of them without a crash") {
  // Appended piece by piece: GCC 12 reports a false -Wrestrict for "<" + std::string(root).
  auto nested = [](size_t depth, std::string_view root) {
    std::string body;
    body.reserve(7 * depth + 2 * root.size() + 5);
    body.append(1, '<').append(root).append(1, '>');
    for (size_t i = 1; i < depth; ++i) body.append("<a>");
    for (size_t i = 1; i < depth; ++i) body.append("</a>");
    body.append("</").append(root).append(1, '>');
    return body;
  };
  // The element tree is freed recursively: a million levels (7 MB, well inside the client's 64 MiB a
  // document) once overflowed the stack as the half-built tree was destroyed.
  CHECK_THAT(failure_of([&] { parse_list_objects_v2(nested(1000000, "ListBucketResult"), "S3 GET list"); }),
             Catch::Contains("S3 GET list") && Catch::Contains("nest deeper than 64 levels"));
  CHECK_FALSE(parse_error_body(nested(1000000, "Error")));
  CHECK_THAT(failure_of([&] { parse_list_objects_v2(nested(65, "ListBucketResult"), "list"); }),
             Catch::Contains("nest deeper than 64 levels"));
  CHECK(parse_list_objects_v2(nested(64, "ListBucketResult"), "list").objects.empty());
  // The 65th level an empty element, whose end expat reports even though its start stopped it.
  auto with_empty = nested(64, "ListBucketResult");
  with_empty.insert(with_empty.find("</a>"), "<a/>");
  CHECK_THAT(failure_of([&] { parse_list_objects_v2(with_empty, "list"); }),
             Catch::Contains("nest deeper than 64 levels"));
}

TEST_CASE("s3 responses: an <Error> body gives its code and message; anything else gives nothing") {
  const auto error = parse_error_body(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>tx0</RequestId></Error>)");
  REQUIRE(error);
  CHECK(error->code == "SlowDown");
  CHECK(error->message == "Please reduce your request rate.");
  CHECK_FALSE(parse_error_body(""));
  CHECK_FALSE(parse_error_body("<html>502 Bad Gateway</html>"));
  CHECK_FALSE(parse_error_body("<Error><Code>unterminated"));
}

TEST_CASE("s3 responses: multipart answers and the completion request") {
  CHECK(parse_initiate_multipart_upload("<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                                        "<UploadId>2~abc</UploadId></InitiateMultipartUploadResult>",
                                        "init") == "2~abc");
  CHECK_THAT(failure_of([] { parse_initiate_multipart_upload("<InitiateMultipartUploadResult/>", "init"); }),
             Catch::Contains("no <UploadId>"));
  // A completion may answer 200 with an <Error> inside, after keep-alive spaces.
  const auto failed = parse_complete_multipart_upload(
      "   \n<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>try again</Message></Error>", "complete");
  REQUIRE(failed);
  CHECK(failed->code == "InternalError");
  CHECK_FALSE(parse_complete_multipart_upload(
      "  <?xml version=\"1.0\"?><CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>",
      "complete"));
  const auto uploads = parse_list_multipart_uploads(
      "<ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>p/b</NextKeyMarker>"
      "<NextUploadIdMarker>u2</NextUploadIdMarker><Upload><Key>p/a</Key><UploadId>u1</UploadId>"
      "<Initiated>2026-12-06T07:00:00.000Z</Initiated></Upload><Upload><Key>p/b</Key><UploadId>u2</UploadId></Upload>"
      "</ListMultipartUploadsResult>",
      "uploads");
  REQUIRE(uploads.uploads.size() == 2);
  CHECK(uploads.uploads[0].key == "p/a");
  CHECK(uploads.uploads[0].upload_id == "u1");
  CHECK(uploads.uploads[0].initiated == "2026-12-06T07:00:00.000Z");
  CHECK(uploads.truncated);
  CHECK(uploads.next_key_marker == "p/b");
  CHECK(uploads.next_upload_id_marker == "u2");
  CHECK(complete_multipart_upload_body({{1, "\"e1\""}, {2, "\"e&2\""}}) ==
        "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber>"
        "<ETag>&quot;e1&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&quot;e&amp;2&quot;</ETag></Part>"
        "</CompleteMultipartUpload>");
}
