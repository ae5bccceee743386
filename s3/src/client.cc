// S3Client over libcurl: one request = one signed HTTP exchange, repeated on failures worth
// retrying (retry_policy.h).
#include "certvault/s3/client.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>
#include <thread>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/s3/query.h"
#include "curl_handle_pool.h"
#include "quick_ack.h"
#include "retry_policy.h"

namespace certvault::s3 {
namespace {

// A response body other than an object's bytes (XML) larger than this is refused: nothing S3
// answers certvault comes near it, so it is a misbehaving peer.
constexpr size_t kMaxDocumentSize = 64 << 20;
// libcurl's receive and upload buffers: larger than the defaults (16 / 64 KiB) so a transfer of
// many MiB costs fewer callbacks and system calls.
constexpr long kReceiveBufferSize = 512 << 10;
constexpr long kUploadBufferSize = 1 << 20;

struct Request {
  const char* method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string key;             // empty: the bucket itself
  QueryParameters query;
  std::span<const uint8_t> body;
  std::string range;  // "bytes=A-B" for a ranged GET
  // Where the response body goes: an object's bytes (a ranged GET) or else `Response::document`.
  std::vector<uint8_t>* object_bytes = nullptr;
  uint64_t object_bytes_limit = 0;  // more than this is a peer ignoring the range
};

struct Response {
  long status = 0;
  std::string document;
  std::map<std::string, std::string> headers;  // lower-case names, of the final response
  int attempts = 0;
};

// The state of one transfer, seen by libcurl's callbacks.
struct Transfer {
  const curl_socket_t* socket = nullptr;  // of the handle's connection, set when it connects
  const Request* request = nullptr;
  Response* response = nullptr;
  size_t uploaded = 0;
  bool overflow = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (auto* out = transfer.request->object_bytes; out != nullptr && transfer.response->status / 100 == 2) {
    if (out->size() + bytes > transfer.request->object_bytes_limit) {
      transfer.overflow = true;
      return 0;  // aborts the transfer: CURLE_WRITE_ERROR
    }
    out->insert(out->end(), data, data + bytes);
    return bytes;
  }
  if (transfer.response->document.size() + bytes > kMaxDocumentSize) {
    transfer.overflow = true;
    return 0;
  }
  transfer.response->document.append(data, bytes);
  return bytes;
}

// CURLOPT_SOCKOPTFUNCTION: remembers the socket of each connection the handle opens.
int remember_socket(void* slot, curl_socket_t socket, curlsocktype purpose) {
  if (purpose == CURLSOCKTYPE_IPCXN) *static_cast<curl_socket_t*>(slot) = socket;
  return CURL_SOCKOPT_OK;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line == "\r\n" || line == "\n") {  // the end of a response's head
    acknowledge_now(*transfer.socket);   // quick_ack.h: why
    return bytes;
  }
  if (line.starts_with("HTTP/")) {
    // A new response (after "100 Continue", or a retry on the same handle): forget the old one.
    transfer.response->headers.clear();
    const auto space = line.find(' ');
    if (space != std::string_view::npos)
      transfer.response->status = std::atol(std::string(line.substr(space + 1, 3)).c_str());
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  transfer.response->headers[name] = std::string(value);
  return bytes;
}

size_t on_upload(char* buffer, size_t size, size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const auto body = transfer.request->body;
  const size_t bytes = std::min(size * count, body.size() - transfer.uploaded);
  std::copy_n(body.data() + transfer.uploaded, bytes, buffer);
  transfer.uploaded += bytes;
  return bytes;
}

// libcurl rewinds an upload it must send again on the same request (a connection lost right
// after it was reused).
int on_seek(void* user, curl_off_t offset, int origin) {
  auto& transfer = *static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > transfer.request->body.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  transfer.uploaded = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// OpenSSL's SHA-256 rather than libsodium's: it uses the CPU's SHA instructions (2.2 GB/s here
// against about 0.3 GB/s), and every uploaded byte goes through it.
std::string sha256_hex(std::span<const uint8_t> bytes) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw Error(ErrorKind::kFailure, "S3: OpenSSL could not compute a SHA-256");
  }
  return to_hex(std::span(digest, length));
}

class HeaderList {
 public:
  ~HeaderList() { curl_slist_free_all(list_); }
  void add(const std::string& line) {
    curl_slist* grown = curl_slist_append(list_, line.c_str());
    if (grown == nullptr) throw Error(ErrorKind::kFailure, "S3: out of memory for request headers");
    list_ = grown;
  }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

std::string attempts_text(int attempts) {
  return attempts == 1 ? "after 1 attempt" : fmt::format("after {} attempts", attempts);
}

}  // namespace

class S3Client::Impl {
 public:
  Impl(const S3Location& location, const S3Options& options)
      : location_(location), options_(options), path_style_(use_path_style(location, options.addressing)) {
    if (options_.part_size < (5u << 20)) {
      throw Error(ErrorKind::kUsage, fmt::format("S3 part size {} is below S3's minimum of 5 MiB", options_.part_size));
    }
    base_url_ = path_style_ ? location_.endpoint() + "/" + location_.bucket
                            : std::string(location_.https ? "https://" : "http://") + location_.bucket + "." +
                                  location_.host + (location_.port ? ":" + std::to_string(location_.port) : "");
  }

  const S3Options& options() const { return options_; }

  // "s3://bucket/key", the object a message is about.
  std::string display(const std::string& key) const { return "s3://" + location_.bucket + "/" + key; }

  // Sends `request` until it succeeds, fails in a way not worth retrying, or runs out of attempts.
  // `accept` says which HTTP statuses are answers rather than failures (default: 2xx); `inspect`
  // may find an error inside an accepted answer (CompleteMultipartUpload's 200 with <Error>).
  Response perform(const Request& request, const std::string& what, const std::function<bool(long)>& accept = {},
                   const std::function<std::optional<ErrorBody>(const Response&)>& inspect = {}) {
    const std::string payload_hash = sha256_hex(request.body);
    for (int attempt = 1;; ++attempt) {
      Response response;
      response.attempts = attempt;
      if (request.object_bytes != nullptr) request.object_bytes->clear();
      std::string transfer_problem;
      const CURLcode code = attempt_once(request, payload_hash, response, transfer_problem);
      requests_sent_.fetch_add(1, std::memory_order_relaxed);
      std::string failure;
      bool retryable = false;
      if (code != CURLE_OK) {
        failure = transfer_problem;
        retryable = is_retryable_transfer_error(code);
      } else {
        const bool accepted = accept ? accept(response.status) : response.status / 100 == 2;
        std::optional<ErrorBody> error;
        if (!accepted) {
          error = parse_error_body(response.document);
        } else if (inspect) {
          error = inspect(response);
        }
        if (accepted && !error) return response;
        const std::string code_text = error ? error->code : "";
        failure = fmt::format("HTTP {}", response.status);
        if (error && !error->code.empty()) failure += " " + error->code;
        if (error && !error->message.empty()) failure += ": " + error->message;
        retryable = is_retryable_answer(response.status, code_text);
      }
      if (!retryable || attempt >= options_.max_attempts) {
        throw Error(ErrorKind::kFailure,
                    fmt::format("S3 {} {}: {} ({})", request.method, what, failure, attempts_text(attempt)));
      }
      std::this_thread::sleep_for(backoff_delay(attempt, options_.base_delay, options_.max_delay));
    }
  }

  void put_object(const std::string& key, std::span<const uint8_t> bytes) {
    Request request;
    request.method = "PUT";
    request.key = key;
    request.body = bytes;
    perform(request, display(key));
  }

  std::string create_multipart_upload(const std::string& key) {
    Request request;
    request.method = "POST";
    request.key = key;
    request.query = {{"uploads", ""}};
    const auto what = display(key) + " (start a multipart upload)";
    return parse_initiate_multipart_upload(perform(request, what).document, what);
  }

  std::string upload_part(const std::string& key, const std::string& upload_id, int part_number,
                          std::span<const uint8_t> bytes) {
    Request request;
    request.method = "PUT";
    request.key = key;
    request.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
    request.body = bytes;
    const auto what = fmt::format("{} (part {})", display(key), part_number);
    auto response = perform(request, what);
    const auto etag = response.headers.find("etag");
    if (etag == response.headers.end() || etag->second.empty()) {
      throw Error(ErrorKind::kFailure, fmt::format("S3 PUT {}: the answer has no ETag", what));
    }
    return etag->second;
  }

  void complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                 const std::vector<CompletedPart>& parts, uint64_t total_size) {
    const std::string body = complete_multipart_upload_body(parts);
    Request request;
    request.method = "POST";
    request.key = key;
    request.query = {{"uploadId", upload_id}};
    request.body = std::span(reinterpret_cast<const uint8_t*>(body.data()), body.size());
    const auto what = fmt::format("{} (complete a multipart upload of {} parts)", display(key), parts.size());
    // An answer lost after the service completed the upload makes the retry meet NoSuchUpload:
    // the object then exists with the size of all parts, which is success.
    bool lost_answer = false;
    const auto accept = [](long status) { return status / 100 == 2 || status == 404; };
    const auto inspect = [&](const Response& response) -> std::optional<ErrorBody> {
      if (response.status == 404) {
        auto error = parse_error_body(response.document);
        if (response.attempts > 1 && error && error->code == "NoSuchUpload") {
          lost_answer = true;
          return std::nullopt;
        }
        return error ? error : std::optional<ErrorBody>(ErrorBody{"", "not found"});
      }
      return parse_complete_multipart_upload(response.document, "S3 POST " + what);
    };
    const auto response = perform(request, what, accept, inspect);
    if (lost_answer) {
      const auto size = head_object(key);
      if (!size || *size != total_size) {
        throw Error(ErrorKind::kFailure,
                    fmt::format("S3 POST {}: HTTP 404 NoSuchUpload, and the object is {} ({})", what,
                                size ? fmt::format("{} bytes instead of {}", *size, total_size) : "absent",
                                attempts_text(response.attempts)));
      }
    }
  }

  void abort_multipart_upload(const std::string& key, const std::string& upload_id) {
    Request request;
    request.method = "DELETE";
    request.key = key;
    request.query = {{"uploadId", upload_id}};
    // 404: already aborted (or completed) by an earlier attempt or another cleaner.
    perform(request, display(key) + " (abort a multipart upload)",
            [](long status) { return status / 100 == 2 || status == 404; });
  }

  std::vector<MultipartUpload> list_multipart_uploads(const std::string& prefix) {
    std::vector<MultipartUpload> uploads;
    std::string key_marker, upload_id_marker;
    for (;;) {
      Request request;
      request.query = {{"uploads", ""}, {"prefix", prefix}};
      if (!key_marker.empty()) request.query.emplace_back("key-marker", key_marker);
      if (!upload_id_marker.empty()) request.query.emplace_back("upload-id-marker", upload_id_marker);
      const auto what = fmt::format("{} (list incomplete multipart uploads)", display(prefix + "*"));
      auto page = parse_list_multipart_uploads(perform(request, what).document, what);
      for (auto& upload : page.uploads) uploads.push_back(std::move(upload));
      if (!page.truncated) return uploads;
      if (page.next_key_marker == key_marker && page.next_upload_id_marker == upload_id_marker) {
        throw Error(ErrorKind::kFailure, fmt::format("S3 GET {}: the service repeats the same page", what));
      }
      key_marker = page.next_key_marker;
      upload_id_marker = page.next_upload_id_marker;
    }
  }

  std::vector<uint8_t> get_object_range(const std::string& key, uint64_t offset, uint64_t length) {
    if (length == 0) {
      // No range names zero bytes: check that `offset` lies within the object instead.
      const auto size = head_object(key);
      if (!size) throw Error(ErrorKind::kFailure, fmt::format("S3 GET {}: no such object", display(key)));
      if (offset > *size) {
        throw Error(ErrorKind::kIntegrity,
                    fmt::format("S3 GET {}: offset {} lies beyond its end ({} bytes)", display(key), offset, *size));
      }
      return {};
    }
    std::vector<uint8_t> bytes;
    bytes.reserve(length);
    Request request;
    request.key = key;
    request.range = fmt::format("bytes={}-{}", offset, offset + length - 1);
    request.object_bytes = &bytes;
    request.object_bytes_limit = length;
    const auto what = fmt::format("{} ({} bytes at offset {})", display(key), length, offset);
    // 416: the range starts beyond the object's end, an answer for the integrity check below.
    const auto response = perform(request, what, [](long status) { return status / 100 == 2 || status == 416; });
    if (response.status == 416 || bytes.size() != length) {
      throw Error(ErrorKind::kIntegrity, fmt::format("S3 GET {}: the object is shorter ({} bytes returned{})", what,
                                                     response.status == 416 ? 0 : bytes.size(),
                                                     response.headers.contains("content-range")
                                                         ? ", Content-Range " + response.headers.at("content-range")
                                                         : ""));
    }
    if (response.status == 200 && offset != 0) {
      // Not damage: the object may be intact, and a rebuild must not leave it out for that.
      throw Error(ErrorKind::kFailure, fmt::format("S3 GET {}: the service ignored the range", what));
    }
    return bytes;
  }

  std::optional<uint64_t> head_object(const std::string& key) {
    Request request;
    request.method = "HEAD";
    request.key = key;
    const auto response =
        perform(request, display(key), [](long status) { return status / 100 == 2 || status == 404; });
    if (response.status == 404) return std::nullopt;
    const auto length = response.headers.find("content-length");
    uint64_t size = 0;
    if (length == response.headers.end() ||
        std::from_chars(length->second.data(), length->second.data() + length->second.size(), size).ec != std::errc()) {
      throw Error(ErrorKind::kFailure, fmt::format("S3 HEAD {}: the answer has no valid Content-Length", display(key)));
    }
    return size;
  }

  std::vector<ObjectEntry> list_objects(const std::string& prefix) {
    std::vector<ObjectEntry> objects;
    std::string token;
    for (;;) {
      Request request;
      request.query = {{"list-type", "2"}, {"prefix", prefix}};
      if (!token.empty()) request.query.emplace_back("continuation-token", token);
      const auto what = fmt::format("{} (list objects)", display(prefix + "*"));
      auto page = parse_list_objects_v2(perform(request, what).document, what);
      for (auto& object : page.objects) objects.push_back(std::move(object));
      if (!page.truncated) break;
      token = page.next_continuation_token;
    }
    std::sort(objects.begin(), objects.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
    return objects;
  }

  void delete_object(const std::string& key) {
    Request request;
    request.method = "DELETE";
    request.key = key;
    perform(request, display(key), [](long status) { return status / 100 == 2 || status == 404; });
  }

  uint64_t requests_sent() const { return requests_sent_.load(); }
  uint64_t bytes_sent() const { return bytes_sent_.load(); }

 private:
  std::string url_of(const Request& request) const {
    std::string url = base_url_;
    if (!request.key.empty() || !path_style_) url += "/" + uri_encode(request.key, true);
    if (!request.query.empty()) url += "?" + canonical_query(request.query);
    return url;
  }

  // One HTTP exchange on a borrowed handle. Returns libcurl's result; on failure, `problem` says
  // what went wrong in words.
  CURLcode attempt_once(const Request& request, const std::string& payload_hash, Response& response,
                        std::string& problem) {
    auto lease = pool_.borrow();
    CURL* curl = lease.get();
    curl_easy_reset(curl);  // keeps the handle's open connections
    curl_easy_setopt(curl, CURLOPT_SOCKOPTFUNCTION, remember_socket);
    curl_easy_setopt(curl, CURLOPT_SOCKOPTDATA, &lease.socket());
    Transfer transfer;
    transfer.socket = &lease.socket();
    transfer.request = &request;
    transfer.response = &response;
    char error_buffer[CURL_ERROR_SIZE] = {};
    HeaderList headers;
    headers.add("x-amz-content-sha256: " + payload_hash);
    if (!options_.session_token.empty()) headers.add("x-amz-security-token: " + options_.session_token);
    if (!request.range.empty()) headers.add("Range: " + request.range);
    if (std::string_view(request.method) == "POST") headers.add("Content-Type: application/xml");
    // libcurl sends "Expect: 100-continue" before a body over 1 MiB and waits for the service's
    // go-ahead. An empty "Expect:" header would save that round trip, but libcurl 7.88 signs it
    // and the service, which sees no such header, then refuses the signature.

    const std::string url = url_of(request);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, kReceiveBufferSize);
    curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferSize);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    if (!options_.access_key_id.empty()) {
      const std::string provider = "aws:amz:" + options_.region + ":s3";
      curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, provider.c_str());
      curl_easy_setopt(curl, CURLOPT_USERNAME, options_.access_key_id.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.secret_access_key.c_str());
    }
    const std::string_view method = request.method;
    if (method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (method == "PUT") {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_upload);
      curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
      curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
      curl_easy_setopt(curl, CURLOPT_SEEKDATA, &transfer);
      curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
                       request.body.empty() ? "" : reinterpret_cast<const char*>(request.body.data()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (method == "DELETE") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "DELETE");
    }
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 0) response.status = status;
    if (method == "PUT" || method == "POST") bytes_sent_.fetch_add(request.body.size(), std::memory_order_relaxed);
    if (code != CURLE_OK) {
      if (transfer.overflow) {
        problem = request.object_bytes != nullptr ? "the service sent more bytes than the range asked for"
                                                  : "the answer is larger than any S3 document";
        return code;
      }
      problem = fmt::format("{}{}{}", curl_easy_strerror(code), error_buffer[0] ? ": " : "", error_buffer);
    }
    return code;
  }

  S3Location location_;
  S3Options options_;
  bool path_style_;
  std::string base_url_;
  CurlHandlePool pool_;
  std::atomic<uint64_t> requests_sent_{0};
  std::atomic<uint64_t> bytes_sent_{0};
};

S3Client::S3Client(const S3Location& location, const S3Options& options)
    : impl_(std::make_unique<Impl>(location, options)) {}
S3Client::~S3Client() = default;
const S3Options& S3Client::options() const { return impl_->options(); }
void S3Client::put_object(const std::string& key, std::span<const uint8_t> bytes) { impl_->put_object(key, bytes); }
std::string S3Client::create_multipart_upload(const std::string& key) { return impl_->create_multipart_upload(key); }
std::string S3Client::upload_part(const std::string& key, const std::string& upload_id, int part_number,
                                  std::span<const uint8_t> bytes) {
  return impl_->upload_part(key, upload_id, part_number, bytes);
}
void S3Client::complete_multipart_upload(const std::string& key, const std::string& upload_id,
                                         const std::vector<CompletedPart>& parts, uint64_t total_size) {
  impl_->complete_multipart_upload(key, upload_id, parts, total_size);
}
void S3Client::abort_multipart_upload(const std::string& key, const std::string& upload_id) {
  impl_->abort_multipart_upload(key, upload_id);
}
std::vector<MultipartUpload> S3Client::list_multipart_uploads(const std::string& prefix) {
  return impl_->list_multipart_uploads(prefix);
}
std::vector<uint8_t> S3Client::get_object_range(const std::string& key, uint64_t offset, uint64_t length) {
  return impl_->get_object_range(key, offset, length);
}
std::optional<uint64_t> S3Client::head_object(const std::string& key) { return impl_->head_object(key); }
std::vector<ObjectEntry> S3Client::list_objects(const std::string& prefix) { return impl_->list_objects(prefix); }
void S3Client::delete_object(const std::string& key) { impl_->delete_object(key); }
uint64_t S3Client::requests_sent() const { return impl_->requests_sent(); }
uint64_t S3Client::bytes_sent() const { return impl_->bytes_sent(); }

}  // namespace certvault::s3
