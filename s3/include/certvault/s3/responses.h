// The XML bodies S3 answers with, read with expat (a real XML parser: entities, CDATA, namespaces
// and attribute order are its business, not ours).
//
// Contract:
// - Each parse_* function reads one response body and throws Error(kFailure) naming the request
//   (`what`) when the body is not well-formed XML, its root element is not the one expected, or a
//   required element is missing or malformed (a size that is not a number). Elements are matched
//   by local name, whatever namespace prefix the service uses.
// - parse_error_body() never throws: it returns nothing for a body that is not an S3 <Error>
//   document (an empty body, HTML from a proxy), so that an error report can still be made.
// - complete_multipart_upload_body() writes the request body of CompleteMultipartUpload, with the
//   parts in the order given (they must be ascending) and the text escaped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certvault::s3 {

struct ObjectEntry {
  std::string key;
  uint64_t size = 0;
  friend bool operator==(const ObjectEntry&, const ObjectEntry&) = default;
};

struct ListObjectsPage {
  std::vector<ObjectEntry> objects;
  bool truncated = false;
  std::string next_continuation_token;  // set when truncated
};

struct MultipartUpload {
  std::string key;
  std::string upload_id;
  std::string initiated;  // ISO 8601, as the service wrote it
};

struct ListUploadsPage {
  std::vector<MultipartUpload> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

struct ErrorBody {
  std::string code;     // e.g. "NoSuchKey", "SlowDown"
  std::string message;  // the service's sentence
};

struct CompletedPart {
  int number = 0;
  std::string etag;  // as returned by UploadPart, quotes included
};

ListObjectsPage parse_list_objects_v2(std::string_view body, const std::string& what);
ListUploadsPage parse_list_multipart_uploads(std::string_view body, const std::string& what);
std::string parse_initiate_multipart_upload(std::string_view body, const std::string& what);  // the UploadId
// CompleteMultipartUpload may answer HTTP 200 with an <Error> body: this returns it then.
std::optional<ErrorBody> parse_complete_multipart_upload(std::string_view body, const std::string& what);
std::optional<ErrorBody> parse_error_body(std::string_view body);
std::string complete_multipart_upload_body(const std::vector<CompletedPart>& parts);

}  // namespace certvault::s3
