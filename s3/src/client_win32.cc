// The Windows build's S3Client: libcurl and expat are not cross-built yet, so every request is
// refused with a sentence saying so, and S3 repositories fail to open instead of failing to link.
#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/s3/client.h"

namespace certvault::s3 {
namespace {
[[noreturn]] void refuse() {
  throw Error(ErrorKind::kRefused, "S3 repositories are not available in the Windows build of certvault yet");
}
}  // namespace

class S3Client::Impl {
 public:
  S3Options options;
};

S3Client::S3Client(const S3Location&, const S3Options&) { refuse(); }
S3Client::~S3Client() = default;
const S3Options& S3Client::options() const { return impl_->options; }
void S3Client::put_object(const std::string&, std::span<const uint8_t>) { refuse(); }
std::string S3Client::create_multipart_upload(const std::string&) { refuse(); }
std::string S3Client::upload_part(const std::string&, const std::string&, int, std::span<const uint8_t>) { refuse(); }
void S3Client::complete_multipart_upload(const std::string&, const std::string&, const std::vector<CompletedPart>&,
                                         uint64_t) {
  refuse();
}
void S3Client::abort_multipart_upload(const std::string&, const std::string&) { refuse(); }
std::vector<MultipartUpload> S3Client::list_multipart_uploads(const std::string&) { refuse(); }
std::vector<uint8_t> S3Client::get_object_range(const std::string&, uint64_t, uint64_t) { refuse(); }
std::optional<uint64_t> S3Client::head_object(const std::string&) { refuse(); }
std::vector<ObjectEntry> S3Client::list_objects(const std::string&) { refuse(); }
void S3Client::delete_object(const std::string&) { refuse(); }
uint64_t S3Client::requests_sent() const { return 0; }
uint64_t S3Client::bytes_sent() const { return 0; }

}  // namespace certvault::s3
