#include "curl_handle_pool.h"

#include "certvault/base/error.h"

namespace certvault::s3 {
namespace {

// curl_global_init is not thread-safe in libcurl 7.88: once, before the first handle.
void initialise_libraries() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw Error(ErrorKind::kFailure, "S3: libcurl's global initialisation failed");
    }
  });
}

// More idle handles than this are closed: each holds open connections.
constexpr size_t kMaxIdleHandles = 16;

}  // namespace

CurlHandlePool::CurlHandlePool() { initialise_libraries(); }

CurlHandlePool::~CurlHandlePool() {
  for (Handle* handle : idle_) {
    curl_easy_cleanup(handle->curl);
    delete handle;
  }
}

CurlHandlePool::Lease CurlHandlePool::borrow() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      Handle* handle = idle_.back();
      idle_.pop_back();
      return Lease(*this, handle);
    }
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) throw Error(ErrorKind::kFailure, "S3: libcurl could not create a handle");
  return Lease(*this, new Handle{curl, CURL_SOCKET_BAD});
}

void CurlHandlePool::give_back(Handle* handle) {
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdleHandles) {
      idle_.push_back(handle);
      return;
    }
  }
  curl_easy_cleanup(handle->curl);
  delete handle;
}

}  // namespace certvault::s3
