// Ownership of buffers the Certadm API allocates (lists, ServerControl output).
#pragma once

#include <memory>

#include "certvault/certadm/library.h"

namespace certvault::certadm::detail {

// Takes `buffer` over: CertSrvBackupFree runs when the last copy goes, and the
// copies keep the library loaded until then. A NULL buffer gives an empty pointer.
inline std::shared_ptr<const void> own_api_buffer(const std::shared_ptr<Library>& library, void* buffer) {
  if (buffer == nullptr) return nullptr;
  // If allocating the control block throws, shared_ptr runs the deleter itself.
  return std::shared_ptr<const void>(
      buffer, [library](const void* owned) { library->functions().backup_free(const_cast<void*>(owned)); });
}

}  // namespace certvault::certadm::detail
