// Stores new chunks: zstd compression on worker threads, appended to packs.
//
// add() copies the chunk into a bounded queue (memory stays flat whatever the
// file size) and returns at once; workers compress it (kept raw when zstd does
// not shrink it) and append it to the open pack, which is committed when it
// reaches the target size. flush() waits for the queue and commits the last
// pack; only then are the chunks durable. Each committed pack, with where its
// chunks went, waits in take_committed() for the caller, which hands it to the
// catalog (so nothing here grows with the number of chunks). A worker's error is rethrown by the
// next add() or flush(). Destroying the store without flush() abandons the
// open pack (no object appears).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/repository/object_store.h"
#include "keyed_hash.h"
#include "pack.h"

namespace certvault {

class ChunkStore {
 public:
  ChunkStore(ObjectStore& objects, int zstd_level, uint64_t pack_target_bytes, unsigned workers);
  ~ChunkStore();
  ChunkStore(const ChunkStore&) = delete;
  ChunkStore& operator=(const ChunkStore&) = delete;

  void add(const Hash128& id, std::span<const uint8_t> raw);
  void flush();

  struct CommittedPack {
    catalog::PackRecord pack;
    std::vector<catalog::ChunkLocation> chunks;  // pack_id unset: the catalog assigns the pack's
  };
  // The packs committed (durable) since the last call, oldest first. Cheap when there are none.
  std::vector<CommittedPack> take_committed();
  uint64_t stored_bytes() const;  // entry bytes appended so far (headers included)

 private:
  struct Job {
    Hash128 id;
    std::vector<uint8_t> raw;
  };
  void worker_loop();
  void append_to_pack(const Hash128& id, uint32_t raw_size, uint16_t flags, std::span<const uint8_t> stored);
  void finish_open_pack();  // caller holds pack_mutex_
  void rethrow_worker_error();

  ObjectStore& objects_;
  const int zstd_level_;
  const uint64_t pack_target_bytes_;

  std::mutex queue_mutex_;
  std::condition_variable queue_not_full_, queue_not_empty_, queue_idle_;
  std::deque<Job> queue_;
  size_t busy_workers_ = 0;
  bool stopping_ = false;
  std::exception_ptr worker_error_;

  mutable std::mutex pack_mutex_;
  std::unique_ptr<pack::PackWriter> open_pack_;
  std::vector<pack::EntryInfo> open_pack_entries_;
  std::vector<CommittedPack> committed_;
  std::atomic<bool> has_committed_{false};
  uint64_t stored_bytes_ = 0;

  std::vector<std::thread> workers_;
};

}  // namespace certvault
