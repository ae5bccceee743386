// One background thread that seals an object's blocks and appends them to the inner writer, so
// that the thread appending to the object (the chunk store's pack appends, serialised) only copies
// bytes while the AEAD pass and the file writes run beside the compression workers (issue 17).
//
// Contract:
// - Blocks are sealed and appended to `inner` in the order submit() received them: the bytes on
//   disk are exactly those of sealing block after block on the calling thread.
// - Memory stays bounded: at most kMaxQueuedBlocks plaintext blocks wait; submit() blocks while the
//   queue is full. Buffers are recycled (submit swaps the caller's block with a spare one).
// - The first failure (of `seal` or of inner.append) is kept; the thread then drops every later
//   block, and the next submit() or drain() rethrows it. So an error reaches the writer's caller at
//   its next append or at commit, never later.
// - drain() returns when every submitted block is appended to `inner` (or rethrows): only then may
//   the caller commit `inner`. The destructor stops the thread and joins it; blocks not yet
//   appended are dropped (the caller then abandons `inner`).
// - submit() and drain() are called by one thread at a time (the writer's contract).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "certvault/repository/object_store.h"

namespace certvault {

class BlockSealingThread {
 public:
  static constexpr size_t kMaxQueuedBlocks = 16;
  // Seals `plain` (block `index`, `last` or not) into `sealed` (already sized for the largest block)
  // and returns the sealed length. Called on the background thread only.
  using SealFunction =
      std::function<size_t(std::span<const uint8_t> plain, uint64_t index, bool last, std::span<uint8_t> sealed)>;

  BlockSealingThread(ObjectWriter& inner, SealFunction seal, size_t sealed_block_capacity);
  ~BlockSealingThread();
  BlockSealingThread(const BlockSealingThread&) = delete;
  BlockSealingThread& operator=(const BlockSealingThread&) = delete;

  // Queues `block` as block `index`; `block` comes back empty (a recycled buffer, same capacity).
  void submit(std::vector<uint8_t>& block, uint64_t index, bool last);
  void drain();

 private:
  struct Pending {
    std::vector<uint8_t> plain;
    uint64_t index = 0;
    bool last = false;
  };
  void run();
  void rethrow_failure();  // caller holds mutex_

  ObjectWriter& inner_;
  SealFunction seal_;
  std::vector<uint8_t> sealed_;  // the background thread's output buffer

  std::mutex mutex_;
  std::condition_variable work_ready_, space_free_, drained_;
  std::deque<Pending> queue_;
  std::vector<std::vector<uint8_t>> spare_;
  bool busy_ = false;  // the thread holds a block taken from the queue
  bool stopping_ = false;
  std::exception_ptr failure_;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace certvault
