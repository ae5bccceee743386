// Stores new chunks: zstd compression on worker threads, appended to packs.
//
// add() copies the chunk into a bounded queue (memory stays flat whatever the
// file size) and returns at once; workers compress it (kept raw when zstd does
// not shrink it) and append it to the open pack, which is committed when it
// reaches the target size. Appends happen in the order of add(), whichever
// worker finishes first, so the same input always gives the same packs (and
// the same sync points: the crash matrix depends on it); the bound on queued
// work counts chunks until they are appended, compressed ones waiting for
// their turn included. flush() waits for the queue and commits the last
// pack; only then are the chunks durable. Each committed pack, with where its
// chunks went, waits in take_committed() for the caller, which hands it to the
// catalog (so nothing here grows with the number of chunks). A worker's error is rethrown by the
// next add() or flush(). Destroying the store without flush() abandons the
// open pack (no object appears).
//
// Dictionaries (repository format 2): add() names the chunk's dictionary role ("database" for
// database pages; empty: none). The first chunks of a role without a dictionary are held back
// (dictionary::kSampleBytes), a dictionary is trained on them and written as an object before any
// chunk compressed with it, and the held chunks are then queued; when the ratio measured over
// dictionary::kDriftWindowBytes drifts beyond dictionary::kDriftTolerance of the trained one, the
// next chunks train a new dictionary. Dictionaries are never rewritten. The ratio is checked once per
// window of chunks given to add(), after every chunk of the window is appended, so whether a new
// dictionary is trained does not depend on how the workers were scheduled.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "certvault/catalog/catalog.h"
#include "certvault/repository/object_store.h"
#include "dictionary.h"
#include "keyed_hash.h"
#include "pack.h"

namespace certvault {

class ChunkStore {
 public:
  // `pack_version` 2 with a `catalog` (to find each role's current dictionary) enables dictionaries.
  ChunkStore(ObjectStore& objects, int zstd_level, uint64_t pack_target_bytes, unsigned workers,
             uint32_t pack_version = pack::kVersion1, const catalog::Catalog* catalog = nullptr);
  ~ChunkStore();
  ChunkStore(const ChunkStore&) = delete;
  ChunkStore& operator=(const ChunkStore&) = delete;

  void add(const Hash128& id, std::span<const uint8_t> raw, const std::string& dictionary_role = {});
  void flush();

  struct CommittedPack {
    catalog::PackRecord pack;
    std::vector<catalog::ChunkLocation> chunks;  // pack_id unset: the catalog assigns the pack's
  };
  // The packs committed (durable) since the last call, oldest first. Cheap when there are none.
  std::vector<CommittedPack> take_committed();
  // Dictionaries trained by this store (their objects are written).
  const std::vector<catalog::DictionaryRecord>& new_dictionaries() const { return new_dictionaries_; }
  uint64_t stored_bytes() const;  // entry bytes appended so far (headers included)

 private:
  struct Role;
  struct Job {
    Hash128 id;
    std::vector<uint8_t> owned;                          // the chunk's bytes, unless they lie in `sample`
    std::shared_ptr<const std::vector<uint8_t>> sample;  // a training sample holding them
    std::span<const uint8_t> raw;                        // the chunk: in `owned` or in `*sample`
    std::shared_ptr<const dictionary::CompressionDictionary> dictionary;
    Role* role = nullptr;   // for the ratio measured with `dictionary`
    uint64_t sequence = 0;  // order of add(): the order of appends
  };
  // A compressed (or kept raw) chunk waiting for its turn to be appended.
  struct Compressed {
    Hash128 id;
    uint32_t raw_size = 0;
    uint16_t flags = 0;
    std::vector<uint8_t> stored;
    uint32_t dictionary = 0;
    Role* role = nullptr;
  };
  struct Role {
    std::string name;
    bool loaded = false;    // the catalog's current dictionary was looked up
    bool sampling = false;  // holding chunks back to train on
    bool gave_up = false;   // training did not pay off in this store: no more attempts
    std::shared_ptr<const dictionary::CompressionDictionary> current;
    std::vector<uint8_t> sample;                 // chunks held back while sampling, end to end
    std::vector<size_t> sample_sizes;            // their sizes, in order
    std::vector<Hash128> held_ids;               // their ids, in order
    uint64_t window_raw = 0, window_stored = 0;  // of appended chunks; guarded by stats_mutex_
    uint64_t window_added = 0;                   // raw bytes given to add() since the last check
  };
  static Job owned_job(const Hash128& id, std::span<const uint8_t> raw);
  void enqueue(Job job);
  Role& role(const std::string& name);
  void train(Role& role);  // from role.sample; then queues the held chunks
  void worker_loop();
  // Appends `chunk` if its turn has come (and every chunk waiting after it), else keeps it waiting.
  void append_in_order(uint64_t sequence, Compressed chunk);
  void append_to_pack(const Compressed& chunk);  // caller holds pack_mutex_
  void wait_until_all_appended();
  void finish_open_pack();  // caller holds pack_mutex_
  void rethrow_worker_error();

  ObjectStore& objects_;
  const int zstd_level_;
  const uint64_t pack_target_bytes_;
  const uint32_t pack_version_;
  const catalog::Catalog* catalog_;
  std::map<std::string, Role> roles_;  // used by add()'s thread only, but for the window counters
  std::mutex stats_mutex_;
  std::vector<catalog::DictionaryRecord> new_dictionaries_;

  std::mutex queue_mutex_;
  std::condition_variable queue_not_full_, queue_not_empty_, queue_idle_;
  std::deque<Job> queue_;
  uint64_t next_sequence_ = 0;
  // Chunks given to add() and not yet appended (queued, compressing or waiting for their turn).
  size_t unappended_jobs_ = 0;
  uint64_t unappended_bytes_ = 0;
  bool stopping_ = false;
  std::exception_ptr worker_error_;

  mutable std::mutex pack_mutex_;
  std::unique_ptr<pack::PackWriter> open_pack_;
  std::vector<pack::EntryInfo> open_pack_entries_;
  uint64_t next_to_append_ = 0;
  std::map<uint64_t, Compressed> waiting_;  // finished before their turn
  std::vector<CommittedPack> committed_;
  std::atomic<bool> has_committed_{false};
  uint64_t stored_bytes_ = 0;

  std::vector<std::thread> workers_;
};

}  // namespace certvault
