// libcurl easy handles shared by the threads of one S3Client: a request borrows an idle handle (or
// makes one) and gives it back, so the connections a handle keeps open are reused by the next
// request instead of each request connecting anew. A handle is used by one thread at a time, as
// libcurl requires.
#pragma once

#include <curl/curl.h>

#include <mutex>
#include <vector>

namespace certvault::s3 {

class CurlHandlePool {
 public:
  CurlHandlePool();
  ~CurlHandlePool();
  CurlHandlePool(const CurlHandlePool&) = delete;
  CurlHandlePool& operator=(const CurlHandlePool&) = delete;

  // A handle and the socket of the connection it opened last (recorded by the caller through
  // CURLOPT_SOCKOPTFUNCTION: libcurl tells a transfer's socket only once the transfer is over).
  struct Handle {
    CURL* curl = nullptr;
    curl_socket_t socket = CURL_SOCKET_BAD;
  };

  class Lease {
   public:
    Lease(CurlHandlePool& pool, Handle* handle) : pool_(pool), handle_(handle) {}
    ~Lease() { pool_.give_back(handle_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    CURL* get() const { return handle_->curl; }
    curl_socket_t& socket() const { return handle_->socket; }

   private:
    CurlHandlePool& pool_;
    Handle* handle_;
  };

  Lease borrow();  // throws Error(kFailure) when libcurl cannot make a handle

 private:
  void give_back(Handle* handle);

  std::mutex mutex_;
  std::vector<Handle*> idle_;
};

}  // namespace certvault::s3
