// ObjectStore on S3: each object is the key "PREFIX/<name>" of one bucket. S3 makes an object
// visible only once its PUT (or the completion of its multipart upload) succeeds, which is the
// contract's "visible, complete and durable when commit() returns" without temp names.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <future>
#include <memory>

#include "certvault/base/error.h"
#include "certvault/repository/object_store.h"
#include "certvault/s3/client.h"

namespace certvault {
namespace {

using s3::S3Client;

// Buffers up to the multipart threshold; past it, streams parts of part_size, each uploaded on a
// thread of its own while the next one fills (one part in flight: the upload overlaps the work
// that produces the object; a writer holds at most max(threshold, part_size) + part_size in its
// buffer and one part in flight, whatever the object's size). A part that failed fails the next
// part or the commit.
class S3ObjectWriter final : public ObjectWriter {
 public:
  S3ObjectWriter(std::shared_ptr<S3Client> client, std::string name, std::string key)
      : client_(std::move(client)), name_(std::move(name)), key_(std::move(key)) {}

  ~S3ObjectWriter() override {
    // The part in flight goes on (its thread holds copies of what it needs); the abort must come
    // after it, or the upload could outlive its abort.
    if (in_flight_.valid()) in_flight_.wait();
    if (committed_ || upload_id_.empty()) return;
    try {
      client_->abort_multipart_upload(key_, upload_id_);
    } catch (const Error&) {
      // Destructors never throw; the upload stays invisible and remove_temporaries() aborts it.
    }
  }

  void append(std::span<const uint8_t> bytes) override {
    require_open("append to");
    const auto& options = client_->options();
    while (!bytes.empty()) {
      // Never more than one part beyond what is needed to decide: bounded memory for any append.
      const size_t room = std::max(options.multipart_threshold, options.part_size) + options.part_size - buffer_.size();
      const auto piece = bytes.first(std::min(bytes.size(), room));
      buffer_.insert(buffer_.end(), piece.begin(), piece.end());
      size_ += piece.size();
      bytes = bytes.subspan(piece.size());
      if (upload_id_.empty() && buffer_.size() > options.multipart_threshold) start_upload();
      if (!upload_id_.empty()) send_full_parts();
    }
  }

  uint64_t size() const override { return size_; }

  void commit() override {
    require_open("commit");
    failed_ = true;  // until it succeeds: a writer that failed to commit must not be retried
    if (upload_id_.empty()) {
      client_->put_object(key_, buffer_);
    } else {
      if (!buffer_.empty()) send_part(buffer_.size());
      finish_part_in_flight();
      client_->complete_multipart_upload(key_, upload_id_, parts_, size_);
    }
    buffer_ = {};
    committed_ = true;
    failed_ = false;
  }

 private:
  void require_open(const char* operation) const {
    if (committed_ || failed_) {
      throw Error(ErrorKind::kInternal, fmt::format("cannot {} object {}: its writer is already {}", operation, name_,
                                                    committed_ ? "committed" : "closed by a failure"));
    }
  }

  void start_upload() {
    failed_ = true;
    upload_id_ = client_->create_multipart_upload(key_);
    failed_ = false;
  }

  void send_full_parts() {
    const size_t part_size = client_->options().part_size;
    while (buffer_.size() >= part_size) send_part(part_size);
  }

  void send_part(size_t length) {
    failed_ = true;
    finish_part_in_flight();
    const int number = static_cast<int>(parts_.size() + 1);
    if (number > 10000) {
      throw Error(ErrorKind::kFailure, fmt::format("write object {}: more than S3's 10000 parts of {} bytes", name_,
                                                   client_->options().part_size));
    }
    auto part =
        std::make_shared<std::vector<uint8_t>>(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(length));
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(length));
    in_flight_number_ = number;
    in_flight_ = std::async(std::launch::async, [client = client_, key = key_, upload = upload_id_, number, part] {
      return client->upload_part(key, upload, number, *part);
    });
    failed_ = false;
  }

  // Waits for the part being uploaded, if any, and records its ETag; its failure is rethrown.
  void finish_part_in_flight() {
    if (!in_flight_.valid()) return;
    auto etag = in_flight_.get();
    parts_.push_back({in_flight_number_, std::move(etag)});
  }

  std::shared_ptr<S3Client> client_;
  std::string name_;
  std::string key_;
  std::vector<uint8_t> buffer_;
  uint64_t size_ = 0;
  std::string upload_id_;                 // empty until the object outgrows a single PUT
  std::vector<s3::CompletedPart> parts_;  // uploaded, in order
  std::future<std::string> in_flight_;    // the part being uploaded: its ETag
  int in_flight_number_ = 0;
  bool committed_ = false;
  bool failed_ = false;
};

// "2026-12-06T07:00:00.000Z" as seconds since the epoch; nothing when it does not read as that.
// (By hand: timegm is not on Windows, and the date is UTC.)
std::optional<int64_t> parse_iso8601(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute, &second) != 6 ||
      month < 1 || month > 12 || day < 1 || day > 31) {
    return std::nullopt;
  }
  // Days from 1970-01-01 to the civil date (the proleptic Gregorian calendar's algorithm).
  const int shifted_year = month <= 2 ? year - 1 : year;
  const int era = (shifted_year >= 0 ? shifted_year : shifted_year - 399) / 400;
  const int year_of_era = shifted_year - era * 400;
  const int day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  const int64_t days = static_cast<int64_t>(era) * 146097 + day_of_era - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

class S3ObjectStore final : public ObjectStore {
 public:
  S3ObjectStore(const s3::S3Location& location, const s3::S3Options& options)
      : location_(location), client_(std::make_shared<S3Client>(location, options)) {}

  std::unique_ptr<ObjectWriter> create(const std::string& name) override {
    validate_object_name(name);
    return std::make_unique<S3ObjectWriter>(client_, name, location_.key_of(name));
  }

  std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const override {
    validate_object_name(name);
    return client_->get_object_range(location_.key_of(name), offset, length);
  }

  uint64_t size(const std::string& name) const override {
    validate_object_name(name);
    const auto size = client_->head_object(location_.key_of(name));
    if (!size) {
      throw Error(ErrorKind::kFailure, fmt::format("size of object {}: s3://{}/{} does not exist", name,
                                                   location_.bucket, location_.key_of(name)));
    }
    return *size;
  }

  bool exists(const std::string& name) const override {
    validate_object_name(name);
    return client_->head_object(location_.key_of(name)).has_value();
  }

  std::vector<std::string> list(const std::string& prefix) const override {
    const std::string root = location_.prefix.empty() ? "" : location_.prefix + "/";
    std::vector<std::string> names;
    for (auto& object : client_->list_objects(root + prefix)) {
      std::string name = object.key.substr(root.size());
      // Keys that are no object name (a console's "folder/" marker) are not the repository's.
      try {
        validate_object_name(name);
      } catch (const Error&) {
        continue;
      }
      names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  void remove(const std::string& name) override {
    validate_object_name(name);
    client_->delete_object(location_.key_of(name));
  }

  size_t remove_temporaries() override {
    const std::string root = location_.prefix.empty() ? "" : location_.prefix + "/";
    const int64_t now = std::time(nullptr);
    const auto age = client_->options().abandoned_upload_age.count();
    size_t aborted = 0;
    for (const auto& upload : client_->list_multipart_uploads(root)) {
      const auto initiated = parse_iso8601(upload.initiated);
      // An upload of unknown age is left alone: it may be a writer at work.
      if (!initiated || now - *initiated < age) continue;
      client_->abort_multipart_upload(upload.key, upload.upload_id);
      ++aborted;
    }
    return aborted;
  }

  Traffic traffic() const override { return {client_->requests_sent(), client_->bytes_sent()}; }

  // A request costs a round trip or more: 1-3 ms to a gateway on the same network, and 40 ms
  // where the gateway's Nagle algorithm meets the client's delayed ACKs on a reused connection
  // (Ceph RGW's beast frontend without tcp_nodelay=1); at 100-500 MB/s that is 1 MiB or more.
  uint64_t request_cost_bytes() const override { return 1u << 20; }

 private:
  s3::S3Location location_;
  std::shared_ptr<S3Client> client_;
};

}  // namespace

std::unique_ptr<ObjectStore> open_s3_object_store(const s3::S3Location& location, const s3::S3Options& options) {
  return std::make_unique<S3ObjectStore>(location, options);
}

}  // namespace certvault
