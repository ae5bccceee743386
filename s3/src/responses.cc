// The S3 response documents certvault reads, and the one request document it writes.
#include "certvault/s3/responses.h"

#include <fmt/format.h>

#include <charconv>

#include "certvault/base/error.h"
#include "xml_document.h"

namespace certvault::s3 {
namespace {

[[noreturn]] void malformed(const std::string& what, const std::string& why) {
  throw Error(ErrorKind::kFailure, fmt::format("{}: the service's response is malformed: {}", what, why));
}

std::unique_ptr<XmlElement> parse_root(std::string_view body, const std::string& what, std::string_view root_name) {
  std::string problem;
  auto root = parse_xml(body, problem);
  if (!root) malformed(what, "not XML: " + problem);
  if (root->name != root_name)
    malformed(what, fmt::format("the root element is <{}>, not <{}>", root->name, root_name));
  return root;
}

std::string required_text(const XmlElement& element, std::string_view name, const std::string& what) {
  auto text = element.child_text(name);
  if (!text) malformed(what, fmt::format("<{}> has no <{}>", element.name, name));
  return *text;
}

bool truncated_flag(const XmlElement& root, const std::string& what) {
  const auto text = root.child_text("IsTruncated");
  if (!text || *text == "false") return false;
  if (*text == "true") return true;
  malformed(what, fmt::format("<IsTruncated> is \"{}\"", *text));
}

uint64_t parse_size(const std::string& text, const std::string& key, const std::string& what) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    malformed(what, fmt::format("the size of {} is \"{}\"", key, text));
  }
  return value;
}

std::string escape_xml(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace

ListObjectsPage parse_list_objects_v2(std::string_view body, const std::string& what) {
  const auto root = parse_root(body, what, "ListBucketResult");
  ListObjectsPage page;
  for (const auto* contents : root->children_named("Contents")) {
    ObjectEntry entry;
    entry.key = required_text(*contents, "Key", what);
    entry.size = parse_size(required_text(*contents, "Size", what), entry.key, what);
    page.objects.push_back(std::move(entry));
  }
  page.truncated = truncated_flag(*root, what);
  if (page.truncated) {
    page.next_continuation_token = required_text(*root, "NextContinuationToken", what);
    if (page.next_continuation_token.empty()) malformed(what, "<NextContinuationToken> is empty");
  }
  return page;
}

ListUploadsPage parse_list_multipart_uploads(std::string_view body, const std::string& what) {
  const auto root = parse_root(body, what, "ListMultipartUploadsResult");
  ListUploadsPage page;
  for (const auto* upload : root->children_named("Upload")) {
    MultipartUpload entry;
    entry.key = required_text(*upload, "Key", what);
    entry.upload_id = required_text(*upload, "UploadId", what);
    entry.initiated = upload->child_text("Initiated").value_or("");
    page.uploads.push_back(std::move(entry));
  }
  page.truncated = truncated_flag(*root, what);
  if (page.truncated) {
    page.next_key_marker = required_text(*root, "NextKeyMarker", what);
    page.next_upload_id_marker = root->child_text("NextUploadIdMarker").value_or("");
  }
  return page;
}

std::string parse_initiate_multipart_upload(std::string_view body, const std::string& what) {
  const auto root = parse_root(body, what, "InitiateMultipartUploadResult");
  auto upload_id = required_text(*root, "UploadId", what);
  if (upload_id.empty()) malformed(what, "<UploadId> is empty");
  return upload_id;
}

std::optional<ErrorBody> parse_complete_multipart_upload(std::string_view body, const std::string& what) {
  if (auto error = parse_error_body(body)) return error;
  parse_root(body, what, "CompleteMultipartUploadResult");
  return std::nullopt;
}

std::optional<ErrorBody> parse_error_body(std::string_view body) {
  std::string problem;
  const auto root = parse_xml(body, problem);
  if (!root || root->name != "Error") return std::nullopt;
  return ErrorBody{root->child_text("Code").value_or(""), root->child_text("Message").value_or("")};
}

std::string complete_multipart_upload_body(const std::vector<CompletedPart>& parts) {
  std::string body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& part : parts) {
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", part.number, escape_xml(part.etag));
  }
  body += "</CompleteMultipartUpload>";
  return body;
}

}  // namespace certvault::s3
