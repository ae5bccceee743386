// The object store of an encrypted repository (docs/format.md §8.3): a decorator that seals every
// object but `config` and `keys/*` (which protect themselves, §8.2 and §8.4) with
// XChaCha20-Poly1305-IETF in blocks of 64 KiB of plaintext, so a ranged read decrypts only the
// blocks it touches.
//
// Contract: callers see plaintext names, sizes and offsets exactly as with the inner store. Each
// block's associated data binds the format label, the repository id, the sealed header, the
// object's kind and name, the block index and whether it is the last block: a changed byte, a
// truncated or extended object, blocks reordered, and an object swapped with another or replayed
// under another name all fail with Error(kIntegrity) naming the object and the block. Reads are
// thread-safe (no shared state); a writer is used by one thread.
#pragma once

#include <memory>

#include "certvault/repository/object_store.h"
#include "crypto.h"

namespace certvault {

std::unique_ptr<ObjectStore> seal_object_store(std::unique_ptr<ObjectStore> inner,
                                               std::shared_ptr<const crypto::MasterKey> key);

// Whether `name` is stored as it is in an encrypted repository (the config and the key slots).
bool is_unsealed_object(const std::string& name);

}  // namespace certvault
