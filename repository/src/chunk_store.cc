#include "chunk_store.h"

#include <fmt/format.h>
#include <zstd.h>

#include <chrono>
#include <utility>

#include "certvault/base/error.h"

namespace certvault {
namespace {
constexpr size_t kMaxQueuedJobs = 256;

struct CompressionContext {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ~CompressionContext() { ZSTD_freeCCtx(context); }
};
}  // namespace

ChunkStore::ChunkStore(ObjectStore& objects, int zstd_level, uint64_t pack_target_bytes, unsigned workers)
    : objects_(objects), zstd_level_(zstd_level), pack_target_bytes_(pack_target_bytes) {
  if (workers == 0) workers = 1;
  for (unsigned i = 0; i < workers; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ChunkStore::~ChunkStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
    queue_.clear();
  }
  queue_not_empty_.notify_all();
  queue_not_full_.notify_all();
  for (auto& worker : workers_) worker.join();
  // An unfinished pack writer is destroyed here without commit: no object appears.
}

void ChunkStore::rethrow_worker_error() {
  if (worker_error_) std::rethrow_exception(worker_error_);
}

void ChunkStore::add(const Hash128& id, std::span<const uint8_t> raw) {
  std::unique_lock lock(queue_mutex_);
  queue_not_full_.wait(lock, [&] { return queue_.size() < kMaxQueuedJobs || worker_error_; });
  rethrow_worker_error();
  queue_.push_back(Job{id, std::vector<uint8_t>(raw.begin(), raw.end())});
  lock.unlock();
  queue_not_empty_.notify_one();
}

void ChunkStore::worker_loop() {
  CompressionContext compression;
  std::vector<uint8_t> compressed;
  while (true) {
    Job job;
    {
      std::unique_lock lock(queue_mutex_);
      queue_not_empty_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      ++busy_workers_;
    }
    queue_not_full_.notify_one();
    try {
      compressed.resize(ZSTD_compressBound(job.raw.size()));
      const size_t size = ZSTD_compressCCtx(compression.context, compressed.data(), compressed.size(), job.raw.data(),
                                            job.raw.size(), zstd_level_);
      if (ZSTD_isError(size)) {
        throw Error(ErrorKind::kFailure, fmt::format("zstd compression failed: {}", ZSTD_getErrorName(size)));
      }
      const auto raw_size = static_cast<uint32_t>(job.raw.size());
      if (size < job.raw.size()) {
        append_to_pack(job.id, raw_size, pack::kFlagCompressed, std::span(compressed.data(), size));
      } else {
        append_to_pack(job.id, raw_size, 0, job.raw);
      }
    } catch (...) {
      std::lock_guard lock(queue_mutex_);
      if (!worker_error_) worker_error_ = std::current_exception();
    }
    {
      std::lock_guard lock(queue_mutex_);
      --busy_workers_;
    }
    queue_idle_.notify_all();
    queue_not_full_.notify_all();
  }
}

void ChunkStore::append_to_pack(const Hash128& id, uint32_t raw_size, uint16_t flags, std::span<const uint8_t> stored) {
  std::lock_guard lock(pack_mutex_);
  if (!open_pack_) open_pack_ = std::make_unique<pack::PackWriter>(objects_, pack::new_pack_name());
  const uint64_t before = open_pack_->size();
  open_pack_entries_.push_back(open_pack_->add(id, raw_size, flags, stored));
  stored_bytes_ += open_pack_->size() - before;
  if (open_pack_->size() >= pack_target_bytes_) finish_open_pack();
}

void ChunkStore::finish_open_pack() {
  if (!open_pack_) return;
  open_pack_->finish();
  CommittedPack committed;
  committed.pack.name = open_pack_->name();
  committed.pack.size = open_pack_->size();
  committed.pack.entry_count = static_cast<uint32_t>(open_pack_entries_.size());
  committed.pack.created_unix =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  committed.chunks.reserve(open_pack_entries_.size());
  for (const auto& entry : open_pack_entries_) {
    catalog::ChunkLocation location;
    location.id = entry.id;
    location.offset = entry.offset;
    location.stored_size = entry.stored_size;
    location.raw_size = entry.raw_size;
    location.flags = entry.flags;
    committed.chunks.push_back(location);
  }
  committed_.push_back(std::move(committed));
  has_committed_ = true;
  open_pack_.reset();
  open_pack_entries_.clear();
}

void ChunkStore::flush() {
  {
    std::unique_lock lock(queue_mutex_);
    queue_idle_.wait(lock, [&] { return (queue_.empty() && busy_workers_ == 0) || worker_error_; });
    rethrow_worker_error();
  }
  std::lock_guard lock(pack_mutex_);
  finish_open_pack();
}

std::vector<ChunkStore::CommittedPack> ChunkStore::take_committed() {
  if (!has_committed_) return {};
  std::lock_guard lock(pack_mutex_);
  has_committed_ = false;
  return std::exchange(committed_, {});
}

uint64_t ChunkStore::stored_bytes() const {
  std::lock_guard lock(pack_mutex_);
  return stored_bytes_;
}

}  // namespace certvault
