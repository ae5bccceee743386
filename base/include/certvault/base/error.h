// certvault::Error — the root of every exception certvault throws.
//
// Contract: what() is a complete sentence for an administrator: it names the
// operation that failed and why (function, HRESULT in hex and its meaning,
// path, offset — whatever applies). kind() lets the CLI choose an exit code
// without parsing text. Derived types add detail for callers that branch on
// it (certadm::ApiError: the function and HRESULT; catalog::CatalogError: a
// catalog failure) and always carry a kind; nothing else is thrown on purpose.
#pragma once

#include <stdexcept>
#include <string>

namespace certvault {

enum class ErrorKind {
  kFailure,      // I/O or unexpected state
  kUsage,        // the user's bad command line or argument value (and only that)
  kLocked,       // repository lock held by someone else (or stale)
  kIntegrity,    // corruption or verification failure
  kApi,          // the Certadm API / the CA reported a failure
  kRefused,      // a safety rule refused the operation
  kInternal,     // a broken internal contract (a call out of order, an impossible value): a bug
  kKeyRejected,  // no key slot of an encrypted repository opened with the credential given (issue 17)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// Throws Error(kFailure) naming `what` and the current errno's text.
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace certvault
