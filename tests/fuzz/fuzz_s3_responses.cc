// S3's answers (s3/src/responses.cc over parse_xml): listing pages, multipart
// answers and <Error> bodies come from the network, from the service or from
// whatever stands between (a proxy's HTML, a truncated body, a hostile
// endpoint), up to the client's 64 MiB a document.
//
// The input is one body, read by every parser: parse_error_body() must never
// throw, and the others only Error(kFailure) naming the request.
#include <cstdlib>
#include <string>
#include <string_view>

#include "certvault/base/error.h"
#include "certvault/s3/responses.h"
#include "fuzz_target.h"
#include "xml_document.h"

namespace {
using namespace certvault;

std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }

std::vector<std::vector<uint8_t>> s3_response_seeds() {
  return {
      bytes_of(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>ca/</Prefix>
<IsTruncated>true</IsTruncated><Contents><Key>ca/config</Key><Size>312</Size></Contents>
<Contents><Key>ca/packs/a&amp;b</Key><Size>17179869184</Size></Contents>
<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>)"),
      bytes_of("<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Contents>"
               "<s3:Key><![CDATA[k<1>]]></s3:Key><s3:Size>0</s3:Size></s3:Contents></s3:ListBucketResult>"),
      bytes_of("<ListMultipartUploadsResult><Upload><Key>ca/packs/x.pack</Key><UploadId>u1</UploadId>"
               "<Initiated>2026-12-06T07:00:00.000Z</Initiated></Upload><IsTruncated>true</IsTruncated>"
               "<NextKeyMarker>ca/packs/x.pack</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker>"
               "</ListMultipartUploadsResult>"),
      bytes_of("<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId>"
               "</InitiateMultipartUploadResult>"),
      bytes_of("   \n<CompleteMultipartUploadResult><Location>l</Location><ETag>\"e-2\"</ETag>"
               "</CompleteMultipartUploadResult>"),
      bytes_of("<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate."
               "</Message></Error>"),
      bytes_of("<!DOCTYPE Error [<!ENTITY e \"&#x41;&#x42;\">]><Error><Code>&e;&e;</Code></Error>"),
      bytes_of("<html><body>502 Bad Gateway</body></html>"),
  };
}

void parse_s3_response(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  try {
    (void)s3::parse_error_body(body);
  } catch (...) {
    std::abort();  // documented never to throw: an error report is made from what it gives
  }
  std::string problem;
  if (s3::parse_xml(body, problem) == nullptr && problem.empty()) std::abort();  // a refusal says why
  const std::string what = "S3 fuzz request";
  const auto refused = [&](const Error& error) {
    if (error.kind() != ErrorKind::kFailure || std::string_view(error.what()).find(what) == std::string_view::npos) {
      std::abort();
    }
  };
  try {
    (void)s3::parse_list_objects_v2(body, what);
  } catch (const Error& error) {
    refused(error);
  }
  try {
    (void)s3::parse_list_multipart_uploads(body, what);
  } catch (const Error& error) {
    refused(error);
  }
  try {
    (void)s3::parse_initiate_multipart_upload(body, what);
  } catch (const Error& error) {
    refused(error);
  }
  try {
    (void)s3::parse_complete_multipart_upload(body, what);
  } catch (const Error& error) {
    refused(error);
  }
}
}  // namespace

CERTVAULT_FUZZ_TARGET(s3_responses, s3_response_seeds, parse_s3_response);
